import { BadUserInputError } from '../../errors';
import type { Decimal } from '../../money/decimal';
import { minorUnitDigits } from '../../money/currency';
import { formatMoney, Money } from '../../money/money';

/** PostgreSQL bigint: no amount column can hold more minor units. */
const LARGEST_STORABLE_MINOR = 2n ** 63n - 1n;

/**
 * Refuses an order worth more than MAX_ORDER_AMOUNT in the base currency (a sanity cap: a typo of a few digits
 * would otherwise earn millions of points), naming the largest amount accepted in the order's own currency.
 */
export function orderWithinCapOrFail(amount: Money, base: Money, maxBaseMinor: bigint, rate: Decimal): void {
  if (base.minor <= maxBaseMinor && amount.minor <= LARGEST_STORABLE_MINOR) return;
  const cap = `${formatMoney({ minor: maxBaseMinor, currency: base.currency })} ${base.currency}`;
  if (amount.currency === base.currency) throw new BadUserInputError('amount.amount', `must be at most ${cap} (MAX_ORDER_AMOUNT)`);
  const largest = { minor: largestConvertingTo(maxBaseMinor, amount.currency, base.currency, rate), currency: amount.currency };
  throw new BadUserInputError('amount.amount', `must be at most ${formatMoney(largest)} ${amount.currency} (MAX_ORDER_AMOUNT: ${cap} at the rate in force)`);
}

/**
 * The largest amount in `currency` that toBaseCurrency turns into at most `maxBaseMinor`. It converts
 * base = floor(amount * 10^baseDigits * 10^scale / (units * 10^digits)), so the answer is the largest amount with
 * amount * 10^baseDigits * 10^scale < (maxBaseMinor + 1) * units * 10^digits.
 */
export function largestConvertingTo(maxBaseMinor: bigint, currency: string, baseCurrency: string, rate: Decimal): bigint {
  const scale = 10n ** BigInt(minorUnitDigits(baseCurrency)! + rate.scale);
  const divisor = rate.units * 10n ** BigInt(minorUnitDigits(currency)!);
  return ((maxBaseMinor + 1n) * divisor - 1n) / scale;
}

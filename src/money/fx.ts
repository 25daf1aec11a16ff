import { Decimal, floorDiv } from './decimal';
import { minorUnitDigits } from './currency';
import { Money } from './money';

/*
 * Currency conversion at "units of currency per ONE unit of the base currency" rates
 * (base USD, IDR "15500.25": 1 USD = 15500.25 IDR; the base currency's own rate is exactly 1).
 * Amounts are integer minor units; every result is the exact rational value floored in ONE step,
 * so a conversion never rounds in anyone's favour by more than what floor() takes (< 1 minor unit).
 */

/**
 * Converts an amount in `money.currency` to the base currency at `rate` (currency units per 1 base unit),
 * rounding DOWN to a base minor unit. Used to value orders (earning): never rounds up.
 * base_minor = floor(amount_minor * 10^baseDigits * 10^rate.scale / (rate.units * 10^currencyDigits)).
 * When money.currency === baseCurrency, rate must be 1 and the amount is returned unchanged.
 */
export function toBaseCurrency(money: Money, baseCurrency: string, rate: Decimal): Money {
  const currencyDigits = digitsOf(money.currency);
  const baseDigits = digitsOf(baseCurrency);
  assertRate(rate, money.currency, baseCurrency);
  if (money.currency === baseCurrency) return { minor: money.minor, currency: baseCurrency };
  const minor = floorDiv(
    money.minor * pow10(baseDigits) * pow10(rate.scale),
    rate.units * pow10(currencyDigits),
  );
  return { minor, currency: baseCurrency };
}

/**
 * Converts a base-currency amount to `currency` at `rate`, rounding DOWN to the target's minor unit
 * (used for discounts: never in the member's favour).
 * target_minor = floor(base_minor * rate.units * 10^targetDigits / (10^rate.scale * 10^baseDigits)).
 * When currency === base.currency, rate must be 1 and the amount is returned unchanged.
 */
export function fromBaseCurrency(base: Money, currency: string, rate: Decimal): Money {
  const baseDigits = digitsOf(base.currency);
  const targetDigits = digitsOf(currency);
  assertRate(rate, currency, base.currency);
  if (currency === base.currency) return { minor: base.minor, currency };
  const minor = floorDiv(
    base.minor * rate.units * pow10(targetDigits),
    pow10(rate.scale) * pow10(baseDigits),
  );
  return { minor, currency };
}

function pow10(exponent: number): bigint {
  return 10n ** BigInt(exponent);
}

/** The currency's ISO 4217 minor digits; an unknown code is a programming error, not user input. */
function digitsOf(currency: string): number {
  const digits = minorUnitDigits(currency);
  if (digits === undefined) throw new Error(`unknown currency ${currency}`);
  return digits;
}

/** A rate must be a positive Decimal, and exactly 1 between a currency and itself. */
function assertRate(rate: Decimal, currency: string, baseCurrency: string): void {
  if (typeof rate.units !== 'bigint' || rate.units <= 0n || !Number.isSafeInteger(rate.scale) || rate.scale < 0) {
    throw new RangeError(`the ${currency} rate against ${baseCurrency} must be a positive decimal`);
  }
  if (currency === baseCurrency && rate.units !== pow10(rate.scale)) {
    throw new RangeError(`the rate of the base currency ${baseCurrency} against itself must be exactly 1`);
  }
}

import { minorUnitDigits } from './currency';
import type { Money } from './money';

/**
 * Stripe states amounts in its own minor units, which follow ISO 4217 except where Stripe's currency notes say
 * otherwise (https://docs.stripe.com/currencies): these are zero-decimal at Stripe (MGA has 2 ISO digits) ...
 */
const STRIPE_ZERO_DECIMAL = new Set(['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF']);
/** ... these are three-decimal (Stripe requires the last digit to be 0 when charging; received amounts are exact) ... */
const STRIPE_THREE_DECIMAL = new Set(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);
/** ... and every other currency is two-decimal, including ISK (0 ISO digits; Stripe keeps 100 = 1 krona, whole krónur only). */
const STRIPE_DEFAULT_DIGITS = 2;

/** A verified Stripe event whose content we cannot use (unknown currency, an amount that is not a count): HTTP 400. */
export class StripePayloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StripePayloadError';
  }
}

/** The number of decimals Stripe's API uses for a currency (a code in any case). */
export function stripeDigits(currency: string): number {
  const code = currency.toUpperCase();
  if (STRIPE_ZERO_DECIMAL.has(code)) return 0;
  if (STRIPE_THREE_DECIMAL.has(code)) return 3;
  return STRIPE_DEFAULT_DIGITS;
}

/**
 * A Stripe amount (integer, Stripe's minor units, lower-case currency) as our Money (ISO 4217 minor units).
 * Where Stripe has more digits than ISO (ISK), a fraction of the ISO unit is dropped (rounded down): Stripe only
 * accepts whole krónur since 2023, so this only touches older charges. Throws on an unknown currency or a
 * negative or non-integer amount.
 */
export function fromStripeAmount(amount: number, currency: string): Money {
  const code = String(currency).toUpperCase();
  const isoDigits = minorUnitDigits(code);
  if (isoDigits === undefined) throw new StripePayloadError(`Stripe currency ${currency} is not an ISO 4217 currency we know`);
  if (!Number.isSafeInteger(amount) || amount < 0) throw new StripePayloadError(`Stripe amount ${amount} is not a non-negative integer`);
  const shift = isoDigits - stripeDigits(code);
  const value = BigInt(amount);
  const minor = shift >= 0 ? value * 10n ** BigInt(shift) : value / 10n ** BigInt(-shift);
  return { minor, currency: code };
}

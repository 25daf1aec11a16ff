import { ceilDiv, Decimal, floorDiv } from '../../money/decimal';
import { minorUnitDigits } from '../../money/currency';
import { Money } from '../../money/money';

/*
 * Redeeming points against a cart. A point is worth `pointValue` MAJOR units of the base currency
 * ("0.01" = one US cent when the base is USD); the cart is in any currency, at `rate` cart-currency units
 * per one base unit. Everything is exact bigint rational arithmetic, floored once at the end, so rounding
 * never creates value: a discount is never worth more than the points it consumes.
 */

export interface RedemptionPolicy {
  /** The fewest points a redemption may use. */
  minPoints: number;
  /** The largest share of the cart that points may pay for, e.g. { units: 5n, scale: 1 } = 50%. */
  maxCartShare: Decimal;
}

export const DEFAULT_REDEMPTION_POLICY: RedemptionPolicy = Object.freeze({
  minPoints: 100,
  maxCartShare: Object.freeze({ units: 5n, scale: 1 }),
});

/**
 * Value of `points` in the cart currency: exact rational value points * pointValue (base major) * rate,
 * converted to the cart currency's minor units and rounded DOWN — in ONE rational step (no intermediate
 * base-currency amount is floored). When cartCurrency === baseCurrency the rate must be 1.
 */
export function pointsValue(points: bigint, pointValue: Decimal, baseCurrency: string, cartCurrency: string, rate: Decimal): Money {
  const { numerator, denominator } = onePointInCartMinor(pointValue, baseCurrency, cartCurrency, rate);
  return { minor: floorDiv(points * numerator, denominator), currency: cartCurrency };
}

/**
 * The largest number of points whose pointsValue does not exceed `limit` (in cart currency minor units,
 * the cart currency being limit.currency). With one point worth exactly N/D cart minor units, pointsValue(p) =
 * floor(p*N/D) <= L exactly when p*N < (L+1)*D, so the answer is ceil((L+1)*D / N) - 1, computed exactly.
 * Requires a positive point value (otherwise any number of points fits) and a non-negative limit.
 */
export function maxPointsWithin(limit: Money, pointValue: Decimal, baseCurrency: string, rate: Decimal): bigint {
  const { numerator, denominator } = onePointInCartMinor(pointValue, baseCurrency, limit.currency, rate);
  if (numerator === 0n) throw new RangeError('maxPointsWithin needs a positive point value');
  if (limit.minor < 0n) throw new RangeError(`maxPointsWithin needs a non-negative limit, got ${limit.minor}`);
  return ceilDiv((limit.minor + 1n) * denominator, numerator) - 1n;
}

export interface Quote {
  maxPoints: bigint;
  maxDiscount: Money;
  minPoints: bigint;
  availablePoints: bigint;
}

/**
 * What a cart accepts: the cart cap is floor(cart * maxCartShare) in cart minor units;
 * maxPoints = min(available, maxPointsWithin(cart cap)); if that is below minPoints (or available <= 0),
 * maxPoints is 0; maxDiscount = pointsValue(maxPoints). availablePoints is echoed (it can be negative for a
 * member in clawback debt). Points worth nothing (a zero point value) quote 0 points.
 */
export function quoteRedemption(input: {
  availablePoints: bigint;
  cart: Money;
  pointValue: Decimal;
  baseCurrency: string;
  rate: Decimal;
  policy?: RedemptionPolicy;
}): Quote {
  const { availablePoints, cart, pointValue, baseCurrency, rate } = input;
  const policy = input.policy ?? DEFAULT_REDEMPTION_POLICY;
  if (!Number.isSafeInteger(policy.minPoints) || policy.minPoints < 0) {
    throw new RangeError(`policy.minPoints must be a non-negative integer, got ${policy.minPoints}`);
  }
  assertDecimal(policy.maxCartShare, 'policy.maxCartShare');
  if (cart.minor < 0n) throw new RangeError(`the cart must not be negative, got ${cart.minor}`);
  const minPoints = BigInt(policy.minPoints);
  const { numerator } = onePointInCartMinor(pointValue, baseCurrency, cart.currency, rate);

  let maxPoints = 0n;
  if (availablePoints > 0n && numerator > 0n) {
    const cap: Money = {
      minor: floorDiv(cart.minor * policy.maxCartShare.units, 10n ** BigInt(policy.maxCartShare.scale)),
      currency: cart.currency,
    };
    const within = maxPointsWithin(cap, pointValue, baseCurrency, rate);
    maxPoints = availablePoints < within ? availablePoints : within;
    if (maxPoints < minPoints) maxPoints = 0n;
  }
  return {
    maxPoints,
    maxDiscount: pointsValue(maxPoints, pointValue, baseCurrency, cart.currency, rate),
    minPoints,
    availablePoints,
  };
}

/**
 * The exact value of ONE point in cart minor units as numerator / denominator:
 * pointValue.units / 10^pointValue.scale (base major) * rate.units / 10^rate.scale (cart major per base major)
 * * 10^cartDigits (cart minor per cart major). Validates the currencies, the rate and the point value.
 */
function onePointInCartMinor(
  pointValue: Decimal,
  baseCurrency: string,
  cartCurrency: string,
  rate: Decimal,
): { numerator: bigint; denominator: bigint } {
  digitsOf(baseCurrency);
  const cartDigits = digitsOf(cartCurrency);
  assertDecimal(pointValue, 'the point value');
  assertDecimal(rate, `the ${cartCurrency} rate`);
  if (rate.units === 0n) throw new RangeError(`the ${cartCurrency} rate against ${baseCurrency} must be positive`);
  if (cartCurrency === baseCurrency && rate.units !== 10n ** BigInt(rate.scale)) {
    throw new RangeError(`the rate of the base currency ${baseCurrency} against itself must be exactly 1`);
  }
  return {
    numerator: pointValue.units * rate.units * 10n ** BigInt(cartDigits),
    denominator: 10n ** BigInt(pointValue.scale + rate.scale),
  };
}

/** The currency's ISO 4217 minor digits; an unknown code is a programming error, not user input. */
function digitsOf(currency: string): number {
  const digits = minorUnitDigits(currency);
  if (digits === undefined) throw new Error(`unknown currency ${currency}`);
  return digits;
}

function assertDecimal(value: Decimal, what: string): void {
  if (typeof value.units !== 'bigint' || value.units < 0n || !Number.isSafeInteger(value.scale) || value.scale < 0) {
    throw new RangeError(`${what} must be a non-negative decimal`);
  }
}

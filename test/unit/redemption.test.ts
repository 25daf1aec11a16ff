import { describe, it, expect } from '@jest/globals';
import { minorUnitDigits } from '../../src/money/currency';
import { Decimal, parseDecimal } from '../../src/money/decimal';
import { fromBaseCurrency } from '../../src/money/fx';
import { Money } from '../../src/money/money';
import {
  DEFAULT_REDEMPTION_POLICY,
  maxPointsWithin,
  pointsValue,
  quoteRedemption,
  RedemptionPolicy,
} from '../../src/modules/ledger/redemption';
import { prng } from '../helpers/random';

const dec = (text: string): Decimal => parseDecimal(text, 'x');
const pow10 = (exponent: number): bigint => 10n ** BigInt(exponent);
const money = (minor: bigint, currency: string): Money => ({ minor, currency });

/** Base USD; currency units per ONE US dollar. */
const RATES: Record<string, Decimal> = {
  USD: dec('1'),
  JPY: dec('151.37'),
  KWD: dec('0.3072'),
  IDR: dec('15500.25'),
  EUR: dec('0.9215'),
};
const CENT = dec('0.01');

/** pointsValue with base USD at the table's rate. */
const value = (points: bigint, cart: string, pointValue: Decimal = CENT): bigint =>
  pointsValue(points, pointValue, 'USD', cart, RATES[cart]).minor;
const within = (limit: bigint, cart: string, pointValue: Decimal = CENT): bigint =>
  maxPointsWithin(money(limit, cart), pointValue, 'USD', RATES[cart]);
const quote = (availablePoints: bigint, cart: Money, policy?: RedemptionPolicy, pointValue: Decimal = CENT) =>
  quoteRedemption({ availablePoints, cart, pointValue, baseCurrency: 'USD', rate: RATES[cart.currency], policy });

/**
 * The exact value of `points` in cart minor units as a reduced fraction, computed independently of the code under
 * test: a product of three fractions (points * pointValue, * rate, * 10^digits), reduced by gcd at every step.
 */
function exactValue(points: bigint, pointValue: Decimal, rate: Decimal, cart: string): { num: bigint; den: bigint } {
  const gcd = (a: bigint, b: bigint): bigint => {
    a = a < 0n ? -a : a;
    while (b !== 0n) [a, b] = [b, a % b];
    return a === 0n ? 1n : a;
  };
  const times = (f: { num: bigint; den: bigint }, num: bigint, den: bigint) => {
    const n = f.num * num;
    const d = f.den * den;
    const g = gcd(n, d);
    return { num: n / g, den: d / g };
  };
  let f = { num: points, den: 1n };
  f = times(f, pointValue.units, pow10(pointValue.scale));
  f = times(f, rate.units, pow10(rate.scale));
  f = times(f, pow10(minorUnitDigits(cart)!), 1n);
  return f;
}

describe('DEFAULT_REDEMPTION_POLICY', () => {
  it('is 100 points minimum and at most half the cart, and cannot be changed by accident', () => {
    expect(DEFAULT_REDEMPTION_POLICY).toEqual({ minPoints: 100, maxCartShare: { units: 5n, scale: 1 } });
    expect(Object.isFrozen(DEFAULT_REDEMPTION_POLICY)).toBe(true);
    expect(Object.isFrozen(DEFAULT_REDEMPTION_POLICY.maxCartShare)).toBe(true);
  });
});

describe('pointsValue (base USD, one point = 0.01 USD)', () => {
  it.each([
    [1n, 'USD', 1n],
    [50000n, 'USD', 50000n],
    [120000n, 'USD', 120000n],
    [0n, 'USD', 0n],
    // one point = 1.5137 JPY
    [1n, 'JPY', 1n],
    [3n, 'JPY', 4n], // 4.5411
    [100n, 'JPY', 151n], // 151.37
    [50000n, 'JPY', 75685n], // exactly
    [3303n, 'JPY', 4999n], // 4999.7511
    [3304n, 'JPY', 5001n], // 5001.2648
    // one point = 3.072 fils
    [1n, 'KWD', 3n],
    [1000n, 'KWD', 3072n],
    [50000n, 'KWD', 153600n],
    // one point = 155.0025 IDR = 15500.25 minor
    [1n, 'IDR', 15500n],
    [4n, 'IDR', 62001n],
    [3225n, 'IDR', 49988306n], // 49,988,306.25
    // one point = 0.9215 euro cents
    [1n, 'EUR', 0n],
    [2n, 'EUR', 1n], // 1.843
    [100n, 'EUR', 92n], // 92.15
    [5427n, 'EUR', 5000n], // 5000.9805
  ])('%p points in a %s cart are worth %p minor units', (points, cart, expected) => {
    expect(pointsValue(points, CENT, 'USD', cart, RATES[cart])).toEqual({ minor: expected, currency: cart });
  });

  it('floors in one step: rounding to a base cent first would lose more than one minor unit', () => {
    // 3 points at 0.0064 USD = 0.0192 USD = 2.906304 JPY -> 2 JPY; via a floored base amount: 1 cent -> 1 JPY.
    const sub = dec('0.0064');
    expect(value(3n, 'JPY', sub)).toBe(2n);
    expect(fromBaseCurrency(money(1n, 'USD'), 'JPY', RATES.JPY).minor).toBe(1n);
    // 1 point at 0.0099 USD = 153.452475 IDR = 15345.2475 minor -> 15345; via a floored base amount: 0 cents -> 0.
    expect(value(1n, 'IDR', dec('0.0099'))).toBe(15345n);
    // 1 point at 0.0064 USD in KWD: 1.96608 fils -> 1
    expect(value(1n, 'KWD', sub)).toBe(1n);
  });

  it('works in another base currency (base JPY, a point worth 1 yen, cart USD at 0.0066 USD per yen)', () => {
    // 1000 points = 1000 JPY = 6.60 USD
    expect(pointsValue(1000n, dec('1'), 'JPY', 'USD', dec('0.0066'))).toEqual({ minor: 660n, currency: 'USD' });
    // 1 point = 0.66 cents -> 0
    expect(pointsValue(1n, dec('1'), 'JPY', 'USD', dec('0.0066'))).toEqual({ minor: 0n, currency: 'USD' });
  });

  it('is zero for a zero point value', () => {
    expect(value(123456n, 'JPY', { units: 0n, scale: 0 })).toBe(0n);
  });

  it('refuses a base-currency cart at a rate other than 1, zero rates, negative point values and unknown currencies', () => {
    expect(() => pointsValue(1n, CENT, 'USD', 'USD', dec('1.1'))).toThrow(RangeError);
    expect(pointsValue(7n, CENT, 'USD', 'USD', dec('1.000'))).toEqual({ minor: 7n, currency: 'USD' });
    expect(() => pointsValue(1n, CENT, 'USD', 'JPY', { units: 0n, scale: 0 })).toThrow(RangeError);
    expect(() => pointsValue(1n, { units: -1n, scale: 2 }, 'USD', 'JPY', RATES.JPY)).toThrow(RangeError);
    expect(() => pointsValue(1n, CENT, 'XXX', 'JPY', RATES.JPY)).toThrow('unknown currency XXX');
    expect(() => pointsValue(1n, CENT, 'USD', 'ABC', RATES.JPY)).toThrow('unknown currency ABC');
  });
});

describe('maxPointsWithin (base USD, one point = 0.01 USD)', () => {
  it.each([
    [50000n, 'USD', 50000n],
    [80n, 'USD', 80n],
    [0n, 'USD', 0n],
    [75685n, 'JPY', 50000n], // 50000 points are worth exactly 75685 JPY
    [5000n, 'JPY', 3303n], // 3303 -> 4999 JPY, 3304 -> 5001 JPY
    [1n, 'JPY', 1n], // 1 point -> 1 JPY (1.5137), 2 -> 3
    [0n, 'JPY', 0n],
    [153600n, 'KWD', 50000n],
    [3n, 'KWD', 1n], // 1 -> 3 fils, 2 -> 6
    [2n, 'KWD', 0n],
    [50000000n, 'IDR', 3225n], // 3225 -> 49,988,306; 3226 -> 50,003,806
    [15499n, 'IDR', 0n],
    [15500n, 'IDR', 1n],
    // the largest count whose FLOORED value fits: 5427 points -> 5000 cents (exactly 5000.9805), 5428 -> 5001
    [5000n, 'EUR', 5427n],
    // a point worth 0.9215 euro cents rounds down to nothing, so one point "fits" a zero limit
    [0n, 'EUR', 1n],
  ])('a limit of %p minor %s takes at most %p points', (limit, cart, expected) => {
    const points = within(limit, cart);
    expect(points).toBe(expected);
    expect(value(points, cart) <= limit).toBe(true);
    expect(value(points + 1n, cart) > limit).toBe(true);
  });

  it('refuses a zero point value (any number of points would fit) and a negative limit', () => {
    expect(() => within(100n, 'JPY', { units: 0n, scale: 2 })).toThrow(RangeError);
    expect(() => within(-1n, 'JPY')).toThrow(RangeError);
  });
});

describe('quoteRedemption', () => {
  it('a 1000.00 USD cart with 120000 points at 0.01: 50000 points for 500.00 USD', () => {
    expect(quote(120000n, money(100000n, 'USD'))).toEqual({
      maxPoints: 50000n,
      maxDiscount: money(50000n, 'USD'),
      minPoints: 100n,
      availablePoints: 120000n,
    });
  });

  it('the same cart in JPY (151370 JPY): 50000 points for 75685 JPY', () => {
    expect(quote(120000n, money(151370n, 'JPY'))).toEqual({
      maxPoints: 50000n,
      maxDiscount: money(75685n, 'JPY'),
      minPoints: 100n,
      availablePoints: 120000n,
    });
  });

  it('the same cart in KWD (307.200 KWD): 50000 points for 153.600 KWD', () => {
    expect(quote(120000n, money(307200n, 'KWD'))).toEqual({
      maxPoints: 50000n,
      maxDiscount: money(153600n, 'KWD'),
      minPoints: 100n,
      availablePoints: 120000n,
    });
  });

  it('a 1,000,000.00 IDR cart: the cap 500,000.00 IDR takes 3225 points for 499,883.06 IDR', () => {
    expect(quote(120000n, money(100000000n, 'IDR'))).toEqual({
      maxPoints: 3225n,
      maxDiscount: money(49988306n, 'IDR'),
      minPoints: 100n,
      availablePoints: 120000n,
    });
  });

  it('a 100.00 EUR cart: the cap 50.00 EUR takes 5427 points for 50.00 EUR', () => {
    expect(quote(120000n, money(10000n, 'EUR'))).toEqual({
      maxPoints: 5427n,
      maxDiscount: money(5000n, 'EUR'),
      minPoints: 100n,
      availablePoints: 120000n,
    });
  });

  it('a 10000 JPY cart: the cap 5000 JPY takes 3303 points for 4999 JPY', () => {
    expect(quote(120000n, money(10000n, 'JPY'))).toMatchObject({ maxPoints: 3303n, maxDiscount: money(4999n, 'JPY') });
  });

  it('is limited by the available points when the cart allows more', () => {
    expect(quote(120000n, money(1000000n, 'USD'))).toMatchObject({ maxPoints: 120000n, maxDiscount: money(120000n, 'USD') });
    expect(quote(120000n, money(10000000n, 'JPY'))).toMatchObject({ maxPoints: 120000n, maxDiscount: money(181644n, 'JPY') });
  });

  it('a member with 150 points and a cart that allows only 80 (1.60 USD) gets 0', () => {
    expect(quote(150n, money(160n, 'USD'))).toEqual({
      maxPoints: 0n,
      maxDiscount: money(0n, 'USD'),
      minPoints: 100n,
      availablePoints: 150n,
    });
  });

  it('the minimum is inclusive: a 2.00 USD cart allows exactly 100 points, 1.99 USD allows 99 and so none', () => {
    expect(quote(150n, money(200n, 'USD'))).toMatchObject({ maxPoints: 100n, maxDiscount: money(100n, 'USD') });
    expect(quote(150n, money(199n, 'USD'))).toMatchObject({ maxPoints: 0n, maxDiscount: money(0n, 'USD') });
  });

  it('a member with fewer points than the minimum gets 0 however large the cart', () => {
    expect(quote(99n, money(1000000n, 'USD'))).toMatchObject({ maxPoints: 0n, maxDiscount: money(0n, 'USD') });
    expect(quote(100n, money(1000000n, 'USD'))).toMatchObject({ maxPoints: 100n, maxDiscount: money(100n, 'USD') });
  });

  it.each([-500n, -1n, 0n])('echoes %p available points and quotes 0', (available) => {
    expect(quote(available, money(100000n, 'USD'))).toEqual({
      maxPoints: 0n,
      maxDiscount: money(0n, 'USD'),
      minPoints: 100n,
      availablePoints: available,
    });
    expect(quote(available, money(151370n, 'JPY'), { minPoints: 0, maxCartShare: dec('1') }).maxPoints).toBe(0n);
  });

  it('an empty cart quotes 0', () => {
    expect(quote(120000n, money(0n, 'JPY'))).toMatchObject({ maxPoints: 0n, maxDiscount: money(0n, 'JPY') });
  });

  it('follows a custom policy', () => {
    const all: RedemptionPolicy = { minPoints: 0, maxCartShare: dec('1') };
    expect(quote(120000n, money(10000n, 'USD'), all)).toEqual({
      maxPoints: 10000n,
      maxDiscount: money(10000n, 'USD'),
      minPoints: 0n,
      availablePoints: 120000n,
    });
    // 25% of 99.99 USD = 24.9975 -> 2499 cents
    expect(quote(120000n, money(9999n, 'USD'), { minPoints: 1, maxCartShare: dec('0.25') })).toMatchObject({
      maxPoints: 2499n,
      maxDiscount: money(2499n, 'USD'),
      minPoints: 1n,
    });
    // a high minimum
    expect(quote(120000n, money(100000n, 'USD'), { minPoints: 50001, maxCartShare: dec('0.5') }).maxPoints).toBe(0n);
    expect(quote(120000n, money(100000n, 'USD'), { minPoints: 50000, maxCartShare: dec('0.5') }).maxPoints).toBe(50000n);
  });

  it('quotes 0 for points worth nothing', () => {
    expect(quote(120000n, money(100000n, 'USD'), undefined, { units: 0n, scale: 0 })).toMatchObject({
      maxPoints: 0n,
      maxDiscount: money(0n, 'USD'),
    });
  });

  it('refuses a negative cart, a malformed policy and a base-currency cart at a rate other than 1', () => {
    expect(() => quote(1000n, money(-1n, 'USD'))).toThrow(RangeError);
    expect(() => quote(1000n, money(100n, 'USD'), { minPoints: -1, maxCartShare: dec('0.5') })).toThrow(RangeError);
    expect(() => quote(1000n, money(100n, 'USD'), { minPoints: 1.5, maxCartShare: dec('0.5') })).toThrow(RangeError);
    expect(() => quote(1000n, money(100n, 'USD'), { minPoints: 1, maxCartShare: { units: -5n, scale: 1 } })).toThrow(RangeError);
    expect(() =>
      quoteRedemption({ availablePoints: 1000n, cart: money(100n, 'USD'), pointValue: CENT, baseCurrency: 'USD', rate: dec('2') }),
    ).toThrow(RangeError);
  });
});

describe('no value is ever created by rounding (property loops)', () => {
  const CURRENCIES = ['USD', 'JPY', 'KWD', 'IDR', 'EUR', 'BHD', 'CLF', 'VND'] as const;

  /** A random scenario: base and cart currency, rate (exactly 1 within one currency), positive point value. */
  function scenario(random: ReturnType<typeof prng>, i: number) {
    const base = random.pick(CURRENCIES);
    const cart = random.pick(CURRENCIES);
    const rate: Decimal =
      base === cart ? { units: pow10(i % 4), scale: i % 4 } : { units: random.below(pow10(1 + random.int(14))) + 1n, scale: random.int(13) };
    const pointValue: Decimal = { units: random.below(pow10(1 + random.int(6))) + 1n, scale: random.int(13) };
    return { base, cart, rate, pointValue };
  }

  it('pointsValue is the exact value floored, for 4000 pseudo-random scenarios', () => {
    const random = prng(0x7e57_0001n);
    for (let i = 0; i < 4000; i++) {
      const { base, cart, rate, pointValue } = scenario(random, i);
      const points = random.below(pow10(random.int(16)) + 1n);
      const got = pointsValue(points, pointValue, base, cart, rate);
      expect(got.currency).toBe(cart);
      const { num, den } = exactValue(points, pointValue, rate, cart);
      // got <= exact, and exact - got < 1 minor unit
      expect(got.minor * den <= num).toBe(true);
      expect(num - got.minor * den < den).toBe(true);
      // never less than converting a floored base amount (rounding twice can only lose more)
      const baseMinor = pointsValue(points, pointValue, base, base, { units: 1n, scale: 0 });
      const viaBase = fromBaseCurrency(
        // pointsValue in the base currency is points * pointValue floored to base minor units
        baseMinor,
        cart,
        rate,
      );
      expect(got.minor >= viaBase.minor).toBe(true);
      // monotone in the number of points
      expect(pointsValue(points + 1n, pointValue, base, cart, rate).minor >= got.minor).toBe(true);
    }
  });

  it('maxPointsWithin is maximal, for 4000 pseudo-random limits and scenarios', () => {
    const random = prng(0x7e57_0002n);
    for (let i = 0; i < 4000; i++) {
      const { base, cart, rate, pointValue } = scenario(random, i);
      const limit = random.below(pow10(random.int(16)) + 1n);
      const points = maxPointsWithin(money(limit, cart), pointValue, base, rate);
      expect(points >= 0n).toBe(true);
      expect(pointsValue(points, pointValue, base, cart, rate).minor <= limit).toBe(true);
      expect(pointsValue(points + 1n, pointValue, base, cart, rate).minor > limit).toBe(true);
    }
  });

  it('quotes respect the cap, the balance and the minimum, and are maximal, for 3000 pseudo-random carts', () => {
    const random = prng(0x7e57_0003n);
    for (let i = 0; i < 3000; i++) {
      const { base, cart, rate, pointValue } = scenario(random, i);
      const cartMinor = random.below(pow10(random.int(14)) + 1n);
      const available = random.below(pow10(random.int(9)) + 1n) - (i % 10 === 0 ? 1000n : 0n);
      const policy: RedemptionPolicy = {
        minPoints: random.int(3) === 0 ? 0 : random.int(1000),
        maxCartShare: random.pick([dec('0.5'), dec('1'), dec('0.25'), dec('0.333'), dec('0.01')]),
      };
      const q = quoteRedemption({ availablePoints: available, cart: money(cartMinor, cart), pointValue, baseCurrency: base, rate, policy });
      const share = policy.maxCartShare;
      const cap = (cartMinor * share.units) / pow10(share.scale);
      expect(q.availablePoints).toBe(available);
      expect(q.minPoints).toBe(BigInt(policy.minPoints));
      expect(q.maxDiscount).toEqual(pointsValue(q.maxPoints, pointValue, base, cart, rate));
      expect(q.maxDiscount.minor <= cap).toBe(true);
      expect(q.maxPoints >= 0n).toBe(true);
      if (available <= 0n) expect(q.maxPoints).toBe(0n);
      else expect(q.maxPoints <= available).toBe(true);
      if (q.maxPoints > 0n) expect(q.maxPoints >= q.minPoints).toBe(true);
      const best = available > 0n ? [available, maxPointsWithin(money(cap, cart), pointValue, base, rate)].reduce((a, b) => (a < b ? a : b)) : 0n;
      expect(q.maxPoints).toBe(best >= q.minPoints ? best : 0n);
      // maximal: one more point would exceed the cap or the balance
      if (q.maxPoints > 0n && q.maxPoints < available) {
        expect(pointsValue(q.maxPoints + 1n, pointValue, base, cart, rate).minor > cap).toBe(true);
      }
    }
  });
});

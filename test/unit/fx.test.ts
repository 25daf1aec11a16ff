import { describe, it, expect } from '@jest/globals';
import { minorUnitDigits } from '../../src/money/currency';
import { Decimal, parseDecimal } from '../../src/money/decimal';
import { fromBaseCurrency, toBaseCurrency } from '../../src/money/fx';
import { prng } from '../helpers/random';

const rate = (text: string): Decimal => parseDecimal(text, 'rate');
/** Base USD; currency units per ONE US dollar. */
const RATES = {
  JPY: rate('151.37'),
  KWD: rate('0.3072'),
  IDR: rate('15500.25'),
  EUR: rate('0.9215'),
  USD: rate('1'),
};

const pow10 = (exponent: number): bigint => 10n ** BigInt(exponent);
const digits = (currency: string): number => minorUnitDigits(currency)!;

describe('toBaseCurrency (USD base)', () => {
  it.each([
    // 10000 JPY / 151.37 = 66.0633...  USD: 100,000,000 / 15137 = 6606 rem 4978
    [10000n, 'JPY', 6606n],
    [1n, 'JPY', 0n],
    [151n, 'JPY', 99n], // 0.99755 USD
    [15137n, 'JPY', 10000n], // exactly 100.00 USD
    // 10.000 KWD / 0.3072 = 32.5520833 USD
    [10000n, 'KWD', 3255n],
    [307n, 'KWD', 99n], // 0.307 KWD = 0.99934 USD
    [307200n, 'KWD', 100000n], // exactly 1000.00 USD
    // 1,000,000.00 IDR / 15500.25 = 64.5150885 USD: 10^12 / 155,002,500 = 6451 rem 78,872,500
    [100000000n, 'IDR', 6451n],
    [1550025n, 'IDR', 100n], // exactly 15500.25 IDR = 1.00 USD
    [1550024n, 'IDR', 99n], // one minor unit short of a dollar
    // 100.00 EUR / 0.9215 = 108.5187 USD: 10^10 / 921,500 = 10851 rem 803,500
    [10000n, 'EUR', 10851n],
    [92n, 'EUR', 99n], // 0.92 EUR = 0.99837 USD
    [0n, 'EUR', 0n],
  ])('%p minor %s -> %p US cents (floored)', (minor, currency, expected) => {
    const rates = RATES as Record<string, Decimal>;
    expect(toBaseCurrency({ minor, currency }, 'USD', rates[currency])).toEqual({ minor: expected, currency: 'USD' });
  });

  it('returns a base-currency amount unchanged at a rate of exactly 1, however written', () => {
    expect(toBaseCurrency({ minor: 12345n, currency: 'USD' }, 'USD', RATES.USD)).toEqual({ minor: 12345n, currency: 'USD' });
    expect(toBaseCurrency({ minor: 12345n, currency: 'USD' }, 'USD', rate('1.000'))).toEqual({ minor: 12345n, currency: 'USD' });
    expect(toBaseCurrency({ minor: -5n, currency: 'USD' }, 'USD', RATES.USD)).toEqual({ minor: -5n, currency: 'USD' });
  });

  it('refuses a base currency rate other than 1', () => {
    expect(() => toBaseCurrency({ minor: 100n, currency: 'USD' }, 'USD', rate('1.5'))).toThrow(RangeError);
    expect(() => toBaseCurrency({ minor: 100n, currency: 'USD' }, 'USD', rate('0.99'))).toThrow(RangeError);
  });

  it('refuses a zero or malformed rate', () => {
    expect(() => toBaseCurrency({ minor: 100n, currency: 'JPY' }, 'USD', { units: 0n, scale: 2 })).toThrow(RangeError);
    expect(() => toBaseCurrency({ minor: 100n, currency: 'JPY' }, 'USD', { units: -1n, scale: 0 })).toThrow(RangeError);
    expect(() => toBaseCurrency({ minor: 100n, currency: 'JPY' }, 'USD', { units: 1n, scale: -2 })).toThrow(RangeError);
  });

  it('refuses unknown currencies', () => {
    expect(() => toBaseCurrency({ minor: 100n, currency: 'XXX' }, 'USD', RATES.JPY)).toThrow('unknown currency XXX');
    expect(() => toBaseCurrency({ minor: 100n, currency: 'JPY' }, 'ZZZ', RATES.JPY)).toThrow('unknown currency ZZZ');
  });

  it('floors (not truncates) a negative amount: a refund is never valued above its exact value', () => {
    // -1 JPY = -0.0066 USD -> -1 cent
    expect(toBaseCurrency({ minor: -1n, currency: 'JPY' }, 'USD', RATES.JPY)).toEqual({ minor: -1n, currency: 'USD' });
    expect(toBaseCurrency({ minor: -10000n, currency: 'JPY' }, 'USD', RATES.JPY)).toEqual({ minor: -6607n, currency: 'USD' });
  });

  it('works with a base currency that has no or three minor digits', () => {
    // base JPY: 1 JPY = 0.0066 USD; 100.00 USD / 0.0066 = 15151.51 JPY
    expect(toBaseCurrency({ minor: 10000n, currency: 'USD' }, 'JPY', rate('0.0066'))).toEqual({ minor: 15151n, currency: 'JPY' });
    // base KWD: 1 KWD = 3.2552 USD; 100.00 USD / 3.2552 = 30.720078 KWD
    expect(toBaseCurrency({ minor: 10000n, currency: 'USD' }, 'KWD', rate('3.2552'))).toEqual({ minor: 30720n, currency: 'KWD' });
  });
});

describe('fromBaseCurrency (USD base)', () => {
  it.each([
    [100n, 'JPY', 151n], // 151.37 JPY
    [10000n, 'JPY', 15137n],
    [1n, 'JPY', 1n], // 1.5137 JPY
    [100n, 'KWD', 307n], // 0.3072 KWD = 307.2 fils
    [1n, 'KWD', 3n], // 3.072 fils
    [100000n, 'KWD', 307200n],
    [100n, 'IDR', 1550025n], // exactly 15500.25 IDR
    [1n, 'IDR', 15500n], // 155.0025 IDR = 15500.25 minor
    [100n, 'EUR', 92n], // 0.9215 EUR
    [1n, 'EUR', 0n], // 0.9215 euro cents
    [10851n, 'EUR', 9999n], // 99.992 EUR
    [0n, 'JPY', 0n],
  ])('%p US cents -> %p minor %s (floored)', (minor, currency, expected) => {
    const rates = RATES as Record<string, Decimal>;
    expect(fromBaseCurrency({ minor, currency: 'USD' }, currency, rates[currency])).toEqual({ minor: expected, currency });
  });

  it('returns a base-currency amount unchanged at a rate of 1 and refuses any other', () => {
    expect(fromBaseCurrency({ minor: 999n, currency: 'USD' }, 'USD', RATES.USD)).toEqual({ minor: 999n, currency: 'USD' });
    expect(fromBaseCurrency({ minor: 999n, currency: 'USD' }, 'USD', rate('1.00'))).toEqual({ minor: 999n, currency: 'USD' });
    expect(() => fromBaseCurrency({ minor: 999n, currency: 'USD' }, 'USD', rate('1.01'))).toThrow(RangeError);
  });

  it('refuses zero rates and unknown currencies', () => {
    expect(() => fromBaseCurrency({ minor: 1n, currency: 'USD' }, 'JPY', { units: 0n, scale: 0 })).toThrow(RangeError);
    expect(() => fromBaseCurrency({ minor: 1n, currency: 'USD' }, 'XAU', RATES.JPY)).toThrow('unknown currency XAU');
    expect(() => fromBaseCurrency({ minor: 1n, currency: 'QQQ' }, 'JPY', RATES.JPY)).toThrow('unknown currency QQQ');
  });

  it('floors a negative amount', () => {
    expect(fromBaseCurrency({ minor: -1n, currency: 'USD' }, 'JPY', RATES.JPY)).toEqual({ minor: -2n, currency: 'JPY' });
  });
});

describe('round trips never create value', () => {
  it.each([
    // 1.00 USD -> 151 JPY -> 0.99 USD
    ['JPY', 100n, 151n, 99n],
    // 1.00 USD -> 0.307 KWD -> 0.99 USD
    ['KWD', 100n, 307n, 99n],
    // 1.00 USD -> 15500.25 IDR -> 1.00 USD (exact both ways)
    ['IDR', 100n, 1550025n, 100n],
    // 1.00 USD -> 0.92 EUR -> 0.99 USD
    ['EUR', 100n, 92n, 99n],
  ])('USD -> %s -> USD: %p -> %p -> %p', (currency, cents, foreign, back) => {
    const rates = RATES as Record<string, Decimal>;
    const there = fromBaseCurrency({ minor: cents, currency: 'USD' }, currency, rates[currency]);
    expect(there.minor).toBe(foreign);
    expect(toBaseCurrency(there, 'USD', rates[currency]).minor).toBe(back);
  });

  const CURRENCIES = ['USD', 'JPY', 'KWD', 'IDR', 'EUR', 'BHD', 'CLF', 'VND', 'ISK', 'GBP'] as const;

  it('floors exactly, and round trips both ways never gain, for 4000 pseudo-random amounts, rates and currency pairs', () => {
    const random = prng(0xf0_2024n);
    for (let i = 0; i < 4000; i++) {
      const base = random.pick(CURRENCIES);
      const currency = random.pick(CURRENCIES);
      const rateValue: Decimal =
        base === currency
          ? { units: pow10(i % 5), scale: i % 5 }
          : { units: random.below(pow10(1 + random.int(16))) + 1n, scale: random.int(13) };
      const amount = random.below(pow10(random.int(19)) + 1n);
      const bd = digits(base);
      const cd = digits(currency);

      // toBaseCurrency is the exact value floored: b <= amount * 10^bd * 10^s / (R * 10^cd) < b + 1
      const b = toBaseCurrency({ minor: amount, currency }, base, rateValue);
      expect(b.currency).toBe(base);
      const num = amount * pow10(bd) * pow10(rateValue.scale);
      const den = rateValue.units * pow10(cd);
      expect(b.minor * den <= num && num < (b.minor + 1n) * den).toBe(true);

      // fromBaseCurrency likewise: t <= amount * R * 10^cd / (10^s * 10^bd) < t + 1
      const t = fromBaseCurrency({ minor: amount, currency: base }, currency, rateValue);
      expect(t.currency).toBe(currency);
      const num2 = amount * rateValue.units * pow10(cd);
      const den2 = pow10(rateValue.scale) * pow10(bd);
      expect(t.minor * den2 <= num2 && num2 < (t.minor + 1n) * den2).toBe(true);

      // to the (possibly weak) currency and back never yields more than it started with; nor the other way
      expect(toBaseCurrency(t, base, rateValue).minor <= amount).toBe(true);
      expect(fromBaseCurrency(b, currency, rateValue).minor <= amount).toBe(true);

      // one more minor unit never converts to less (monotone)
      expect(toBaseCurrency({ minor: amount + 1n, currency }, base, rateValue).minor >= b.minor).toBe(true);
      expect(fromBaseCurrency({ minor: amount + 1n, currency: base }, currency, rateValue).minor >= t.minor).toBe(true);

      if (base === currency) {
        expect(b.minor).toBe(amount);
        expect(t.minor).toBe(amount);
      }
    }
  });

  it('USD -> JPY/KWD/IDR/EUR -> USD loses less than what one target minor unit is worth, for 2000 amounts each', () => {
    const random = prng(0x0de_ba5en);
    for (const currency of ['JPY', 'KWD', 'IDR', 'EUR'] as const) {
      const r = RATES[currency];
      for (let i = 0; i < 2000; i++) {
        const cents = random.below(pow10(1 + random.int(15)));
        const there = fromBaseCurrency({ minor: cents, currency: 'USD' }, currency, r);
        const back = toBaseCurrency(there, 'USD', r).minor;
        expect(back <= cents).toBe(true);
        // The loss is under one target minor unit (worth 10^s * 10^2 / (R * 10^cd) cents) plus one cent of flooring.
        const lossBound = (pow10(r.scale) * 100n) / (r.units * pow10(digits(currency))) + 2n;
        expect(cents - back < lossBound).toBe(true);
      }
    }
  });
});

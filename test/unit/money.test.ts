import { describe, it, expect } from '@jest/globals';
import { formatMoney, parseMoney } from '../../src/money/money';
import { isCurrencyCode, minorUnitDigits } from '../../src/money/currency';
import { badInput } from '../helpers/errors';

describe('minorUnitDigits', () => {
  it.each([
    ['JPY', 0],
    ['USD', 2],
    ['EUR', 2],
    ['KWD', 3],
    ['BHD', 3],
    ['XAF', 0],
  ])('%s has %i minor digits', (code, digits) => {
    expect(minorUnitDigits(code)).toBe(digits);
    expect(isCurrencyCode(code)).toBe(true);
  });

  it.each(['XAU', 'XAG', 'XXX', 'XTS', 'XDR', 'ZZZ', ''])('%p is not a tender currency', (code) => {
    expect(minorUnitDigits(code)).toBeUndefined();
    expect(isCurrencyCode(code)).toBe(false);
  });
});

describe('parseMoney', () => {
  it.each([
    ['12.34', 'USD', 1234n],
    ['1500', 'JPY', 1500n],
    ['1.250', 'KWD', 1250n],
    ['1.2', 'USD', 120n],
    ['1', 'USD', 100n],
    ['0.01', 'USD', 1n],
    ['0.001', 'KWD', 1n],
    ['007.5', 'USD', 750n],
    ['90071992547409931.23', 'USD', 9007199254740993123n],
  ])('parses %p %s as %p minor units', (amount, currency, minor) => {
    expect(parseMoney(amount, currency, 'price')).toEqual({ minor, currency });
  });

  it('accepts a lower-case or padded currency code and returns it upper-cased', () => {
    expect(parseMoney('12.34', 'usd', 'price')).toEqual({ minor: 1234n, currency: 'USD' });
    expect(parseMoney('5', ' jpy ', 'price')).toEqual({ minor: 5n, currency: 'JPY' });
  });

  it('trims the amount before matching', () => {
    expect(parseMoney(' 12', 'USD', 'price')).toEqual({ minor: 1200n, currency: 'USD' });
    expect(parseMoney('3.5\n', 'USD', 'price')).toEqual({ minor: 350n, currency: 'USD' });
  });

  it('rejects more fraction digits than the currency has', () => {
    const usd = badInput(() => parseMoney('12.345', 'USD', 'price'));
    expect(usd.field).toBe('price.amount');
    expect(usd.message).toBe('price.amount: USD has 2 fraction digits; "12.345" has 3');

    expect(badInput(() => parseMoney('1.5', 'JPY', 'price')).field).toBe('price.amount');
    expect(badInput(() => parseMoney('1.0', 'JPY', 'price')).field).toBe('price.amount');
    expect(badInput(() => parseMoney('1.2500', 'KWD', 'price')).field).toBe('price.amount');
  });

  it.each(['ABC', 'XAU', 'XXX', 'ZZZ', ''])('rejects the currency %p naming the currency field', (currency) => {
    const error = badInput(() => parseMoney('1', currency, 'price'));
    expect(error.field).toBe('price.currency');
    expect(error.message).toBe(`price.currency: unknown currency "${currency}"`);
  });

  it('checks the currency before the amount', () => {
    expect(badInput(() => parseMoney('not money', 'ABC', 'price')).field).toBe('price.currency');
  });

  it.each(['0', '0.00', '000', '0.0'])('rejects the zero amount %p unless allowZero', (amount) => {
    const error = badInput(() => parseMoney(amount, 'USD', 'price'));
    expect(error.field).toBe('price.amount');
    expect(error.message).toBe('price.amount: must be greater than zero');
    expect(parseMoney(amount, 'USD', 'price', { allowZero: true })).toEqual({ minor: 0n, currency: 'USD' });
  });

  it.each(['+1', '1e3', '', '   ', '12.', '.5', '1,5', '1.2.3', '1 000', '0x10', 'Infinity', 'NaN', '١٢'])(
    'rejects the malformed amount %p naming the amount field',
    (amount) => {
      const error = badInput(() => parseMoney(amount, 'USD', 'price'));
      expect(error.field).toBe('price.amount');
      expect(error.message).toBe(`price.amount: "${amount}" is not a decimal amount such as 12.34`);
    },
  );

  it('says a negative amount must be positive, not that it is malformed', () => {
    expect(badInput(() => parseMoney('-5', 'USD', 'amount')).message).toBe('amount.amount: must be greater than zero; "-5" is not');
    expect(badInput(() => parseMoney(' -0.50', 'USD', 'cart', { allowZero: true })).message).toBe('cart.amount: must not be negative; " -0.50" is');
  });

  it('rejects malformed amounts even when zero is allowed', () => {
    expect(badInput(() => parseMoney('-0', 'USD', 'cost', { allowZero: true })).field).toBe('cost.amount');
  });
});

describe('formatMoney', () => {
  it.each([
    [1234n, 'USD', '12.34'],
    [5n, 'USD', '0.05'],
    [50n, 'USD', '0.50'],
    [0n, 'USD', '0.00'],
    [100n, 'USD', '1.00'],
    [1500n, 'JPY', '1500'],
    [0n, 'JPY', '0'],
    [1250n, 'KWD', '1.250'],
    [7n, 'KWD', '0.007'],
    [-5n, 'USD', '-0.05'],
    [-1234n, 'USD', '-12.34'],
    [-3n, 'JPY', '-3'],
    [9007199254740993123n, 'USD', '90071992547409931.23'],
  ])('formats %p %s as %p', (minor, currency, text) => {
    expect(formatMoney({ minor, currency })).toBe(text);
  });

  it('throws for a currency it does not know', () => {
    expect(() => formatMoney({ minor: 1n, currency: 'XAU' })).toThrow('unknown currency XAU');
  });

  it.each([
    ['12.34', 'USD', '12.34'],
    ['1.2', 'USD', '1.20'],
    ['007', 'USD', '7.00'],
    ['1500', 'JPY', '1500'],
    ['1.25', 'KWD', '1.250'],
    ['0.001', 'BHD', '0.001'],
  ])('round-trips %p %s through parse and format as %p', (amount, currency, text) => {
    const parsed = parseMoney(amount, currency, 'price');
    expect(formatMoney(parsed)).toBe(text);
    expect(parseMoney(formatMoney(parsed), currency, 'price')).toEqual(parsed);
  });

  it('format then parse returns the same minor value for 200 pseudo-random amounts per currency', () => {
    // A fixed-seed linear congruential generator: reproducible without extra libraries.
    let state = 0x2545f491n;
    const next = () => {
      state = (state * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n;
      return state;
    };
    for (const currency of ['USD', 'JPY', 'KWD']) {
      for (let i = 0; i < 200; i++) {
        // Spread magnitudes: from single minor units up to ~10^18.
        const minor = (next() % 10n ** BigInt(1 + (i % 18))) + 1n;
        const text = formatMoney({ minor, currency });
        const digits = minorUnitDigits(currency)!;
        if (digits > 0) expect(text).toMatch(new RegExp(`^\\d+\\.\\d{${digits}}$`));
        else expect(text).toMatch(/^\d+$/);
        expect(parseMoney(text, currency, 'price')).toEqual({ minor, currency });
      }
    }
  });
});

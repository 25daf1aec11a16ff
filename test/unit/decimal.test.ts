import { describe, it, expect } from '@jest/globals';
import { ceilDiv, Decimal, floorDiv, formatDecimal, parseDecimal } from '../../src/money/decimal';
import { badInput } from '../helpers/errors';
import { prng } from '../helpers/random';

/** Two decimals are equal in value (not necessarily in scale). */
function sameValue(a: Decimal, b: Decimal): boolean {
  return a.units * 10n ** BigInt(b.scale) === b.units * 10n ** BigInt(a.scale);
}

describe('parseDecimal', () => {
  it.each([
    ['15500.25', 1550025n, 2],
    ['1', 1n, 0],
    ['0.0064', 64n, 4],
    ['0.3072', 3072n, 4],
    ['151.37', 15137n, 2],
    ['0.01', 1n, 2],
    ['1.50', 150n, 2],
    ['2.000', 2000n, 3],
    ['007.5', 75n, 1],
    ['0.000000000001', 1n, 12],
    ['999999999999.999999999999', 999999999999999999999999n, 12],
    ['123456789012345678901234567890', 123456789012345678901234567890n, 0],
  ])('parses %p as %p / 10^%p', (text, units, scale) => {
    expect(parseDecimal(text, 'rate')).toEqual({ units, scale });
  });

  it('trims whitespace', () => {
    expect(parseDecimal('  0.5 ', 'rate')).toEqual({ units: 5n, scale: 1 });
    expect(parseDecimal('\t12\n', 'rate')).toEqual({ units: 12n, scale: 0 });
  });

  it.each(['+1', '1e3', '1E-2', '', '   ', '12.', '.5', '1,5', '1.2.3', '1 000', '0x10', 'Infinity', 'NaN', '١٢', '1_000', '½'])(
    'rejects the malformed decimal %p naming the field as given',
    (text) => {
      const error = badInput(() => parseDecimal(text, 'rates.IDR'));
      expect(error.field).toBe('rates.IDR');
      expect(error.message).toBe(`rates.IDR: "${text}" is not a decimal number such as 1.25`);
    },
  );

  it('says a negative value must be positive, not that it is malformed', () => {
    expect(badInput(() => parseDecimal('-1.5', 'rate')).message).toBe('rate: must be greater than zero; "-1.5" is not');
    expect(badInput(() => parseDecimal('-2', 'earnRate', { allowZero: true })).message).toBe('earnRate: must not be negative; "-2" is');
  });

  it('rejects malformed input even when zero is allowed', () => {
    expect(badInput(() => parseDecimal('-0', 'rate', { allowZero: true })).field).toBe('rate');
  });

  it('rejects a non-string at run time as malformed', () => {
    expect(badInput(() => parseDecimal(12 as unknown as string, 'rate')).message).toBe('rate: "12" is not a decimal number such as 1.25');
  });

  it('rejects more than 12 fraction digits', () => {
    const error = badInput(() => parseDecimal('0.0000000000001', 'pointValue'));
    expect(error.field).toBe('pointValue');
    expect(error.message).toBe('pointValue: at most 12 fraction digits are allowed; "0.0000000000001" has 13');
    // Even trailing zeros count: the text is what is checked.
    expect(badInput(() => parseDecimal('1.0000000000000', 'pointValue')).field).toBe('pointValue');
    expect(badInput(() => parseDecimal('0.0000000000000', 'pointValue', { allowZero: true })).field).toBe('pointValue');
  });

  it.each(['0', '0.00', '000', '0.000000000000'])('rejects the zero %p unless allowZero', (text) => {
    const error = badInput(() => parseDecimal(text, 'share'));
    expect(error.field).toBe('share');
    expect(error.message).toBe('share: must be greater than zero');
    const zero = parseDecimal(text, 'share', { allowZero: true });
    expect(zero.units).toBe(0n);
    expect(formatDecimal(zero)).toBe('0');
  });

  it('accepts a positive value with allowZero as usual', () => {
    expect(parseDecimal('0.5', 'share', { allowZero: true })).toEqual({ units: 5n, scale: 1 });
    expect(parseDecimal('0.5', 'share', { allowZero: false })).toEqual({ units: 5n, scale: 1 });
  });
});

describe('formatDecimal', () => {
  it.each([
    [150n, 2, '1.5'],
    [2000n, 3, '2'],
    [64n, 4, '0.0064'],
    [1550025n, 2, '15500.25'],
    [15137n, 2, '151.37'],
    [5n, 1, '0.5'],
    [5n, 0, '5'],
    [10n, 0, '10'],
    [100n, 1, '10'],
    [0n, 0, '0'],
    [0n, 5, '0'],
    [1n, 12, '0.000000000001'],
    [1000000000000n, 12, '1'],
    [1010n, 3, '1.01'],
    [123456789012345678901234567890n, 0, '123456789012345678901234567890'],
    [123456789012345678901234567890n, 20, '1234567890.1234567890123456789'],
  ])('formats %p / 10^%p as %p', (units, scale, text) => {
    expect(formatDecimal({ units, scale })).toBe(text);
  });

  it.each([
    ['1.50', '1.5'],
    ['2.000', '2'],
    ['0.0064', '0.0064'],
    ['007.50', '7.5'],
    ['15500.25', '15500.25'],
    ['0.010', '0.01'],
  ])('parse then format %p gives the canonical %p', (text, canonical) => {
    expect(formatDecimal(parseDecimal(text, 'x'))).toBe(canonical);
  });

  it.each([
    [{ units: -1n, scale: 0 }],
    [{ units: 1n, scale: -1 }],
    [{ units: 1n, scale: 1.5 }],
    [{ units: 1n, scale: Number.NaN }],
  ])('rejects the malformed Decimal %p', (value) => {
    expect(() => formatDecimal(value)).toThrow(RangeError);
  });

  it('round-trips 3000 pseudo-random decimals: format is canonical and parses back to the same value', () => {
    const random = prng(0x5eed_dec1n);
    for (let i = 0; i < 3000; i++) {
      const scale = random.int(13);
      const units = random.below(10n ** BigInt(1 + random.int(24)));
      const value = { units, scale };
      const text = formatDecimal(value);
      expect(text).toMatch(/^(0|[1-9]\d*)(\.\d*[1-9])?$/);
      const parsed = parseDecimal(text, 'x', { allowZero: true });
      expect(sameValue(parsed, value)).toBe(true);
      expect(formatDecimal(parsed)).toBe(text);
      // Padding the fraction with zeros (up to the 12-digit limit) changes nothing.
      const fractionDigits = text.includes('.') ? text.length - text.indexOf('.') - 1 : 0;
      if (fractionDigits < 12) {
        const padded = parseDecimal(text.includes('.') ? `${text}0` : `${text}.0`, 'x', { allowZero: true });
        expect(formatDecimal(padded)).toBe(text);
      }
    }
  });
});

describe('floorDiv and ceilDiv', () => {
  it.each([
    [7n, 2n, 3n, 4n],
    [-7n, 2n, -4n, -3n],
    [6n, 2n, 3n, 3n],
    [-6n, 2n, -3n, -3n],
    [0n, 5n, 0n, 0n],
    [1n, 5n, 0n, 1n],
    [-1n, 5n, -1n, 0n],
    [4n, 5n, 0n, 1n],
    [-4n, 5n, -1n, 0n],
    [5n, 1n, 5n, 5n],
    [-5n, 1n, -5n, -5n],
    [10n ** 30n + 1n, 10n ** 15n, 10n ** 15n, 10n ** 15n + 1n],
    [-(10n ** 30n) - 1n, 10n ** 15n, -(10n ** 15n) - 1n, -(10n ** 15n)],
  ])('%p / %p: floor %p, ceil %p', (numerator, denominator, floor, ceil) => {
    expect(floorDiv(numerator, denominator)).toBe(floor);
    expect(ceilDiv(numerator, denominator)).toBe(ceil);
  });

  it.each([0n, -1n, -7n])('rejects the denominator %p', (denominator) => {
    expect(() => floorDiv(7n, denominator)).toThrow(RangeError);
    expect(() => ceilDiv(7n, denominator)).toThrow(RangeError);
  });

  it('brackets the exact quotient for 5000 pseudo-random numerators of both signs', () => {
    const random = prng(0xf100_2c11n);
    for (let i = 0; i < 5000; i++) {
      const magnitude = random.below(10n ** BigInt(random.int(30)));
      const numerator = random.int(2) === 0 ? magnitude : -magnitude;
      const denominator = random.below(10n ** BigInt(1 + random.int(20))) + 1n;
      const floor = floorDiv(numerator, denominator);
      const ceil = ceilDiv(numerator, denominator);
      expect(floor * denominator <= numerator && numerator < (floor + 1n) * denominator).toBe(true);
      expect((ceil - 1n) * denominator < numerator && numerator <= ceil * denominator).toBe(true);
      expect(ceil - floor).toBe(numerator % denominator === 0n ? 0n : 1n);
      expect(ceilDiv(numerator, denominator)).toBe(-floorDiv(-numerator, denominator));
    }
  });
});

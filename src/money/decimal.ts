import { BadUserInputError } from '../errors';

/** A non-negative exact decimal as an integer over a power of ten: value = units / 10^scale. */
export interface Decimal {
  units: bigint;
  scale: number;
}

/** The most fraction digits parseDecimal accepts. */
const MAX_FRACTION_DIGITS = 12;

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/**
 * Parses "15500.25", "1", "0.0064" (digits, optional fraction; up to 12 fraction digits; no sign, no exponent).
 * Throws BadUserInputError(field, ...) from src/errors.ts on anything else, on zero when !allowZero, and on more
 * than 12 fraction digits. Trims whitespace.
 *
 * The result keeps the digits as written: its scale is the number of fraction digits in the text
 * ("1.50" -> { units: 150n, scale: 2 }); the value is exact either way.
 */
export function parseDecimal(text: string, field: string, options: { allowZero?: boolean } = {}): Decimal {
  const match = typeof text === 'string' ? DECIMAL.exec(text.trim()) : null;
  if (!match && typeof text === 'string' && /^-\s*\d+(?:\.\d+)?$/.test(text.trim())) {
    throw new BadUserInputError(field, options.allowZero ? `must not be negative; "${text}" is` : `must be greater than zero; "${text}" is not`);
  }
  if (!match) throw new BadUserInputError(field, `"${String(text)}" is not a decimal number such as 1.25`);
  const [, whole, fraction = ''] = match;
  if (fraction.length > MAX_FRACTION_DIGITS) {
    throw new BadUserInputError(field, `at most ${MAX_FRACTION_DIGITS} fraction digits are allowed; "${text}" has ${fraction.length}`);
  }
  const units = BigInt(whole + fraction);
  if (units === 0n && !options.allowZero) throw new BadUserInputError(field, 'must be greater than zero');
  return { units, scale: fraction.length };
}

/** Canonical string: no trailing fraction zeros, no trailing dot ("1.50" -> "1.5", "2.000" -> "2", "0.0064"). */
export function formatDecimal(value: Decimal): string {
  assertDecimal(value);
  const { units, scale } = value;
  if (scale === 0) return units.toString();
  const digits = units.toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, -scale);
  const fraction = digits.slice(-scale).replace(/0+$/, '');
  return fraction === '' ? whole : `${whole}.${fraction}`;
}

/** floor(numerator / denominator) for any sign of numerator; denominator > 0. floor(-7/2) = -4. */
export function floorDiv(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError(`floorDiv: denominator must be positive, got ${denominator}`);
  const quotient = numerator / denominator; // truncates toward zero
  return numerator % denominator < 0n ? quotient - 1n : quotient;
}

/** ceil(numerator / denominator) for any sign of numerator; denominator > 0. ceil(-7/2) = -3. */
export function ceilDiv(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError(`ceilDiv: denominator must be positive, got ${denominator}`);
  const quotient = numerator / denominator; // truncates toward zero
  return numerator % denominator > 0n ? quotient + 1n : quotient;
}

/** Throws a RangeError unless `value` is a well-formed Decimal (bigint units >= 0, integer scale >= 0). */
function assertDecimal(value: Decimal): void {
  if (typeof value.units !== 'bigint' || value.units < 0n) {
    throw new RangeError(`a Decimal needs non-negative bigint units, got ${String(value.units)}`);
  }
  if (!Number.isSafeInteger(value.scale) || value.scale < 0) {
    throw new RangeError(`a Decimal needs a non-negative integer scale, got ${String(value.scale)}`);
  }
}

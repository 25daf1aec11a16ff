import { BadUserInputError } from '../errors';
import { minorUnitDigits } from './currency';

/** An amount of money as integer minor units of an ISO 4217 currency. */
export interface Money {
  minor: bigint;
  currency: string;
}

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;
const NEGATIVE_DECIMAL = /^-\s*\d+(?:\.\d+)?$/;

/**
 * Parses a decimal string in major units ("12.34" USD, "1500" JPY) into minor units.
 * Rejects unknown currencies, more fraction digits than the currency has, negative amounts and (unless allowed) zero.
 * `field` names the input field in the error.
 */
export function parseMoney(amount: string, currencyCode: string, field: string, options: { allowZero?: boolean } = {}): Money {
  const currency = currencyCode.trim().toUpperCase();
  const digits = minorUnitDigits(currency);
  if (digits === undefined) throw new BadUserInputError(`${field}.currency`, `unknown currency "${currencyCode}"`);
  const match = DECIMAL.exec(amount.trim());
  if (!match && NEGATIVE_DECIMAL.test(amount.trim())) {
    throw new BadUserInputError(`${field}.amount`, options.allowZero ? `must not be negative; "${amount}" is` : `must be greater than zero; "${amount}" is not`);
  }
  if (!match) throw new BadUserInputError(`${field}.amount`, `"${amount}" is not a decimal amount such as 12.34`);
  const [, whole, fraction = ''] = match;
  if (fraction.length > digits) {
    throw new BadUserInputError(`${field}.amount`, `${currency} has ${digits} fraction digits; "${amount}" has ${fraction.length}`);
  }
  const minor = BigInt(whole) * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, '0') || '0');
  if (minor === 0n && !options.allowZero) throw new BadUserInputError(`${field}.amount`, 'must be greater than zero');
  return { minor, currency };
}

/** Formats minor units as a decimal string in major units with exactly the currency's digits. */
export function formatMoney(money: Money): string {
  const digits = minorUnitDigits(money.currency);
  if (digits === undefined) throw new Error(`unknown currency ${money.currency}`);
  const sign = money.minor < 0n ? '-' : '';
  const absolute = (money.minor < 0n ? -money.minor : money.minor).toString().padStart(digits + 1, '0');
  if (digits === 0) return sign + absolute;
  return `${sign}${absolute.slice(0, -digits)}.${absolute.slice(-digits)}`;
}

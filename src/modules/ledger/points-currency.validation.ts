import { BadUserInputError, checkFields } from '../../errors';
import { formatDecimal, parseDecimal } from '../../money/decimal';

/** A points currency code: 2 to 16 upper-case letters, digits or "_", starting with a letter (PTS, STATUS, COINS). */
export const CODE = /^[A-Z][A-Z0-9_]{1,15}$/;

export function validatePointsCurrencyCode(code: string): string {
  const normalised = code.trim().toUpperCase();
  if (!CODE.test(normalised)) throw new BadUserInputError('code', 'must be 2 to 16 upper-case letters, digits or "_", starting with a letter');
  return normalised;
}

export interface CreatePointsCurrency {
  code: string;
  name: string;
  valueInBase: string;
  expiryMonths: number;
  earnsOnOrders: boolean;
  earnRate: string;
}

/** The checks of a points currency's settings, one per field: createPointsCurrency and updatePointsCurrency share them. */
export const pointsCurrencyFieldChecks = {
  name(value: string): string {
    const name = value.trim();
    if (!name || name.length > 100) throw new BadUserInputError('name', 'must be 1 to 100 characters');
    return name;
  },
  valueInBase: (value: string): string => formatDecimal(parseDecimal(value, 'valueInBase', { allowZero: true })),
  earnRate: (value: string): string => formatDecimal(parseDecimal(value, 'earnRate', { allowZero: true })),
  expiryMonths(value: number): number {
    if (!Number.isInteger(value) || value < 1 || value > 120) throw new BadUserInputError('expiryMonths', 'must be a whole number of months from 1 to 120');
    return value;
  },
};

/** createPointsCurrency's input, every field checked (all problems reported together); normalised as it is stored. */
export function pointsCurrencyInputOrFail(input: CreatePointsCurrency) {
  return checkFields({
    code: () => validatePointsCurrencyCode(input.code),
    name: () => pointsCurrencyFieldChecks.name(input.name),
    valueInBase: () => pointsCurrencyFieldChecks.valueInBase(input.valueInBase),
    earnRate: () => pointsCurrencyFieldChecks.earnRate(input.earnRate),
    expiryMonths: () => pointsCurrencyFieldChecks.expiryMonths(input.expiryMonths),
  });
}

/**
 * What updatePointsCurrency may change: the settings that only act from now on. The name; valueInBase (what a point
 * is worth in redemption quotes from now on: holds already made keep their discount); earnRate and earnsOnOrders
 * (orders recorded from now on); expiryMonths (lots created from now on: a lot's expiry is stored when it is
 * created). The code never changes (accounts, transfers and lots refer to it), and no ledger amount is rewritten.
 */
export interface UpdatePointsCurrency {
  code: string;
  name?: string | null;
  valueInBase?: string | null;
  expiryMonths?: number | null;
  earnsOnOrders?: boolean | null;
  earnRate?: string | null;
}

/** updatePointsCurrency's input, every field checked (all problems reported together); null: the field keeps its value. */
export function pointsCurrencyUpdateOrFail(input: UpdatePointsCurrency) {
  return checkFields({
    code: () => validatePointsCurrencyCode(input.code),
    name: () => (input.name == null ? null : pointsCurrencyFieldChecks.name(input.name)),
    valueInBase: () => (input.valueInBase == null ? null : pointsCurrencyFieldChecks.valueInBase(input.valueInBase)),
    earnRate: () => (input.earnRate == null ? null : pointsCurrencyFieldChecks.earnRate(input.earnRate)),
    expiryMonths: () => (input.expiryMonths == null ? null : pointsCurrencyFieldChecks.expiryMonths(input.expiryMonths)),
    earnsOnOrders: () => input.earnsOnOrders ?? null,
  });
}

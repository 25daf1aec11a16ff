import type { AuditService } from '../audit/audit.service';
import type { EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError } from '../../errors';
import { Decimal, formatDecimal, parseDecimal } from '../../money/decimal';
import { PointsCurrency } from './points-currency.entity';

export const DEFAULT_POINTS_CURRENCY = 'PTS';

export interface PointsCurrencySettings {
  code: string;
  name: string;
  valueInBase: Decimal;
  earnRate: Decimal;
  expiryMonths: number;
  earnsOnOrders: boolean;
}

const CODE = /^[A-Z][A-Z0-9_]{1,15}$/;

export function toSettings(currency: Pick<PointsCurrency, 'code' | 'name' | 'valueInBase' | 'earnRate' | 'expiryMonths' | 'earnsOnOrders'>): PointsCurrencySettings {
  return {
    code: currency.code,
    name: currency.name,
    valueInBase: parseDecimal(currency.valueInBase, 'valueInBase', { allowZero: true }),
    earnRate: parseDecimal(currency.earnRate, 'earnRate', { allowZero: true }),
    expiryMonths: currency.expiryMonths,
    earnsOnOrders: currency.earnsOnOrders,
  };
}

/** `code` (PTS when not given) normalised, or BAD_USER_INPUT naming `field` when it cannot be a points currency code. Does not look it up. */
export function pointsCurrencyCodeOrFail(code: string | null | undefined, field = 'currency'): string {
  const normalised = (code ?? DEFAULT_POINTS_CURRENCY).trim().toUpperCase();
  if (!CODE.test(normalised)) throw new BadUserInputError(field, `unknown points currency "${code}"`);
  return normalised;
}

/** The points currency `code`, or BAD_USER_INPUT naming `field`. */
export async function pointsCurrencyOrFail(em: EntityManager, code: string | null | undefined, field = 'currency'): Promise<PointsCurrencySettings> {
  const normalised = (code ?? DEFAULT_POINTS_CURRENCY).trim().toUpperCase();
  const currency = CODE.test(normalised) ? await em.findOne(PointsCurrency, { code: normalised }) : null;
  if (!currency) throw new BadUserInputError(field, `unknown points currency "${code}"`);
  return toSettings(currency);
}

/** Every points currency whose balance recorded orders earn. */
export async function earningCurrencies(em: EntityManager): Promise<PointsCurrencySettings[]> {
  return (await em.find(PointsCurrency, { earnsOnOrders: true }, { orderBy: { code: 'asc' } })).map(toSettings);
}

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

/** Adds a points currency (admin), audited in the same transaction. Its code must be new. */
export async function createPointsCurrency(em: EntityManager, input: CreatePointsCurrency, audit: AuditService): Promise<PointsCurrency> {
  const code = validatePointsCurrencyCode(input.code);
  const name = input.name.trim();
  if (!name || name.length > 100) throw new BadUserInputError('name', 'must be 1 to 100 characters');
  const valueInBase = formatDecimal(parseDecimal(input.valueInBase, 'valueInBase', { allowZero: true }));
  const earnRate = formatDecimal(parseDecimal(input.earnRate, 'earnRate', { allowZero: true }));
  if (!Number.isInteger(input.expiryMonths) || input.expiryMonths < 1 || input.expiryMonths > 120) {
    throw new BadUserInputError('expiryMonths', 'must be a whole number of months from 1 to 120');
  }
  return em.transactional(async (tx) => {
    if (await tx.findOne(PointsCurrency, { code })) throw new BadUserInputError('code', `${code} already exists`);
    const currency = tx.create(PointsCurrency, { code, name, valueInBase, earnRate, expiryMonths: input.expiryMonths, earnsOnOrders: input.earnsOnOrders });
    await tx.persistAndFlush(currency);
    await audit.record('points-currency.create', [null], { code }, tx);
    return currency;
  });
}

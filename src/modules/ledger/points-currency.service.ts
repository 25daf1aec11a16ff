import type { EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError } from '../../errors';
import { Decimal, parseDecimal } from '../../money/decimal';
import { PointsCurrency } from './points-currency.entity';
import { CODE } from './points-currency.validation';

export type { CreatePointsCurrency } from './points-currency.validation';

export const DEFAULT_POINTS_CURRENCY = 'PTS';

export interface PointsCurrencySettings {
  code: string;
  name: string;
  valueInBase: Decimal;
  earnRate: Decimal;
  expiryMonths: number;
  earnsOnOrders: boolean;
}

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

import type { EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError } from '../../errors';
import { isCurrencyCode } from '../../money/currency';
import { ExchangeRate } from './exchange-rate.entity';

/** The longest rate history one read returns. */
export const RATE_HISTORY_LIMIT = 100;

/** The rate in force now for every currency that has one, by currency (one read over the lookup index). */
export async function currentRates(em: EntityManager, now: Date): Promise<ExchangeRate[]> {
  const rows = await em.execute<{ id: string }[]>(
    `select distinct on (currency) id from exchange_rates where effective_at <= ? order by currency, effective_at desc`,
    [now],
  );
  if (rows.length === 0) return [];
  return em.find(ExchangeRate, { id: { $in: rows.map((row) => String(row.id)) } }, { orderBy: { currency: 'asc' } });
}

/** One currency's rates, latest effective first (scheduled future rates included), at most `first`. */
export async function rateHistory(em: EntityManager, currencyCode: string, first: number): Promise<ExchangeRate[]> {
  const currency = currencyCode.trim().toUpperCase();
  if (!isCurrencyCode(currency)) throw new BadUserInputError('currency', `unknown currency "${currencyCode}"`);
  if (!Number.isInteger(first) || first < 1 || first > RATE_HISTORY_LIMIT) throw new BadUserInputError('first', `must be 1 to ${RATE_HISTORY_LIMIT}`);
  return em.find(ExchangeRate, { currency }, { orderBy: { effectiveAt: 'desc' }, limit: first });
}

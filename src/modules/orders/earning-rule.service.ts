import type { AuditService } from '../audit/audit.service';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isISO31661Alpha2 } from 'class-validator';
import { BadUserInputError, checkFieldsAsync } from '../../errors';
import { formatDecimal, parseDecimal } from '../../money/decimal';
import { parseMoney } from '../../money/money';
import { pointsCurrencyOrFail } from '../ledger/points-currency.service';
import { EarningRule } from './earning-rule.entity';

export interface CreateEarningRule {
  code: string;
  name: string;
  currency?: string | null;
  markets?: string[] | null;
  startsAt?: Date | null;
  endsAt?: Date | null;
  minOrder?: { amount: string; currency: string } | null;
  firstOrderOnly: boolean;
  multiplier?: string | null;
  bonusPoints?: number | null;
}

const CODE = /^[A-Z0-9][A-Z0-9_-]{1,63}$/;

/** Adds a campaign earning rule (admin): conditions plus a multiplier and/or a fixed bonus. Audited in the same transaction. */
export async function createEarningRule(em: EntityManager, input: CreateEarningRule, baseCurrency: string, audit?: AuditService): Promise<EarningRule> {
  const { code, name, currency, markets, minOrderBaseMinor, multiplier, bonusPoints } = await checkFieldsAsync({
    code: () => {
      const code = input.code.trim().toUpperCase();
      if (!CODE.test(code)) throw new BadUserInputError('code', 'must be 2 to 64 letters, digits, "_" or "-"');
      return code;
    },
    name: () => {
      const name = input.name.trim();
      if (!name || name.length > 200) throw new BadUserInputError('name', 'must be 1 to 200 characters');
      return name;
    },
    currency: () => pointsCurrencyOrFail(em, input.currency),
    markets: () => {
      const markets = input.markets?.map((market) => market.trim().toUpperCase()) ?? null;
      if (markets && (markets.length === 0 || !markets.every((market) => isISO31661Alpha2(market)))) {
        throw new BadUserInputError('markets', 'must be ISO 3166-1 alpha-2 codes');
      }
      return markets;
    },
    window: () => {
      if (input.startsAt && input.endsAt && input.startsAt >= input.endsAt) throw new BadUserInputError('endsAt', 'must be after startsAt');
    },
    minOrderBaseMinor: () => {
      if (!input.minOrder) return null;
      const minOrder = parseMoney(input.minOrder.amount, input.minOrder.currency, 'minOrder');
      if (minOrder.currency !== baseCurrency) throw new BadUserInputError('minOrder.currency', `must be the base currency ${baseCurrency}`);
      return minOrder.minor;
    },
    multiplier: () => {
      if (input.multiplier == null && input.bonusPoints == null) throw new BadUserInputError('multiplier', 'give a multiplier, bonusPoints or both');
      return input.multiplier != null ? formatDecimal(parseDecimal(input.multiplier, 'multiplier')) : null;
    },
    bonusPoints: () => {
      const bonusPoints = input.bonusPoints ?? null;
      if (bonusPoints !== null && (!Number.isInteger(bonusPoints) || bonusPoints < 1)) throw new BadUserInputError('bonusPoints', 'must be a positive whole number');
      return bonusPoints;
    },
  });
  return em.transactional(async (tx) => {
  if (await tx.findOne(EarningRule, { code })) throw new BadUserInputError('code', `${code} already exists`);
  const rule = tx.create(EarningRule, {
    code,
    name,
    currency: currency.code,
    markets,
    startsAt: input.startsAt ?? null,
    endsAt: input.endsAt ?? null,
    minOrderBaseMinor,
    firstOrderOnly: input.firstOrderOnly,
    multiplier,
    bonusPoints,
  });
  await tx.persistAndFlush(rule);
  await audit?.record('earning-rule.create', [null], { code }, tx);
  return rule;
  });
}

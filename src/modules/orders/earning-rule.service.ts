import type { AuditService } from '../audit/audit.service';
import type { RequestScope } from '../../graphql/context';
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { isISO31661Alpha2 } from 'class-validator';
import { BadUserInputError, checkFields, checkFieldsAsync, NotFoundError } from '../../errors';
import { formatDecimal, parseDecimal } from '../../money/decimal';
import { formatMoney, parseMoney } from '../../money/money';
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

/** A change to a rule: a field left out (undefined) keeps its value, null clears it. The code and currency stay. */
export interface UpdateEarningRule {
  id: string;
  name?: string | null;
  markets?: string[] | null;
  startsAt?: Date | null;
  endsAt?: Date | null;
  minOrder?: { amount: string; currency: string } | null;
  firstOrderOnly?: boolean | null;
  multiplier?: string | null;
  bonusPoints?: number | null;
}

type RuleTerms = Pick<EarningRule, 'name' | 'markets' | 'startsAt' | 'endsAt' | 'minOrderBaseMinor' | 'firstOrderOnly' | 'multiplier' | 'bonusPoints'>;

const CODE = /^[A-Z0-9][A-Z0-9_-]{1,63}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The validated terms of a rule (everything but code and currency), or BAD_USER_INPUT naming every bad field. */
function ruleTermsOrFail(input: Omit<CreateEarningRule, 'code' | 'currency'>, baseCurrency: string): RuleTerms {
  const { name, markets, minOrderBaseMinor, multiplier, bonusPoints } = checkFields({
    name: () => {
      const name = input.name.trim();
      if (!name || name.length > 200) throw new BadUserInputError('name', 'must be 1 to 200 characters');
      return name;
    },
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
  return {
    name,
    markets,
    startsAt: input.startsAt ?? null,
    endsAt: input.endsAt ?? null,
    minOrderBaseMinor,
    firstOrderOnly: input.firstOrderOnly,
    multiplier,
    bonusPoints,
  };
}

/** Campaign earning rules (admin; the resolver checks the role). Each change is audited in its transaction. Stateless: the scope comes with each call. */
export class EarningRuleService {
  constructor(private readonly audit: AuditService) {}

  /** Adds a campaign earning rule (admin): conditions plus a multiplier and/or a fixed bonus. Audited in the same transaction. */
  async create(scope: RequestScope, input: CreateEarningRule): Promise<EarningRule> {
    const em = scope.em;
    const baseCurrency = scope.config.baseCurrency;
    const { code, currency, terms } = await checkFieldsAsync({
      code: () => {
        const code = input.code.trim().toUpperCase();
        if (!CODE.test(code)) throw new BadUserInputError('code', 'must be 2 to 64 letters, digits, "_" or "-"');
        return code;
      },
      currency: () => pointsCurrencyOrFail(em, input.currency),
      terms: () => ruleTermsOrFail(input, baseCurrency),
    });
    return em.transactional(async (tx) => {
      if (await tx.findOne(EarningRule, { code })) throw new BadUserInputError('code', `${code} already exists`);
      const rule = tx.create(EarningRule, { code, currency: currency.code, ...terms });
      await tx.persistAndFlush(rule);
      await this.audit.record(scope, 'earning-rule.create', [null], { code }, tx);
      return rule;
    });
  }

  /** Every earning rule, newest first: standing rules (no window) and campaigns (a window), ended ones included. */
  async list(scope: RequestScope): Promise<EarningRule[]> {
    return scope.em.find(EarningRule, { active: true }, { orderBy: { createdAt: 'desc', id: 'desc' } });
  }

  /** Changes a rule's terms (admin); the same checks as create. Audited in the same transaction. */
  async update(scope: RequestScope, input: UpdateEarningRule): Promise<EarningRule> {
    const baseCurrency = scope.config.baseCurrency;
    return scope.em.transactional(async (tx) => {
      const rule = await lockedRuleOrFail(tx, input.id);
      const keep = <T>(given: T | undefined, current: T) => (given === undefined ? current : given);
      const minOrder =
        input.minOrder === undefined
          ? rule.minOrderBaseMinor === null
            ? null
            : { amount: formatMoney({ minor: rule.minOrderBaseMinor, currency: baseCurrency }), currency: baseCurrency }
          : input.minOrder;
      const terms = ruleTermsOrFail(
        {
          name: input.name ?? rule.name,
          markets: keep(input.markets, rule.markets),
          startsAt: keep(input.startsAt, rule.startsAt),
          endsAt: keep(input.endsAt, rule.endsAt),
          minOrder,
          firstOrderOnly: input.firstOrderOnly ?? rule.firstOrderOnly,
          multiplier: keep(input.multiplier, rule.multiplier),
          bonusPoints: keep(input.bonusPoints, rule.bonusPoints),
        },
        baseCurrency,
      );
      tx.assign(rule, terms);
      await tx.flush();
      await this.audit.record(scope, 'earning-rule.update', [null], { code: rule.code, changed: Object.keys(input).filter((key) => key !== 'id' && (input as unknown as Record<string, unknown>)[key] !== undefined) }, tx);
      return rule;
    });
  }

  /**
   * Ends a rule now (admin): its window closes at `now`, so orders placed from now on no longer match it; a rule that
   * had not started yet gets the empty window [now, now). Ending an ended rule changes nothing. Audited.
   */
  async end(scope: RequestScope, id: string, now: Date = new Date()): Promise<EarningRule> {
    return scope.em.transactional(async (tx) => {
      const rule = await lockedRuleOrFail(tx, id);
      if (rule.endsAt && rule.endsAt <= now) return rule;
      if (rule.startsAt && rule.startsAt > now) rule.startsAt = now;
      rule.endsAt = now;
      await tx.flush();
      await this.audit.record(scope, 'earning-rule.end', [null], { code: rule.code, endsAt: now.toISOString() }, tx);
      return rule;
    });
  }
}

/** The rule, locked for update inside `tx`, or NOT_FOUND naming the id. */
async function lockedRuleOrFail(tx: EntityManager, id: string): Promise<EarningRule> {
  const rule = UUID.test(id) ? await tx.findOne(EarningRule, { id, active: true }, { lockMode: LockMode.PESSIMISTIC_WRITE }) : null;
  if (!rule) throw new NotFoundError(`earning rule ${id}`);
  return rule;
}

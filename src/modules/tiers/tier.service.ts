import type { AuditService } from '../audit/audit.service';
import type { RequestScope } from '../../graphql/context';
import type { EntityManager } from '@mikro-orm/postgresql';
import { BadUserInputError, checkFields, NotFoundError } from '../../errors';
import type { Config } from '../../config/config';
import { Decimal, formatDecimal, parseDecimal } from '../../money/decimal';
import { parseMoney } from '../../money/money';
import { addMonths } from '../../time';
import { netBaseAmountSql } from '../orders/order.sql';
import { Tier } from './tier.entity';
import { ladderProblem, TierDecision, TierRung, TierStanding, upgradeDecision } from './tier-policy';
import { localisedNamesOrFail, nameOrFail } from '../../localised-names';
import { enqueueTierChanges } from '../webhooks/events';
import { LOWEST_TIER_RANK_SQL } from './tier.sql';

/** The tier settings every tier computation needs (from Config). */
export type TierSettings = Pick<Config, 'baseCurrency' | 'tierWindowMonths' | 'tierRetentionMonths'>;

export interface LadderTier extends TierRung {
  name: string;
  names: Record<string, string>;
  earnMultiplier: string;
}

export interface LadderRow {
  code: string;
  name: string;
  names: Record<string, string> | null;
  rank: number;
  threshold_minor: string;
  earn_multiplier: string;
}

export function ladderTierOf(row: LadderRow): LadderTier {
  return {
    code: row.code,
    name: row.name,
    names: row.names ?? {},
    rank: row.rank,
    thresholdMinor: BigInt(row.threshold_minor),
    earnMultiplier: row.earn_multiplier,
  };
}

/** The ladder, lowest rank first. */
export async function loadLadder(em: EntityManager): Promise<LadderTier[]> {
  const rows = await em.execute<LadderRow[]>('select code, name, names, rank, threshold_minor, earn_multiplier from tiers order by rank');
  return rows.map(ladderTierOf);
}

/** The rank of the tier a member holds now (the lowest tier's rank when it has none stored). */
export async function memberTierRank(em: EntityManager, memberId: string): Promise<number> {
  const [row] = await em.execute<{ rank: number }[]>(
    `select coalesce((select t.rank from member_tiers mt join tiers t on t.code = mt.tier_code where mt.member_id = ?),
                     ${LOWEST_TIER_RANK_SQL}) as rank`,
    [memberId],
  );
  return row.rank;
}

/** The rank of a tier by code, or null when there is no such tier. */
export async function tierRank(em: EntityManager, code: string): Promise<number | null> {
  const [row] = await em.execute<{ rank: number }[]>('select rank from tiers where code = ?', [code.trim().toUpperCase()]);
  return row ? row.rank : null;
}

/** Start (exclusive) of the qualifying window that ends at `now` (inclusive). */
export function windowStart(now: Date, settings: TierSettings): Date {
  return addMonths(now, -settings.tierWindowMonths);
}

export function retainUntilFrom(settings: TierSettings): (now: Date) => Date {
  return (now) => addMonths(now, settings.tierRetentionMonths);
}

/**
 * Qualifying spend per member: orders placed in (now - window, now], in minor units of the base currency,
 * net of refunds (each order counts floor(base amount x unrefunded share)). Members without orders are absent.
 */
export async function qualifyingSpend(em: EntityManager, memberIds: string[], now: Date, settings: TierSettings): Promise<Map<string, bigint>> {
  if (memberIds.length === 0) return new Map();
  const rows = await em.execute<{ member_id: string; spend: string }[]>(
    `select member_id, sum(${netBaseAmountSql()})::text as spend
     from orders where member_id in (?) and placed_at > ? and placed_at <= ?
     group by member_id`,
    [memberIds, windowStart(now, settings), now],
  );
  return new Map(rows.map((row) => [row.member_id, BigInt(row.spend)]));
}

/** Stored standings (member_tiers rows) of the given members; members holding the lowest tier by default are absent. */
export async function standingsOf(em: EntityManager, memberIds: string[], options: { forUpdate?: boolean } = {}): Promise<Map<string, TierStanding>> {
  if (memberIds.length === 0) return new Map();
  const rows = await em.execute<{ member_id: string; tier_code: string; retain_until: string | Date | null }[]>(
    `select member_id, tier_code, retain_until from member_tiers where member_id in (?) order by member_id${options.forUpdate ? ' for update' : ''}`,
    [memberIds],
  );
  // Raw rows carry timestamps as text: the policy compares Dates.
  return new Map(rows.map((row) => [row.member_id, { tierCode: row.tier_code, retainUntil: row.retain_until === null ? null : new Date(row.retain_until) }]));
}

/** Writes tier decisions and their history rows, set-based: one statement each. */
export async function applyTierDecisions(
  tx: EntityManager,
  decisions: { memberId: string; fromTier: string; decision: TierDecision; spendMinor: bigint }[],
  now: Date,
): Promise<void> {
  if (decisions.length === 0) return;
  const values = decisions.map(() => '(?::uuid, ?, ?::timestamptz, ?::timestamptz)').join(', ');
  await tx.execute(
    `insert into member_tiers (member_id, tier_code, reached_at, retain_until) values ${values}
     on conflict (member_id) do update set
       tier_code = excluded.tier_code,
       reached_at = case when member_tiers.tier_code = excluded.tier_code then member_tiers.reached_at else excluded.reached_at end,
       retain_until = excluded.retain_until`,
    decisions.flatMap(({ memberId, decision }) => [memberId, decision.tierCode, now, decision.retainUntil]),
  );
  const history = decisions.map(() => '(?::uuid, ?, ?, ?, ?::bigint, ?::timestamptz)').join(', ');
  await tx.execute(
    `insert into member_tier_changes (member_id, from_tier, to_tier, reason, qualifying_spend_minor, changed_at) values ${history}`,
    decisions.flatMap(({ memberId, fromTier, decision, spendMinor }) => [memberId, fromTier, decision.tierCode, decision.reason, spendMinor.toString(), now]),
  );
  await enqueueTierChanges(tx, decisions.map(({ memberId, fromTier, decision }) => ({ memberId, from: fromTier, to: decision.tierCode })), now);
}

/**
 * The tier a member holds once an order is recorded: upgraded at once when its qualifying spend (including that
 * order) reaches a higher tier, so the order that crosses a threshold already earns at the new multiplier. The
 * decision, when there is one, is for the caller to apply (applyTierDecisions) in the order's transaction.
 */
export function tierAfterOrder(
  ladder: LadderTier[],
  standing: TierStanding,
  spendMinor: bigint,
  now: Date,
  settings: TierSettings,
): { tier: LadderTier; decision: TierDecision | null } {
  const decision = upgradeDecision(ladder, standing, spendMinor, now, retainUntilFrom(settings));
  const code = decision?.tierCode ?? standing.tierCode;
  return { tier: ladder.find((tier) => tier.code === code) ?? ladder[0], decision };
}

export function earnMultiplierOf(tier: LadderTier): Decimal {
  return parseDecimal(tier.earnMultiplier, 'earnMultiplier');
}

export interface TierInput {
  code: string;
  name?: string | null;
  names?: { locale: string; name: string }[] | null;
  rank?: number | null;
  threshold?: { amount: string; currency: string } | null;
  earnMultiplier?: string | null;
}

const CODE = /^[A-Z][A-Z0-9_]{1,31}$/;

export function codeOrFail(value: string, field: string): string {
  const code = value.trim().toUpperCase();
  if (!CODE.test(code)) throw new BadUserInputError(field, 'must be 2 to 32 letters, digits or "_", starting with a letter');
  return code;
}

/** Admin configuration of the ladder. Every change keeps the ladder valid (see ladderProblem). */
export class TierAdmin {
  constructor(private readonly audit: AuditService) {}

  async create(scope: RequestScope, input: TierInput): Promise<Tier> {
    const required = <T>(value: T | null | undefined, field: string): T => {
      if (value == null) throw new BadUserInputError(field, 'is required for a new tier');
      return value;
    };
    const { code, ...fields } = checkFields({
      code: () => codeOrFail(input.code, 'code'),
      name: () => nameOrFail(required(input.name, 'name'), 'name'),
      names: () => localisedNamesOrFail(input.names ?? [], 'names'),
      rank: () => this.rankOrFail(required(input.rank, 'rank')),
      thresholdMinor: () => this.thresholdOrFail(scope, required(input.threshold, 'threshold')),
      earnMultiplier: () => formatDecimal(parseDecimal(input.earnMultiplier ?? '1', 'earnMultiplier')),
    });
    return scope.em.transactional(async (tx) => {
      await this.lockLadder(tx);
      if (await tx.findOne(Tier, { code })) throw new BadUserInputError('code', `${code} already exists`);
      const tier = tx.create(Tier, { code, ...fields });
      await this.checkLadder(tx, tier);
      await tx.persistAndFlush(tier);
      await this.audit.record(scope, 'tier.create', [null], { code }, tx);
      return tier;
    });
  }

  async update(scope: RequestScope, input: TierInput): Promise<Tier> {
    const { code, name, names, rank, thresholdMinor, earnMultiplier } = checkFields({
      code: () => codeOrFail(input.code, 'code'),
      name: () => (input.name == null ? null : nameOrFail(input.name, 'name')),
      names: () => (input.names == null ? null : localisedNamesOrFail(input.names, 'names')),
      rank: () => (input.rank == null ? null : this.rankOrFail(input.rank)),
      thresholdMinor: () => (input.threshold == null ? null : this.thresholdOrFail(scope, input.threshold)),
      earnMultiplier: () => (input.earnMultiplier == null ? null : formatDecimal(parseDecimal(input.earnMultiplier, 'earnMultiplier'))),
    });
    return scope.em.transactional(async (tx) => {
      await this.lockLadder(tx);
      const tier = await tx.findOne(Tier, { code });
      if (!tier) throw new NotFoundError(`tier ${code}`);
      if (name !== null) tier.name = name;
      if (names !== null) tier.names = names;
      if (rank !== null) tier.rank = rank;
      if (thresholdMinor !== null) tier.thresholdMinor = thresholdMinor;
      if (earnMultiplier !== null) tier.earnMultiplier = earnMultiplier;
      await this.checkLadder(tx, tier);
      await tx.flush();
      await this.audit.record(scope, 'tier.update', [null], { code }, tx);
      return tier;
    });
  }

  /** Deletes a tier nobody holds (members keep their tier until a review moves them). */
  async delete(scope: RequestScope, codeInput: string): Promise<boolean> {
    const code = codeOrFail(codeInput, 'code');
    return scope.em.transactional(async (tx) => {
      await this.lockLadder(tx);
      const tier = await tx.findOne(Tier, { code });
      if (!tier) throw new NotFoundError(`tier ${code}`);
      const [{ holders }] = await tx.execute<{ holders: string }[]>('select count(*) as holders from member_tiers where tier_code = ?', [code]);
      if (Number(holders) > 0) throw new BadUserInputError('code', `${holders} members hold ${code}; it can be deleted once nobody does`);
      const ladder = (await loadLadder(tx)).filter((rung) => rung.code !== code);
      const problem = ladderProblem(ladder);
      if (problem) throw new BadUserInputError('code', problem);
      await tx.execute("delete from perk_grants where source_kind = 'TIER' and source_code = ?", [code]);
      await tx.execute('delete from tiers where code = ?', [code]);
      await this.audit.record(scope, 'tier.delete', [null], { code }, tx);
      return true;
    });
  }

  /** Ladder changes one at a time, so that two concurrent edits cannot together break it. */
  private async lockLadder(tx: EntityManager): Promise<void> {
    await tx.execute("select pg_advisory_xact_lock(hashtext('tiers:ladder'))");
  }

  private async checkLadder(tx: EntityManager, changed: Tier): Promise<void> {
    const ladder = (await loadLadder(tx)).filter((rung) => rung.code !== changed.code);
    const holder = ladder.find((rung) => rung.rank === changed.rank);
    if (holder) throw new BadUserInputError('rank', `rank ${changed.rank} is taken by ${holder.code}`);
    const problem = ladderProblem([...ladder, { code: changed.code, rank: changed.rank, thresholdMinor: changed.thresholdMinor }]);
    if (problem) throw new BadUserInputError('threshold', problem);
  }

  private rankOrFail(rank: number): number {
    if (!Number.isSafeInteger(rank) || rank < 0 || rank > 1000) throw new BadUserInputError('rank', 'must be a whole number from 0 to 1000');
    return rank;
  }

  private thresholdOrFail(scope: RequestScope, threshold: { amount: string; currency: string }): bigint {
    const money = parseMoney(threshold.amount, threshold.currency, 'threshold', { allowZero: true });
    if (money.currency !== scope.config.baseCurrency) throw new BadUserInputError('threshold.currency', `must be the base currency ${scope.config.baseCurrency}`);
    return money.minor;
  }
}

import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config/config';
import { Ledger } from '../modules/ledger/ledger';
import { DEFAULT_POINTS_CURRENCY, pointsCurrencyOrFail } from '../modules/ledger/points-currency.service';
import { LedgerEntryKind, TransferBucket } from '../modules/ledger/points-transfer.entity';
import { perksOfMembers } from '../modules/tiers/perk.service';
import { birthdaysOn, reviewDecision, TierDecision, TierStanding, upgradeDecision } from '../modules/tiers/tier-policy';
import { applyTierDecisions, LadderTier, loadLadder, qualifyingSpend, retainUntilFrom, standingsOf, TierSettings, windowStart } from '../modules/tiers/tier.service';
import { netBaseAmountSql } from '../modules/orders/order.sql';
import { LOWEST_TIER_RANK_SQL } from '../modules/tiers/tier.sql';
import { addMonths } from '../time';
import { scheduleEvery } from './schedule';

/** Members handled per transaction; each batch locks its members' tier rows in member id order. */
const BATCH = 500;

export interface TierJobsResult {
  upgraded: number;
  requalified: number;
  downgraded: number;
  birthdayGifts: number;
}

type Decide = (ladder: LadderTier[], standing: TierStanding | null, spend: bigint, now: Date) => TierDecision | null;

/**
 * Tier review and birthday gifts. Safe with any number of replicas at once: candidates are found without
 * locks, then each batch locks its members' tier rows and decides again on what it then reads, so a second
 * runner finds nothing left to do.
 */
export async function runTierJobs(orm: MikroORM, config: Config, now: Date = new Date()): Promise<TierJobsResult> {
  const em = orm.em.fork();
  const result: TierJobsResult = { upgraded: 0, requalified: 0, downgraded: 0, birthdayGifts: 0 };
  const count = (decisions: TierDecision[]) => {
    for (const decision of decisions) {
      if (decision.reason === 'UPGRADE') result.upgraded++;
      else if (decision.reason === 'DOWNGRADE') result.downgraded++;
      else result.requalified++;
    }
  };
  const retain = retainUntilFrom(config);
  result.upgraded += await upgradeQualifiedMembers(orm, config, now);
  // Members at the end of their retention period: requalify, or drop one tier.
  count(await decideInBatches(em, now, config, dueForReview, (ladder, standing, spend, at) => reviewDecision(ladder, standing, spend, at, retain)));
  result.birthdayGifts = await grantBirthdayGifts(em, config, now);
  return result;
}

/**
 * Upgrades the members whose qualifying spend reaches a higher tier without an order having upgraded them
 * (imported history, a lowered threshold). Returns how many moved up.
 */
export async function upgradeQualifiedMembers(orm: MikroORM, settings: TierSettings, now: Date = new Date()): Promise<number> {
  const retain = retainUntilFrom(settings);
  const decisions = await decideInBatches(orm.em.fork(), now, settings, upgradeCandidates, (ladder, standing, spend, at) => upgradeDecision(ladder, standing, spend, at, retain));
  return decisions.length;
}

type Candidates = (em: EntityManager, now: Date, settings: TierSettings, after: string, limit: number) => Promise<string[]>;

async function decideInBatches(em: EntityManager, now: Date, settings: TierSettings, candidates: Candidates, decide: Decide): Promise<TierDecision[]> {
  const made: TierDecision[] = [];
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const memberIds = await candidates(em, now, settings, after, BATCH);
    if (memberIds.length === 0) return made;
    after = memberIds[memberIds.length - 1];
    await em.transactional(async (tx) => {
      const ladder = await loadLadder(tx);
      const standings = await standingsOf(tx, memberIds, { forUpdate: true });
      const spends = await qualifyingSpend(tx, memberIds, now, settings);
      const decisions = memberIds.flatMap((memberId) => {
        const standing = standings.get(memberId) ?? null;
        const spendMinor = spends.get(memberId) ?? 0n;
        const decision = decide(ladder, standing, spendMinor, now);
        return decision ? [{ memberId, fromTier: standing?.tierCode ?? ladder[0].code, decision, spendMinor }] : [];
      });
      await applyTierDecisions(tx, decisions, now);
      made.push(...decisions.map((entry) => entry.decision));
    });
  }
}

/** Members (after `after`, in id order) whose qualifying spend reaches a tier above the one they hold. */
const upgradeCandidates: Candidates = async (em, now, settings, after, limit) => {
  const rows = await em.execute<{ member_id: string }[]>(
    `with spend as (
       select member_id, sum(${netBaseAmountSql()}) as spend
       from orders where placed_at > ? and placed_at <= ? and member_id > ? group by member_id
     )
     select s.member_id from spend s
     left join member_tiers mt on mt.member_id = s.member_id
     left join tiers held on held.code = mt.tier_code
     where (select max(rank) from tiers where threshold_minor <= s.spend) > coalesce(held.rank, ${LOWEST_TIER_RANK_SQL})
     order by s.member_id limit ?`,
    [windowStart(now, settings), now, after, limit],
  );
  return rows.map((row) => row.member_id);
};

/** Members (after `after`, in id order) whose retention period has ended. */
const dueForReview: Candidates = async (em, now, _settings, after, limit) => {
  const rows = await em.execute<{ member_id: string }[]>(
    'select member_id from member_tiers where retain_until <= ? and member_id > ? order by member_id limit ?',
    [now, after, limit],
  );
  return rows.map((row) => row.member_id);
};

/** The idempotency key of a member's birthday gift in a year: at most one gift a year, whoever runs the job. */
export function birthdayGiftKey(memberId: string, now: Date): string {
  return `birthday-gift:${memberId}:${now.getUTCFullYear()}`;
}

/**
 * On a member's birthday (UTC; 29 February is celebrated on 28 February in other years), grants
 * BIRTHDAY_GIFT_POINTS PTS to active members whose perks include BIRTHDAY_GIFT, once a year.
 */
async function grantBirthdayGifts(em: EntityManager, config: Config, now: Date): Promise<number> {
  if (config.birthdayGiftPoints <= 0) return 0;
  const currency = await pointsCurrencyOrFail(em, DEFAULT_POINTS_CURRENCY);
  const points = BigInt(config.birthdayGiftPoints);
  let granted = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = await em.execute<{ id: string }[]>(
      `select m.id from members m
       where m.birthday in (?) and m.status = 'ACTIVE' and m.id > ?
         and not exists (select 1 from points_transfers t where t.idempotency_key = 'birthday-gift:' || m.id || ':' || ?)
       order by m.id limit ?`,
      [birthdaysOn(now), after, String(now.getUTCFullYear()), BATCH],
    );
    if (rows.length === 0) return granted;
    after = rows[rows.length - 1].id;
    const perks = await perksOfMembers(em, rows.map((row) => row.id));
    for (const { id: memberId } of rows) {
      if (!perks.get(memberId)!.some((perk) => perk.code === 'BIRTHDAY_GIFT')) continue;
      const idempotencyKey = birthdayGiftKey(memberId, now);
      granted += await em.transactional(async (tx) => {
        const ledger = new Ledger(tx);
        const account = await ledger.lockMemberAccount(memberId, currency.code);
        // Another runner may have granted it while we waited for the lock.
        const [given] = await tx.execute('select 1 from points_transfers where idempotency_key = ?', [idempotencyKey]);
        if (given) return 0;
        const expiresAt = addMonths(now, currency.expiryMonths);
        await ledger.transfer(
          {
          account,
          direction: 'CREDIT',
          bucket: TransferBucket.POSTED,
          kind: LedgerEntryKind.BONUS,
          amount: points,
          counterparty: 'ISSUANCE',
          reference: 'birthday-gift',
          reason: 'birthday gift',
          idempotencyKey,
          expiresAt,
          },
          { expiresAt },
        );
        return 1;
      });
    }
  }
}

/** Runs the tier jobs every `tierJobIntervalSeconds` until stopped; failures are logged and retried next time. */
export function scheduleTierJobs(orm: MikroORM, config: Config, onError: (error: unknown) => void): () => Promise<void> {
  return scheduleEvery(config.tierJobIntervalSeconds, () => runTierJobs(orm, config), onError, 'tiers');
}

import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config/config';
import { addDays } from '../time';
import { ReferralStatus } from '../modules/referrals/referral.entity';
import { QUALIFYING_ORDER, qualifyReferral } from '../modules/referrals/referral-qualification';

/** Referrals handled per run; what is left waits for the next run. */
const BATCH = 500;

export interface ReferralJobsResult {
  qualified: number;
  rejected: number;
}

/**
 * Qualifies PENDING referrals whose referee has a vested qualifying order: both sides get their
 * REFERRAL_BONUS (PTS) once, unless a fraud rule (re-checked now, with the per-referrer monthly cap)
 * rejects it. Refunds inside the return window leave the referral PENDING: a later qualifying order can
 * still qualify it. Safe with any number of replicas: candidates are found without locks, then each is
 * redone under the two member accounts' locks (in member id order) and the referral's row lock, where a
 * second runner finds it no longer PENDING; the bonuses' idempotency keys make a double payout impossible.
 */
export async function runReferralJobs(orm: MikroORM, config: Config, now: Date = new Date()): Promise<ReferralJobsResult> {
  const em = orm.em.fork();
  const vestedBy = addDays(now, -config.returnWindowDays);
  const candidates = await em.execute<{ id: string; member_id: string; referrer_id: string }[]>(
    `select r.id, r.member_id, r.referrer_id from referrals r
     where r.status = 'PENDING' and exists (${QUALIFYING_ORDER})
     order by r.id limit ?`,
    [vestedBy, config.referral.minOrderMinor.toString(), BATCH],
  );
  const result: ReferralJobsResult = { qualified: 0, rejected: 0 };
  for (const candidate of candidates) {
    const outcome = await em.transactional((tx) => qualifyReferral(tx, config, candidate, vestedBy, now));
    if (outcome === ReferralStatus.QUALIFIED) result.qualified += 1;
    if (outcome === ReferralStatus.REJECTED) result.rejected += 1;
  }
  return result;
}


import type { MikroORM } from '@mikro-orm/postgresql';
import { seedDemoProgramme } from '../../seeds/demo.seeder';
import { loadConfig } from '../config/config';
import { runLedgerJobs } from '../jobs/ledger-jobs';
import { runReferralJobs } from '../jobs/referral-jobs';
import { LtvFitFailure, runLtv } from '../modules/ltv/ltv-run';
import { Member } from '../modules/members/member.entity';

/**
 * Loads the demo programme as of `now` (idempotent), then runs the ledger jobs so its old points vest and
 * expire, the referral job so demo referrals with a vested qualifying order qualify, and a first LTV run (unless
 * one succeeded already) so LTV tiers, churn risk and the members at risk show at once. Everything is planned
 * from `now`: tests pass fixed dates (with the process clock set to the same date).
 */
export async function seedDemoData(orm: MikroORM, now: Date = new Date()): Promise<void> {
  const config = loadConfig();
  await seedDemoProgramme(orm.em.fork(), now);
  await runLedgerJobs(orm, now);
  await runReferralJobs(orm, config, now);
  const [{ scored }] = await orm.em.fork().execute<{ scored: boolean }[]>("select exists (select 1 from ltv_runs where status = 'SUCCEEDED') as scored");
  if (scored) return;
  try {
    await runLtv(orm.em.fork(), { asOf: now, baseCurrency: config.baseCurrency, settings: config.ltv, waitForLock: true });
  } catch (error) {
    // Recorded FAILED with its reason (ltvRuns); the demo works without scores, as a new programme does.
    if (!(error instanceof LtvFitFailure)) throw error;
  }
}

/** True when no member exists yet: a new database that should get the demo programme. */
export async function isEmptyProgramme(orm: MikroORM): Promise<boolean> {
  return (await orm.em.fork().count(Member, {})) === 0;
}

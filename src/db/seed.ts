import type { MikroORM } from '@mikro-orm/postgresql';
import { seedDemoProgramme } from '../../seeds/demo.seeder';
import { loadConfig } from '../config/config';
import { runLedgerJobs } from '../jobs/ledger-jobs';
import { runReferralJobs } from '../jobs/referral-jobs';
import { Member } from '../modules/members/member.entity';

/**
 * Loads the demo programme as of `now` (idempotent), then runs the ledger jobs so its old points vest and
 * expire, and the referral job so demo referrals with a vested qualifying order qualify. Everything is planned
 * from `now`: tests pass fixed dates (with the process clock set to the same date).
 */
export async function seedDemoData(orm: MikroORM, now: Date = new Date()): Promise<void> {
  await seedDemoProgramme(orm.em.fork(), now);
  await runLedgerJobs(orm, now);
  await runReferralJobs(orm, loadConfig(), now);
}

/** True when no member exists yet: a new database that should get the demo programme. */
export async function isEmptyProgramme(orm: MikroORM): Promise<boolean> {
  return (await orm.em.fork().count(Member, {})) === 0;
}

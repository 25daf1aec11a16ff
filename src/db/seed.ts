import type { MikroORM } from '@mikro-orm/postgresql';
import { DemoSeeder } from '../../seeds/demo.seeder';
import { loadConfig } from '../config/config';
import { runLedgerJobs } from '../jobs/ledger-jobs';
import { runReferralJobs } from '../jobs/referral-jobs';
import { Member } from '../modules/members/member.entity';

/**
 * Loads the demo programme (idempotent), then runs the ledger jobs so its old points vest and expire, and
 * the referral job so demo referrals with a vested qualifying order qualify.
 */
export async function seedDemoData(orm: MikroORM): Promise<void> {
  await orm.getSeeder().seed(DemoSeeder);
  const now = new Date();
  await runLedgerJobs(orm, now);
  await runReferralJobs(orm, loadConfig(), now);
}

/** True when no member exists yet: a new database that should get the demo programme. */
export async function isEmptyProgramme(orm: MikroORM): Promise<boolean> {
  return (await orm.em.fork().count(Member, {})) === 0;
}

import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config/config';
import { addDays } from '../time';
import { scheduleEvery } from './schedule';

/**
 * Deletes device and IP sightings last seen more than SIGHTING_RETENTION_DAYS ago (storage limitation: they are
 * kept only as long as the referral fraud rules can use them). One statement, so any number of replicas may run it.
 */
export async function deleteOldSightings(orm: MikroORM, config: Config, now: Date = new Date()): Promise<number> {
  const cutoff = addDays(now, -config.privacy.sightingRetentionDays);
  const deleted = await orm.em.fork().execute<{ member_id: string }[]>('delete from member_sightings where seen_at < ? returning member_id', [cutoff]);
  return deleted.length;
}

/** Runs the privacy jobs every JOB_INTERVAL_SECONDS (0 turns them off) until stopped. */
export function schedulePrivacyJobs(orm: MikroORM, config: Config, onError: (error: unknown) => void): () => Promise<void> {
  return scheduleEvery(config.jobIntervalSeconds, () => deleteOldSightings(orm, config), onError);
}

import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config/config';
import { LtvRunRecord, runLtv } from '../modules/ltv/ltv-run';
import { scheduleEvery } from './schedule';

/** How often the schedule checks whether tonight's run is due (at most; JOB_INTERVAL_SECONDS when shorter). */
const CHECK_EVERY_SECONDS = 300;

/** Today's scheduled instant: `hour`:00 UTC of `now`'s UTC day. */
export function scheduledInstant(now: Date, hour: number): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hour));
}

/**
 * The nightly LTV run, if it is due: from LTV_NIGHTLY_HOUR (UTC) on, once per UTC day, as of now. Safe with
 * replicas: only one takes the run's advisory lock (the others skip at once), and under the lock a run as of the
 * scheduled hour or later (by any replica, or an admin's recomputeLtv; failed ones too, retried the next night)
 * means there is nothing to do.
 */
export async function runNightlyLtvIfDue(orm: MikroORM, config: Config, now: Date = new Date()): Promise<LtvRunRecord | null> {
  const scheduled = scheduledInstant(now, config.ltv.nightlyHour);
  if (config.ltv.nightlyHour < 0 || now < scheduled) return null;
  return runLtv(orm.em.fork(), {
    asOf: now,
    baseCurrency: config.baseCurrency,
    settings: config.ltv,
    waitForLock: false,
    skipIfRunSince: scheduled,
  });
}

/** Checks every few minutes whether the nightly run is due; off with JOB_INTERVAL_SECONDS=0 or LTV_NIGHTLY_HOUR=-1. */
export function scheduleLtvJob(orm: MikroORM, config: Config, onError: (error: unknown) => void): () => Promise<void> {
  if (config.jobIntervalSeconds <= 0 || config.ltv.nightlyHour < 0) return async () => undefined;
  return scheduleEvery(Math.min(config.jobIntervalSeconds, CHECK_EVERY_SECONDS), () => runNightlyLtvIfDue(orm, config), onError, 'ltv');
}

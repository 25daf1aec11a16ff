import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config/config';
import { enqueuePointsExpiring } from '../modules/webhooks/events';
import { WebhookDeliveryWorker } from '../modules/webhooks/webhook-delivery-worker';
import { scheduleEvery } from './schedule';

/** Announces lots expiring within POINTS_EXPIRING_NOTICE_DAYS (points.expiring, once per lot), in one transaction. */
export async function announceExpiringPoints(orm: MikroORM, config: Config, now: Date = new Date()): Promise<number> {
  return orm.em.fork().transactional((tx) => enqueuePointsExpiring(tx, config.webhooks.pointsExpiringNoticeDays, now));
}

/**
 * The delivery worker every WEBHOOK_WORKER_INTERVAL_SECONDS and the expiry announcements every JOB_INTERVAL_SECONDS
 * (0 turns either off), until stopped. Safe in every replica at once.
 */
export function scheduleWebhookJobs(orm: MikroORM, config: Config, onError: (error: unknown) => void): () => Promise<void> {
  const worker = new WebhookDeliveryWorker(orm, config.webhooks);
  const stops = [
    scheduleEvery(config.webhooks.workerIntervalSeconds, () => worker.runOnce(), onError),
    scheduleEvery(config.jobIntervalSeconds, () => announceExpiringPoints(orm, config), onError),
  ];
  return async () => {
    await Promise.all(stops.map((stop) => stop()));
  };
}

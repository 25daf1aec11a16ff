import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { Webhook } from 'standardwebhooks';
import type { WebhookSettings } from '../../config/config';
import { endpointFailingTooLong, nextAttemptAt } from './retry-schedule';
import { SendOutcome, sendWebhook } from './webhook-sender';

/** Deliveries claimed per run. */
const BATCH = 20;
/** A claimed delivery is someone else's to try again if its worker has not recorded an outcome by then (it crashed). */
export const LEASE_MS = 60_000;

interface ClaimedDelivery {
  sequence: string;
  attempts: number;
  leased_until: Date;
  created_at: Date;
  endpoint_id: string;
  url: string;
  secret: string;
  event_id: string;
  event_type: string;
  event_data: Record<string, unknown>;
  event_created_at: Date;
}

export type Send = (url: string, headers: Record<string, string>, body: string) => Promise<SendOutcome>;

/**
 * Sends the outbox's deliveries, at least once, signed as Standard Webhooks. Safe with any number of replicas:
 * a short transaction claims due deliveries with `for update skip locked` and leases them (so two workers never
 * claim one delivery for the same attempt), the HTTP requests run outside any transaction, and a second short
 * transaction records each outcome. A worker that dies after claiming leaves a lease that expires after LEASE_MS;
 * the delivery is then claimed again, with the same webhook-id. Only the oldest pending delivery of a member to an
 * endpoint is claimable, so a member's events reach each endpoint in the order they happened.
 */
export class WebhookDeliveryWorker {
  private readonly send: Send;

  constructor(
    private readonly orm: MikroORM,
    private readonly settings: WebhookSettings,
    send?: Send,
  ) {
    this.send = send ?? ((url, headers, body) => sendWebhook(url, headers, body, settings.allowPrivateNetworks));
  }

  /** One round: claim what is due at `now`, send it, record the outcomes. Returns the number of attempts made. */
  async runOnce(now: Date = new Date()): Promise<number> {
    const claimed = await this.claim(now);
    await Promise.all(claimed.map((delivery) => this.attempt(delivery, now)));
    return claimed.length;
  }

  /** Claims up to BATCH due deliveries (exported for tests that simulate a crash after the claim). */
  async claim(now: Date): Promise<ClaimedDelivery[]> {
    const leasedUntil = new Date(now.getTime() + LEASE_MS);
    return this.orm.em.fork().transactional(async (tx) =>
      tx.execute<ClaimedDelivery[]>(
        `with due as (
           select d.sequence from webhook_deliveries d
           join webhook_endpoints e on e.id = d.endpoint_id and e.enabled
           where d.status = 'PENDING' and d.next_attempt_at <= ? and (d.leased_until is null or d.leased_until <= ?)
             and not exists (select 1 from webhook_deliveries earlier
                             where earlier.endpoint_id = d.endpoint_id and earlier.member_id = d.member_id
                               and earlier.status = 'PENDING' and earlier.sequence < d.sequence)
           order by d.next_attempt_at, d.sequence
           limit ${BATCH}
           for update of d skip locked
         ), claimed as (
           update webhook_deliveries d set leased_until = ? from due where d.sequence = due.sequence
           returning d.sequence, d.attempts, d.leased_until, d.created_at, d.endpoint_id, d.event_id
         )
         select c.sequence, c.attempts, c.leased_until, c.created_at, c.endpoint_id, e.url, e.secret,
                c.event_id, ev.type as event_type, ev.data as event_data, ev.created_at as event_created_at
         from claimed c join webhook_endpoints e on e.id = c.endpoint_id join webhook_events ev on ev.id = c.event_id
         order by c.sequence`,
        [now, now, leasedUntil],
      ),
    );
  }

  private async attempt(delivery: ClaimedDelivery, now: Date): Promise<void> {
    const body = JSON.stringify({ type: delivery.event_type, timestamp: new Date(delivery.event_created_at).toISOString(), data: delivery.event_data });
    const sentAt = new Date();
    const signature = new Webhook(delivery.secret).sign(delivery.event_id, sentAt, body);
    const outcome = await this.send(delivery.url, {
      'webhook-id': delivery.event_id,
      'webhook-timestamp': Math.floor(sentAt.getTime() / 1000).toString(),
      'webhook-signature': signature,
    }, body);
    // Retries are scheduled from the round's clock (injectable in tests); the signature carries the real time.
    await this.orm.em.fork().transactional((tx) => this.record(tx, delivery, outcome, now));
  }

  /** The outcome of one attempt, if the lease is still ours (else another worker has taken the delivery over). */
  private async record(tx: EntityManager, delivery: ClaimedDelivery, outcome: SendOutcome, now: Date): Promise<void> {
    const statusCode = 'statusCode' in outcome ? outcome.statusCode : null;
    const succeeded = statusCode !== null && statusCode >= 200 && statusCode < 300;
    const attempts = delivery.attempts + 1;
    const next = succeeded ? null : nextAttemptAt(attempts, new Date(delivery.created_at), now);
    const status = succeeded ? 'SUCCEEDED' : next ? 'PENDING' : 'FAILED';
    const updated = await tx.execute<{ sequence: string }[]>(
      `update webhook_deliveries set attempts = ?, status = ?, last_status_code = ?, next_attempt_at = ?, leased_until = null
       where sequence = ? and status = 'PENDING' and leased_until = ? returning sequence`,
      [attempts, status, statusCode, next, delivery.sequence, delivery.leased_until],
    );
    if (updated.length === 0) return;
    await tx.execute('insert into webhook_delivery_attempts (delivery_sequence, attempt, status_code, error, attempted_at) values (?, ?, ?, ?, ?)', [
      delivery.sequence,
      attempts,
      statusCode,
      'error' in outcome ? outcome.error : null,
      now,
    ]);
    if (succeeded) {
      await tx.execute('update webhook_endpoints set failing_since = null where id = ? and failing_since is not null', [delivery.endpoint_id]);
      return;
    }
    const [endpoint] = await tx.execute<{ failing_since: Date }[]>(
      'update webhook_endpoints set failing_since = coalesce(failing_since, ?) where id = ? returning failing_since',
      [now, delivery.endpoint_id],
    );
    if (endpoint && endpointFailingTooLong(new Date(endpoint.failing_since), now)) {
      await tx.execute('update webhook_endpoints set enabled = false, disabled_at = ? where id = ? and enabled', [now, delivery.endpoint_id]);
      await tx.execute(`update webhook_deliveries set status = 'FAILED', next_attempt_at = null where endpoint_id = ? and status = 'PENDING'`, [delivery.endpoint_id]);
    }
  }
}


import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';

/** The outbound event types (contract: Outbound webhooks). */
export const WEBHOOK_EVENT_TYPES = [
  'member.enrolled',
  'member.tier_changed',
  'member.ltv_tier_changed',
  'points.expiring',
  'referral.qualified',
  'reward.redeemed',
  'member.erased',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface OutboundEvent {
  type: WebhookEventType;
  /** The member it is about: a member's deliveries to one endpoint go out in order. */
  memberId: string | null;
  data: Record<string, unknown>;
}

/**
 * Writes an event to the outbox in the caller's transaction `tx`, with one PENDING delivery per enabled endpoint that
 * wants its type: if the change rolls back, so does the event; once it commits, the delivery worker sends it.
 * Returns the event id (the webhook-id header).
 */
export async function enqueueEvent(tx: EntityManager, event: OutboundEvent, now: Date = new Date()): Promise<string> {
  const id = `msg_${randomUUID().replace(/-/g, '')}`;
  await tx.execute('insert into webhook_events (id, type, member_id, data, created_at) values (?, ?, ?, ?, ?)', [id, event.type, event.memberId, JSON.stringify(event.data), now]);
  await tx.execute(
    `insert into webhook_deliveries (endpoint_id, event_id, event_type, member_id, status, attempts, next_attempt_at, created_at)
     select e.id, ?, ?, ?, 'PENDING', 0, ?, ? from webhook_endpoints e
     where e.enabled and (cardinality(e.event_types) = 0 or ? = any(e.event_types))
     order by e.id`,
    [id, event.type, event.memberId, now, now, event.type],
  );
  return id;
}

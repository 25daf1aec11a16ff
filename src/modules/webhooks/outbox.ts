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
 * Writes events to the outbox in the caller's transaction `tx`, set-based, in one statement: `select` yields one row
 * per event with columns `member_id` (uuid or null) and `data` (jsonb). Each event gets one PENDING delivery per
 * enabled endpoint that wants its type; with no such endpoint nothing is written. If the change rolls back, so do its
 * events; once it commits, the delivery worker sends them. Returns how many events were written.
 */
export async function enqueueEventsFrom(tx: EntityManager, type: WebhookEventType, select: string, params: unknown[], now: Date = new Date()): Promise<number> {
  const rows = await tx.execute<{ id: string }[]>(
    `with events as (
       insert into webhook_events (id, type, member_id, data, created_at)
       select 'msg_' || replace(gen_random_uuid()::text, '-', ''), ?, source.member_id, source.data, ?::timestamptz from (${select}) source
       where exists (select 1 from webhook_endpoints listener where listener.enabled and (cardinality(listener.event_types) = 0 or ? = any(listener.event_types)))
       returning id, type, member_id, created_at
     ), deliveries as (
       insert into webhook_deliveries (endpoint_id, event_id, event_type, member_id, status, attempts, next_attempt_at, created_at)
       select endpoint.id, events.id, events.type, events.member_id, 'PENDING', 0, events.created_at, events.created_at
       from events join webhook_endpoints endpoint on endpoint.enabled and (cardinality(endpoint.event_types) = 0 or events.type = any(endpoint.event_types))
       order by events.member_id, endpoint.id
       returning 1
     )
     select id from events`,
    [type, now, ...params, type],
  );
  return rows.length;
}

/** One event, in the caller's transaction (see enqueueEventsFrom). */
export async function enqueueEvent(tx: EntityManager, event: OutboundEvent, now: Date = new Date()): Promise<void> {
  await enqueueEventsFrom(tx, event.type, 'select ?::uuid as member_id, ?::jsonb as data', [event.memberId, JSON.stringify(event.data)], now);
}

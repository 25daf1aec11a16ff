import type { EntityManager } from '@mikro-orm/postgresql';
import { enqueueEventsFrom } from './outbox';

/**
 * The outbound events that other modules raise, each with one call in the transaction of the change. Payloads name
 * the member by id (and external id where the contract says so), never by email.
 */

/** member.tier_changed for every decision that changed the tier (requalifications are not changes). */
export async function enqueueTierChanges(tx: EntityManager, changes: { memberId: string; from: string; to: string }[], now: Date): Promise<void> {
  const changed = changes.filter((change) => change.from !== change.to);
  if (changed.length === 0) return;
  await enqueueEventsFrom(
    tx,
    'member.tier_changed',
    `select m.id as member_id, jsonb_build_object('memberId', m.id, 'externalId', m.external_id, 'from', c.from_tier, 'to', c.to_tier, 'changedAt', ?::timestamptz) as data
     from jsonb_to_recordset(?::jsonb) as c(member_id uuid, from_tier text, to_tier text, position int) join members m on m.id = c.member_id
     where m.status <> 'ERASED'
     order by c.position`,
    [now, JSON.stringify(changed.map((change, position) => ({ member_id: change.memberId, from_tier: change.from, to_tier: change.to, position })))],
    now,
  );
}

/**
 * member.ltv_tier_changed for every member whose LTV tier in `nextTable` (the scores an LTV run is about to put in
 * member_ltv's place, same columns) differs from its tier in member_ltv now (new members included).
 */
export async function enqueueLtvTierChanges(tx: EntityManager, nextTable: string, now: Date): Promise<void> {
  await enqueueEventsFrom(
    tx,
    'member.ltv_tier_changed',
    `select l.member_id, jsonb_build_object('memberId', l.member_id, 'externalId', m.external_id, 'from', b.tier, 'to', l.tier) as data
     from ${nextTable} l join members m on m.id = l.member_id left join member_ltv b on b.member_id = l.member_id
     where b.tier is distinct from l.tier and m.status <> 'ERASED'
     order by l.member_id`,
    [],
    now,
  );
}

/**
 * points.expiring, once per lot: vested lots with points left that expire within `noticeDays` of `now` and were not
 * announced yet (points_expiry_notices remembers them; its primary key makes concurrent runners announce a lot once).
 */
export async function enqueuePointsExpiring(tx: EntityManager, noticeDays: number, now: Date): Promise<number> {
  const noticed = await tx.execute<{ lot_id: string }[]>(
    `insert into points_expiry_notices (lot_id, member_id, noticed_at)
     select l.id, l.member_id, ?::timestamptz from points_lots l join members m on m.id = l.member_id
     where not l.pending and l.remaining > 0 and l.expires_at > ?::timestamptz and l.expires_at <= ?::timestamptz + make_interval(days => ?)
       and m.status = 'ACTIVE'
     on conflict (lot_id) do nothing
     returning lot_id`,
    [now, now, now, noticeDays],
  );
  if (noticed.length === 0) return 0;
  return enqueueEventsFrom(
    tx,
    'points.expiring',
    `select l.member_id, jsonb_build_object('memberId', l.member_id, 'externalId', m.external_id, 'lotId', l.id::text, 'currency', l.currency,
                                            'points', l.remaining, 'expiresAt', l.expires_at) as data
     from points_lots l join members m on m.id = l.member_id where l.id = any(?::bigint[])
     order by l.member_id, l.expires_at, l.id`,
    [`{${noticed.map((row) => row.lot_id).join(',')}}`],
    now,
  );
}

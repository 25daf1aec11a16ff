import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { HoldStatus, PointsHold } from '../checkout/points-hold.entity';

/** The most open holds one member shows (newest first); a member rarely has more than a few carts open. */
export const OPEN_HOLDS_LIMIT = 100;

type HoldRow = Pick<PointsHold, 'id' | 'memberId' | 'currency' | 'points' | 'orderRef' | 'status' | 'expiresAt' | 'createdAt'>;

/**
 * Each member's open holds (HELD and not yet expired at `now`), newest first, one statement for many members. It
 * reads the checkout module's table through the members' accounts (the (account_id, status) index), read-only.
 */
export async function openHoldsOfMembers(em: EntityManager, memberIds: readonly string[], now: Date): Promise<Map<string, HoldRow[]>> {
  const result = new Map<string, HoldRow[]>(memberIds.map((id) => [id, []]));
  if (memberIds.length === 0) return result;
  const rows = await em.execute<{ id: string; member_id: string; currency: string; points: string; order_ref: string; expires_at: Date; created_at: Date }[]>(
    `select id, member_id, currency, points::text as points, order_ref, expires_at, created_at from (
       select h.*, row_number() over (partition by h.member_id order by h.created_at desc, h.id desc) as n
       from points_accounts a join points_holds h on h.account_id = a.id
       where a.member_id in (?) and h.status = ? and h.expires_at > ?
     ) open where n <= ? order by member_id, n`,
    [[...memberIds], HoldStatus.HELD, now, OPEN_HOLDS_LIMIT],
  );
  for (const row of rows) {
    result.get(row.member_id)?.push({
      id: row.id,
      memberId: row.member_id,
      currency: row.currency,
      points: row.points,
      orderRef: row.order_ref,
      status: HoldStatus.HELD,
      expiresAt: new Date(row.expires_at),
      createdAt: new Date(row.created_at),
    });
  }
  return result;
}

export function openHoldsLoader(em: EntityManager, now: Date): DataLoader<string, HoldRow[]> {
  return new DataLoader(async (ids) => {
    const found = await openHoldsOfMembers(em, ids, now);
    return ids.map((id) => found.get(id) ?? []);
  });
}

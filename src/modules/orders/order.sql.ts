import { isTransactionConflict } from '../../db/errors';
import { namedStatement } from '../../db/sql';
import type { Order, OrderStatus } from './order.entity';
import { rateInForceSql } from '../fx/fx.sql';
import { heldTierCodeSql } from '../tiers/tier.sql';

/**
 * An order's amount in minor units of the base currency, net of refunds, as a bigint SQL expression:
 * floor(base amount x unrefunded share). Refunds are stored in the order's own currency (refunded_minor),
 * so the unrefunded share is taken in that currency and applied to the base amount once, rounding down.
 * Orders without refunds (most of them) skip the numeric division: summing millions of them stays in bigint.
 * `alias` is the orders table's alias in the query ('' for none); `refunded` replaces the refunded amount
 * when a query counts refunds as of another time (the LTV run puts back refunds made after its asOf).
 * The one copy of this rule: tiers, referral qualification, LTV and growth analytics count with it.
 */
export function netBaseAmountSql(alias = '', refunded?: string): string {
  const column = (name: string) => (alias ? `${alias}.${name}` : name);
  const refundedMinor = refunded ? `(${refunded})` : column('refunded_minor');
  return `(case when ${refundedMinor} = 0 then ${column('base_amount_minor')}
           else div(${column('base_amount_minor')}::numeric * (${column('amount_minor')} - ${refundedMinor}), ${column('amount_minor')})::bigint end)`;
}

/**
 * Checks the member may record an order, locks its tier row and returns its market and tier standing
 * (migrations/Migration20261204060000_order_commands.ts). Values: member id, the only external id a member token may
 * act on (null for other roles), now.
 */
export const LOCK_MEMBER = namedStatement('order_lock_member', 'select * from order_lock_member(?, ?, ?)');

/**
 * Everything recording an order needs to know, as select-list columns: the ladder, the member's qualifying spend
 * before this order, whether an earlier order exists, the active campaign rules, the earning points currencies and
 * the exchange rate in force when the order was placed (null when there is none; '1' for the base currency).
 * Values: $1 member id, $2 window start (exclusive), $3 now, $4 placedAt, $5 the order's currency, $6 the base currency.
 */
const ORDER_CONTEXT_COLUMNS = `
     (select json_agg(json_build_object('code', t.code, 'name', t.name, 'names', t.names, 'rank', t.rank,
                                        'threshold_minor', t.threshold_minor::text, 'earn_multiplier', t.earn_multiplier::text) order by t.rank)
        from tiers t) as ladder,
     (select coalesce(sum(${netBaseAmountSql('o')}), 0)::text from orders o
        where o.member_id = $1::uuid and o.placed_at > $2::timestamptz and o.placed_at <= $3::timestamptz) as spend,
     exists (select 1 from orders o where o.member_id = $1::uuid and o.placed_at <= $4::timestamptz) as earlier,
     (select coalesce(json_agg(json_build_object('code', r.code, 'currency', r.currency, 'markets', r.markets, 'starts_at', r.starts_at,
                                                 'ends_at', r.ends_at, 'min_order_base_minor', r.min_order_base_minor::text,
                                                 'first_order_only', r.first_order_only, 'multiplier', r.multiplier,
                                                 'bonus_points', r.bonus_points) order by r.id), '[]')
        from earning_rules r where r.active) as rules,
     (select coalesce(json_agg(json_build_object('code', c.code, 'name', c.name, 'valueInBase', c.value_in_base::text,
                                                 'earnRate', c.earn_rate::text, 'expiryMonths', c.expiry_months,
                                                 'earnsOnOrders', c.earns_on_orders) order by c.code), '[]')
        from points_currencies c where c.earns_on_orders) as currencies,
     case when $5::text = $6::text then '1'
          else ${rateInForceSql('$5::text', '$4::timestamptz')} end as fx_rate`;

/**
 * The earning read, once the member's tier row is locked (so the spend and the first-order check see every order
 * committed before): for an order recorded inside a wider transaction (a Stripe payment) and the history import.
 * Values: ORDER_CONTEXT_COLUMNS's.
 */
export const ORDER_CONTEXT = namedStatement('order_context', `select ${ORDER_CONTEXT_COLUMNS}`);

/**
 * The earning read of recordOrder, without a lock: the member checked (it exists, not erased, a member token only
 * for itself), its market and tier standing (the lowest tier when it has no row yet), what RECORD_ORDER_CHECKED
 * checks (`seen`: the standing and the number of its orders), and ORDER_CONTEXT_COLUMNS, in one snapshot. Values: ORDER_CONTEXT_COLUMNS's, then $7 the only external id a member token may act
 * on (null for other roles).
 */
export const ORDER_READ = namedStatement(
  'order_read',
  `select ledger_member_or_fail($1::uuid, $7::text)::text as checked,
     (select m.country from members m where m.id = $1::uuid) as country,
     ${heldTierCodeSql('$1::uuid')} as tier_code,
     (select mt.retain_until from member_tiers mt where mt.member_id = $1::uuid) as retain_until,
     order_read_token($1::uuid) as seen,
     ${ORDER_CONTEXT_COLUMNS}`,
);

/** Inserts the order and posts what it earns (migrations/Migration20261204060000_order_commands.ts). */
export const RECORD_ORDER = namedStatement('order_record', 'select * from order_record(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');

/**
 * RECORD_ORDER in one statement of its own, after ORDER_READ: locks the member's tier row and records the order only
 * if the tier standing and the number of the member's orders are still what the read saw; otherwise fails as a
 * serialization failure (SQLSTATE 40001, isStaleOrderRead) and nothing is written (migrations/Migration20261207000000_order_record_checked.ts).
 * Values: the only external id, `seen` as ORDER_READ returned it, then RECORD_ORDER's.
 */
export const RECORD_ORDER_CHECKED = namedStatement('order_record_checked', 'select * from order_record_checked(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');

/**
 * True when RECORD_ORDER_CHECKED refused because the member's standing or orders changed since ORDER_READ (or lost a
 * deadlock): it wrote nothing, and reading again may well succeed.
 */
export function isStaleOrderRead(error: unknown): boolean {
  return isTransactionConflict(error);
}

/** An Order from a row of the orders table (as `order_record` returns it): a plain object, no ORM entity to build. */
export function orderOfRow(row: Record<string, any>): Order {
  return {
    id: row.id,
    memberId: row.member_id,
    externalId: row.external_id,
    amountMinor: BigInt(row.amount_minor),
    currency: row.currency,
    baseAmountMinor: BigInt(row.base_amount_minor),
    baseCurrency: row.base_currency,
    fxRate: row.fx_rate,
    placedAt: new Date(row.placed_at),
    refundedMinor: BigInt(row.refunded_minor),
    status: row.status as OrderStatus,
    pointsEarned: Number(row.points_earned),
    details: row.details ?? null,
    requestHash: row.request_hash,
    createdAt: new Date(row.created_at),
  } as Order;
}

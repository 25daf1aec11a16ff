import type { EntityManager } from '@mikro-orm/postgresql';
import { netBaseAmountSql } from '../orders/order.sql';

/*
 * RFM (recency, frequency, monetary) per member as of a time, in ONE set-based statement over `orders`, into the
 * temporary table `ltv_rfm` (dropped when the run's transaction ends). The run then reads it in cursor batches.
 *
 * Definitions (time in weeks, money in base-currency minor units):
 * - a purchase occasion is a UTC day with at least one order placed at or before asOf; several orders on the
 *   same UTC day are one occasion whose value is their sum;
 * - frequency: occasions after the first (repeat purchase occasions);
 * - recency: from the first occasion's day to the last occasion's day, in weeks (0 without repeats);
 * - age T: whole UTC days from the first occasion's day to asOf's UTC day, in weeks, like recency (so with asOf
 *   at any time on 1997-09-30, a first purchase on 1997-01-01 has T = 272 / 7 = 38.86 weeks, as in the literature);
 *   a member whose first occasion is on asOf's own day gets the part of that day elapsed (at least a second);
 * - an order's net value: its base amount less the refunded share, counting only refunds made at or before
 *   asOf (base x (amount - refunded) / amount, rounded down; refunds are in the order's currency);
 * - historical: the net value of every order (realised net spend);
 * - repeat value: the net value of the repeat occasions (every occasion but the first); their mean is
 *   repeat / frequency (the Gamma-Gamma monetary value);
 * - the acquisition cost is read with the exchange rate in force at the member's joined_at (converted by the
 *   run with src/money/fx.ts, exactly as orders are).
 * Members without orders before asOf get a row with order_count 0.
 */

/**
 * The first occasion's net value is taken from the same aggregate pass as the rest, by packing (day, value) in
 * one bigint whose minimum is the first day's: day numbers (since 1970) take the bits above FIRST_DAY_SHIFT,
 * values the bits below. A value must stay below 2^44 minor units per member and day (checked).
 */
const FIRST_DAY_SHIFT = 44;
export const MAX_DAY_VALUE_MINOR = 2n ** BigInt(FIRST_DAY_SHIFT);

export const RFM_TABLE = 'ltv_rfm';

export function rfmStatement(): string {
  const mask = (MAX_DAY_VALUE_MINOR - 1n).toString();
  return `
create temporary table ${RFM_TABLE} on commit drop as
with as_of as (
  select at, ((at at time zone 'UTC')::date - date '1970-01-01') as day from (select ?::timestamptz as at) given
),
later_refunds as (
  -- refunds made after asOf are put back: the order was worth more then
  select order_id, sum(amount_minor) as amount_minor
  from order_refunds, as_of where created_at > as_of.at
  group by order_id
),
occasions as (
  select o.member_id,
         ((o.placed_at at time zone 'UTC')::date - date '1970-01-01') as day,
         sum(${netBaseAmountSql('o', 'o.refunded_minor - coalesce(lr.amount_minor, 0)')})::bigint as net_minor,
         count(*) as orders
  from orders o
  cross join as_of
  left join later_refunds lr on lr.order_id = o.id
  where o.placed_at <= as_of.at
  group by 1, 2
),
per_member as (
  select member_id,
         count(*) - 1 as frequency,
         min(day) as first_day,
         max(day) as last_day,
         sum(net_minor)::bigint as historical_minor,
         sum(orders) as order_count,
         min((day::bigint << ${FIRST_DAY_SHIFT}) | net_minor) & ${mask} as first_net_minor,
         max(net_minor) as max_day_net_minor
  from occasions
  group by member_id
)
select m.id as member_id,
       coalesce(p.order_count, 0)::int as order_count,
       coalesce(p.frequency, 0)::int as frequency,
       coalesce((p.last_day - p.first_day) / 7.0, 0)::float8 as recency_weeks,
       case when p.member_id is null then 0
            when as_of.day > p.first_day then (as_of.day - p.first_day) / 7.0
            -- first purchase on asOf's day: at least one second, so an order placed at asOf exactly still has an age
            else greatest((extract(epoch from as_of.at)::float8 / 86400 - p.first_day) / 7.0, 1.0 / (7 * 86400)) end::float8 as age_weeks,
       coalesce(p.historical_minor, 0)::bigint as historical_minor,
       coalesce(p.historical_minor - p.first_net_minor, 0)::bigint as repeat_minor,
       coalesce(p.max_day_net_minor, 0)::bigint as max_day_net_minor,
       m.acquisition_cost_minor,
       m.acquisition_cost_currency,
       rate.rate as acquisition_rate
from members m
cross join as_of
left join per_member p on p.member_id = m.id
left join lateral (
  select x.rate::text as rate from exchange_rates x
  where m.acquisition_cost_currency is not null and m.acquisition_cost_currency <> ?
    and x.currency = m.acquisition_cost_currency and x.effective_at <= m.joined_at
  order by x.effective_at desc limit 1
) rate on true`;
}

/** Builds ltv_rfm as of `asOf` on the transaction's connection (checks the packing bound). */
export async function buildRfmTable(tx: EntityManager, asOf: Date, baseCurrency: string): Promise<void> {
  await tx.execute(rfmStatement(), [asOf, baseCurrency]);
  const [{ too_large: tooLarge }] = await tx.execute<{ too_large: boolean }[]>(
    `select coalesce(bool_or(max_day_net_minor >= ?), false) as too_large from ${RFM_TABLE}`,
    [MAX_DAY_VALUE_MINOR.toString()],
  );
  if (tooLarge) throw new Error(`a member spent ${MAX_DAY_VALUE_MINOR} base minor units or more in one day: beyond what the RFM pass can pack`);
}

/** One row of ltv_rfm as read back. */
export interface RfmRow {
  member_id: string;
  order_count: number;
  frequency: number;
  recency_weeks: number;
  age_weeks: number;
  historical_minor: string;
  repeat_minor: string;
  acquisition_cost_minor: string | null;
  acquisition_cost_currency: string | null;
  acquisition_rate: string | null;
}

/** The RFM rows as of `asOf` (tests, diagnostics): builds ltv_rfm in its own transaction and reads it whole. */
export async function rfmSnapshot(em: EntityManager, asOf: Date, baseCurrency: string): Promise<RfmRow[]> {
  return em.transactional(async (tx) => {
    await buildRfmTable(tx, asOf, baseCurrency);
    return tx.execute<RfmRow[]>(`select * from ${RFM_TABLE} order by member_id`);
  });
}

import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { netBaseAmountSql } from '../orders/order.sql';
import { copyNumbersOut, CopyNumberType, copyServed, readNumbers, RUN_SETTINGS, SideConnection, sideConnection, withRunSetting } from './ltv-copy';

/*
 * RFM (recency, frequency, monetary) per member as of a time, in ONE set-based statement over the members' purchase
 * summaries (ltv_member_rfm) and, for members whose summary does not hold as of that time, their orders, into the
 * table `ltv_rfm`, read by the run's set-based statements. The table is unlogged and created inside the caller's
 * transaction: no other session sees it, a rollback removes it, and the caller drops it before it commits
 * (dropRfmTable). It is not a temporary table because PostgreSQL's parallel workers cannot read those, and the
 * run's scoring runs in parallel over it.
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

export const RFM_TABLE = 'ltv_rfm';

/**
 * The statement, with its parameters: asOf (three times, four with later refunds), the base currency. With
 * `laterRefunds` false (no refund was made after asOf, the usual case) the orders are read without looking refunds up.
 *
 * A member's row comes from its summary in ltv_member_rfm (kept by triggers on orders:
 * Migration20261209000000_ltv_member_rfm) when the summary holds as of asOf: no order placed after asOf and no
 * refund of its orders made after it. The other members, the stale ones (none for a run as of now; every member with
 * orders for a run far in the past), are read from their orders.
 *
 * Their orders are read in (member, placed_at) order straight from the member-history index, which carries the
 * columns of the net value (Migration20261206000000_orders_member_history_covering): no sort. That order feeds a
 * window (the previous order's day, the member's first day; days follow placed_at) and a streaming aggregate per
 * member: a new occasion is an order on another day than the one before it, the first occasion's value is the sum
 * over the first day. asOf is bound as a constant (not a CTE) so the planner estimates the orders it reads; the join
 * to members follows the member order the aggregate already has.
 */
export function rfmStatement(laterRefunds: boolean, members: MemberHalf = 'all', target = `unlogged table ${RFM_TABLE}`): string {
  // A half of the members: ids below the split id, or from it (the split id is bound three times, see rfmParameters).
  const range = (column: string) => (members === 'below' ? `and ${column} < ?::uuid` : members === 'from' ? `and ${column} >= ?::uuid` : '');
  const memberRange = members === 'below' ? 'where m.id < ?::uuid' : members === 'from' ? 'where m.id >= ?::uuid' : '';
  const refunded = laterRefunds ? 'o.refunded_minor - coalesce(lr.amount_minor, 0)' : undefined;
  return `
create ${target} as
with ${laterRefunds ? `later_refunds as (
  -- refunds made after asOf are put back: the order was worth more then
  select order_id, sum(amount_minor) as amount_minor
  from order_refunds where created_at > ?::timestamptz
  group by order_id
),` : ''}
stale as (
  -- members whose summary does not hold as of asOf: an order placed after it${laterRefunds ? ', a refund made after it' : ''} (few for a
  -- run as of now: read through the index on placed_at)
  select o.member_id from orders o where o.placed_at > ?::timestamptz
  ${laterRefunds ? 'union select o.member_id from later_refunds lr join orders o on o.id = lr.order_id' : ''}
),
orders_in_time as (
  select o.member_id, o.placed_at,
         -- the UTC day: buildRfmTable runs this with the session's time zone set to UTC (a cast is cheaper than
         -- "at time zone 'UTC'", which looks the zone up for every order: 1.3 s against 0.4 s at 10M orders)
         (o.placed_at::date - date '1970-01-01') as day,
         ${netBaseAmountSql('o', refunded)} as net_minor
  from orders o
  ${laterRefunds ? 'left join later_refunds lr on lr.order_id = o.id' : ''}
  where o.placed_at <= ?::timestamptz and o.member_id in (select member_id from stale) ${range('o.member_id')}
),
occasions as (
  select member_id, day, net_minor,
         lag(day) over in_time as previous_day,
         first_value(day) over in_time as first_day
  from orders_in_time
  -- a ROWS frame: the member's first order and the one before, without looking for orders at the same instant
  -- (the default RANGE frame compares each row with the next; 1.5 s of 10 at 1M members)
  window in_time as (partition by member_id order by placed_at rows between unbounded preceding and current row)
),
per_member as (
  select s.member_id, s.occasions - 1 as frequency, s.first_day, s.last_day, s.net_minor as historical_minor, s.order_count,
         s.first_day_net_minor as first_net_minor
  from ltv_member_rfm s
  where s.order_count > 0 and s.member_id not in (select member_id from stale) ${range('s.member_id')}
  union all
  select member_id,
         (count(*) filter (where previous_day is distinct from day) - 1)::int as frequency,
         min(day) as first_day,
         max(day) as last_day,
         sum(net_minor)::bigint as historical_minor,
         count(*)::int as order_count,
         sum(net_minor) filter (where day = first_day)::bigint as first_net_minor
  from occasions
  group by member_id
)
select m.id as member_id,
       coalesce(p.order_count, 0) as order_count,
       coalesce(p.frequency, 0) as frequency,
       -- days / 7 in float8 (the integer days are exact as doubles: one correctly rounded division, as in JavaScript);
       -- numeric division then a cast cost 0.45 s at 1M members
       coalesce((p.last_day - p.first_day)::float8 / 7, 0) as recency_weeks,
       case when p.member_id is null then 0
            when as_of.day > p.first_day then (as_of.day - p.first_day)::float8 / 7
            -- first purchase on asOf's day: at least one second, so an order placed at asOf exactly still has an age
            else greatest((extract(epoch from as_of.at)::float8 / 86400 - p.first_day) / 7.0, 1.0 / (7 * 86400)) end::float8 as age_weeks,
       coalesce(p.historical_minor, 0)::bigint as historical_minor,
       coalesce(p.historical_minor - p.first_net_minor, 0)::bigint as repeat_minor,
       m.acquisition_cost_minor,
       m.acquisition_cost_currency,
       rate.rate as acquisition_rate
from members m
cross join (select at, ((at at time zone 'UTC')::date - date '1970-01-01') as day from (select ?::timestamptz as at) given) as_of
left join per_member p on p.member_id = m.id
left join lateral (
  select x.rate::text as rate from exchange_rates x
  where m.acquisition_cost_currency is not null and m.acquisition_cost_currency <> ?
    and x.currency = m.acquisition_cost_currency and x.effective_at <= m.joined_at
  order by x.effective_at desc limit 1
) rate on true
${memberRange}`;
}

/**
 * The two halves run at once, one per core: parallel workers of theirs (the grouping of each half's rows) would only
 * take turns with the other half (0.8-1 s each at 1M members, against 0.45 s alone).
 */
const ONE_CORE_EACH = { setting: 'max_parallel_workers_per_gather', value: '0' };

/** All members, or the members whose id is below (or from) the split id. */
export type MemberHalf = 'all' | 'below' | 'from';

/** rfmStatement's parameters, in order. */
function rfmParameters(laterRefunds: boolean, asOf: Date, baseCurrency: string, members: MemberHalf, splitId?: string): unknown[] {
  const range = members === 'all' ? [] : [splitId];
  return [...(laterRefunds ? [asOf] : []), asOf, asOf, ...range, ...range, asOf, baseCurrency, ...range];
}

/**
 * Members from which the RFM runs as two halves at once (buildRfmTable): below that, one statement is as quick.
 */
export const RFM_SPLIT_FROM_MEMBERS = 50_000;

const UPPER_HALF_PREFIX = 'ltv_rfm_upper_';

/**
 * Builds ltv_rfm as of `asOf` on the transaction's connection (whose time zone it sets to UTC until the transaction
 * ends); the caller drops it before committing (dropRfmTable). It resolves once both halves are built and read
 * (eachPart); the upper half is then appended and ltv_rfm analysed on the run's connection, which `ready` awaits:
 * the caller works on the rows meanwhile, and its own statements on that connection queue behind these. With a side
 * connection and at least `splitFrom` members, the members are split in two halves by id and both halves run at once:
 * the lower into ltv_rfm on the run's connection, the upper on the side connection into an unlogged table that the
 * run then appends to ltv_rfm and drops. PostgreSQL runs the RFM's window and per-member aggregate on one core; the
 * halves use both. Each member's row comes from one statement over its own orders, so the
 * rows are the ones the single statement gives (test/integration/ltv.test.ts compares them); the halves read at
 * moments a few milliseconds apart, as the run's later statements already do.
 */
export async function buildRfmTable(
  tx: EntityManager,
  asOf: Date,
  baseCurrency: string,
  split?: { side: () => Promise<SideConnection | null>; splitFrom: number },
  eachPart?: PartRows,
): Promise<{ halves: number; ready: Promise<void> }> {
  // Statistics for the statements that read it (autovacuum never sees a table its transaction has not committed):
  // without them the scoring sorted every member to merge-join the triplets instead of hashing the triplets.
  const analyze = async () => void (await tx.execute(`analyze ${RFM_TABLE}`));
  const [{ later }] = await tx.execute<{ later: boolean }[]>('select exists (select 1 from order_refunds where created_at > ?) as later', [asOf]);
  await tx.execute("set local time zone 'UTC'");
  const splitId = split ? await memberSplitId(tx, split.splitFrom) : null;
  const side = splitId ? await split!.side() : null;
  if (!side || !splitId) {
    await tx.execute(rfmStatement(later), rfmParameters(later, asOf, baseCurrency, 'all'));
    if (eachPart) await readNumbers(tx, await copyServed(tx), eachPart.select(RFM_TABLE), eachPart.types, eachPart.onRow);
  } else {
    // Left by a run that stopped before dropping its own (runs are one at a time: the run's advisory lock).
    for (const { relname } of await tx.execute<{ relname: string }[]>(`select relname from pg_class where relname like '${UPPER_HALF_PREFIX}%' and relkind = 'r'`)) {
      await tx.execute(`drop table if exists ${relname}`);
    }
    const upper = `${UPPER_HALF_PREFIX}${randomUUID().replace(/-/g, '')}`;
    // The side connection speaks pg's numbered parameters.
    let bound = 0;
    const upperStatement = rfmStatement(later, 'from', `unlogged table ${upper}`).replace(/\?/g, () => `$${++bound}`);
    const upperHalf = (async () => {
      await side.query(['begin', "set local time zone 'UTC'", ...RUN_SETTINGS, `set local ${ONE_CORE_EACH.setting} = ${ONE_CORE_EACH.value}`].join('; '));
      try {
        await side.query(upperStatement, rfmParameters(later, asOf, baseCurrency, 'from', splitId));
        if (eachPart) await side.copyNumbersOut(eachPart.select(upper), eachPart.types, eachPart.onRow);
        await side.query('commit');
      } catch (error) {
        await side.query('rollback').catch(() => undefined);
        throw error;
      }
    })();
    const lowerHalf = withRunSetting(tx, ONE_CORE_EACH.setting, ONE_CORE_EACH.value, async () => {
      await tx.execute(rfmStatement(later, 'below'), rfmParameters(later, asOf, baseCurrency, 'below', splitId));
      // A split runs where COPY is served (never on the embedded database: it has no side connection).
      if (eachPart) await copyNumbersOut(tx, eachPart.select(RFM_TABLE), eachPart.types, eachPart.onRow);
    });
    const [upperDone, lowerDone] = await Promise.allSettled([upperHalf, lowerHalf]);
    // The run's transaction may hold the upper table until it rolls back: the side connection drops it then.
    const dropUpperLater = (error: unknown) => {
      void side.query(`drop table if exists ${upper}`).catch(() => undefined).finally(() => side.release());
      throw error;
    };
    if (lowerDone.status === 'rejected') dropUpperLater(lowerDone.reason);
    if (upperDone.status === 'rejected') dropUpperLater(upperDone.reason);
    const finished = (async () => {
      try {
        await tx.execute(`insert into ${RFM_TABLE} select * from ${upper}`);
        // Dropped by the run's transaction, which now holds the table: gone with the commit.
        await tx.execute(`drop table ${upper}`);
      } catch (error) {
        dropUpperLater(error);
      }
      // Released once: a failure after this point (the statistics) no longer has the upper table to drop.
      await side.release();
      await analyze();
    })();
    return { halves: 2, ready: finished };
  }
  return { halves: 1, ready: analyze() };
}

/**
 * Rows the caller wants from each part of the RFM as soon as it is built, read on the part's own connection: from
 * ltv_rfm alone, or from each half while the other is still being built or read. `select(table)` is the statement
 * over one part; the rows of the two halves arrive interleaved, and a grouping gives a group in each half twice.
 */
export interface PartRows {
  select: (table: string) => string;
  types: CopyNumberType[];
  onRow: (values: number[]) => void;
}

/** The member id that splits the members in two halves, or null below `splitFrom` members. */
async function memberSplitId(tx: EntityManager, splitFrom: number): Promise<string | null> {
  const [{ members }] = await tx.execute<{ members: string }[]>('select count(*)::bigint as members from members');
  if (Number(members) < Math.max(2, splitFrom)) return null;
  const [{ id }] = await tx.execute<{ id: string }[]>('select id from members order by id offset ? limit 1', [Math.floor(Number(members) / 2)]);
  return id;
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

/**
 * The RFM rows as of `asOf` (tests, diagnostics): builds ltv_rfm in its own transaction and reads it whole; with
 * `splitFrom`, in two halves at once from that many members (as the run does).
 */
export async function rfmSnapshot(em: EntityManager, asOf: Date, baseCurrency: string, splitFrom?: number): Promise<RfmRow[]> {
  return em.transactional(async (tx) => {
    await (await buildRfmTable(tx, asOf, baseCurrency, splitFrom === undefined ? undefined : { side: () => sideConnection(tx), splitFrom })).ready;
    const rows = await tx.execute<RfmRow[]>(`select * from ${RFM_TABLE} order by member_id`);
    await dropRfmTable(tx);
    return rows;
  });
}

/** Drops ltv_rfm, before the transaction that built it commits (a rollback removes it on its own). */
export async function dropRfmTable(tx: EntityManager): Promise<void> {
  await tx.execute(`drop table ${RFM_TABLE}`);
}

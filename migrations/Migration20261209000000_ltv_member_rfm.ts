import { Migration } from '@mikro-orm/migrations';
import { netBaseAmountSql } from '../src/modules/orders/order.sql';

/**
 * ltv_member_rfm: each member's purchase summary for the LTV run (src/modules/ltv/rfm.ts), kept by statement-level
 * triggers on orders in the same transaction as the writes that change it, so the run reads one row per member
 * instead of every order (10M orders at 1M members) whenever the summary holds as of its asOf.
 *
 * Per member: orders, purchase occasions (distinct UTC days), the first and last UTC day, the latest placed_at, the
 * net value of every order and of the first day's orders (net of refunds by the one copy of the rule,
 * netBaseAmountSql). Definitions as rfm.ts states them; test/integration/ltv-member-rfm.test.ts compares the
 * summaries with the orders on random data, and the RFM read through them with the RFM read from the orders.
 *
 * - Insert: deltas per member and day. A day is a new occasion when the member has no other order on it. The
 *   touched members' rows are created if missing and locked first, in statements of their own: a concurrent
 *   transaction adding orders of the same member waits there until the other commits, and the delta statement that
 *   follows (a new snapshot, READ COMMITTED as every order write here) then sees its orders, so two orders on one
 *   new day made at once count one occasion.
 * - Update (a refund, any change of amounts, time or member) and delete: the touched members recounted from their
 *   orders (the view ltv_member_rfm_recount, also the backfill), under the same row locks; a member without orders
 *   loses its row.
 */
export class Migration20261209000000_ltv_member_rfm extends Migration {
  override async up(): Promise<void> {
    const net = (alias: string) => netBaseAmountSql(alias);
    this.addSql(`create table ltv_member_rfm (
  member_id uuid not null primary key,
  order_count int not null default 0,
  occasions int not null default 0,
  first_day int null,
  last_day int null,
  last_placed_at timestamptz null,
  net_minor bigint not null default 0,
  first_day_net_minor bigint not null default 0
);`);
    this.addSql(`create or replace function ltv_utc_day(p_at timestamptz) returns int language sql immutable parallel safe as
$$ select ((p_at at time zone 'UTC')::date - date '1970-01-01') $$;`);
    this.addSql(`create or replace function ltv_utc_day_start(p_day int) returns timestamptz language sql immutable parallel safe as
$$ select (date '1970-01-01' + p_day)::timestamp at time zone 'UTC' $$;`);

    // Every member's summary recounted from its orders (a filter on member_id reaches the orders through the window
    // and the grouping, both by member): the backfill, and the rebuild of members whose orders changed.
    this.addSql(`create view ltv_member_rfm_recount as
select x.member_id, count(*)::int as order_count, count(distinct x.day)::int as occasions, min(x.day) as first_day, max(x.day) as last_day,
       max(x.placed_at) as last_placed_at, sum(x.net)::bigint as net_minor, coalesce(sum(x.net) filter (where x.day = x.first_day), 0)::bigint as first_day_net_minor
from (
  select o.member_id, o.placed_at, ltv_utc_day(o.placed_at) as day, ${net('o')} as net,
         min(ltv_utc_day(o.placed_at)) over (partition by o.member_id) as first_day
  from orders o
) x
group by x.member_id;`);

    // Creates the given members' rows if missing (waiting for a concurrent transaction creating the same), then locks
    // them (waiting for one changing them), in member order as every writer does. Locking writes no row version.
    this.addSql(`create or replace function ltv_rfm_lock_members(p_members uuid[]) returns void language plpgsql as $$
begin
  insert into ltv_member_rfm (member_id) select distinct u from unnest(p_members) u order by 1 on conflict (member_id) do nothing;
  perform 1 from ltv_member_rfm r join (select distinct u from unnest(p_members) u) m on m.u = r.member_id order by r.member_id for no key update of r;
end $$;`);

    // The given members rebuilt from their orders (rows locked first); members without orders lose their row.
    this.addSql(`create or replace function ltv_rfm_refresh_members(p_members uuid[]) returns void language plpgsql as $$
begin
  perform ltv_rfm_lock_members(p_members);
  update ltv_member_rfm r
  set order_count = c.order_count, occasions = c.occasions, first_day = c.first_day, last_day = c.last_day,
      last_placed_at = c.last_placed_at, net_minor = c.net_minor, first_day_net_minor = c.first_day_net_minor
  from ltv_member_rfm_recount c
  where c.member_id = any(p_members) and r.member_id = c.member_id;
  delete from ltv_member_rfm r using (select distinct u from unnest(p_members) u) m
  where r.member_id = m.u and not exists (select 1 from orders o where o.member_id = r.member_id);
end $$;`);

    this.addSql(`create or replace function ltv_rfm_orders_inserted() returns trigger language plpgsql as $$
begin
  perform ltv_rfm_lock_members(array(select n.member_id from ltv_new_orders n));
  with days as (
    select n.member_id, ltv_utc_day(n.placed_at) as day, count(*)::int as orders, sum(${net('n')})::bigint as net, max(n.placed_at) as last_at
    from ltv_new_orders n group by 1, 2
  ), marked as (
    -- A new occasion: the day's orders are all this statement's (the table holds them already).
    select d.*, min(d.day) over (partition by d.member_id) as first_new_day,
           (select count(*) from orders o
            where o.member_id = d.member_id and o.placed_at >= ltv_utc_day_start(d.day) and o.placed_at < ltv_utc_day_start(d.day + 1)) = d.orders as fresh
    from days d
  ), per_member as (
    select member_id, sum(orders)::int as orders, (count(*) filter (where fresh))::int as new_days, min(day) as first_day, max(day) as last_day,
           max(last_at) as last_at, sum(net)::bigint as net, sum(net) filter (where day = first_new_day)::bigint as first_day_net
    from marked group by member_id
  )
  update ltv_member_rfm r
  set order_count = r.order_count + p.orders,
      occasions = r.occasions + p.new_days,
      first_day = least(r.first_day, p.first_day),
      last_day = greatest(r.last_day, p.last_day),
      last_placed_at = greatest(r.last_placed_at, p.last_at),
      net_minor = r.net_minor + p.net,
      -- an earlier first day holds only this statement's orders; the same first day adds them
      first_day_net_minor = case when r.first_day is null or p.first_day < r.first_day then p.first_day_net
                                 when p.first_day = r.first_day then r.first_day_net_minor + p.first_day_net
                                 else r.first_day_net_minor end
  from per_member p
  where r.member_id = p.member_id;
  return null;
end $$;`);
    this.addSql(`create or replace function ltv_rfm_orders_updated() returns trigger language plpgsql as $$
declare
  v_members uuid[] := array(
    select o.member_id from ltv_old_orders o join ltv_new_orders n on n.id = o.id
    where n.member_id <> o.member_id or n.placed_at <> o.placed_at or n.base_amount_minor <> o.base_amount_minor
       or n.amount_minor <> o.amount_minor or n.refunded_minor <> o.refunded_minor
    union
    select n.member_id from ltv_old_orders o join ltv_new_orders n on n.id = o.id where n.member_id <> o.member_id);
begin
  if cardinality(v_members) > 0 then
    perform ltv_rfm_refresh_members(v_members);
  end if;
  return null;
end $$;`);
    this.addSql(`create or replace function ltv_rfm_orders_deleted() returns trigger language plpgsql as $$
begin
  perform ltv_rfm_refresh_members(array(select distinct o.member_id from ltv_old_orders o));
  return null;
end $$;`);

    // Triggers first: creating them locks orders against writes until this migration commits, so the backfill
    // below and the triggers together see every order exactly once.
    this.addSql('create trigger ltv_rfm_orders_inserted after insert on orders referencing new table as ltv_new_orders for each statement execute function ltv_rfm_orders_inserted();');
    this.addSql('create trigger ltv_rfm_orders_updated after update on orders referencing old table as ltv_old_orders new table as ltv_new_orders for each statement execute function ltv_rfm_orders_updated();');
    this.addSql('create trigger ltv_rfm_orders_deleted after delete on orders referencing old table as ltv_old_orders for each statement execute function ltv_rfm_orders_deleted();');
    this.addSql('insert into ltv_member_rfm select * from ltv_member_rfm_recount;');
  }

  override async down(): Promise<void> {
    for (const trigger of ['ltv_rfm_orders_inserted', 'ltv_rfm_orders_updated', 'ltv_rfm_orders_deleted']) {
      this.addSql(`drop trigger if exists ${trigger} on orders;`);
    }
    for (const fn of ['ltv_rfm_orders_inserted()', 'ltv_rfm_orders_updated()', 'ltv_rfm_orders_deleted()', 'ltv_rfm_refresh_members(uuid[])',
      'ltv_rfm_lock_members(uuid[])']) {
      this.addSql(`drop function if exists ${fn};`);
    }
    this.addSql('drop view if exists ltv_member_rfm_recount;');
    for (const fn of ['ltv_utc_day_start(int)', 'ltv_utc_day(timestamptz)']) this.addSql(`drop function if exists ${fn};`);
    this.addSql('drop table if exists ltv_member_rfm;');
  }
}

import { Migration } from '@mikro-orm/migrations';
import { netBaseAmountSql } from '../src/modules/orders/order.sql';

/**
 * Rollups for growthMetrics (issue 14 item 3), kept by triggers in the same transaction as the writes that change
 * them, so no service code has to remember them and bulk paths (the import, the benches) are covered too:
 *
 * - growth_members: one row per member with what the filters and cohorts need (join time, country, channel), the
 *   time of its first order, and its orders and net spend per UTC month as running totals (`cum_orders[k]` and
 *   `cum_net[k]` count the months base_month .. base_month + k - 1), so any whole-month window of one member is
 *   two array subscripts.
 * - growth_member_months: orders, gross and net base amounts per member per UTC month (the source of the arrays).
 * - growth_month_totals: the same summed per month, country and channel; growth_cohort_cells: members with an
 *   order in a month, per join month, country and channel. Every order adds to its month total, so the totals are
 *   spread over 64 shards by member (growth_members.shard): with 8, the earn bench's 32 concurrent orders spent most
 *   of their time waiting on those rows (Lock:transactionid), pgbench fell from 1399 to 288 orders/s. Cohort cells
 *   and activity pairs change far less often and use shard % 8.
 *
 * - growth_activity_pairs: every member's active days as (day, its previous active day), counted per country and
 *   channel: member-days over a span, and the distinct members active in it (those whose previous day is before it).
 *
 * Months are integers: year x 12 + month (UTC), as growthMetrics always grouped them. Net amounts use the one
 * copy of the net-of-refunds rule (netBaseAmountSql). Orders: statement-level triggers on insert, update and
 * delete read the transition tables and apply one set of deltas; members: insert, a change of join time, country
 * or channel (moves the member's rollups), delete; member_activity_days: insert and delete.
 */
export class Migration20261204080000_growth_rollups extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create or replace function growth_month(p_at timestamptz) returns int language sql immutable parallel safe as
$$ select (date_part('year', p_at at time zone 'UTC') * 12 + date_part('month', p_at at time zone 'UTC'))::int $$;`);

    this.addSql(`create table growth_members (
  member_id uuid not null primary key,
  joined_at timestamptz not null,
  country text not null,
  acquisition_channel text null,
  shard smallint not null,
  first_order_at timestamptz null,
  base_month int null,
  cum_orders int[] null,
  cum_net bigint[] null
);`);
    this.addSql('create index growth_members_joined_at_idx on growth_members (joined_at) include (first_order_at, country, acquisition_channel);');
    this.addSql(`create table growth_member_months (
  member_id uuid not null, month int not null, orders int not null, gross bigint not null, net bigint not null,
  primary key (member_id, month)
);`);
    this.addSql(`create table growth_month_totals (
  month int not null, country text not null, acquisition_channel text not null, shard smallint not null,
  orders bigint not null, gross bigint not null, net bigint not null,
  primary key (month, country, acquisition_channel, shard)
);`);
    this.addSql(`create table growth_cohort_cells (
  join_month int not null, month int not null, country text not null, acquisition_channel text not null, shard smallint not null, members int not null,
  primary key (join_month, month, country, acquisition_channel, shard)
);`);

    this.addSql(`create table growth_activity_pairs (
  day date not null, prev_day date not null, country text not null, acquisition_channel text not null, shard smallint not null, members int not null,
  primary key (day, prev_day, country, acquisition_channel, shard)
);`);

    // Rebuilds the running-total arrays of the given members from their member-months (dense: months without orders
    // repeat the total before them).
    this.addSql(`create or replace function growth_refresh_members(p_members uuid[]) returns void language sql as $$
  update growth_members g set base_month = r.base_month, cum_orders = r.cum_orders, cum_net = r.cum_net
  from (
    select run.member_id, run.lo as base_month, array_agg(run.co order by run.m) as cum_orders, array_agg(run.cn order by run.m) as cum_net
    from (
      select grid.member_id, grid.lo, grid.m,
             (sum(coalesce(x.orders, 0)) over w)::int as co, (sum(coalesce(x.net, 0)) over w)::bigint as cn
      from (
        select b.member_id, b.lo, s.m
        from (select mm.member_id, min(mm.month) as lo, max(mm.month) as hi
              from growth_member_months mm join (select distinct u from unnest(p_members) u) p on p.u = mm.member_id
              group by mm.member_id) b
        cross join lateral generate_series(b.lo, b.hi) s(m)
      ) grid
      left join growth_member_months x on x.member_id = grid.member_id and x.month = grid.m
      window w as (partition by grid.member_id order by grid.m)
    ) run
    group by run.member_id, run.lo
  ) r
  where g.member_id = r.member_id;
  update growth_members g set base_month = null, cum_orders = null, cum_net = null
  from (select distinct u from unnest(p_members) u) p
  where g.member_id = p.u and g.base_month is not null
    and not exists (select 1 from growth_member_months x where x.member_id = g.member_id);
$$;`);

    // Applies order deltas, one per (member, month): member-months, month totals, cohort cells (a member-month
    // appearing or disappearing), first order times (p_first: the earliest new order; p_recheck: members whose
    // orders were deleted or moved in time, recomputed from orders) and the running totals.
    this.addSql(`create or replace function growth_apply_orders(
  p_member uuid[], p_month int[], p_orders int[], p_gross bigint[], p_net bigint[], p_first timestamptz[], p_recheck uuid[]
) returns void language plpgsql as $$
begin
  with d as (
    select * from unnest(p_member, p_month, p_orders, p_gross, p_net) as d(member_id, month, orders, gross, net)
  ), up as (
    insert into growth_member_months as mm (member_id, month, orders, gross, net)
    select d.member_id, d.month, d.orders, d.gross, d.net from d order by d.member_id, d.month
    on conflict (member_id, month) do update
      set orders = mm.orders + excluded.orders, gross = mm.gross + excluded.gross, net = mm.net + excluded.net
    returning mm.member_id, mm.month, mm.orders
  ), steps as (
    select up.member_id, up.month,
           case when up.orders > 0 and up.orders - d.orders <= 0 then 1
                when up.orders <= 0 and up.orders - d.orders > 0 then -1 else 0 end as step
    from up join d on d.member_id = up.member_id and d.month = up.month
  ), cells as (
    insert into growth_cohort_cells as c (join_month, month, country, acquisition_channel, shard, members)
    select growth_month(g.joined_at), s.month, g.country, coalesce(g.acquisition_channel, ''), g.shard % 8, sum(s.step)::int
    from steps s join growth_members g on g.member_id = s.member_id
    where s.step <> 0
    group by 1, 2, 3, 4, 5 order by 1, 2, 3, 4, 5
    on conflict (join_month, month, country, acquisition_channel, shard) do update set members = c.members + excluded.members
  )
  insert into growth_month_totals as t (month, country, acquisition_channel, shard, orders, gross, net)
  select d.month, g.country, coalesce(g.acquisition_channel, ''), g.shard, sum(d.orders), sum(d.gross), sum(d.net)
  from d join growth_members g on g.member_id = d.member_id
  group by 1, 2, 3, 4 order by 1, 2, 3, 4
  on conflict (month, country, acquisition_channel, shard) do update
    set orders = t.orders + excluded.orders, gross = t.gross + excluded.gross, net = t.net + excluded.net;

  if exists (select 1 from unnest(p_orders) o where o < 0) then
    delete from growth_member_months mm using unnest(p_member, p_month) d(member_id, month)
    where mm.member_id = d.member_id and mm.month = d.month and mm.orders <= 0;
  end if;

  if p_first is not null then
    update growth_members g set first_order_at = f.first_at
    from (select x.member_id, min(x.first_at) as first_at from unnest(p_member, p_first) x(member_id, first_at)
          where x.first_at is not null group by x.member_id) f
    where g.member_id = f.member_id and (g.first_order_at is null or f.first_at < g.first_order_at);
  end if;
  if cardinality(p_recheck) > 0 then
    update growth_members g set first_order_at = (select min(o.placed_at) from orders o where o.member_id = g.member_id)
    from (select distinct u from unnest(p_recheck) u) r where g.member_id = r.u;
  end if;

  perform growth_refresh_members(p_member);
end $$;`);

    const net = (alias: string) => netBaseAmountSql(alias);
    this.addSql(`create or replace function growth_orders_inserted() returns trigger language plpgsql as $$
begin
  perform growth_apply_orders(array_agg(d.member_id), array_agg(d.month), array_agg(d.orders), array_agg(d.gross), array_agg(d.net), array_agg(d.first_at), null)
  from (select n.member_id, growth_month(n.placed_at) as month, count(*)::int as orders, sum(n.base_amount_minor)::bigint as gross,
               sum(${net('n')})::bigint as net, min(n.placed_at) as first_at
        from growth_new_orders n group by 1, 2) d
  having count(*) > 0;
  return null;
end $$;`);
    this.addSql(`create or replace function growth_orders_updated() returns trigger language plpgsql as $$
begin
  perform growth_apply_orders(array_agg(d.member_id), array_agg(d.month), array_agg(d.orders), array_agg(d.gross), array_agg(d.net), array_agg(d.first_at),
                              array(select o.member_id from growth_old_orders o join growth_new_orders n on n.id = o.id
                                    where n.placed_at <> o.placed_at or n.member_id <> o.member_id))
  from (select x.member_id, x.month, sum(x.orders)::int as orders, sum(x.gross)::bigint as gross, sum(x.net)::bigint as net, min(x.first_at) as first_at
        from (select n.member_id, growth_month(n.placed_at) as month, 1 as orders, n.base_amount_minor as gross, ${net('n')} as net, n.placed_at as first_at
              from growth_new_orders n
              union all
              select o.member_id, growth_month(o.placed_at), -1, -o.base_amount_minor, -${net('o')}, null
              from growth_old_orders o) x
        group by x.member_id, x.month
        having sum(x.orders) <> 0 or sum(x.gross) <> 0 or sum(x.net) <> 0) d
  having count(*) > 0;
  return null;
end $$;`);
    this.addSql(`create or replace function growth_orders_deleted() returns trigger language plpgsql as $$
begin
  perform growth_apply_orders(array_agg(d.member_id), array_agg(d.month), array_agg(d.orders), array_agg(d.gross), array_agg(d.net), null,
                              array_agg(d.member_id))
  from (select o.member_id, growth_month(o.placed_at) as month, -count(*)::int as orders, -sum(o.base_amount_minor)::bigint as gross,
               -sum(${net('o')})::bigint as net
        from growth_old_orders o group by 1, 2) d
  having count(*) > 0;
  return null;
end $$;`);

    // Activity: each member's active days as (day, the member's previous active day or -infinity) pairs, counted per
    // country and channel. Member-days over a span: the pairs whose day is in it; distinct members active in it: those
    // whose previous day is before it. A change only touches pairs from the member's last day before the earliest
    // changed day: both sides of the difference below start at that day (with the same wrong previous day: it cancels).
    const activityChange = (before: string) => `
  insert into growth_activity_pairs as p (day, prev_day, country, acquisition_channel, shard, members)
  select x.day, x.prev_day, g.country, coalesce(g.acquisition_channel, ''), g.shard % 8, sum(x.step)::int
  from (
    select y.member_id, y.day, coalesce(lag(y.day) over w, '-infinity'::date) as prev_day, y.step
    from (
      select a.member_id, a.day, 1 as step from member_activity_days a join cut c on c.member_id = a.member_id where a.day >= c.day
      union all
      select b.member_id, b.day, -1 from (${before}) b join cut c on c.member_id = b.member_id where b.day >= c.day
    ) y
    window w as (partition by y.member_id, y.step order by y.day)
  ) x join growth_members g on g.member_id = x.member_id
  group by 1, 2, 3, 4, 5 having sum(x.step) <> 0
  order by 1, 2, 3, 4, 5
  on conflict (day, prev_day, country, acquisition_channel, shard) do update set members = p.members + excluded.members`;
    const cut = (changed: string) => `with cut as (
    select f.member_id, coalesce((select max(a.day) from member_activity_days a where a.member_id = f.member_id and a.day < f.first), '-infinity'::date) as day
    from (select member_id, min(day) as first from ${changed} group by member_id) f
  )`;
    this.addSql(`create or replace function growth_activity_inserted() returns trigger language plpgsql as $$
begin
  ${cut('growth_new_days')}${activityChange(`select a.member_id, a.day from member_activity_days a where a.member_id in (select member_id from growth_new_days)
                except all select n.member_id, n.day from growth_new_days n`)};
  return null;
end $$;`);
    this.addSql(`create or replace function growth_activity_deleted() returns trigger language plpgsql as $$
begin
  ${cut('growth_old_days')}${activityChange(`select a.member_id, a.day from member_activity_days a where a.member_id in (select member_id from growth_old_days)
                union all select o.member_id, o.day from growth_old_days o`)};
  return null;
end $$;`);

    this.addSql(`create or replace function growth_members_inserted() returns trigger language plpgsql as $$
begin
  insert into growth_members (member_id, joined_at, country, acquisition_channel, shard)
  select n.id, n.joined_at, n.country, n.acquisition_channel, abs(hashtext(n.id::text)) % 64 from growth_new_members n;
  return null;
end $$;`);
    // Adds (p_sign 1) or takes out (-1) all activity pairs of the given members under their current growth_members values.
    this.addSql(`create or replace function growth_move_activity(p_members uuid[], p_sign int) returns void language sql as $$
  insert into growth_activity_pairs as p (day, prev_day, country, acquisition_channel, shard, members)
  select x.day, x.prev_day, g.country, coalesce(g.acquisition_channel, ''), g.shard % 8, p_sign * count(*)::int
  from (select a.member_id, a.day, coalesce(lag(a.day) over (partition by a.member_id order by a.day), '-infinity'::date) as prev_day
        from member_activity_days a join (select distinct u from unnest(p_members) u) m on m.u = a.member_id) x
  join growth_members g on g.member_id = x.member_id
  group by 1, 2, 3, 4, 5 order by 1, 2, 3, 4, 5
  on conflict (day, prev_day, country, acquisition_channel, shard) do update set members = p.members + excluded.members;
$$;`);

    // A member whose join time, country or channel changes takes its months out under the old values and back in
    // under the new ones (nothing in the service changes them today; this keeps the rollups right if it ever does).
    this.addSql(`create or replace function growth_members_updated() returns trigger language plpgsql as $$
declare
  v_members uuid[]; v_months int[]; v_orders int[]; v_gross bigint[]; v_net bigint[];
begin
  if not exists (select 1 from growth_old_members o join growth_new_members n on n.id = o.id
                 where n.joined_at <> o.joined_at or n.country <> o.country or n.acquisition_channel is distinct from o.acquisition_channel) then
    return null;
  end if;
  select array_agg(mm.member_id), array_agg(mm.month), array_agg(mm.orders), array_agg(mm.gross), array_agg(mm.net)
    into v_members, v_months, v_orders, v_gross, v_net
  from growth_member_months mm join growth_old_members o on o.id = mm.member_id join growth_new_members n on n.id = o.id
  where n.joined_at <> o.joined_at or n.country <> o.country or n.acquisition_channel is distinct from o.acquisition_channel;
  if v_members is not null then
    perform growth_apply_orders(v_members, v_months, array(select -x from unnest(v_orders) x), array(select -x from unnest(v_gross) x),
                                array(select -x from unnest(v_net) x), null, null);
  end if;
  perform growth_move_activity(array(select n.id from growth_old_members o join growth_new_members n on n.id = o.id
                                     where n.joined_at <> o.joined_at or n.country <> o.country or n.acquisition_channel is distinct from o.acquisition_channel), -1);
  update growth_members g set joined_at = n.joined_at, country = n.country, acquisition_channel = n.acquisition_channel
  from growth_new_members n where g.member_id = n.id
    and (g.joined_at <> n.joined_at or g.country <> n.country or g.acquisition_channel is distinct from n.acquisition_channel);
  if v_members is not null then
    perform growth_apply_orders(v_members, v_months, v_orders, v_gross, v_net, null, null);
  end if;
  perform growth_move_activity(array(select n.id from growth_old_members o join growth_new_members n on n.id = o.id
                                     where n.joined_at <> o.joined_at or n.country <> o.country or n.acquisition_channel is distinct from o.acquisition_channel), 1);
  return null;
end $$;`);
    this.addSql(`create or replace function growth_members_deleted() returns trigger language plpgsql as $$
begin
  delete from growth_members g using growth_old_members o where g.member_id = o.id;
  return null;
end $$;`);

    // Triggers first: creating them locks orders and members against writes until this migration commits, so the
    // backfill below and the triggers together see every row exactly once.
    this.addSql('create trigger growth_members_inserted after insert on members referencing new table as growth_new_members for each statement execute function growth_members_inserted();');
    this.addSql('create trigger growth_members_updated after update on members referencing old table as growth_old_members new table as growth_new_members for each statement execute function growth_members_updated();');
    this.addSql('create trigger growth_members_deleted after delete on members referencing old table as growth_old_members for each statement execute function growth_members_deleted();');
    this.addSql('create trigger growth_activity_inserted after insert on member_activity_days referencing new table as growth_new_days for each statement execute function growth_activity_inserted();');
    this.addSql('create trigger growth_activity_deleted after delete on member_activity_days referencing old table as growth_old_days for each statement execute function growth_activity_deleted();');
    this.addSql('create trigger growth_orders_inserted after insert on orders referencing new table as growth_new_orders for each statement execute function growth_orders_inserted();');
    this.addSql('create trigger growth_orders_updated after update on orders referencing old table as growth_old_orders new table as growth_new_orders for each statement execute function growth_orders_updated();');
    this.addSql('create trigger growth_orders_deleted after delete on orders referencing old table as growth_old_orders for each statement execute function growth_orders_deleted();');

    // Backfill.
    this.addSql(`insert into growth_members (member_id, joined_at, country, acquisition_channel, shard, first_order_at)
select m.id, m.joined_at, m.country, m.acquisition_channel, abs(hashtext(m.id::text)) % 64, f.first_at
from members m left join (select o.member_id, min(o.placed_at) as first_at from orders o group by o.member_id) f on f.member_id = m.id;`);
    this.addSql(`insert into growth_member_months (member_id, month, orders, gross, net)
select o.member_id, growth_month(o.placed_at), count(*), sum(o.base_amount_minor), sum(${net('o')}) from orders o group by 1, 2;`);
    this.addSql(`insert into growth_month_totals (month, country, acquisition_channel, shard, orders, gross, net)
select mm.month, g.country, coalesce(g.acquisition_channel, ''), g.shard, sum(mm.orders), sum(mm.gross), sum(mm.net)
from growth_member_months mm join growth_members g on g.member_id = mm.member_id group by 1, 2, 3, 4;`);
    this.addSql(`insert into growth_cohort_cells (join_month, month, country, acquisition_channel, shard, members)
select growth_month(g.joined_at), mm.month, g.country, coalesce(g.acquisition_channel, ''), g.shard % 8, count(*)
from growth_member_months mm join growth_members g on g.member_id = mm.member_id group by 1, 2, 3, 4, 5;`);
    this.addSql(`insert into growth_activity_pairs (day, prev_day, country, acquisition_channel, shard, members)
select x.day, x.prev_day, g.country, coalesce(g.acquisition_channel, ''), g.shard % 8, count(*)
from (select a.member_id, a.day, coalesce(lag(a.day) over (partition by a.member_id order by a.day), '-infinity'::date) as prev_day from member_activity_days a) x
join growth_members g on g.member_id = x.member_id group by 1, 2, 3, 4, 5;`);
    this.addSql('select growth_refresh_members(array(select g.member_id from growth_members g where g.first_order_at is not null));');
  }

  override async down(): Promise<void> {
    for (const [trigger, table] of [
      ['growth_members_inserted', 'members'], ['growth_members_updated', 'members'], ['growth_members_deleted', 'members'],
      ['growth_orders_inserted', 'orders'], ['growth_orders_updated', 'orders'], ['growth_orders_deleted', 'orders'],
      ['growth_activity_inserted', 'member_activity_days'], ['growth_activity_deleted', 'member_activity_days'],
    ]) {
      this.addSql(`drop trigger if exists ${trigger} on ${table};`);
      this.addSql(`drop function if exists ${trigger}();`);
    }
    this.addSql('drop function if exists growth_apply_orders(uuid[], int[], int[], bigint[], bigint[], timestamptz[], uuid[]);');
    this.addSql('drop function if exists growth_refresh_members(uuid[]);');
    this.addSql('drop function if exists growth_refresh_members(uuid[], uuid[], timestamptz[]);');
    this.addSql('drop function if exists growth_move_activity(uuid[], int);');
    for (const table of ['growth_activity_pairs', 'growth_cohort_cells', 'growth_month_totals', 'growth_member_months', 'growth_members']) this.addSql(`drop table if exists ${table};`);
    this.addSql('drop function if exists growth_month(timestamptz);');
  }
}

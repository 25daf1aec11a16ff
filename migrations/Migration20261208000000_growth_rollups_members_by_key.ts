import { Migration } from '@mikro-orm/migrations';

/**
 * The growth rollups' order deltas (Migration20261205000000_growth_rollups_bulk), with less work per statement and
 * the same results (test/integration/growth-rollups.test.ts compares the rollups with the definitions):
 * - the touched members' attributes are read by primary key through a join to the member list: `member_id =
 *   any(v_members)` on a variable array was planned as a scan of every growth member testing each against the whole
 *   array (0.5 s of a 200,000-order import statement against 20,000 members, and growing with the programme);
 * - a statement that adds orders writes each touched member's row once, its first order time with its running
 *   totals, instead of once for each (two updates of the same rows: 0.45 s of the same statement).
 */
export class Migration20261208000000_growth_rollups_members_by_key extends Migration {
  override async up(): Promise<void> {
    // The running totals of the given members rebuilt (one ordered pass over their months, as before) and written
    // with their first order time when p_first_member/p_first_at give one earlier than the stored one.
    this.addSql(`create or replace function growth_refresh_members(p_members uuid[], p_first_member uuid[], p_first_at timestamptz[]) returns void language plpgsql as $$
declare
  v_ids uuid[] := array(select distinct u from unnest(p_members) u where u is not null order by 1);
  v_row record;
  v_member uuid;
  v_lo int;
  v_last int;
  v_co int;
  v_cn bigint;
  v_orders int[];
  v_net bigint[];
  v_out_members uuid[] := '{}';
  v_out_lo int[] := '{}';
  v_out_orders text[] := '{}';
  v_out_net text[] := '{}';
begin
  for v_row in select x.member_id, x.month, x.orders, x.net from unnest(v_ids) i join growth_member_months x on x.member_id = i order by x.member_id, x.month loop
    if v_member is distinct from v_row.member_id then
      if v_member is not null then
        v_out_members := array_append(v_out_members, v_member);
        v_out_lo := array_append(v_out_lo, v_lo);
        v_out_orders := array_append(v_out_orders, v_orders::text);
        v_out_net := array_append(v_out_net, v_net::text);
      end if;
      v_member := v_row.member_id;
      v_lo := v_row.month;
      v_last := v_row.month - 1;
      v_co := 0;
      v_cn := 0;
      v_orders := '{}';
      v_net := '{}';
    end if;
    -- Months without orders repeat the total before them.
    while v_last < v_row.month - 1 loop
      v_orders := array_append(v_orders, v_co);
      v_net := array_append(v_net, v_cn);
      v_last := v_last + 1;
    end loop;
    v_co := v_co + v_row.orders;
    v_cn := v_cn + v_row.net;
    v_orders := array_append(v_orders, v_co);
    v_net := array_append(v_net, v_cn);
    v_last := v_row.month;
  end loop;
  if v_member is not null then
    v_out_members := array_append(v_out_members, v_member);
    v_out_lo := array_append(v_out_lo, v_lo);
    v_out_orders := array_append(v_out_orders, v_orders::text);
    v_out_net := array_append(v_out_net, v_net::text);
  end if;
  with firsts as (
    select x.member_id, min(x.first_at) as first_at from unnest(p_first_member, p_first_at) x(member_id, first_at)
    where x.first_at is not null group by x.member_id
  ), refreshed as (
    select * from unnest(v_out_members, v_out_lo, v_out_orders, v_out_net) u(member_id, lo, cum_orders, cum_net)
  ), changes as (
    select coalesce(r.member_id, f.member_id) as member_id, r.member_id is not null as refreshed, r.lo, r.cum_orders, r.cum_net, f.first_at
    from refreshed r full join firsts f on f.member_id = r.member_id
  )
  update growth_members g
  set base_month = case when c.refreshed then c.lo else g.base_month end,
      cum_orders = case when c.refreshed then c.cum_orders::int[] else g.cum_orders end,
      cum_net = case when c.refreshed then c.cum_net::bigint[] else g.cum_net end,
      first_order_at = case when c.first_at < g.first_order_at or g.first_order_at is null then coalesce(c.first_at, g.first_order_at) else g.first_order_at end
  from changes c
  where g.member_id = c.member_id;
  update growth_members g set base_month = null, cum_orders = null, cum_net = null
  from unnest(v_ids) i
  where g.member_id = i and g.base_month is not null
    and not exists (select 1 from growth_member_months x where x.member_id = g.member_id);
end $$;`);
    this.addSql(`create or replace function growth_refresh_members(p_members uuid[]) returns void language sql as $$
  select growth_refresh_members(p_members, null, null);
$$;`);

    // As Migration20261205000000_growth_rollups_bulk, with the two changes above.
    this.addSql(`create or replace function growth_apply_orders(
  p_member uuid[], p_month int[], p_orders int[], p_gross bigint[], p_net bigint[], p_first timestamptz[], p_recheck uuid[]
) returns void language plpgsql as $$
declare
  v_members uuid[] := array(select distinct u from unnest(p_member) u order by 1);
  v_up_member uuid[];
  v_up_month int[];
  v_up_orders int[];
  v_up_fresh boolean[];
begin
  -- Each member-month's count after the change, and whether this statement created it.
  with up as (
    insert into growth_member_months as mm (member_id, month, orders, gross, net)
    select d.member_id, d.month, d.orders, d.gross, d.net
    from unnest(p_member, p_month, p_orders, p_gross, p_net) as d(member_id, month, orders, gross, net) order by d.member_id, d.month
    on conflict (member_id, month) do update
      set orders = mm.orders + excluded.orders, gross = mm.gross + excluded.gross, net = mm.net + excluded.net
    returning mm.member_id, mm.month, mm.orders, mm.xmin = pg_current_xact_id()::xid and mm.xmax = 0 as fresh
  ) select array_agg(up.member_id), array_agg(up.month), array_agg(up.orders), array_agg(up.fresh) into v_up_member, v_up_month, v_up_orders, v_up_fresh from up;

  if exists (select 1 from unnest(p_orders) o where o < 0) then
    delete from growth_member_months mm using unnest(p_member, p_month) d(member_id, month)
    where mm.member_id = d.member_id and mm.month = d.month and mm.orders <= 0;
  end if;

  if cardinality(p_recheck) > 0 then
    update growth_members g set first_order_at = (select min(o.placed_at) from orders o where o.member_id = g.member_id)
    from (select distinct u from unnest(p_recheck) u) r where g.member_id = r.u;
  end if;

  -- The running totals, and the first order times the new orders bring (p_first: each delta's earliest order).
  perform growth_refresh_members(v_members, case when p_first is not null then p_member end, p_first);

  with d as (
    select * from unnest(p_member, p_month, p_orders, p_gross, p_net) as d(member_id, month, orders, gross, net)
  ), up as (
    select * from unnest(v_up_member, v_up_month, v_up_orders, v_up_fresh) as up(member_id, month, orders, fresh)
  ), g as materialized (
    select g.member_id, growth_month(g.joined_at) as join_month, g.country, coalesce(g.acquisition_channel, '') as channel, g.shard
    from unnest(v_members) i join growth_members g on g.member_id = i
  ), steps as (
    -- A member-month the statement created starts with its delta: it appears when that is positive. Others appear
    -- or disappear when their count crosses zero.
    select up.member_id, up.month, case when up.orders > 0 then 1 else 0 end as step from up where up.fresh
    union all
    select up.member_id, up.month,
           case when up.orders > 0 and up.orders - d.orders <= 0 then 1
                when up.orders <= 0 and up.orders - d.orders > 0 then -1 else 0 end
    from up join d on d.member_id = up.member_id and d.month = up.month
    where not up.fresh
  ), cells as (
    insert into growth_cohort_cells as c (join_month, month, country, acquisition_channel, shard, members)
    select g.join_month, s.month, g.country, g.channel, g.shard % 8, sum(s.step)::int
    from steps s join g on g.member_id = s.member_id
    where s.step <> 0
    group by 1, 2, 3, 4, 5 order by 1, 2, 3, 4, 5
    on conflict (join_month, month, country, acquisition_channel, shard) do update set members = c.members + excluded.members
  )
  insert into growth_month_totals as t (month, country, acquisition_channel, shard, orders, gross, net)
  select d.month, g.country, g.channel, g.shard, sum(d.orders), sum(d.gross), sum(d.net)
  from d join g on g.member_id = d.member_id
  group by 1, 2, 3, 4 order by 1, 2, 3, 4
  on conflict (month, country, acquisition_channel, shard) do update
    set orders = t.orders + excluded.orders, gross = t.gross + excluded.gross, net = t.net + excluded.net;
end $$;`);
  }

  override async down(): Promise<void> {
    // The functions above give the same rollups as the ones they replace; reverting
    // Migration20261204080000_growth_rollups drops them all.
  }
}

import { Migration } from '@mikro-orm/migrations';

/**
 * The growth rollups' order deltas (Migration20261204080000_growth_rollups), cheaper for big statements: a history
 * import chunk inserts 50,000 orders of 5,000 members in one COPY, and the statement trigger was half the cost of
 * that COPY. Same results (test/integration/growth-rollups.test.ts compares the rollups with the definitions):
 * - each member's attributes (join month, country, channel, shard) are read once per member, by primary key, instead
 *   of once per member-month through a scan of every growth member (which grows with the programme);
 * - a member-month inserted by the statement is a new cohort cell without comparing it with its delta; only
 *   member-months that existed before are compared;
 * - the rows every order shares (month totals, cohort cells) are written last, after the member's own rows, so that
 *   they are held from there to the commit only (two import chunks applied at once waited on each other's whole
 *   trigger);
 * - the running totals are rebuilt in one ordered pass over the touched members' months, read by primary key (not a
 *   scan of all member-months, nor a dense grid of months sorted twice), and written by primary key.
 */
export class Migration20261205000000_growth_rollups_bulk extends Migration {
  override async up(): Promise<void> {
    // One ordered pass over the touched members' months (a loop here: the arrays are built as the months come,
    // instead of a dense grid of every member's months sorted twice), then one update by primary key.
    this.addSql(`create or replace function growth_refresh_members(p_members uuid[]) returns void language plpgsql as $$
declare
  v_ids uuid[] := array(select distinct u from unnest(p_members) u where u is not null);
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
  for v_row in select x.member_id, x.month, x.orders, x.net from growth_member_months x where x.member_id = any(v_ids) order by x.member_id, x.month loop
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
  update growth_members g set base_month = u.lo, cum_orders = u.cum_orders::int[], cum_net = u.cum_net::bigint[]
  from unnest(v_out_members, v_out_lo, v_out_orders, v_out_net) u(member_id, lo, cum_orders, cum_net)
  where g.member_id = u.member_id;
  update growth_members g set base_month = null, cum_orders = null, cum_net = null
  where g.member_id = any(v_ids) and g.base_month is not null
    and not exists (select 1 from growth_member_months x where x.member_id = g.member_id);
end $$;`);

    // The member-local rows first (member-months, first order times, running totals), then the rows every order
    // shares (month totals, cohort cells), so that those are held from there to the commit only: two transactions
    // adding orders of different members wait on each other for that last statement only.
    this.addSql(`create or replace function growth_apply_orders(
  p_member uuid[], p_month int[], p_orders int[], p_gross bigint[], p_net bigint[], p_first timestamptz[], p_recheck uuid[]
) returns void language plpgsql as $$
declare
  v_members uuid[] := array(select distinct u from unnest(p_member) u);
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

  perform growth_refresh_members(v_members);

  with d as (
    select * from unnest(p_member, p_month, p_orders, p_gross, p_net) as d(member_id, month, orders, gross, net)
  ), up as (
    select * from unnest(v_up_member, v_up_month, v_up_orders, v_up_fresh) as up(member_id, month, orders, fresh)
  ), g as materialized (
    select g.member_id, growth_month(g.joined_at) as join_month, g.country, coalesce(g.acquisition_channel, '') as channel, g.shard
    from growth_members g where g.member_id = any(v_members)
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
    // Nothing to undo: these definitions give the same rollups as the ones they replace, and reverting
    // Migration20261204080000_growth_rollups drops both functions.
  }
}

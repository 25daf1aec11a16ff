-- The earn bench's baseline: the SQL statements one recordOrder (USD, placed now, no campaign rules, a storefront
-- caller so nothing is audited) sends through the server (src/modules/orders/order.service.ts and order.sql.ts, the
-- order_read_token, order_record_checked and order_record are PL/pgSQL functions of migrations/
-- Migration20261204060000_order_commands.ts and Migration20261207000000_order_record_checked.ts), in the same order
-- and, as the server, outside any transaction (each statement is its own), with what the server
-- computes in between done here in pgbench variables and SQL expressions.
-- One run of this script records one order of :amount_minor cents, earning :points pending PTS.
-- Variables (-D): lo, hi: the members' range (bench member i has id md5('perkgraph-bench-member-' || i)::uuid);
-- amount_minor; points (what the server earns on it); base: a number unique to this pgbench run; n: 0.
-- The ladder is flattened to its lowest tier (1x) for this bench, so every order earns the same points.
-- Taken from the server's statement log (BENCH_LOG_STATEMENTS=1 npm run bench -- earn prints it) in the steady
-- state (the member's account and the system account exist): when the services change, log them again and keep
-- this script in step.
-- The server sends every one of them as a named prepared statement (src/db/sql.ts); pgbench runs them with one
-- protocol, by default --protocol=prepared (so neither parses nor plans any of them per run). The script is
-- written for the simple protocol, where pgbench writes a variable's text into the SQL, so text values are quoted
-- (':name'); bench/pgbench.ts drops those quotes for --protocol=prepared or extended. pgbench takes any ':name' as a
-- variable, also inside a string, hence 'order:' || 'pgb-' rather than 'order:pgb-'.
\set m random(:lo, :hi)
\set n :n + 1
\set k :base + :client_id * 100000000 + :n

-- what the order earns, read without a lock (ORDER_READ): the member checked (it exists, not erased), its market and
-- tier standing, what the write checks (seen), ladder, qualifying spend, first order?, rules, earning currencies and
-- the rate in force; \gset keeps the row's values in variables (the write passes :seen back)
select ledger_member_or_fail(md5('perkgraph-bench-member-' || :m)::uuid, null)::text as checked,
       (select m.country from members m where m.id = md5('perkgraph-bench-member-' || :m)::uuid) as country,
       coalesce((select mt.tier_code from member_tiers mt where mt.member_id = md5('perkgraph-bench-member-' || :m)::uuid), (select t.code from tiers t order by t.rank limit 1)) as tier_code,
       (select mt.retain_until from member_tiers mt where mt.member_id = md5('perkgraph-bench-member-' || :m)::uuid) as retain_until,
       order_read_token(md5('perkgraph-bench-member-' || :m)::uuid) as seen,
       (select json_agg(json_build_object('code', t.code, 'name', t.name, 'names', t.names, 'rank', t.rank, 'threshold_minor', t.threshold_minor::text, 'earn_multiplier', t.earn_multiplier::text) order by t.rank) from tiers t) as ladder,
       (select coalesce(sum((case when o.refunded_minor = 0 then o.base_amount_minor else div(o.base_amount_minor::numeric * (o.amount_minor - o.refunded_minor), o.amount_minor)::bigint end)), 0)::text
          from orders o where o.member_id = md5('perkgraph-bench-member-' || :m)::uuid and o.placed_at > now() - interval '12 months' and o.placed_at <= now()) as spend,
       exists (select 1 from orders o where o.member_id = md5('perkgraph-bench-member-' || :m)::uuid and o.placed_at <= now()) as earlier,
       (select coalesce(json_agg(json_build_object('code', r.code, 'currency', r.currency, 'markets', r.markets, 'starts_at', r.starts_at, 'ends_at', r.ends_at, 'min_order_base_minor', r.min_order_base_minor::text, 'first_order_only', r.first_order_only, 'multiplier', r.multiplier, 'bonus_points', r.bonus_points) order by r.id), '[]') from earning_rules r where r.active) as rules,
       (select coalesce(json_agg(json_build_object('code', c.code, 'name', c.name, 'valueInBase', c.value_in_base::text, 'earnRate', c.earn_rate::text, 'expiryMonths', c.expiry_months, 'earnsOnOrders', c.earns_on_orders) order by c.code), '[]') from points_currencies c where c.earns_on_orders) as currencies,
       case when 'USD' = 'USD' then '1' else (select x.rate::text from exchange_rates x where x.currency = 'USD' and x.effective_at <= now() order by x.effective_at desc limit 1) end as fx_rate \gset
-- the order with what it earned, and its EARN transfer, balance and pending lot, in one call that first locks the
-- member's tier row and checks the read is not stale
select * from order_record_checked(null, ':seen', md5('pgb-order-' || :k)::uuid, md5('perkgraph-bench-member-' || :m)::uuid, 'pgb-' || :k, :amount_minor, 'USD', :amount_minor, 'USD', '1', now(),
                           '0000000000000000000000000000000000000000000000000000000000000000', :points,
                           ('{"earned":{"PTS":{"points":"' || :points::text || '","rules":[]}}}')::jsonb,
                           ('[{"currency":"PTS","points":"' || :points::text || '","expiresAt":"' || (now() + interval '12 months')::text || '","details":{"rules":[]}}]')::jsonb,
                           now() + interval '14 days', now());

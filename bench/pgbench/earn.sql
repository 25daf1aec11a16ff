-- The earn bench's baseline: the SQL statements one recordOrder (USD, placed now, no campaign rules, a storefront
-- caller so nothing is audited) sends through the server (src/modules/orders/order.service.ts, the member-status
-- loader, src/modules/tiers/tier.service.ts, src/modules/ledger/ledger.ts: ledger_lock_account and ledger_post are
-- PL/pgSQL functions of migrations/Migration20261204040000_ledger_commands.ts), in the same order and transaction,
-- with what the server computes in between done here in pgbench variables and SQL expressions.
-- One run of this script records one order of :amount_minor cents, earning :points pending PTS.
-- Variables (-D): lo, hi: the members' range (bench member i has id md5('perkgraph-bench-member-' || i)::uuid);
-- amount_minor; points (what the server earns on it); base: a number unique to this pgbench run; n: 0.
-- The ladder is flattened to its lowest tier (1x) for this bench, so every order earns the same points.
-- Taken from the server's statement log (BENCH_LOG_STATEMENTS=1 npm run bench -- earn prints it) in the steady
-- state (the member's account and the system account exist): when the services change, log them again and keep
-- this script in step.
-- The server sends the member look-up, ledger_lock_account and ledger_post as named prepared statements
-- (src/db/sql.ts) and the others as SQL text with the values written in; pgbench runs every statement with one
-- protocol, by default --protocol=prepared (so the baseline parses and plans none of them per run). The script is
-- written for the simple protocol, where pgbench writes a variable's text into the SQL, so text values are quoted
-- (':m_id'); bench/pgbench.ts drops those quotes for --protocol=prepared or extended. pgbench takes any ':name' as a
-- variable, also inside a string, hence 'order:' || 'pgb-' rather than 'order:pgb-'.
\set m random(:lo, :hi)
\set n :n + 1
\set k :base + :client_id * 100000000 + :n

-- the member (member-status loader: the member row only)
select m.* from members m where m.id = any(array(select json_array_elements_text(json_build_array(md5('perkgraph-bench-member-' || :m)::uuid::text)))::uuid[]) \gset m_
begin;
insert into orders (id, member_id, external_id, amount_minor, currency, base_amount_minor, base_currency, fx_rate, placed_at,
                    refunded_minor, status, points_earned, request_hash, created_at)
  values (md5('pgb-order-' || :k)::uuid, ':m_id', 'pgb-' || :k, :amount_minor, 'USD', :amount_minor, 'USD', '1', now(), 0, 'PAID', 0,
          '0000000000000000000000000000000000000000000000000000000000000000', now())
  on conflict (external_id) do nothing returning id \gset o_
select exists (select 1 from orders where member_id = ':m_id' and id <> ':o_id' and placed_at <= now()) as earlier;
-- the member's tier: the ladder, its tier row locked, its qualifying spend (upgradeAfterOrder; the bench's ladder is
-- flat, so no upgrade follows)
select code, name, names, rank, threshold_minor, earn_multiplier from tiers order by rank;
insert into member_tiers (member_id, tier_code, reached_at, retain_until) values (':m_id', 'BRONZE', now(), null) on conflict (member_id) do nothing;
select member_id, tier_code, retain_until from member_tiers where member_id in (':m_id') order by member_id for update;
select member_id, sum((case when refunded_minor = 0 then base_amount_minor else div(base_amount_minor::numeric * (amount_minor - refunded_minor), amount_minor)::bigint end))::text as spend
  from orders where member_id in (':m_id') and placed_at > now() - interval '12 months' and placed_at <= now() group by member_id;
select "e0".* from "earning_rules" as "e0" where "e0"."active" = true;
select "p0".* from "points_currencies" as "p0" where "p0"."earns_on_orders" = true order by "p0"."code" asc;
-- the ledger: lock the member's account (expiring its due holds), then the EARN transfer, balance and pending lot in one call
select * from ledger_lock_account(':m_id', 'PTS', now()) \gset a_
select * from ledger_post(:a_id, 'CREDIT', 'PENDING', 'EARN', :points, 'ISSUANCE', 'order:' || 'pgb-' || :k::text, null, '{"rules":[]}', ':o_id', null, null,
                          now() + interval '12 months', now() + interval '12 months', now() + interval '14 days');
update orders set points_earned = :points, details = ('{"earned":{"PTS":{"points":"' || :points::text || '","rules":[]}}}')::jsonb where id = ':o_id'
  returning *;
commit;

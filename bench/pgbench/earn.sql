-- The earn bench's baseline: the SQL statements one recordOrder (USD, placed now, no campaign rules, a storefront
-- caller so nothing is audited) sends through the server (src/modules/orders/order.service.ts,
-- src/modules/ledger/ledger.ts, points-currency.service.ts, the member loader and the ORM look-ups), in the same
-- order and transaction, with what the server computes in between done here in pgbench variables.
-- One run of this script records one order of :amount_minor cents, earning :points pending PTS.
-- Variables (-D): lo, hi: the members' range (bench member i has id md5('perkgraph-bench-member-' || i)::uuid);
-- amount_minor; points (what the server earns on it); base: a number unique to this pgbench run; n: 0.
-- The ladder is flattened to its lowest tier (1x) for this bench, so every order earns the same points.
-- Taken from the server's statement log (MikroORM's debug: ['query']) after the statement trim that
-- followed commit 9973cbc, in the steady state (the member's account and the system account exist): when the services change, log them again and keep this script in step.
-- Written for pgbench's simple protocol (--protocol=simple), which is what the server uses: MikroORM writes the
-- values into the SQL text and sends it unprepared, so PostgreSQL parses and plans every statement. Text values are
-- therefore quoted (':m_id'); bench/pgbench.ts drops those quotes for --protocol=prepared or extended.
\set m random(:lo, :hi)
\set n :n + 1
\set k :base + :client_id * 100000000 + :n

-- the member (DataLoader)
select "m0".* from "members" as "m0" where "m0"."id" in (md5('perkgraph-bench-member-' || :m)::uuid) \gset m_
begin;
insert into orders (id, member_id, external_id, amount_minor, currency, base_amount_minor, base_currency, fx_rate, placed_at,
                    refunded_minor, status, points_earned, request_hash, created_at)
  values (md5('pgb-order-' || :k)::uuid, ':m_id', 'pgb-' || :k, :amount_minor, 'USD', :amount_minor, 'USD', '1', now(), 0, 'PAID', 0,
          '0000000000000000000000000000000000000000000000000000000000000000', now())
  on conflict (external_id) do nothing returning id \gset o_
select exists (select 1 from orders where member_id = ':m_id' and id <> ':o_id' and placed_at <= now()) as earlier;
-- the member's tier: the ladder, its tier row locked, its qualifying spend (src/modules/tiers/tier.service.ts
-- upgradeAfterOrder; the bench's ladder is flat, so no upgrade follows)
select code, name, names, rank, threshold_minor, earn_multiplier from tiers order by rank;
insert into member_tiers (member_id, tier_code, reached_at, retain_until) values (':m_id', 'BRONZE', now(), null) on conflict (member_id) do nothing;
select member_id, tier_code, retain_until from member_tiers where member_id in (':m_id') order by member_id for update;
select member_id, sum(div(base_amount_minor::numeric * (amount_minor - refunded_minor), amount_minor))::text as spend
  from orders where member_id in (':m_id') and placed_at > now() - interval '12 months' and placed_at <= now() group by member_id;
select "e0".* from "earning_rules" as "e0" where "e0"."active" = true;
select "p0".* from "points_currencies" as "p0" where "p0"."earns_on_orders" = true order by "p0"."code" asc;
select id, posted, pending, held from points_accounts where member_id = ':m_id' and currency = 'PTS' for update \gset a_
select id from points_accounts where system_code = 'ISSUANCE' and currency = 'PTS' \gset sys_
insert into points_transfers
  (currency, kind, bucket, debit_account_id, credit_account_id, amount, member_id, idempotency_key, request_hash,
   order_id, reference, reason, details, expires_at, created_at)
  values ('PTS', 'EARN', 'PENDING', :sys_id, :a_id, :points, ':m_id', null, null, ':o_id', 'order:' || 'pgb-' || :k, null, '{"rules":[]}',
          now() + interval '12 months', now())
  returning * \gset t_
\set pending :a_pending + :points
update points_accounts set posted = :a_posted, pending = :pending, held = :a_held where id = :a_id;
insert into points_lots (account_id, member_id, currency, transfer_id, order_id, amount, remaining, reversed, pending, vests_at, expires_at, created_at)
  values (:a_id, ':m_id', 'PTS', :t_id, ':o_id', :points, :points, 0, true, now() + interval '14 days', now() + interval '12 months', now());
update orders set points_earned = :points, details = ('{"earned":{"PTS":{"points":"' || :points::text || '","rules":[]}}}')::jsonb where id = ':o_id'
  returning *;
commit;

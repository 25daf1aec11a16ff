-- The redeem bench's baseline: the SQL statements one holdPoints and one capturePoints send through the server
-- (src/modules/checkout/checkout.service.ts, hold-expiry.ts, src/modules/ledger/ledger.ts, the member loader and
-- the ORM look-ups), in the same order and transactions, with what the server computes in between done here in
-- pgbench variables. One run of this script is one redemption of :points points.
-- Variables (-D): lo, hi: the members' range (bench member i has id md5('perkgraph-bench-member-' || i)::uuid);
-- points; base: a number unique to this pgbench run; n: 0 (a per-client counter that makes keys unique).
-- Taken from the server's statement log (MikroORM's debug: ['query']) after the statement trim that
-- followed commit 9973cbc, in the steady state (the member's account and the system account exist): when the services change, log them again and keep this script in step.
-- Written for pgbench's simple protocol (--protocol=simple), which is what the server uses: MikroORM writes the
-- values into the SQL text and sends it unprepared, so PostgreSQL parses and plans every statement. Text values are
-- therefore quoted (':m_id'); bench/pgbench.ts drops those quotes for --protocol=prepared or extended.
\set m random(:lo, :hi)
\set n :n + 1
\set k :base + :client_id * 100000000 + :n

-- holdPoints: the member (DataLoader), the points currency, then the hold transaction (replays answered under the lock)
select "m0".* from "members" as "m0" where "m0"."id" in (md5('perkgraph-bench-member-' || :m)::uuid) \gset m_
select "p0".* from "points_currencies" as "p0" where "p0"."code" = 'PTS' limit 1;
begin;
select id, posted, pending, held from points_accounts where member_id = ':m_id' and currency = 'PTS' for update \gset a_
select * from points_holds where idempotency_key = 'pgb-' || :k;
update points_holds set status = 'EXPIRED', resolved_at = now() where account_id = :a_id and status = 'HELD' and expires_at <= now() returning points;
insert into points_holds (id, member_id, account_id, currency, points, order_ref, status, expires_at, idempotency_key, request_hash, created_at)
  values (md5('pgb-' || :k)::uuid, ':m_id', :a_id, 'PTS', :points, 'cart-' || :k, 'HELD', now() + interval '900 seconds', 'pgb-' || :k,
          '0000000000000000000000000000000000000000000000000000000000000000', now())
  returning *;
\set held :a_held + :points
update points_accounts set posted = :a_posted, pending = :a_pending, held = :held where id = :a_id;
commit;

-- capturePoints: the hold, its member (DataLoader), then the capture transaction
select "p0".* from "points_holds" as "p0" where "p0"."id" = md5('pgb-' || :k)::uuid limit 1 \gset h_
select "m0".* from "members" as "m0" where "m0"."id" in (':h_member_id');
begin;
select id, member_id, currency, posted, pending, held from points_accounts where id = :h_account_id and member_id is not null for update \gset b_
update points_holds set status = 'EXPIRED', resolved_at = now() where account_id = :b_id and status = 'HELD' and expires_at <= now() returning points;
select * from points_holds where id = ':h_id' \gset s_
select id from points_accounts where system_code = 'REDEMPTION' and currency = 'PTS' \gset sys_
insert into points_transfers
  (currency, kind, bucket, debit_account_id, credit_account_id, amount, member_id, idempotency_key, request_hash,
   order_id, reference, reason, details, expires_at, created_at)
  values ('PTS', 'REDEEM', 'POSTED', :b_id, :sys_id, :s_points, ':b_member_id', null, null, null, 'hold:' || ':h_id', 'checkout ' || ':s_order_ref', null, null, now())
  returning * \gset t_
\set posted :b_posted - :s_points
\set held :b_held - :s_points
update points_accounts set posted = :posted, pending = :b_pending, held = :held where id = :b_id;
with ordered as (
  select id, remaining, sum(remaining) over (order by expires_at, id) - remaining as before
  from points_lots
  where account_id = :b_id and remaining > 0 and not pending
), drawn as (
  select id, least(remaining, :s_points - before) as taken from ordered where before < :s_points
)
update points_lots l set remaining = l.remaining - drawn.taken from drawn where l.id = drawn.id
returning drawn.taken;
update points_holds set status = 'CAPTURED', transfer_id = :t_id, resolved_at = now() where id = ':h_id' returning *;
commit;

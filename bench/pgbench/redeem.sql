-- The redeem bench's baseline: the SQL statements one holdPoints and one capturePoints send through the server
-- (src/modules/checkout/checkout.service.ts: one ledger_hold call, then one ledger_resolve_hold call, each a
-- PL/pgSQL function installed by migrations/Migration20261204040000_ledger_commands.ts, each its own transaction:
-- no BEGIN/COMMIT around them), in the same order, with what the server computes in between (ids, keys, times)
-- done here in pgbench variables and SQL expressions. One run of this script is one redemption of :points points.
-- Variables (-D): lo, hi: the members' range (bench member i has id md5('perkgraph-bench-member-' || i)::uuid);
-- points; base: a number unique to this pgbench run; n: 0 (a per-client counter that makes keys unique).
-- Taken from the server's statement log (BENCH_LOG_STATEMENTS=1 npm run bench -- redeem prints it) in the steady
-- state: when the services change, log them again and keep this script in step.
-- The server sends both as named prepared statements (src/db/sql.ts), so the bench runs this with
-- --protocol=prepared by default. The script is written for the simple protocol, where pgbench writes a variable's
-- text into the SQL, so text values are quoted (':h_id'); bench/pgbench.ts drops those quotes for --protocol=prepared
-- or extended.
\set m random(:lo, :hi)
\set n :n + 1
\set k :base + :client_id * 100000000 + :n

-- holdPoints: hold id, member, caller's own member (none: a storefront), currency, points, order ref, expiry, key, request hash, now
select * from ledger_hold(md5('pgb-' || :k)::uuid, md5('perkgraph-bench-member-' || :m)::uuid, null, 'PTS', :points, 'cart-' || :k::text,
                          now() + interval '900 seconds', 'pgb-' || :k::text, '0000000000000000000000000000000000000000000000000000000000000000', now()) \gset h_

-- capturePoints on the hold it answered: hold id, outcome, caller's own member (none), now
select * from ledger_resolve_hold(':h_id', 'CAPTURED', null, now());

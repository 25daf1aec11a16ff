/**
 * earn: recordOrder throughput (a new order each time, distinct externalIds, spread over many members, USD, placed
 * now so its points stay pending) through the full Perkgraph server with 32 concurrent clients, against pgbench
 * running the same SQL statements (bench/pgbench/earn.sql) with 32 connections on the same database in the same run.
 * Targets (issue 11): perkgraph/pgbench >= 0.4; server CPU <= 2 ms per order (one ledger operation).
 */
import {
  balanceOf,
  BENCH_CLIENTS,
  benchMemberId,
  checkLedger,
  compareStatementCounts,
  Comparison,
  formatBalance,
  graphql,
  flattenTierLadder,
  insertBenchMembers,
  isValidComparison,
  LedgerBenchServer,
  MEMBERS,
  PGBENCH_THREADS,
  parseJson,
  report,
  sameBalance,
  pgbenchComparison,
  withClient,
  runPgbenchOnce,
  withServerCpu,
} from './ledger-bench';
import { Bench, BenchSettings } from './harness';
import { PgbenchProtocol, pgbenchProtocol, pgbenchScript, runPgbench } from './pgbench';
import { runSequenceLoad, SequenceStep } from './sequence-load';

/** Every order: 42.50 USD, which earns 42 PTS (1 PTS per 1.00 of the base currency, no campaign rules). */
const AMOUNT = '42.50';
const AMOUNT_MINOR = 4250;
const POINTS = 42;

/** Issue 11: at least 0.4x pgbench. */
const TARGET_RATIO = 0.4;

const RECORD_ORDER = 'mutation Record($input: RecordOrderInput!) { recordOrder(input: $input) { id externalId status pointsEarned } }';

interface RecordAnswer {
  recordOrder: { id: string; externalId: string; status: string; pointsEarned: number };
}

export const earnBench: Bench = pgbenchComparison('earn', 'recordOrder: Perkgraph vs pgbench running the same SQL, over many members', runEarn);

async function runEarn(settings: BenchSettings, server: LedgerBenchServer): Promise<boolean> {
  const { databaseUrl } = server.info;
  const protocol = pgbenchProtocol();
  await insertBenchMembers(databaseUrl, 1, MEMBERS);
  await flattenTierLadder(databaseUrl);
  console.log(`earn: ${MEMBERS} members, a flat tier ladder (every order earns at 1x)`);
  if (!(await verifyServer(server)) || !(await verifyPgbench(databaseUrl, protocol))) return false;
  // A second order, now that the ISSUANCE account exists (its first use sends two more statements).
  await compareStatementCounts('earn', server, pgbenchScript('earn.sql'), async () => {
    await graphql<RecordAnswer>(server.graphqlUrl, server.storefrontToken, RECORD_ORDER, {
      input: { memberId: benchMemberId(1), externalId: 'srv-count', amount: { amount: AMOUNT, currency: 'USD' } },
    });
  });
  if (!(await checkLedger('earn', databaseUrl, 'before the runs'))) return false;

  const scenario = 'many members';
  let orders = 0;
  let shownWrong = 0;
  const steps: SequenceStep[] = [
    {
      body(context) {
        const externalId = `srv-${++orders}`;
        context.externalId = externalId;
        const memberId = benchMemberId(1 + Math.floor(Math.random() * MEMBERS));
        return JSON.stringify({ query: RECORD_ORDER, variables: { input: { memberId, externalId, amount: { amount: AMOUNT, currency: 'USD' } } } });
      },
      check(status, body, context) {
        const order = status === 200 ? (parseJson(body) as { data?: RecordAnswer } | undefined)?.data?.recordOrder : undefined;
        if (order !== undefined && order.externalId === context.externalId && order.status === 'PAID' && order.pointsEarned === POINTS) return true;
        if (shownWrong++ < 3) console.error(`earn: recordOrder answered ${status}: ${body.trim().slice(0, 500)}`);
        return false;
      },
    },
  ];
  // What each runner says it completed, warm-ups and checks included, to hold against the recorded orders.
  let serverCounted = 2;
  let pgbenchCounted = 1;
  const serverLoad = async (durationSeconds: number) => {
    const result = await runSequenceLoad({
      url: server.graphqlUrl,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.storefrontToken}` },
      steps,
      durationSeconds,
      connections: BENCH_CLIENTS,
    });
    serverCounted += result.completed;
    return result;
  };
  let pgbenchRuns = 0;
  const pgbenchLoad = async (durationSeconds: number) => {
    const result = await runPgbench({
      databaseUrl,
      script: pgbenchScript('earn.sql'),
      clients: BENCH_CLIENTS,
      threads: PGBENCH_THREADS,
      protocol,
      durationSeconds,
      variables: { lo: 1, hi: MEMBERS, amount_minor: AMOUNT_MINOR, points: POINTS, base: ++pgbenchRuns * 10_000_000_000, n: 0 },
    });
    pgbenchCounted += result.transactions || 0;
    return result;
  };

  console.log(`earn: perkgraph: warm-up ${settings.warmupSeconds} s, then ${settings.durationSeconds} s with ${BENCH_CLIENTS} clients`);
  await serverLoad(settings.warmupSeconds);
  const perkgraph = await withServerCpu(server, () => serverLoad(settings.durationSeconds));
  console.log(`earn: pgbench: warm-up ${settings.warmupSeconds} s, then ${settings.durationSeconds} s with ${BENCH_CLIENTS} connections`);
  await pgbenchLoad(settings.warmupSeconds);
  const pgbench = await pgbenchLoad(settings.durationSeconds);
  const comparison: Comparison = { scenario, perkgraph, pgbench, target: TARGET_RATIO };
  let valid = isValidComparison('earn', comparison);

  if (!(await checkLedger('earn', databaseUrl, 'after the runs'))) valid = false;
  // pgbench ends a run between scripts, so each order it counted is one recorded order, and no more; the server may
  // finish a few that autocannon stopped waiting for at the end of a run, never fewer than were answered.
  const recorded = await withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ runner: string; orders: string }>(`select left(external_id, 3) as runner, count(*) as orders from orders group by 1`);
    const count = (runner: string) => Number(rows.find((row) => row.runner === runner)?.orders ?? 0);
    return { server: count('srv'), pgbench: count('pgb') };
  });
  console.log(
    `earn: orders recorded, checks and warm-ups included: perkgraph ${recorded.server} (answered ${serverCounted}), pgbench ${recorded.pgbench} (counted ${pgbenchCounted})`,
  );
  if (recorded.pgbench !== pgbenchCounted || recorded.server < serverCounted) {
    console.error('earn: the recorded orders do not match what the runners counted: the run is invalid.');
    valid = false;
  }

  report({
    name: 'earn',
    unit: 'orders',
    ledgerOperationsPerUnit: 1,
    script: pgbenchScript('earn.sql'),
    settings,
    info: server.info,
    protocol,
    comparisons: [comparison],
    details: { members: MEMBERS, order: `${AMOUNT} USD, ${POINTS} pending PTS (pgbench: the same statements, bench/pgbench/earn.sql)` },
  });
  return valid;
}

/** One recordOrder through the server adds exactly POINTS pending points to the member. */
async function verifyServer(server: LedgerBenchServer): Promise<boolean> {
  const memberId = benchMemberId(1);
  const before = await balanceOf(server.info.databaseUrl, memberId);
  const answer = await graphql<RecordAnswer>(server.graphqlUrl, server.storefrontToken, RECORD_ORDER, {
    input: { memberId, externalId: 'srv-check', amount: { amount: AMOUNT, currency: 'USD' } },
  });
  const after = await balanceOf(server.info.databaseUrl, memberId);
  const expected = { ...before, pending: before.pending + BigInt(POINTS) };
  if (answer.recordOrder.pointsEarned !== POINTS || !sameBalance(after, expected)) {
    console.error(
      `earn: recordOrder through perkgraph did not earn ${POINTS} pending points; not measuring.\n` +
        `  answer ${JSON.stringify(answer)}; before: ${formatBalance(before)}; after: ${formatBalance(after)} (expected ${formatBalance(expected)})`,
    );
    return false;
  }
  console.log(`earn: perkgraph earns: order srv-check earned ${POINTS}, pending ${before.pending} -> ${after.pending}`);
  return true;
}

/** One run of the pgbench script does the same: an order with its EARN transfer and pending lot, POINTS more pending. */
async function verifyPgbench(databaseUrl: string, protocol: PgbenchProtocol): Promise<boolean> {
  const { memberId, key: externalId, before, after, result } = await runPgbenchOnce(databaseUrl, 'earn.sql', protocol, { amount_minor: AMOUNT_MINOR, points: POINTS });
  const order = await withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ points_earned: number; transfer: string; lot: string }>(
      `select o.points_earned, t.amount as transfer, l.remaining as lot from orders o
       join points_transfers t on t.order_id = o.id and t.kind = 'EARN' and t.bucket = 'PENDING' and t.reference = 'order:' || o.external_id
       join points_lots l on l.transfer_id = t.id and l.pending
       where o.external_id = $1 and o.member_id = $2`,
      [externalId, memberId],
    );
    return rows;
  });
  const expected = { ...before, pending: before.pending + BigInt(POINTS) };
  const recorded = order.length === 1 && order[0].points_earned === POINTS && order[0].transfer === String(POINTS) && order[0].lot === String(POINTS);
  if (result.exitCode !== 0 || result.transactions !== 1 || !sameBalance(after, expected) || !recorded) {
    console.error(
      `earn: one run of bench/pgbench/earn.sql did not earn ${POINTS} pending points; not measuring.\n` +
        `  before: ${formatBalance(before)}; after: ${formatBalance(after)} (expected ${formatBalance(expected)}); order ${JSON.stringify(order)}\n` +
        result.output.trim(),
    );
    return false;
  }
  console.log(`earn: pgbench script earns: order ${externalId} with its EARN transfer and lot, pending ${before.pending} -> ${after.pending}`);
  return true;
}

/**
 * redeem: checkout redemptions (holdPoints, then capturePoints on the hold: two GraphQL requests, one after the
 * other) through the full Perkgraph server with 32 concurrent clients, against pgbench running the same SQL
 * statements (bench/pgbench/redeem.sql) with 32 connections on the same database in the same run.
 * Two scenarios: redemptions spread over many members, and all on one hot member (every redemption waits for the
 * same account row lock). Targets (issue 11): perkgraph/pgbench >= 0.5 in both; server CPU <= 2 ms per ledger operation.
 * Missing a target is reported, not failed: this is a measurement.
 */
import {
  balanceOf,
  BENCH_CLIENTS,
  benchMemberId,
  checkLedger,
  compareStatementCounts,
  Comparison,
  flattenTierLadder,
  formatBalance,
  graphql,
  inParallel,
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

/** Points per redemption: REDEMPTION_MIN_POINTS, the smallest hold allowed. */
export const POINTS = 100;
/** Each bench member's balance, earned through recordOrder on an order placed long enough ago to vest at once. */
export const FUNDING_USD = '10000000.00';
const FUNDING_POINTS = 10_000_000n;
const HOT_MEMBER = 0;

const SCENARIOS = [
  { scenario: 'many members', first: 1, last: MEMBERS, target: 0.5 },
  { scenario: 'hot member', first: HOT_MEMBER, last: HOT_MEMBER, target: 0.5 },
];

export const HOLD = 'mutation Hold($input: HoldPointsInput!) { holdPoints(input: $input) { id status points } }';
const CAPTURE = 'mutation Capture($holdId: ID!) { capturePoints(holdId: $holdId) { id status points } }';
export const RECORD_ORDER = 'mutation Fund($input: RecordOrderInput!) { recordOrder(input: $input) { id pointsEarned } }';

interface HoldAnswer {
  holdPoints: { id: string; status: string; points: number };
}
interface CaptureAnswer {
  capturePoints: { id: string; status: string; points: number };
}

export const redeemBench: Bench = pgbenchComparison('redeem', 'holdPoints + capturePoints: Perkgraph vs pgbench running the same SQL, many members and one hot member', runRedeem);

async function runRedeem(settings: BenchSettings, server: LedgerBenchServer): Promise<boolean> {
  const { databaseUrl } = server.info;
  const protocol = pgbenchProtocol();
  const started = Date.now();

  // Set-up: members straight into the table, their points through the server (one vested order each).
  await insertBenchMembers(databaseUrl, HOT_MEMBER, MEMBERS);
  // An order earns at the tier it reaches, so a flat ladder keeps every funding order at exactly FUNDING_POINTS.
  await flattenTierLadder(databaseUrl);
  const placedAt = new Date(Date.now() - 30 * 24 * 60 * 60 * 1000).toISOString();
  const fund = async (index: number) => {
    const answer = await graphql<{ recordOrder: { pointsEarned: number } }>(server.graphqlUrl, server.storefrontToken, RECORD_ORDER, {
      input: { memberId: benchMemberId(index), externalId: `bench-funding-${index}`, amount: { amount: FUNDING_USD, currency: 'USD' }, placedAt },
    });
    if (BigInt(answer.recordOrder.pointsEarned) !== FUNDING_POINTS) throw new Error(`funding member ${index} earned ${answer.recordOrder.pointsEarned} points, not ${FUNDING_POINTS}`);
  };
  await inParallel(MEMBERS + 1, BENCH_CLIENTS, fund);
  console.log(`redeem: ${MEMBERS} members and a hot one, ${FUNDING_POINTS} vested points each, in ${round1((Date.now() - started) / 1000)} s`);

  // Both runners must redeem correctly before they are timed.
  if (!(await verifyServer(server)) || !(await verifyPgbench(databaseUrl, protocol))) return false;
  // A second redemption, now that the REDEMPTION account exists (its first use sends two more statements).
  await compareStatementCounts('redeem', server, pgbenchScript('redeem.sql'), async () => {
    const hold = await graphql<HoldAnswer>(server.graphqlUrl, server.storefrontToken, HOLD, {
      input: { memberId: benchMemberId(1), points: POINTS, orderRef: 'cart-count', idempotencyKey: 'srv-count' },
    });
    await graphql<CaptureAnswer>(server.graphqlUrl, server.storefrontToken, CAPTURE, { holdId: hold.holdPoints.id });
  });
  if (!(await checkLedger('redeem', databaseUrl, 'before the runs'))) return false;

  let keys = 0;
  let pgbenchRuns = 0;
  // What each runner says it completed, warm-ups and checks included, to hold against the captured holds.
  let serverCounted = 2;
  let pgbenchCounted = 1;
  const comparisons: Comparison[] = [];
  let valid = true;
  for (const { scenario, first, last, target } of SCENARIOS) {
    const steps = redeemSteps(scenario, first, last, () => `srv-${++keys}`);
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
    const pgbenchLoad = async (durationSeconds: number) => {
      const result = await runPgbench({
        databaseUrl,
        script: pgbenchScript('redeem.sql'),
        clients: BENCH_CLIENTS,
        threads: PGBENCH_THREADS,
        protocol,
        durationSeconds,
        variables: { lo: first, hi: last, points: POINTS, base: ++pgbenchRuns * 10_000_000_000, n: 0 },
      });
      pgbenchCounted += result.transactions || 0;
      return result;
    };

    // One runner at a time, each warmed up right before it is measured.
    console.log(`redeem: ${scenario}: perkgraph: warm-up ${settings.warmupSeconds} s, then ${settings.durationSeconds} s with ${BENCH_CLIENTS} clients`);
    await serverLoad(settings.warmupSeconds);
    const perkgraph = await withServerCpu(server, () => serverLoad(settings.durationSeconds));
    console.log(`redeem: ${scenario}: pgbench: warm-up ${settings.warmupSeconds} s, then ${settings.durationSeconds} s with ${BENCH_CLIENTS} connections`);
    await pgbenchLoad(settings.warmupSeconds);
    const pgbench = await pgbenchLoad(settings.durationSeconds);
    const comparison: Comparison = { scenario, perkgraph, pgbench, target };
    if (!isValidComparison('redeem', comparison)) valid = false;
    comparisons.push(comparison);
  }

  if (!(await checkLedger('redeem', databaseUrl, 'after the runs'))) valid = false;
  // pgbench ends a run between scripts, so each redemption it counted is one captured hold, and no more; the server
  // may finish a few that autocannon stopped waiting for at the end of a run, never fewer than were answered.
  const captured = await withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ runner: string; status: string; holds: string }>(
      `select left(idempotency_key, 3) as runner, status, count(*) as holds from points_holds group by 1, 2`,
    );
    const count = (runner: string, status: string) => Number(rows.find((row) => row.runner === runner && row.status === status)?.holds ?? 0);
    return { server: count('srv', 'CAPTURED'), serverHeld: count('srv', 'HELD'), pgbench: count('pgb', 'CAPTURED'), pgbenchHeld: count('pgb', 'HELD') };
  });
  console.log(
    `redeem: holds captured, checks and warm-ups included: perkgraph ${captured.server} (answered ${serverCounted}; ${captured.serverHeld} left HELD when runs ended),` +
      ` pgbench ${captured.pgbench} (counted ${pgbenchCounted}; ${captured.pgbenchHeld} left HELD)`,
  );
  if (captured.pgbench !== pgbenchCounted || captured.pgbenchHeld !== 0 || captured.server < serverCounted) {
    console.error('redeem: the captured holds do not match what the runners counted: the run is invalid.');
    valid = false;
  }

  report({
    name: 'redeem',
    unit: 'redemptions',
    ledgerOperationsPerUnit: 2,
    script: pgbenchScript('redeem.sql'),
    settings,
    info: server.info,
    protocol,
    comparisons,
    details: { members: MEMBERS, pointsPerRedemption: POINTS, redemption: 'holdPoints then capturePoints (2 requests; pgbench: the same statements, bench/pgbench/redeem.sql)' },
  });
  return valid;
}

/**
 * One redemption as a request sequence: holdPoints for a random member in [first, last], then capturePoints on
 * the hold, each answer checked. `nextKey` gives each hold's idempotency key. (The webhooks bench runs it too.)
 */
export function redeemSteps(scenario: string, first: number, last: number, nextKey: () => string): SequenceStep[] {
  return [
    {
      body() {
        const key = nextKey();
        const memberId = benchMemberId(first + Math.floor(Math.random() * (last - first + 1)));
        return JSON.stringify({ query: HOLD, variables: { input: { memberId, points: POINTS, orderRef: `cart-${key}`, idempotencyKey: key } } });
      },
      check(status, body, context) {
        const hold = status === 200 ? (parseJson(body) as { data?: HoldAnswer } | undefined)?.data?.holdPoints : undefined;
        if (hold?.status !== 'HELD' || hold.points !== POINTS) return reportWrong(scenario, 'holdPoints', status, body);
        context.holdId = hold.id;
        return true;
      },
    },
    {
      body: (context) => JSON.stringify({ query: CAPTURE, variables: { holdId: context.holdId } }),
      check(status, body, context) {
        const capture = status === 200 ? (parseJson(body) as { data?: CaptureAnswer } | undefined)?.data?.capturePoints : undefined;
        if (capture?.status !== 'CAPTURED' || capture.id !== context.holdId || capture.points !== POINTS) return reportWrong(scenario, 'capturePoints', status, body);
        return true;
      },
    },
  ];
}

/** One hold and its capture through the server take exactly POINTS from the member's posted balance. */
async function verifyServer(server: LedgerBenchServer): Promise<boolean> {
  const memberId = benchMemberId(1);
  const before = await balanceOf(server.info.databaseUrl, memberId);
  const hold = await graphql<HoldAnswer>(server.graphqlUrl, server.storefrontToken, HOLD, {
    input: { memberId, points: POINTS, orderRef: 'cart-check', idempotencyKey: 'srv-check' },
  });
  const held = await balanceOf(server.info.databaseUrl, memberId);
  const capture = await graphql<CaptureAnswer>(server.graphqlUrl, server.storefrontToken, CAPTURE, { holdId: hold.holdPoints.id });
  const after = await balanceOf(server.info.databaseUrl, memberId);
  const expectedHeld = { ...before, held: before.held + BigInt(POINTS) };
  const expectedAfter = { ...before, posted: before.posted - BigInt(POINTS) };
  if (hold.holdPoints.status !== 'HELD' || capture.capturePoints.status !== 'CAPTURED' || !sameBalance(held, expectedHeld) || !sameBalance(after, expectedAfter)) {
    console.error(
      `redeem: a hold and capture through perkgraph did not redeem ${POINTS} points; not measuring.\n` +
        `  hold ${JSON.stringify(hold)}, capture ${JSON.stringify(capture)}\n` +
        `  before: ${formatBalance(before)}; held: ${formatBalance(held)} (expected ${formatBalance(expectedHeld)}); after: ${formatBalance(after)} (expected ${formatBalance(expectedAfter)})`,
    );
    return false;
  }
  console.log(`redeem: perkgraph redeems: hold ${hold.holdPoints.id} HELD then CAPTURED, posted ${before.posted} -> ${after.posted}, held ${before.held} -> ${held.held} -> ${after.held}`);
  return true;
}

/** One run of the pgbench script does the same to its member: POINTS fewer posted, held unchanged, a CAPTURED hold with its REDEEM transfer. */
async function verifyPgbench(databaseUrl: string, protocol: PgbenchProtocol): Promise<boolean> {
  const { key, before, after, result } = await runPgbenchOnce(databaseUrl, 'redeem.sql', protocol, { points: POINTS });
  const hold = await withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ status: string; kind: string; amount: string; reference: string }>(
      `select h.status, t.kind, t.amount, t.reference from points_holds h join points_transfers t on t.id = h.transfer_id where h.idempotency_key = $1`,
      [key],
    );
    return rows[0];
  });
  const expected = { ...before, posted: before.posted - BigInt(POINTS) };
  if (result.exitCode !== 0 || result.transactions !== 1 || !sameBalance(after, expected) || hold?.status !== 'CAPTURED' || hold.kind !== 'REDEEM' || hold.amount !== String(POINTS)) {
    console.error(
      `redeem: one run of bench/pgbench/redeem.sql did not redeem ${POINTS} points; not measuring.\n` +
        `  before: ${formatBalance(before)}; after: ${formatBalance(after)} (expected ${formatBalance(expected)}); hold ${JSON.stringify(hold)}\n` +
        result.output.trim(),
    );
    return false;
  }
  console.log(`redeem: pgbench script redeems: hold ${key} CAPTURED with its REDEEM transfer, posted ${before.posted} -> ${after.posted}, held ${before.held} -> ${after.held}`);
  return true;
}


/** Shows the first few wrong answers of a run (the count is in the results). */
let shownWrong = 0;
function reportWrong(scenario: string, step: string, status: number, body: string): false {
  if (shownWrong++ < 3) console.error(`redeem: ${scenario}: ${step} answered ${status}: ${body.trim().slice(0, 500)}`);
  return false;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * What the redeem and earn benches share: bench members, the server child, GraphQL calls for set-up and checks,
 * the ledger check after a run, and the printed comparison of Perkgraph against pgbench running the same SQL.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { TokenService } from '../src/auth/tokens';
import { Bench, BenchSettings, formatTable, machineFacts, round, serverChildEnvironment, ServerProcess, startServerProcess, withBenchDatabase } from './harness';
import type { LedgerServerInfo } from './ledger-servers';
import { PgbenchProtocol, pgbenchProtocol, PgbenchResult, pgbenchScript, pgbenchVersion, runPgbench } from './pgbench';
import { isCleanSequenceLoad, SequenceLoadResult } from './sequence-load';
import { loggedStatements, statementCount } from './statement-counter';

/** The issue's load: 32 concurrent clients, for the server (HTTP connections) and for pgbench (database connections). */
export const BENCH_CLIENTS = 32;
/** pgbench worker threads. */
export const PGBENCH_THREADS = 2;
/** Members the many-member scenarios spread over (bench members 1..MEMBERS; member 0 is the hot one). */
export const MEMBERS = 2000;

/** Bench member `index`'s id: md5('perkgraph-bench-member-' || index)::uuid, which the pgbench scripts compute too. */
export function benchMemberId(index: number): string {
  const hex = createHash('md5').update(`perkgraph-bench-member-${index}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Bench members first..last, written straight to the members table with empty PTS accounts (set-up only; their
 * points come through the API). With the accounts there, every measured operation takes the steady-state path
 * the pgbench scripts follow (an account's first use sends two more statements).
 */
/** Leaves only the lowest tier (1x) on the ladder, so that every bench order earns the same points whatever the member spent. */
export async function flattenTierLadder(databaseUrl: string): Promise<void> {
  await withClient(databaseUrl, async (client) => {
    await client.query("delete from perk_grants where source_kind = 'TIER' and source_code in (select code from tiers where rank > (select min(rank) from tiers))");
    await client.query('delete from tiers where rank > (select min(rank) from tiers)');
  });
}

export async function insertBenchMembers(databaseUrl: string, first: number, last: number): Promise<void> {
  await withClient(databaseUrl, async (client) => {
    await client.query(
      `insert into members (id, external_id, email, country, locale, joined_at, created_at, enrollment_hash, referral_code)
       select md5('perkgraph-bench-member-' || i)::uuid, 'bench-member-' || i, 'bench-member-' || i || '@bench.perkgraph.dev',
              'US', 'en-US', now() - interval '60 days', now(), 'bench', 'BENCH' || i
       from generate_series($1::int, $2::int) as i`,
      [first, last],
    );
    await client.query(
      `insert into points_accounts (currency, member_id)
       select 'PTS', md5('perkgraph-bench-member-' || i)::uuid from generate_series($1::int, $2::int) as i`,
      [first, last],
    );
  });
}

export async function withClient<T>(databaseUrl: string, body: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.end();
  }
}

export interface Balance {
  posted: bigint;
  pending: bigint;
  held: bigint;
}

/** The member's stored PTS balances (zeros when it has no account yet). */
export async function balanceOf(databaseUrl: string, memberId: string): Promise<Balance> {
  const { rows } = await withClient(databaseUrl, (client) =>
    client.query<{ posted: string; pending: string; held: string }>(
      `select posted, pending, held from points_accounts where member_id = $1 and currency = 'PTS'`,
      [memberId],
    ),
  );
  const row = rows[0] ?? { posted: '0', pending: '0', held: '0' };
  return { posted: BigInt(row.posted), pending: BigInt(row.pending), held: BigInt(row.held) };
}

export function sameBalance(a: Balance, b: Balance): boolean {
  return a.posted === b.posted && a.pending === b.pending && a.held === b.held;
}

export function formatBalance(balance: Balance): string {
  return `posted ${balance.posted}, pending ${balance.pending}, held ${balance.held}`;
}

/** One GraphQL request; throws with the whole answer unless it is a 200 without errors. */
export async function graphql<T>(url: string, token: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: { data?: T; errors?: unknown[] } | undefined;
  try {
    body = JSON.parse(text) as { data?: T; errors?: unknown[] };
  } catch {
    body = undefined;
  }
  if (response.status !== 200 || !body?.data || body.errors) throw new Error(`GraphQL answered ${response.status}: ${text.trim()}`);
  return body.data;
}

/** The parsed JSON, or undefined when it is none. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Runs `task(i)` for i in 0..count-1, at most `concurrency` at a time. */
export async function inParallel(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

// ---------------------------------------------------------------------------------------------------------------
// The server

/**
 * One transaction of a pgbench script, by one client, on bench member 2, with the member's balance before and after:
 * the check that the script does what one server operation does. The client's first key is `pgb-2` (base 1).
 */
export async function runPgbenchOnce(
  databaseUrl: string,
  scriptName: string,
  protocol: PgbenchProtocol,
  variables: Record<string, string | number>,
): Promise<{ memberId: string; key: string; before: Balance; after: Balance; result: PgbenchResult }> {
  const member = 2;
  const base = 1;
  const memberId = benchMemberId(member);
  const before = await balanceOf(databaseUrl, memberId);
  const result = await runPgbench({
    databaseUrl,
    script: pgbenchScript(scriptName),
    clients: 1,
    threads: 1,
    protocol,
    transactionsPerClient: 1,
    variables: { lo: member, hi: member, base, n: 0, ...variables },
  });
  // Client 0's first key: base + 0 * 100000000 + 1.
  return { memberId, key: `pgb-${base + 1}`, before, after: await balanceOf(databaseUrl, memberId), result };
}

export interface LedgerBenchServer {
  info: LedgerServerInfo;
  pid: number;
  graphqlUrl: string;
  /** A storefront token: the caller of holdPoints, capturePoints and recordOrder at checkout. */
  storefrontToken: string;
}

/**
 * Starts the Perkgraph server (bench/ledger-servers.ts) on the bench database, runs `body`, stops it.
 * Without DATABASE_URL it runs on a fresh embedded PGlite folder.
 */
export async function withLedgerServer<T>(
  name: string,
  databaseUrl: string | undefined,
  body: (server: LedgerBenchServer) => Promise<T>,
  extraEnvironment: Record<string, string> = {},
): Promise<T> {
  const { env: childEnvironment, jwtSecret, cleanup } = serverChildEnvironment(databaseUrl);
  const env = { ...childEnvironment, ...extraEnvironment };
  console.log(`${name}: starting the server on ${databaseUrl ? 'a fresh PostgreSQL database' : 'a fresh embedded PGlite database'}...`);
  let server: ServerProcess<LedgerServerInfo> | undefined;
  try {
    server = await startServerProcess<LedgerServerInfo>(path.join(__dirname, 'ledger-servers.js'), env);
    const storefrontToken = await new TokenService(jwtSecret).sign({ role: 'storefront', subject: 'bench-storefront' });
    return await body({ info: server.info, pid: server.pid, graphqlUrl: `http://127.0.0.1:${server.info.port}/graphql`, storefrontToken });
  } finally {
    await server?.stop();
    await cleanup();
  }
}

/** A bench that runs a ledger server child and pgbench on a fresh database, or says why it cannot. */
export function pgbenchComparison(name: string, description: string, run: (settings: BenchSettings, server: LedgerBenchServer) => Promise<boolean>): Bench {
  return {
    name,
    description,
    run: (settings) =>
      withBenchDatabase(async (databaseUrl) => {
        const skip = skipReason(databaseUrl, pgbenchProtocol());
        if (skip) {
          console.log(`${name}: skipped: ${skip}.`);
          return true;
        }
        return withLedgerServer(name, databaseUrl, (server) => run(settings, server));
      }),
  };
}

/**
 * The reason the bench cannot run here, or undefined. On the embedded database pgbench talks to PGlite's socket
 * server, which has one backend for every connection: only pgbench's simple protocol works there (with the
 * extended and prepared ones, statement names and unnamed portals of different clients collide).
 */
export function skipReason(databaseUrl: string | undefined, protocol: PgbenchProtocol): string | undefined {
  if (!pgbenchVersion()) return 'pgbench was not found (install the PostgreSQL client tools or set PGBENCH)';
  if (!databaseUrl && protocol !== 'simple') {
    return `pgbench's --protocol=${protocol} does not work against the embedded database's socket server (one backend shared by all clients); use BENCH_PGBENCH_PROTOCOL=simple or set DATABASE_URL`;
  }
  return undefined;
}

/** How many SQL statements the server has sent so far (BEGIN, COMMIT, ROLLBACK and savepoints not counted). */
export function serverStatements(server: LedgerBenchServer): Promise<number> {
  return statementCount(server.info.statementsPort);
}

/** How many SQL statements one run of a pgbench script sends, BEGIN and COMMIT not counted. */
export function scriptStatements(script: string): number {
  return readFileSync(script, 'utf8')
    .split('\n')
    .filter((line) => !line.startsWith('--') && (/;\s*$/.test(line) || line.includes('\\gset')) && !/^\s*(begin|commit)\s*;\s*$/i.test(line)).length;
}

/**
 * Runs `operation` (one operation through the server, alone) and says whether the server sent as many statements
 * for it as one run of the pgbench script does: a warning, not a failure, when the services and the script drifted.
 * Then (or always, with BENCH_LOG_STATEMENTS=1) it prints what the server sent, to bring the script in step.
 */
export async function compareStatementCounts(name: string, server: LedgerBenchServer, script: string, operation: () => Promise<void>): Promise<void> {
  const logged = await loggedStatements(server.info.statementsPort, operation);
  const sent = logged.filter((statement) => !statement.framing);
  const scripted = scriptStatements(script);
  const same = sent.length === scripted;
  if (same) console.log(`${name}: the server sent ${sent.length} statements besides BEGIN/COMMIT; ${path.basename(script)} sends as many`);
  else console.warn(`${name}: WARNING: the server sent ${sent.length} statements besides BEGIN/COMMIT, ${path.basename(script)} sends ${scripted}: the baseline no longer runs the same SQL; update the script`);
  if (!same || process.env.BENCH_LOG_STATEMENTS) {
    let index = 0;
    for (const statement of logged) {
      const text = statement.text.replace(/\s+/g, ' ').trim();
      const number = statement.framing ? '  ' : `${++index}.`;
      console.log(`  ${number} ${statement.name ? `[${statement.name}] ` : ''}${text}${statement.values?.length ? `  -- ${JSON.stringify(statement.values)}` : ''}`);
    }
  }
}

let clockTicks: number | undefined;

/** CPU time (user + system) a process used so far, from /proc (Linux); undefined where that cannot be read. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    // The fields after the command (which may hold spaces) start at field 3; utime and stime are fields 14 and 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    clockTicks ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return undefined;
  }
}

/** What the server spent on a measured run: CPU time of its process (Linux only) and SQL statements sent. */
export interface ServerCost {
  serverCpuSeconds?: number;
  serverStatements: number;
}

/** Runs a load and adds how much CPU the server process used and how many statements it sent meanwhile. */
export async function withServerCpu(server: LedgerBenchServer, load: () => Promise<SequenceLoadResult>): Promise<SequenceLoadResult & ServerCost> {
  const before = processCpuSeconds(server.pid);
  const statementsBefore = await serverStatements(server);
  const result = await load();
  const after = processCpuSeconds(server.pid);
  const statementsAfter = await serverStatements(server);
  return { ...result, serverCpuSeconds: before !== undefined && after !== undefined ? after - before : undefined, serverStatements: statementsAfter - statementsBefore };
}

/** Per operation: server CPU milliseconds (undefined when unknown) and statements. */
export function perOperation(result: { completed: number } & ServerCost): { cpuMs?: number; statements: number } {
  const operations = Math.max(result.completed, 1);
  return {
    cpuMs: result.serverCpuSeconds === undefined ? undefined : (result.serverCpuSeconds * 1000) / operations,
    statements: result.serverStatements / operations,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The ledger check

/**
 * DESIGN §3's invariants over the whole bench database, after a run (the SQL of test/helpers/invariants.ts, which
 * the compiled bench cannot import): each member balance equals its entries (posted, pending) and its open holds
 * (held); per currency all balances sum to zero; vested and pending lots hold exactly the positive balances; no
 * available balance is negative (these benches refund nothing); each captured hold has exactly its one REDEEM
 * transfer and each order exactly its one EARN transfer. Returns the violations, none when all hold.
 */
export async function ledgerViolations(databaseUrl: string): Promise<string[]> {
  return withClient(databaseUrl, async (client) => {
    const violations: string[] = [];
    const { rows: accounts } = await client.query<{
      id: string;
      currency: string;
      member_id: string | null;
      posted: string;
      pending: string;
      held: string;
      posted_entries: string;
      pending_entries: string;
      held_holds: string;
      vested_lots: string;
      pending_lots: string;
    }>(
      `with moves as (
         select credit_account_id as account_id,
                case when bucket in ('POSTED', 'VEST') then amount else 0 end as posted,
                case when bucket = 'PENDING' then amount when bucket = 'VEST' then -amount else 0 end as pending
         from points_transfers
         union all
         select debit_account_id,
                case when bucket = 'POSTED' then -amount else 0 end,
                case when bucket = 'PENDING' then -amount else 0 end
         from points_transfers
       ), entries as (
         select account_id, sum(posted) as posted, sum(pending) as pending from moves group by account_id
       ), holds as (
         select account_id, sum(points) as held from points_holds where status = 'HELD' group by account_id
       ), lots as (
         select account_id, sum(remaining) filter (where not pending) as vested, sum(remaining) filter (where pending) as pending
         from points_lots group by account_id
       )
       select a.id, a.currency, a.member_id, a.posted, a.pending, a.held,
              coalesce(e.posted, 0) as posted_entries, coalesce(e.pending, 0) as pending_entries, coalesce(h.held, 0) as held_holds,
              coalesce(l.vested, 0) as vested_lots, coalesce(l.pending, 0) as pending_lots
       from points_accounts a
       left join entries e on e.account_id = a.id
       left join holds h on h.account_id = a.id
       left join lots l on l.account_id = a.id`,
    );
    const totals = new Map<string, bigint>();
    for (const account of accounts) {
      const isMember = account.member_id !== null;
      // System accounts keep no counters: their balance is their entries.
      const posted = BigInt(isMember ? account.posted : account.posted_entries);
      const pending = BigInt(isMember ? account.pending : account.pending_entries);
      totals.set(account.currency, (totals.get(account.currency) ?? 0n) + posted + pending);
      if (!isMember) continue;
      const checks: [string, string, string][] = [
        ['posted vs entries', account.posted, account.posted_entries],
        ['pending vs entries', account.pending, account.pending_entries],
        ['held vs HELD holds', account.held, account.held_holds],
        ['vested lots vs max(posted, 0)', (posted > 0n ? posted : 0n).toString(), account.vested_lots],
        ['pending lots vs pending', account.pending, account.pending_lots],
      ];
      for (const [what, stored, expected] of checks) {
        if (BigInt(stored) !== BigInt(expected)) violations.push(`account ${account.id}: ${what}: ${stored} <> ${expected}`);
      }
      if (BigInt(account.posted) - BigInt(account.held) < 0n) violations.push(`account ${account.id}: negative available ${BigInt(account.posted) - BigInt(account.held)}`);
    }
    for (const [currency, total] of totals) if (total !== 0n) violations.push(`${currency}: balances sum to ${total}, not 0`);

    const { rows: effects } = await client.query<{ what: string }>(
      `with redeems as (
         select reference, count(*) as transfers from points_transfers where kind = 'REDEEM' group by reference
       ), earns as (
         select order_id, count(*) as transfers, sum(amount) as points from points_transfers where kind = 'EARN' and currency = 'PTS' group by order_id
       )
       select 'captured hold ' || h.id || ' without its REDEEM transfer' as what
       from points_holds h left join points_transfers t on t.id = h.transfer_id
       where h.status = 'CAPTURED' and (t.id is null or t.kind <> 'REDEEM' or t.reference <> 'hold:' || h.id or t.amount <> h.points)
       union all
       select 'hold reference ' || r.reference || ' has ' || r.transfers || ' REDEEM transfers' from redeems r where r.transfers <> 1
       union all
       select 'REDEEM transfer for ' || r.reference || ', which is no captured hold'
       from redeems r left join points_holds h on 'hold:' || h.id = r.reference and h.status = 'CAPTURED'
       where h.id is null
       union all
       select 'order ' || o.external_id || ' has ' || coalesce(e.transfers, 0) || ' EARN transfers for ' || coalesce(e.points, 0) || ' of its ' || o.points_earned || ' points'
       from orders o left join earns e on e.order_id = o.id
       where coalesce(e.transfers, 0) <> (case when o.points_earned > 0 then 1 else 0 end) or coalesce(e.points, 0) <> o.points_earned
       limit 20`,
    );
    violations.push(...effects.map((row) => row.what));
    return violations;
  });
}

/** Prints the violations and returns whether there were none. */
export async function checkLedger(name: string, databaseUrl: string, when: string): Promise<boolean> {
  const violations = await ledgerViolations(databaseUrl);
  if (violations.length === 0) {
    console.log(`${name}: ledger invariants hold ${when}`);
    return true;
  }
  console.error(`${name}: ${violations.length} ledger invariant violation(s) ${when}:\n  ${violations.slice(0, 20).join('\n  ')}`);
  return false;
}

// ---------------------------------------------------------------------------------------------------------------
// Output

export interface Comparison {
  scenario: string;
  /** serverCpuSeconds: what the server process used during the measured run (Linux only); serverStatements: what it sent. */
  perkgraph: SequenceLoadResult & ServerCost;
  pgbench: PgbenchResult;
  /** Least ratio (perkgraph/pgbench) the issue asks for; undefined when it sets none. */
  target?: number;
}

/** The issue's ceiling on server CPU per ledger operation (hold, capture, earn), in milliseconds. */
export const TARGET_CPU_MS_PER_LEDGER_OPERATION = 2;

export function comparisonRatio(comparison: Comparison): number {
  return comparison.perkgraph.perSecond / comparison.pgbench.tps;
}

export function isValidComparison(name: string, comparison: Comparison): boolean {
  let valid = true;
  const { perkgraph, pgbench } = comparison;
  if (!isCleanSequenceLoad(perkgraph) || perkgraph.completed === 0) {
    console.error(
      `${name}: ${comparison.scenario}: perkgraph had ${perkgraph.errors} errors, ${perkgraph.non2xx} non-2xx answers and ${perkgraph.wrong} wrong answers` +
        ` (${perkgraph.completed} completed): the run is invalid.`,
    );
    valid = false;
  }
  if (pgbench.exitCode !== 0 || pgbench.failed !== 0 || !(pgbench.transactions > 0)) {
    console.error(`${name}: ${comparison.scenario}: pgbench exited with ${pgbench.exitCode} after ${pgbench.transactions} transactions (${pgbench.failed} failed): the run is invalid.`);
    console.error(pgbench.output.trim().split('\n').slice(-15).join('\n'));
    valid = false;
  }
  return valid;
}

export function report(run: {
  name: string;
  unit: string;
  /** Ledger operations (commands) in one unit: 2 for a redemption (hold, capture), 1 for an order's earn. */
  ledgerOperationsPerUnit: number;
  /** The pgbench script, whose statements per run are printed beside the server's. */
  script: string;
  settings: BenchSettings;
  info: LedgerServerInfo;
  protocol: PgbenchProtocol;
  comparisons: Comparison[];
  details: Record<string, unknown>;
}): void {
  const machine = machineFacts();
  const ms = (value: number) => `${round(value, 1)} ms`;
  const singular = run.unit.replace(/s$/, '');
  const scripted = scriptStatements(run.script);
  const rows: string[][] = [];
  for (const { scenario, perkgraph, pgbench } of run.comparisons) {
    const cost = perOperation(perkgraph);
    rows.push([
      scenario,
      'perkgraph',
      round(perkgraph.perSecond, 0).toString(),
      ms(perkgraph.p50Ms),
      ms(perkgraph.p99Ms),
      cost.cpuMs === undefined ? '-' : ms(cost.cpuMs),
      round(cost.statements, 1).toString(),
      perkgraph.completed.toString(),
      `${perkgraph.errors}/${perkgraph.non2xx}/${perkgraph.wrong}`,
    ]);
    rows.push([scenario, 'pgbench', round(pgbench.tps, 0).toString(), ms(pgbench.p50Ms), ms(pgbench.p99Ms), '-', scripted.toString(), pgbench.transactions.toString(), `${pgbench.failed}`]);
  }
  console.log();
  console.log(
    formatTable(['scenario', 'runner', `${run.unit}/s`, 'p50', 'p99', `server CPU/${singular}`, `statements/${singular}`, run.unit, 'errors/non2xx/wrong | failed'], rows),
  );
  console.log();
  for (const comparison of run.comparisons) {
    const ratio = comparisonRatio(comparison);
    const target = comparison.target === undefined ? 'no target' : `target >= ${comparison.target}: ${ratio >= comparison.target ? 'met' : 'NOT met'}`;
    console.log(`ratio ${comparison.scenario} (perkgraph/pgbench ${run.unit}/s): ${round(ratio)}  ${target}`);
  }
  for (const { scenario, perkgraph } of run.comparisons) {
    const { cpuMs } = perOperation(perkgraph);
    if (cpuMs === undefined || perkgraph.completed === 0) continue;
    const perLedgerOperation = cpuMs / run.ledgerOperationsPerUnit;
    console.log(
      `perkgraph server process${run.info.embedded ? ' (with the embedded database in it)' : ''}, ${scenario}: ` +
        `${round(perkgraph.serverCpuSeconds! / perkgraph.durationSeconds)} CPU cores busy, ${ms(cpuMs)} of CPU per ${singular}, ` +
        `${ms(perLedgerOperation)} per ledger operation (${run.ledgerOperationsPerUnit} per ${singular})  ` +
        `target <= ${TARGET_CPU_MS_PER_LEDGER_OPERATION} ms: ${perLedgerOperation <= TARGET_CPU_MS_PER_LEDGER_OPERATION ? 'met' : 'NOT met'}`,
    );
  }
  console.log(`database: ${run.info.database}; perkgraph pool ${run.info.poolSize} connections; pgbench ${BENCH_CLIENTS} connections, ${PGBENCH_THREADS} threads, --protocol=${run.protocol}`);
  console.log(
    `node ${machine.node} (servers: ${machine.serverNodeFlags}), ${machine.cpus} CPUs (${machine.cpuModel}); ${run.settings.durationSeconds} s per runner after ${run.settings.warmupSeconds} s of warm-up, ${BENCH_CLIENTS} clients`,
  );
  console.log(
    JSON.stringify({
      bench: run.name,
      database: run.info.database,
      poolSize: run.info.poolSize,
      pgbench: { clients: BENCH_CLIENTS, threads: PGBENCH_THREADS, protocol: run.protocol },
      ...machine,
      durationSeconds: run.settings.durationSeconds,
      clients: BENCH_CLIENTS,
      ...run.details,
      scenarios: run.comparisons.map((comparison) => ({
        scenario: comparison.scenario,
        perkgraph: {
          ...comparison.perkgraph,
          serverCpuSeconds: comparison.perkgraph.serverCpuSeconds === undefined ? null : round(comparison.perkgraph.serverCpuSeconds, 2),
          serverCpuMsPerOperation: perOperation(comparison.perkgraph).cpuMs === undefined ? null : round(perOperation(comparison.perkgraph).cpuMs!, 2),
          statementsPerOperation: round(perOperation(comparison.perkgraph).statements, 2),
          perSecond: round(comparison.perkgraph.perSecond, 1), p50Ms: round(comparison.perkgraph.p50Ms, 2), p99Ms: round(comparison.perkgraph.p99Ms, 2), durationSeconds: round(comparison.perkgraph.durationSeconds, 2) },
        pgbench: { statementsPerOperation: scripted, tps: round(comparison.pgbench.tps, 1), transactions: comparison.pgbench.transactions, failed: comparison.pgbench.failed, p50Ms: round(comparison.pgbench.p50Ms, 2), p99Ms: round(comparison.pgbench.p99Ms, 2) },
        ratio: round(comparisonRatio(comparison), 3),
        target: comparison.target ?? null,
        targetMet: comparison.target === undefined ? null : comparisonRatio(comparison) >= comparison.target,
      })),
    }),
  );
}

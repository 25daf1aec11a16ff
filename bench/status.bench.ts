/**
 * status: the member-status query against the full Perkgraph server and two baselines on the same database, one
 * after the other in the same run: the same-SQL bare server (bench/bare-server.ts: Perkgraph's own member-status
 * statement behind plain node:http + pg) and the one-row floor (bench/floor-server.ts: one row read by primary key,
 * holding the answer body). All three must answer byte-identical bodies. Perkgraph runs twice: POST /graphql on its lean
 * path (node:http straight into Apollo, what it serves) and through Express with @as-integrations/express5
 * (perkgraph-express), which is how the lean path earns its place.
 * For each: req/s, p50, p99, server CPU ms per request (the server child's CPU time over the measured run; on the
 * embedded database that includes PGlite's) and SQL statements per request (counted at the pg driver).
 * Targets (issue 11): Perkgraph >= 0.5x the bare server's req/s and >= 0.3x the floor's, p99 at most 2x the bare
 * server's. Missing a target is reported, not failed: this is a measurement.
 */
import path from 'node:path';
import { TokenService } from '../src/auth/tokens';
import {
  serverChildEnvironment,
  Bench,
  BenchSettings,
  fetchText,
  formatTable,
  isClean,
  LoadRequest,
  LoadResult,
  machineFacts,
  round,
  runLoad,
  ServerProcess,
  startServerProcess,
  withBenchDatabase,
} from './harness';
import { processCpuSeconds, withClient } from './ledger-bench';
import { statementCount } from './statement-counter';
import type { StatusServersInfo } from './status-servers';
import { STATUS_MEMBER, STATUS_QUERY } from './status-query';

const TARGET_BARE_RATIO = 0.5;
const TARGET_FLOOR_RATIO = 0.3;
const TARGET_P99_RATIO = 2;

const SERVERS = ['perkgraph', 'perkgraph-express', 'bare', 'floor'] as const;
type ServerName = (typeof SERVERS)[number];

/** A measured run and what the server child spent on it. */
interface Measured extends LoadResult {
  /** Server CPU milliseconds per request; undefined where /proc cannot be read. */
  cpuMsPerRequest?: number;
  statementsPerRequest: number;
}

export const statusBench: Bench = {
  name: 'status',
  description: 'member-status query: Perkgraph vs the same-SQL bare server and the one-row floor (node:http + pg)',
  run: (settings) => withBenchDatabase((databaseUrl) => runStatus(settings, databaseUrl)),
};

async function runStatus(settings: BenchSettings, databaseUrl: string | undefined): Promise<boolean> {
  const { env, jwtSecret, cleanup } = serverChildEnvironment(databaseUrl);

  console.log(`status: starting servers on ${databaseUrl ? 'a fresh PostgreSQL database' : 'a fresh embedded PGlite database'}...`);
  let servers: ServerProcess<StatusServersInfo> | undefined;
  try {
    servers = await startServerProcess<StatusServersInfo>(path.join(__dirname, 'status-servers.js'), env);
    const info = servers.info;
    const token = await new TokenService(jwtSecret).sign({ role: 'member', subject: STATUS_MEMBER });
    const request = (port: number): LoadRequest => ({
      url: `http://127.0.0.1:${port}/graphql`,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: STATUS_QUERY }),
    });
    const targets: Record<ServerName, LoadRequest> = {
      perkgraph: request(info.perkgraphPort),
      'perkgraph-express': request(info.expressPort),
      bare: request(info.barePort),
      floor: request(info.floorPort),
    };

    // Perkgraph's answer must be a real one, and the bare server's the same bytes, or the comparison means nothing.
    const perkgraphAnswer = await fetchText(targets.perkgraph);
    if (perkgraphAnswer.status !== 200 || (parseOrText(perkgraphAnswer.body) as { data?: { me?: unknown } })?.data?.me == null) {
      console.error(`status: perkgraph answers ${perkgraphAnswer.status} without ${STATUS_MEMBER}; not measuring. Answer: ${perkgraphAnswer.body.trim()}`);
      return false;
    }
    // The floor serves that very body from its one row.
    await withClient(info.databaseUrl, (client) =>
      client.query('insert into bench_member_status (external_id, body) values ($1, $2) on conflict (external_id) do update set body = excluded.body', [
        STATUS_MEMBER,
        perkgraphAnswer.body,
      ]),
    );
    for (const name of ['perkgraph-express', 'bare', 'floor'] as const) {
      const answer = await fetchText(targets[name]);
      if (answer.status !== 200 || answer.body !== perkgraphAnswer.body) {
        console.error(`status: the servers answer differently; not measuring.`);
        console.error(`  perkgraph ${perkgraphAnswer.status}: ${JSON.stringify(perkgraphAnswer.body)}`);
        console.error(`  ${name.padEnd(9)} ${answer.status}: ${JSON.stringify(answer.body)}`);
        return false;
      }
    }
    console.log(`status: all three answer ${perkgraphAnswer.body.trim()}`);
    // Under load each must keep giving exactly that body; anything else counts as a mismatch.
    for (const name of SERVERS) targets[name].expectBody = perkgraphAnswer.body;

    // One at a time, each warmed up (JIT, pools, prepared statements) right before it is measured.
    const pid = servers.pid;
    const measure = async (name: ServerName): Promise<Measured> => {
      console.log(`status: ${name}: warm-up ${settings.warmupSeconds} s, then ${settings.durationSeconds} s with ${settings.connections} connections`);
      await runLoad(targets[name], settings.warmupSeconds, settings.connections);
      const cpuBefore = processCpuSeconds(pid);
      const statementsBefore = await statementCount(info.statementsPort);
      const result = await runLoad(targets[name], settings.durationSeconds, settings.connections);
      const cpuAfter = processCpuSeconds(pid);
      const statements = (await statementCount(info.statementsPort)) - statementsBefore;
      const requests = Math.max(result.requests, 1);
      return {
        ...result,
        cpuMsPerRequest: cpuBefore !== undefined && cpuAfter !== undefined ? ((cpuAfter - cpuBefore) * 1000) / requests : undefined,
        statementsPerRequest: statements / requests,
      };
    };
    const results = {} as Record<ServerName, Measured>;
    for (const name of SERVERS) results[name] = await measure(name);

    report({ settings, info, results });

    let clean = true;
    for (const name of SERVERS) {
      const result = results[name];
      if (!isClean(result)) {
        console.error(`status: ${name} had ${result.errors} errors, ${result.non2xx} non-2xx responses and ${result.mismatches} wrong bodies: the run is invalid.`);
        clean = false;
      }
    }
    return clean;
  } finally {
    await servers?.stop();
    await cleanup();
  }
}

function parseOrText(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

function report(run: { settings: BenchSettings; info: StatusServersInfo; results: Record<ServerName, Measured> }): void {
  const { perkgraph, bare, floor } = run.results;
  const bareRatio = perkgraph.requestsPerSecond / bare.requestsPerSecond;
  const floorRatio = perkgraph.requestsPerSecond / floor.requestsPerSecond;
  const p99Ratio = perkgraph.p99Ms / bare.p99Ms;
  const targets = {
    bareRatio: TARGET_BARE_RATIO,
    bareRatioMet: bareRatio >= TARGET_BARE_RATIO,
    floorRatio: TARGET_FLOOR_RATIO,
    floorRatioMet: floorRatio >= TARGET_FLOOR_RATIO,
    p99Ratio: TARGET_P99_RATIO,
    p99Met: p99Ratio <= TARGET_P99_RATIO,
  };
  const met = (value: boolean) => (value ? 'met' : 'NOT met');
  const machine = machineFacts();

  const row = (name: ServerName) => {
    const result = run.results[name];
    return [
      name,
      round(result.requestsPerSecond, 0).toString(),
      round(perkgraph.requestsPerSecond / result.requestsPerSecond).toString(),
      `${result.p50Ms} ms`,
      `${result.p99Ms} ms`,
      result.cpuMsPerRequest === undefined ? '-' : `${round(result.cpuMsPerRequest)} ms`,
      round(result.statementsPerRequest).toString(),
      result.requests.toString(),
      `${result.errors}/${result.non2xx}/${result.mismatches}`,
    ];
  };
  console.log();
  console.log(
    formatTable(
      ['server', 'req/s', 'perkgraph/this', 'p50', 'p99', 'server CPU/req', 'statements/req', 'requests', 'errors/non2xx/wrong'],
      SERVERS.map(row),
    ),
  );
  console.log();
  console.log(`ratio perkgraph/bare req/s:  ${round(bareRatio)}  target >= ${TARGET_BARE_RATIO}: ${met(targets.bareRatioMet)}`);
  console.log(`ratio perkgraph/floor req/s: ${round(floorRatio)}  target >= ${TARGET_FLOOR_RATIO}: ${met(targets.floorRatioMet)}`);
  console.log(`p99 ratio perkgraph/bare:    ${round(p99Ratio)}  target <= ${TARGET_P99_RATIO}: ${met(targets.p99Met)}`);
  console.log(
    `database: ${run.info.database}, pool ${run.info.poolSize} connections per server; server CPU is the server process's` +
      `${run.info.embedded ? ' (the embedded database runs in it)' : ''}`,
  );
  console.log(`node ${machine.node} (servers: ${machine.serverNodeFlags}), ${machine.cpus} CPUs (${machine.cpuModel}); ${run.settings.durationSeconds} s per server, ${run.settings.connections} connections`);
  console.log(
    JSON.stringify({
      bench: 'status',
      query: STATUS_QUERY,
      database: run.info.database,
      poolSize: run.info.poolSize,
      ...machine,
      durationSeconds: run.settings.durationSeconds,
      connections: run.settings.connections,
      ...Object.fromEntries(SERVERS.map((name) => [name, summary(run.results[name])])),
      ratio: round(bareRatio, 3),
      floorRatio: round(floorRatio, 3),
      p99Ratio: round(p99Ratio, 3),
      targets,
    }),
  );
}

function summary(result: Measured) {
  return {
    ...result,
    requestsPerSecond: round(result.requestsPerSecond, 1),
    cpuMsPerRequest: result.cpuMsPerRequest === undefined ? null : round(result.cpuMsPerRequest, 3),
    statementsPerRequest: round(result.statementsPerRequest, 3),
  };
}

/**
 * status: the member-status query against the full Perkgraph server and against the bare baseline
 * (bench/bare-server.ts), on the same database, one after the other.
 * Targets: Perkgraph keeps >= 80% of the baseline's req/s, and its p99 is at most 1.5x the baseline's.
 * Missing a target is reported, not failed: this is a measurement.
 */
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
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
import type { StatusServersInfo } from './status-servers';
import { STATUS_MEMBER, STATUS_QUERY } from './status-query';

const TARGET_RATIO = 0.8;
const TARGET_P99_RATIO = 1.5;

export const statusBench: Bench = {
  name: 'status',
  description: 'member-status query: Perkgraph vs a bare node:http + pg server',
  run: (settings) => withBenchDatabase((databaseUrl) => runStatus(settings, databaseUrl)),
};

async function runStatus(settings: BenchSettings, databaseUrl: string | undefined): Promise<boolean> {
  const { env, jwtSecret, cleanup } = serverChildEnvironment(databaseUrl);

  console.log(`status: starting servers on ${databaseUrl ? 'a fresh PostgreSQL database' : 'a fresh embedded PGlite database'}...`);
  let servers: ServerProcess<StatusServersInfo> | undefined;
  try {
    servers = await startServerProcess<StatusServersInfo>(path.join(__dirname, 'status-servers.js'), env);
    const { perkgraphPort, barePort, database, poolSize } = servers.info;
    const token = await new TokenService(jwtSecret).sign({ role: 'member', subject: STATUS_MEMBER });
    const request = (port: number): LoadRequest => ({
      url: `http://127.0.0.1:${port}/graphql`,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: STATUS_QUERY }),
    });
    const perkgraph = request(perkgraphPort);
    const bare = request(barePort);

    // Both must give the same answer, and a real one, or the comparison means nothing.
    const [perkgraphAnswer, bareAnswer] = [await fetchText(perkgraph), await fetchText(bare)];
    const perkgraphJson = parseOrText(perkgraphAnswer.body);
    if (perkgraphAnswer.status !== 200 || bareAnswer.status !== 200 || !isDeepStrictEqual(perkgraphJson, parseOrText(bareAnswer.body))) {
      console.error('status: the servers answer differently; not measuring.');
      console.error(`  perkgraph ${perkgraphAnswer.status}: ${perkgraphAnswer.body.trim()}`);
      console.error(`  bare      ${bareAnswer.status}: ${bareAnswer.body.trim()}`);
      return false;
    }
    if ((perkgraphJson as { data?: { me?: unknown } }).data?.me == null) {
      console.error(`status: ${STATUS_MEMBER} is missing (me is null); not measuring. Answer: ${perkgraphAnswer.body.trim()}`);
      return false;
    }
    console.log(`status: both answer ${perkgraphAnswer.body.trim()}`);
    // Under load each must keep giving exactly that body; anything else counts as a mismatch.
    perkgraph.expectBody = perkgraphAnswer.body;
    bare.expectBody = bareAnswer.body;

    // One at a time, each warmed up (JIT, pools) right before it is measured.
    const measure = async (name: string, target: LoadRequest): Promise<LoadResult> => {
      console.log(`status: ${name}: warm-up ${settings.warmupSeconds} s, then ${settings.durationSeconds} s with ${settings.connections} connections`);
      await runLoad(target, settings.warmupSeconds, settings.connections);
      return runLoad(target, settings.durationSeconds, settings.connections);
    };
    const perkgraphResult = await measure('perkgraph', perkgraph);
    const bareResult = await measure('bare', bare);

    report({ settings, database, poolSize, perkgraph: perkgraphResult, bare: bareResult });

    let clean = true;
    for (const [name, result] of [['perkgraph', perkgraphResult], ['bare', bareResult]] as const) {
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

function report(run: { settings: BenchSettings; database: string; poolSize: number; perkgraph: LoadResult; bare: LoadResult }): void {
  const { perkgraph, bare } = run;
  const ratio = perkgraph.requestsPerSecond / bare.requestsPerSecond;
  const p99Ratio = perkgraph.p99Ms / bare.p99Ms;
  const ratioMet = ratio >= TARGET_RATIO;
  const p99Met = p99Ratio <= TARGET_P99_RATIO;
  const machine = machineFacts();

  const row = (name: string, result: LoadResult) => [
    name,
    round(result.requestsPerSecond, 0).toString(),
    `${result.p50Ms} ms`,
    `${result.p99Ms} ms`,
    result.requests.toString(),
    `${result.errors}/${result.non2xx}/${result.mismatches}`,
  ];
  console.log();
  console.log(formatTable(['server', 'req/s', 'p50', 'p99', 'requests', 'errors/non2xx/wrong'], [row('perkgraph', perkgraph), row('bare', bare)]));
  console.log();
  console.log(`ratio (perkgraph/bare req/s): ${round(ratio)}  target >= ${TARGET_RATIO}: ${ratioMet ? 'met' : 'NOT met'}`);
  console.log(`p99 ratio (perkgraph/bare):   ${round(p99Ratio)}  target <= ${TARGET_P99_RATIO}: ${p99Met ? 'met' : 'NOT met'}`);
  console.log(`database: ${run.database}, pool ${run.poolSize} connections per server`);
  console.log(`node ${machine.node}, ${machine.cpus} CPUs (${machine.cpuModel}); ${run.settings.durationSeconds} s per server, ${run.settings.connections} connections`);
  console.log(
    JSON.stringify({
      bench: 'status',
      query: STATUS_QUERY,
      database: run.database,
      poolSize: run.poolSize,
      ...machine,
      durationSeconds: run.settings.durationSeconds,
      connections: run.settings.connections,
      perkgraph: summary(perkgraph),
      bare: summary(bare),
      ratio: round(ratio, 3),
      p99Ratio: round(p99Ratio, 3),
      targets: { ratio: TARGET_RATIO, ratioMet, p99Ratio: TARGET_P99_RATIO, p99Met },
    }),
  );
}

function summary(result: LoadResult) {
  return { ...result, requestsPerSecond: round(result.requestsPerSecond, 1) };
}

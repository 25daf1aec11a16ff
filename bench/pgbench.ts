/**
 * Runs PostgreSQL's pgbench with one of our custom scripts (bench/pgbench/*.sql) and reads its figures:
 * the database-only baseline of the redeem and earn benches. One pgbench "transaction" is one run of the script.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../src/db/paths';
import { onInterrupt } from './harness';

/** PGBENCH names the binary; else pgbench on PATH. */
export const PGBENCH = process.env.PGBENCH || 'pgbench';

/** The scripts live next to the bench sources (tsc does not copy them into dist/). */
export function pgbenchScript(name: string): string {
  return path.join(PROJECT_ROOT, 'bench', 'pgbench', name);
}

/** pgbench's version line, or undefined when it cannot be run. */
export function pgbenchVersion(): string | undefined {
  const result = spawnSync(PGBENCH, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/**
 * prepared: parsed and planned once per connection, then bound: what the server sends for its hot statements (named
 * prepared statements, src/db/sql.ts). extended: unnamed statements with bound values, parsed every time. simple:
 * SQL text with the values written in, parsed and planned every time (the only one the embedded database's socket
 * server takes).
 */
export type PgbenchProtocol = 'prepared' | 'extended' | 'simple';

/** BENCH_PGBENCH_PROTOCOL: prepared (default: the same protocol as the server), extended or simple. */
export function pgbenchProtocol(environment: NodeJS.ProcessEnv = process.env): PgbenchProtocol {
  const value = environment.BENCH_PGBENCH_PROTOCOL || 'prepared';
  if (value !== 'prepared' && value !== 'extended' && value !== 'simple') {
    throw new Error(`BENCH_PGBENCH_PROTOCOL must be prepared, extended or simple, not "${value}"`);
  }
  return value;
}

export interface PgbenchOptions {
  databaseUrl: string;
  script: string;
  clients: number;
  threads: number;
  protocol: PgbenchProtocol;
  /** -D name=value for the script. */
  variables: Record<string, string | number>;
  /** Exactly one of durationSeconds (-T) and transactionsPerClient (-t). */
  durationSeconds?: number;
  transactionsPerClient?: number;
}

export interface PgbenchResult {
  /** Script runs per second, without the initial connection time. */
  tps: number;
  transactions: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
  /** pgbench's exit code: non-zero when a client aborted (a failed statement), which makes the run invalid. */
  exitCode: number;
  /** What pgbench printed, for a failing run. */
  output: string;
}

const LOG_PREFIX = 'pgbench_log';

export async function runPgbench(options: PgbenchOptions): Promise<PgbenchResult> {
  const logDirectory = mkdtempSync(path.join(os.tmpdir(), 'perkgraph-pgbench-'));
  const script = scriptFor(options.script, options.protocol, logDirectory);
  const args = [
    '--no-vacuum',
    `--protocol=${options.protocol}`,
    `--client=${options.clients}`,
    `--jobs=${options.threads}`,
    // A serialization failure runs the script again, as the server reads again (earn.sql's checked write).
    '--max-tries=10',
    ...(options.durationSeconds !== undefined ? [`--time=${options.durationSeconds}`] : [`--transactions=${options.transactionsPerClient ?? 1}`]),
    `--file=${script}`,
    ...Object.entries(options.variables).map(([name, value]) => `--define=${name}=${value}`),
    '--log',
    `--log-prefix=${path.join(logDirectory, LOG_PREFIX)}`,
    options.databaseUrl,
  ];
  let forget = () => {};
  try {
    const { code, output } = await new Promise<{ code: number; output: string }>((resolve, reject) => {
      const child = spawn(PGBENCH, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      forget = onInterrupt(async () => {
        child.kill('SIGINT');
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.once('error', reject);
      child.once('close', (exitCode, signal) => resolve({ code: exitCode ?? (signal ? 128 : 1), output }));
    });
    const latencies = readLatenciesMs(logDirectory);
    return {
      tps: numberAfter(output, /^tps = ([\d.]+) \(without initial connection time\)/m),
      transactions: numberAfter(output, /^number of transactions actually processed: (\d+)/m),
      // Before pgbench 15 there is no such line: a failed statement aborts the client (a non-zero exit code).
      failed: numberAfter(output, /^number of failed transactions: (\d+)/m) || 0,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      exitCode: code,
      output,
    };
  } finally {
    forget();
    rmSync(logDirectory, { recursive: true, force: true });
  }
}

function numberAfter(output: string, pattern: RegExp): number {
  const match = pattern.exec(output);
  return match ? Number(match[1]) : NaN;
}

/**
 * The scripts are written for the simple protocol, where pgbench writes a variable's text into the SQL, so text
 * values are quoted there (':m_id'). With bound parameters (prepared, extended) a variable becomes a parameter and
 * must stand alone: a copy of the script without those quotes, in `directory`.
 */
function scriptFor(script: string, protocol: PgbenchProtocol, directory: string): string {
  if (protocol === 'simple') return script;
  const copy = path.join(directory, `bound-${path.basename(script)}`);
  writeFileSync(copy, readFileSync(script, 'utf8').replace(/'(:[A-Za-z_][A-Za-z0-9_]*)'/g, '$1'));
  return copy;
}

/** Per-transaction logs: "client_id transaction_no time script_no time_epoch time_us", time in microseconds. */
function readLatenciesMs(directory: string): number[] {
  const latencies: number[] = [];
  for (const file of readdirSync(directory)) {
    if (!file.startsWith(LOG_PREFIX)) continue;
    for (const line of readFileSync(path.join(directory, file), 'utf8').split('\n')) {
      const micros = Number(line.split(' ')[2]);
      if (line && Number.isFinite(micros)) latencies.push(micros / 1000);
    }
  }
  return latencies.sort((a, b) => a - b);
}

/** The q-quantile of ascending values (nearest rank), NaN when there are none. */
export function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

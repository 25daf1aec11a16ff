/**
 * Shared pieces for the benches: settings, a throwaway database, server child processes, autocannon runs, output.
 * A bench is a file exporting a `Bench`; bench/run.ts lists them.
 */
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import readline from 'node:readline';
import { ChildProcess, spawn } from 'node:child_process';
import autocannon from 'autocannon';
import { Client } from 'pg';

export interface Bench {
  name: string;
  description: string;
  /** Measures and prints; resolves false when the run was invalid (errors, non-2xx, wrong bodies), never for a missed target. */
  run(settings: BenchSettings): Promise<boolean>;
}

export interface BenchSettings {
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
}

/** BENCH_DURATION (seconds, default 10) and BENCH_CONNECTIONS (default 20). */
export function benchSettings(environment: NodeJS.ProcessEnv = process.env): BenchSettings {
  return {
    durationSeconds: positiveInteger(environment.BENCH_DURATION, 10, 'BENCH_DURATION'),
    warmupSeconds: 3,
    connections: positiveInteger(environment.BENCH_CONNECTIONS, 20, 'BENCH_CONNECTIONS'),
  };
}

function positiveInteger(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new Error(`${name} must be a positive integer, not "${value}"`);
  return number;
}

/** What every printed result carries, so figures from different machines are not compared blindly. */
export function machineFacts() {
  return { node: process.version, serverNodeFlags: serverNodeFlags().join(' '), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown' };
}

// ---------------------------------------------------------------------------------------------------------------
// Clean-up on Ctrl-C

const cleanups: Array<() => Promise<void>> = [];
let handlingInterrupts = false;
let interrupted = false;

/**
 * Runs `cleanup` if the bench is interrupted (SIGINT), newest first, so server children are stopped before their
 * database is dropped. Returns a function that unregisters it.
 */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  if (!handlingInterrupts) {
    handlingInterrupts = true;
    process.once('SIGINT', async () => {
      interrupted = true;
      for (const run of cleanups.splice(0).reverse()) await run().catch(() => undefined);
      process.exit(130);
    });
  }
  cleanups.push(cleanup);
  return () => {
    const index = cleanups.indexOf(cleanup);
    if (index >= 0) cleanups.splice(index, 1);
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Database

/**
 * With DATABASE_URL set: creates a fresh database on that server, passes its URL to `body`, drops it afterwards,
 * so a bench never touches the database the URL names. Without DATABASE_URL: passes undefined (embedded PGlite).
 */
export async function withBenchDatabase<T>(body: (databaseUrl: string | undefined) => Promise<T>): Promise<T> {
  const serverUrl = process.env.DATABASE_URL || undefined;
  if (!serverUrl) return body(undefined);
  const name = `perkgraph_bench_${Date.now()}`;
  // force: a server child that died or is still closing its pool must not keep the database alive.
  const drop = () => administer(serverUrl, `drop database if exists "${name}" with (force)`);
  await administer(serverUrl, `create database "${name}"`);
  const forget = onInterrupt(drop);
  try {
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    return await body(url.toString());
  } finally {
    forget();
    // BENCH_KEEP_DATABASE=1: leave the database for a look afterwards (psql), and say which it is.
    if (process.env.BENCH_KEEP_DATABASE === '1') console.log(`kept database ${name}`);
    else await drop();
  }
}

async function administer(serverUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Server child processes

/** The line a server child prints on stdout when it listens: `{"benchReady": {...}}`. */
export const READY_KEY = 'benchReady';

export function announceReady(info: object): void {
  process.stdout.write(`${JSON.stringify({ [READY_KEY]: info })}\n`);
}

/**
 * In a server child: calls `stop`, then exits, when the parent closes our stdin (or dies).
 * Not on SIGTERM: Apollo Server installs its own SIGTERM/SIGINT handlers that call apolloServer.stop(), and a
 * second, concurrent stop() (ours, through app.stop()) never resolves (Apollo Server 5.5.1), so a signal-driven
 * shutdown hangs. A plain SIGTERM still ends the child (Apollo stops, then re-raises it). Ctrl-C is ignored here:
 * the parent gets it too and stops the child itself, before dropping the database under it.
 */
export function stopWhenParentGoes(stop: () => Promise<void>): void {
  let stopping = false;
  const once = () => {
    if (stopping) return;
    stopping = true;
    void stop().finally(() => process.exit(0));
  };
  process.on('SIGINT', () => undefined);
  process.stdin.on('end', once).on('error', once).resume();
}

/**
 * The environment of a bench server child: production settings, a fresh JWT secret, DATABASE_URL when given,
 * otherwise a fresh embedded PGlite folder. `cleanup` removes the folder (also on Ctrl-C).
 */
export function serverChildEnvironment(databaseUrl: string | undefined): { env: NodeJS.ProcessEnv; jwtSecret: string; cleanup: () => Promise<void> } {
  const jwtSecret = randomBytes(32).toString('hex');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'perkgraph-bench-'));
  const removeDataDir = async () => rmSync(dataDir, { recursive: true, force: true });
  const forgetDataDir = onInterrupt(removeDataDir);
  // The ledger benches fund each member with one 10,000,000 USD order: above the default MAX_ORDER_AMOUNT.
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', JWT_SECRET: jwtSecret, LOG_LEVEL: 'warn', DATA_DIR: dataDir, MAX_ORDER_AMOUNT: '100000000.00' };
  delete env.DATABASE_URL;
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  return {
    env,
    jwtSecret,
    async cleanup() {
      forgetDataDir();
      await removeDataDir();
    },
  };
}

export interface ServerProcess<Info> {
  info: Info;
  /** The child's process id (to read its CPU time, say). */
  pid: number;
  stop(): Promise<void>;
}

/**
 * Runs the servers in a child process so that they and autocannon (here) do not share an event loop.
 * Resolves with what the child announced; its other stdout lines (logs) go to our stderr.
 * The child's stdin stays open; closing it is how we stop the child (see `stopWhenParentGoes`).
 */
/**
 * The Node.js flags `npm start` runs the server with (package.json's start script: `node <flags> scripts/run-built.js
 * ...`), so that benched servers run as served ones do.
 */
export function serverNodeFlags(): string[] {
  const packageJson = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = packageJson.scripts.start.split(/\s+/);
  return words.slice(1, words.findIndex((word) => word.endsWith('run-built.js'))).filter((word) => word.startsWith('--'));
}

export function startServerProcess<Info>(entry: string, env: NodeJS.ProcessEnv, timeoutMs = 180_000): Promise<ServerProcess<Info>> {
  // BENCH_PROFILE=<folder>: the servers write a V8 CPU profile there when they stop (open it in Chrome's DevTools).
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...serverNodeFlags(), ...profile, entry], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const forget = onInterrupt(() => stopChild(child, exited));
  void exited.then(forget);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stopChild(child, exited);
      reject(new Error(`${entry} did not get ready within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    const onExit = (code: number | null, signal: string | null) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited before it was ready (code ${code}, signal ${signal})`));
    };
    child.once('exit', onExit);
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const info = readyInfo(line);
      if (info === undefined) {
        process.stderr.write(`[server] ${line}\n`);
        return;
      }
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve({ info: info as Info, pid: child.pid!, stop: () => stopChild(child, exited) });
    });
  });
}

function readyInfo(line: string): unknown {
  if (!line.includes(READY_KEY)) return undefined;
  try {
    return (JSON.parse(line) as Record<string, unknown>)[READY_KEY];
  } catch {
    return undefined;
  }
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.stdin?.end();
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(killer);
}

// ---------------------------------------------------------------------------------------------------------------
// Load

export interface LoadRequest {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** When given, any other response body counts as a mismatch (a 200 carrying a GraphQL error, say). */
  expectBody?: string;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Connection errors and timeouts. */
  errors: number;
  non2xx: number;
  mismatches: number;
}

export async function runLoad(request: LoadRequest, durationSeconds: number, connections: number): Promise<LoadResult> {
  if (interrupted) throw new Error('interrupted');
  let forget = () => {};
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: request.url,
        method: request.method ?? 'POST',
        headers: request.headers,
        body: request.body,
        expectBody: request.expectBody,
        connections,
        duration: durationSeconds,
      },
      (error: unknown, result: autocannon.Result) => (error ? reject(error) : resolve(result)),
    );
    // On Ctrl-C, stop loading first: a server cannot drain while we keep its connections busy.
    forget = onInterrupt(async () => instance.stop());
  }).finally(() => forget());
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests: result.requests.total,
    errors: result.errors,
    non2xx: result.non2xx,
    mismatches: result.mismatches,
  };
}

/** True when every request got a 2xx answer with the expected body. */
export function isClean(result: LoadResult): boolean {
  return result.errors === 0 && result.non2xx === 0 && result.mismatches === 0;
}

/** One request, for checking a server's answer before loading it. */
export async function fetchText(request: LoadRequest): Promise<{ status: number; body: string }> {
  const response = await fetch(request.url, { method: request.method ?? 'POST', headers: request.headers, body: request.body });
  return { status: response.status, body: await response.text() };
}

// ---------------------------------------------------------------------------------------------------------------
// Output

/** A plain left-aligned text table. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

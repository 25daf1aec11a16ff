import { ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import type { Principal } from '../../src/auth/principal';
import { TokenService } from '../../src/auth/tokens';
import { ormOptions } from '../../src/db/orm-config';
import { createTestDatabase, TestDatabase } from './database';
import { GraphQLResponse, TEST_JWT_SECRET } from './server';

const ROOT = path.join(__dirname, '..', '..');

export interface SpawnedServer {
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

/** The real entry point (src/main.ts) in its own process, as `npm start` runs it, with exactly `environment` (plus PATH). */
export function spawnServer(environment: Record<string, string>): SpawnedServer {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(ROOT, 'src', 'main.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/**
 * The port from the server's "listening" log line (`"port":N`, needs LOG_LEVEL=info); fails with the output
 * after `timeoutMs`. Generous: a new embedded database loads the demo programme first, slow on a busy machine.
 */
export async function waitForListening(output: () => string, timeoutMs = 90_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = /"port":(\d+)/.exec(output());
    if (match) return Number(match[1]);
    if (Date.now() > deadline) throw new Error(`server did not start:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** One server process on the shared database, and a client for it. */
export interface ServerProcess {
  url: string;
  /** POSTs a GraphQL request, as TestServer.graphql does; `as` is a principal, a raw token, or nothing (anonymous). */
  graphql<T = any>(query: string, variables?: Record<string, unknown>, as?: Principal | string): Promise<GraphQLResponse<T>>;
  output(): string;
  /** SIGTERM; resolves once the process exited with code 0 (fails with its output otherwise). */
  stop(): Promise<void>;
}

export interface ServerProcesses {
  processes: ServerProcess[];
  database: TestDatabase;
  /** An ORM in the test process on the same database, for set-up, jobs and invariant checks. */
  orm: MikroORM;
  /** Stops every process, then closes the ORM and drops the database. */
  stop(): Promise<void>;
}

export interface ServerProcessOptions {
  /** Extra environment for every process (on top of DATABASE_URL, PORT, JWT_SECRET, LOG_LEVEL, JOB_INTERVAL_SECONDS). */
  environment?: Record<string, string>;
  /** Connections in the test process's ORM pool. */
  poolSize?: number;
}

/**
 * `count` real server processes (src/main.ts) on one fresh test database: a new PostgreSQL database, or on
 * PGlite the in-memory PGlite of this test process, which the children reach through its socket server.
 * Ledger jobs are off in the children (JOB_INTERVAL_SECONDS=0): tests run them with runLedgerJobs when they mean to.
 */
export async function startServerProcesses(count: number, options: ServerProcessOptions = {}): Promise<ServerProcesses> {
  const database = await createTestDatabase();
  const started: { spawned: SpawnedServer; process?: ServerProcess }[] = [];
  let orm: MikroORM | undefined;
  const stopAll = async () => {
    const results = await Promise.allSettled(started.map(({ spawned, process: server }) => server?.stop() ?? killAndWait(spawned)));
    if (orm) await orm.close(true);
    await database.drop();
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure) throw failure.reason;
  };
  try {
    orm = await MikroORM.init(ormOptions({ clientUrl: database.url, poolSize: options.poolSize ?? 4 }));
    const tokens = new TokenService(TEST_JWT_SECRET);
    const environment = {
      NODE_ENV: 'test',
      DATABASE_URL: database.url,
      PORT: '0',
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'info',
      JOB_INTERVAL_SECONDS: '0',
      ...options.environment,
    };
    for (let index = 0; index < count; index += 1) started.push({ spawned: spawnServer(environment) });
    await Promise.all(
      started.map(async (entry) => {
        const exitedEarly = entry.spawned.exited.then((code) => {
          throw new Error(`server process exited with code ${code} before listening:\n${entry.spawned.output()}`);
        });
        const port = await Promise.race([waitForListening(entry.spawned.output), exitedEarly]);
        entry.process = serverProcess(`http://127.0.0.1:${port}`, entry.spawned, tokens);
      }),
    );
    return { processes: started.map((entry) => entry.process!), database, orm, stop: stopAll };
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}

function serverProcess(url: string, spawned: SpawnedServer, tokens: TokenService): ServerProcess {
  let stopping: Promise<void> | undefined;
  return {
    url,
    output: spawned.output,
    async graphql(query, variables, as) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (as) headers.authorization = `Bearer ${typeof as === 'string' ? as : await tokens.sign(as)}`;
      const response = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      return { status: response.status, headers: response.headers, body: (await response.json()) as GraphQLResponse['body'] };
    },
    stop() {
      stopping ??= (async () => {
        if (spawned.child.exitCode === null && spawned.child.signalCode === null) spawned.child.kill('SIGTERM');
        const code = await spawned.exited;
        if (code !== 0) throw new Error(`server process ${url} exited with code ${code}:\n${spawned.output()}`);
      })();
      return stopping;
    },
  };
}

/** A process that never reported its port (set-up failed): end it without judging its exit code. */
async function killAndWait(spawned: SpawnedServer): Promise<void> {
  if (spawned.child.exitCode === null && spawned.child.signalCode === null) spawned.child.kill('SIGKILL');
  await spawned.exited;
}

/** A command-line entry point (src/cli/<command>.ts) in its own process, as `npm run <command>` runs it, with exactly `environment` (plus PATH). */
export function runCliCommand(command: string, args: string[], environment: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(ROOT, 'src', 'cli', `${command}.ts`), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', ...environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

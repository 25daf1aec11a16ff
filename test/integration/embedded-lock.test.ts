import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenService } from '../../src/auth/tokens';
import { lockPathOf } from '../../src/db/embedded-lock';
import { runCliCommand as runCli, spawnServer, SpawnedServer, waitForListening } from '../helpers/processes';
import { TEST_JWT_SECRET } from '../helpers/server';

/**
 * One PGlite folder is only ever opened by one process: the server holds an exclusive lock; the command-line
 * tools run beside it through its socket, and a second server is refused at once, naming the first.
 */
describe('the embedded database folder lock (real processes)', () => {
  let directory: string;
  let environment: Record<string, string>;
  const servers: SpawnedServer[] = [];
  const start = () => {
    const server = spawnServer(environment);
    servers.push(server);
    return server;
  };
  const stop = async (server: SpawnedServer) => {
    server.child.kill('SIGTERM');
    return server.exited;
  };

  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'perkgraph-lock-'));
    // No DATABASE_URL: the embedded database under DATA_DIR, as `npm start` runs for a new user.
    environment = { NODE_ENV: 'test', DATA_DIR: join(directory, 'data'), PORT: '0', JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'info', JOB_INTERVAL_SECONDS: '0', LTV_NIGHTLY_HOUR: '-1' };
  });
  afterAll(async () => {
    for (const server of servers) if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    await Promise.all(servers.map((server) => server.exited));
    rmSync(directory, { recursive: true, force: true });
  });

  it('runs the import beside the server through its socket, refuses a second server, and starts again after a clean stop', async () => {
    const server = start();
    const port = await waitForListening(server.output, 180_000);
    const pglite = join(environment.DATA_DIR, 'pglite');
    expect(existsSync(lockPathOf(pglite))).toBe(true);

    const members = join(directory, 'members.csv');
    const orders = join(directory, 'orders.csv');
    writeFileSync(members, 'external_id,email,country\nlock-1,lock-1@example.com,NL\n');
    writeFileSync(orders, 'external_id,member_external_id,amount,currency,placed_at\nlock-o-1,lock-1,45.00,USD,2024-02-01T00:00:00Z\n');
    const imported = await runCli('import', [members, orders], environment);
    expect(imported.stderr).toBe(`Using the embedded database of the running process ${server.child.pid} (main.ts) through its socket.\n`);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain('members.csv: 1 rows: 1 inserted, 0 already present, 0 rejected\n');

    const token = await new TokenService(TEST_JWT_SECRET).sign({ role: 'support', subject: 'lock-test' });
    const lookUp = async (at: number) => {
      const response = await fetch(`http://127.0.0.1:${at}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ member(externalId: "lock-1") { externalId country } }' }),
      });
      return response.json();
    };
    // The server sees what the import wrote: one database, not two copies.
    expect(await lookUp(port)).toEqual({ data: { member: { externalId: 'lock-1', country: 'NL' } } });

    const second = start();
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`The embedded database in ${pglite} is open in process ${server.child.pid} (main.ts, since `);

    expect(await stop(server)).toBe(0);
    expect(existsSync(lockPathOf(pglite))).toBe(false);
    const again = start();
    const portAgain = await waitForListening(again.output, 180_000);
    expect(await lookUp(portAgain)).toEqual({ data: { member: { externalId: 'lock-1', country: 'NL' } } });
    expect(await stop(again)).toBe(0);
  }, 400_000);

  it('refuses at once, naming the holder, when the process holding the folder cannot be reached', async () => {
    const dataDir = join(directory, 'unreachable');
    const pglite = join(dataDir, 'pglite');
    mkdirSync(dataDir);
    // This test process is alive and "holds" the folder, with a socket nobody listens on.
    writeFileSync(lockPathOf(pglite), JSON.stringify({ pid: process.pid, command: 'holder.ts', url: 'postgresql://postgres@127.0.0.1:1/postgres', startedAt: '2026-12-04T00:00:00.000Z' }));
    const refused = await runCli('migrate', [], { ...environment, DATA_DIR: dataDir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `The embedded database in ${pglite} is open in process ${process.pid} (holder.ts, since 2026-12-04T00:00:00.000Z). ` +
        'Two processes must never open one PGlite folder: stop that process first, or set DATABASE_URL to use PostgreSQL.\n',
    );
    expect(existsSync(pglite)).toBe(false);
  });
});

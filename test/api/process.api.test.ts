import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { spawnServer, waitForListening } from '../helpers/processes';
import { TEST_JWT_SECRET } from '../helpers/server';

// A new embedded database loads the demo programme before it listens: slow on a busy machine.
jest.setTimeout(120_000);

describe('the server process', () => {
  let database: TestDatabase | undefined;
  let dataDir: string | undefined;
  afterEach(async () => {
    await database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    database = undefined;
    dataDir = undefined;
  });

  it('starts ready and stops cleanly on SIGTERM (exit code 0)', async () => {
    const environment: Record<string, string> = { PORT: '0', JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'info' };
    if (process.env.DATABASE_URL) {
      database = await createTestDatabase();
      environment.DATABASE_URL = database.url;
    } else {
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'perkgraph-process-'));
      environment.DATA_DIR = dataDir;
    }
    const server = spawnServer(environment);
    const port = await waitForListening(server.output);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('"msg":"stopped"');
  });

  it('refuses to start in production without JWT_SECRET, naming the variable', async () => {
    const server = spawnServer({ NODE_ENV: 'production', PORT: '0' });
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain('JWT_SECRET: is required when NODE_ENV=production');
  });

  it('refuses to start with a bad PORT, naming the variable', async () => {
    const server = spawnServer({ PORT: 'eighty' });
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain('PORT:');
  });
});

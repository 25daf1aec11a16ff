import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { TEST_JWT_SECRET } from '../helpers/server';

const ROOT = path.join(__dirname, '..', '..');

/** The real entry point (src/main.ts) in its own process, as `npm start` runs it. */
function startProcess(environment: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
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

async function waitForListening(output: () => string): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const match = /"port":(\d+)/.exec(output());
    if (match) return Number(match[1]);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server did not start:\n${output()}`);
}

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
    const server = startProcess(environment);
    const port = await waitForListening(server.output);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('"msg":"stopped"');
  });

  it('refuses to start in production without JWT_SECRET, naming the variable', async () => {
    const server = startProcess({ NODE_ENV: 'production', PORT: '0' });
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain('JWT_SECRET: is required when NODE_ENV=production');
  });

  it('refuses to start with a bad PORT, naming the variable', async () => {
    const server = startProcess({ PORT: 'eighty' });
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain('PORT:');
  });
});

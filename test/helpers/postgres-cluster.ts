import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = '/usr/lib/postgresql/15/bin';

/** A PostgreSQL 15 cluster of the test's own, in a temporary directory, run as the postgres user. */
export interface PostgresCluster {
  url: string;
  port: number;
  /** `pg_ctl restart -m fast`: sessions are ended (57P01), the server comes back. */
  restartFast(): Promise<void>;
  /** `pg_ctl stop -m immediate` (a crash: WAL recovery at the next start), then start again. */
  crashAndStart(): Promise<void>;
  /** The server's log so far. */
  log(): string;
  destroy(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function postgresUid(): { uid: number; gid: number } {
  return { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })) };
}

export async function startPostgresCluster(): Promise<PostgresCluster> {
  const root = mkdtempSync(join(tmpdir(), 'perkgraph-fault-pg-'));
  const { uid, gid } = postgresUid();
  chownSync(root, uid, gid);
  const dataDir = join(root, 'data');
  const logFile = join(root, 'postgres.log');
  const port = await freePort();
  const asPostgres = (command: string, args: string[]) =>
    execFileSync('runuser', ['-u', 'postgres', '--', join(BIN, command), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  asPostgres('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8']);
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${root} -c fsync=on -c max_connections=60`;
  // Asynchronous, so that the test's clients keep sending while PostgreSQL goes away and comes back.
  const asPostgresLater = (command: string, args: string[]) =>
    promisify(execFile)('runuser', ['-u', 'postgres', '--', join(BIN, command), ...args], { encoding: 'utf8' }).then(() => undefined);
  const start = () => asPostgresLater('pg_ctl', ['-D', dataDir, '-l', logFile, '-o', options, '-w', '-t', '60', 'start']);
  await start();
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    port,
    restartFast: () => asPostgresLater('pg_ctl', ['-D', dataDir, '-l', logFile, '-o', options, '-m', 'fast', '-w', '-t', '60', 'restart']),
    async crashAndStart() {
      await asPostgresLater('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      await start();
    },
    log() {
      try {
        return execFileSync('cat', [logFile], { encoding: 'utf8' });
      } catch {
        return '';
      }
    },
    destroy() {
      try {
        asPostgres('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // not running
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

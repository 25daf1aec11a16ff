import { EMBEDDED_APPLICATION_NAME } from './sql';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { EmbeddedLock, lockEmbeddedFolder } from './embedded-lock';

export interface EmbeddedPostgres {
  /** A postgres:// URL for the socket server; MikroORM's ordinary pg driver connects to it. */
  url: string;
  pglite: PGlite;
  close(): Promise<void>;
}

/** Room for several pools (tests run more than one server process on one embedded database); PGlite still runs one query at a time and keeps transactions whole. */
const SOCKET_CONNECTIONS = 64;

/**
 * Starts PGlite (PostgreSQL in WASM, in this process) behind its socket server on a free loopback port.
 * `dataDir` persists it; without one it lives in memory. `loadDataDir` starts from a dump (tests).
 * One backend serves every connection, so code must never await a second connection inside a transaction.
 */
export async function startEmbeddedPostgres(options: { dataDir?: string; loadDataDir?: Blob } = {}): Promise<EmbeddedPostgres> {
  let dataDir: string | undefined;
  let lock: EmbeddedLock | undefined;
  if (options.dataDir) {
    dataDir = path.resolve(options.dataDir);
    // Two processes on one PGlite folder corrupt it: the first holds the lock until it closes (or dies).
    lock = lockEmbeddedFolder(dataDir);
    mkdirSync(dataDir, { recursive: true });
  }
  try {
    const pglite = await PGlite.create(dataDir, { loadDataDir: options.loadDataDir });
    const server = new PGLiteSocketServer({ db: pglite, host: '127.0.0.1', port: 0, maxConnections: SOCKET_CONNECTIONS });
    await server.start();
    const url = `postgresql://postgres@${server.getServerConn()}/postgres?application_name=${EMBEDDED_APPLICATION_NAME}`;
    lock?.setUrl(url);
    return {
      url,
      pglite,
      async close() {
        await server.stop();
        await pglite.close();
        lock?.release();
      },
    };
  } catch (error) {
    lock?.release();
    throw error;
  }
}

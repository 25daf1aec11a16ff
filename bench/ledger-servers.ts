/**
 * Child process of the redeem and earn benches: opens the database (PostgreSQL at DATABASE_URL, or embedded PGlite
 * under DATA_DIR), migrates it, serves the full Perkgraph server on a free port, announces the port and the
 * database URL (the parent seeds and checks through it, and points pgbench at it), and runs until the parent closes
 * its stdin. No demo seed: the parent creates its own members.
 * It also counts every SQL statement it sends, at the pg driver (bench/statement-counter.ts: all but BEGIN, COMMIT,
 * ROLLBACK and savepoints), and answers the count and a statement log on a second port: the parent reports
 * statements per operation and tells when the pgbench scripts no longer send what the services do.
 */
import 'reflect-metadata';
import { createApp } from '../src/app';
import { announceReady, stopWhenParentGoes } from './harness';
import { openBenchServerDatabase } from './server-child';
import { countStatements, serveStatementCount } from './statement-counter';

export interface LedgerServerInfo {
  port: number;
  /** GET / answers {"statements": n}: how many statements the server has sent so far (see bench/statement-counter.ts). */
  statementsPort: number;
  /** The URL the server's pool connects to (for PGlite, its socket server in the child). */
  databaseUrl: string;
  database: string;
  embedded: boolean;
  poolSize: number;
}

async function main(): Promise<void> {
  countStatements();
  const { config, logger, database } = await openBenchServerDatabase();
  const counter = await serveStatementCount();
  const statementsPort = counter.port;

  const app = await createApp({ config, orm: database.orm, logger });
  const port = await app.listen(0);

  const poolSize = database.orm.config.get('pool')?.max ?? (database.embedded ? 4 : 10);
  const [{ server_version: version }] = await database.orm.em.fork().execute<{ server_version: string }[]>('show server_version');
  announceReady({
    port,
    statementsPort,
    databaseUrl: database.orm.config.get('clientUrl')!,
    database: database.embedded ? `embedded PGlite (PostgreSQL ${version}, one backend, in the server process)` : `PostgreSQL ${version}`,
    embedded: database.embedded,
    poolSize,
  } satisfies LedgerServerInfo);

  stopWhenParentGoes(async () => {
    counter.close();
    await app.stop().catch(() => undefined);
    await database.close();
  });
}

main().catch((error) => {
  console.error('ledger bench server failed to start:', error);
  process.exit(1);
});

/**
 * Child process of the status bench: opens the database (PostgreSQL at DATABASE_URL, or embedded PGlite under
 * DATA_DIR), migrates, seeds the demo programme, creates the floor's table, then serves four servers on free
 * ports — the full Perkgraph server (and the same with POST /graphql through Express), the same-SQL bare baseline (bench/bare-server.ts) and the one-row floor
 * (bench/floor-server.ts) — announces them on stdout, and runs until the parent closes its stdin.
 * All live here so they share one database (PGlite allows one process per data folder) and the same conditions;
 * the bench loads only one at a time. Every SQL statement the process sends is counted at the pg driver
 * (bench/statement-counter.ts), so the bench can tell statements per request of whichever server it loads.
 */
import 'reflect-metadata';
import { seedDemoData } from '../src/db/seed';
import { createApp } from '../src/app';
import { startBareServer } from './bare-server';
import { FLOOR_TABLE_DDL, startFloorServer } from './floor-server';
import { announceReady, stopWhenParentGoes } from './harness';
import { openBenchServerDatabase } from './server-child';
import { countStatements, serveStatementCount } from './statement-counter';

export interface StatusServersInfo {
  perkgraphPort: number;
  expressPort: number;
  barePort: number;
  floorPort: number;
  /** GET / answers {"statements": n}: how many statements this process has sent so far. */
  statementsPort: number;
  /** The URL the servers' pools connect to (for PGlite, its socket server in this process): the bench fills the floor's table through it. */
  databaseUrl: string;
  database: string;
  embedded: boolean;
  poolSize: number;
}

async function main(): Promise<void> {
  countStatements();
  const { config, logger, database } = await openBenchServerDatabase();
  await seedDemoData(database.orm);
  await database.orm.em.fork().execute(FLOOR_TABLE_DDL);
  const counter = await serveStatementCount();

  const app = await createApp({ config, orm: database.orm, logger });
  const perkgraphPort = await app.listen(0);
  // The same server with POST /graphql through Express (@as-integrations/express5) instead of the lean path.
  const viaExpress = await createApp({ config, orm: database.orm, logger, graphqlPost: 'express' });
  const expressPort = await viaExpress.listen(0);

  // Same URL and pool size as the ORM: for PGlite the URL is its socket server in this process.
  const poolSize = database.orm.config.get('pool')?.max ?? (database.embedded ? 4 : 10);
  const databaseUrl = database.orm.config.get('clientUrl')!;
  const bare = await startBareServer({ connectionString: databaseUrl, poolSize, jwtSecret: config.jwtSecret });
  const floor = await startFloorServer({ connectionString: databaseUrl, poolSize, jwtSecret: config.jwtSecret });

  const [{ server_version: version }] = await database.orm.em.fork().execute<{ server_version: string }[]>('show server_version');
  announceReady({
    perkgraphPort,
    expressPort,
    barePort: bare.port,
    floorPort: floor.port,
    statementsPort: counter.port,
    databaseUrl,
    database: database.embedded ? `embedded PGlite (PostgreSQL ${version}, one backend, in the server process)` : `PostgreSQL ${version}`,
    embedded: database.embedded,
    poolSize,
  } satisfies StatusServersInfo);

  stopWhenParentGoes(async () => {
    counter.close();
    await Promise.allSettled([app.stop(), viaExpress.stop(), bare.close(), floor.close()]);
    await database.close();
  });
}

main().catch((error) => {
  console.error('status bench servers failed to start:', error);
  process.exit(1);
});

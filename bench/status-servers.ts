/**
 * Child process of the status bench: opens the database (PostgreSQL at DATABASE_URL, or embedded PGlite under
 * DATA_DIR), migrates, seeds the demo programme, then serves it twice — the full Perkgraph server and the bare
 * baseline — on two free ports, announces them on stdout, and runs until the parent closes its stdin.
 * Both servers live here so they share one database (PGlite allows one process per data folder) and the same
 * conditions; the bench loads only one at a time.
 */
import 'reflect-metadata';
import { seedDemoData } from '../src/db/seed';
import { createApp } from '../src/app';
import { startBareServer } from './bare-server';
import { announceReady, stopWhenParentGoes } from './harness';
import { openBenchServerDatabase } from './server-child';

export interface StatusServersInfo {
  perkgraphPort: number;
  barePort: number;
  database: string;
  poolSize: number;
}

async function main(): Promise<void> {
  const { config, logger, database } = await openBenchServerDatabase();
  await seedDemoData(database.orm);

  const app = await createApp({ config, orm: database.orm, logger });
  const perkgraphPort = await app.listen(0);

  // Same URL and pool size as the ORM: for PGlite the URL is its socket server in this process.
  const poolSize = database.orm.config.get('pool')?.max ?? (database.embedded ? 4 : 10);
  const bare = await startBareServer({ connectionString: database.orm.config.get('clientUrl')!, poolSize, jwtSecret: config.jwtSecret });

  const [{ server_version: version }] = await database.orm.em.fork().execute<{ server_version: string }[]>('show server_version');
  announceReady({
    perkgraphPort,
    barePort: bare.port,
    database: database.embedded ? `embedded PGlite (PostgreSQL ${version}, one backend, in the server process)` : `PostgreSQL ${version}`,
    poolSize,
  } satisfies StatusServersInfo);

  stopWhenParentGoes(async () => {
    await Promise.allSettled([app.stop(), bare.close()]);
    await database.close();
  });
}

main().catch((error) => {
  console.error('status bench servers failed to start:', error);
  process.exit(1);
});

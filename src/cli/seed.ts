/** npm run seed: migrates, then loads the demo programme (idempotent) into DATABASE_URL or the embedded database. */
import 'reflect-metadata';
import { loadConfig } from '../config/config';
import { migrateToLatest, openDatabase } from '../db/database';
import { seedDemoData } from '../db/seed';
import { runCli } from './run-cli';

runCli(async () => {
  const database = await openDatabase({ ...loadConfig(), shareRunningEmbedded: true });
  try {
    await migrateToLatest(database.orm);
    await seedDemoData(database.orm);
    console.log('Demo programme loaded.');
  } finally {
    await database.close();
  }
});

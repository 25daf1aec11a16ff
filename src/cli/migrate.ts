/** npm run migrate: applies pending migrations to DATABASE_URL (or the embedded database) and exits. */
import 'reflect-metadata';
import { loadConfig } from '../config/config';
import { migrateToLatest, openDatabase } from '../db/database';
import { runCli } from './run-cli';

runCli(async () => {
  const database = await openDatabase({ ...loadConfig(), shareRunningEmbedded: true });
  try {
    const applied = await migrateToLatest(database.orm);
    console.log(applied.length ? `Applied ${applied.length} migration(s):\n${applied.join('\n')}` : 'Already up to date.');
  } finally {
    await database.close();
  }
});

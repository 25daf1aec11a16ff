/**
 * npm run migration:create -- [name]
 * Applies the existing migrations to a throw-away in-memory database, then writes the difference
 * between the entities and that schema as a new TypeScript migration under migrations/.
 */
import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/postgresql';
import { startEmbeddedPostgres } from '../db/embedded';
import { ormOptions } from '../db/orm-config';
import { MIGRATIONS_TS_DIR } from '../db/paths';

async function main() {
  const name = process.argv[2];
  const embedded = await startEmbeddedPostgres();
  const options = ormOptions({ clientUrl: embedded.url, poolSize: 1 });
  const orm = await MikroORM.init({ ...options, migrations: { ...options.migrations, pathTs: MIGRATIONS_TS_DIR } });
  try {
    await orm.getMigrator().up();
    const result = await orm.getMigrator().createMigration(MIGRATIONS_TS_DIR, false, false, name);
    if (result.diff.up.length === 0) console.log('No changes: the migrations already match the entities.');
    else console.log(`Wrote migrations/${result.fileName}`);
  } finally {
    await orm.close(true);
    await embedded.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

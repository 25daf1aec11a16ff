import { defineConfig, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { SeedManager } from '@mikro-orm/seeder';
import { Options } from '@mikro-orm/core';
import { entities } from './entities';
import { MIGRATIONS_DIR, MIGRATIONS_TS_DIR, RUNNING_TYPESCRIPT } from './paths';

export interface OrmSettings {
  clientUrl: string;
  /** Connections in the pool. */
  poolSize: number;
}

export function ormOptions({ clientUrl, poolSize }: OrmSettings): Options<PostgreSqlDriver> {
  // MikroORM reads host, port, user and database from the URL and drops its parameters; the application name marks
  // connections to the embedded database (src/db/sql.ts), so it is passed on.
  const applicationName = new URL(clientUrl).searchParams.get('application_name');
  return defineConfig({
    clientUrl,
    ...(applicationName ? { driverOptions: { connection: { application_name: applicationName } } } : {}),
    entities,
    extensions: [Migrator, SeedManager],
    preferTs: RUNNING_TYPESCRIPT,
    pool: { min: 0, max: poolSize },
    // Every request and job forks its own EntityManager; the global one must never be used.
    allowGlobalContext: false,
    forceUtcTimezone: true,
    ignoreUndefinedInQuery: true,
    migrations: {
      path: MIGRATIONS_DIR,
      pathTs: MIGRATIONS_TS_DIR,
      glob: '!(*.d).{js,ts}',
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      emit: 'ts',
      silent: true,
    },
  });
}

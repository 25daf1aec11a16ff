import path from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import { ormOptions } from './orm-config';
import { EmbeddedPostgres, startEmbeddedPostgres } from './embedded';

export interface Database {
  orm: MikroORM;
  /** True when running on the embedded PGlite database. */
  embedded: boolean;
  close(): Promise<void>;
}

export interface DatabaseSettings {
  /** PostgreSQL URL; unset opens the embedded database under dataDir. */
  databaseUrl?: string;
  dataDir: string;
  poolSize?: number;
}

export async function openDatabase(settings: DatabaseSettings): Promise<Database> {
  let embedded: EmbeddedPostgres | undefined;
  let clientUrl = settings.databaseUrl;
  if (!clientUrl) {
    embedded = await startEmbeddedPostgres({ dataDir: path.join(settings.dataDir, 'pglite') });
    clientUrl = embedded.url;
  }
  try {
    const orm = await MikroORM.init(ormOptions({ clientUrl, poolSize: settings.poolSize ?? (embedded ? 4 : 10) }));
    return {
      orm,
      embedded: embedded !== undefined,
      async close() {
        await orm.close(true);
        await embedded?.close();
      },
    };
  } catch (error) {
    await embedded?.close();
    throw error;
  }
}

/** Applies every pending migration, each in its own transaction. Returns the names applied. */
export async function migrateToLatest(orm: MikroORM): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((migration) => migration.name);
}

/** Readiness: the database answers and no migration is pending. */
export async function checkReadiness(orm: MikroORM): Promise<{ ready: boolean; reason?: string }> {
  try {
    await orm.em.fork().execute('select 1');
    const pending = await orm.getMigrator().getPendingMigrations();
    if (pending.length > 0) return { ready: false, reason: `${pending.length} migration(s) pending` };
    return { ready: true };
  } catch (error) {
    return { ready: false, reason: `database unreachable: ${(error as Error).message}` };
  }
}

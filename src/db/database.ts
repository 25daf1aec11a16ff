import path from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import { ormOptions } from './orm-config';
import { EmbeddedPostgres, startEmbeddedPostgres } from './embedded';
import { currentHolder, EmbeddedDatabaseBusyError, EmbeddedLockHolder } from './embedded-lock';

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
  /**
   * Command-line tools: when another process (the server) has the embedded database open, connect to its
   * socket instead of refusing. The server itself never shares: a second server is refused.
   */
  shareRunningEmbedded?: boolean;
}

export async function openDatabase(settings: DatabaseSettings): Promise<Database> {
  let embedded: EmbeddedPostgres | undefined;
  let clientUrl = settings.databaseUrl;
  if (!clientUrl) {
    const dataDir = path.join(settings.dataDir, 'pglite');
    const holder = currentHolder(dataDir);
    if (holder && settings.shareRunningEmbedded && holder.url) return openRunningEmbedded(dataDir, holder, settings.poolSize ?? 4);
    if (holder) throw new EmbeddedDatabaseBusyError(dataDir, holder);
    embedded = await startEmbeddedPostgres({ dataDir });
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

/** The embedded database another live process serves, through its socket; refuses (naming it) when unreachable. */
async function openRunningEmbedded(dataDir: string, holder: EmbeddedLockHolder, poolSize: number): Promise<Database> {
  let orm: MikroORM | undefined;
  try {
    orm = await MikroORM.init(ormOptions({ clientUrl: holder.url, poolSize }));
    await orm.em.fork().execute('select 1');
  } catch {
    await orm?.close(true).catch(() => undefined);
    throw new EmbeddedDatabaseBusyError(dataDir, holder);
  }
  console.error(`Using the embedded database of the running process ${holder.pid} (${holder.command}) through its socket.`);
  const opened = orm;
  return { orm: opened, embedded: true, close: () => opened.close(true) };
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

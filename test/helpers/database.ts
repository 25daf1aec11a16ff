import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { MikroORM } from '@mikro-orm/postgresql';
import { startEmbeddedPostgres } from '../../src/db/embedded';
import { ormOptions } from '../../src/db/orm-config';

/** Set by global-setup: the migrated template database (PostgreSQL) or the dump of one (PGlite). */
export const TEMPLATE_DATABASE_ENV = 'PERKGRAPH_TEST_TEMPLATE_DATABASE';
export const PGLITE_DUMP_ENV = 'PERKGRAPH_TEST_PGLITE_DUMP';

export interface TestDatabase {
  url: string;
  /** 'postgresql' when DATABASE_URL is set, otherwise 'pglite'. */
  kind: 'postgresql' | 'pglite';
  drop(): Promise<void>;
}

/** The URL of `database` on the server DATABASE_URL points at. */
export function urlForDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withAdminClient<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, migrated database for one test file: a copy of the template database on PostgreSQL
 * (CREATE DATABASE ... TEMPLATE is fast), or a new in-memory PGlite loaded from the template's dump.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (process.env.DATABASE_URL) {
    const template = process.env[TEMPLATE_DATABASE_ENV];
    if (!template) throw new Error('global-setup did not prepare a template database');
    const name = `perkgraph_test_${randomBytes(6).toString('hex')}`;
    await withAdminClient((client) => client.query(`create database "${name}" template "${template}"`));
    return {
      url: urlForDatabase(process.env.DATABASE_URL, name),
      kind: 'postgresql',
      drop: () => withAdminClient((client) => client.query(`drop database if exists "${name}" with (force)`)).then(() => undefined),
    };
  }
  const dump = process.env[PGLITE_DUMP_ENV];
  if (!dump) throw new Error('global-setup did not prepare a PGlite dump');
  const embedded = await startEmbeddedPostgres({ loadDataDir: new Blob([readFileSync(dump)]) });
  return { url: embedded.url, kind: 'pglite', drop: () => embedded.close() };
}

export interface TestOrm {
  orm: MikroORM;
  database: TestDatabase;
  close(): Promise<void>;
}

/** A fresh database and an ORM on it. */
export async function openTestOrm(poolSize = 4): Promise<TestOrm> {
  const database = await createTestDatabase();
  const orm = await MikroORM.init(ormOptions({ clientUrl: database.url, poolSize }));
  return {
    orm,
    database,
    async close() {
      await orm.close(true);
      await database.drop();
    },
  };
}

import { rmSync } from 'node:fs';
import { PGLITE_DUMP_ENV, TEMPLATE_DATABASE_ENV, withAdminClient } from './database';

export default async function globalTeardown(): Promise<void> {
  const template = process.env[TEMPLATE_DATABASE_ENV];
  if (process.env.DATABASE_URL && template) {
    await withAdminClient((client) => client.query(`drop database if exists "${template}" with (force)`));
  }
  const dump = process.env[PGLITE_DUMP_ENV];
  if (dump) rmSync(dump, { force: true });
}

/**
 * Run by global-setup in a child process (MikroORM's metadata must not be loaded in Jest's parent
 * process: test files would then see objects from another realm). Builds a migrated template and
 * prints the environment variables that point test files at it, as one JSON line.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import { startEmbeddedPostgres } from '../../src/db/embedded';
import { ormOptions } from '../../src/db/orm-config';
import { PGLITE_DUMP_ENV, TEMPLATE_DATABASE_ENV, urlForDatabase, withAdminClient } from './database';

async function migrate(clientUrl: string): Promise<void> {
  const orm = await MikroORM.init(ormOptions({ clientUrl, poolSize: 1 }));
  try {
    await orm.getMigrator().up();
  } finally {
    await orm.close(true);
  }
}

async function buildTemplate(): Promise<Record<string, string>> {
  if (process.env.DATABASE_URL) {
    const name = `perkgraph_template_${randomBytes(6).toString('hex')}`;
    await withAdminClient((client) => client.query(`create database "${name}"`));
    await migrate(urlForDatabase(process.env.DATABASE_URL, name));
    return { [TEMPLATE_DATABASE_ENV]: name };
  }
  const embedded = await startEmbeddedPostgres();
  try {
    await migrate(embedded.url);
    const dump = await embedded.pglite.dumpDataDir('none');
    const file = path.join(os.tmpdir(), `perkgraph-template-${process.pid}-${randomBytes(4).toString('hex')}.tar`);
    writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
    return { [PGLITE_DUMP_ENV]: file };
  } finally {
    await embedded.close();
  }
}

buildTemplate().then(
  (environment) => {
    console.log(JSON.stringify(environment));
    process.exit(0);
  },
  (error) => {
    console.error(error);
    process.exit(1);
  },
);

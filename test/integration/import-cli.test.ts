import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import { ormOptions } from '../../src/db/orm-config';
import { createTestDatabase, TestDatabase } from '../helpers/database';
import { runCliCommand } from '../helpers/processes';

/** The real command (src/cli/import.ts) in its own process, as `npm run import` runs it (there from dist). */
const runImport = (databaseUrl: string, args: string[]) => runCliCommand('import', args, { DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent' });

describe('npm run import (the real CLI in a child process)', () => {
  let database: TestDatabase;
  let directory: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    directory = mkdtempSync(join(tmpdir(), 'perkgraph-import-'));
    const orm = await MikroORM.init(ormOptions({ clientUrl: database.url, poolSize: 1 }));
    await orm.em.fork().execute(`insert into exchange_rates (currency, rate, effective_at, created_at) values ('EUR', '0.9', '2024-01-01T00:00:00Z', now())`);
    await orm.close(true);
  });
  afterAll(() => database.drop());

  it('imports clean files and exits 0, then reports everything as already present', async () => {
    const members = join(directory, 'members.csv');
    const orders = join(directory, 'orders.csv');
    writeFileSync(members, 'external_id,email,country\ncli-1,cli-1@example.com,NL\ncli-2,cli-2@example.com,BE\n');
    // co-2 is recent and worth 444.44 USD (400.00 EUR at 0.9): cli-2's history reaches SILVER; co-1 is too old to count.
    const recent = new Date(Date.now() - 30 * 24 * 3600 * 1000).toISOString();
    writeFileSync(orders, `external_id,member_external_id,amount,currency,placed_at\nco-1,cli-1,45.00,EUR,2024-02-01T00:00:00Z\nco-2,cli-2,400.00,EUR,${recent}\n`);
    const first = await runImport(database.url, [members, orders]);
    expect(first.stdout).toBe(
      'members.csv: 2 rows: 2 inserted, 0 already present, 0 rejected\norders.csv: 2 rows: 2 inserted, 0 already present, 0 rejected\ntiers: 1 upgrade as the orders were recorded\n',
    );
    expect(first.code).toBe(0);
    const second = await runImport(database.url, [members, orders]);
    expect(second.stdout).toBe(
      'members.csv: 2 rows: 0 inserted, 2 already present, 0 rejected\norders.csv: 2 rows: 0 inserted, 2 already present, 0 rejected\ntiers: 0 upgrades as the orders were recorded\n',
    );
    expect(second.code).toBe(0);

    const orm = await MikroORM.init(ormOptions({ clientUrl: database.url, poolSize: 1 }));
    const [order] = await orm.em.fork().execute(`select base_amount_minor::text as base, fx_rate from orders where external_id = 'co-1'`);
    const tier = await orm.em.fork().execute('select m.external_id, t.tier_code from member_tiers t join members m on m.id = t.member_id order by 1');
    const earned = await orm.em.fork().execute(
      `select m.external_id, t.kind, t.bucket, t.amount::text as amount from points_transfers t join members m on m.id = t.member_id order by 1`,
    );
    await orm.close(true);
    expect(order).toEqual({ base: '5000', fx_rate: '0.9' });
    // Every member that ordered gets a tier row, as recordOrder gives it; co-2 moved cli-2 up to SILVER.
    expect(tier).toEqual([{ external_id: 'cli-1', tier_code: 'BRONZE' }, { external_id: 'cli-2', tier_code: 'SILVER' }]);
    // co-1 (50.00 USD) posts 50 points; co-2 (444.44 USD, 30 days ago: past the 14-day return window) earns at SILVER's 1.25.
    expect(earned).toEqual([
      { external_id: 'cli-1', kind: 'EARN', bucket: 'POSTED', amount: '50' },
      { external_id: 'cli-2', kind: 'EARN', bucket: 'POSTED', amount: '555' },
    ]);
  });

  it('lists rejected rows with their line numbers and exits 1', async () => {
    const members = join(directory, 'bad-members.csv');
    const orders = join(directory, 'bad-orders.csv');
    writeFileSync(members, 'external_id,email,country\ncli-3,cli-3@example.com,XX\n');
    writeFileSync(orders, 'external_id,member_external_id,amount,currency,placed_at\nco-2,cli-2,10.00,GBP,2024-02-01T00:00:00Z\n');
    const result = await runImport(database.url, [members, orders]);
    expect(result.stdout).toBe([
      'bad-members.csv: 1 rows: 0 inserted, 0 already present, 1 rejected',
      'bad-orders.csv: 1 rows: 0 inserted, 0 already present, 1 rejected',
      'tiers: 0 upgrades as the orders were recorded',
      'Rejected rows:',
      '  bad-members.csv line 2: country: "XX" is not an ISO 3166-1 alpha-2 code',
      '  bad-orders.csv line 2: no exchange rate for GBP in force at 2024-02-01T00:00:00.000Z',
      '',
    ].join('\n'));
    expect(result.stderr).toContain('2 row(s) rejected');
    expect(result.code).toBe(1);
  });

  it('refuses a file whose header lacks a required column, and explains the usage', async () => {
    const members = join(directory, 'no-email.csv');
    writeFileSync(members, 'external_id,country\ncli-4,DE\n');
    const result = await runImport(database.url, [members, join(directory, 'orders.csv')]);
    expect(result.stderr).toContain('no-email.csv: the header lacks email');
    expect(result.code).toBe(1);
    const usage = await runImport(database.url, [members]);
    expect(usage.stderr).toContain('expected two files, members.csv and orders.csv');
    expect(usage.code).toBe(1);
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config';
import { requestHash } from '../../src/idempotency';
import { HistoryImportService, ImportProgress } from '../../src/modules/import/history-import.service';
import { newReferralCode } from '../../src/modules/referrals/referral-code';
import { insertMembers } from '../../src/modules/import/history-import.service';
import { enrollmentHash, normaliseEnrollment } from '../../src/modules/members/member.validation';
import { openTestOrm, TestOrm } from '../helpers/database';

const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
const FIXTURES = join(__dirname, '../fixtures/import');
const MEMBERS = join(FIXTURES, 'members.csv');
const ORDERS = join(FIXTURES, 'orders.csv');

const memberRejections = [
  { file: 'members', line: 4, reason: 'email: "not-an-email" is not an email address' },
  { file: 'members', line: 5, reason: 'duplicate external_id in the file (first on line 2)' },
  { file: 'members', line: 6, reason: 'acquisition_cost and acquisition_cost_currency are given together or not at all' },
  { file: 'members', line: 7, reason: 'expected 9 fields, found 3' },
  { file: 'members', line: 8, reason: 'email taken@example.com already belongs to another member' },
  { file: 'members', line: 10, reason: 'joined_at: must be a time in the past' },
];
const orderRejections = [
  { file: 'orders', line: 6, reason: 'unknown member nobody' },
  { file: 'orders', line: 7, reason: 'amount.currency: unknown currency "ABC"' },
  { file: 'orders', line: 8, reason: 'no exchange rate for EUR in force at 2023-06-01T12:00:00.000Z' },
  { file: 'orders', line: 9, reason: 'duplicate external_id in the file (first on line 2)' },
  { file: 'orders', line: 10, reason: 'placed_at: "yesterday" is not an ISO 8601 time with a zone, such as 2024-03-01T12:00:00Z' },
  { file: 'orders', line: 11, reason: 'amount.amount: USD has 2 fraction digits; "12.345" has 3' },
  { file: 'orders', line: 12, reason: 'refunded_amount: exceeds the amount' },
];

describe('HistoryImportService', () => {
  let db: TestOrm;

  beforeAll(async () => {
    db = await openTestOrm(4);
    expect(config.baseCurrency).toBe('USD');
    const em = db.orm.em.fork();
    await em.execute(`insert into exchange_rates (currency, rate, effective_at, created_at) values
      ('EUR', '0.9', '2024-01-01T00:00:00Z', now()), ('EUR', '0.8', '2024-06-01T00:00:00Z', now()), ('JPY', '150', '2024-01-01T00:00:00Z', now())`);
    await em.execute(`insert into members (id, external_id, email, country, locale, joined_at, created_at, enrollment_hash, referral_code)
      values ('00000000-0000-7000-8000-000000000001', 'x-existing', 'taken@example.com', 'FR', 'fr', now(), now(), 'h', 'TAKENCDE')`);
  });
  afterAll(() => db.close());

  const run = (progress?: ImportProgress[]) =>
    new HistoryImportService(db.orm.em.fork(), config, { batchSize: 2, earn: false, onProgress: (p) => progress?.push(p) }).importFiles(MEMBERS, ORDERS);

  it('imports the valid rows, rejects the others with line numbers and reasons, and earns no points as history only', async () => {
    const progress: ImportProgress[] = [];
    const report = await run(progress);
    expect(report.members).toEqual({ rows: 9, inserted: 3, alreadyPresent: 0, rejected: 6 });
    expect(report.orders).toEqual({ rows: 12, inserted: 5, alreadyPresent: 0, rejected: 7 });
    expect(report.rejections).toEqual([...memberRejections, ...orderRejections]);
    // Batches of 2 valid rows: progress after each, ending with the whole file read; then the staged orders applied.
    const read = (file: string) => progress.filter((p) => p.file === file && p.phase === 'read');
    expect(read('members').at(-1)).toMatchObject({ rows: 9 });
    expect(read('orders').at(-1)).toMatchObject({ rows: 12 });
    for (const last of [read('members').at(-1)!, read('orders').at(-1)!]) expect(last.bytesRead).toBe(last.totalBytes);
    // The 6 orders that passed validation row by row were staged (then line 6's unknown member refused), in one chunk.
    expect(progress.filter((p) => p.phase === 'apply')).toEqual([{ file: 'orders', phase: 'apply', rows: 6, bytesRead: 6, totalBytes: 6 }]);

    const em = db.orm.em.fork();
    const members = await em.execute(
      `select external_id, email, country, locale, birthday, status, acquisition_channel, acquisition_cost_minor::text as cost,
              acquisition_cost_currency, to_json(joined_at)#>>'{}' as joined_at from members where external_id like 'm-%' order by external_id`,
    );
    expect(members).toEqual([
      { external_id: 'm-1', email: 'ana.lima@example.com', country: 'BR', locale: 'pt-BR', birthday: '03-14', status: 'ACTIVE',
        acquisition_channel: 'google_ads', cost: '1250', acquisition_cost_currency: 'EUR', joined_at: '2023-05-01T10:00:00+00:00' },
      { external_id: 'm-2', email: 'bo@example.com', country: 'DE', locale: 'en', birthday: null, status: 'ACTIVE',
        acquisition_channel: null, cost: null, acquisition_cost_currency: null, joined_at: '2023-05-31T22:00:00+00:00' },
      { external_id: 'm-7', email: 'quoted@example.com', country: 'FR', locale: 'fr-FR', birthday: '12-31', status: 'ACTIVE',
        acquisition_channel: null, cost: null, acquisition_cost_currency: null, joined_at: '2024-01-15T08:30:00+00:00' },
    ]);

    const orders = await em.execute<Record<string, any>[]>(
      `select o.external_id, m.external_id as member, o.amount_minor::text as amount, o.currency, o.base_amount_minor::text as base,
              o.base_currency, o.fx_rate, to_json(o.placed_at)#>>'{}' as placed_at, o.refunded_minor::text as refunded, o.status, o.points_earned, o.details, o.request_hash, o.member_id
         from orders o join members m on m.id = o.member_id order by o.external_id`,
    );
    const row = (externalId: string, member: string, amount: string, currency: string, base: string, fxRate: string, placedAt: string, refunded: string, status: string) =>
      expect.objectContaining({ external_id: externalId, member, amount, currency, base, base_currency: 'USD', fx_rate: fxRate,
        placed_at: placedAt, refunded, status, points_earned: 0, details: { imported: true } });
    expect(orders).toEqual([
      row('o-1', 'm-1', '10000', 'USD', '10000', '1', '2024-02-01T12:00:00+00:00', '0', 'PAID'),
      // 1500 JPY at 150 JPY per USD = 10.00 USD
      row('o-11', 'm-7', '1500', 'JPY', '1000', '150', '2024-09-01T00:00:00+00:00', '0', 'PAID'),
      // 90.00 EUR at 0.9 EUR per USD (in force since January) = 100.00 USD
      row('o-2', 'm-1', '9000', 'EUR', '10000', '0.9', '2024-03-01T12:00:00+00:00', '0', 'PAID'),
      // 80.00 EUR at the June rate 0.8 = 100.00 USD, fully refunded
      row('o-3', 'm-2', '8000', 'EUR', '10000', '0.8', '2024-07-01T12:00:00+00:00', '8000', 'REFUNDED'),
      row('o-4', 'm-2', '5000', 'USD', '5000', '1', '2024-08-01T12:00:00+00:00', '2000', 'PARTIALLY_REFUNDED'),
    ]);
    // The hash recordOrder stores for the same order: recording it again through the API is a replay.
    const o2 = orders.find((order) => order.external_id === 'o-2')!;
    expect(o2.request_hash).toBe(requestHash([o2.member_id, 'o-2', 9000n, 'EUR', new Date('2024-03-01T12:00:00Z')]));

    const [{ transfers, lots }] = await em.execute('select (select count(*)::int from points_transfers) as transfers, (select count(*)::int from points_lots) as lots');
    expect({ transfers, lots }).toEqual({ transfers: 0, lots: 0 });
  });

  it('inserts nothing on a re-run and reports the rows as already present', async () => {
    const before = await db.orm.em.fork().execute('select (select count(*)::int from members) as members, (select count(*)::int from orders) as orders');
    const report = await run();
    expect(report.members).toEqual({ rows: 9, inserted: 0, alreadyPresent: 3, rejected: 6 });
    expect(report.orders).toEqual({ rows: 12, inserted: 0, alreadyPresent: 5, rejected: 7 });
    expect(report.rejections).toEqual([...memberRejections, ...orderRejections]);
    const after = await db.orm.em.fork().execute('select (select count(*)::int from members) as members, (select count(*)::int from orders) as orders');
    expect(after).toEqual(before);
    expect(after).toEqual([{ members: 4, orders: 5 }]);
  });

  it('rejects a known external id that comes back with other data, and leaves the stored row alone', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'perkgraph-import-'));
    const members = join(directory, 'members.csv');
    const orders = join(directory, 'orders.csv');
    writeFileSync(members, 'external_id,email,country\nm-2,bo@example.com,AT\n');
    writeFileSync(orders, 'external_id,member_external_id,amount,currency,placed_at\no-4,m-2,51.00,USD,2024-08-01T12:00:00Z\n');
    const report = await new HistoryImportService(db.orm.em.fork(), config, { earn: false }).importFiles(members, orders);
    expect(report.rejections).toEqual([
      { file: 'members', line: 2, reason: 'external_id m-2 is already present with other data' },
      { file: 'orders', line: 2, reason: 'external_id o-4 is already present with other data' },
    ]);
    const [stored] = await db.orm.em.fork().execute(
      `select m.country, o.amount_minor::text as amount from members m join orders o on o.member_id = m.id where o.external_id = 'o-4'`,
    );
    expect(stored).toEqual({ country: 'DE', amount: '5000' });
  });

  it('writes external ids with backslashes (COPY text escapes) through the COPY of orders and ledger rows', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'perkgraph-import-'));
    const members = join(directory, 'members.csv');
    const orders = join(directory, 'orders.csv');
    const ids = ['back\\slash-1', '\\\\N', 'end\\'];
    writeFileSync(members, 'external_id,email,country\nm-copy-text,uni@example.com,DE\n');
    writeFileSync(
      orders,
      'external_id,member_external_id,amount,currency,placed_at\n' +
        ids.map((id, index) => `"${id}",m-copy-text,${20 + index}.00,USD,2024-0${index + 1}-01T12:00:00Z`).join('\n') + '\n',
    );
    const report = await new HistoryImportService(db.orm.em.fork(), config, { earn: true }).importFiles(members, orders);
    expect(report.rejections).toEqual([]);
    const stored = await db.orm.em.fork().execute<{ external_id: string; reference: string }[]>(
      `select o.external_id, t.reference from orders o join members m on m.id = o.member_id join points_transfers t on t.order_id = o.id
       where m.external_id = 'm-copy-text' order by o.placed_at`,
    );
    expect(stored).toEqual(ids.map((id) => ({ external_id: id, reference: `order:${id}` })));
  });

  it('gives a member whose generated referral code is taken a new one instead of skipping it', async () => {
    const enrollment = normaliseEnrollment({ externalId: 'x-collision', email: 'collision@example.com', country: 'DE' });
    const generated: string[] = [];
    const generate = () => {
      generated.push(generated.length === 0 ? 'TAKENCDE' : newReferralCode());
      return generated[generated.length - 1];
    };
    const inserted = await db.orm.em.fork().transactional((tx) => insertMembers(tx, [{ enrollment, hash: enrollmentHash(enrollment), joinedAt: new Date() }], new Date(), generate));
    expect([...inserted]).toEqual(['x-collision']);
    expect(generated).toHaveLength(2);
    const [member] = await db.orm.em.fork().execute('select referral_code from members where external_id = ?', ['x-collision']);
    expect(member.referral_code).toMatch(/^[A-HJKMNP-Z2-9]{8}$/);
    expect(member.referral_code).toBe(generated[1]);
  });
});

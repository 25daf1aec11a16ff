import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestHash } from '../../src/idempotency';
import { HistoryImportService, ImportReport } from '../../src/modules/import/history-import.service';
import { addDays, addMonths, DAY_MS } from '../../src/time';
import { checkLedgerInvariants, NO_VIOLATIONS } from '../helpers/invariants';
import { prng } from '../helpers/random';
import { startTestServer, TestServer } from '../helpers/server';

/*
 * The history import's promise: the same rows as recording the orders one by one. The same programme (rates, a
 * second earning currency, campaign rules, the default tier ladder) on two databases; one imports a CSV of history,
 * the other records the same orders through the API, each with recordOrder (placed_at order per member, external
 * id breaking ties) followed by refundOrder of its refunded amount (refund id history:<external id>). Then orders,
 * refunds, transfers, lots, balances and tiers are compared exactly, ignoring ids and creation times.
 * The clock is fixed (Date only); placements stay a day away from every boundary (return window, tier window,
 * campaign dates), so the seconds the API path takes cannot move an order across one.
 */

const NOW = new Date('2026-03-15T12:00:00Z');
const REAL_TIMERS = ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'requestAnimationFrame', 'cancelAnimationFrame', 'requestIdleCallback', 'cancelIdleCallback', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] as const;
const HOUR_MS = 3_600_000;

jest.setTimeout(300_000);

interface HistoryOrder { externalId: string; member: string; amount: string; currency: string; placedAt: Date; refunded: string | null }

const CAMPAIGN_START = addDays(NOW, -300);
const CAMPAIGN_END = addDays(NOW, -100);
/** Times an order must keep a day away from: where the API's later clock or a campaign could tip it. */
const BOUNDARIES = [addMonths(NOW, -12), addDays(NOW, -14), CAMPAIGN_START, CAMPAIGN_END, addDays(NOW, -60), addDays(NOW, -30)];

const MEMBERS = Array.from({ length: 24 }, (_, index) => ({ externalId: `hm-${index}`, country: ['DE', 'FR', 'US'][index % 3] }));

function historyOrders(): HistoryOrder[] {
  const random = prng(20261204n);
  const orders: HistoryOrder[] = [];
  let next = 0;
  for (const member of MEMBERS) {
    const count = random.int(16);
    const big = random.int(4) === 0;
    for (let n = 0; n < count; n++) {
      let placedAt: Date;
      do placedAt = new Date(NOW.getTime() - (1 + random.int(700 * 24)) * HOUR_MS);
      while (BOUNDARIES.some((boundary) => Math.abs(boundary.getTime() - placedAt.getTime()) < DAY_MS));
      const currency = random.int(3) === 0 ? 'EUR' : 'USD';
      const minor = big ? 20_000 + random.int(120_000) : 100 + random.int(25_000);
      const amount = (minor / 100).toFixed(2);
      const refundKind = random.int(7);
      const refunded = refundKind === 0 ? amount : refundKind === 1 ? (Math.max(1, random.int(minor)) / 100).toFixed(2) : null;
      orders.push({ externalId: `ho-${next++}`, member: member.externalId, amount, currency, placedAt, refunded });
    }
  }
  // Two orders of one member at the same time: the external id (in byte order, "ho-tie-10" before "ho-tie-9") decides.
  const tied = new Date(NOW.getTime() - 40 * DAY_MS - 5 * HOUR_MS);
  orders.push({ externalId: 'ho-tie-9', member: 'hm-1', amount: '120.00', currency: 'USD', placedAt: tied, refunded: null });
  orders.push({ externalId: 'ho-tie-10', member: 'hm-1', amount: '80.00', currency: 'USD', placedAt: tied, refunded: '80.00' });
  return orders;
}

/** The replay order: placed_at, then external id in byte order. */
const replayOrder = (left: HistoryOrder, right: HistoryOrder) =>
  left.placedAt.getTime() - right.placedAt.getTime() || (left.externalId < right.externalId ? -1 : left.externalId > right.externalId ? 1 : 0);

describe('history import = recording the orders one by one', () => {
  let imported: TestServer;
  let recorded: TestServer;
  let directory: string;
  let report: ImportReport;
  const orders = historyOrders();
  const membersCsv = () => join(directory, 'members.csv');
  const ordersCsv = () => join(directory, 'orders.csv');

  async function admin(server: TestServer, query: string, variables: Record<string, unknown>) {
    const response = await server.graphql(query, variables, { role: 'admin', subject: 'admin-test' });
    if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
    return response.body.data;
  }

  /** The same programme on both: EUR rates, MILES earning at 0.5 with 6-month lots, and campaign rules. */
  async function setUpProgramme(server: TestServer) {
    await admin(server, 'mutation($at: DateTimeISO) { setExchangeRate(currency: "EUR", rate: "0.9", effectiveAt: $at) { currency } }', { at: addDays(NOW, -1000) });
    await admin(server, 'mutation($at: DateTimeISO) { setExchangeRate(currency: "EUR", rate: "0.85", effectiveAt: $at) { currency } }', { at: addDays(NOW, -200) });
    await admin(server, 'mutation { createPointsCurrency(input: { code: "MILES", name: "Miles", valueInBase: "0.02", earnRate: "0.5", earnsOnOrders: true, expiryMonths: 6 }) { code } }', {});
    const rule = 'mutation($input: CreateEarningRuleInput!) { createEarningRule(input: $input) { code } }';
    await admin(server, rule, { input: { code: 'DOUBLE_DE', name: 'Double in Germany', markets: ['DE'], multiplier: '2', startsAt: CAMPAIGN_START, endsAt: CAMPAIGN_END } });
    await admin(server, rule, { input: { code: 'BIG_BASKET', name: 'Big baskets', minOrder: { amount: '500.00', currency: 'USD' }, multiplier: '1.75', bonusPoints: 50 } });
    await admin(server, rule, { input: { code: 'WELCOME', name: 'First order', firstOrderOnly: true, bonusPoints: 100 } });
    await admin(server, rule, { input: { code: 'SPRING', name: 'Spring', multiplier: '1.1', bonusPoints: 5, startsAt: addDays(NOW, -60), endsAt: addDays(NOW, -30) } });
    await admin(server, rule, { input: { code: 'MILES_FR', name: 'Miles in France', currency: 'MILES', markets: ['FR'], bonusPoints: 7 } });
    await admin(server, rule, { input: { code: 'MILES_X3', name: 'Triple miles', currency: 'MILES', multiplier: '3', minOrder: { amount: '200.00', currency: 'USD' } } });
    // A member the programme knew before the import, with one order recorded through the API (also in the file).
    const enrolled = await admin(server, 'mutation { enrollMember(input: { externalId: "hm-known", email: "known@example.com", country: "FR" }) { id } }', {});
    await admin(server, 'mutation($input: RecordOrderInput!) { recordOrder(input: $input) { id } }', {
      input: { memberId: enrolled.enrollMember.id, externalId: 'ho-known-1', amount: { amount: '400.00', currency: 'USD' }, placedAt: addDays(NOW, -90) },
    });
  }

  beforeAll(async () => {
    jest.useFakeTimers({ now: NOW, advanceTimers: true, doNotFake: [...REAL_TIMERS] });
    orders.push(
      { externalId: 'ho-known-0', member: 'hm-known', amount: '30.00', currency: 'USD', placedAt: addDays(NOW, -120), refunded: null },
      { externalId: 'ho-known-1', member: 'hm-known', amount: '400.00', currency: 'USD', placedAt: addDays(NOW, -90), refunded: null },
      { externalId: 'ho-known-2', member: 'hm-known', amount: '700.00', currency: 'USD', placedAt: addDays(NOW, -10), refunded: '100.00' },
    );
    directory = mkdtempSync(join(tmpdir(), 'perkgraph-equivalence-'));
    writeFileSync(membersCsv(), ['external_id,email,country', ...MEMBERS.map((m) => `${m.externalId},${m.externalId}@example.com,${m.country}`)].join('\n') + '\n');
    writeFileSync(
      ordersCsv(),
      ['external_id,member_external_id,amount,currency,placed_at,refunded_amount',
        ...orders.map((o) => `${o.externalId},${o.member},${o.amount},${o.currency},${o.placedAt.toISOString()},${o.refunded ?? ''}`)].join('\n') + '\n',
    );
    [imported, recorded] = [await startTestServer(), await startTestServer()];
    await setUpProgramme(imported);
    await setUpProgramme(recorded);

    const service = () => new HistoryImportService(imported.orm.em.fork(), imported.config, { now: new Date(), chunkOrders: 40 });
    report = await service().importFiles(membersCsv(), ordersCsv());

    // The other database: the same members (imported without orders), then every order through the API.
    writeFileSync(join(directory, 'no-orders.csv'), 'external_id,member_external_id,amount,currency,placed_at\n');
    await new HistoryImportService(recorded.orm.em.fork(), recorded.config).importFiles(membersCsv(), join(directory, 'no-orders.csv'));
    const ids = new Map(
      (await recorded.orm.em.fork().execute<{ id: string; external_id: string }[]>('select id, external_id from members')).map((row) => [row.external_id, row.id]),
    );
    for (const order of [...orders].sort(replayOrder)) {
      await admin(recorded, 'mutation($input: RecordOrderInput!) { recordOrder(input: $input) { id } }', {
        input: { memberId: ids.get(order.member), externalId: order.externalId, amount: { amount: order.amount, currency: order.currency }, placedAt: order.placedAt },
      });
      if (order.refunded) {
        await admin(recorded, 'mutation($input: RefundOrderInput!) { refundOrder(input: $input) { id } }', {
          input: { orderExternalId: order.externalId, refundId: `history:${order.externalId}`, amount: { amount: order.refunded, currency: order.currency } },
        });
      }
    }
  });
  afterAll(async () => {
    jest.useRealTimers();
    await imported?.stop();
    await recorded?.stop();
  });

  /** Everything the two paths write, by external ids and account owners (no ids, no creation times). */
  async function snapshot(server: TestServer) {
    const query = <T = any>(sql: string) => server.orm.em.fork().execute<T[]>(sql);
    const owner = (alias: string) => `coalesce((select m.external_id from members m where m.id = ${alias}.member_id), ${alias}.system_code)`;
    const ordersRows = await query<Record<string, any>>(
      `select o.external_id, m.external_id as member, o.member_id, o.amount_minor::text as amount, o.currency, o.base_amount_minor::text as base, o.fx_rate,
              o.placed_at, o.refunded_minor::text as refunded, o.status, o.points_earned, o.details, o.request_hash
       from orders o join members m on m.id = o.member_id order by o.external_id`,
    );
    const orderRows = ordersRows.map(({ member_id, request_hash, placed_at, ...row }) => ({
      ...row,
      placed_at: new Date(placed_at).toISOString(),
      // recordOrder's hash, with this database's member id.
      hashMatches: request_hash === requestHash([member_id, row.external_id, BigInt(row.amount), row.currency, new Date(placed_at)]),
    }));
    return {
      orders: orderRows,
      refunds: await query(
        `select o.external_id as order, r.refund_id, r.amount_minor::text as amount, r.request_hash, r.failed_at from order_refunds r join orders o on o.id = r.order_id order by r.refund_id`,
      ),
      transfers: await query(
        `select t.currency, t.kind, t.bucket, ${owner('d')} as debit, ${owner('c')} as credit, t.amount::text as amount,
                (select external_id from members where id = t.member_id) as member, (select external_id from orders where id = t.order_id) as order,
                t.reference, t.reason, t.details, t.idempotency_key, t.request_hash, to_json(t.expires_at)#>>'{}' as expires_at
         from points_transfers t join points_accounts d on d.id = t.debit_account_id join points_accounts c on c.id = t.credit_account_id
         order by 8 nulls first, t.reference, t.currency, t.kind, t.bucket`,
      ),
      lots: await query(
        `select ${owner('a')} as account, l.currency, (select kind || ':' || coalesce(reference, '') from points_transfers where id = l.transfer_id) as transfer,
                (select external_id from orders where id = l.order_id) as order, l.amount::text as amount, l.remaining::text as remaining,
                l.reversed::text as reversed, l.pending, to_json(l.vests_at)#>>'{}' as vests_at, to_json(l.expires_at)#>>'{}' as expires_at
         from points_lots l join points_accounts a on a.id = l.account_id order by 1, 2, 3`,
      ),
      accounts: await query(
        `select ${owner('a')} as owner, a.currency, a.posted::text as posted, a.pending::text as pending, a.held::text as held from points_accounts a
         where a.member_id is not null order by 1, 2`,
      ),
      tiers: await query(
        `select m.external_id as member, t.tier_code, t.retain_until is null as kept_for_good from member_tiers t join members m on m.id = t.member_id order by 1`,
      ),
      tierChanges: await query(
        `select m.external_id as member, c.from_tier, c.to_tier, c.reason, c.qualifying_spend_minor::text as spend
         from member_tier_changes c join members m on m.id = c.member_id order by 1, c.id`,
      ),
    };
  }

  it('reports every order imported but the one the programme had', () => {
    expect(report.members).toEqual({ rows: MEMBERS.length, inserted: MEMBERS.length, alreadyPresent: 0, rejected: 0 });
    expect(report.orders).toEqual({ rows: orders.length, inserted: orders.length - 1, alreadyPresent: 1, rejected: 0 });
    expect(report.rejections).toEqual([]);
  });

  it('writes the same orders, refunds, transfers, lots, balances and tiers as recordOrder and refundOrder one by one', async () => {
    const [fromImport, fromApi] = [await snapshot(imported), await snapshot(recorded)];
    // The history is rich enough to mean something: pending and posted earns, refunds from both, tiers climbed.
    const kinds = new Set(fromApi.transfers.map((t: any) => `${t.kind}/${t.bucket}/${t.currency}`));
    expect([...kinds].sort()).toEqual(['EARN/PENDING/MILES', 'EARN/PENDING/PTS', 'EARN/POSTED/MILES', 'EARN/POSTED/PTS', 'REVERSAL/PENDING/MILES', 'REVERSAL/PENDING/PTS', 'REVERSAL/POSTED/MILES', 'REVERSAL/POSTED/PTS']);
    expect(new Set(fromApi.tierChanges.map((c: any) => c.to_tier))).toEqual(new Set(['SILVER', 'GOLD', 'PLATINUM']));
    const applied = new Set(fromApi.orders.flatMap((o: any) => Object.values(o.details.earned).flatMap((e: any) => e.rules.map((r: any) => r.code))));
    expect([...applied].sort()).toEqual(['BIG_BASKET', 'DOUBLE_DE', 'MILES_FR', 'MILES_X3', 'SPRING', 'TIER', 'WELCOME']);
    expect(fromApi.orders.every((o: any) => o.hashMatches)).toBe(true);

    expect(fromImport.orders).toEqual(fromApi.orders);
    expect(fromImport.refunds).toEqual(fromApi.refunds);
    expect(fromImport.transfers).toEqual(fromApi.transfers);
    expect(fromImport.lots).toEqual(fromApi.lots);
    expect(fromImport.accounts).toEqual(fromApi.accounts);
    expect(fromImport.tiers).toEqual(fromApi.tiers);
    expect(fromImport.tierChanges).toEqual(fromApi.tierChanges);
  });

  it('keeps the ledger invariants on both', async () => {
    expect(await checkLedgerInvariants(imported.orm)).toEqual(NO_VIOLATIONS);
    expect(await checkLedgerInvariants(recorded.orm)).toEqual(NO_VIOLATIONS);
  });

  it('changes nothing on a re-run: every order already present, no new ledger rows', async () => {
    const before = await snapshot(imported);
    const again = await new HistoryImportService(imported.orm.em.fork(), imported.config, { now: new Date() }).importFiles(membersCsv(), ordersCsv());
    expect(again.orders).toEqual({ rows: orders.length, inserted: 0, alreadyPresent: orders.length, rejected: 0 });
    expect(again.tierChanges).toBe(0);
    expect(await snapshot(imported)).toEqual(before);
    const [{ staged }] = await imported.orm.em.fork().execute('select count(*)::int as staged from history_import_orders');
    expect(staged).toBe(0);
  });
});

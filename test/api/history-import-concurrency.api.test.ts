import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MikroORM } from '@mikro-orm/postgresql';
import { ormOptions } from '../../src/db/orm-config';
import { FileReport, HistoryImportService } from '../../src/modules/import/history-import.service';
import { DAY_MS } from '../../src/time';
import { checkLedgerInvariants, NO_VIOLATIONS } from '../helpers/invariants';
import { prng } from '../helpers/random';
import { startTestServer, TestServer } from '../helpers/server';

/*
 * The import beside live traffic: while orders.csv is applied (small chunks, two at once), the API records more
 * orders for the same members, some of them the very orders of the file (same external id and data). Whatever the
 * interleaving, each order exists once, earns once (its transfers are what its details say, its refund took back
 * its share once), balances are the sum of their orders' entries, every member's tier history is one chain of
 * upgrades ending at the tier it holds, and the ledger invariants hold.
 */

jest.setTimeout(300_000);

const MEMBERS = 30;
const FILE_ORDERS_PER_MEMBER = 20;
const API_ORDERS_PER_MEMBER = 6;

interface Order { externalId: string; member: string; amount: string; placedAt: Date; refunded: string | null }

describe('history import while recordOrder runs on the same members', () => {
  let server: TestServer;
  let importOrm: MikroORM;
  let report: FileReport;
  let ordersCsv: string;
  const apiErrors: string[] = [];
  const random = prng(20261205n);
  const now = new Date();
  const fileOrders: Order[] = [];
  const apiOrders: Order[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    const admin = async (query: string, variables: Record<string, unknown>) => {
      const response = await server.graphql(query, variables, { role: 'admin', subject: 'admin-test' });
      if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
      return response.body.data;
    };
    const rule = 'mutation($input: CreateEarningRuleInput!) { createEarningRule(input: $input) { code } }';
    await admin(rule, { input: { code: 'WELCOME', name: 'First order', firstOrderOnly: true, bonusPoints: 100 } });
    await admin(rule, { input: { code: 'BIG_BASKET', name: 'Big baskets', minOrder: { amount: '300.00', currency: 'USD' }, multiplier: '1.5' } });
    await admin('mutation { createPointsCurrency(input: { code: "MILES", name: "Miles", valueInBase: "0.02", earnRate: "0.5", earnsOnOrders: true, expiryMonths: 6 }) { code } }', {});

    const order = (externalId: string, member: string): Order => {
      const minor = 500 + random.int(80_000);
      const refund = random.int(8);
      return {
        externalId,
        member,
        amount: (minor / 100).toFixed(2),
        placedAt: new Date(now.getTime() - DAY_MS - random.int(500) * DAY_MS - random.int(DAY_MS)),
        refunded: refund === 0 ? (minor / 100).toFixed(2) : refund === 1 ? (Math.max(1, random.int(minor)) / 100).toFixed(2) : null,
      };
    };
    for (let m = 0; m < MEMBERS; m++) {
      for (let n = 0; n < FILE_ORDERS_PER_MEMBER; n++) fileOrders.push(order(`cf-${m}-${n}`, `cm-${m}`));
      for (let n = 0; n < API_ORDERS_PER_MEMBER; n++) apiOrders.push({ ...order(`ca-${m}-${n}`, `cm-${m}`), refunded: null });
      // One order of the file also sent through the API: whichever comes second finds it present.
      if (m % 3 === 0) apiOrders.push({ ...fileOrders[fileOrders.length - 1 - random.int(FILE_ORDERS_PER_MEMBER)], refunded: null });
    }
    const directory = mkdtempSync(join(tmpdir(), 'perkgraph-import-concurrency-'));
    const membersCsv = join(directory, 'members.csv');
    ordersCsv = join(directory, 'orders.csv');
    writeFileSync(membersCsv, ['external_id,email,country', ...Array.from({ length: MEMBERS }, (_, m) => `cm-${m},cm-${m}@example.com,${['DE', 'FR', 'US'][m % 3]}`)].join('\n') + '\n');
    writeFileSync(
      ordersCsv,
      ['external_id,member_external_id,amount,currency,placed_at,refunded_amount',
        ...fileOrders.map((o) => `${o.externalId},${o.member},${o.amount},USD,${o.placedAt.toISOString()},${o.refunded ?? ''}`)].join('\n') + '\n',
    );

    // The import in its own pool, as `npm run import` beside a running server.
    importOrm = await MikroORM.init(ormOptions({ clientUrl: server.database.url, poolSize: 4 }));
    await new HistoryImportService(importOrm.em.fork(), server.config).importMembers(membersCsv);
    const ids = new Map(
      (await server.orm.em.fork().execute<{ id: string; external_id: string }[]>('select id, external_id from members')).map((row) => [row.external_id, row.id]),
    );

    const record = async (order: Order) => {
      const response = await server.graphql(
        'mutation($input: RecordOrderInput!) { recordOrder(input: $input) { id } }',
        { input: { memberId: ids.get(order.member), externalId: order.externalId, amount: { amount: order.amount, currency: 'USD' }, placedAt: order.placedAt } },
        { role: 'storefront', subject: 'shop' },
      );
      if (response.body.errors) apiErrors.push(JSON.stringify(response.body.errors));
    };
    // Eight clients sending the API's orders, shuffled, while the file is applied in chunks of about 40 orders.
    const queue = [...apiOrders].sort(() => random.int(3) - 1);
    const clients = Array.from({ length: 8 }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) await record(next);
    });
    const importing = new HistoryImportService(importOrm.em.fork(), server.config, { chunkOrders: 40 }).importOrders(ordersCsv);
    [report] = await Promise.all([importing, ...clients]);
  });
  afterAll(async () => {
    await importOrm?.close(true);
    await server?.stop();
  });

  it('records every order once, whichever path came first', async () => {
    expect(apiErrors).toEqual([]);
    // The file's orders sent through the API first are found present (their request hash is recordOrder's).
    expect(report.rows).toBe(fileOrders.length);
    expect(report.rejected).toBe(0);
    expect(report.inserted + report.alreadyPresent).toBe(fileOrders.length);
    const [{ orders, distinct }] = await server.orm.em.fork().execute('select count(*)::int as orders, count(distinct external_id)::int as distinct from orders');
    const expected = new Set([...fileOrders, ...apiOrders].map((o) => o.externalId)).size;
    expect({ orders, distinct }).toEqual({ orders: expected, distinct: expected });
  });

  it('posts what each order says it earned, and takes back its refunded share once', async () => {
    const rows = await server.orm.em.fork().execute<{ external_id: string; details: any; amount: string; refunded: string; earned: Record<string, string> | null; reversed: Record<string, string> | null }[]>(
      `select o.external_id, o.details, o.amount_minor::text as amount, o.refunded_minor::text as refunded,
              (select jsonb_object_agg(c, s) from (select currency as c, sum(amount)::text as s from points_transfers t where t.order_id = o.id and t.kind = 'EARN' group by currency) e) as earned,
              (select jsonb_object_agg(c, s) from (select currency as c, sum(amount)::text as s from points_transfers t where t.order_id = o.id and t.kind = 'REVERSAL' group by currency) r) as reversed
       from orders o order by o.external_id`,
    );
    const sorted = (entries: [string, string][]) => JSON.stringify(entries.filter(([, points]) => points !== '0').sort());
    const wrong = rows.filter((row) => {
      const earned = Object.entries(row.details.earned as Record<string, { points: string }>).map(([currency, entry]): [string, string] => [currency, entry.points]);
      const takenBack = earned.map(([currency, points]): [string, string] => [currency, ((BigInt(points) * BigInt(row.refunded)) / BigInt(row.amount)).toString()]);
      return sorted(Object.entries(row.earned ?? {})) !== sorted(earned) || sorted(Object.entries(row.reversed ?? {})) !== sorted(takenBack);
    });
    expect(wrong).toEqual([]);
    // Both paths wrote orders (the file's and the API's), and some earned at a higher tier's multiplier.
    expect(rows.filter((row) => row.external_id.startsWith('ca-')).length).toBe(MEMBERS * API_ORDERS_PER_MEMBER);
    expect(rows.some((row) => row.details.earned.PTS?.rules.some((r: { code: string }) => r.code === 'TIER'))).toBe(true);
  });

  it('keeps each balance the sum of its orders: nothing lost, nothing doubled', async () => {
    const off = await server.orm.em.fork().execute(
      `select a.member_id, a.currency, a.posted + a.pending as balance, coalesce(x.net, 0) as from_orders
       from points_accounts a
       left join (select t.member_id, t.currency, sum(case when t.kind = 'EARN' then t.amount else -t.amount end) as net
                  from points_transfers t join orders o on o.id = t.order_id group by 1, 2) x on x.member_id = a.member_id and x.currency = a.currency
       where a.member_id is not null and a.posted + a.pending <> coalesce(x.net, 0)`,
    );
    expect(off).toEqual([]);
    const [{ accounts }] = await server.orm.em.fork().execute('select count(*)::int as accounts from points_accounts where member_id is not null');
    expect(accounts).toBe(MEMBERS * 2);
  });

  it('leaves every member one chain of upgrades ending at the tier it holds', async () => {
    const rows = await server.orm.em.fork().execute<{ member_id: string; chain: { from: string; to: string }[]; held: string; ranks: Record<string, number> }[]>(
      `select mt.member_id, mt.tier_code as held,
              coalesce((select jsonb_agg(jsonb_build_object('from', c.from_tier, 'to', c.to_tier) order by c.id) from member_tier_changes c where c.member_id = mt.member_id), '[]') as chain,
              (select jsonb_object_agg(code, rank) from tiers) as ranks
       from member_tiers mt`,
    );
    expect(rows).toHaveLength(MEMBERS);
    const lowest = (ranks: Record<string, number>) => Object.entries(ranks).sort((a, b) => a[1] - b[1])[0][0];
    const broken = rows.filter(({ chain, held, ranks }) => {
      let at = lowest(ranks);
      for (const step of chain) {
        if (step.from !== at || ranks[step.to] <= ranks[at]) return true;
        at = step.to;
      }
      return at !== held;
    });
    expect(broken).toEqual([]);
    expect(rows.some((row) => row.chain.length > 0)).toBe(true);
  });

  it('keeps the ledger invariants', async () => {
    expect(await checkLedgerInvariants(server.orm)).toEqual(NO_VIOLATIONS);
  });

  it('finds every order of the file present when it is imported again', async () => {
    const again = await new HistoryImportService(importOrm.em.fork(), server.config).importOrders(ordersCsv);
    expect(again).toEqual({ rows: fileOrders.length, inserted: 0, alreadyPresent: fileOrders.length, rejected: 0 });
  });
});

import type { EntityManager } from '@mikro-orm/postgresql';
import { loadConfig } from '../../src/config/config';
import { createServices } from '../../src/app/container';
import { createRequestContext, RequestContext } from '../../src/graphql/context';
import { createLogger } from '../../src/observability/logger';
import { Principal } from '../../src/auth/principal';
import { Member } from '../../src/modules/members/member.entity';
import { buildRfmTable, RFM_TABLE, rfmSnapshot, RfmRow } from '../../src/modules/ltv/rfm';
import { openTestOrm, TestOrm } from '../helpers/database';
import { memberInput } from '../factories/member.factory';
import { importRandomHistory, refundRandomOrders } from '../factories/history.factory';
import { floatPrng } from '../helpers/random';

jest.setTimeout(300_000);

/*
 * ltv_member_rfm (the per-member purchase summaries kept by triggers on orders) against a recount from the orders,
 * and the RFM the LTV run reads through them against the RFM read from the orders alone, on random data: orders
 * recorded through the service out of time order and many on one UTC day, refunds in part and in full, a bulk
 * history import, orders deleted and moved in time by plain SQL, and orders of one member on one new day added by
 * concurrent transactions. The seed is fixed and printed.
 */
const SEED = 20261209;
const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
const logger = createLogger('silent');
const admin: Principal = { role: 'admin', subject: 'admin-ltv-member-rfm' };
const shop: Principal = { role: 'storefront', subject: 'shop' };

const START = Date.UTC(2025, 0, 1);
/** 60 days: members have several orders on one day. */
const SPAN = 60 * 24 * 60 * 60 * 1000;

/** The summaries recounted from the orders, in the table's columns. */
const RECOUNT = `
  select x.member_id, count(*)::int as order_count, count(distinct x.day)::int as occasions, min(x.day) as first_day, max(x.day) as last_day,
         max(x.placed_at) as last_placed_at, sum(x.net)::bigint as net_minor, sum(x.net) filter (where x.day = x.first_day)::bigint as first_day_net_minor
  from (select o.member_id, o.placed_at, ((o.placed_at at time zone 'UTC')::date - date '1970-01-01') as day,
               (case when o.refunded_minor = 0 then o.base_amount_minor
                     else div(o.base_amount_minor::numeric * (o.amount_minor - o.refunded_minor), o.amount_minor)::bigint end) as net,
               min(((o.placed_at at time zone 'UTC')::date - date '1970-01-01')) over (partition by o.member_id) as first_day
        from orders o) x
  group by x.member_id`;
const COLUMNS = 'member_id, order_count, occasions, first_day, last_day, last_placed_at, net_minor, first_day_net_minor';

/** Ends a transaction by rolling it back, carrying what it read. */
class RolledBack extends Error {
  constructor(readonly rows: RfmRow[]) {
    super('rolled back');
  }
}

/**
 * The RFM read from the orders alone, in a transaction rolled back: every member with orders gets one more order in
 * 2100, after any asOf used here, which makes its summary stale (the RFM then reads its orders up to asOf).
 */
async function rfmFromOrders(em: EntityManager, asOf: Date): Promise<RfmRow[]> {
  try {
    await em.transactional(async (tx) => {
      await tx.execute(
        `insert into orders select (jsonb_populate_record(null::orders, to_jsonb(o) || jsonb_build_object(
           'id', gen_random_uuid(), 'external_id', 'future-' || o.id, 'placed_at', '2100-01-01T00:00:00Z'::timestamptz))).*
         from (select distinct on (member_id) * from orders order by member_id) o`,
      );
      await (await buildRfmTable(tx, asOf, 'USD')).ready;
      throw new RolledBack(await tx.execute<RfmRow[]>(`select * from ${RFM_TABLE} order by member_id`));
    });
  } catch (error) {
    if (error instanceof RolledBack) return error.rows;
    throw error;
  }
  throw new Error('the transaction was not rolled back');
}

describe(`ltv_member_rfm against the orders on random data (seed ${SEED})`, () => {
  let db: TestOrm;
  let requests = 0;
  const next = floatPrng(SEED).uniform;
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const instant = () => new Date(START + Math.floor((next() * SPAN) / 1000) * 1000);
  const services = createServices();
  const as = (principal: Principal): RequestContext =>
    createRequestContext({ em: db.orm.em.fork(), principal, requestId: `ltv-member-rfm-${++requests}`, config, logger }, services);
  const members: Member[] = [];
  const orders: string[] = [];

  beforeAll(async () => {
    console.log(`ltv_member_rfm random data: seed ${SEED}`);
    db = await openTestOrm(6);
    await services.fx.setRate(as(admin), 'EUR', '0.9', new Date('2024-01-01T00:00:00Z'));
    for (let i = 0; i < 12; i++) members.push(await services.members.enroll(as(admin), memberInput({ joinedAt: new Date('2024-06-01T00:00:00Z') })));
    for (let i = 0; i < 90; i++) {
      const externalId = `rfm-order-${i}`;
      await services.orders.record(as(shop), {
        memberId: pick(members).id,
        externalId,
        amount: { amount: `${1 + Math.floor(next() * 90)}.${String(Math.floor(next() * 100)).padStart(2, '0')}`, currency: pick(['USD', 'USD', 'EUR']) },
        placedAt: instant(),
      });
      orders.push(externalId);
    }
    await refundRandomOrders(services, () => as(shop), () => db.orm.em.fork(), next, orders, 20);
    // A bulk import: many orders of each member in one statement.
    await importRandomHistory(db.orm.em.fork(), config, next, {
      prefix: 'rfm-imported', members: 8, countries: ['US'], channels: [''], minOrders: 2, orderSpread: 8, instant, now: new Date('2025-06-01T00:00:00Z'),
    });
    const em = db.orm.em.fork();
    // Orders deleted, and orders moved in time (to another day, and onto another order's day), by plain SQL.
    await em.execute("delete from orders where external_id in ('rfm-order-3', 'rfm-order-17', 'rfm-order-40')");
    await em.execute("update orders set placed_at = placed_at - interval '9 days' where external_id in ('rfm-order-5', 'rfm-order-6')");
    await em.execute(
      "update orders set placed_at = (select placed_at + interval '1 minute' from orders where external_id = 'rfm-order-8') where external_id = 'rfm-order-9'",
    );
  });
  afterAll(() => db.close());

  it('keeps every member summary equal to a recount from the orders', async () => {
    const em = db.orm.em.fork();
    const stored = await em.execute<unknown[]>(`select ${COLUMNS} from ltv_member_rfm order by member_id`);
    const recount = await em.execute<unknown[]>(`select ${COLUMNS} from (${RECOUNT}) r order by member_id`);
    expect(stored.length).toBeGreaterThanOrEqual(18);
    expect(stored).toEqual(recount);
  });

  it('counts one occasion for orders of one member on one new day added by concurrent transactions', async () => {
    const member = members[0];
    const copyOrder = (tx: EntityManager, externalId: string) =>
      tx.execute(
        `insert into orders select (jsonb_populate_record(null::orders, to_jsonb(o) || jsonb_build_object(
           'id', gen_random_uuid(), 'external_id', ?::text, 'placed_at', '2025-05-20T10:00:00Z'::timestamptz, 'refunded_minor', 0))).*
         from orders o where o.member_id = ? order by o.placed_at limit 1`,
        [externalId, member.id],
      );
    const [before] = await db.orm.em.fork().execute<{ occasions: number }[]>('select occasions from ltv_member_rfm where member_id = ?', [member.id]);
    // The growth rollups' trigger, which runs first, would make the later transactions wait on their own (the same
    // member-month's row): off for this test, so the summaries' own locking is what is tested.
    await db.orm.em.fork().execute('alter table orders disable trigger z_growth_orders_inserted');
    // The first transaction adds its order on the new day and stays open while three others add theirs.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let added!: () => void;
    const firstAdded = new Promise<void>((resolve) => (added = resolve));
    const first = db.orm.em.fork().transactional(async (tx) => {
      await copyOrder(tx, 'rfm-concurrent-0');
      added();
      await held;
    });
    await firstAdded;
    const others = [1, 2, 3].map((i) => db.orm.em.fork().transactional((tx) => copyOrder(tx, `rfm-concurrent-${i}`)));
    // Give the others time to reach the member's summary row (they wait there for the first to commit).
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    await Promise.all([first, ...others]);
    await db.orm.em.fork().execute('alter table orders enable trigger z_growth_orders_inserted');
    const em = db.orm.em.fork();
    const [after] = await em.execute<{ occasions: number; order_count: number }[]>('select occasions, order_count from ltv_member_rfm where member_id = ?', [member.id]);
    expect(after.occasions).toBe(before.occasions + 1);
    const stored = await em.execute<unknown[]>(`select ${COLUMNS} from ltv_member_rfm order by member_id`);
    expect(stored).toEqual(await em.execute<unknown[]>(`select ${COLUMNS} from (${RECOUNT}) r order by member_id`));
  });

  it('gives the RFM read from the orders alone, as of any time, with refunds made after it or not', async () => {
    const em = db.orm.em.fork();
    const [times] = await em.execute<{ first: string; last: string }[]>('select min(placed_at) as first, max(placed_at) as last from orders');
    const [first, last] = [new Date(times.first), new Date(times.last)];
    const asOfs = [
      new Date(first.getTime() - 1000),
      new Date(first.getTime() + SPAN / 3),
      new Date(first.getTime() + (2 * SPAN) / 3),
      last,
      new Date(last.getTime() + 24 * 60 * 60 * 1000),
      new Date('2030-01-01T00:00:00Z'),
    ];
    for (const asOf of asOfs) {
      const expected = await rfmFromOrders(db.orm.em.fork(), asOf);
      expect(expected).toHaveLength(members.length + 8);
      expect(await rfmSnapshot(db.orm.em.fork(), asOf, 'USD')).toEqual(expected);
    }
    // The refunds were made now: as of any time before, their members are stale and read from their orders.
    const [{ refunds }] = await em.execute<{ refunds: string }[]>('select count(*) as refunds from order_refunds');
    expect(Number(refunds)).toBeGreaterThan(5);
  });
});

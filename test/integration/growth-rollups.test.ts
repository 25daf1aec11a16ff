import { loadConfig } from '../../src/config/config';
import { createServices } from '../../src/app/container';
import { createRequestContext, RequestContext } from '../../src/graphql/context';
import { createLogger } from '../../src/observability/logger';
import { Principal } from '../../src/auth/principal';
import { DirectGrowthService, GrowthQuery, growthQueryOrFail } from '../../src/modules/analytics/growth.service';
import { Member } from '../../src/modules/members/member.entity';
import { openTestOrm, TestOrm } from '../helpers/database';
import { memberInput } from '../factories/member.factory';
import { importRandomHistory, refundRandomOrders } from '../factories/history.factory';
import { floatPrng } from '../helpers/random';

/*
 * growthMetrics from the rollups against the direct statements (the definitions) on random data: members enrolled
 * and orders recorded through the services (some placed exactly on a month start), refunds in part and in full,
 * erasures, a bulk history import (many orders in one statement), a member whose country changes; then random
 * periods (month starts and arbitrary instants, UTC) with every market and channel filter. Every number of every
 * section (and of the monthly revenue and engagement series) must be identical. The seed is fixed and printed.
 */
const SEED = 20261204;
const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', HOME_MARKET: 'US', HIGH_VALUE_THRESHOLD: '150.00' });
const logger = createLogger('silent');
const admin: Principal = { role: 'admin', subject: 'admin-growth-rollups' };
const shop: Principal = { role: 'storefront', subject: 'shop' };
const SECTIONS = ['acquisition', 'activation', 'retention', 'revenue', 'referral', 'value', 'engagement', 'revenueByMonth', 'engagementByMonth'] as const;

const START = Date.UTC(2024, 0, 1);
const SPAN = Date.UTC(2026, 2, 1) - START;

describe(`growth rollups against the direct statements on random data (seed ${SEED})`, () => {
  let db: TestOrm;
  let requests = 0;
  const next = floatPrng(SEED).uniform;
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  /** A random instant in [2024-01, 2026-03); a third of them exactly on a month start. */
  const instant = (): Date => {
    const at = new Date(START + Math.floor(next() * SPAN / 1000) * 1000);
    return next() < 0.33 ? new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1)) : at;
  };
  const services = createServices();
  const as = (principal: Principal): RequestContext =>
    createRequestContext({ em: db.orm.em.fork(), principal, requestId: `growth-rollups-${++requests}`, config, logger }, services);

  beforeAll(async () => {
    console.log(`growth rollups random data: seed ${SEED}`);
    db = await openTestOrm(6);
    await services.fx.setRate(as(admin), 'EUR', '0.9', new Date('2023-01-01T00:00:00Z'));
    await services.fx.setRate(as(admin), 'EUR', '0.8', new Date('2025-01-01T00:00:00Z'));
    const members: Member[] = [];
    for (let i = 0; i < 30; i++) {
      const cost = next() < 0.5 ? { amount: `${10 + Math.floor(next() * 40)}.00`, currency: pick(['USD', 'EUR']) } : null;
      members.push(
        await services.members.enroll(
          as(admin),
          memberInput({ country: pick(['US', 'DE', 'GB']), joinedAt: instant(), acquisitionChannel: pick(['ads', 'social', 'email', null]), acquisitionCost: cost }),
        ),
      );
    }
    const orders: string[] = [];
    for (let i = 0; i < 100; i++) {
      const externalId = `rollup-order-${i}`;
      const currency = pick(['USD', 'USD', 'EUR']);
      await services.orders.record(as(shop), {
        memberId: pick(members).id,
        externalId,
        amount: { amount: `${1 + Math.floor(next() * 120)}.${String(Math.floor(next() * 100)).padStart(2, '0')}`, currency },
        placedAt: instant(),
      });
      orders.push(externalId);
    }
    // Refunds: some in full, some in part (twice on a few orders).
    await refundRandomOrders(services, () => as(shop), () => db.orm.em.fork(), next, orders, 24);
    // Erasures keep the member's orders (and its place in every metric).
    for (const member of members.slice(0, 3)) await services.erasure.erase(as(admin), member.id, 'asked to be forgotten', `erase-${member.id}`);
    // A bulk import: members and their orders each in multi-row statements.
    await importRandomHistory(db.orm.em.fork(), config, next, {
      prefix: 'imported', members: 16, countries: ['US', 'DE'], channels: ['ads', 'social', ''], minOrders: 1, orderSpread: 6,
      instant, now: new Date('2026-06-01T00:00:00Z'),
    });
    // A member moving market and channel takes its rollups along.
    await db.orm.em.fork().execute("update members set country = 'GB', acquisition_channel = 'email' where id = ?", [members[5].id]);
    // Activity days in three statements (later ones fill in days before and between earlier ones), one member-day
    // at a time for a few, then some deleted.
    for (const series of ['1, 3', '4, 6', '7, 8']) {
      await db.orm.em.fork().execute(
        `insert into member_activity_days (member_id, day)
         select m.id, date '2024-01-01' + (abs(hashtext(m.id::text || g::text)) % 790) from members m, generate_series(${series}) g on conflict do nothing`,
      );
    }
    for (const member of members.slice(0, 4)) {
      for (const day of ['2025-06-15', '2025-06-14', '2025-07-01', '2025-06-16']) {
        await db.orm.em.fork().execute('insert into member_activity_days (member_id, day) values (?, ?) on conflict do nothing', [member.id, day]);
      }
    }
    await db.orm.em.fork().execute("delete from member_activity_days where abs(hashtext(member_id::text || day::text)) % 5 = 0");
  }, 300_000);
  afterAll(() => db.close());

  it('keeps the rollup tables equal to a recount from the orders', async () => {
    const em = db.orm.em.fork();
    const net = `(case when o.refunded_minor = 0 then o.base_amount_minor else div(o.base_amount_minor::numeric * (o.amount_minor - o.refunded_minor), o.amount_minor)::bigint end)`;
    const differences = await em.execute<unknown[]>(
      `(select member_id, month, orders, gross, net from growth_member_months
        except select o.member_id, growth_month(o.placed_at), count(*)::int, sum(o.base_amount_minor)::bigint, sum(${net})::bigint from orders o group by 1, 2)
       union all
       (select o.member_id, growth_month(o.placed_at), count(*)::int, sum(o.base_amount_minor)::bigint, sum(${net})::bigint from orders o group by 1, 2
        except select member_id, month, orders, gross, net from growth_member_months)`,
    );
    expect(differences).toEqual([]);
    const [counts] = await em.execute<{ orders: string; months: string; firsts: string; cells: string; totals: string; activity: string; days: string }[]>(
      `with activity as (select a.member_id, a.day, coalesce(lag(a.day) over (partition by a.member_id order by a.day), '-infinity'::date) as prev_day from member_activity_days a)
       select (select count(*) from orders) as orders, (select count(*) from growth_member_months) as months,
              (select count(*) from members m join growth_members g on g.member_id = m.id
                where g.joined_at = m.joined_at and g.country = m.country and g.acquisition_channel is not distinct from m.acquisition_channel
                  and g.first_order_at is not distinct from (select min(o.placed_at) from orders o where o.member_id = m.id)) as firsts,
              (select count(*) from (select join_month, month, country, acquisition_channel, sum(members) from growth_cohort_cells group by 1, 2, 3, 4 having sum(members) <> 0
                                     except select growth_month(g.joined_at), mm.month, g.country, coalesce(g.acquisition_channel, ''), count(*)
                                     from growth_member_months mm join growth_members g on g.member_id = mm.member_id group by 1, 2, 3, 4) x) as cells,
              (select count(*) from (select month, country, acquisition_channel, sum(orders), sum(gross), sum(net) from growth_month_totals group by 1, 2, 3
                                     having sum(orders) <> 0 or sum(gross) <> 0 or sum(net) <> 0
                                     except select mm.month, g.country, coalesce(g.acquisition_channel, ''), sum(mm.orders), sum(mm.gross), sum(mm.net)
                                     from growth_member_months mm join growth_members g on g.member_id = mm.member_id group by 1, 2, 3) x) as totals,
              (select count(*) from (
                 (select day, prev_day, country, acquisition_channel, sum(members) from growth_activity_pairs group by 1, 2, 3, 4 having sum(members) <> 0
                  except all select x.day, x.prev_day, g.country, coalesce(g.acquisition_channel, ''), count(*) from activity x join growth_members g on g.member_id = x.member_id group by 1, 2, 3, 4)
                 union all
                 (select x.day, x.prev_day, g.country, coalesce(g.acquisition_channel, ''), count(*) from activity x join growth_members g on g.member_id = x.member_id group by 1, 2, 3, 4
                  except all select day, prev_day, country, acquisition_channel, sum(members) from growth_activity_pairs group by 1, 2, 3, 4 having sum(members) <> 0)) y) as activity,
              (select count(*) from member_activity_days) as days`,
    );
    expect(Number(counts.orders)).toBeGreaterThan(120);
    expect(Number(counts.firsts)).toBe(46);
    expect([counts.cells, counts.totals, counts.activity].map(Number)).toEqual([0, 0, 0]);
    expect(Number(counts.days)).toBeGreaterThan(100);
  });

  it('gives every growthMetrics number of the direct statements, for random periods and every filter', async () => {
    const filters: [string | undefined, string | undefined][] = [
      [undefined, undefined], ['US', undefined], ['DE', undefined], ['GB', undefined], [undefined, 'ads'], [undefined, 'social'], [undefined, 'email'], ['US', 'ads'], ['FR', undefined],
    ];
    const periods: [Date, Date][] = [
      [new Date('2025-01-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z')],
      [new Date('2024-01-01T00:00:00Z'), new Date('2026-03-01T00:00:00Z')],
      [new Date('2025-03-01T00:00:00Z'), new Date('2025-03-01T00:00:01Z')],
      [new Date('2025-02-28T23:59:59Z'), new Date('2025-03-01T00:00:01Z')],
      [new Date('2024-11-15T12:34:56Z'), new Date('2025-02-03T01:02:03Z')],
      [new Date('2025-06-10T00:00:00Z'), new Date('2025-06-20T00:00:00Z')],
    ];
    while (periods.length < 16) {
      const [a, b] = [instant(), instant()].sort((x, y) => x.getTime() - y.getTime());
      if (a < b) periods.push([a, b]);
    }
    let compared = 0;
    for (const [from, to] of periods) {
      for (const [market, channel] of filters) {
        const query: GrowthQuery = growthQueryOrFail(from, to, market, channel);
        const [fastScope, directScope, direct] = [as(admin), as(admin), new DirectGrowthService()];
        for (const section of SECTIONS) {
          const label = `${section} ${from.toISOString()} .. ${to.toISOString()} market ${market ?? '-'} channel ${channel ?? '-'}`;
          expect({ label, result: await services.growth[section](fastScope, query) }).toEqual({ label, result: await direct[section](directScope, query) });
          compared++;
        }
      }
    }
    expect(compared).toBe(16 * 9 * SECTIONS.length);
  }, 300_000);
});

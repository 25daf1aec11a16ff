import { loadConfig } from '../../src/config/config';
import { createServices } from '../../src/app/container';
import { createRequestContext, RequestContext } from '../../src/graphql/context';
import { createLogger } from '../../src/observability/logger';
import { Principal } from '../../src/auth/principal';
import { Member } from '../../src/modules/members/member.entity';
import { DirectGrowthService, growthQueryOrFail, GrowthQuery } from '../../src/modules/analytics/growth.service';
import { cohortCsv } from '../../src/modules/analytics/growth-math';
import { openTestOrm, TestOrm } from '../helpers/database';
import { memberInput } from '../factories/member.factory';

/*
 * A small programme whose every growth metric is counted by hand below. The period is March and April 2025:
 * [2025-03-01T00:00Z, 2025-05-01T00:00Z), 61 days; the previous period of the same length is
 * [2024-12-30T00:00Z, 2025-03-01T00:00Z). Base currency USD, home market US, high-value threshold 1000.00.
 * Rates (units per USD): EUR 0.9 from 2024-01-01, 0.8 from 2025-04-01; JPY 150 from 2024-01-01; no GBP rate.
 *
 * member country channel  cost       joined               orders (placed, amount, refunds)
 * A      US      ads      30.00 USD  2025-03-05 10:00     03-08 09:00 100.00 USD; 04-10 50.00 USD refunded 20.00
 * B      DE      ads      45.00 EUR  2025-03-20 00:00     04-15 90.00 EUR (=112.50 USD at 0.8) refunded 30.00 EUR
 * C      JP      social   3000 JPY   2025-04-30 23:00     05-01 00:00 15000 JPY (at `to`: outside)
 * D      US      -        -          2024-12-01           2025-01-10 200.00; 03-01 00:00 300.00 (on `from`); 03-16 700.00
 * E      US      email    -          2024-06-01           2025-02-28 23:59:59 1500.00 (last second of the previous period)
 * F      GB      social   10.00 GBP  2025-04-02 12:00     04-02 13:00 10.00 USD, refunded in full
 * G      US      -        -          2025-03-01 00:00     none (joined on `from`: new)
 * H      DE      social   -          2025-05-01 00:00     none (joined at `to`: not new)
 * Activity days: A 03-01, 03-02, 04-30; B 04-01, 04-30; D 02-28, 05-01; E 04-15.
 * Referrals (referee <- referrer): A <- D QUALIFIED 03-20; B <- D PENDING; C <- E QUALIFIED 05-10 (after `to`:
 * still PENDING as of `to`); F <- D REJECTED 04-03; H <- A PENDING (H is not new).
 * LTV: an older run, then the latest run (as of 05-01) scoring A, B, C, D, F, G (formula LTV, CAC):
 * A 170.00, 30.00; B 100.00, 50.00; C none (no orders), 20.00; D 900.00, none; F 5.00, none (no rate); G none, none.
 */
const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', HOME_MARKET: 'US', HIGH_VALUE_THRESHOLD: '1000.00' });
const logger = createLogger('silent');
const admin: Principal = { role: 'admin', subject: 'admin-growth' };
const shop: Principal = { role: 'storefront', subject: 'shop' };
const at = (text: string) => new Date(text);
const FROM = at('2025-03-01T00:00:00Z');
const TO = at('2025-05-01T00:00:00Z');

describe('growth metrics on a hand-counted programme', () => {
  let db: TestOrm;
  let requests = 0;
  const services = createServices();
  const as = (principal?: Principal): RequestContext =>
    createRequestContext({ em: db.orm.em.fork(), principal, requestId: `growth-test-${++requests}`, config, logger }, services);
  const period = (market?: string, channel?: string): GrowthQuery => growthQueryOrFail(FROM, TO, market, channel);
  const members: Record<string, Member> = {};
  let latestRun = '';
  let orders = 0;
  const order = async (member: Member, placedAt: string, amount: string, currency: string, refund?: string) => {
    const externalId = `growth-order-${++orders}`;
    await services.orders.record(as(shop), { memberId: member.id, externalId, amount: { amount, currency }, placedAt: at(placedAt) });
    if (refund) await services.orders.refund(as(shop), { orderExternalId: externalId, refundId: `${externalId}-refund`, amount: { amount: refund, currency } });
  };

  beforeAll(async () => {
    db = await openTestOrm(6);
    await services.fx.setRate(as(admin), 'EUR', '0.9', at('2024-01-01T00:00:00Z'));
    await services.fx.setRate(as(admin), 'EUR', '0.8', at('2025-04-01T00:00:00Z'));
    await services.fx.setRate(as(admin), 'JPY', '150', at('2024-01-01T00:00:00Z'));
    const enrol = async (name: string, country: string, joinedAt: string, channel: string | null, cost: [string, string] | null) => {
      members[name] = await services.members.enroll(
        as(admin),
        memberInput({ country, joinedAt: at(joinedAt), acquisitionChannel: channel, acquisitionCost: cost && { amount: cost[0], currency: cost[1] } }),
      );
    };
    await enrol('A', 'US', '2025-03-05T10:00:00Z', 'ads', ['30.00', 'USD']);
    await enrol('B', 'DE', '2025-03-20T00:00:00Z', 'ads', ['45.00', 'EUR']);
    await enrol('C', 'JP', '2025-04-30T23:00:00Z', 'social', ['3000', 'JPY']);
    await enrol('D', 'US', '2024-12-01T00:00:00Z', null, null);
    await enrol('E', 'US', '2024-06-01T00:00:00Z', 'email', null);
    await enrol('F', 'GB', '2025-04-02T12:00:00Z', 'social', ['10.00', 'GBP']);
    await enrol('G', 'US', '2025-03-01T00:00:00Z', null, null);
    await enrol('H', 'DE', '2025-05-01T00:00:00Z', 'social', null);
    await order(members.A, '2025-03-08T09:00:00Z', '100.00', 'USD');
    await order(members.A, '2025-04-10T00:00:00Z', '50.00', 'USD', '20.00');
    await order(members.B, '2025-04-15T00:00:00Z', '90.00', 'EUR', '30.00');
    await order(members.C, '2025-05-01T00:00:00Z', '15000', 'JPY');
    await order(members.D, '2025-01-10T00:00:00Z', '200.00', 'USD');
    await order(members.D, '2025-03-01T00:00:00Z', '300.00', 'USD');
    await order(members.D, '2025-03-16T00:00:00Z', '700.00', 'USD');
    await order(members.E, '2025-02-28T23:59:59Z', '1500.00', 'USD');
    await order(members.F, '2025-04-02T13:00:00Z', '10.00', 'USD', '10.00');
    const days: [string, string][] = [
      ['A', '2025-03-01'], ['A', '2025-03-02'], ['A', '2025-04-30'],
      ['B', '2025-04-01'], ['B', '2025-04-30'],
      ['D', '2025-02-28'], ['D', '2025-05-01'],
      ['E', '2025-04-15'],
    ];
    await db.orm.em.fork().execute(
      `insert into member_activity_days (member_id, day) values ${days.map(() => '(?, ?::date)').join(', ')}`,
      days.flatMap(([name, day]) => [members[name].id, day]),
    );
    const referral = (referee: string, referrer: string, status: string, qualifiedAt: string | null, rejectedAt: string | null) =>
      db.orm.em.fork().execute(
        `insert into referrals (id, member_id, referrer_id, code, status, rejection_reason, created_at, qualified_at, rejected_at)
         select gen_random_uuid(), ?, ?, r.referral_code, ?, ?, m.joined_at, ?, ? from members m, members r where m.id = ? and r.id = ?`,
        [members[referee].id, members[referrer].id, status, rejectedAt ? 'DUPLICATE_DEVICE' : null, qualifiedAt, rejectedAt, members[referee].id, members[referrer].id],
      );
    await referral('A', 'D', 'QUALIFIED', '2025-03-20T00:00:00Z', null);
    await referral('B', 'D', 'PENDING', null, null);
    await referral('C', 'E', 'QUALIFIED', '2025-05-10T00:00:00Z', null);
    await referral('F', 'D', 'REJECTED', null, '2025-04-03T00:00:00Z');
    await referral('H', 'A', 'PENDING', null, null);
    const run = async (asOf: string, finishedAt: string) => {
      const [row] = await db.orm.em.fork().execute<{ id: string }[]>(
        "insert into ltv_runs (id, as_of, status, started_at, finished_at) values (gen_random_uuid(), ?, 'SUCCEEDED', ?, ?) returning id",
        [asOf, finishedAt, finishedAt],
      );
      return row.id;
    };
    await run('2025-01-01T00:00:00Z', '2025-01-01T01:00:00Z');
    latestRun = await run('2025-05-01T00:00:00Z', '2025-05-01T01:00:00Z');
    const scores: [string, number | null, number | null][] = [['A', 17000, 3000], ['B', 10000, 5000], ['C', null, 2000], ['D', 90000, null], ['F', 500, null], ['G', null, null]];
    await db.orm.em.fork().execute(
      `insert into member_ltv (member_id, tier, churn_risk, probability_alive, expected_purchases_12m, expected_order_value_minor, expected_lifespan_weeks,
                               predicted_12m_minor, historical_minor, formula_ltv_minor, acquisition_cost_minor, ltv_to_cac, frequency, recency_weeks,
                               age_weeks, order_count, run_id, computed_at)
       values ${scores.map(() => "(?, 'MEDIUM', 'LOW', 0.9, 1, 1000, 52, 1000, 1000, ?, ?, null, 1, 1, 10, 1, ?, '2025-05-01T01:00:00Z')").join(', ')}`,
      scores.flatMap(([name, formula, cac]) => [members[name].id, formula, cac, latestRun]),
    );
  });
  afterAll(() => db.close());

  it('acquisition: new members, costs converted at the rate in force when each joined, CAC by channel, overseas share', async () => {
    const result = await services.growth.acquisition(as(admin), period());
    // New: A, B, C, F, G (joined in [from, to); G exactly at from). D and E joined before, H exactly at `to`.
    expect(result.newMembers).toBe(5);
    // ads: A 30.00 USD + B 45.00 EUR / 0.9 (the March rate; 0.8 came in April) = 50.00 USD -> 80.00 over 2 = 40.00.
    // social: C 3000 JPY / 150 = 20.00 USD; F's GBP cost has no rate, so it is left out -> 20.00 over 2 = 10.00.
    // no channel: G, no cost -> 0.00 over 1.
    expect(result.byChannel).toEqual([
      { channel: 'ads', newMembers: 2, acquisitionCostMinor: 8000n, cac: { valueMinor: 4000n, numeratorMinor: 8000n, denominator: 2 } },
      { channel: 'social', newMembers: 2, acquisitionCostMinor: 2000n, cac: { valueMinor: 1000n, numeratorMinor: 2000n, denominator: 2 } },
      { channel: null, newMembers: 1, acquisitionCostMinor: 0n, cac: { valueMinor: 0n, numeratorMinor: 0n, denominator: 1 } },
    ]);
    // Total 100.00 over 5 = 20.00; overseas (not US): B DE, C JP, F GB = 3 of 5; F is the one cost without a rate.
    expect(result.acquisitionCostMinor).toBe(10000n);
    expect(result.cac).toEqual({ valueMinor: 2000n, numeratorMinor: 10000n, denominator: 5 });
    expect(result.overseasShare).toEqual({ value: 0.6, numerator: 3, denominator: 5 });
    expect(result.costsWithoutRate).toBe(1);
    expect(result.homeMarket).toBe('US');
  });

  it('activation: first orders within 7 and 30 days of joining, median whole days to the first order', async () => {
    const result = await services.growth.activation(as(admin), period());
    // A: 03-05 10:00 -> 03-08 09:00 = 2 days 23 hours = 2 whole days. B: 03-20 -> 04-15 = 26 days. F: 1 hour = 0 days.
    // C's first order is at `to` (not counted), G has none. Within 7: A, F. Within 30: A, B, F. Median of 0, 2, 26 = 2.
    expect(result).toEqual({
      newMembers: 5,
      firstOrderWithin7Days: { value: 0.4, numerator: 2, denominator: 5 },
      firstOrderWithin30Days: { value: 0.6, numerator: 3, denominator: 5 },
      medianDaysToFirstOrder: 2,
    });
  });

  it('retention: monthly cohorts, repeat purchase rate, churn against the previous period', async () => {
    const result = await services.growth.retention(as(admin), period());
    // March cohort A, B, G: March orders A (03-08) = 1 of 3; April orders A (04-10), B (04-15) = 2 of 3.
    // April cohort C, F: April orders F (04-02, refunded in full but still an order) = 1 of 2; C's order is at `to`.
    expect(result.cohorts).toEqual([
      { month: '2025-03', members: 3, cells: [{ value: 1 / 3, numerator: 1, denominator: 3 }, { value: 2 / 3, numerator: 2, denominator: 3 }] },
      { month: '2025-04', members: 2, cells: [{ value: 0.5, numerator: 1, denominator: 2 }] },
    ]);
    // Orders in the period: A 2, B 1, D 2 (one exactly at `from`), F 1 -> 4 buyers, 2 with 2+ (A, D).
    expect(result.repeatPurchaseRate).toEqual({ value: 0.5, numerator: 2, denominator: 4 });
    // Previous period [2024-12-30, 2025-03-01): D (01-10) and E (02-28 23:59:59). E has no order since: 1 of 2 churned.
    expect(result.churnRate).toEqual({ value: 0.5, numerator: 1, denominator: 2 });
    expect(result.previousFrom).toEqual(at('2024-12-30T00:00:00Z'));
  });

  it('revenue: GMV, net revenue after refunds in order currency, AOV, revenue per member, high-value share', async () => {
    const result = await services.growth.revenue(as(admin), period());
    // Six orders: A 100.00 + 50.00, B 90.00 EUR at 0.8 = 112.50, D 300.00 + 700.00, F 10.00 -> GMV 1272.50.
    // Net: A 100.00 + 30.00, B floor(112.50 x 60/90) = 75.00, D 1000.00, F 0.00 -> 1205.00.
    // AOV 1205.00 / 6 = 200.833 -> 200.83. Members who joined before `to`: A-G = 7 -> 172.142 -> 172.14.
    // 12 months before `to` net spend: A 130, B 75, D 1200, E 1500, F 0 (C's order is at `to`): above 1000.00: D, E = 2 of 5.
    expect(result).toEqual({
      orders: 6,
      gmvMinor: 127250n,
      netRevenueMinor: 120500n,
      aov: { valueMinor: 20083n, numeratorMinor: 120500n, denominator: 6 },
      revenuePerMember: { valueMinor: 17214n, numeratorMinor: 120500n, denominator: 7 },
      highValueShare: { value: 0.4, numerator: 2, denominator: 5 },
      highValueThresholdMinor: 100000n,
    });
  });

  it('engagement: DAU over the days of the period, MAU over the 30 days before `to`, DAU/MAU', async () => {
    const result = await services.growth.engagement(as(admin), period());
    // Member-days from 03-01 to 04-30: A 3, B 2, E 1 = 6 (D's are on 02-28 and 05-01) over 61 days.
    // MAU, days 04-01 to 04-30: A, B, E = 3. DAU/MAU = 6 / (61 x 3).
    expect(result).toEqual({
      dau: { value: 6 / 61, numerator: 6, denominator: 61 },
      mau: 3,
      dauMau: { value: 6 / 183, numerator: 6, denominator: 183 },
    });
  });

  it('revenue by month: each UTC month of the period with the revenue section\'s orders, GMV and net revenue', async () => {
    const month = (from: string, to: string) => ({ from: at(from), to: at(to) });
    // March: A 100.00, D 300.00 (on `from`) and 700.00. April: A 50.00 (net 30.00), B 112.50 (net 75.00), F 10.00 (net 0).
    // Together: the section's 6 orders, 1272.50 and 1205.00.
    expect(await services.growth.revenueByMonth(as(admin), period())).toEqual([
      { month: '2025-03', ...month('2025-03-01T00:00:00Z', '2025-04-01T00:00:00Z'), orders: 3, gmvMinor: 110000n, netRevenueMinor: 110000n },
      { month: '2025-04', ...month('2025-04-01T00:00:00Z', '2025-05-01T00:00:00Z'), orders: 3, gmvMinor: 17250n, netRevenueMinor: 10500n },
    ]);
    // Partial months: [03-05 10:00, 04-15): March part A 100.00 and D 700.00 (D's 300.00 is before); April part A 50.00
    // (net 30.00) and F 10.00 (net 0); B's order at 04-15 is at the end.
    expect(await services.growth.revenueByMonth(as(admin), growthQueryOrFail(at('2025-03-05T10:00:00Z'), at('2025-04-15T00:00:00Z')))).toEqual([
      { month: '2025-03', ...month('2025-03-05T10:00:00Z', '2025-04-01T00:00:00Z'), orders: 2, gmvMinor: 80000n, netRevenueMinor: 80000n },
      { month: '2025-04', ...month('2025-04-01T00:00:00Z', '2025-04-15T00:00:00Z'), orders: 2, gmvMinor: 6000n, netRevenueMinor: 3000n },
    ]);
    // DE: B only, in April.
    expect((await services.growth.revenueByMonth(as(admin), period('DE'))).map((row) => [row.month, row.orders, row.gmvMinor, row.netRevenueMinor])).toEqual([
      ['2025-03', 0, 0n, 0n],
      ['2025-04', 1, 11250n, 7500n],
    ]);
  });

  it('engagement by month: each UTC month as a period of its own (DAU over its days, MAU over the 30 days before its end)', async () => {
    const month = (from: string, to: string) => ({ from: at(from), to: at(to) });
    // March, 31 days: A 03-01 and 03-02 = 2 member-days; MAU over 03-02 .. 03-31: A (its 03-01 is 31 days before April).
    // April, 30 days: A 04-30, B 04-01 and 04-30, E 04-15 = 4 member-days; MAU over 04-01 .. 04-30: A, B, E.
    expect(await services.growth.engagementByMonth(as(admin), period())).toEqual([
      { month: '2025-03', ...month('2025-03-01T00:00:00Z', '2025-04-01T00:00:00Z'), dau: { value: 2 / 31, numerator: 2, denominator: 31 }, mau: 1, dauMau: { value: 2 / 31, numerator: 2, denominator: 31 } },
      { month: '2025-04', ...month('2025-04-01T00:00:00Z', '2025-05-01T00:00:00Z'), dau: { value: 4 / 30, numerator: 4, denominator: 30 }, mau: 3, dauMau: { value: 4 / 90, numerator: 4, denominator: 90 } },
    ]);
    // [03-05 10:00, 04-15): March's days from 03-06 (26 days) have no activity; MAU over 03-02 .. 03-31 is A.
    // April's days 04-01 .. 04-14: B 04-01; MAU over 03-16 .. 04-14: B (E's 04-15 is at the end).
    expect(await services.growth.engagementByMonth(as(admin), growthQueryOrFail(at('2025-03-05T10:00:00Z'), at('2025-04-15T00:00:00Z')))).toEqual([
      { month: '2025-03', ...month('2025-03-05T10:00:00Z', '2025-04-01T00:00:00Z'), dau: { value: 0, numerator: 0, denominator: 26 }, mau: 1, dauMau: { value: 0, numerator: 0, denominator: 26 } },
      { month: '2025-04', ...month('2025-04-01T00:00:00Z', '2025-04-15T00:00:00Z'), dau: { value: 1 / 14, numerator: 1, denominator: 14 }, mau: 1, dauMau: { value: 1 / 14, numerator: 1, denominator: 14 } },
    ]);
  });

  it('referral: referral rate, conversion and referrals per active referrer, as of `to`', async () => {
    // New members A, B, C, F, G; A, B, C and F joined with a code (F's was rejected): 4 of 5.
    // As of `to`: A QUALIFIED, B PENDING, C PENDING (it qualified after `to`), F REJECTED (left out): 1 of 3 convert.
    // Referrals not rejected: A and B by D, C by E -> 3 over 2 referrers. H's referral is not a new member's.
    expect(await services.growth.referral(as(admin), period())).toEqual({
      newMembers: 5,
      referralRate: { value: 0.8, numerator: 4, denominator: 5 },
      referralConversion: { value: 1 / 3, numerator: 1, denominator: 3 },
      referralsPerActiveReferrer: { value: 1.5, numerator: 3, denominator: 2 },
    });
    // DE: B only, pending.
    expect(await services.growth.referral(as(admin), period('DE'))).toEqual({
      newMembers: 1,
      referralRate: { value: 1, numerator: 1, denominator: 1 },
      referralConversion: { value: 0, numerator: 0, denominator: 1 },
      referralsPerActiveReferrer: { value: 1, numerator: 1, denominator: 1 },
    });
  });

  it('value: mean LTV and LTV:CAC by channel from the latest LTV run, against the 3.5 bar', async () => {
    const result = await services.growth.value(as(admin), period());
    // Scored new members: A, B, C, F, G (D is not new). LTV (formula, -CAC without orders): A 170.00, B 100.00,
    // C -20.00, F 5.00, G 0.00 -> 255.00 / 5 = 51.00. Before CAC: A 200.00, B 150.00, C 0, F 5.00, G 0 = 355.00;
    // CAC: 30.00 + 50.00 + 20.00 = 100.00 -> 3.55.
    expect(result.run).toEqual({ id: latestRun, asOf: at('2025-05-01T00:00:00Z') });
    expect(result.scoredMembers).toBe(5);
    expect(result.meanLtv).toEqual({ valueMinor: 5100n, numeratorMinor: 25500n, denominator: 5 });
    expect(result.ltvToCac).toEqual({ value: 3.55, numeratorMinor: 35500n, denominatorMinor: 10000n });
    // ads: A, B: 270.00 / 2 = 135.00; 350.00 / 80.00 = 4.375. social: C, F: -15.00 / 2 = -7.50; 5.00 / 20.00 = 0.25.
    // no channel: G: 0.00; 0 / 0 has no value.
    expect(result.byChannel).toEqual([
      { channel: 'ads', scoredMembers: 2, meanLtv: { valueMinor: 13500n, numeratorMinor: 27000n, denominator: 2 }, ltvToCac: { value: 4.375, numeratorMinor: 35000n, denominatorMinor: 8000n } },
      { channel: 'social', scoredMembers: 2, meanLtv: { valueMinor: -750n, numeratorMinor: -1500n, denominator: 2 }, ltvToCac: { value: 0.25, numeratorMinor: 500n, denominatorMinor: 2000n } },
      { channel: null, scoredMembers: 1, meanLtv: { valueMinor: 0n, numeratorMinor: 0n, denominator: 1 }, ltvToCac: { value: null, numeratorMinor: 0n, denominatorMinor: 0n } },
    ]);
  });

  it('filters by market', async () => {
    // DE: B (new) and H (joined at `to`).
    const acquisition = await services.growth.acquisition(as(admin), period('de'));
    expect(acquisition.newMembers).toBe(1);
    expect(acquisition.acquisitionCostMinor).toBe(5000n);
    expect(acquisition.overseasShare).toEqual({ value: 1, numerator: 1, denominator: 1 });
    const revenue = await services.growth.revenue(as(admin), period('DE'));
    expect([revenue.orders, revenue.gmvMinor, revenue.netRevenueMinor, revenue.revenuePerMember.denominator]).toEqual([1, 11250n, 7500n, 1]);
    // Nobody in DE ordered in the previous period: the churn rate has no denominator.
    expect((await services.growth.retention(as(admin), period('DE'))).churnRate).toEqual({ value: null, numerator: 0, denominator: 0 });
  });

  it('filters by channel', async () => {
    // ads: A and B. Repeat: A 2 orders, B 1. Nobody from ads ordered in the previous period (E is email).
    const retention = await services.growth.retention(as(admin), period(undefined, 'ADS'));
    expect(retention.repeatPurchaseRate).toEqual({ value: 0.5, numerator: 1, denominator: 2 });
    expect(retention.churnRate).toEqual({ value: null, numerator: 0, denominator: 0 });
    expect(retention.cohorts.map((cohort) => [cohort.month, cohort.members])).toEqual([['2025-03', 2]]);
    // Engagement of ads members: A 3 + B 2 member-days; MAU A, B.
    expect(await services.growth.engagement(as(admin), period(undefined, 'ads'))).toEqual({
      dau: { value: 5 / 61, numerator: 5, denominator: 61 },
      mau: 2,
      dauMau: { value: 5 / 122, numerator: 5, denominator: 122 },
    });
    // email: E churned (1 of 1); E's 1500.00 makes it high-value.
    expect((await services.growth.retention(as(admin), period(undefined, 'email'))).churnRate).toEqual({ value: 1, numerator: 1, denominator: 1 });
    expect((await services.growth.revenue(as(admin), period(undefined, 'email'))).highValueShare).toEqual({ value: 1, numerator: 1, denominator: 1 });
  });

  it('gives empty periods null ratios and no cohorts', async () => {
    const empty = growthQueryOrFail(at('2020-01-01T00:00:00Z'), at('2020-02-01T00:00:00Z'));
    expect(await services.growth.activation(as(admin), empty)).toEqual({
      newMembers: 0,
      firstOrderWithin7Days: { value: null, numerator: 0, denominator: 0 },
      firstOrderWithin30Days: { value: null, numerator: 0, denominator: 0 },
      medianDaysToFirstOrder: null,
    });
    expect((await services.growth.retention(as(admin), empty)).cohorts).toEqual([]);
    expect((await services.growth.revenue(as(admin), empty)).aov).toEqual({ valueMinor: null, numeratorMinor: 0n, denominator: 0 });
  });

  it('gives from the rollups every number the direct statements give, for periods with edges on and off month starts', async () => {
    const periods: [string, string][] = [
      ['2025-03-01T00:00:00Z', '2025-05-01T00:00:00Z'],
      ['2025-03-05T10:00:00Z', '2025-04-15T00:00:00Z'],
      ['2025-03-05T10:00:01Z', '2025-05-01T00:00:01Z'],
      ['2025-02-28T23:59:59Z', '2025-03-01T00:00:01Z'],
      ['2025-04-02T12:00:00Z', '2025-04-30T23:00:00Z'],
      ['2024-06-01T00:00:00Z', '2025-06-01T00:00:00Z'],
      ['2024-12-30T00:00:00Z', '2025-03-01T00:00:00Z'],
    ];
    const filters: [string | undefined, string | undefined][] = [[undefined, undefined], ['US', undefined], ['DE', undefined], [undefined, 'ads'], [undefined, 'social'], [undefined, 'email'], ['GB', 'social']];
    const sections = ['acquisition', 'activation', 'retention', 'revenue', 'referral', 'value', 'engagement', 'revenueByMonth', 'engagementByMonth'] as const;
    for (const [from, to] of periods) {
      for (const [market, channel] of filters) {
        const query = growthQueryOrFail(at(from), at(to), market, channel);
        const [fastScope, directScope, direct] = [as(admin), as(admin), new DirectGrowthService()];
        for (const section of sections) {
          const label = `${section} ${from} .. ${to} ${market ?? '-'} ${channel ?? '-'}`;
          expect({ label, result: await services.growth[section](fastScope, query) }).toEqual({ label, result: await direct[section](directScope, query) });
        }
      }
    }
  }, 120_000);

  it('writes the same cohorts as CSV', async () => {
    expect(cohortCsv(await services.growth.cohorts(as(admin), period()))).toBe(
      ['cohort,members,month_0,month_1', `2025-03,3,${1 / 3},${2 / 3}`, '2025-04,2,0.5,', ''].join('\r\n'),
    );
  });
});

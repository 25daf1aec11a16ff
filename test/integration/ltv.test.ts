import { loadConfig } from '../../src/config/config';
import { createServices } from '../../src/app/container';
import { createRequestContext, RequestContext } from '../../src/graphql/context';
import { createLogger } from '../../src/observability/logger';
import { Principal } from '../../src/auth/principal';
import { Member } from '../../src/modules/members/member.entity';
import { buildRfmTable, dropRfmTable, RFM_TABLE, rfmSnapshot, RfmRow } from '../../src/modules/ltv/rfm';
import { acquisitionCostInBase, holdMemberLtvForSnapshot, runLtv } from '../../src/modules/ltv/ltv-run';
import { expectedLifespanWeeks, expectedOrderValue, expectedPurchases, probabilityAlive } from '../../src/modules/ltv/btyd';
import { churnRiskOf, ltvFigures, percentileCont, purchasesPerYearWhileAlive, tierOf, tierPercentileRanks } from '../../src/modules/ltv/ltv-policy';
import { runNightlyLtvIfDue } from '../../src/jobs/ltv-job';
import { LtvRun, LtvRunStatus } from '../../src/modules/ltv/ltv-run.entity';
import { IsolationLevel } from '@mikro-orm/core';
import { openTestOrm, TestOrm } from '../helpers/database';
import { memberInput } from '../factories/member.factory';
import { insertPopulation } from '../factories/ltv.factory';

jest.setTimeout(120_000);

const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
const logger = createLogger('silent');
const admin: Principal = { role: 'admin', subject: 'admin-ltv' };
const shop: Principal = { role: 'storefront', subject: 'shop' };
const DAY = 24 * 60 * 60 * 1000;
const ASOF_PAST = new Date('2025-06-30T12:00:00Z');

interface StoredLtv {
  member_id: string;
  tier: string;
  churn_risk: string;
  probability_alive: number;
  expected_purchases_12m: number;
  expected_order_value_minor: string;
  expected_lifespan_weeks: number;
  predicted_12m_minor: string;
  historical_minor: string;
  formula_ltv_minor: string | null;
  acquisition_cost_minor: string | null;
  ltv_to_cac: number | null;
  frequency: number;
  recency_weeks: number;
  age_weeks: number;
  order_count: number;
  run_id: string;
}

describe('LTV pipeline', () => {
  let db: TestOrm;
  let requests = 0;
  const services = createServices();
  const as = (principal?: Principal): RequestContext =>
    createRequestContext({ em: db.orm.em.fork(), principal, requestId: `ltv-test-${++requests}`, config, logger }, services);
  const order = (m: Member, externalId: string, amount: string, currency: string, placedAt: string) =>
    services.orders.record(as(shop), { memberId: m.id, externalId, amount: { amount, currency }, placedAt: new Date(placedAt) });
  const run = (asOf: Date, settings = config.ltv) => runLtv(db.orm.em.fork(), { asOf, baseCurrency: 'USD', settings, waitForLock: true });
  const stored = async () => {
    const rows = await db.orm.em.fork().execute<StoredLtv[]>('select * from member_ltv order by member_id');
    return new Map(rows.map((row) => [row.member_id, row]));
  };
  const rfmOf = (rows: RfmRow[], member: Member) => rows.find((row) => row.member_id === member.id)!;

  let a: Member;
  let b: Member;
  let c: Member;
  let d: Member;

  beforeAll(async () => {
    db = await openTestOrm(4);
    const fx = (currency: string, rate: string, at: Date) => services.fx.setRate(as(admin), currency, rate, at);
    await fx('EUR', '0.9', new Date('2020-01-01T00:00:00Z'));
    await fx('EUR', '0.8', new Date('2025-10-01T00:00:00Z'));
    await fx('JPY', '150', new Date('2020-01-01T00:00:00Z'));
    a = await services.members.enroll(as(admin), memberInput({ acquisitionCost: { amount: '50.00', currency: 'USD' } }));
    b = await services.members.enroll(as(admin), memberInput({ acquisitionCost: { amount: '40.00', currency: 'EUR' } }));
    c = await services.members.enroll(as(admin), memberInput());
    d = await services.members.enroll(as(admin), memberInput());
    // A: two orders on one UTC day (one occasion of 120.00), one in EUR (45.00 at 0.9 = 50.00), one refunded in part later,
    // and one after ASOF_PAST.
    await order(a, 'a-1', '100.00', 'USD', '2025-01-10T10:00:00Z');
    await order(a, 'a-2', '20.00', 'USD', '2025-01-10T23:59:00Z');
    await order(a, 'a-3', '45.00', 'EUR', '2025-02-14T08:00:00Z');
    await order(a, 'a-4', '80.00', 'USD', '2025-03-21T12:00:00Z');
    await order(a, 'a-5', '500.00', 'USD', '2025-09-01T12:00:00Z');
    await services.orders.refund(as(shop), { orderExternalId: 'a-4', refundId: 'a-4-r1', amount: { amount: '30.00', currency: 'USD' } });
    // B: one order in JPY (3000 at 150 = 20.00); its cost, 40.00 EUR, is converted at the rate in force when it joined (0.8).
    await order(b, 'b-1', '3000', 'JPY', '2025-05-05T06:00:00Z');
    // D: its only order is after ASOF_PAST.
    await order(d, 'd-1', '15.00', 'USD', '2025-08-01T12:00:00Z');
  });
  afterAll(() => db.close());

  it('counts UTC days whatever the time zone of the connection it runs on', async () => {
    // a-1 (10:00 UTC) and a-2 (23:59 UTC) are one UTC day but two days in Tokyo (UTC+9)
    const inTokyo = await db.orm.em.fork().transactional(async (tx) => {
      await tx.execute("set local time zone 'Asia/Tokyo'");
      await (await buildRfmTable(tx, ASOF_PAST, 'USD')).ready;
      const rows = await tx.execute<RfmRow[]>(`select * from ${RFM_TABLE} order by member_id`);
      await dropRfmTable(tx);
      return rows;
    });
    expect(rfmOf(inTokyo, a)).toMatchObject({ order_count: 4, frequency: 2, recency_weeks: 10, age_weeks: 171 / 7, repeat_minor: '13000' });
    expect(inTokyo).toEqual(await rfmSnapshot(db.orm.em.fork(), ASOF_PAST, 'USD'));
  });

  it('computes RFM per member in SQL: same-day orders merged, refunds, currencies, later orders ignored', async () => {
    const past = await rfmSnapshot(db.orm.em.fork(), ASOF_PAST, 'USD');
    expect(past).toHaveLength(4);
    const acquisition = { acquisition_cost_minor: '5000', acquisition_cost_currency: 'USD', acquisition_rate: null };
    // At ASOF_PAST the refund (made now) had not happened yet: a-4 counts in full.
    expect(rfmOf(past, a)).toMatchObject({
      order_count: 4,
      frequency: 2,
      recency_weeks: 10, // 2025-01-10 to 2025-03-21: 70 days
      age_weeks: 171 / 7, // whole days, 2025-01-10 to 2025-06-30 (asOf at 12:00 on that day)
      historical_minor: '25000',
      repeat_minor: '13000',
      ...acquisition,
    });
    expect(rfmOf(past, b)).toMatchObject({
      order_count: 1,
      frequency: 0,
      recency_weeks: 0,
      age_weeks: 56 / 7,
      historical_minor: '2000',
      repeat_minor: '0',
      acquisition_cost_minor: '4000',
      acquisition_cost_currency: 'EUR',
    });
    expect(acquisitionCostInBase(rfmOf(past, b), 'USD')).toBe(5000n);
    expect(acquisitionCostInBase(rfmOf(past, a), 'USD')).toBe(5000n);
    for (const member of [c, d]) {
      expect(rfmOf(past, member)).toMatchObject({ order_count: 0, frequency: 0, recency_weeks: 0, age_weeks: 0, historical_minor: '0', repeat_minor: '0' });
      expect(acquisitionCostInBase(rfmOf(past, member), 'USD')).toBeNull();
    }

    const asOf = new Date();
    const now = await rfmSnapshot(db.orm.em.fork(), asOf, 'USD');
    const firstDay = Date.UTC(2025, 0, 10);
    // Now the refund counts: a-4 is worth 50.00; a-5 is a fourth occasion.
    expect(rfmOf(now, a)).toMatchObject({
      order_count: 5,
      frequency: 3,
      recency_weeks: 234 / 7,
      historical_minor: '72000',
      repeat_minor: '60000',
    });
    expect(rfmOf(now, a).age_weeks).toBeCloseTo((Math.floor(asOf.getTime() / DAY) * DAY - firstDay) / DAY / 7, 9);
    expect(rfmOf(now, d)).toMatchObject({ order_count: 1, frequency: 0, historical_minor: '1500' });
    // A first purchase on asOf's own day: the part of the day elapsed (d-1 at 12:00, asOf 18:00 the same day).
    const sameDay = await rfmSnapshot(db.orm.em.fork(), new Date('2025-08-01T18:00:00Z'), 'USD');
    expect(rfmOf(sameDay, d).age_weeks).toBeCloseTo(0.75 / 7, 12);
    expect(rfmOf(sameDay, a).age_weeks).toBe(203 / 7); // 2025-01-10 to 2025-08-01: whole days
  });

  describe('with a population to fit on', () => {
    beforeAll(async () => {
      await insertPopulation(db.orm.em.fork(), {
        members: 200,
        from: new Date('2024-06-01T00:00:00Z'),
        to: new Date('2025-11-01T00:00:00Z'),
        seed: 20261126,
        prefix: 'pop',
      });
    });

    it('splits the RFM in two halves of members run at once on two connections, with the same rows and scores', async () => {
      const asOf = new Date();
      const whole = await rfmSnapshot(db.orm.em.fork(), asOf, 'USD');
      const halves = await rfmSnapshot(db.orm.em.fork(), asOf, 'USD', 1);
      expect(halves).toHaveLength(204);
      expect(halves).toEqual(whole);
      // Below the threshold: one statement.
      expect(await rfmSnapshot(db.orm.em.fork(), asOf, 'USD', 205)).toEqual(whole);

      const phases: string[] = [];
      const runWith = async (rfmSplitFrom: number) => {
        await runLtv(db.orm.em.fork(), {
          asOf, baseCurrency: 'USD', settings: config.ltv, waitForLock: true, rfmSplitFrom,
          onPhase: (phase, detail) => phase === 'rfm' && phases.push(detail!),
        });
        const rows = await db.orm.em.fork().execute<StoredLtv[]>('select * from member_ltv order by member_id');
        return rows.map(({ run_id: _run, computed_at: _at, ...row }: StoredLtv & { computed_at?: unknown }) => row);
      };
      const split = await runWith(1);
      const single = await runWith(1_000_000);
      // The embedded database has one session for every client: no second connection, so one statement there.
      expect(phases).toEqual([db.database.kind === 'postgresql' ? 'two halves at once' : 'one statement', 'one statement']);
      expect(split).toHaveLength(204);
      expect(split).toEqual(single);
      // The upper half's table is gone.
      const [{ left }] = await db.orm.em.fork().execute("select count(*)::int as left from pg_class where relname like 'ltv_rfm_upper_%'");
      expect(left).toBe(0);
    });

    it('stores, per member, exactly the pure model functions applied to its RFM values with the fitted parameters', async () => {
      const asOf = new Date();
      const result = (await run(asOf))!;
      expect(result.membersScored).toBe(204);
      expect(result.fittedOn).toBe(203); // every member with an order before asOf (C has none)
      const [runRow] = await db.orm.em.fork().execute('select * from ltv_runs where id = ?', [result.id]);
      expect(runRow).toMatchObject({ status: 'SUCCEEDED', fitted_on: 203, members_scored: 204, error: null, ...result.params });

      const rfm = await rfmSnapshot(db.orm.em.fork(), asOf, 'USD');
      const scores = await stored();
      expect(scores.size).toBe(204);
      const bg = { r: runRow.r, alpha: runRow.alpha, a: runRow.a, b: runRow.b };
      const gg = { p: runRow.p, q: runRow.q, v: runRow.v };
      const predictedOfBuyers: number[] = [];
      for (const row of rfm) {
        const score = scores.get(row.member_id)!;
        expect(score).toMatchObject({ run_id: result.id, frequency: row.frequency, recency_weeks: row.recency_weeks, age_weeks: row.age_weeks, order_count: row.order_count, historical_minor: row.historical_minor });
        if (row.order_count === 0) {
          expect(score).toMatchObject({ tier: 'NEW', churn_risk: 'LOW', probability_alive: 1, expected_purchases_12m: 0, predicted_12m_minor: '0', formula_ltv_minor: null, ltv_to_cac: null });
          continue;
        }
        const x = row.frequency;
        const alive = probabilityAlive(bg, x, row.recency_weeks, row.age_weeks);
        const purchases = expectedPurchases(bg, 52, x, row.recency_weeks, row.age_weeks);
        const lifespan = expectedLifespanWeeks(bg, x, row.recency_weeks, row.age_weeks);
        const orderValue = expectedOrderValue(gg, x, x > 0 ? Number(row.repeat_minor) / x / 100 : 0) * 100;
        const cac = acquisitionCostInBase(row, 'USD');
        const figures = ltvFigures({
          expectedOrderValueMinor: orderValue,
          expectedPurchases12m: purchases,
          purchasesPerYear: purchasesPerYearWhileAlive(bg, x, row.age_weeks),
          expectedLifespanWeeks: lifespan,
          acquisitionCostMinor: cac,
        });
        expect(score).toMatchObject({
          probability_alive: alive,
          expected_purchases_12m: purchases,
          expected_lifespan_weeks: lifespan,
          expected_order_value_minor: String(Math.floor(orderValue)),
          predicted_12m_minor: figures.predicted12mMinor.toString(),
          formula_ltv_minor: figures.formulaLtvMinor.toString(),
          acquisition_cost_minor: cac === null ? null : cac.toString(),
          ltv_to_cac: figures.ltvToCac,
          churn_risk: churnRiskOf(alive, config.ltv),
        });
        predictedOfBuyers.push(Number(figures.predicted12mMinor));
      }
      // Tiers: the percentile_cont cut-offs over the members with orders, as tierOf applies them.
      const sorted = predictedOfBuyers.sort((left, right) => left - right);
      const [vip, high, medium] = tierPercentileRanks(config.ltv.tierPercentiles).map((rank) => percentileCont(sorted, rank));
      for (const row of rfm.filter((r) => r.order_count > 0)) {
        const score = scores.get(row.member_id)!;
        expect(score.tier).toBe(tierOf(Number(score.predicted_12m_minor), { vip, high, medium }));
      }
      // A's CAC is known (50.00 USD): LTV:CAC is the gross formula LTV over it; C, D have none.
      expect(scores.get(a.id)!.ltv_to_cac).not.toBeNull();
      expect(scores.get(d.id)!.ltv_to_cac).toBeNull();
    });

    it('replaces the previous scores on the next run: members without orders before asOf become NEW', async () => {
      const result = (await run(ASOF_PAST))!;
      const scores = await stored();
      expect(scores.get(d.id)).toMatchObject({ tier: 'NEW', order_count: 0, run_id: result.id });
      expect(scores.get(a.id)).toMatchObject({ order_count: 4, frequency: 2, historical_minor: '25000', run_id: result.id });
      expect(new Set([...scores.values()].map((score) => score.run_id))).toEqual(new Set([result.id]));
      expect(await services.ltv.model(as(admin))).toMatchObject({ ...result.params, fittedOn: result.fittedOn, asOf: ASOF_PAST });
    });

    it('runs one at a time: concurrent runs wait for each other and never overlap', async () => {
      const asOf = new Date();
      const locked: number[] = [];
      const runs = await Promise.all(
        [0, 1, 2].map((index) => runLtv(db.orm.em.fork(), { asOf, baseCurrency: 'USD', settings: config.ltv, waitForLock: true, onLocked: () => locked.push(index) })),
      );
      expect(locked.sort()).toEqual([0, 1, 2]);
      const ordered = runs.map((r) => r!).sort((left, right) => left.startedAt.getTime() - right.startedAt.getTime());
      for (let index = 1; index < ordered.length; index += 1) {
        expect(ordered[index].startedAt.getTime()).toBeGreaterThanOrEqual(ordered[index - 1].finishedAt.getTime());
      }
      const scores = await stored();
      expect(new Set([...scores.values()].map((score) => score.run_id))).toEqual(new Set([ordered[2].id]));
    });

    it('the nightly job runs once per night however many replicas try at once', async () => {
      // Tomorrow at 03:00 UTC with the run due at 02:00: no run has started since then yet.
      const nightly = { ...config, ltv: { ...config.ltv, nightlyHour: 2 } };
      const today = new Date();
      const now = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + 1, 3));
      expect(await runNightlyLtvIfDue(db.orm, nightly, new Date(now.getTime() - 2 * 3_600_000))).toBeNull(); // 01:00: not due
      const results = await Promise.all([0, 1, 2].map(() => runNightlyLtvIfDue(db.orm, nightly, now)));
      expect(results.filter((result) => result !== null)).toHaveLength(1);
      expect(await runNightlyLtvIfDue(db.orm, nightly, now)).toBeNull();
      const [{ count }] = await db.orm.em.fork().execute<{ count: string }[]>('select count(*) from ltv_runs where as_of = ?', [now]);
      expect(Number(count)).toBe(1);
      expect(await runNightlyLtvIfDue(db.orm, { ...nightly, ltv: { ...nightly.ltv, nightlyHour: -1 } }, now)).toBeNull();
    });

    it('records a failed run with its error and keeps the previous scores', async () => {
      const before = await stored();
      await expect(run(new Date('2000-01-01T00:00:00Z'))).rejects.toThrow('no orders at or before 2000-01-01T00:00:00.000Z');
      const failed = await db.orm.em.fork().findOneOrFail(LtvRun, { status: LtvRunStatus.FAILED, asOf: new Date('2000-01-01T00:00:00Z') });
      expect(failed).toMatchObject({ r: null, membersScored: 0 });
      expect(failed.error).toContain('no orders at or before');
      expect(await stored()).toEqual(before);
    });
  });
});

describe('LTV tiers', () => {
  let db: TestOrm;
  afterAll(() => db?.close());

  it('splits members with orders by predicted value at the configured percentiles; NEW without orders', async () => {
    db = await openTestOrm(4);
    const em = db.orm.em.fork();
    // 100 buyers whose first days all differ and whose values are continuous, so their predicted values differ
    // (but for members long gone, whose values round to the same few cents); and 3 members without orders.
    await insertPopulation(em, {
      members: 100,
      from: new Date('2024-01-01T00:00:00Z'),
      to: new Date('2025-10-01T00:00:00Z'),
      seed: 7,
      prefix: 'tiers',
      distinctFirstDays: true,
    });
    for (const index of [0, 1, 2]) {
      await em.execute(
        "insert into members (id, external_id, email, country, locale, status, joined_at, created_at, enrollment_hash, referral_code) values (gen_random_uuid(), ?, ?, 'US', 'en-US', 'ACTIVE', now(), now(), 'x', ?)",
        [`none-${index}`, `none-${index}@example.com`, `NONE${index + 2}ABC`],
      );
    }
    const asOf = new Date('2025-10-15T00:00:00Z');
    const counts = async (tierPercentiles: [number, number, number], cutEstimateMembers?: number) => {
      await runLtv(db.orm.em.fork(), { asOf, baseCurrency: 'USD', settings: { ...config.ltv, tierPercentiles }, waitForLock: true, cutEstimateMembers });
      const rows = await db.orm.em.fork().execute<{ tier: string; predicted: string }[]>('select tier, predicted_12m_minor as predicted from member_ltv');
      const buyers = rows.filter((row) => row.tier !== 'NEW');
      // The premise: no ties among the top 60 values (ties below them, near zero, cannot move a cut-off).
      const top = buyers.map((row) => Number(row.predicted)).sort((left, right) => right - left).slice(0, 60);
      expect(buyers).toHaveLength(100);
      expect(new Set(top).size).toBe(60);
      const byTier: Record<string, number[]> = {};
      for (const row of rows) (byTier[row.tier] ??= []).push(Number(row.predicted));
      // Each tier's values lie above the next one's.
      const order = ['VIP', 'HIGH', 'MEDIUM', 'LOW'].filter((tier) => byTier[tier]);
      for (let index = 1; index < order.length; index += 1) expect(Math.min(...byTier[order[index - 1]])).toBeGreaterThan(Math.max(...byTier[order[index]]));
      return Object.fromEntries(Object.entries(byTier).map(([tier, values]) => [tier, values.length]));
    };
    expect(await counts([5, 15, 30])).toEqual({ VIP: 5, HIGH: 15, MEDIUM: 30, LOW: 50, NEW: 3 });
    expect(await counts([10, 20, 30])).toEqual({ VIP: 10, HIGH: 20, MEDIUM: 30, LOW: 40, NEW: 3 });
    expect(await counts([0, 50, 0])).toEqual({ HIGH: 50, LOW: 50, NEW: 3 });
    // Written first with cut-offs estimated from a sample of ltv_rfm's pages (here 1% of them: mostly none, so every
    // buyer starts LOW), the tiers end the same: the exact cut-offs correct them.
    const tiersOf = async () => new Map((await db.orm.em.fork().execute<{ member_id: string; tier: string }[]>('select member_id, tier from member_ltv')).map((row) => [row.member_id, row.tier]));
    await counts([5, 15, 30]);
    const exact = await tiersOf();
    expect(await counts([5, 15, 30], 1)).toEqual({ VIP: 5, HIGH: 15, MEDIUM: 30, LOW: 50, NEW: 3 });
    expect(await tiersOf()).toEqual(exact);
    expect(await counts([0, 50, 0], 1)).toEqual({ HIGH: 50, LOW: 50, NEW: 3 });
  });
});

describe('LTV run swapping member_ltv in behind a slow reader', () => {
  let db: TestOrm;
  afterAll(() => db?.close());

  /** Until a run asks for member_ltv's exclusive lock (its swap) and waits for it. */
  const untilSwapWaitsForTable = async () => {
    const waiting = async () =>
      (await db.orm.em.fork().execute<{ waiting: number }[]>(
        "select count(*)::int as waiting from pg_locks where relation = 'member_ltv'::regclass and mode = 'AccessExclusiveLock' and not granted",
      ))[0].waiting > 0;
    while (!(await waiting())) await new Promise((resolve) => setTimeout(resolve, 5));
  };

  it('lets readers through while it waits for the table, then swaps once the slow reader is done', async () => {
    db = await openTestOrm(5);
    const em = db.orm.em.fork();
    await insertPopulation(em, { members: 60, from: new Date('2024-01-01T00:00:00Z'), to: new Date('2025-10-01T00:00:00Z'), seed: 11, prefix: 'swap' });
    const asOf = new Date('2025-10-15T00:00:00Z');
    const first = await runLtv(db.orm.em.fork(), { asOf, baseCurrency: 'USD', settings: config.ltv, waitForLock: true });

    // A reader that holds member_ltv (an export, a long growth query) until told to finish
    let finishReader!: () => void;
    const readerMayFinish = new Promise<void>((resolve) => (finishReader = resolve));
    let readerHolds!: () => void;
    const readerHolding = new Promise<void>((resolve) => (readerHolds = resolve));
    const reader = db.orm.em.fork().transactional(async (tx) => {
      await tx.execute('select count(*) from member_ltv');
      readerHolds();
      await readerMayFinish;
    });
    await readerHolding;
    const second = runLtv(db.orm.em.fork(), { asOf: new Date('2025-10-16T00:00:00Z'), baseCurrency: 'USD', settings: config.ltv, waitForLock: true });
    await untilSwapWaitsForTable();
    // Another reader is answered while the slow one still holds the table: it does not queue behind the swap
    const read = db.orm.em.fork().execute<{ run_id: string }[]>('select distinct run_id from member_ltv');
    const outcome = await Promise.race([read.then((rows) => rows), new Promise<'blocked'>((resolve) => setTimeout(() => resolve('blocked'), 10_000))]);
    finishReader();
    await reader;
    const record = await second;
    expect(outcome).toEqual([{ run_id: first!.id }]);
    expect(record!.status).toBe(LtvRunStatus.SUCCEEDED);
    expect(await db.orm.em.fork().execute('select distinct run_id from member_ltv')).toEqual([{ run_id: record!.id }]);
  });

  it('a REPEATABLE READ reader that holds member_ltv before its snapshot sees the previous scores, never an empty table', async () => {
    const em = db.orm.em.fork();
    const repeatable = { isolationLevel: IsolationLevel.REPEATABLE_READ };
    const scored = (tx: typeof em) => tx.execute<{ rows: number; runs: number }[]>('select count(*)::int as rows, count(distinct run_id)::int as runs from member_ltv');
    const [{ rows: members }] = await em.execute<{ rows: number }[]>('select count(*)::int as rows from members');
    const run = (day: number) => runLtv(db.orm.em.fork(), { asOf: new Date(Date.UTC(2025, 9, 20 + day)), baseCurrency: 'USD', settings: config.ltv, waitForLock: true });
    // The hazard: a snapshot taken before a swap committed finds the new table, and none of its rows
    const unheld = await em.fork().transactional(async (tx) => {
      await tx.execute('select count(*) from members');
      await run(0);
      return scored(tx);
    }, repeatable);
    expect(unheld).toEqual([{ rows: 0, runs: 0 }]);
    // Held first: the run waits for the reader, which sees the previous run's scores whole
    let swapped = false;
    const held = await em.fork().transactional(async (tx) => {
      await holdMemberLtvForSnapshot(tx);
      const [before] = await tx.execute<{ run_id: string }[]>('select distinct run_id from member_ltv');
      const running = run(1).then((record) => ((swapped = true), record));
      await untilSwapWaitsForTable();
      return { seen: await scored(tx), before, swappedWhileHeld: swapped, running };
    }, repeatable);
    expect(held.seen).toEqual([{ rows: members, runs: 1 }]);
    expect(held.swappedWhileHeld).toBe(false);
    const record = await held.running;
    expect(await scored(em.fork())).toEqual([{ rows: members, runs: 1 }]);
    expect(await em.fork().execute('select distinct run_id from member_ltv')).toEqual([{ run_id: record!.id }]);
    expect(record!.id).not.toBe(held.before.run_id);
  });
});

import { isEmptyProgramme, seedDemoData } from '../../src/db/seed';
import { Member } from '../../src/modules/members/member.entity';
import { AuditLog } from '../../src/modules/audit/audit-log.entity';
import { demoMembers, seedDemoProgramme } from '../../seeds/demo.seeder';
import { demoActivityPlan } from '../../seeds/demo-activity';
import { DEMO_GROWTH_MEMBERS, demoGrowthMembers, demoGrowthOrders } from '../../seeds/demo-growth';
import { DEMO_HISTORY_MEMBERS, DEMO_QUIET_SPENDERS, demoHistoryPlan } from '../../seeds/demo-history';
import { perksOfMembers } from '../../src/modules/tiers/perk.service';
import { growthQueryOrFail } from '../../src/modules/analytics/growth.service';
import { createServices } from '../../src/app/container';
import { systemScope } from '../../src/graphql/context';
import { loadConfig } from '../../src/config/config';
import { DEMO_REFERRED, DEMO_REWARDS } from '../../seeds/demo-rewards';
import { DEMO_RATES, DEMO_RECENT_RATES, demoLedgerPlan, ramadanWindow, RECENT_RATE_DAYS } from '../../seeds/demo-orders';
import { addDays, addMonths, DAY_MS } from '../../src/time';
import { openTestOrm, TestOrm } from '../helpers/database';
import { checkLedgerInvariants, NO_VIOLATIONS } from '../helpers/invariants';

/** What the demo programme is made of, table by table, and every member account's balances. */
async function snapshot(db: TestOrm) {
  const em = db.orm.em.fork();
  const counts: Record<string, number> = {};
  for (const table of ['members', 'orders', 'order_refunds', 'points_transfers', 'points_lots', 'points_holds', 'points_accounts', 'exchange_rates', 'earning_rules', 'audit_log', 'rewards', 'referrals', 'member_sightings', 'member_activity_days']) {
    const [{ count }] = await em.execute<{ count: string }[]>(`select count(*) as count from ${table}`);
    counts[table] = Number(count);
  }
  const balances = await em.execute('select member_id, currency, posted::text, pending::text, held::text from points_accounts order by id');
  const lots = await em.execute('select id, remaining::text, reversed::text, pending from points_lots order by id');
  return { counts, balances, lots };
}

interface OrderRow {
  external_id: string;
  member_external_id: string;
  country: string;
  joined_at: Date;
  currency: string;
  amount_minor: string;
  base_amount_minor: string;
  fx_rate: string;
  placed_at: Date;
  status: string;
  refunded_minor: string;
  points_earned: number;
  details: { earned: { PTS: { points: string; rules: { code: string; multiplier?: string; bonusPoints?: number }[] } } };
  first: boolean;
  id: string;
  /** The earn multiplier of the tier the member holds after seeding. */
  member_multiplier: string;
}

/**
 * The seed is planned from its clock: the whole suite runs for several fixed dates, with the process clock set
 * to each (only Date is faked, and it keeps ticking from there), so no expectation depends on today. Among them:
 * the day the suite once failed (a tail order inside the RAMADAN_2X window), 29 February (two days after a
 * window ended: orders inside it are recent), and a day inside each of two Ramadans (the campaign's next window).
 */
const SEED_DATES: { at: string; ramadan: [string, string] }[] = [
  { at: '2026-12-03T09:30:00Z', ramadan: ['2026-02-18', '2026-03-20'] },
  { at: '2028-02-29T12:00:00Z', ramadan: ['2028-01-28', '2028-02-27'] },
  { at: '2027-02-20T18:45:00Z', ramadan: ['2026-02-18', '2026-03-20'] },
  { at: '2026-03-05T06:00:00Z', ramadan: ['2025-03-01', '2025-03-31'] },
];
/** Everything the event loop and the database driver need stays real; only Date reads the fixed clock. */
const REAL_TIMERS = ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'requestAnimationFrame', 'cancelAnimationFrame', 'requestIdleCallback', 'cancelIdleCallback', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] as const;

// Seeding (twice, and once more for a later day) takes a while on a loaded machine.
jest.setTimeout(240_000);

describe.each(SEED_DATES)('demo seed as of $at', ({ at, ramadan }) => {
  let db: TestOrm;
  let emptyBefore: boolean;
  let afterFirst: Awaited<ReturnType<typeof snapshot>>;
  let afterSecond: Awaited<ReturnType<typeof snapshot>>;
  let seededAt: Date;
  const query = <T = any>(sql: string, values: unknown[] = []) => db.orm.em.fork().execute<T[]>(sql, values);
  /** The core demo orders as planned for `now`, each marked when its refunds add up to the whole amount. */
  const plannedOrders = (now: Date) => {
    const plan = demoLedgerPlan(demoMembers(now), now, { returnWindowDays: 14, expiryMonths: 12 });
    const refunded = new Map<string, number>();
    for (const refund of plan.refunds) refunded.set(refund.orderExternalId, (refunded.get(refund.orderExternalId) ?? 0) + Number(refund.amount.amount));
    return plan.orders.map((order) => ({ ...order, fullyRefunded: refunded.get(order.externalId) === Number(order.amount.amount) }));
  };
  /** The core members holding points earned 12 months or more before `now` (orders not refunded in full). */
  const membersWithPointsDue = (now: Date) =>
    [...new Set(plannedOrders(now).filter((order) => addMonths(order.placedAt, 12) <= now && !order.fullyRefunded).map((order) => order.memberExternalId))].sort();

  beforeAll(async () => {
    seededAt = new Date(at);
    jest.useFakeTimers({ now: seededAt, advanceTimers: true, doNotFake: [...REAL_TIMERS] });
    db = await openTestOrm();
    emptyBefore = await isEmptyProgramme(db.orm);
    await seedDemoData(db.orm, seededAt);
    afterFirst = await snapshot(db);
    await seedDemoData(db.orm, seededAt);
    afterSecond = await snapshot(db);
  });
  afterAll(async () => {
    jest.useRealTimers();
    await db.close();
  });

  it('loads members in several markets, locales and channels', async () => {
    expect(emptyBefore).toBe(true);
    expect(await isEmptyProgramme(db.orm)).toBe(false);
    const everyone = await db.orm.em.fork().find(Member, {}, { orderBy: { externalId: 'asc' } });
    expect(everyone).toHaveLength(demoMembers().length + DEMO_REFERRED.length + DEMO_GROWTH_MEMBERS + DEMO_HISTORY_MEMBERS + DEMO_QUIET_SPENDERS);
    // The core members; the long tail (demo-g-*, seeds/demo-growth.ts) has its own test below.
    const members = everyone.filter((member) => !member.externalId.startsWith('demo-g-') && !member.externalId.startsWith('demo-h-'));
    expect(members).toHaveLength(demoMembers().length + DEMO_REFERRED.length);
    expect(members).toHaveLength(26);
    expect(new Set(members.map((member) => member.country))).toEqual(new Set(['US', 'DE', 'ID', 'MY', 'SA', 'BR', 'JP', 'KW']));
    expect(new Set(members.map((member) => member.acquisitionChannel))).toEqual(new Set(['organic', 'google_ads', 'tiktok', 'instagram', 'referral']));
    expect(members.find((member) => member.externalId === 'demo-id-1')).toMatchObject({ locale: 'id-ID', email: 'siti.id@demo.perkgraph.dev' });
    // What the CI smoke query reads.
    expect(members.find((member) => member.externalId === 'demo-jp-1')).toMatchObject({ country: 'JP', locale: 'ja-JP', acquisitionCostMinor: 0n, acquisitionCostCurrency: 'JPY' });
  });

  it('changes nothing when it runs a second time the same day', () => {
    expect(afterSecond).toEqual(afterFirst);
    // The long tail: members, their orders (one EARN and one lot each), and one PTS account per member who ordered.
    const tail = demoGrowthMembers(seededAt);
    const tailOrders = demoGrowthOrders(tail, seededAt);
    const tailBuyers = new Set(tailOrders.map((order) => order.memberExternalId)).size;
    const expiring = membersWithPointsDue(seededAt);
    expect(afterFirst.counts).toEqual({
      // the demo members, two who signed up with a referral code (seeds/demo-rewards.ts), the long tail, the imported history
      members: 24 + 2 + DEMO_GROWTH_MEMBERS + DEMO_HISTORY_MEMBERS + DEMO_QUIET_SPENDERS,
      orders: 156 + tailOrders.length + demoHistoryPlan(seededAt).orders.length, // imported history orders earn no points
      order_refunds: 8,
      // 156 earns, one expiry per member with points due (about 12), 8 reversals, 2 redemptions, 1 adjustment; no
      // vests: orders placed longer ago than the return window earn posted points at once, and the others are still pending.
      // ... and 2 REFERRAL_BONUS per qualified referral (4), each with its lot; one EARN and one lot per tail order.
      points_transfers: 156 + expiring.length + 8 + 2 + 1 + 8 + tailOrders.length,
      points_lots: 156 + 1 + 8 + tailOrders.length,
      points_holds: 2,
      points_accounts: 24 + 6 + tailBuyers, // PTS for each demo member and tail member who ordered; ISSUANCE, EXPIRY, REVERSAL, REDEMPTION, ADJUSTMENT, REFERRAL
      exchange_rates: 10,
      earning_rules: 2,
      // Seeds run as the system (no caller, nothing audited), except the adjustment: only staff may adjust
      // points, so it runs as the admin "demo-seed" and writes the one audit row every adjustment writes.
      audit_log: 1,
      member_activity_days: demoActivityPlan([...demoMembers(seededAt), ...tail], seededAt).length,
      rewards: 6,
      referrals: 4 + 2,
      member_sightings: 2, // the device demo-de-1 and demo-ref-device share
    });
  });

  it('does not fail, and adds nothing, when it runs again on a later day', async () => {
    await seedDemoProgramme(db.orm.em.fork(), addDays(seededAt, 3));
    const later = await snapshot(db);
    expect(later).toEqual(afterFirst);
  });

  it('sets a rate for every demo currency from 2 years + 1 month ago, and a newer one for IDR, BRL and JPY', async () => {
    const today = new Date(Math.floor(seededAt.getTime() / DAY_MS) * DAY_MS);
    const rates = (
      await query<{ currency: string; rate: string; effective_at: string; created_by: string | null }>(
        'select currency, rate::float8::text as rate, effective_at, created_by from exchange_rates order by currency, effective_at',
      )
    ).map((rate) => ({ ...rate, effective_at: new Date(rate.effective_at) }));
    const expected = Object.entries(DEMO_RATES)
      .filter(([currency]) => currency !== 'USD')
      .flatMap(([currency, rate]) => [
        { currency, rate, effective_at: addMonths(today, -25), created_by: null },
        ...(DEMO_RECENT_RATES[currency] ? [{ currency, rate: DEMO_RECENT_RATES[currency], effective_at: addDays(today, -RECENT_RATE_DAYS), created_by: null }] : []),
      ])
      .sort((a, b) => a.currency.localeCompare(b.currency) || a.effective_at.getTime() - b.effective_at.getTime());
    expect(rates).toEqual(expected);
    expect(rates.map((rate) => rate.currency)).toEqual(['BRL', 'BRL', 'EUR', 'IDR', 'IDR', 'JPY', 'JPY', 'KWD', 'MYR', 'SAR']);
    // Every order was converted at the rate in force when it was placed; some at the newer rates.
    const [{ wrong, newer }] = await query(
      `select count(*) filter (where o.fx_rate::numeric <> coalesce(r.rate, 1))::int as wrong,
              count(*) filter (where r.effective_at > ?::timestamptz - interval '200 days')::int as newer
       from orders o left join lateral (
         select rate, effective_at from exchange_rates where currency = o.currency and effective_at <= o.placed_at order by effective_at desc limit 1
       ) r on true`,
      [seededAt],
    );
    expect(wrong).toBe(0);
    expect(newer).toBeGreaterThan(0);
  });

  describe('orders', () => {
    let orders: OrderRow[];
    beforeAll(async () => {
      orders = (await query<OrderRow>(
        `select o.external_id, m.external_id as member_external_id, m.country, m.joined_at, o.currency, o.amount_minor, o.base_amount_minor, o.fx_rate,
                o.placed_at, o.status, o.refunded_minor, o.points_earned, o.details,
                not exists (select 1 from orders e where e.member_id = o.member_id and e.placed_at < o.placed_at) as first, o.id,
                coalesce((select t.earn_multiplier from member_tiers mt join tiers t on t.code = mt.tier_code where mt.member_id = o.member_id), '1') as member_multiplier
         from orders o join members m on m.id = o.member_id where m.external_id not like 'demo-g-%' and m.external_id not like 'demo-h-%' order by o.external_id`,
      )).map((order) => ({ ...order, placed_at: new Date(order.placed_at), joined_at: new Date(order.joined_at) }));
    });

    it('gives every member 2 to 11 orders in its own currency, after it joined and over the past two years', () => {
      expect(orders).toHaveLength(156);
      const perMember = new Map<string, number>();
      for (const order of orders) perMember.set(order.member_external_id, (perMember.get(order.member_external_id) ?? 0) + 1);
      expect(perMember.size).toBe(24);
      expect(Math.min(...perMember.values())).toBe(2);
      expect(Math.max(...perMember.values())).toBe(11);
      const currencyOf: Record<string, string> = { US: 'USD', DE: 'EUR', ID: 'IDR', MY: 'MYR', SA: 'SAR', BR: 'BRL', JP: 'JPY', KW: 'KWD' };
      expect(orders.filter((order) => order.currency !== currencyOf[order.country])).toEqual([]);
      expect(new Set(orders.map((order) => order.currency))).toEqual(new Set(Object.values(currencyOf)));
      expect(orders.filter((order) => !(order.placed_at > order.joined_at && order.placed_at < seededAt))).toEqual([]);
      expect(Math.min(...orders.map((order) => order.placed_at.getTime()))).toBeGreaterThan(addMonths(seededAt, -24).getTime());
      // Amounts look like each market's prices: yen in thousands, rupiah in thousands, dinars with fils.
      const jpy = orders.filter((order) => order.currency === 'JPY').map((order) => BigInt(order.amount_minor));
      expect(jpy.every((amount) => amount >= 1500n && amount <= 32000n && amount % 10n === 0n)).toBe(true);
      const idr = orders.filter((order) => order.currency === 'IDR').map((order) => BigInt(order.amount_minor));
      expect(idr.every((amount) => amount >= 15_000_000n && amount <= 250_000_000n && amount % 100_000n === 0n)).toBe(true);
      expect(orders.some((order) => order.currency === 'KWD' && BigInt(order.amount_minor) % 10n !== 0n)).toBe(true);
    });

    it('earns 1 PTS per USD times the tier multiplier, doubled by RAMADAN_2X on ID, MY and SA orders in its window, plus WELCOME_50 on first orders', async () => {
      const [rule] = await query('select code, markets, starts_at, ends_at, multiplier, first_order_only from earning_rules where code = ?', ['RAMADAN_2X']);
      const window = ramadanWindow(new Date(Math.floor(seededAt.getTime() / DAY_MS) * DAY_MS));
      expect({ ...rule, starts_at: new Date(rule.starts_at), ends_at: new Date(rule.ends_at) }).toEqual({ code: 'RAMADAN_2X', markets: ['ID', 'MY', 'SA'], starts_at: window.startsAt, ends_at: window.endsAt, multiplier: '2', first_order_only: false });
      expect(window).toEqual({ startsAt: new Date(`${ramadan[0]}T00:00:00Z`), endsAt: new Date(`${ramadan[1]}T00:00:00Z`) });
      const [welcome] = await query('select code, markets, starts_at, multiplier, bonus_points, first_order_only from earning_rules where code = ?', ['WELCOME_50']);
      expect(welcome).toEqual({ code: 'WELCOME_50', markets: null, starts_at: null, multiplier: null, bonus_points: 50, first_order_only: true });

      const inRamadan = (order: OrderRow) => ['ID', 'MY', 'SA'].includes(order.country) && order.placed_at >= window.startsAt && order.placed_at < window.endsAt;
      // The tier multiplier an order earned at (the member's tier when it was recorded): 1, or a TIER rule.
      const tierMultiplierOf = (order: OrderRow) => order.details.earned.PTS.rules.find((applied) => applied.code === 'TIER')?.multiplier ?? '1';
      for (const order of orders) {
        const multiplier = inRamadan(order) ? 2n : 1n;
        const tier = tierMultiplierOf(order);
        expect(['1', '1.25', '1.5', '2']).toContain(tier);
        const [whole, fraction = ''] = tier.split('.');
        const tierUnits = BigInt(whole + fraction);
        const tierScale = 10n ** BigInt(fraction.length);
        const expectedPoints = (BigInt(order.base_amount_minor) * multiplier * tierUnits) / (100n * tierScale) + (order.first ? 50n : 0n);
        const expectedRules = [
          ...(tier !== '1' ? [{ code: 'TIER', multiplier: tier }] : []),
          ...(inRamadan(order) ? [{ code: 'RAMADAN_2X', multiplier: '2' }] : []),
          ...(order.first ? [{ code: 'WELCOME_50', bonusPoints: 50 }] : []),
        ];
        expect({ order: order.external_id, points: order.points_earned, details: order.details }).toEqual({
          order: order.external_id,
          points: Number(expectedPoints),
          details: { earned: { PTS: { points: expectedPoints.toString(), rules: expectedRules } } },
        });
      }
      // Tiers only go up while orders are recorded: per member, in the order they were recorded, the multiplier
      // never falls, and the last one is the multiplier of the tier the member holds now.
      const byMember = new Map<string, OrderRow[]>();
      for (const order of [...orders].sort((a, b) => a.id.localeCompare(b.id))) byMember.set(order.member_external_id, [...(byMember.get(order.member_external_id) ?? []), order]);
      for (const [member, recorded] of byMember) {
        const multipliers = recorded.map((order) => Number(tierMultiplierOf(order)));
        expect({ member, multipliers }).toEqual({ member, multipliers: [...multipliers].sort((a, b) => a - b) });
        expect({ member, last: tierMultiplierOf(recorded[recorded.length - 1]) }).toEqual({ member, last: recorded[0].member_multiplier });
      }
      // The demo programme has members above BRONZE, so the tier multiplier really is exercised here.
      expect(orders.filter((order) => tierMultiplierOf(order) !== '1').length).toBeGreaterThan(5);
      const ramadanOrders = orders.filter(inRamadan);
      const plan = demoLedgerPlan(demoMembers(seededAt), seededAt, { returnWindowDays: 14, expiryMonths: 12 });
      expect(ramadanOrders.map((order) => order.external_id)).toEqual(
        plan.orders.filter((order) => /^demo-(id|my|sa)-/.test(order.externalId) && order.placedAt >= window.startsAt && order.placedAt < window.endsAt).map((order) => order.externalId).sort(),
      );
      expect(ramadanOrders.length).toBeGreaterThan(0);
      // The EARN transfers carry the same rules.
      const earns = await query<{ reference: string; details: { rules: { code: string }[] } }>(
        "select reference, details from points_transfers where kind = 'EARN' and details->'rules' @> '[{\"code\": \"RAMADAN_2X\"}]' and reference not like 'order:demo-g-%' order by reference",
      );
      expect(earns.map((earn) => earn.reference)).toEqual(ramadanOrders.map((order) => `order:${order.external_id}`));
      expect(orders.filter((order) => order.first)).toHaveLength(24);
    });

    it('refunds a handful of orders, in part and in full, taking back points in proportion', async () => {
      const refunds = await query<{ refund_id: string; amount_minor: string; order_external_id: string }>(
        'select r.refund_id, r.amount_minor::text, o.external_id as order_external_id from order_refunds r join orders o on o.id = r.order_id order by r.refund_id',
      );
      expect(refunds.map((refund) => refund.refund_id)).toEqual([
        'demo-br-2-o02-r1',
        'demo-de-2-o05-r1',
        'demo-id-3-o02-r1',
        'demo-id-3-o02-r2',
        'demo-jp-3-o10-r1',
        'demo-my-3-o02-r1',
        'demo-sa-2-o01-r1',
        'demo-us-2-o02-r1',
      ]);
      const byStatus = (status: string) => orders.filter((order) => order.status === status).map((order) => order.external_id);
      expect(byStatus('REFUNDED')).toEqual(['demo-de-2-o05', 'demo-jp-3-o10', 'demo-sa-2-o01']);
      expect(byStatus('PARTIALLY_REFUNDED')).toEqual(['demo-br-2-o02', 'demo-id-3-o02', 'demo-my-3-o02', 'demo-us-2-o02']);
      expect(byStatus('PAID')).toHaveLength(149);
      for (const order of orders) {
        const refunded = refunds.filter((refund) => refund.order_external_id === order.external_id).reduce((sum, refund) => sum + BigInt(refund.amount_minor), 0n);
        expect({ order: order.external_id, refunded: BigInt(order.refunded_minor) }).toEqual({ order: order.external_id, refunded });
        if (order.status === 'REFUNDED') expect(refunded).toBe(BigInt(order.amount_minor));
        if (order.status === 'PARTIALLY_REFUNDED') expect(refunded > 0n && refunded < BigInt(order.amount_minor)).toBe(true);
      }
      // Reversals: floor(points x refunded share) per order, all of a fully refunded order's points.
      const reversed = await query<{ external_id: string; points_earned: number; refunded_minor: string; amount_minor: string; reversed: string; pending_reversed: string }>(
        `select o.external_id, o.points_earned, o.refunded_minor, o.amount_minor,
                coalesce(sum(t.amount), 0)::text as reversed, coalesce(sum(t.amount) filter (where t.bucket = 'PENDING'), 0)::text as pending_reversed
         from orders o join points_transfers t on t.order_id = o.id and t.kind = 'REVERSAL' group by o.id order by o.external_id`,
      );
      expect(reversed.map((row) => row.external_id)).toEqual(['demo-br-2-o02', 'demo-de-2-o05', 'demo-id-3-o02', 'demo-jp-3-o10', 'demo-my-3-o02', 'demo-sa-2-o01', 'demo-us-2-o02']);
      for (const row of reversed) {
        expect(BigInt(row.reversed)).toBe((BigInt(row.points_earned) * BigInt(row.refunded_minor)) / BigInt(row.amount_minor));
      }
      // The two latest orders refunded in full were still pending: their points never vested.
      expect(reversed.filter((row) => row.pending_reversed !== '0').map((row) => [row.external_id, row.pending_reversed === row.reversed])).toEqual([
        ['demo-de-2-o05', true],
        ['demo-jp-3-o10', true],
      ]);
    });
  });

  it('leaves points pending on orders inside the return window, and nothing else pending', async () => {
    const rows = await query<{ external_id: string; pending: string; expected: string }>(
      `select m.external_id, a.pending::text,
              coalesce((select sum(o.points_earned) from orders o
                        where o.member_id = m.id and o.placed_at > ?::timestamptz - interval '14 days' and o.status <> 'REFUNDED'), 0)::text as expected
       from members m join points_accounts a on a.member_id = m.id and a.currency = 'PTS' order by m.external_id`,
      [seededAt],
    );
    expect(rows.filter((row) => row.pending !== row.expected)).toEqual([]);
    // The orders planned inside the return window that were not refunded in full: about 11 of them.
    const inWindow = plannedOrders(seededAt).filter((order) => order.placedAt.getTime() > seededAt.getTime() - 14 * DAY_MS && !order.fullyRefunded);
    expect(inWindow.length).toBeGreaterThan(5);
    expect(rows.filter((row) => row.pending !== '0')).toHaveLength(new Set(inWindow.map((order) => order.memberExternalId)).size);
    const [{ pending }] = await query("select count(*)::int as pending from points_lots where pending and remaining > 0");
    expect(pending).toBe(inWindow.length);
  });

  it('expires what is left of points earned more than 12 months ago', async () => {
    const expired = await query<{ external_id: string; expired: string; due: string }>(
      `select m.external_id,
              (select sum(t.amount) from points_transfers t where t.member_id = m.id and t.kind = 'EXPIRE')::text as expired,
              (select sum(l.amount - l.reversed) from points_lots l where l.member_id = m.id and l.expires_at <= ?)::text as due
       from members m where exists (select 1 from points_transfers t where t.member_id = m.id and t.kind = 'EXPIRE') order by m.external_id`,
      [seededAt],
    );
    // The members with an order from more than a year ago (about twelve, and only they) had points expire: all that was left.
    expect(expired.map((row) => row.external_id)).toEqual(membersWithPointsDue(seededAt));
    expect(expired.length).toBeGreaterThanOrEqual(8);
    expect(expired.filter((row) => row.expired !== row.due)).toEqual([]);
    const [{ left }] = await query('select count(*)::int as left from points_lots where expires_at <= ? and remaining > 0', [seededAt]);
    expect(left).toBe(0);
  });

  it('redeems points at checkout twice (hold, then capture) and adjusts once as an admin', async () => {
    const holds = await query(
      `select m.external_id, h.points::int, h.status, h.order_ref, t.amount::int as redeemed, t.reference = 'hold:' || h.id as linked
       from points_holds h join members m on m.id = h.member_id join points_transfers t on t.id = h.transfer_id order by m.external_id`,
    );
    expect(holds).toEqual([
      { external_id: 'demo-my-1', points: 200, status: 'CAPTURED', order_ref: 'demo-my-1-checkout-1', redeemed: 200, linked: true },
      { external_id: 'demo-us-4', points: 150, status: 'CAPTURED', order_ref: 'demo-us-4-checkout-1', redeemed: 150, linked: true },
    ]);
    const adjustments = await query(
      `select m.external_id, t.amount::int, t.credit_account_id = a.id as credited, t.reason, t.idempotency_key, t.details
       from points_transfers t join members m on m.id = t.member_id join points_accounts a on a.member_id = m.id where t.kind = 'ADJUSTMENT'`,
    );
    expect(adjustments).toEqual([
      {
        external_id: 'demo-jp-1',
        amount: 500,
        credited: true,
        reason: 'Goodwill: parcel arrived late (demo)',
        idempotency_key: 'demo-jp-1-goodwill-1',
        details: { actor: 'demo-seed', role: 'admin' },
      },
    ]);
    const audit = await db.orm.em.fork().find(AuditLog, {});
    expect(audit.map(({ actor, role, action }) => ({ actor, role, action }))).toEqual([{ actor: 'demo-seed', role: 'admin', action: 'points.adjust' }]);
  });

  it('adds a long tail of lighter members: a third never order, the rest once or twice, 20 to 330 days ago', async () => {
    const tail = demoGrowthMembers(seededAt);
    const planned = demoGrowthOrders(tail, seededAt);
    const rows = await query<{ external_id: string; orders: number; outside: number }>(
      `select m.external_id, count(o.id)::int as orders,
              count(o.id) filter (where o.placed_at <= m.joined_at or o.placed_at > ?::timestamptz - interval '20 days' or o.placed_at < ?::timestamptz - interval '331 days')::int as outside
       from members m left join orders o on o.member_id = m.id where m.external_id like 'demo-g-%' group by m.external_id order by m.external_id`,
      [seededAt, seededAt],
    );
    expect(rows).toHaveLength(DEMO_GROWTH_MEMBERS);
    expect(rows.reduce((sum, row) => sum + row.orders, 0)).toBe(planned.length);
    expect(rows.filter((row) => row.outside > 0)).toEqual([]);
    expect(rows.filter((row) => row.orders === 0).length).toBeGreaterThanOrEqual(DEMO_GROWTH_MEMBERS / 3);
    expect(Math.max(...rows.map((row) => row.orders))).toBe(2);
    // Tail orders in ID, MY and SA inside the campaign's window earn RAMADAN_2X like any other order.
    const window = ramadanWindow(new Date(Math.floor(seededAt.getTime() / DAY_MS) * DAY_MS));
    const marketOf = new Map(tail.map((member) => [member.externalId, member.country]));
    const earns = await query<{ reference: string }>(
      "select reference from points_transfers where kind = 'EARN' and details->'rules' @> '[{\"code\": \"RAMADAN_2X\"}]' and reference like 'order:demo-g-%' order by reference",
    );
    expect(earns.map((earn) => earn.reference)).toEqual(
      planned
        .filter((order) => ['ID', 'MY', 'SA'].includes(marketOf.get(order.memberExternalId)!) && order.placedAt >= window.startsAt && order.placedAt < window.endsAt)
        .map((order) => `order:${order.externalId}`)
        .sort(),
    );
  });

  it("makes the README's growth query look like a real programme", async () => {
    const today = new Date(Math.floor(seededAt.getTime() / DAY_MS) * DAY_MS);
    const { growth } = createServices();
    const scope = systemScope(db.orm.em.fork(), 'seed-test', loadConfig({ NODE_ENV: 'test' }));
    const year = growthQueryOrFail(addMonths(today, -12), today);
    const [acquisition, activation, retention, revenue, referral, engagement] = await Promise.all([
      growth.acquisition(scope, year), growth.activation(scope, year), growth.retention(scope, year), growth.revenue(scope, year), growth.referral(scope, year),
      growth.engagement(scope, growthQueryOrFail(addDays(today, -30), today)),
    ]);
    // Loose bounds: the demo is planned relative to today, so its exact numbers move with the calendar.
    expect(acquisition.newMembers).toBeGreaterThan(30);
    expect(acquisition.costsWithoutRate).toBe(0);
    const cacOf = (channel: string) => acquisition.byChannel.find((row) => row.channel === channel)?.cac.valueMinor;
    for (const paid of ['google_ads', 'tiktok', 'instagram']) expect([paid, cacOf(paid)! > 2000n && cacOf(paid)! < 6000n]).toEqual([paid, true]);
    expect([cacOf('organic'), cacOf('referral')]).toEqual([0n, 0n]);
    expect(acquisition.overseasShare.value).toBeGreaterThan(0.4);
    expect(acquisition.overseasShare.value).toBeLessThan(0.8);
    // Not every sign-up orders: the long tail has members who never did, and slow starters.
    expect(activation.firstOrderWithin7Days.value).toBeGreaterThan(0.3);
    expect(activation.firstOrderWithin7Days.value).toBeLessThan(activation.firstOrderWithin30Days.value!);
    expect(activation.firstOrderWithin30Days.value).toBeLessThan(0.9);
    expect(retention.cohorts.length).toBeGreaterThanOrEqual(11);
    expect(retention.repeatPurchaseRate.value).toBeGreaterThan(0.2);
    expect(retention.repeatPurchaseRate.value).toBeLessThan(0.9);
    expect(revenue.netRevenueMinor).toBeLessThan(revenue.gmvMinor);
    expect(revenue.highValueShare.numerator).toBeGreaterThanOrEqual(1);
    expect(revenue.highValueShare.value).toBeLessThan(0.4);
    // Some referral-channel demo members joined in the last year (their referrals qualified when the seed ran,
    // after `to` = today 00:00, so as of `to` they are still pending).
    expect(referral.referralRate.numerator).toBeGreaterThanOrEqual(1);
    expect(referral.referralConversion.denominator).toBe(referral.referralRate.numerator);
    const monthStart = addDays(today, -30).toISOString().slice(0, 10);
    const active = demoActivityPlan([...demoMembers(seededAt), ...demoGrowthMembers(seededAt)], seededAt).filter((entry) => entry.day >= monthStart);
    expect(engagement.mau).toBe(new Set(active.map((entry) => entry.memberExternalId)).size);
    expect(engagement.mau).toBeGreaterThan(60);
    expect(engagement.dauMau.value).toBeGreaterThan(0.15);
    expect(engagement.dauMau.value).toBeLessThan(0.6);
  });

  it('loads a rewards catalog of every kind with names in several languages', async () => {
    const rewards = await query<{ code: string; kind: string; names: Record<string, string>; stock_remaining: number | null; markets: string[]; min_tier_code: string | null }>(
      'select code, kind, names, stock_remaining, markets, min_tier_code from rewards order by code',
    );
    expect(rewards.map((reward) => reward.code)).toEqual(DEMO_REWARDS.map((reward) => reward.code).sort());
    expect(new Set(rewards.map((reward) => reward.kind))).toEqual(new Set(['PRODUCT', 'FIXED_DISCOUNT', 'PERCENT_DISCOUNT', 'FREE_SHIPPING']));
    const tote = rewards.find((reward) => reward.code === 'TOTE_BAG')!;
    expect(Object.keys(tote.names).sort()).toEqual(['ar', 'de', 'en', 'id', 'ja', 'ms', 'pt']);
    expect(tote.stock_remaining).toBe(50);
    expect(rewards.find((reward) => reward.code === 'RAMADAN_15')!.markets).toEqual(['ID', 'MY', 'SA']);
    expect(rewards.find((reward) => reward.code === 'GOLD_LOUNGE')!.min_tier_code).toBe('GOLD');
  });

  it('has referrals in each status: qualified (both rewarded), pending and rejected', async () => {
    const referrals = await query<{ referee: string; referrer: string; status: string; rejection_reason: string | null; bonuses: number }>(
      `select e.external_id as referee, r2.external_id as referrer, r.status, r.rejection_reason,
         (select count(*)::int from points_transfers t where t.kind = 'REFERRAL_BONUS' and t.reference = 'referral:' || r.id) as bonuses
       from referrals r join members e on e.id = r.member_id join members r2 on r2.id = r.referrer_id order by e.external_id`,
    );
    const referralChannel = demoMembers().filter((member) => member.acquisitionChannel === 'referral').map((member) => member.externalId);
    expect(referrals).toEqual(
      [
        ...referralChannel.map((referee) => ({ referee, referrer: 'demo-us-1', status: 'QUALIFIED', rejection_reason: null, bonuses: 2 })),
        { referee: 'demo-ref-device', referrer: 'demo-de-1', status: 'REJECTED', rejection_reason: 'DUPLICATE_DEVICE', bonuses: 0 },
        { referee: 'demo-ref-pending', referrer: 'demo-my-1', status: 'PENDING', rejection_reason: null, bonuses: 0 },
      ].sort((a, b) => a.referee.localeCompare(b.referee)),
    );
    expect(referralChannel).toHaveLength(4);
  });

  it('imports a thousand members of purchase history and scores everyone with LTV at once: every tier and churn risk', async () => {
    const plan = demoHistoryPlan(seededAt);
    const [history] = await query<{ members: number; orders: number }>(
      "select count(distinct m.id)::int as members, count(o.id)::int as orders from members m left join orders o on o.member_id = m.id where m.external_id like 'demo-h-%'",
    );
    expect(history).toEqual({ members: plan.members.length, orders: plan.orders.length });
    const runs = (await query<{ status: string; fitted_on: number; members_scored: number; as_of: string }>('select status, fitted_on, members_scored, as_of from ltv_runs'))
      .map((run) => ({ ...run, as_of: new Date(run.as_of) }));
    const [{ everyone, buyers }] = await query<{ everyone: number; buyers: number }>(
      'select count(*)::int as everyone, count(*) filter (where exists (select 1 from orders o where o.member_id = m.id and o.placed_at <= ?))::int as buyers from members m',
      [seededAt],
    );
    // One run (the second seed finds it and does not run again), as of the seed's clock, on every member.
    expect(runs).toEqual([{ status: 'SUCCEEDED', fitted_on: buyers, members_scored: everyone, as_of: seededAt }]);
    const grid = await query<{ tier: string; churn_risk: string; members: number }>('select tier, churn_risk, count(*)::int as members from member_ltv group by 1, 2');
    expect(new Set(grid.map((cell) => cell.tier))).toEqual(new Set(['VIP', 'HIGH', 'MEDIUM', 'LOW', 'NEW']));
    expect(new Set(grid.map((cell) => cell.churn_risk))).toEqual(new Set(['LOW', 'MEDIUM', 'HIGH']));
    for (const tier of ['VIP', 'HIGH', 'MEDIUM', 'LOW']) {
      expect({ tier, risks: new Set(grid.filter((cell) => cell.tier === tier).map((cell) => cell.churn_risk)) }).toEqual({ tier, risks: new Set(['LOW', 'MEDIUM', 'HIGH']) });
    }
    // The churn early warning lists the big spenders gone quiet (membersAtRisk reads exactly this).
    const atRisk = await query<{ external_id: string; probability_alive: number }>(
      "select m.external_id, l.probability_alive from member_ltv l join members m on m.id = l.member_id where l.churn_risk = 'HIGH' and l.tier in ('VIP', 'HIGH')",
    );
    expect(atRisk.length).toBeGreaterThanOrEqual(DEMO_QUIET_SPENDERS / 2);
    expect(atRisk.filter((row) => row.probability_alive >= 0.3 || !Number.isFinite(row.probability_alive))).toEqual([]);
    // LTV perks show: a VIP holds dedicated support from LTV:VIP, a HIGH member priority support from LTV:HIGH.
    const [vip] = await query<{ member_id: string }>("select member_id from member_ltv where tier = 'VIP' order by predicted_12m_minor desc limit 1");
    const [high] = await query<{ member_id: string }>("select member_id from member_ltv where tier = 'HIGH' order by predicted_12m_minor desc limit 1");
    const perks = await perksOfMembers(db.orm.em.fork(), [vip.member_id, high.member_id]);
    expect(perks.get(vip.member_id)!.filter((perk) => perk.source === 'LTV:VIP').map((perk) => perk.code)).toEqual(['DEDICATED_SUPPORT']);
    expect(perks.get(high.member_id)!.filter((perk) => perk.source === 'LTV:HIGH').map((perk) => perk.code)).toEqual(['PRIORITY_SUPPORT']);
  });

  it('keeps the ledger invariants', async () => {
    expect(await checkLedgerInvariants(db.orm)).toEqual(NO_VIOLATIONS);
  });
});

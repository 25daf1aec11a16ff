import { compareCodePoints, HistoryOrder, MemberStanding, prepareProgramme, replayMember, settleAccount } from '../../src/modules/import/history-replay';
import { campaignRuleOf } from '../../src/modules/orders/earning';

/*
 * The import's replay against cases worked by hand: recordOrder then refundOrder per order, at the import's clock.
 * Programme: USD base (2 digits), 14-day return window, 12-month tier window and retention; BRONZE (x1) and SILVER
 * from 500.00 (x1.5); PTS at 1 point per USD (lots for 12 months) and MILES at 0.5 (6 months); WELCOME +100 on a
 * first order, DOUBLE_DE x2 in Germany.
 */

const NOW = new Date('2026-03-15T12:00:00Z');
const tier = (code: string, rank: number, threshold: bigint, multiplier: string) => ({ code, name: code, names: {}, rank, thresholdMinor: threshold, earnMultiplier: multiplier });
const rule = (code: string, fields: Partial<Parameters<typeof campaignRuleOf>[0]>) =>
  campaignRuleOf({ code, currency: 'PTS', markets: null, starts_at: null, ends_at: null, min_order_base_minor: null, first_order_only: false, multiplier: null, bonus_points: null, ...fields });

const prepared = prepareProgramme({
  now: NOW,
  baseDigits: 2,
  baseCurrency: 'USD',
  returnWindowDays: 14,
  windowStart: new Date('2025-03-15T12:00:00Z'),
  tierWindowMonths: 12,
  tierRetentionMonths: 12,
  ladder: [tier('BRONZE', 1, 0n, '1'), tier('SILVER', 2, 50_000n, '1.5')],
  rules: [rule('WELCOME', { first_order_only: true, bonus_points: 100 }), rule('DOUBLE_DE', { markets: ['DE'], multiplier: '2' })],
  currencies: [
    { code: 'MILES', earnRate: { units: 5n, scale: 1 }, expiryMonths: 6 },
    { code: 'PTS', earnRate: { units: 1n, scale: 0 }, expiryMonths: 12 },
  ],
});

const order = (externalId: string, amountMinor: bigint, placedAt: string, refundedMinor = 0n): HistoryOrder => ({
  line: 0, id: `id-${externalId}`, externalId, amountMinor, currency: 'USD', baseAmountMinor: amountMinor, fxRate: '1', placedAt: new Date(placedAt),
  refundedMinor, refundHash: refundedMinor > 0n ? 'refund-hash' : null, requestHash: 'hash',
});
const newMember = (country: string): MemberStanding => ({ memberId: 'm', country, tierCode: 'BRONZE', retainUntil: null, spendMinor: 0n, firstPlacedAtMs: null });

describe('history replay', () => {
  it('replays a new member: first-order bonus, market multiplier, an upgrade that the crossing order already earns at, pending and refunded', () => {
    const vested = order('a', 30_000n, '2025-12-01T00:00:00Z');
    // Within the return window (vests 2026-03-24, after now); 100.00 of 250.00 refunded.
    const recent = order('b', 25_000n, '2026-03-10T00:00:00Z', 10_000n);
    const replay = replayMember(prepared, newMember('DE'), [recent, vested]);

    expect(replay.orders.map((o) => [o.order.externalId, o.status, o.pointsEarned, o.details])).toEqual([
      // 300.00 x 1 x 2 = 600 + 100; MILES 300.00 x 0.5 = 150.
      ['a', 'PAID', 700n, { earned: {
        MILES: { points: '150', rules: [] },
        PTS: { points: '700', rules: [{ code: 'DOUBLE_DE', multiplier: '2' }, { code: 'WELCOME', bonusPoints: 100 }] },
      } }],
      // Spend 300.00 + 250.00 (gross: its refund comes after it) reaches SILVER: 250.00 x 1.5 x 2 = 750; MILES 250.00 x 0.5 x 1.5 = 187.5, floored.
      ['b', 'PARTIALLY_REFUNDED', 750n, { earned: {
        MILES: { points: '187', rules: [{ code: 'TIER', multiplier: '1.5' }] },
        PTS: { points: '750', rules: [{ code: 'TIER', multiplier: '1.5' }, { code: 'DOUBLE_DE', multiplier: '2' }] },
      } }],
    ]);
    expect(replay.earns.map((e) => [e.order.externalId, e.currency, e.points, e.pending, e.vestsAt?.toISOString() ?? null, e.expiresAt.toISOString(), e.clawback])).toEqual([
      ['a', 'MILES', 150n, false, null, '2026-06-01T00:00:00.000Z', 0n],
      ['a', 'PTS', 700n, false, null, '2026-12-01T00:00:00.000Z', 0n],
      // floor(187 x 100.00 / 250.00) = 74; floor(750 x 0.4) = 300.
      ['b', 'MILES', 187n, true, '2026-03-24T00:00:00.000Z', '2026-09-10T00:00:00.000Z', 74n],
      ['b', 'PTS', 750n, true, '2026-03-24T00:00:00.000Z', '2027-03-10T00:00:00.000Z', 300n],
    ]);
    expect(replay.tierChanges.map((c) => [c.order.externalId, c.fromTier, c.toTier, c.spendMinor])).toEqual([['b', 'BRONZE', 'SILVER', 55_000n]]);
    expect(replay.tierAfter).toEqual({ code: 'SILVER', retainUntil: new Date('2027-03-15T12:00:00Z') });
    expect(replay.vestedAtOnce).toBe(true);

    const pts = replay.earns.filter((e) => e.currency === 'PTS');
    expect(settleAccount(pts, 0n)).toEqual({
      settled: [{ remaining: 700n, fromPending: 0n, fromPosted: 0n }, { remaining: 450n, fromPending: 300n, fromPosted: 0n }],
      posted: 700n,
      pending: 450n,
    });
  });

  it('counts the stored orders: their spend, and no first-order bonus after them, but one for an order placed before them all', () => {
    const standing: MemberStanding = {
      memberId: 'm', country: 'FR', tierCode: 'BRONZE', retainUntil: null, spendMinor: 45_000n, firstPlacedAtMs: new Date('2025-06-01T00:00:00Z').getTime(),
    };
    // Placed before the tier window: counts for no spend; and before the stored first order: a first order.
    const old = order('old', 10_000n, '2024-01-01T00:00:00Z');
    // 450.00 stored + 50.00 reaches SILVER; refunded in full, so the next order sees 450.00 again (no second upgrade to make).
    const crossing = order('x', 5_000n, '2025-09-01T00:00:00Z', 5_000n);
    const later = order('y', 2_000n, '2025-10-01T00:00:00Z');
    const replay = replayMember(prepared, standing, [later, crossing, old]);
    expect(replay.orders.map((o) => [o.order.externalId, o.status, o.pointsEarned])).toEqual([
      ['old', 'PAID', 200n], // 100.00 + WELCOME 100
      ['x', 'REFUNDED', 75n], // 50.00 x 1.5
      ['y', 'PAID', 30n], // 20.00 x 1.5 (SILVER is kept: never down)
    ]);
    expect(replay.tierChanges.map((c) => [c.order.externalId, c.fromTier, c.toTier, c.spendMinor])).toEqual([['x', 'BRONZE', 'SILVER', 50_000n]]);
    expect(replay.earns.filter((e) => e.order.externalId === 'x').map((e) => [e.currency, e.points, e.clawback])).toEqual([['MILES', 37n, 37n], ['PTS', 75n, 75n]]);
  });

  it('orders ties on placed_at by external id in byte order', () => {
    const at = '2025-11-01T00:00:00Z';
    const replay = replayMember(prepared, newMember('US'), [order('x-9', 1_000n, at), order('x-10', 1_000n, at), order('x-\u{1F600}', 1_000n, at), order('x-\uFF5E', 1_000n, at)]);
    expect(replay.orders.map((o) => o.order.externalId)).toEqual(['x-10', 'x-9', 'x-\uFF5E', 'x-\u{1F600}']);
    // Only the first of them is a first order.
    expect(replay.orders.map((o) => o.pointsEarned)).toEqual([110n, 10n, 10n, 10n]);
    expect(compareCodePoints('\u{1F600}', '\uFF5E')).toBeGreaterThan(0);
    expect(Buffer.compare(Buffer.from('\u{1F600}'), Buffer.from('\uFF5E'))).toBeGreaterThan(0);
  });

  it('settles vested lots net of clawback debt, and a refund beyond the lot leaves the debt', () => {
    // Posted -250 (a refund took spent points): a vested earn of 300 repays 250 first, its lot holds 50;
    // its refund takes 100 back: 50 from its lot, the rest is debt again.
    expect(settleAccount([{ points: 300n, pending: false, clawback: 100n }], -250n)).toEqual({
      settled: [{ remaining: 0n, fromPending: 0n, fromPosted: 100n }],
      posted: 200n,
      pending: 0n,
    });
    // In credit: the lot holds all its points; the clawback comes out of it.
    expect(settleAccount([{ points: 300n, pending: false, clawback: 100n }, { points: 40n, pending: true, clawback: 40n }], 10n)).toEqual({
      settled: [{ remaining: 200n, fromPending: 0n, fromPosted: 100n }, { remaining: 0n, fromPending: 40n, fromPosted: 0n }],
      posted: 200n,
      pending: 0n,
    });
  });
});

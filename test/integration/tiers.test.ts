import { loadConfig } from '../../src/config/config';
import { createServices } from '../../src/app/container';
import { createRequestContext, RequestContext } from '../../src/graphql/context';
import { createLogger } from '../../src/observability/logger';
import { Principal } from '../../src/auth/principal';
import { birthdayGiftKey, runTierJobs } from '../../src/jobs/tier-jobs';
import { Member } from '../../src/modules/members/member.entity';
import { memberTierRank, qualifyingSpend, tierRank } from '../../src/modules/tiers/tier.service';
import { addMonths } from '../../src/time';
import { inTransaction } from '../../src/db/sql';
import { openTestOrm, TestOrm } from '../helpers/database';
import { checkLedgerInvariants, NO_VIOLATIONS } from '../helpers/invariants';
import { memberInput } from '../factories/member.factory';

const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
const logger = createLogger('silent');
const DAY = 24 * 60 * 60 * 1000;
const admin: Principal = { role: 'admin', subject: 'admin-tiers' };
const shop: Principal = { role: 'storefront', subject: 'shop' };

describe('membership tiers', () => {
  let db: TestOrm;
  let requests = 0;
  let orders = 0;
  const services = createServices();
  const as = (principal?: Principal): RequestContext =>
    createRequestContext({ em: db.orm.em.fork(), principal, requestId: `tier-test-${++requests}`, config, logger }, services);
  const enrol = (overrides = {}) => services.members.enroll(as(admin), memberInput(overrides));
  const order = (m: Member, amount: string, options: { currency?: string; placedAt?: Date; externalId?: string } = {}) =>
    services.orders.record(as(shop), { memberId: m.id, externalId: options.externalId ?? `tier-order-${++orders}`, amount: { amount, currency: options.currency ?? 'USD' }, placedAt: options.placedAt });
  const sql = <T = any>(text: string, values: unknown[] = []) => db.orm.em.fork().execute<T[]>(text, values);
  const standing = async (m: Member) => {
    const [row] = await sql<{ tier_code: string; retain_until: Date | null }>('select tier_code, retain_until from member_tiers where member_id = ?', [m.id]);
    return row ? { tier: row.tier_code, retainUntil: row.retain_until ? new Date(row.retain_until) : null } : null;
  };
  const history = (m: Member) =>
    sql<{ from_tier: string; to_tier: string; reason: string; qualifying_spend_minor: string }>(
      'select from_tier, to_tier, reason, qualifying_spend_minor from member_tier_changes where member_id = ? order by id',
      [m.id],
    );
  const spend = async (m: Member) => ((await qualifyingSpend(db.orm.em.fork(), [m.id], new Date(), config)).get(m.id) ?? 0n).toString();

  beforeAll(async () => {
    db = await openTestOrm(8);
    await services.fx.setRate(as(admin), 'JPY', '150', new Date(Date.now() - 800 * DAY));
  });
  afterEach(async () => {
    expect(await checkLedgerInvariants(db.orm)).toEqual(NO_VIOLATIONS);
  });
  afterAll(() => db.close());

  it('has the default ladder: BRONZE 0, SILVER 300, GOLD 1000, PLATINUM 3000 USD at 1, 1.25, 1.5 and 2x', async () => {
    expect(await sql('select code, rank, threshold_minor, earn_multiplier from tiers order by rank')).toEqual([
      { code: 'BRONZE', rank: 0, threshold_minor: '0', earn_multiplier: '1' },
      { code: 'SILVER', rank: 1, threshold_minor: '30000', earn_multiplier: '1.25' },
      { code: 'GOLD', rank: 2, threshold_minor: '100000', earn_multiplier: '1.5' },
      { code: 'PLATINUM', rank: 3, threshold_minor: '300000', earn_multiplier: '2' },
    ]);
    expect(await tierRank(db.orm.em.fork(), 'gold')).toBe(2);
    expect(await tierRank(db.orm.em.fork(), 'NOPE')).toBeNull();
  });

  it('upgrades at once: the order that crosses a threshold already earns at the new multiplier', async () => {
    const m = await enrol();
    expect(await memberTierRank(db.orm.em.fork(), m.id)).toBe(0);
    const first = await order(m, '200.00');
    expect(first.pointsEarned).toBe(200);
    expect(await standing(m)).toEqual({ tier: 'BRONZE', retainUntil: null });
    const before = Date.now();
    const crossing = await order(m, '150.00');
    expect(crossing.pointsEarned).toBe(187); // floor(150 x 1.25)
    expect(crossing.details).toEqual({ earned: { PTS: { points: '187', rules: [{ code: 'TIER', multiplier: '1.25' }] } } });
    const now = await standing(m);
    expect(now?.tier).toBe('SILVER');
    expect(now!.retainUntil!.getTime()).toBeGreaterThanOrEqual(addMonths(new Date(before), 12).getTime());
    expect(now!.retainUntil!.getTime()).toBeLessThanOrEqual(addMonths(new Date(), 12).getTime());
    expect(await history(m)).toEqual([{ from_tier: 'BRONZE', to_tier: 'SILVER', reason: 'UPGRADE', qualifying_spend_minor: '35000' }]);
    expect(await memberTierRank(db.orm.em.fork(), m.id)).toBe(1);
    // A replay of the crossing order changes nothing.
    expect((await order(m, '150.00', { externalId: crossing.externalId })).pointsEarned).toBe(187);
    expect(await history(m)).toHaveLength(1);
  });

  it('jumps straight to the tier a large first order reaches', async () => {
    const m = await enrol();
    expect((await order(m, '3000.00')).pointsEarned).toBe(6000);
    expect((await standing(m))?.tier).toBe('PLATINUM');
    expect(await history(m)).toEqual([{ from_tier: 'BRONZE', to_tier: 'PLATINUM', reason: 'UPGRADE', qualifying_spend_minor: '300000' }]);
  });

  it('counts qualifying spend in the base currency, net of refunds, over the last 12 months only', async () => {
    const m = await enrol();
    await order(m, '2500.00', { placedAt: addMonths(new Date(), -13) }); // outside the window
    const kept = await order(m, '100.00', { placedAt: new Date(Date.now() - 20 * DAY) });
    await order(m, '15000', { currency: 'JPY', placedAt: new Date(Date.now() - 10 * DAY) }); // 100.00 USD at 150
    await services.orders.refund(as(shop), { orderExternalId: kept.externalId, refundId: `r-${kept.externalId}`, amount: { amount: '33.33', currency: 'USD' } });
    // 100.00 - 33.33 refunded + 100.00 = 166.67; the 13-month-old 2500.00 does not count.
    expect(await spend(m)).toBe('16667');
    expect((await standing(m))?.tier).toBe('BRONZE');
  });

  it('rounds a partial refund of a converted order in the member disfavour', async () => {
    const m = await enrol();
    const jpy = await order(m, '1000', { currency: 'JPY' }); // 6.66 USD at 150 (rounded down from 6.666...)
    expect(jpy.baseAmountMinor).toBe(666n);
    await services.orders.refund(as(shop), { orderExternalId: jpy.externalId, refundId: `r-${jpy.externalId}`, amount: { amount: '1', currency: 'JPY' } });
    expect(await spend(m)).toBe('665'); // floor(666 x 999 / 1000) = 665
  });

  it('serialises concurrent orders of one member: exactly one upgrade, and only the orders from the crossing one on earn more', async () => {
    const m = await enrol();
    const results = await Promise.all(Array.from({ length: 20 }, () => order(m, '20.00')));
    expect(results.map((result) => result.pointsEarned).sort((a, b) => a - b)).toEqual([...Array(14).fill(20), ...Array(6).fill(25)]);
    expect(await history(m)).toEqual([{ from_tier: 'BRONZE', to_tier: 'SILVER', reason: 'UPGRADE', qualifying_spend_minor: '30000' }]);
    const [{ pending }] = await sql<{ pending: string }>("select pending from points_accounts where member_id = ? and currency = 'PTS'", [m.id]);
    expect(pending).toBe('430');
  });

  it('counts an order that committed while this one waited for the lock, though it was placed after this request began', async () => {
    // Regression (seen as a flaky concurrency test above under load): the window ended at the request's own start,
    // so an order placed a moment later by a request that took the member's lock first was left out of the spend.
    const m = await enrol();
    const first = await order(m, '290.00');
    const begunEarlier = new Date(first.placedAt.getTime() - 1000);
    const shopRequest = as(shop);
    const second = await inTransaction(db.orm.em.fork(), (tx) =>
      shopRequest.orders.recordInTransaction(shopRequest, tx, { id: m.id }, { externalId: `tier-order-${++orders}`, amount: { minor: 2000n, currency: 'USD' }, placedAt: begunEarlier, requestHash: 'waited-for-the-lock' }, begunEarlier),
    );
    // 290 + 20 = 310 USD crosses SILVER's 300: this order earns at 1.25x.
    expect(second?.pointsEarned).toBe(25);
    expect(await history(m)).toEqual([{ from_tier: 'BRONZE', to_tier: 'SILVER', reason: 'UPGRADE', qualifying_spend_minor: '31000' }]);
  });

  describe('tier review', () => {
    const endRetention = (m: Member) => sql("update member_tiers set retain_until = now() - interval '1 second' where member_id = ?", [m.id]);

    it('drops exactly one tier at the end of the retention period, and keeps the lower tier for a new period', async () => {
      const m = await enrol();
      await order(m, '3200.00', { placedAt: addMonths(new Date(), -11) }); // PLATINUM now, but the spend leaves the window in a month
      expect((await standing(m))?.tier).toBe('PLATINUM');
      await endRetention(m);
      // In 40 days the order is out of the window: spend 0, yet the member drops to GOLD only.
      const later = new Date(Date.now() + 40 * DAY);
      await sql("update member_tiers set retain_until = ? where member_id = ?", [new Date(later.getTime() - 1000), m.id]);
      const result = await runTierJobs(db.orm, config, later);
      expect(result.downgraded).toBeGreaterThanOrEqual(1);
      expect(await standing(m)).toEqual({ tier: 'GOLD', retainUntil: addMonths(later, 12) });
      // Not due again until the new period ends; then GOLD -> SILVER -> BRONZE, one tier per review.
      await runTierJobs(db.orm, config, new Date(later.getTime() + DAY));
      expect((await standing(m))?.tier).toBe('GOLD');
      const second = addMonths(later, 12);
      await runTierJobs(db.orm, config, second);
      expect(await standing(m)).toEqual({ tier: 'SILVER', retainUntil: addMonths(second, 12) });
      const third = addMonths(second, 12);
      await runTierJobs(db.orm, config, third);
      expect(await standing(m)).toEqual({ tier: 'BRONZE', retainUntil: null });
      expect((await history(m)).map((row) => `${row.reason} ${row.from_tier}->${row.to_tier} ${row.qualifying_spend_minor}`)).toEqual([
        'UPGRADE BRONZE->PLATINUM 320000',
        'DOWNGRADE PLATINUM->GOLD 0',
        'DOWNGRADE GOLD->SILVER 0',
        'DOWNGRADE SILVER->BRONZE 0',
      ]);
    });

    it('requalifies a member whose spend still reaches its tier', async () => {
      const m = await enrol();
      await order(m, '1200.00', { placedAt: new Date(Date.now() - 5 * DAY) });
      await endRetention(m);
      const now = new Date();
      await runTierJobs(db.orm, config, now);
      expect(await standing(m)).toEqual({ tier: 'GOLD', retainUntil: addMonths(now, 12) });
      expect((await history(m)).map((row) => row.reason)).toEqual(['UPGRADE', 'REQUALIFIED']);
    });

    it('upgrades members whose spend reaches a higher tier without an order having done it (imported history)', async () => {
      const m = await enrol();
      await sql(
        `insert into orders (id, member_id, external_id, amount_minor, currency, base_amount_minor, base_currency, fx_rate, placed_at, request_hash, created_at)
         values (gen_random_uuid(), ?, ?, 350000, 'USD', 350000, 'USD', '1', now() - interval '30 days', 'imported', now())`,
        [m.id, `imported-${m.id}`],
      );
      expect(await standing(m)).toBeNull();
      const now = new Date();
      await runTierJobs(db.orm, config, now);
      expect(await standing(m)).toEqual({ tier: 'PLATINUM', retainUntil: addMonths(now, 12) });
      await runTierJobs(db.orm, config, now);
      expect(await history(m)).toEqual([{ from_tier: 'BRONZE', to_tier: 'PLATINUM', reason: 'UPGRADE', qualifying_spend_minor: '350000' }]);
    });

    it('changes each member once when two runners review the same members at once', async () => {
      const members: Member[] = [];
      for (let index = 0; index < 12; index++) {
        const m = await enrol();
        await order(m, '400.00', { placedAt: addMonths(new Date(), -11) });
        members.push(m);
      }
      const later = new Date(Date.now() + 40 * DAY);
      await sql(`update member_tiers set retain_until = ? where member_id in (${members.map(() => '?').join(', ')})`, [new Date(later.getTime() - 1000), ...members.map((m) => m.id)]);
      await Promise.all([runTierJobs(db.orm, config, later), runTierJobs(db.orm, config, later), runTierJobs(db.orm, config, later)]);
      for (const m of members) {
        expect({ id: m.id, changes: (await history(m)).map((row) => `${row.reason} ${row.to_tier}`) }).toEqual({ id: m.id, changes: ['UPGRADE SILVER', 'DOWNGRADE BRONZE'] });
      }
    });
  });

  describe('birthday gifts', () => {
    const today = new Date();
    const mmdd = `${String(today.getUTCMonth() + 1).padStart(2, '0')}-${String(today.getUTCDate()).padStart(2, '0')}`;
    const gifts = (m: Member) =>
      sql<{ amount: string; kind: string; idempotency_key: string }>("select amount, kind, idempotency_key from points_transfers where member_id = ? and reference = 'birthday-gift'", [m.id]);

    it('grants the configured points once a year, whoever runs the job and however often', async () => {
      const m = await enrol({ birthday: mmdd });
      const other = await enrol({ birthday: mmdd === '01-01' ? '01-02' : '01-01' });
      await Promise.all([runTierJobs(db.orm, config, today), runTierJobs(db.orm, config, today), runTierJobs(db.orm, config, today)]);
      await runTierJobs(db.orm, config, today);
      expect(await gifts(m)).toEqual([{ amount: '500', kind: 'BONUS', idempotency_key: birthdayGiftKey(m.id, today) }]);
      expect(await gifts(other)).toEqual([]);
      const [account] = await sql<{ posted: string }>("select posted from points_accounts where member_id = ? and currency = 'PTS'", [m.id]);
      expect(account.posted).toBe('500');
      // Next year it comes again.
      const nextYear = new Date(Date.UTC(today.getUTCFullYear() + 1, today.getUTCMonth(), today.getUTCDate(), 12));
      if (nextYear.getUTCDate() === today.getUTCDate()) {
        await runTierJobs(db.orm, config, nextYear);
        expect((await gifts(m)).map((gift) => gift.idempotency_key).sort()).toEqual([birthdayGiftKey(m.id, today), birthdayGiftKey(m.id, nextYear)].sort());
      }
    });

    it('only for members whose perks include BIRTHDAY_GIFT, and not when the configured points are 0', async () => {
      const bronze = await enrol({ birthday: mmdd });
      const gold = await enrol({ birthday: mmdd });
      await order(gold, '1000.00');
      await services.perkAdmin.revoke(as(admin), 'BIRTHDAY_GIFT', 'TIER:BRONZE');
      try {
        await runTierJobs(db.orm, loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', BIRTHDAY_GIFT_POINTS: '0' }), today);
        expect(await gifts(gold)).toEqual([]);
        await runTierJobs(db.orm, loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', BIRTHDAY_GIFT_POINTS: '250' }), today);
        expect(await gifts(bronze)).toEqual([]);
        expect(await gifts(gold)).toEqual([{ amount: '250', kind: 'BONUS', idempotency_key: birthdayGiftKey(gold.id, today) }]);
      } finally {
        await services.perkAdmin.grant(as(admin), 'BIRTHDAY_GIFT', 'TIER:BRONZE');
      }
    });
  });
});

import { loadConfig } from '../../src/config/config';
import { createServices } from '../../src/app/container';
import { createRequestContext, RequestContext } from '../../src/graphql/context';
import { createLogger } from '../../src/observability/logger';
import { Principal } from '../../src/auth/principal';
import { Member } from '../../src/modules/members/member.entity';
import { RewardKind } from '../../src/modules/rewards/reward.entity';
import { CreateRewardInput, VoucherStatus } from '../../src/modules/rewards/reward.service';
import { openTestOrm, TestOrm } from '../helpers/database';
import { checkLedgerInvariants, NO_VIOLATIONS } from '../helpers/invariants';
import { memberInput } from '../factories/member.factory';
import { EnrollmentInput } from '../../src/modules/members/member.validation';

const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
const logger = createLogger('silent');
const admin: Principal = { role: 'admin', subject: 'admin-rewards' };
const shop: Principal = { role: 'storefront', subject: 'shop-rewards' };

/** The rewards catalog, redemption and vouchers, through the services on a real database. */
describe('rewards', () => {
  let db: TestOrm;
  let requests = 0;
  let keys = 0;
  let codes = 0;
  const services = createServices();
  const as = (principal?: Principal): RequestContext =>
    createRequestContext({ em: db.orm.em.fork(), principal, requestId: `reward-test-${++requests}`, config, logger }, services);
  const enrol = (overrides: Partial<EnrollmentInput> = {}) => services.members.enroll(as(shop), memberInput(overrides));
  const grant = (m: Member, points: number) =>
    services.adjustments.adjust(as(admin), { memberId: m.id, points, reason: 'test grant', idempotencyKey: `grant-${++keys}` });
  const create = async (overrides: Partial<CreateRewardInput> = {}) =>
    (await services.rewards.create(as(admin), { code: `R${++codes}`, name: 'Tote bag', cost: 100, ...overrides })).reward;
  const redeem = (m: Member, rewardId: string, idempotencyKey = `redeem-${++keys}`, principal: Principal = shop) =>
    services.rewards.redeem(as(principal), { memberId: m.id, rewardId, idempotencyKey });
  const posted = async (m: Member) => Number((await services.balances.balanceOf(as(admin), m.id, 'PTS')).posted);
  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'no error',
      (error: { extensions?: { code?: string } }) => error.extensions?.code ?? String(error),
    );
  const listedCodes = async (principal: Principal, memberId?: string) =>
    (await services.rewards.list(as(principal), { first: 100 }, memberId)).edges.map((edge) => edge.node.reward.code);

  beforeAll(async () => {
    db = await openTestOrm(12);
  });
  afterEach(async () => {
    expect(await checkLedgerInvariants(db.orm)).toEqual(NO_VIOLATIONS);
  });
  afterAll(() => db.close());

  it('creates rewards of every kind and validates the input', async () => {
    const fixed = await create({ kind: RewardKind.FIXED_DISCOUNT, amounts: [{ amount: '5.00', currency: 'usd' }, { amount: '750', currency: 'JPY' }], names: [{ locale: 'de-de', name: '5 € Rabatt' }] });
    expect(fixed).toMatchObject({ kind: 'FIXED_DISCOUNT', amounts: { USD: '500', JPY: '750' }, names: { 'de-DE': '5 € Rabatt' }, stockRemaining: null });
    expect((await create({ kind: RewardKind.PERCENT_DISCOUNT, percentOff: 15, stock: 3 })).stockRemaining).toBe(3);
    expect(await codeOf(create({ kind: RewardKind.FIXED_DISCOUNT }))).toBe('BAD_USER_INPUT');
    expect(await codeOf(create({ kind: RewardKind.PERCENT_DISCOUNT, percentOff: 101 }))).toBe('BAD_USER_INPUT');
    expect(await codeOf(create({ cost: 0 }))).toBe('BAD_USER_INPUT');
    expect(await codeOf(create({ markets: ['XX'] }))).toBe('BAD_USER_INPUT');
    expect(await codeOf(create({ code: fixed.code.toLowerCase() }))).toBe('BAD_USER_INPUT');
  });

  it('redeems: spends the cost through the ledger, takes one unit of stock, issues a voucher; a replay returns the same one', async () => {
    const m = await enrol();
    await grant(m, 1000);
    const reward = await create({ cost: 300, stock: 2 });
    const first = await redeem(m, reward.id, 'same-key');
    expect(first.redemption.voucherCode).toMatch(/^([2-9A-HJKMNP-Z]{4}-){4}[2-9A-HJKMNP-Z]{4}$/);
    expect(await redeem(m, reward.id, 'same-key')).toMatchObject({ redemption: { id: first.redemption.id, voucherCode: first.redemption.voucherCode } });
    expect(await posted(m)).toBe(700);
    const other = await enrol();
    expect(await codeOf(redeem(other, reward.id, 'same-key'))).toBe('IDEMPOTENCY_CONFLICT');
    await redeem(m, reward.id);
    expect(await codeOf(redeem(m, reward.id))).toBe('OUT_OF_STOCK');
    expect(await posted(m)).toBe(400);
    const entries = (await services.balances.entriesOf(as(admin), m.id, null, { first: 10 })).edges.map((edge) => `${edge.node.kind} ${edge.node.points}`);
    expect(entries).toEqual(['REDEEM -300', 'REDEEM -300', 'ADJUSTMENT 1000']);
  });

  it('fails with INSUFFICIENT_POINTS without taking stock', async () => {
    const m = await enrol();
    await grant(m, 99);
    const reward = await create({ cost: 100, stock: 1 });
    expect(await codeOf(redeem(m, reward.id))).toBe('INSUFFICIENT_POINTS');
    expect((await services.rewards.list(as(admin), { first: 100 })).edges.find((edge) => edge.node.reward.id === reward.id)!.node.reward.stockRemaining).toBe(1);
  });

  it('holds the per-member limit under concurrent redemptions by one member', async () => {
    const m = await enrol();
    await grant(m, 10_000);
    const reward = await create({ cost: 100, perMemberLimit: 2 });
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => codeOf(redeem(m, reward.id))));
    expect(outcomes.filter((outcome) => outcome === 'no error')).toHaveLength(2);
    expect(outcomes.filter((outcome) => outcome === 'FORBIDDEN')).toHaveLength(6);
    expect(await posted(m)).toBe(9_800);
  });

  it('never oversells: 30 members at once for a stock of 4 get exactly 4 distinct vouchers, and only they pay', async () => {
    const reward = await create({ cost: 50, stock: 4 });
    const members = await Promise.all(Array.from({ length: 30 }, () => enrol()));
    for (const m of members) await grant(m, 50);
    const outcomes = await Promise.all(members.map((m) => redeem(m, reward.id).then((result) => result.redemption.voucherCode, (error) => error.extensions?.code)));
    const vouchers = outcomes.filter((outcome) => outcome.includes('-'));
    expect(vouchers).toHaveLength(4);
    expect(new Set(vouchers).size).toBe(4);
    expect(outcomes.filter((outcome) => outcome === 'OUT_OF_STOCK')).toHaveLength(26);
    const balances = await Promise.all(members.map(posted));
    expect(balances.filter((balance) => balance === 0)).toHaveLength(4);
    expect(balances.filter((balance) => balance === 50)).toHaveLength(26);
    const [{ stock_remaining }] = await db.orm.em.fork().execute('select stock_remaining from rewards where id = ?', [reward.id]);
    expect(stock_remaining).toBe(0);
  });

  it('lists what a member may redeem (market, window, stock, limit), named in its locale; staff see every reward not retired', async () => {
    await db.orm.em.fork().execute('update rewards set retired_at = now()');
    const m = await enrol({ country: 'ID', locale: 'id-ID' });
    await grant(m, 1000);
    const hour = 60 * 60 * 1000;
    const everywhere = await create({ name: 'Voucher', names: [{ locale: 'id', name: 'Voucher belanja' }] });
    const inId = await create({ markets: ['ID', 'MY'] });
    const inDe = await create({ markets: ['DE'] });
    const later = await create({ startsAt: new Date(Date.now() + hour) });
    const over = await create({ endsAt: new Date(Date.now() - hour) });
    const soldOut = await create({ stock: 0 });
    const once = await create({ perMemberLimit: 1 });
    const goldOnly = await create({ minTierCode: 'GOLD' });
    await redeem(m, once.id);
    const memberToken: Principal = { role: 'member', subject: m.externalId };
    expect(await listedCodes(memberToken)).toEqual([everywhere.code, inId.code]);
    expect(await listedCodes(shop, m.id)).toEqual([everywhere.code, inId.code]);
    expect((await services.rewards.list(as(memberToken), { first: 10 })).edges[0].node.locale).toBe('id-ID');
    expect(await listedCodes(admin)).toEqual([everywhere, inId, inDe, later, over, soldOut, once, goldOnly].map((reward) => reward.code));
    // A member reads only its own catalog.
    const other = await enrol();
    expect(await codeOf(services.rewards.list(as(memberToken), { first: 10 }, other.id))).toBe('FORBIDDEN');
    // And cannot redeem what is not offered to it.
    expect(await codeOf(redeem(m, inDe.id))).toBe('BAD_USER_INPUT');
    expect(await codeOf(redeem(m, later.id))).toBe('BAD_USER_INPUT');
    expect(await codeOf(redeem(m, goldOnly.id))).toBe('FORBIDDEN');
  });

  it('restricts rewards to a minimum tier: listed and redeemable only from that tier up', async () => {
    await db.orm.em.fork().execute('update rewards set retired_at = now()');
    const gold = await enrol();
    const silver = await enrol();
    const bronze = await enrol();
    await services.orders.record(as(shop), { memberId: gold.id, externalId: `tier-order-${++keys}`, amount: { amount: '1000.00', currency: 'USD' } });
    await services.orders.record(as(shop), { memberId: silver.id, externalId: `tier-order-${++keys}`, amount: { amount: '300.00', currency: 'USD' } });
    for (const m of [gold, silver, bronze]) await grant(m, 1000);
    const forSilver = await create({ minTierCode: 'silver' });
    const forGold = await create({ minTierCode: 'GOLD' });
    const forPlatinum = await create({ minTierCode: 'PLATINUM' });
    const forAll = await create();
    expect(forSilver.minTierCode).toBe('SILVER');
    expect(await codeOf(create({ minTierCode: 'DIAMOND' }))).toBe('BAD_USER_INPUT');

    expect(await listedCodes(shop, gold.id)).toEqual([forSilver.code, forGold.code, forAll.code]);
    expect(await listedCodes(shop, silver.id)).toEqual([forSilver.code, forAll.code]);
    expect(await listedCodes(shop, bronze.id)).toEqual([forAll.code]);
    expect(await codeOf(redeem(gold, forGold.id))).toBe('no error');
    expect(await codeOf(redeem(silver, forGold.id))).toBe('FORBIDDEN');
    expect(await codeOf(redeem(silver, forSilver.id))).toBe('no error');
    expect(await codeOf(redeem(gold, forPlatinum.id))).toBe('FORBIDDEN');
    expect(await codeOf(redeem(bronze, forSilver.id))).toBe('FORBIDDEN');
  });

  it('updates and retires rewards; a retired reward cannot be redeemed but its unused voucher works until it expires', async () => {
    const m = await enrol();
    await grant(m, 1000);
    const reward = await create({ cost: 100, stock: 1 });
    const updated = (await services.rewards.update(as(admin), { id: reward.id, cost: 150, addStock: 2, names: [{ locale: 'fr', name: 'Sac' }] })).reward;
    expect(updated).toMatchObject({ cost: 150, stockRemaining: 3, stockTotal: 3, names: { fr: 'Sac' } });
    expect(await codeOf(services.rewards.update(as(admin), { id: reward.id, addStock: -4 }))).toBe('BAD_USER_INPUT');
    const { redemption } = await redeem(m, reward.id);
    const used = await redeem(m, reward.id);
    await services.rewards.retire(as(admin), reward.id);
    expect(await codeOf(redeem(m, reward.id))).toBe('BAD_USER_INPUT');
    expect(await posted(m)).toBe(700);

    const lower = redemption.voucherCode.toLowerCase().replace(/-/g, ' ');
    expect((await services.rewards.validateVoucher(as(shop), lower))!.status).toBe(VoucherStatus.ACTIVE);
    const consumed = await services.rewards.consumeVoucher(as(shop), lower, 'order-1');
    expect(consumed).toMatchObject({ status: VoucherStatus.USED, redemption: { consumedOrderRef: 'order-1' } });
    // Idempotent for the same order, refused for another.
    expect((await services.rewards.consumeVoucher(as(shop), redemption.voucherCode, 'order-1')).status).toBe(VoucherStatus.USED);
    expect(await codeOf(services.rewards.consumeVoucher(as(shop), redemption.voucherCode, 'order-2'))).toBe('BAD_USER_INPUT');
    expect(await services.rewards.validateVoucher(as(shop), 'AAAA-BBBB-CCCC-DDDD-EEEE')).toBeNull();
    expect(await codeOf(services.rewards.consumeVoucher(as(shop), 'AAAA-BBBB-CCCC-DDDD-EEEE', 'order-3'))).toBe('NOT_FOUND');

    // Past its expiry a voucher is EXPIRED and cannot be used.
    await db.orm.em.fork().execute("update reward_redemptions set expires_at = now() - interval '1 second' where id = ?", [used.redemption.id]);
    expect((await services.rewards.validateVoucher(as(shop), used.redemption.voucherCode))!.status).toBe(VoucherStatus.EXPIRED);
    expect(await codeOf(services.rewards.consumeVoucher(as(shop), used.redemption.voucherCode, 'order-4'))).toBe('BAD_USER_INPUT');
  });

  it('uses a voucher once when two checkouts race for it', async () => {
    const m = await enrol();
    await grant(m, 100);
    const reward = await create({ cost: 100 });
    const { redemption } = await redeem(m, reward.id);
    const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => codeOf(services.rewards.consumeVoucher(as(shop), redemption.voucherCode, `race-${i}`))));
    expect(outcomes.filter((outcome) => outcome === 'no error')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'BAD_USER_INPUT')).toHaveLength(5);
  });
});

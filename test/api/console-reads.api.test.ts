import { Role } from '../../src/auth/principal';
import { checkLedgerInvariants, NO_VIOLATIONS } from '../helpers/invariants';
import { onlyError, startTestServer, TestServer } from '../helpers/server';
import { memberInput } from '../factories/member.factory';

/** The reads and writes the console's admin pages and member page need (issue 15). */
const admin = { role: 'admin' as const, subject: 'admin-console' };
const support = { role: 'support' as const, subject: 'support-console' };
const storefront = { role: 'storefront' as const, subject: 'shop-console' };
const DAY = 24 * 60 * 60 * 1000;

const ENROLL = 'mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { id externalId email referralCode } }';
const ADJUST = 'mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { points } }';
const RECORD = 'mutation($input: RecordOrderInput!) { recordOrder(input: $input) { id pointsEarned } }';
const REFUND = 'mutation($input: RefundOrderInput!) { refundOrder(input: $input) { status } }';
const RULE = 'mutation($input: CreateEarningRuleInput!) { createEarningRule(input: $input) { id code } }';
const RULE_FIELDS = 'id code name currency markets startsAt endsAt multiplier bonusPoints firstOrderOnly minOrder { amount currency }';
const RULES = `{ earningRules { ${RULE_FIELDS} } }`;
const UPDATE = `mutation($input: UpdateEarningRuleInput!) { updateEarningRule(input: $input) { ${RULE_FIELDS} } }`;
const END = `mutation($id: ID!) { endEarningRule(id: $id) { ${RULE_FIELDS} } }`;
const AUDIT = '{ auditLog(first: 100) { edges { node { action actor details } } } }';
const RATE = 'mutation($c: String!, $r: String!, $at: DateTime) { setExchangeRate(currency: $c, rate: $r, effectiveAt: $at) { rate } }';
const RATES = '{ exchangeRates { currency rate effectiveAt } }';
const HISTORY = 'query($c: String!, $first: Int) { exchangeRateHistory(currency: $c, first: $first) { currency rate effectiveAt } }';
const CURRENCIES = '{ pointsCurrencies { code name valueInBase earnRate expiryMonths earnsOnOrders } }';
const CURRENCY = 'mutation($input: CreatePointsCurrencyInput!) { createPointsCurrency(input: $input) { code } }';
const PERKS = '{ perks { code name names { locale name } supportPriority source sources } }';
const CREATE_PERK = 'mutation($input: PerkInput!) { createPerk(input: $input) { code } }';
const GRANT = 'mutation($p: String!, $s: String!) { grantPerk(perkCode: $p, source: $s) { code } }';
const HOLD = 'mutation($input: HoldPointsInput!) { holdPoints(input: $input) { id } }';
const RELEASE = 'mutation($id: ID!) { releasePoints(holdId: $id) { status } }';
const REWARD = 'mutation($input: CreateRewardInput!) { createReward(input: $input) { id } }';
const REDEEM = 'mutation($input: RedeemRewardInput!) { redeemReward(input: $input) { id voucherCode points usedAt orderRef } }';

type Caller = 'anonymous' | Role;
const CALLERS: Caller[] = ['anonymous', 'member', 'storefront', 'support', 'admin'];

describe('console reads and writes over HTTP', () => {
  let server: TestServer;
  let alice: { id: string; externalId: string; email: string; referralCode: string };
  let keys = 0;
  const key = () => `console-key-${++keys}`;
  const ok = (response: { body: { data?: any; errors?: unknown } }) => {
    if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
    return response.body.data;
  };
  const as = (caller: Caller) => (caller === 'anonymous' ? undefined : { role: caller, subject: caller === 'member' ? alice.externalId : `${caller}-1` });
  const codeOf = (response: { body: { errors?: { extensions?: Record<string, any> }[] } }) => response.body.errors?.[0]?.extensions?.code ?? 'OK';
  const rules = async () => ok(await server.graphql(RULES, undefined, admin)).earningRules as any[];

  beforeAll(async () => {
    server = await startTestServer();
    alice = ok(await server.graphql(ENROLL, { input: memberInput({ externalId: 'alice-console', country: 'DE' }) }, admin)).enrollMember;
    ok(await server.graphql(ADJUST, { input: { memberId: alice.id, points: 5000, reason: 'float', idempotencyKey: key() } }, admin));
  });
  afterAll(async () => {
    expect(await checkLedgerInvariants(server.orm)).toEqual(NO_VIOLATIONS);
    await server.stop();
  });

  it('programme configuration reads: earningRules, exchangeRates and exchangeRateHistory admin only; pointsCurrencies and perks support and admin', async () => {
    const matrix = async (query: string, variables?: Record<string, unknown>) =>
      (await Promise.all(CALLERS.map((caller) => server.graphql(query, variables, as(caller))))).map(codeOf);
    expect(await matrix(RULES)).toEqual(['UNAUTHENTICATED', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'OK']);
    expect(await matrix(RATES)).toEqual(['UNAUTHENTICATED', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'OK']);
    expect(await matrix(HISTORY, { c: 'EUR' })).toEqual(['UNAUTHENTICATED', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'OK']);
    expect(await matrix(CURRENCIES)).toEqual(['UNAUTHENTICATED', 'FORBIDDEN', 'FORBIDDEN', 'OK', 'OK']);
    expect(await matrix(PERKS)).toEqual(['UNAUTHENTICATED', 'FORBIDDEN', 'FORBIDDEN', 'OK', 'OK']);
    const update = await matrix(UPDATE, { input: { id: '00000000-0000-7000-8000-000000000000', name: 'x' } });
    expect(update).toEqual(['UNAUTHENTICATED', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'NOT_FOUND']);
    expect(await matrix(END, { id: 'not-a-uuid' })).toEqual(['UNAUTHENTICATED', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'NOT_FOUND']);
  });

  describe('earning rules', () => {
    it('lists every rule newest first with its terms', async () => {
      const standing = ok(await server.graphql(RULE, { input: { code: 'list-standing', name: 'Standing', bonusPoints: 5, markets: ['AQ'] } }, admin)).createEarningRule;
      const campaign = ok(
        await server.graphql(RULE, {
          input: { code: 'LIST_CAMPAIGN', name: 'Campaign', multiplier: '2.50', markets: ['aq'], startsAt: '2026-01-01T00:00:00.000Z', endsAt: '2026-02-01T00:00:00.000Z', minOrder: { amount: '25', currency: 'USD' }, firstOrderOnly: true },
        }, admin),
      ).createEarningRule;
      const listed = (await rules()).filter((rule) => rule.code.startsWith('LIST'));
      expect(listed).toEqual([
        { id: campaign.id, code: 'LIST_CAMPAIGN', name: 'Campaign', currency: 'PTS', markets: ['AQ'], startsAt: '2026-01-01T00:00:00.000Z', endsAt: '2026-02-01T00:00:00.000Z', multiplier: '2.5', bonusPoints: null, firstOrderOnly: true, minOrder: { amount: '25.00', currency: 'USD' } },
        { id: standing.id, code: 'LIST-STANDING', name: 'Standing', currency: 'PTS', markets: ['AQ'], startsAt: null, endsAt: null, multiplier: null, bonusPoints: 5, firstOrderOnly: false, minOrder: null },
      ]);
    });

    it('updateEarningRule changes the fields given, null clears one, and audits in the same transaction', async () => {
      const { id } = ok(await server.graphql(RULE, { input: { code: 'UPD_1', name: 'Before', bonusPoints: 5, markets: ['AQ'], minOrder: { amount: '10', currency: 'USD' } } }, admin)).createEarningRule;
      const updated = ok(await server.graphql(UPDATE, { input: { id, name: ' After ', multiplier: '3', bonusPoints: null, markets: null, endsAt: '2030-01-01T00:00:00.000Z' } }, admin)).updateEarningRule;
      expect(updated).toEqual({ id, code: 'UPD_1', name: 'After', currency: 'PTS', markets: null, startsAt: null, endsAt: '2030-01-01T00:00:00.000Z', multiplier: '3', bonusPoints: null, firstOrderOnly: false, minOrder: { amount: '10.00', currency: 'USD' } });
      expect((await rules()).find((rule) => rule.id === id)).toEqual(updated);
      const entry = ok(await server.graphql(AUDIT, undefined, admin)).auditLog.edges.map((edge: any) => edge.node).find((node: any) => node.action === 'earning-rule.update');
      expect(entry).toEqual({ action: 'earning-rule.update', actor: 'admin-console', details: JSON.stringify({ code: 'UPD_1', changed: ['name', 'markets', 'endsAt', 'multiplier', 'bonusPoints'] }) });
    });

    it.each([
      [{ name: '  ' }, 'name'],
      [{ markets: ['XX'] }, 'markets'],
      [{ markets: [] }, 'markets'],
      [{ startsAt: '2030-02-01T00:00:00.000Z', endsAt: '2030-01-01T00:00:00.000Z' }, 'endsAt'],
      [{ minOrder: { amount: '10', currency: 'EUR' } }, 'minOrder.currency'],
      [{ minOrder: { amount: '10.001', currency: 'USD' } }, 'minOrder.amount'],
      [{ multiplier: 'two' }, 'multiplier'],
      [{ bonusPoints: 0 }, 'bonusPoints'],
      [{ bonusPoints: null }, 'multiplier'],
    ])('updateEarningRule with %j fails on %s and changes nothing', async (change, field) => {
      const { id } = ok(await server.graphql(RULE, { input: { code: `BAD_${++keys}`, name: 'Bad', bonusPoints: 5, markets: ['AQ'] } }, admin)).createEarningRule;
      const before = (await rules()).find((rule) => rule.id === id);
      const error = onlyError(await server.graphql(UPDATE, { input: { id, ...change } }, admin));
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect((await rules()).find((rule) => rule.id === id)).toEqual(before);
    });

    it('endEarningRule closes the window now: later orders no longer earn its bonus; ending again changes nothing', async () => {
      const { id } = ok(await server.graphql(RULE, { input: { code: 'END_BONUS', name: 'Bonus', bonusPoints: 7, markets: ['FR'], startsAt: new Date(Date.now() - DAY).toISOString() } }, admin)).createEarningRule;
      const member = ok(await server.graphql(ENROLL, { input: memberInput({ country: 'FR' }) }, admin)).enrollMember;
      const order = (externalId: string) => server.graphql(RECORD, { input: { memberId: member.id, externalId, amount: { amount: '10.00', currency: 'USD' } } }, storefront);
      const during = ok(await order('end-1')).recordOrder.pointsEarned;
      const before = Date.now();
      const ended = ok(await server.graphql(END, { id }, admin)).endEarningRule;
      const after = Date.now();
      expect(Date.parse(ended.endsAt)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(ended.endsAt)).toBeLessThanOrEqual(after);
      const afterEnd = ok(await order('end-2')).recordOrder.pointsEarned;
      expect(during - afterEnd).toBe(7);
      expect(ok(await server.graphql(END, { id }, admin)).endEarningRule).toEqual(ended);
      const actions = ok(await server.graphql(AUDIT, undefined, admin)).auditLog.edges.map((edge: any) => edge.node.action);
      expect(actions.filter((action: string) => action === 'earning-rule.end')).toHaveLength(1);
    });

    it('ending a rule that has not started leaves it an empty window', async () => {
      const { id } = ok(await server.graphql(RULE, { input: { code: 'END_FUTURE', name: 'Later', bonusPoints: 7, markets: ['AQ'], startsAt: '2099-01-01T00:00:00.000Z' } }, admin)).createEarningRule;
      const ended = ok(await server.graphql(END, { id }, admin)).endEarningRule;
      expect(ended.startsAt).toBe(ended.endsAt);
    });
  });

  it('exchangeRates gives the rate in force now per currency; exchangeRateHistory every rate, latest effective first', async () => {
    for (const [c, r, at] of [
      ['CHF', '0.91', '2025-01-01T00:00:00.000Z'],
      ['CHF', '0.88', '2025-06-01T00:00:00.000Z'],
      ['CHF', '0.70', '2099-01-01T00:00:00.000Z'],
      ['SEK', '10.5', '2025-03-01T00:00:00.000Z'],
    ]) ok(await server.graphql(RATE, { c, r, at }, admin));
    const current = ok(await server.graphql(RATES, undefined, admin)).exchangeRates.filter((rate: any) => ['CHF', 'SEK'].includes(rate.currency));
    expect(current).toEqual([
      { currency: 'CHF', rate: '0.88', effectiveAt: '2025-06-01T00:00:00.000Z' },
      { currency: 'SEK', rate: '10.5', effectiveAt: '2025-03-01T00:00:00.000Z' },
    ]);
    expect(ok(await server.graphql(HISTORY, { c: 'chf' }, admin)).exchangeRateHistory.map((rate: any) => [rate.rate, rate.effectiveAt])).toEqual([
      ['0.7', '2099-01-01T00:00:00.000Z'],
      ['0.88', '2025-06-01T00:00:00.000Z'],
      ['0.91', '2025-01-01T00:00:00.000Z'],
    ]);
    expect(ok(await server.graphql(HISTORY, { c: 'CHF', first: 1 }, admin)).exchangeRateHistory).toHaveLength(1);
    expect(onlyError(await server.graphql(HISTORY, { c: 'CHF', first: 101 }, admin)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(onlyError(await server.graphql(HISTORY, { c: 'ABC' }, admin)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'currency' });
  });

  it('pointsCurrencies lists every points currency by code', async () => {
    ok(await server.graphql(CURRENCY, { input: { code: 'AIRMILES', name: 'Air miles', valueInBase: '0.0125', earnRate: '0.5', expiryMonths: 36, earnsOnOrders: true } }, admin));
    const listed = ok(await server.graphql(CURRENCIES, undefined, support)).pointsCurrencies;
    expect(listed.map((currency: any) => currency.code)).toEqual([...listed.map((currency: any) => currency.code)].sort());
    expect(listed.find((currency: any) => currency.code === 'AIRMILES')).toEqual({ code: 'AIRMILES', name: 'Air miles', valueInBase: '0.0125', earnRate: '0.5', expiryMonths: 36, earnsOnOrders: true });
    expect(listed.some((currency: any) => currency.code === 'PTS')).toBe(true);
  });

  it('perks lists every perk with its sources; a member perk has its sources too', async () => {
    ok(await server.graphql(CREATE_PERK, { input: { code: 'LOUNGE', name: 'Lounge', names: [{ locale: 'de', name: 'Lounge DE' }], supportPriority: 'PRIORITY' } }, admin));
    ok(await server.graphql(GRANT, { p: 'LOUNGE', s: 'LTV:VIP' }, admin));
    ok(await server.graphql(GRANT, { p: 'LOUNGE', s: 'TIER:BRONZE' }, admin));
    ok(await server.graphql(CREATE_PERK, { input: { code: 'UNUSED_PERK', name: 'Unused' } }, admin));
    const perks = ok(await server.graphql(PERKS, undefined, support)).perks;
    expect(perks.find((perk: any) => perk.code === 'LOUNGE')).toEqual({ code: 'LOUNGE', name: 'Lounge', names: [{ locale: 'de', name: 'Lounge DE' }], supportPriority: 'PRIORITY', source: '', sources: ['TIER:BRONZE', 'LTV:VIP'] });
    expect(perks.find((perk: any) => perk.code === 'UNUSED_PERK').sources).toEqual([]);
    const held = ok(await server.graphql('query($id: ID) { member(id: $id) { perks { code source sources } } }', { id: alice.id }, support)).member.perks;
    expect(held.find((perk: any) => perk.code === 'LOUNGE')).toEqual({ code: 'LOUNGE', source: 'TIER:BRONZE', sources: ['TIER:BRONZE', 'LTV:VIP'] });
  });

  describe('member 360 sections', () => {
    const MEMBER = `query($id: ID) { member(id: $id) {
      holds { id currency points orderRef status }
      redemptions(first: 10) { edges { node { voucherCode points usedAt orderRef reward { code name(locale: "de") } } } pageInfo { hasNextPage } }
      orders(first: 10) { edges { node { externalId refunds { refundId amount { amount currency } failedAt } } } }
      referrals(first: 10) { edges { node { status referee { id externalId email } } } }
    } }`;

    it('shows open holds only, redemptions with their reward, refunds per order and who was referred', async () => {
      const bob = ok(await server.graphql(ENROLL, { input: memberInput({ country: 'DE' }) }, admin)).enrollMember;
      ok(await server.graphql(ADJUST, { input: { memberId: bob.id, points: 2000, reason: 'float', idempotencyKey: key() } }, admin));
      const open = ok(await server.graphql(HOLD, { input: { memberId: bob.id, points: 120, orderRef: 'cart-open', idempotencyKey: key() } }, storefront)).holdPoints;
      const released = ok(await server.graphql(HOLD, { input: { memberId: bob.id, points: 150, orderRef: 'cart-gone', idempotencyKey: key() } }, storefront)).holdPoints;
      ok(await server.graphql(RELEASE, { id: released.id }, storefront));
      const reward = ok(await server.graphql(REWARD, { input: { code: 'MUG', name: 'Mug', names: [{ locale: 'de', name: 'Becher' }], cost: 300 } }, admin)).createReward;
      const redemption = ok(await server.graphql(REDEEM, { input: { memberId: bob.id, rewardId: reward.id, idempotencyKey: key() } }, storefront)).redeemReward;
      expect(redemption).toMatchObject({ points: 300, usedAt: null, orderRef: null });
      ok(await server.graphql(RECORD, { input: { memberId: bob.id, externalId: 'bob-order', amount: { amount: '40.00', currency: 'USD' } } }, storefront));
      ok(await server.graphql(REFUND, { input: { orderExternalId: 'bob-order', refundId: 'bob-refund-1', amount: { amount: '5.50', currency: 'USD' } } }, storefront));
      ok(await server.graphql(REFUND, { input: { orderExternalId: 'bob-order', refundId: 'bob-refund-2', amount: { amount: '4.50', currency: 'USD' } } }, storefront));
      const carol = ok(await server.graphql(ENROLL, { input: memberInput({ referralCode: bob.referralCode.toLowerCase() }) }, storefront)).enrollMember;

      const seen = ok(await server.graphql(MEMBER, { id: bob.id }, support)).member;
      expect(seen).toEqual({
        holds: [{ id: open.id, currency: 'PTS', points: 120, orderRef: 'cart-open', status: 'HELD' }],
        redemptions: { edges: [{ node: { voucherCode: redemption.voucherCode, points: 300, usedAt: null, orderRef: null, reward: { code: 'MUG', name: 'Becher' } } }], pageInfo: { hasNextPage: false } },
        orders: { edges: [{ node: { externalId: 'bob-order', refunds: [
          { refundId: 'bob-refund-1', amount: { amount: '5.50', currency: 'USD' }, failedAt: null },
          { refundId: 'bob-refund-2', amount: { amount: '4.50', currency: 'USD' }, failedAt: null },
        ] } }] },
        referrals: { edges: [{ node: { status: 'PENDING', referee: { id: carol.id, externalId: carol.externalId, email: carol.email } } }] },
      });
      // The member itself sees its sections, but not who it referred.
      const own = ok(await server.graphql('{ me { holds { id } referrals { edges { node { status referee { email } } } } } }', undefined, { role: 'member', subject: bob.externalId })).me;
      expect(own).toEqual({ holds: [{ id: open.id }], referrals: { edges: [{ node: { status: 'PENDING', referee: null } }] } });
    });
  });
});

import { Role } from '../../src/auth/principal';
import { checkLedgerInvariants, NO_VIOLATIONS } from '../helpers/invariants';
import { onlyError, startTestServer, TestServer } from '../helpers/server';
import { memberInput } from '../factories/member.factory';

const admin = { role: 'admin' as const, subject: 'admin-1' };
const storefront = { role: 'storefront' as const, subject: 'shop-1' };
const DAY = 24 * 60 * 60 * 1000;

const ENROLL = 'mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { id externalId } }';
const RECORD = 'mutation($input: RecordOrderInput!) { recordOrder(input: $input) { id pointsEarned } }';
const REFUND = 'mutation($input: RefundOrderInput!) { refundOrder(input: $input) { status } }';
const HOLD = 'mutation($input: HoldPointsInput!) { holdPoints(input: $input) { id status } }';
const CAPTURE = 'mutation($id: ID!) { capturePoints(holdId: $id) { status } }';
const RELEASE = 'mutation($id: ID!) { releasePoints(holdId: $id) { status } }';
const ADJUST = 'mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { points } }';
const RATE = 'mutation($c: String!, $r: String!, $at: DateTime) { setExchangeRate(currency: $c, rate: $r, effectiveAt: $at) { rate } }';
const QUOTE = 'query($m: ID!, $cart: MoneyInput!) { redemptionQuote(memberId: $m, cart: $cart) { maxPoints } }';
const RULE = 'mutation($input: CreateEarningRuleInput!) { createEarningRule(input: $input) { code markets multiplier bonusPoints } }';
const CURRENCY = 'mutation($input: CreatePointsCurrencyInput!) { createPointsCurrency(input: $input) { code valueInBase expiryMonths earnsOnOrders earnRate } }';
const STATE = `query($id: ID) { member(id: $id) {
  balances { currency posted pending held available }
  ledger(first: 100) { edges { node { points kind } } }
  orders(first: 100) { edges { node { externalId } } } } }`;

type Caller = 'anonymous' | Role;
const CALLERS: Caller[] = ['anonymous', 'member', 'storefront', 'support', 'admin'];

describe('points rules over HTTP', () => {
  let server: TestServer;
  let alice: { id: string; externalId: string };
  let bob: { id: string; externalId: string };
  let keys = 0;
  const key = () => `key-${++keys}`;
  const ok = (response: { body: { data?: any; errors?: unknown } }) => {
    if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
    return response.body.data;
  };
  const as = (caller: Caller) => (caller === 'anonymous' ? undefined : { role: caller, subject: caller === 'member' ? alice.externalId : `${caller}-1` });
  const codeOf = (response: { body: { errors?: { extensions?: Record<string, any> }[] } }) => response.body.errors?.[0]?.extensions?.code ?? 'OK';
  const state = async (id: string) => ok(await server.graphql(STATE, { id }, admin)).member;

  beforeAll(async () => {
    server = await startTestServer();
    alice = ok(await server.graphql(ENROLL, { input: memberInput({ externalId: 'alice-pts' }) }, admin)).enrollMember;
    bob = ok(await server.graphql(ENROLL, { input: memberInput({ externalId: 'bob-pts' }) }, admin)).enrollMember;
    for (const member of [alice, bob]) {
      ok(await server.graphql(ADJUST, { input: { memberId: member.id, points: 100000, reason: 'float', idempotencyKey: key() } }, admin));
    }
  });
  afterAll(async () => {
    expect(await checkLedgerInvariants(server.orm)).toEqual(NO_VIOLATIONS);
    await server.stop();
  });

  describe('role matrix', () => {
    it('recordOrder and refundOrder: storefront and admin', async () => {
      const record = await Promise.all(
        CALLERS.map((caller) => server.graphql(RECORD, { input: { memberId: alice.id, externalId: `o-${caller}`, amount: { amount: '10.00', currency: 'USD' } } }, as(caller))),
      );
      expect(record.map(codeOf)).toEqual(['UNAUTHENTICATED', 'FORBIDDEN', 'OK', 'FORBIDDEN', 'OK']);
      const refund = await Promise.all(
        CALLERS.map((caller) => server.graphql(REFUND, { input: { orderExternalId: 'o-storefront', refundId: `r-${caller}`, amount: { amount: '1.00', currency: 'USD' } } }, as(caller))),
      );
      expect(refund.map(codeOf)).toEqual(['UNAUTHENTICATED', 'FORBIDDEN', 'OK', 'FORBIDDEN', 'OK']);
    });

    it('holdPoints, capturePoints, releasePoints: storefront, and a member for itself only', async () => {
      const hold = await Promise.all(
        CALLERS.map((caller) => server.graphql(HOLD, { input: { memberId: alice.id, points: 100, orderRef: 'cart', idempotencyKey: key() } }, as(caller))),
      );
      expect(hold.map(codeOf)).toEqual(['UNAUTHENTICATED', 'OK', 'OK', 'FORBIDDEN', 'FORBIDDEN']);
      const forBob = await server.graphql(HOLD, { input: { memberId: bob.id, points: 100, orderRef: 'cart', idempotencyKey: key() } }, as('member'));
      expect(codeOf(forBob)).toBe('FORBIDDEN');
      const bobsHold = ok(await server.graphql(HOLD, { input: { memberId: bob.id, points: 100, orderRef: 'cart', idempotencyKey: key() } }, storefront)).holdPoints;
      expect(codeOf(await server.graphql(CAPTURE, { id: bobsHold.id }, as('member')))).toBe('FORBIDDEN');
      expect(codeOf(await server.graphql(RELEASE, { id: bobsHold.id }, as('support')))).toBe('FORBIDDEN');
      expect(ok(await server.graphql(RELEASE, { id: hold[1].body.data!.holdPoints.id }, as('member'))).releasePoints.status).toBe('RELEASED');
      expect(ok(await server.graphql(CAPTURE, { id: hold[2].body.data!.holdPoints.id }, storefront)).capturePoints.status).toBe('CAPTURED');
    });

    it('adjustPoints: support and admin', async () => {
      const results = await Promise.all(
        CALLERS.map((caller) => server.graphql(ADJUST, { input: { memberId: bob.id, points: 10, reason: 'matrix', idempotencyKey: key() } }, as(caller))),
      );
      expect(results.map(codeOf)).toEqual(['UNAUTHENTICATED', 'FORBIDDEN', 'FORBIDDEN', 'OK', 'OK']);
    });

    it('setExchangeRate, createEarningRule and createPointsCurrency: admin only', async () => {
      const rates = await Promise.all(CALLERS.map((caller) => server.graphql(RATE, { c: 'CHF', r: '0.88' }, as(caller))));
      expect(rates.map(codeOf)).toEqual(['UNAUTHENTICATED', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'OK']);
      const rules = await Promise.all(CALLERS.map((caller, i) => server.graphql(RULE, { input: { code: `RULE_${i}`, name: 'r', bonusPoints: 5, markets: ['AQ'] } }, as(caller))));
      expect(rules.map(codeOf)).toEqual(['UNAUTHENTICATED', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'OK']);
      const currencies = await Promise.all(CALLERS.map((caller, i) => server.graphql(CURRENCY, { input: { code: `COIN${i}`, name: 'Coins', valueInBase: '0.001' } }, as(caller))));
      expect(currencies.map(codeOf)).toEqual(['UNAUTHENTICATED', 'FORBIDDEN', 'FORBIDDEN', 'FORBIDDEN', 'OK']);
    });

    it('redemptionQuote: any signed-in caller, a member only for itself', async () => {
      const results = await Promise.all(CALLERS.map((caller) => server.graphql(QUOTE, { m: alice.id, cart: { amount: '10.00', currency: 'USD' } }, as(caller))));
      expect(results.map(codeOf)).toEqual(['UNAUTHENTICATED', 'OK', 'OK', 'OK', 'OK']);
      expect(codeOf(await server.graphql(QUOTE, { m: bob.id, cart: { amount: '10.00', currency: 'USD' } }, as('member')))).toBe('FORBIDDEN');
    });
  });

  describe('bad input changes nothing', () => {
    it.each([
      ['recordOrder', RECORD, (m: string) => ({ input: { memberId: m, externalId: 'bad-1', amount: { amount: '12.345', currency: 'USD' } } }), 'BAD_USER_INPUT', 'amount.amount'],
      ['recordOrder', RECORD, (m: string) => ({ input: { memberId: m, externalId: 'bad-2', amount: { amount: '1.5', currency: 'JPY' } } }), 'BAD_USER_INPUT', 'amount.amount'],
      ['recordOrder', RECORD, (m: string) => ({ input: { memberId: m, externalId: 'bad-3', amount: { amount: '10', currency: 'ABC' } } }), 'BAD_USER_INPUT', 'amount.currency'],
      ['recordOrder', RECORD, (m: string) => ({ input: { memberId: m, externalId: 'bad-4', amount: { amount: '0.00', currency: 'USD' } } }), 'BAD_USER_INPUT', 'amount.amount'],
      ['recordOrder', RECORD, (m: string) => ({ input: { memberId: m, externalId: 'bad-5', amount: { amount: '-5.00', currency: 'USD' } } }), 'BAD_USER_INPUT', 'amount.amount'],
      ['recordOrder', RECORD, (m: string) => ({ input: { memberId: m, externalId: 'bad-6', amount: { amount: '10.00', currency: 'GBP' } } }), 'BAD_USER_INPUT', 'amount.currency'],
      ['recordOrder', RECORD, (m: string) => ({ input: { memberId: m, externalId: 'bad 7', amount: { amount: '10.00', currency: 'USD' } } }), 'BAD_USER_INPUT', 'externalId'],
      ['recordOrder', RECORD, (m: string) => ({ input: { memberId: m, externalId: 'bad-8', amount: { amount: '10.00', currency: 'USD' }, placedAt: new Date(Date.now() + 2 * DAY).toISOString() } }), 'BAD_USER_INPUT', 'placedAt'],
      ['recordOrder', RECORD, () => ({ input: { memberId: 'nope', externalId: 'bad-9', amount: { amount: '10.00', currency: 'USD' } } }), 'BAD_USER_INPUT', 'memberId'],
      ['recordOrder', RECORD, () => ({ input: { memberId: '00000000-0000-7000-8000-000000000000', externalId: 'bad-10', amount: { amount: '10.00', currency: 'USD' } } }), 'NOT_FOUND', undefined],
      ['refundOrder', REFUND, () => ({ input: { orderExternalId: 'no-such-order', refundId: 'bad-r1', amount: { amount: '1.00', currency: 'USD' } } }), 'NOT_FOUND', undefined],
      ['holdPoints', HOLD, (m: string) => ({ input: { memberId: m, points: 99, orderRef: 'c', idempotencyKey: 'bad-h1' } }), 'BAD_USER_INPUT', 'points'],
      ['holdPoints', HOLD, (m: string) => ({ input: { memberId: m, points: 100, orderRef: 'c', idempotencyKey: 'bad-h2', ttlSeconds: 0 } }), 'BAD_USER_INPUT', 'ttlSeconds'],
      ['holdPoints', HOLD, (m: string) => ({ input: { memberId: m, points: 100, orderRef: 'c', idempotencyKey: 'bad-h3', currency: 'NOPE' } }), 'BAD_USER_INPUT', 'currency'],
      ['holdPoints', HOLD, (m: string) => ({ input: { memberId: m, points: 200000, orderRef: 'c', idempotencyKey: 'bad-h4' } }), 'INSUFFICIENT_POINTS', undefined],
      ['capturePoints', CAPTURE, () => ({ id: 'not-a-hold' }), 'BAD_USER_INPUT', 'holdId'],
      ['capturePoints', CAPTURE, () => ({ id: '00000000-0000-7000-8000-000000000000' }), 'NOT_FOUND', undefined],
      ['adjustPoints', ADJUST, (m: string) => ({ input: { memberId: m, points: 0, reason: 'zero', idempotencyKey: 'bad-a1' } }), 'BAD_USER_INPUT', 'points'],
      ['adjustPoints', ADJUST, (m: string) => ({ input: { memberId: m, points: 5, reason: '  ', idempotencyKey: 'bad-a2' } }), 'BAD_USER_INPUT', 'reason'],
      ['adjustPoints', ADJUST, (m: string) => ({ input: { memberId: m, points: -1000000, reason: 'too much', idempotencyKey: 'bad-a3' } }), 'INSUFFICIENT_POINTS', undefined],
      ['setExchangeRate', RATE, () => ({ c: 'EUR', r: 'abc' }), 'BAD_USER_INPUT', 'rate'],
      ['setExchangeRate', RATE, () => ({ c: 'EUR', r: '0' }), 'BAD_USER_INPUT', 'rate'],
      ['setExchangeRate', RATE, () => ({ c: 'USD', r: '1.1' }), 'BAD_USER_INPUT', 'currency'],
      ['setExchangeRate', RATE, () => ({ c: 'ABC', r: '1.1' }), 'BAD_USER_INPUT', 'currency'],
      ['redemptionQuote', QUOTE, (m: string) => ({ m, cart: { amount: '10.001', currency: 'USD' } }), 'BAD_USER_INPUT', 'cart.amount'],
    ])('%s fails with %#: %s', async (_name, query, variables, code, field) => {
      const member = ok(await server.graphql(ENROLL, { input: memberInput() }, admin)).enrollMember;
      ok(await server.graphql(ADJUST, { input: { memberId: member.id, points: 1000, reason: 'float', idempotencyKey: key() } }, admin));
      const before = await state(member.id);
      const caller = [RECORD, REFUND, HOLD, CAPTURE].includes(query) ? storefront : admin;
      const error = onlyError(await server.graphql(query, variables(member.id), caller));
      expect(error.extensions?.code).toBe(code);
      expect(error.extensions?.field).toBe(field);
      expect(await state(member.id)).toEqual(before);
    });

    it('a refund in another currency than the order, or beyond what is left, changes nothing', async () => {
      const member = ok(await server.graphql(ENROLL, { input: memberInput() }, admin)).enrollMember;
      ok(await server.graphql(RECORD, { input: { memberId: member.id, externalId: 'two-currency', amount: { amount: '10.00', currency: 'USD' } } }, storefront));
      const before = await state(member.id);
      const wrongCurrency = onlyError(await server.graphql(REFUND, { input: { orderExternalId: 'two-currency', refundId: 'x-1', amount: { amount: '1.00', currency: 'EUR' } } }, storefront));
      expect(wrongCurrency.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'amount.currency' });
      const tooMuch = onlyError(await server.graphql(REFUND, { input: { orderExternalId: 'two-currency', refundId: 'x-2', amount: { amount: '10.01', currency: 'USD' } } }, storefront));
      expect(tooMuch.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'amount.amount' });
      expect(await state(member.id)).toEqual(before);
    });
  });

  describe('support adjustment limits', () => {
    it('refuses a single adjustment over the limit and the one that would pass the daily limit', async () => {
      const support = { role: 'support' as const, subject: 'agent-limits' };
      const member = ok(await server.graphql(ENROLL, { input: memberInput() }, admin)).enrollMember;
      const over = onlyError(await server.graphql(ADJUST, { input: { memberId: member.id, points: 5001, reason: 'big', idempotencyKey: key() } }, support));
      expect(over).toMatchObject({ extensions: { code: 'FORBIDDEN' }, message: 'support may adjust at most 5000 points at a time' });
      for (let i = 0; i < 4; i += 1) ok(await server.graphql(ADJUST, { input: { memberId: member.id, points: 5000, reason: 'daily', idempotencyKey: key() } }, support));
      const daily = onlyError(await server.graphql(ADJUST, { input: { memberId: member.id, points: -1, reason: 'one more', idempotencyKey: key() } }, support));
      expect(daily).toMatchObject({ extensions: { code: 'FORBIDDEN' }, message: 'support may adjust at most 20000 points a day; 20000 used today' });
      // Another agent has its own allowance; admins have none.
      ok(await server.graphql(ADJUST, { input: { memberId: member.id, points: 10, reason: 'other agent', idempotencyKey: key() } }, { role: 'support', subject: 'agent-2' }));
      ok(await server.graphql(ADJUST, { input: { memberId: member.id, points: 50000, reason: 'admin', idempotencyKey: key() } }, admin));
      expect((await state(member.id)).balances).toEqual([{ currency: 'PTS', posted: 70010, pending: 0, held: 0, available: 70010 }]);
    });
  });

  describe('campaigns and points currencies', () => {
    it('applies the highest matching multiplier and every matching bonus, in the campaign markets and window only', async () => {
      ok(await server.graphql(RULE, { input: { code: 'RAMADAN', name: 'Ramadan 2x', markets: ['ID', 'MY', 'SA'], multiplier: '2', startsAt: new Date(Date.now() - 10 * DAY).toISOString(), endsAt: new Date(Date.now() + 10 * DAY).toISOString() } }, admin));
      ok(await server.graphql(RULE, { input: { code: 'SMALL', name: '1.5x', markets: ['ID'], multiplier: '1.5' } }, admin));
      ok(await server.graphql(RULE, { input: { code: 'WELCOME', name: 'first order', firstOrderOnly: true, bonusPoints: 50, markets: ['ID', 'FR'] } }, admin));
      const id = ok(await server.graphql(ENROLL, { input: memberInput({ country: 'ID' }) }, admin)).enrollMember;
      const fr = ok(await server.graphql(ENROLL, { input: memberInput({ country: 'FR' }) }, admin)).enrollMember;
      const first = ok(await server.graphql(RECORD, { input: { memberId: id.id, externalId: 'id-1', amount: { amount: '10.00', currency: 'USD' } } }, storefront)).recordOrder;
      const second = ok(await server.graphql(RECORD, { input: { memberId: id.id, externalId: 'id-2', amount: { amount: '10.00', currency: 'USD' } } }, storefront)).recordOrder;
      const outside = ok(await server.graphql(RECORD, { input: { memberId: id.id, externalId: 'id-3', amount: { amount: '10.00', currency: 'USD' }, placedAt: new Date(Date.now() - 20 * DAY).toISOString() } }, storefront)).recordOrder;
      const france = ok(await server.graphql(RECORD, { input: { memberId: fr.id, externalId: 'fr-1', amount: { amount: '10.00', currency: 'USD' } } }, storefront)).recordOrder;
      // 10 x 2 (Ramadan beats 1.5x) + 50 welcome; then 10 x 2; before the window 10 x 1.5, plus the welcome bonus
      // again because no earlier-placed order exists (first order means first by placedAt); France 10 + 50 welcome.
      expect([first.pointsEarned, second.pointsEarned, outside.pointsEarned, france.pointsEarned]).toEqual([70, 20, 65, 60]);
      const ledger = ok(await server.graphql('query($id: ID) { member(id: $id) { ledger { edges { node { points kind reference rules { code multiplier bonusPoints } } } } } }', { id: id.id }, admin));
      expect(ledger.member.ledger.edges.map((edge: any) => edge.node)).toEqual([
        { points: 65, kind: 'EARN', reference: 'order:id-3', rules: [{ code: 'SMALL', multiplier: '1.5', bonusPoints: null }, { code: 'WELCOME', multiplier: null, bonusPoints: 50 }] },
        { points: 20, kind: 'EARN', reference: 'order:id-2', rules: [{ code: 'RAMADAN', multiplier: '2', bonusPoints: null }] },
        { points: 70, kind: 'EARN', reference: 'order:id-1', rules: [{ code: 'RAMADAN', multiplier: '2', bonusPoints: null }, { code: 'WELCOME', multiplier: null, bonusPoints: 50 }] },
      ]);
    });

    it('earns a second points currency that admins add, at its own rate', async () => {
      ok(await server.graphql(CURRENCY, { input: { code: 'STATUS', name: 'Status credits', valueInBase: '0', earnsOnOrders: true, earnRate: '0.1', expiryMonths: 24 } }, admin));
      const member = ok(await server.graphql(ENROLL, { input: memberInput({ country: 'DE' }) }, admin)).enrollMember;
      ok(await server.graphql(RECORD, { input: { memberId: member.id, externalId: 'two-currencies', amount: { amount: '250.00', currency: 'USD' } } }, storefront));
      expect((await state(member.id)).balances).toEqual([
        { currency: 'PTS', posted: 0, pending: 250, held: 0, available: 0 },
        { currency: 'STATUS', posted: 0, pending: 25, held: 0, available: 0 },
      ]);
    });
  });
});

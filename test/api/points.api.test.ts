import { checkLedgerInvariants, NO_VIOLATIONS } from '../helpers/invariants';
import { onlyError, startTestServer, TestServer } from '../helpers/server';
import { memberInput } from '../factories/member.factory';
import { flattenTierLadder } from '../factories/tier.factory';

const admin = { role: 'admin' as const, subject: 'admin-1' };
const storefront = { role: 'storefront' as const, subject: 'shop-1' };
const DAY = 24 * 60 * 60 * 1000;

const ENROLL = 'mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { id externalId } }';
const RATE = 'mutation($c: String!, $r: String!, $at: DateTime) { setExchangeRate(currency: $c, rate: $r, effectiveAt: $at) { currency rate effectiveAt } }';
const RECORD = `mutation($input: RecordOrderInput!) { recordOrder(input: $input) {
  id externalId memberId amount { amount currency } baseAmount { amount currency } fxRate refunded { amount currency } status pointsEarned placedAt } }`;
const REFUND = 'mutation($input: RefundOrderInput!) { refundOrder(input: $input) { status refunded { amount currency } pointsEarned } }';
const BALANCE = 'query($id: ID) { member(id: $id) { balance { posted pending held available expiringSoon nextExpiry } } }';
const HOLD = 'mutation($input: HoldPointsInput!) { holdPoints(input: $input) { id memberId points status currency orderRef expiresAt } }';
const CAPTURE = 'mutation($id: ID!) { capturePoints(holdId: $id) { id status points } }';
const RELEASE = 'mutation($id: ID!) { releasePoints(holdId: $id) { id status points } }';
const QUOTE = 'query($m: ID!, $cart: MoneyInput!) { redemptionQuote(memberId: $m, cart: $cart) { currency availablePoints maxPoints maxDiscount { amount currency } minPoints } }';
const ADJUST = 'mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { id currency points kind reason reference } }';
const LEDGER = 'query($id: ID, $first: Int, $after: String) { member(id: $id) { ledger(first: $first, after: $after) { edges { cursor node { points kind reference reason expiresAt } } pageInfo { hasNextPage endCursor } } } }';

describe('points over HTTP', () => {
  let server: TestServer;
  const enrol = async (country = 'US') => (await server.graphql(ENROLL, { input: memberInput({ country }) }, admin)).body.data.enrollMember as { id: string; externalId: string };
  const balance = async (id: string) => (await server.graphql(BALANCE, { id }, admin)).body.data.member.balance;
  const ok = <T = any>(response: { body: { data?: any; errors?: unknown } }): T => {
    if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
    return response.body.data;
  };

  beforeAll(async () => {
    server = await startTestServer();
    await flattenTierLadder(server.orm);
    const twoYearsAgo = new Date(Date.now() - 800 * DAY).toISOString();
    for (const [currency, rate] of [['JPY', '150'], ['KWD', '0.3'], ['EUR', '0.9'], ['IDR', '15500.25']]) {
      ok(await server.graphql(RATE, { c: currency, r: rate, at: twoYearsAgo }, admin));
    }
  });
  afterAll(async () => {
    expect(await checkLedgerInvariants(server.orm)).toEqual(NO_VIOLATIONS);
    await server.stop();
  });

  it('earns pending points on a new USD order: 1 PTS per 1.00, floored', async () => {
    const member = await enrol();
    const order = ok(await server.graphql(RECORD, { input: { memberId: member.id, externalId: 'usd-1', amount: { amount: '123.45', currency: 'USD' } } }, storefront)).recordOrder;
    expect(order).toMatchObject({ amount: { amount: '123.45', currency: 'USD' }, baseAmount: { amount: '123.45', currency: 'USD' }, fxRate: '1', status: 'PAID', pointsEarned: 123 });
    expect(await balance(member.id)).toMatchObject({ posted: 0, pending: 123, held: 0, available: 0 });
  });

  it('converts JPY and KWD at the rate in force when the order was placed, and vests old orders at once', async () => {
    const member = await enrol('JP');
    const placedAt = new Date(Date.now() - 60 * DAY).toISOString();
    const jpy = ok(await server.graphql(RECORD, { input: { memberId: member.id, externalId: 'jpy-1', amount: { amount: '15000', currency: 'JPY' }, placedAt } }, storefront)).recordOrder;
    expect(jpy).toMatchObject({ baseAmount: { amount: '100.00', currency: 'USD' }, fxRate: '150', pointsEarned: 100 });
    const kwd = ok(await server.graphql(RECORD, { input: { memberId: member.id, externalId: 'kwd-1', amount: { amount: '30.001', currency: 'KWD' }, placedAt } }, storefront)).recordOrder;
    // 30.001 KWD / 0.3 = 100.003333 USD -> 100.00 USD (rounded down) -> 100 PTS
    expect(kwd).toMatchObject({ amount: { amount: '30.001', currency: 'KWD' }, baseAmount: { amount: '100.00', currency: 'USD' }, fxRate: '0.3', pointsEarned: 100 });
    expect(await balance(member.id)).toMatchObject({ posted: 200, pending: 0, available: 200 });
    // A newer rate applies to orders placed after it, not before.
    ok(await server.graphql(RATE, { c: 'JPY', r: '100', at: new Date(Date.now() - 10 * DAY).toISOString() }, admin));
    const later = ok(await server.graphql(RECORD, { input: { memberId: member.id, externalId: 'jpy-2', amount: { amount: '15000', currency: 'JPY' } } }, storefront)).recordOrder;
    expect(later).toMatchObject({ baseAmount: { amount: '150.00', currency: 'USD' }, fxRate: '100', pointsEarned: 150 });
    const older = ok(await server.graphql(RECORD, { input: { memberId: member.id, externalId: 'jpy-3', amount: { amount: '15000', currency: 'JPY' }, placedAt: new Date(Date.now() - 20 * DAY).toISOString() } }, storefront)).recordOrder;
    expect(older).toMatchObject({ fxRate: '150', pointsEarned: 100 });
  });

  it('is idempotent on the order externalId, and refuses other input for it', async () => {
    const member = await enrol();
    const input = { memberId: member.id, externalId: 'idem-order', amount: { amount: '50.00', currency: 'USD' } };
    const first = ok(await server.graphql(RECORD, { input }, storefront)).recordOrder;
    const replay = ok(await server.graphql(RECORD, { input }, storefront)).recordOrder;
    expect(replay).toEqual(first);
    expect(onlyError(await server.graphql(RECORD, { input: { ...input, amount: { amount: '51.00', currency: 'USD' } } }, storefront)).extensions?.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(await balance(member.id)).toMatchObject({ pending: 50 });
  });

  it('takes back points in proportion to refunds; a full refund leaves none', async () => {
    const member = await enrol();
    ok(await server.graphql(RECORD, { input: { memberId: member.id, externalId: 'refund-me', amount: { amount: '99.99', currency: 'USD' } } }, storefront));
    const partial = ok(await server.graphql(REFUND, { input: { orderExternalId: 'refund-me', refundId: 'r-1', amount: { amount: '33.33', currency: 'USD' } } }, storefront)).refundOrder;
    expect(partial).toMatchObject({ status: 'PARTIALLY_REFUNDED', refunded: { amount: '33.33', currency: 'USD' } });
    // 99 points; a third refunded: floor(99 * 3333 / 9999) = 33 taken back
    expect(await balance(member.id)).toMatchObject({ pending: 66 });
    const replay = ok(await server.graphql(REFUND, { input: { orderExternalId: 'refund-me', refundId: 'r-1', amount: { amount: '33.33', currency: 'USD' } } }, storefront)).refundOrder;
    expect(replay).toMatchObject({ refunded: { amount: '33.33' } });
    expect(onlyError(await server.graphql(REFUND, { input: { orderExternalId: 'refund-me', refundId: 'r-1', amount: { amount: '1.00', currency: 'USD' } } }, storefront)).extensions?.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(onlyError(await server.graphql(REFUND, { input: { orderExternalId: 'refund-me', refundId: 'r-2', amount: { amount: '70.00', currency: 'USD' } } }, storefront)).extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'amount.amount',
    });
    ok(await server.graphql(REFUND, { input: { orderExternalId: 'refund-me', refundId: 'r-3', amount: { amount: '66.66', currency: 'USD' } } }, storefront));
    expect(await balance(member.id)).toMatchObject({ posted: 0, pending: 0 });
  });

  it('quotes, holds, captures and releases; expired holds do not count as held', async () => {
    const member = await enrol();
    ok(await server.graphql(RECORD, { input: { memberId: member.id, externalId: 'rich', amount: { amount: '1200.00', currency: 'USD' }, placedAt: new Date(Date.now() - 30 * DAY).toISOString() } }, storefront));
    const quote = ok(await server.graphql(QUOTE, { m: member.id, cart: { amount: '1000.00', currency: 'USD' } }, storefront)).redemptionQuote;
    expect(quote).toEqual({ currency: 'PTS', availablePoints: 1200, maxPoints: 1200, maxDiscount: { amount: '12.00', currency: 'USD' }, minPoints: 100 });
    const small = ok(await server.graphql(QUOTE, { m: member.id, cart: { amount: '10.00', currency: 'USD' } }, storefront)).redemptionQuote;
    expect(small).toMatchObject({ maxPoints: 500, maxDiscount: { amount: '5.00', currency: 'USD' } });
    const jpy = ok(await server.graphql(QUOTE, { m: member.id, cart: { amount: '1000', currency: 'JPY' } }, storefront)).redemptionQuote;
    // 50% of 1000 JPY = 500 JPY; one point = 0.01 USD = 1 JPY at today's rate 100
    expect(jpy).toMatchObject({ maxPoints: 500, maxDiscount: { amount: '500', currency: 'JPY' } });

    const hold = ok(await server.graphql(HOLD, { input: { memberId: member.id, points: 500, orderRef: 'cart-1', idempotencyKey: 'h-1' } }, storefront)).holdPoints;
    expect(hold).toMatchObject({ memberId: member.id, points: 500, status: 'HELD', currency: 'PTS', orderRef: 'cart-1' });
    expect(await balance(member.id)).toMatchObject({ posted: 1200, held: 500, available: 700 });
    const replay = ok(await server.graphql(HOLD, { input: { memberId: member.id, points: 500, orderRef: 'cart-1', idempotencyKey: 'h-1' } }, storefront)).holdPoints;
    expect(replay.id).toBe(hold.id);
    expect(onlyError(await server.graphql(HOLD, { input: { memberId: member.id, points: 501, orderRef: 'cart-1', idempotencyKey: 'h-1' } }, storefront)).extensions?.code).toBe('IDEMPOTENCY_CONFLICT');
    expect(onlyError(await server.graphql(HOLD, { input: { memberId: member.id, points: 701, orderRef: 'cart-2', idempotencyKey: 'h-2' } }, storefront)).extensions?.code).toBe('INSUFFICIENT_POINTS');

    expect(ok(await server.graphql(CAPTURE, { id: hold.id }, storefront)).capturePoints).toEqual({ id: hold.id, status: 'CAPTURED', points: 500 });
    expect(ok(await server.graphql(CAPTURE, { id: hold.id }, storefront)).capturePoints).toEqual({ id: hold.id, status: 'CAPTURED', points: 500 });
    expect(onlyError(await server.graphql(RELEASE, { id: hold.id }, storefront)).extensions?.code).toBe('HOLD_NOT_ACTIVE');
    expect(await balance(member.id)).toMatchObject({ posted: 700, held: 0, available: 700 });

    const released = ok(await server.graphql(HOLD, { input: { memberId: member.id, points: 200, orderRef: 'cart-3', idempotencyKey: 'h-3' } }, storefront)).holdPoints;
    expect(ok(await server.graphql(RELEASE, { id: released.id }, storefront)).releasePoints.status).toBe('RELEASED');
    expect(onlyError(await server.graphql(CAPTURE, { id: released.id }, storefront)).extensions?.code).toBe('HOLD_NOT_ACTIVE');

    const short = ok(await server.graphql(HOLD, { input: { memberId: member.id, points: 600, orderRef: 'cart-4', idempotencyKey: 'h-4', ttlSeconds: 1 } }, storefront)).holdPoints;
    expect(await balance(member.id)).toMatchObject({ held: 600, available: 100 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await balance(member.id)).toMatchObject({ held: 0, available: 700 });
    expect(onlyError(await server.graphql(CAPTURE, { id: short.id }, storefront)).extensions?.code).toBe('HOLD_NOT_ACTIVE');
    expect(await balance(member.id)).toMatchObject({ posted: 700, held: 0, available: 700 });
  });

  it('adjusts points by hand with a reason, idempotently, and lists the ledger newest first', async () => {
    const member = await enrol();
    const grant = ok(await server.graphql(ADJUST, { input: { memberId: member.id, points: 250, reason: 'goodwill', idempotencyKey: 'adj-1' } }, admin)).adjustPoints;
    expect(grant).toMatchObject({ currency: 'PTS', points: 250, kind: 'ADJUSTMENT', reason: 'goodwill' });
    expect(ok(await server.graphql(ADJUST, { input: { memberId: member.id, points: 250, reason: 'goodwill', idempotencyKey: 'adj-1' } }, admin)).adjustPoints).toEqual(grant);
    const take = ok(await server.graphql(ADJUST, { input: { memberId: member.id, points: -50, reason: 'correction', idempotencyKey: 'adj-2' } }, admin)).adjustPoints;
    expect(take).toMatchObject({ points: -50 });
    expect(onlyError(await server.graphql(ADJUST, { input: { memberId: member.id, points: -500, reason: 'too much', idempotencyKey: 'adj-3' } }, admin)).extensions?.code).toBe('INSUFFICIENT_POINTS');
    const ledger = ok(await server.graphql(LEDGER, { id: member.id, first: 1 }, admin)).member.ledger;
    expect(ledger.edges.map((edge: any) => edge.node.points)).toEqual([-50]);
    const next = ok(await server.graphql(LEDGER, { id: member.id, first: 5, after: ledger.pageInfo.endCursor }, admin)).member.ledger;
    expect(next.edges.map((edge: any) => [edge.node.points, edge.node.kind])).toEqual([[250, 'ADJUSTMENT']]);
    expect(await balance(member.id)).toMatchObject({ posted: 200, available: 200, expiringSoon: 0 });
  });
});

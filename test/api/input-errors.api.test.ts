import { onlyError, startTestServer, TestServer } from '../helpers/server';
import { memberInput } from '../factories/member.factory';
import { flattenTierLadder } from '../factories/tier.factory';

const admin = { role: 'admin' as const, subject: 'input-admin' };
const storefront = { role: 'storefront' as const, subject: 'input-shop' };
const ENROL = 'mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { id externalId } }';
const RATE = 'mutation($c: String!, $r: String!, $at: DateTime) { setExchangeRate(currency: $c, rate: $r, effectiveAt: $at) { currency } }';
const RECORD = 'mutation($input: RecordOrderInput!) { recordOrder(input: $input) { externalId pointsEarned } }';
const HOLD = 'mutation($input: HoldPointsInput!) { holdPoints(input: $input) { id } }';
const BALANCE = 'query($id: ID) { member(id: $id) { balance { posted pending held } } }';
const GROWTH = 'query($market: String) { growthMetrics(from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z", market: $market) { baseCurrency } }';

/** Inputs a client gets wrong: each answer is BAD_USER_INPUT (or FORBIDDEN) with a message that says what to fix. */
describe('input errors', () => {
  let server: TestServer;
  let member: { id: string; externalId: string };
  let other: { id: string; externalId: string };
  const order = (amount: string, currency = 'USD', externalId = `o-${amount}-${currency}`) => ({
    input: { memberId: member.id, externalId, amount: { amount, currency } },
  });

  beforeAll(async () => {
    server = await startTestServer({ MAX_ORDER_AMOUNT: '1000000.00' });
    await flattenTierLadder(server.orm); // one tier, multiplier 1: points are the base amount
    member = (await server.graphql(ENROL, { input: memberInput({ externalId: 'input-1' }) }, admin)).body.data.enrollMember;
    other = (await server.graphql(ENROL, { input: memberInput({ externalId: 'input-2' }) }, admin)).body.data.enrollMember;
    await server.graphql(RATE, { c: 'JPY', r: '150', at: '2020-01-01T00:00:00Z' }, admin);
  });
  afterAll(() => server.stop());

  it('refuses an order above MAX_ORDER_AMOUNT, or too large to store, naming the largest amount accepted; nothing is earned', async () => {
    for (const amount of ['3000000000.00', '99999999999999999999999.00', '21474836.47', '1000000.01']) {
      const error = onlyError(await server.graphql(RECORD, order(amount), storefront));
      expect(error).toEqual({
        message: 'amount.amount: must be at most 1000000.00 USD (MAX_ORDER_AMOUNT)',
        locations: expect.anything(),
        path: ['recordOrder'],
        extensions: { code: 'BAD_USER_INPUT', field: 'amount.amount' },
      });
    }
    const yen = onlyError(await server.graphql(RECORD, order('150000002', 'JPY'), storefront));
    expect(yen.message).toBe('amount.amount: must be at most 150000001 JPY (MAX_ORDER_AMOUNT: 1000000.00 USD at the rate in force)');
    expect((await server.graphql(BALANCE, { id: member.id }, admin)).body.data.member.balance).toEqual({ posted: 0, pending: 0, held: 0 });

    const largestYen = await server.graphql(RECORD, order('150000001', 'JPY'), storefront);
    expect(largestYen.body).toEqual({ data: { recordOrder: { externalId: 'o-150000001-JPY', pointsEarned: 1000000 } } });
    const largest = await server.graphql(RECORD, order('1000000.00'), storefront);
    expect(largest.body).toEqual({ data: { recordOrder: { externalId: 'o-1000000.00-USD', pointsEarned: 1000000 } } });
  });

  it('says a negative amount must be positive', async () => {
    const error = onlyError(await server.graphql(RECORD, order('-5'), storefront));
    expect([error.message, error.extensions]).toEqual(['amount.amount: must be greater than zero; "-5" is not', { code: 'BAD_USER_INPUT', field: 'amount.amount' }]);
  });

  it('reports every invalid field of an input, each with its field', async () => {
    const enrolment = onlyError(
      await server.graphql(ENROL, { input: memberInput({ externalId: 'has space', email: 'not-an-email', country: 'ZZ', birthday: '13-45' }) }, admin),
    );
    expect(enrolment.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'externalId',
      problems: [
        { field: 'externalId', message: 'externalId: must be 1 to 128 printable characters without spaces' },
        { field: 'email', message: 'email: "not-an-email" is not an email address' },
        { field: 'country', message: 'country: "ZZ" is not an ISO 3166-1 alpha-2 code' },
        { field: 'birthday', message: 'birthday: "13-45" is not a day of the year as MM-DD' },
      ],
    });
    expect(enrolment.message).toBe(
      'externalId: must be 1 to 128 printable characters without spaces; email: "not-an-email" is not an email address; country: "ZZ" is not an ISO 3166-1 alpha-2 code; birthday: "13-45" is not a day of the year as MM-DD',
    );
    const recorded = onlyError(
      await server.graphql(RECORD, { input: { memberId: member.id, externalId: ' ', amount: { amount: '-1', currency: 'USD' }, placedAt: '2999-01-01T00:00:00Z' } }, storefront),
    );
    expect((recorded.extensions!.problems as { field: string }[]).map((problem) => problem.field)).toEqual(['externalId', 'amount.amount', 'placedAt']);
  });

  it('tells a member acting on another member that it may only act on its own points, not that it may only read itself', async () => {
    const error = onlyError(
      await server.graphql(HOLD, { input: { memberId: other.id, points: 100, orderRef: 'cart-x', idempotencyKey: 'hold-x' } }, { role: 'member', subject: member.externalId }),
    );
    expect([error.message, error.extensions]).toEqual(['a member may only act on its own points and orders', { code: 'FORBIDDEN' }]);
  });

  it('refuses growthMetrics for a market that is not a country', async () => {
    const error = onlyError(await server.graphql(GROWTH, { market: 'ZZ' }, admin));
    expect([error.message, error.extensions]).toEqual([
      'market: "ZZ" is not an ISO 3166-1 alpha-2 country code, such as DE',
      { code: 'BAD_USER_INPUT', field: 'market' },
    ]);
    expect((await server.graphql(GROWTH, { market: 'de' }, admin)).body).toEqual({ data: { growthMetrics: { baseCurrency: 'USD' } } });
  });

  it('one rule for tokens: none is an anonymous caller (HTTP 200, UNAUTHENTICATED per field that needs one); a bad one refuses the request (401)', async () => {
    const anonymous = await server.graphql(BALANCE, { id: member.id });
    expect([anonymous.status, onlyError(anonymous).extensions]).toEqual([200, { code: 'UNAUTHENTICATED' }]);
    const bad = await server.graphql(BALANCE, { id: member.id }, 'not-a-token');
    expect([bad.status, onlyError(bad).extensions?.code, bad.body.data]).toEqual([401, 'UNAUTHENTICATED', undefined]);
  });
});

import fc from 'fast-check';
import Stripe from 'stripe';
import {
  getNamedType,
  GraphQLField,
  GraphQLInputType,
  GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isInterfaceType,
  isUnionType,
} from 'graphql';
import { buildGraphQLSchema } from '../../src/graphql/schema';
import { memberInput } from '../factories/member.factory';
import { checkLedgerInvariants, NO_VIOLATIONS } from '../helpers/invariants';
import { startTestServer, TestServer } from '../helpers/server';
import { charge, paymentIntent, stripeEvent, TEST_STRIPE_WEBHOOK_SECRET } from '../helpers/stripe';

/**
 * Hostile input, drawn from the schema itself: every query and mutation with nasty variable values, broken HTTP
 * bodies, and correctly signed Stripe webhooks over odd payloads. Nothing may answer 5xx or INTERNAL_SERVER_ERROR,
 * the server stays healthy, and invalid mutations leave a member exactly as it was. Replay a failure with
 * HOSTILE_SEED=<the printed seed>.
 */
const SEED = process.env.HOSTILE_SEED ? Number(process.env.HOSTILE_SEED) : Date.now() % 2_147_483_647;
const RUNS = process.env.HOSTILE_RUNS ? Number(process.env.HOSTILE_RUNS) : 120;
/**
 * recomputeLtv on a programme without history is the LTV helper's item (LTV_FIT_FAILED); it is slow besides.
 * eraseMember would (rightly) erase the member the curated mutations below check is left exactly as it was; erasure
 * has its own tests (test/api/privacy.api.test.ts).
 */
const SKIPPED_FIELDS = new Set(['recomputeLtv', 'eraseMember']);

const admin = { role: 'admin' as const, subject: 'hostile-admin' };
const storefront = { role: 'storefront' as const, subject: 'hostile-shop' };

const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  'x'.repeat(5000),
  '😀👍🏽‍🔥',
  '\u202eevil\u202c',
  '\u200f\u200e',
  'usd',
  'XXX',
  'USD',
  'JPY',
  '-5',
  '-0',
  '0',
  '1e309',
  '2147483648',
  '99999999999999999999999.00',
  '12.345',
  'NaN',
  'not-a-uuid',
  '00000000-0000-0000-0000-000000000000',
  '2026-02-30',
  '2026-02-29T00:00:00Z',
  '13-45',
  "' or 1=1 --",
  '%_\\',
  'PTS',
  'TIER:GOLD',
  'LTV:VIP',
  'cus_',
  '<script>alert(1)</script>',
];
const WRONG_TYPES: unknown[] = [true, 2 ** 31, -0, 1e308, 'str', [], {}, [null], { nested: { deep: [1] } }];

function stringArbitrary(context: { memberIds: string[] }): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
    { weight: 2, arbitrary: fc.string({ maxLength: 24 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
    { weight: 1, arbitrary: fc.uuid() },
    { weight: 2, arbitrary: fc.constantFrom(...context.memberIds) },
  );
}

function scalarArbitrary(name: string, context: { memberIds: string[] }): fc.Arbitrary<unknown> {
  switch (name) {
    case 'Int':
      return fc.oneof(fc.integer(), fc.constantFrom(2 ** 31, -(2 ** 31) - 1, -0, 0, 1, 100, 5000, 1e309, 1.5));
    case 'Float':
      return fc.oneof(fc.double(), fc.constantFrom(-0, 1e308, Number.MIN_VALUE));
    case 'Boolean':
      return fc.boolean();
    case 'DateTime':
      return fc.constantFrom('2026-01-01T00:00:00Z', '1970-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '2026-02-30T00:00:00Z', 'yesterday', '', '2026-01-01', '+275760-09-13T00:00:00Z');
    default:
      return stringArbitrary(context);
  }
}

/** Values for an input type: mostly of the right shape with nasty contents, sometimes of the wrong type. */
function valueArbitrary(type: GraphQLInputType, context: { memberIds: string[] }, depth = 0): fc.Arbitrary<unknown> {
  const wrong = fc.constantFrom(...WRONG_TYPES, null);
  if (isNonNullType(type)) return fc.oneof({ weight: 12, arbitrary: valueArbitrary(type.ofType, context, depth) }, { weight: 1, arbitrary: wrong });
  const right = (() => {
    if (isListType(type)) return fc.array(valueArbitrary(type.ofType as GraphQLInputType, context, depth + 1), { maxLength: 3 });
    if (isEnumType(type)) return fc.constantFrom(...type.getValues().map((value) => value.name), 'NOT_A_VALUE', '');
    if (isInputObjectType(type)) {
      if (depth > 3) return fc.constant({});
      const fields = Object.values(type.getFields());
      return fc.record(Object.fromEntries(fields.map((field) => [field.name, valueArbitrary(field.type, context, depth + 1)])), {
        requiredKeys: fields.filter((field) => isNonNullType(field.type)).map((field) => field.name),
      });
    }
    if (isScalarType(type)) return scalarArbitrary(type.name, context);
    return fc.constant(null);
  })();
  return fc.oneof({ weight: 10, arbitrary: right }, { weight: 1, arbitrary: wrong });
}

/** A document calling `field` with every argument as a variable, selecting just __typename of an object result. */
function documentFor(operation: 'query' | 'mutation', field: GraphQLField<unknown, unknown>): string {
  const variables = field.args.map((arg, index) => `$a${index}: ${arg.type.toString()}`).join(', ');
  const args = field.args.map((arg, index) => `${arg.name}: $a${index}`).join(', ');
  const named = getNamedType(field.type);
  const selection = isObjectType(named) || isInterfaceType(named) || isUnionType(named) ? ' { __typename }' : '';
  return `${operation} Hostile${variables ? `(${variables})` : ''} { ${field.name}${args ? `(${args})` : ''}${selection} }`;
}

interface Case {
  query: string;
  variables: Record<string, unknown>;
  role: 'admin' | 'storefront' | 'support' | 'member' | 'anonymous';
}

function casesFrom(schema: GraphQLSchema, context: { memberIds: string[] }): fc.Arbitrary<Case> {
  const fields: ['query' | 'mutation', GraphQLField<unknown, unknown>][] = [
    ...Object.values(schema.getQueryType()!.getFields()).map((field) => ['query', field] as ['query', GraphQLField<unknown, unknown>]),
    ...Object.values(schema.getMutationType()!.getFields()).map((field) => ['mutation', field] as ['mutation', GraphQLField<unknown, unknown>]),
  ].filter(([, field]) => !SKIPPED_FIELDS.has(field.name));
  return fc.oneof(
    ...fields.map(([operation, field]) =>
      fc.record({
        query: fc.constant(documentFor(operation, field)),
        variables: fc.tuple(...field.args.map((arg) => valueArbitrary(arg.type, context))).map((values) => Object.fromEntries(values.map((value, index) => [`a${index}`, value]))),
        role: fc.constantFrom('admin', 'admin', 'admin', 'storefront', 'support', 'member', 'anonymous') as fc.Arbitrary<Case['role']>,
      }),
    ),
  );
}

describe('hostile input', () => {
  let server: TestServer;
  let memberId: string;
  let memberExternalId: string;
  const failures: string[] = [];
  /** Fails on 5xx and on INTERNAL_SERVER_ERROR; records what was sent, for the report. */
  const judge = (what: string, status: number, body: string) => {
    let codes: string[] = [];
    try {
      codes = ((JSON.parse(body) as { errors?: { extensions?: { code?: string } }[] }).errors ?? []).map((error) => String(error.extensions?.code));
    } catch {
      // not JSON: only the status counts
    }
    if (status >= 500 || codes.includes('INTERNAL_SERVER_ERROR')) failures.push(`${what} -> ${status} ${body.slice(0, 300)}`);
  };

  beforeAll(async () => {
    console.log(`hostile-input seed: ${SEED} (replay with HOSTILE_SEED=${SEED})`);
    server = await startTestServer({ STRIPE_WEBHOOK_SECRET: TEST_STRIPE_WEBHOOK_SECRET });
    const enrolled = await server.graphql('mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { id externalId } }', { input: memberInput({ externalId: 'hostile-1' }) }, admin);
    ({ id: memberId, externalId: memberExternalId } = enrolled.body.data.enrollMember);
    await server.graphql('mutation($input: RecordOrderInput!) { recordOrder(input: $input) { id } }', { input: { memberId, externalId: 'hostile-order-1', amount: { amount: '500.00', currency: 'USD' }, placedAt: '2025-01-01T00:00:00Z' } }, storefront);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers every query and mutation of the schema, with nasty variables, without 5xx or INTERNAL_SERVER_ERROR', async () => {
    const schema = await buildGraphQLSchema();
    const context = { memberIds: [memberId] };
    await fc.assert(
      fc.asyncProperty(casesFrom(schema, context), async ({ query, variables, role }) => {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (role !== 'anonymous') headers.authorization = `Bearer ${await server.token(role, role === 'member' ? memberExternalId : undefined)}`;
        const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
        judge(`${role} ${query} ${JSON.stringify(variables).slice(0, 300)}`, response.status, await response.text());
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(failures).toEqual([]);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it('refuses broken HTTP bodies with 4xx, never 5xx', async () => {
    const fields = Array.from({ length: 3000 }, (_, index) => `f${index}: __typename`).join(' ');
    const deep = `{ ${'me { referrals { edges { node { '.repeat(30)}id${' } } } }'.repeat(30)} }`;
    const bodies: [string, string, string][] = [
      ['application/json', 'not json', 'not JSON'],
      ['application/json', '[]', 'an empty array'],
      ['application/json', '[{"query":"{ __typename }"},{"query":"{ __typename }"}]', 'a batch'],
      ['application/json', '"just a string"', 'a string'],
      ['application/json', 'null', 'null'],
      ['application/json', '{}', 'no query'],
      ['application/json', '{"query": 5}', 'a number as query'],
      ['application/json', '{"query": null}', 'a null query'],
      ['application/json', '{"query": "{"}', 'an unterminated document'],
      ['application/json', '{"query": "{ __typename }", "variables": "x"}', 'variables as a string'],
      ['application/json', '{"query": "{ __typename }", "operationName": 7}', 'operationName as a number'],
      ['application/json', '{"query": "{ __typename }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "abc"}}}', 'a persisted query'],
      ['application/json', JSON.stringify({ query: 'fragment A on Query { ...B } fragment B on Query { ...A } { ...A }' }), 'a fragment cycle'],
      ['application/json', JSON.stringify({ query: deep }), 'a deep document'],
      ['application/json', JSON.stringify({ query: `{ ${fields} }` }), 'a wide document'],
      ['application/json', JSON.stringify({ query: `{ ${'__typename '.repeat(20000)} }` }), 'a document over the token limit'],
      ['application/json', JSON.stringify({ query: '{ __typename }', pad: 'x'.repeat(200 * 1024) }), 'an oversized body'],
      ['application/json', '\uFEFF{"query":"{ __typename }"}', 'a byte order mark'],
      ['text/plain', '{"query":"{ __typename }"}', 'text/plain'],
      ['application/x-www-form-urlencoded', 'query=%7B__typename%7D', 'a form'],
      ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{}\r\n--x--', 'multipart'],
      ['application/graphql', '{ __typename }', 'application/graphql'],
      ['', '', 'nothing at all'],
    ];
    for (const [contentType, body, what] of bodies) {
      const headers: Record<string, string> = { authorization: `Bearer ${await server.token('admin')}` };
      if (contentType) headers['content-type'] = contentType;
      const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers, body });
      judge(what, response.status, await response.text());
    }
    const get = await fetch(`${server.url}/graphql?query=${encodeURIComponent('mutation { deleteTier(code: "BRONZE") }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    judge('a mutation over GET', get.status, await get.text());
    expect(failures).toEqual([]);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it('takes correctly signed Stripe webhooks over odd payloads without 5xx', async () => {
    const odd: unknown[] = [
      {},
      [],
      'a string',
      { id: 'evt_1', object: 'event', type: 'payment_intent.succeeded', created: 1, data: null },
      stripeEvent('payment_intent.succeeded', { id: 'pi_odd_1' }),
      stripeEvent('payment_intent.succeeded', paymentIntent({ id: 'pi_odd_2', amount: -500, currency: 'usd', memberId })),
      stripeEvent('payment_intent.succeeded', paymentIntent({ id: 'pi_odd_3', amount: 1e20, currency: 'usd', memberId })),
      stripeEvent('payment_intent.succeeded', paymentIntent({ id: 'pi_odd_4', amount: 2 ** 53 + 1, currency: 'jpy', memberId })),
      stripeEvent('payment_intent.succeeded', paymentIntent({ id: 'pi_odd_5', amount: 1000, currency: 'zzz', memberId })),
      stripeEvent('payment_intent.succeeded', { ...paymentIntent({ id: 'pi_odd_6', amount: 1000, currency: 'usd' }), metadata: { member_id: 'not-a-uuid' } }),
      stripeEvent('payment_intent.succeeded', { ...paymentIntent({ id: 'pi_odd_7', amount: 1000, currency: 'usd' }), metadata: { member_id: '00000000-0000-0000-0000-000000000000' } }),
      stripeEvent('payment_intent.succeeded', { ...paymentIntent({ id: 'pi_odd_8', amount: 'abc' as unknown as number, currency: 'usd', memberId }), amount_received: 'abc', created: 'yesterday' }),
      stripeEvent('payment_intent.succeeded', { ...paymentIntent({ id: 'pi_odd_9', amount: 1000, currency: 'usd', memberId }), currency: 5, metadata: 'x' }),
      stripeEvent('payment_intent.succeeded', { ...paymentIntent({ id: 'x'.repeat(5000), amount: 1000, currency: 'usd', memberId }) }),
      stripeEvent('payment_intent.succeeded', { ...paymentIntent({ id: 'pi_odd_10\u0000', amount: 1000, currency: 'usd', memberId }) }),
      stripeEvent('charge.refunded', { ...charge({ id: 'ch_odd_1', paymentIntent: 'hostile-order-1', amount: 1000, currency: 'usd' }), refunds: { data: 'x' } }),
      stripeEvent('charge.refunded', charge({ id: 'ch_odd_2', paymentIntent: 'pi_unknown', amount: 1000, currency: 'usd', refunds: [{ id: 're_odd', amount: 1e18, created: 1 }] })),
      stripeEvent('charge.refunded', { id: 'ch_odd_3', object: 'charge', payment_intent: { nested: true }, amount_refunded: -1, currency: null }),
      stripeEvent('charge.dispute.created', { id: 'dp_odd_1', object: 'dispute', payment_intent: 'pi_unknown', charge: 'ch_x', amount: 'lots', status: 5 }),
      stripeEvent('charge.dispute.closed', { id: 'dp_odd_2', object: 'dispute', payment_intent: 'pi_unknown', status: 'weird' }),
      stripeEvent('charge.succeeded', { id: 'ch_odd_4', object: 'charge', payment_intent: 'pi_odd_1', payment_method_details: { card: { fingerprint: 5 } } }),
      stripeEvent('some.future.event', { id: 'obj_1' }),
      { ...stripeEvent('payment_intent.succeeded', { id: 'pi_odd_11' }), type: 7 },
      { ...stripeEvent('payment_intent.succeeded', { id: 'pi_odd_12' }), created: 'not a time' },
      { ...stripeEvent('payment_intent.succeeded', { id: 'pi_odd_13' }), id: null },
    ];
    for (const event of odd) {
      const payload = JSON.stringify(event);
      const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: TEST_STRIPE_WEBHOOK_SECRET });
      const response = await fetch(`${server.url}/webhooks/stripe`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: payload });
      judge(`Stripe ${payload.slice(0, 200)}`, response.status, await response.text());
    }
    expect(failures).toEqual([]);
    expect(await checkLedgerInvariants(server.orm)).toEqual(NO_VIOLATIONS);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it('leaves a member exactly as it was after a curated set of invalid mutations', async () => {
    const em = () => server.orm.em.fork();
    const snapshot = async () => ({
      member: (await em().execute('select row_to_json(m)::text as row from members m where id = ?', [memberId]))[0].row,
      accounts: await em().execute('select currency, posted::text, pending::text, held::text from points_accounts where member_id = ? order by currency', [memberId]),
      transfers: await em().execute('select id::text, kind, amount::text from points_transfers where member_id = ? order by id', [memberId]),
      lots: await em().execute('select id::text, remaining::text, reversed::text from points_lots where member_id = ? order by id', [memberId]),
      holds: await em().execute('select id, status from points_holds where member_id = ? order by id', [memberId]),
      orders: await em().execute('select external_id, refunded_minor::text, status from orders where member_id = ? order by external_id', [memberId]),
      referrals: await em().execute('select id, status from referrals where member_id = ? or referrer_id = ?', [memberId, memberId]),
    });
    const before = await snapshot();
    const member = { role: 'member' as const, subject: memberExternalId };
    const attempts: [string, Record<string, unknown>, typeof admin | typeof storefront | typeof member][] = [
      ['mutation($i: RecordOrderInput!) { recordOrder(input: $i) { id } }', { i: { memberId, externalId: 'bad-1', amount: { amount: '-5', currency: 'USD' } } }, storefront],
      ['mutation($i: RecordOrderInput!) { recordOrder(input: $i) { id } }', { i: { memberId, externalId: 'bad-2', amount: { amount: '3000000000.00', currency: 'USD' } } }, storefront],
      ['mutation($i: RecordOrderInput!) { recordOrder(input: $i) { id } }', { i: { memberId, externalId: 'bad-3', amount: { amount: '10.00', currency: 'XXX' } } }, storefront],
      ['mutation($i: RecordOrderInput!) { recordOrder(input: $i) { id } }', { i: { memberId, externalId: 'bad-4', amount: { amount: '10.00', currency: 'USD' }, placedAt: '2999-01-01T00:00:00Z' } }, storefront],
      ['mutation($i: HoldPointsInput!) { holdPoints(input: $i) { id } }', { i: { memberId, points: 2 ** 31 - 1, orderRef: 'c', idempotencyKey: 'bad-h1' } }, storefront],
      ['mutation($i: HoldPointsInput!) { holdPoints(input: $i) { id } }', { i: { memberId, points: -100, orderRef: 'c', idempotencyKey: 'bad-h2' } }, storefront],
      ['mutation($i: HoldPointsInput!) { holdPoints(input: $i) { id } }', { i: { memberId, points: 100, orderRef: 'c', idempotencyKey: 'bad-h3', ttlSeconds: 0 } }, storefront],
      ['mutation($i: HoldPointsInput!) { holdPoints(input: $i) { id } }', { i: { memberId, points: 100, orderRef: 'c', idempotencyKey: 'bad-h4', currency: 'NOPE' } }, storefront],
      ['mutation($id: ID!) { capturePoints(holdId: $id) { id } }', { id: '00000000-0000-0000-0000-000000000000' }, storefront],
      ['mutation($id: ID!) { releasePoints(holdId: $id) { id } }', { id: 'not-a-uuid' }, storefront],
      ['mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { id } }', { i: { memberId, points: 0, reason: 'zero', idempotencyKey: 'bad-a1' } }, admin],
      ['mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { id } }', { i: { memberId, points: 10, reason: '', idempotencyKey: 'bad-a2' } }, admin],
      ['mutation($i: AdjustPointsInput!) { adjustPoints(input: $i) { id } }', { i: { memberId, points: 10, reason: 'mine', idempotencyKey: 'bad-a3' } }, member],
      ['mutation($i: RefundOrderInput!) { refundOrder(input: $i) { id } }', { i: { orderExternalId: 'hostile-order-1', refundId: 'bad-r1', amount: { amount: '900.00', currency: 'USD' } } }, storefront],
      ['mutation($i: RefundOrderInput!) { refundOrder(input: $i) { id } }', { i: { orderExternalId: 'hostile-order-1', refundId: 'bad-r2', amount: { amount: '5.00', currency: 'EUR' } } }, storefront],
      ['mutation($i: RefundOrderInput!) { refundOrder(input: $i) { id } }', { i: { orderExternalId: 'hostile-order-1', refundId: 'bad-r3', amount: { amount: '-5.00', currency: 'USD' } } }, storefront],
      ['mutation($i: EnrollMemberInput!) { enrollMember(input: $i) { id } }', { i: memberInput({ externalId: memberExternalId, email: 'someone-else@example.com' }) }, storefront],
      ['mutation($i: RedeemRewardInput!) { redeemReward(input: $i) { voucherCode } }', { i: { memberId, rewardId: '00000000-0000-0000-0000-000000000000', idempotencyKey: 'bad-rw1' } }, storefront],
      ['mutation($m: ID!, $c: String!) { linkStripeCustomer(memberId: $m, customerId: $c) { id } }', { m: memberId, c: 'not-a-customer' }, storefront],
      ['mutation($m: ID!, $c: String!) { setReferralCode(memberId: $m, code: $c) { id } }', { m: memberId, c: '!!' }, admin],
      ['mutation($m: ID!, $c: String!) { setReferralCode(memberId: $m, code: $c) { id } }', { m: memberId, c: 'x'.repeat(5000) }, admin],
    ];
    for (const [query, variables, as] of attempts) {
      const response = await server.graphql(query, variables, as);
      const codes = (response.body.errors ?? []).map((error) => String(error.extensions?.code));
      expect([query, JSON.stringify(variables).slice(0, 120), codes.length > 0, codes.includes('INTERNAL_SERVER_ERROR'), response.status < 500]).toEqual([
        query,
        JSON.stringify(variables).slice(0, 120),
        true,
        false,
        true,
      ]);
    }
    expect(await snapshot()).toEqual(before);
  });
});

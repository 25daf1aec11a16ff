import { onlyError, startTestServer, TestServer } from '../helpers/server';
import { memberInput } from '../factories/member.factory';

const admin = { role: 'admin' as const, subject: 'problems-admin' };
const storefront = { role: 'storefront' as const, subject: 'problems-shop' };
const ENROL = 'mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { id } }';
const EVENT_TYPES = 'member.enrolled, member.tier_changed, member.ltv_tier_changed, points.expiring, referral.qualified, reward.redeemed, member.erased';
const BALANCE = 'query($id: ID) { member(id: $id) { balance { posted pending held } referralCode stripeCustomerId } }';

interface Case {
  mutation: string;
  document: string;
  variables: (memberId: string) => Record<string, unknown>;
  as?: typeof admin | typeof storefront;
  problems: [string, string][];
}

/** Two (or more) invalid fields in each mutation's input: every one is reported, with its field, in input order. */
const CASES: Case[] = [
  {
    mutation: 'holdPoints',
    document: 'mutation($input: HoldPointsInput!) { holdPoints(input: $input) { id } }',
    variables: (memberId) => ({ input: { memberId, points: 0, orderRef: 'has space', idempotencyKey: 'hold-1' } }),
    as: storefront,
    problems: [
      ['points', 'points: must be a whole number of at least 100'],
      ['orderRef', 'orderRef: must be 1 to 128 printable characters without spaces'],
    ],
  },
  {
    mutation: 'adjustPoints',
    document: 'mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { id } }',
    variables: (memberId) => ({ input: { memberId, points: 0, reason: '  ', idempotencyKey: 'adj-1' } }),
    problems: [
      ['points', 'points: must be a whole number other than zero'],
      ['reason', 'reason: must be 1 to 500 characters'],
    ],
  },
  {
    mutation: 'refundOrder',
    document: 'mutation($input: RefundOrderInput!) { refundOrder(input: $input) { id } }',
    variables: () => ({ input: { orderExternalId: 'o-1', refundId: '', amount: { amount: '-1', currency: 'USD' } } }),
    problems: [
      ['refundId', 'refundId: must be 1 to 128 printable characters without spaces'],
      ['amount.amount', 'amount.amount: must be greater than zero; "-1" is not'],
    ],
  },
  {
    mutation: 'redeemReward',
    document: 'mutation($input: RedeemRewardInput!) { redeemReward(input: $input) { id } }',
    variables: () => ({ input: { memberId: 'not-a-member', rewardId: 'not-a-reward', idempotencyKey: 'redeem-1' } }),
    problems: [
      ['memberId', 'memberId: is not a member id'],
      ['rewardId', 'rewardId: is not a reward id'],
    ],
  },
  {
    mutation: 'createEarningRule',
    document: 'mutation($input: CreateEarningRuleInput!) { createEarningRule(input: $input) { code } }',
    variables: () => ({ input: { code: 'x', name: 'Double points', markets: ['ZZ'], multiplier: '2' } }),
    problems: [
      ['code', 'code: must be 2 to 64 letters, digits, "_" or "-"'],
      ['markets', 'markets: must be ISO 3166-1 alpha-2 codes'],
    ],
  },
  {
    mutation: 'createReward',
    document: 'mutation($input: CreateRewardInput!) { createReward(input: $input) { id } }',
    variables: () => ({ input: { code: 'MUG', name: '', cost: 0, markets: ['DE', 'ZZ'] } }),
    problems: [
      ['name', 'name: must be 1 to 200 characters'],
      ['cost', 'cost: must be a whole number from 1 to 100000000'],
      ['markets[1]', 'markets[1]: "ZZ" is not an ISO 3166-1 alpha-2 code'],
    ],
  },
  {
    mutation: 'updateReward',
    document: 'mutation($input: UpdateRewardInput!) { updateReward(input: $input) { id } }',
    variables: () => ({ input: { id: '00000000-0000-4000-8000-000000000000', cost: -3, voucherValidDays: 0 } }),
    problems: [
      ['cost', 'cost: must be a whole number from 1 to 100000000'],
      ['voucherValidDays', 'voucherValidDays: must be a whole number from 1 to 3650'],
    ],
  },
  {
    mutation: 'createTier',
    document: 'mutation($input: CreateTierInput!) { createTier(input: $input) { code } }',
    variables: () => ({ input: { code: 'PLATINUM', name: 'Platinum', rank: -1, threshold: { amount: '500.00', currency: 'EUR' } } }),
    problems: [
      ['rank', 'rank: must be a whole number from 0 to 1000'],
      ['threshold.currency', 'threshold.currency: must be the base currency USD'],
    ],
  },
  {
    mutation: 'updateTier',
    document: 'mutation($input: UpdateTierInput!) { updateTier(input: $input) { code } }',
    variables: () => ({ input: { code: 'GOLD', name: ' ', earnMultiplier: 'two' } }),
    problems: [
      ['name', 'name: must be 1 to 200 characters'],
      ['earnMultiplier', 'earnMultiplier: "two" is not a decimal number such as 1.25'],
    ],
  },
  {
    mutation: 'createPerk',
    document: 'mutation($input: PerkInput!) { createPerk(input: $input) { code } }',
    variables: () => ({ input: { code: '1X', names: [{ locale: 'de', name: '' }] } }),
    problems: [
      ['code', 'code: must be 2 to 32 letters, digits or "_", starting with a letter'],
      ['name', 'name: is required for a new perk'],
      ['names[0].name', 'names[0].name: must be 1 to 200 characters'],
    ],
  },
  {
    mutation: 'updatePerk',
    document: 'mutation($input: PerkInput!) { updatePerk(input: $input) { code } }',
    variables: () => ({ input: { code: 'FREE_SHIPPING', names: [{ locale: 'not a locale!', name: 'x' }, { locale: 'fr', name: '' }] } }),
    problems: [
      ['names[0].locale', 'names[0].locale: "not a locale!" is not a BCP 47 language tag such as en-US'],
      ['names[1].name', 'names[1].name: must be 1 to 200 characters'],
    ],
  },
  {
    mutation: 'grantPerk',
    document: 'mutation($perk: String!, $source: String!) { grantPerk(perkCode: $perk, source: $source) { code } }',
    variables: () => ({ perk: '-', source: 'GOLD' }),
    problems: [
      ['perkCode', 'perkCode: must be 2 to 32 letters, digits or "_", starting with a letter'],
      ['source', 'source: must be TIER:<tier code> or LTV:<LTV tier>, such as TIER:GOLD or LTV:VIP'],
    ],
  },
  {
    mutation: 'createPointsCurrency',
    document: 'mutation($input: CreatePointsCurrencyInput!) { createPointsCurrency(input: $input) { code } }',
    variables: () => ({ input: { code: 'MILES', name: 'Miles', valueInBase: 'cheap', expiryMonths: 0 } }),
    problems: [
      ['valueInBase', 'valueInBase: "cheap" is not a decimal number such as 1.25'],
      ['expiryMonths', 'expiryMonths: must be a whole number of months from 1 to 120'],
    ],
  },
  {
    mutation: 'setExchangeRate',
    document: 'mutation($c: String!, $r: String!) { setExchangeRate(currency: $c, rate: $r) { currency } }',
    variables: () => ({ c: 'XYZ', r: '-2' }),
    problems: [
      ['currency', 'currency: unknown currency "XYZ"'],
      ['rate', 'rate: must be greater than zero; "-2" is not'],
    ],
  },
  {
    mutation: 'createWebhookEndpoint',
    document: 'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }',
    variables: () => ({ input: { url: 'ftp://example.com/hook', eventTypes: ['member.enrolled', 'nope'] } }),
    problems: [
      ['url', 'url: must be an http or https URL'],
      ['eventTypes', `eventTypes: unknown event types nope; known: ${EVENT_TYPES}`],
    ],
  },
  {
    mutation: 'eraseMember',
    document: 'mutation($m: ID!, $r: String!, $k: String!) { eraseMember(memberId: $m, reason: $r, idempotencyKey: $k) { memberId } }',
    variables: (memberId) => ({ m: memberId, r: '', k: '' }),
    problems: [
      ['reason', 'reason: must be 1 to 500 characters'],
      ['idempotencyKey', 'idempotencyKey: must be 1 to 200 characters'],
    ],
  },
  {
    mutation: 'setReferralCode',
    document: 'mutation($m: ID!, $c: String!) { setReferralCode(memberId: $m, code: $c) { id } }',
    variables: () => ({ m: 'nobody', c: 'A' }),
    problems: [
      ['memberId', 'memberId: is not a member id'],
      ['code', 'code: must be 5 to 16 characters'],
    ],
  },
  {
    mutation: 'linkStripeCustomer',
    document: 'mutation($m: ID!, $c: String!) { linkStripeCustomer(memberId: $m, customerId: $c) { id } }',
    variables: () => ({ m: 'nobody', c: 'acct_1' }),
    problems: [
      ['memberId', 'memberId: is not a member id'],
      ['customerId', 'customerId: "acct_1" is not a Stripe customer id such as cus_NffrFeUfNV2Hib'],
    ],
  },
];

describe('every invalid field of a mutation input is reported', () => {
  let server: TestServer;
  let memberId: string;
  let before: unknown;

  beforeAll(async () => {
    server = await startTestServer();
    memberId = (await server.graphql(ENROL, { input: memberInput({ externalId: 'problems-1' }) }, admin)).body.data.enrollMember.id;
    before = (await server.graphql(BALANCE, { id: memberId }, admin)).body.data.member;
  });
  afterAll(() => server.stop());

  it.each(CASES.map((testCase) => [testCase.mutation, testCase] as const))('%s', async (_name, testCase) => {
    const error = onlyError(await server.graphql(testCase.document, testCase.variables(memberId), testCase.as ?? admin));
    expect(error.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: testCase.problems[0][0],
      problems: testCase.problems.map(([field, message]) => ({ field, message })),
    });
    expect(error.message).toBe(testCase.problems.map(([, message]) => message).join('; '));
  });

  it('leaves the member as it was', async () => {
    expect((await server.graphql(BALANCE, { id: memberId }, admin)).body.data.member).toEqual(before);
  });
});

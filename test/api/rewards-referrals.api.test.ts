import { runReferralJobs } from '../../src/jobs/referral-jobs';
import { loadConfig } from '../../src/config/config';
import { memberInput } from '../factories/member.factory';
import { checkLedgerInvariants, NO_VIOLATIONS } from '../helpers/invariants';
import { ServerProcess, ServerProcesses, startServerProcesses } from '../helpers/processes';
import type { GraphQLResponse } from '../helpers/server';

/**
 * Referrals and rewards over HTTP, on two real server processes (src/main.ts) sharing one database: the
 * stock of a reward is never oversold whichever process serves a redemption, and referral code look-ups
 * are limited per client across both processes (the limiter's counters live in PostgreSQL).
 */
jest.setTimeout(180_000);

const admin = { role: 'admin' as const, subject: 'admin-rewards-api' };
const storefront = { role: 'storefront' as const, subject: 'shop-rewards-api' };
const DAY = 24 * 60 * 60 * 1000;

const ENROLL = 'mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { id externalId referralCode } }';
const ADJUST = 'mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { id } }';
const CREATE_REWARD = 'mutation($input: CreateRewardInput!) { createReward(input: $input) { id code name cost currency stockRemaining kind names { locale name } } }';
const REDEEM = 'mutation($input: RedeemRewardInput!) { redeemReward(input: $input) { id voucherCode reward { id code name stockRemaining } } }';
const BALANCE = 'query($id: ID) { member(id: $id) { balance { posted held available } } }';
const LOOKUP = 'query($code: String!) { referralCode(code: $code) { code valid } }';
const REWARDS_NAMED = 'query($locale: String) { rewards(first: 50) { edges { node { code en: name(locale: $locale) de: name(locale: "de-DE") fallback: name(locale: "fr") } } } }';
const REWARDS = 'query($memberId: ID) { rewards(first: 50, memberId: $memberId) { edges { node { code name } } pageInfo { hasNextPage } } }';
const RECORD = 'mutation($input: RecordOrderInput!) { recordOrder(input: $input) { id } }';
const ME = '{ me { id referralCode referrals(first: 5) { edges { node { code status rejectionReason qualifiedAt } } } } }';
const VALIDATE = 'query($code: String!) { validateVoucher(code: $code) { code status memberId reward { code } } }';
const CONSUME = 'mutation($code: String!, $orderRef: String!) { consumeVoucher(code: $code, orderRef: $orderRef) { status orderRef } }';

describe('rewards and referrals across two server processes', () => {
  let cluster: ServerProcesses;
  let keys = 0;
  const uniqueKey = (prefix: string) => `${prefix}-${process.pid}-${(keys += 1)}`;
  const via = (i: number): ServerProcess => cluster.processes[i % cluster.processes.length];

  function ok<T = any>(response: GraphQLResponse): T {
    if (response.body.errors) throw new Error(`expected success, got ${JSON.stringify(response.body.errors)}`);
    return response.body.data;
  }
  function errorCode(response: GraphQLResponse): string | null {
    const errors = response.body.errors;
    if (!errors) return null;
    if (errors.length !== 1) throw new Error(`expected one error, got ${JSON.stringify(response.body)}`);
    return errors[0].extensions?.code ?? 'NO_CODE';
  }
  const enrol = async (overrides = {}) => ok(await via(0).graphql(ENROLL, { input: memberInput(overrides) }, storefront)).enrollMember;
  const grant = async (memberId: string, points: number) =>
    ok(await via(1).graphql(ADJUST, { input: { memberId, points, reason: 'test grant', idempotencyKey: uniqueKey('grant') } }, admin));
  const posted = async (memberId: string) => ok(await via(0).graphql(BALANCE, { id: memberId }, admin)).member.balance.posted as number;

  beforeAll(async () => {
    cluster = await startServerProcesses(2, { environment: { REFERRAL_LOOKUP_FAILURES: '4' } });
  });
  afterAll(async () => {
    try {
      if (cluster) expect(await checkLedgerInvariants(cluster.orm)).toEqual(NO_VIOLATIONS);
    } finally {
      await cluster?.stop();
    }
  });

  it('40 concurrent redemptions of a reward with stock 5 on two processes: exactly 5 distinct vouchers, points spent only for them', async () => {
    const reward = ok(await via(0).graphql(CREATE_REWARD, { input: { code: 'HOODIE', name: 'Hoodie', cost: 400, stock: 5 } }, admin)).createReward;
    expect(reward).toMatchObject({ code: 'HOODIE', cost: 400, currency: 'PTS', stockRemaining: 5, kind: 'PRODUCT' });
    // Half the requests from 20 members with one redemption each, half from 4 members trying 5 times each.
    const members = await Promise.all(Array.from({ length: 24 }, () => enrol()));
    for (const member of members) await grant(member.id, 2000);
    const requesters = [...members.slice(0, 20), ...members.slice(20).flatMap((member) => Array(5).fill(member))];
    expect(requesters).toHaveLength(40);
    const responses = await Promise.all(
      requesters.map((member, i) => via(i).graphql(REDEEM, { input: { memberId: member.id, rewardId: reward.id, idempotencyKey: uniqueKey('redeem') } }, storefront)),
    );
    const vouchers = responses.filter((response) => !response.body.errors).map((response) => response.body.data.redeemReward.voucherCode as string);
    expect(vouchers).toHaveLength(5);
    expect(new Set(vouchers).size).toBe(5);
    expect(responses.map(errorCode).filter((code) => code !== null)).toEqual(Array(35).fill('OUT_OF_STOCK'));

    // Points left the accounts of exactly the winners, 400 per voucher.
    const spentBy = new Map<string, number>();
    responses.forEach((response, i) => {
      if (!response.body.errors) spentBy.set(requesters[i].id, (spentBy.get(requesters[i].id) ?? 0) + 400);
    });
    for (const member of members) expect(await posted(member.id)).toBe(2000 - (spentBy.get(member.id) ?? 0));
    const [{ stock_remaining, redemptions }] = await cluster.orm.em
      .fork()
      .execute('select stock_remaining, (select count(*)::int from reward_redemptions where reward_id = r.id) as redemptions from rewards r where id = ?', [reward.id]);
    expect({ stock_remaining, redemptions }).toEqual({ stock_remaining: 0, redemptions: 5 });
    expect(await checkLedgerInvariants(cluster.orm)).toEqual(NO_VIOLATIONS);
  });

  it('20 concurrent replays of one redemption on two processes make one voucher and one payment', async () => {
    const reward = ok(await via(0).graphql(CREATE_REWARD, { input: { code: 'MUG', name: 'Mug', cost: 100 } }, admin)).createReward;
    const member = await enrol();
    await grant(member.id, 300);
    const idempotencyKey = uniqueKey('replay');
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => via(i).graphql(REDEEM, { input: { memberId: member.id, rewardId: reward.id, idempotencyKey } }, storefront)),
    );
    expect(new Set(responses.map((response) => ok(response).redeemReward.voucherCode)).size).toBe(1);
    expect(await posted(member.id)).toBe(200);
    expect(await checkLedgerInvariants(cluster.orm)).toEqual(NO_VIOLATIONS);
  });

  it('enforces roles: createReward is admin only, vouchers are for storefronts and admins, members redeem only for themselves', async () => {
    const member = await enrol();
    const other = await enrol();
    const memberToken = { role: 'member' as const, subject: member.externalId };
    expect(errorCode(await via(0).graphql(CREATE_REWARD, { input: { code: 'NOPE', name: 'x', cost: 1 } }, storefront))).toBe('FORBIDDEN');
    expect(errorCode(await via(1).graphql(CREATE_REWARD, { input: { code: 'NOPE', name: 'x', cost: 1 } }))).toBe('UNAUTHENTICATED');
    expect(errorCode(await via(0).graphql(VALIDATE, { code: 'AAAA-BBBB-CCCC-DDDD-EEEE' }, memberToken))).toBe('FORBIDDEN');
    const reward = ok(await via(0).graphql(CREATE_REWARD, { input: { code: 'STICKER', name: 'Sticker', cost: 10, names: [{ locale: 'de', name: 'Aufkleber' }] } }, admin)).createReward;
    expect(errorCode(await via(1).graphql(REDEEM, { input: { memberId: other.id, rewardId: reward.id, idempotencyKey: uniqueKey('x') } }, memberToken))).toBe('FORBIDDEN');
    await grant(member.id, 10);
    const redeemed = ok(await via(1).graphql(REDEEM, { input: { memberId: member.id, rewardId: reward.id, idempotencyKey: uniqueKey('own') } }, memberToken)).redeemReward;
    // The factory's members read de-DE: the name comes in German.
    expect(redeemed.reward).toMatchObject({ code: 'STICKER', name: 'Aufkleber' });
    const listed = ok(await via(0).graphql(REWARDS, {}, memberToken)).rewards.edges.map((edge: any) => edge.node);
    expect(listed).toContainEqual({ code: 'STICKER', name: 'Aufkleber' });
    // A support agent reads names in the console's language, not the member's.
    const named = ok(await via(0).graphql(REWARDS_NAMED, { locale: 'en' }, { role: 'support', subject: 'agent' })).rewards.edges.map((edge: any) => edge.node);
    expect(named).toContainEqual({ code: 'STICKER', en: 'Sticker', de: 'Aufkleber', fallback: 'Sticker' });
    expect(ok(await via(1).graphql(VALIDATE, { code: redeemed.voucherCode }, storefront)).validateVoucher).toEqual({
      code: redeemed.voucherCode,
      status: 'ACTIVE',
      memberId: member.id,
      reward: { code: 'STICKER' },
    });
    expect(ok(await via(0).graphql(CONSUME, { code: redeemed.voucherCode, orderRef: 'web-1' }, storefront)).consumeVoucher).toEqual({ status: 'USED', orderRef: 'web-1' });
    expect(errorCode(await via(1).graphql(CONSUME, { code: redeemed.voucherCode, orderRef: 'web-2' }, storefront))).toBe('BAD_USER_INPUT');
  });

  it('runs a referral over HTTP: enrol with a code, Member.referralCode and Member.referrals, qualification by the job', async () => {
    const referrer = await enrol();
    expect(referrer.referralCode).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/);
    expect(errorCode(await via(1).graphql(ENROLL, { input: memberInput({ referralCode: 'UNKNOWN9' }) }, storefront))).toBe('REFERRAL_INVALID');
    const referee = await enrol({ referralCode: referrer.referralCode.toLowerCase() });
    ok(await via(1).graphql(RECORD, { input: { memberId: referee.id, externalId: uniqueKey('order'), amount: { amount: '42.00', currency: 'USD' } } }, storefront));
    const asReferrer = { role: 'member' as const, subject: referrer.externalId };
    expect(ok(await via(0).graphql(ME, {}, asReferrer)).me).toMatchObject({
      referralCode: referrer.referralCode,
      referrals: { edges: [{ node: { code: referrer.referralCode, status: 'PENDING', rejectionReason: null, qualifiedAt: null } }] },
    });
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
    expect(await runReferralJobs(cluster.orm, config, new Date(Date.now() + 15 * DAY))).toEqual({ qualified: 1, rejected: 0 });
    expect(ok(await via(1).graphql(ME, {}, asReferrer)).me.referrals.edges[0].node.status).toBe('QUALIFIED');
    expect(await posted(referrer.id)).toBe(500);
    expect(await posted(referee.id)).toBe(200);
  });

  it('limits failed anonymous look-ups per client address across both processes (RATE_LIMITED)', async () => {
    const referrer = await enrol();
    expect(ok(await via(0).graphql(LOOKUP, { code: referrer.referralCode.toLowerCase() })).referralCode).toEqual({ code: referrer.referralCode, valid: true });
    // Four failures allowed per client, alternating processes: the count is shared through PostgreSQL.
    for (let attempt = 0; attempt < 4; attempt += 1) {
      expect(ok(await via(attempt).graphql(LOOKUP, { code: `GUESS${attempt}AB` })).referralCode).toEqual({ code: `GUESS${attempt}AB`, valid: false });
    }
    expect(errorCode(await via(0).graphql(LOOKUP, { code: 'GUESS9AB' }))).toBe('RATE_LIMITED');
    expect(errorCode(await via(1).graphql(LOOKUP, { code: referrer.referralCode }))).toBe('RATE_LIMITED');
    // Another client (a token subject) is not affected.
    expect(ok(await via(1).graphql(LOOKUP, { code: referrer.referralCode }, storefront)).referralCode.valid).toBe(true);
  });
});

import { checkLedgerInvariants, NO_VIOLATIONS } from '../helpers/invariants';
import { onlyError, startTestServer, TestServer } from '../helpers/server';
import { paymentIntent, postStripeEvent, stripeEvent, TEST_STRIPE_WEBHOOK_SECRET } from '../helpers/stripe';
import { memberInput } from '../factories/member.factory';
import { flattenTierLadder } from '../factories/tier.factory';

const admin = { role: 'admin' as const, subject: 'admin-privacy' };
const support = { role: 'support' as const, subject: 'support-privacy' };
const storefront = { role: 'storefront' as const, subject: 'shop-privacy' };
const DAY = 24 * 60 * 60 * 1000;

const ENROLL = 'mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { id externalId referralCode } }';
const MEMBER = 'query($id: ID, $externalId: String, $email: String) { member(id: $id, externalId: $externalId, email: $email) { id externalId email status balance { posted pending held } } }';
const SEARCH = 'query($q: String!) { searchMembers(query: $q) { edges { node { id } } } }';
const RECORD = 'mutation($input: RecordOrderInput!) { recordOrder(input: $input) { id pointsEarned } }';
const HOLD = 'mutation($input: HoldPointsInput!) { holdPoints(input: $input) { id status } }';
const CREATE_REWARD = 'mutation($input: CreateRewardInput!) { createReward(input: $input) { id } }';
const REDEEM = 'mutation($input: RedeemRewardInput!) { redeemReward(input: $input) { id voucherCode } }';
const VALIDATE = 'query($code: String!) { validateVoucher(code: $code) { status } }';
const LINK = 'mutation($m: ID!, $c: String!) { linkStripeCustomer(memberId: $m, customerId: $c) { id } }';
const EXPORT = 'query($id: ID!) { memberDataExport(memberId: $id) { memberId generatedAt json } }';
const ERASE = 'mutation($id: ID!, $reason: String!, $key: String!) { eraseMember(memberId: $id, reason: $reason, idempotencyKey: $key) { memberId erasedAt forfeited { currency points } } }';
const AUDIT = 'query($id: ID, $first: Int, $after: String) { auditLog(memberId: $id, first: $first, after: $after) { edges { cursor node { id at actorRole actor action memberIds details } } pageInfo { hasNextPage endCursor } } }';

describe('privacy over HTTP: audit trail, data export, erasure', () => {
  let server: TestServer;
  let keys = 0;
  const key = (label: string) => `${label}-${process.pid}-${++keys}`;
  const ok = <T = any>(response: { body: { data?: any; errors?: unknown } }): T => {
    if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
    return response.body.data;
  };
  const code = (response: Parameters<typeof onlyError>[0]) => onlyError(response).extensions?.code;
  const enrol = async (overrides = {}) => ok(await server.graphql(ENROLL, { input: memberInput(overrides) }, storefront)).enrollMember as { id: string; externalId: string; referralCode: string };
  const count = async (sql: string, params: unknown[] = []) => Number((await server.orm.em.fork().execute<{ count: string }[]>(sql, params))[0].count);

  beforeAll(async () => {
    server = await startTestServer({ STRIPE_WEBHOOK_SECRET: TEST_STRIPE_WEBHOOK_SECRET });
    await flattenTierLadder(server.orm);
    // An endpoint (never delivered to here: no worker runs), so that changes write their outbound events.
    ok(await server.graphql('mutation { createWebhookEndpoint(input: { url: "https://hooks.example.com/privacy" }) { secret } }', {}, admin));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('role matrix: auditLog for support and admin; memberDataExport for admin, support and the member itself; eraseMember for admin', async () => {
    const member = await enrol();
    const other = await enrol();
    const self = { role: 'member' as const, subject: member.externalId };
    const variables = { id: member.id, reason: 'request', key: key('roles') };
    // Anonymous callers are refused everything.
    for (const query of [AUDIT, EXPORT, ERASE]) expect(code(await server.graphql(query, variables))).toBe('UNAUTHENTICATED');
    expect(code(await server.graphql(AUDIT, {}, storefront))).toBe('FORBIDDEN');
    expect(code(await server.graphql(AUDIT, { id: member.id }, self))).toBe('FORBIDDEN');
    ok(await server.graphql(MEMBER, { id: member.id }, support));
    expect(ok(await server.graphql(AUDIT, { id: member.id }, support)).auditLog.edges.map((edge: any) => edge.node.action)).toEqual(['member.read']);
    ok(await server.graphql(AUDIT, {}, admin));

    expect(code(await server.graphql(EXPORT, { id: member.id }, storefront))).toBe('FORBIDDEN');
    expect(code(await server.graphql(EXPORT, { id: other.id }, self))).toBe('FORBIDDEN');
    // A member asking about an id that does not exist learns no more than about another member.
    expect(code(await server.graphql(EXPORT, { id: '01900000-0000-7000-8000-000000000000' }, self))).toBe('FORBIDDEN');
    expect(code(await server.graphql(EXPORT, { id: '01900000-0000-7000-8000-000000000000' }, admin))).toBe('NOT_FOUND');
    for (const caller of [self, support, admin]) expect(ok(await server.graphql(EXPORT, { id: member.id }, caller)).memberDataExport.memberId).toBe(member.id);

    for (const caller of [self, storefront, support]) expect(code(await server.graphql(ERASE, variables, caller))).toBe('FORBIDDEN');
    expect(ok(await server.graphql(MEMBER, { id: member.id }, admin)).member.status).toBe('ACTIVE');
    expect(ok(await server.graphql(ERASE, variables, admin)).eraseMember.memberId).toBe(member.id);
  });

  it('exports everything held about a member as one JSON document, and audits the export of every caller', async () => {
    const member = await enrol({ birthday: '04-01', deviceId: 'device-export', ip: '203.0.113.7' });
    const placedAt = new Date(Date.now() - 60 * DAY).toISOString();
    ok(await server.graphql(RECORD, { input: { memberId: member.id, externalId: key('export-order'), amount: { amount: '12.34', currency: 'USD' }, placedAt } }, storefront));
    const self = { role: 'member' as const, subject: member.externalId };
    const exported = ok(await server.graphql(EXPORT, { id: member.id }, self)).memberDataExport;
    const document = JSON.parse(exported.json);
    expect(document.profile).toMatchObject({ id: member.id, external_id: member.externalId, birthday: '04-01', status: 'ACTIVE' });
    expect(document.orders).toHaveLength(1);
    expect(document.orders[0]).toMatchObject({ amount_minor: '1234', currency: 'USD' });
    expect(document.ledger.map((entry: { kind: string; amount: string }) => `${entry.kind} ${entry.amount}`)).toEqual(['EARN 12']);
    expect(document.balances).toEqual([expect.objectContaining({ currency: 'PTS', posted: '12', pending: '0', held: '0' })]);
    expect(document.sightings.map((sighting: { kind: string }) => sighting.kind).sort()).toEqual(['DEVICE', 'IP']);
    for (const section of ['tier', 'tierHistory', 'lots', 'holds', 'freezes', 'refunds', 'disputes', 'referredBy', 'referralsMade', 'rewardRedemptions', 'ltv', 'perks', 'cardFingerprints', 'activityDays', 'auditEntries']) {
      expect(Array.isArray(document[section])).toBe(true);
    }
    expect(document.perks.map((perk: { code: string }) => perk.code)).toContain('BIRTHDAY_GIFT');
    const trail = ok(await server.graphql(AUDIT, { id: member.id, first: 5 }, support)).auditLog.edges.map((edge: any) => edge.node);
    expect(trail[0]).toMatchObject({ actorRole: 'member', actor: member.externalId, action: 'member.export', memberIds: [member.id], details: null });
  });

  it('pages the audit trail newest first with a cursor, narrowed to one member', async () => {
    const member = await enrol();
    for (let read = 0; read < 3; read += 1) ok(await server.graphql(MEMBER, { id: member.id }, support));
    const first = ok(await server.graphql(AUDIT, { id: member.id, first: 2 }, admin)).auditLog;
    expect(first.edges.map((edge: any) => edge.node.action)).toEqual(['member.read', 'member.read']);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const rest = ok(await server.graphql(AUDIT, { id: member.id, first: 10, after: first.pageInfo.endCursor }, admin)).auditLog;
    // The third read, then the enrolment by the storefront is not audited (only staff are): nothing else.
    expect(rest.edges.map((edge: any) => edge.node.action)).toEqual(['member.read']);
    expect(rest.pageInfo.hasNextPage).toBe(false);
    const ids = [...first.edges, ...rest.edges].map((edge: any) => Number(edge.node.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(code(await server.graphql(AUDIT, { id: member.id, after: 'nonsense!' }, admin))).toBe('BAD_USER_INPUT');
  });

  it('erases a member: releases holds, forfeits every balance through the ledger, voids vouchers, rejects pending referrals, removes personal data', async () => {
    const referrer = await enrol();
    const customer = `cus_${process.pid}Erase`;
    const input = memberInput({ referralCode: referrer.referralCode, deviceId: 'device-erase', ip: '198.51.100.9', birthday: '12-24' });
    const member = ok(await server.graphql(ENROLL, { input }, storefront)).enrollMember;
    ok(await server.graphql(LINK, { m: member.id, c: customer }, storefront));
    // 300 vested (granted by hand: an old order would qualify the referral at once, and it must stay pending), 50
    // pending (a new order), then 100 held and a 120-point voucher.
    ok(await server.graphql('mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { id } }', { input: { memberId: member.id, points: 300, reason: 'goodwill', idempotencyKey: key('vested') } }, admin));
    ok(await server.graphql(RECORD, { input: { memberId: member.id, externalId: key('pending'), amount: { amount: '50.00', currency: 'USD' } } }, storefront));
    const reward = ok(await server.graphql(CREATE_REWARD, { input: { code: `ERASE${process.pid}`, name: 'Mug', cost: 120 } }, admin)).createReward;
    const voucher = ok(await server.graphql(REDEEM, { input: { memberId: member.id, rewardId: reward.id, idempotencyKey: key('redeem') } }, storefront)).redeemReward;
    const hold = ok(await server.graphql(HOLD, { input: { memberId: member.id, points: 100, orderRef: key('cart'), idempotencyKey: key('hold') } }, storefront)).holdPoints;
    await server.orm.em.fork().execute(`insert into member_card_fingerprints (member_id, fingerprint, first_seen_at) values (?, 'fp_erase', now())`, [member.id]);
    expect(ok(await server.graphql(MEMBER, { id: member.id }, admin)).member.balance).toEqual({ posted: 180, pending: 50, held: 100 });
    expect(await count(`select count(*) from referrals where member_id = ? and status = 'PENDING'`, [member.id])).toBe(1);

    const reason = 'GDPR request 42';
    const idempotencyKey = key('erase');
    const erased = ok(await server.graphql(ERASE, { id: member.id, reason, key: idempotencyKey }, admin)).eraseMember;
    expect(erased).toMatchObject({ memberId: member.id, forfeited: [{ currency: 'PTS', points: 230 }] });

    // The replay answers the same; the same key with another reason is a conflict.
    expect(ok(await server.graphql(ERASE, { id: member.id, reason, key: idempotencyKey }, admin)).eraseMember).toEqual(erased);
    expect(code(await server.graphql(ERASE, { id: member.id, reason: 'other', key: idempotencyKey }, admin))).toBe('IDEMPOTENCY_CONFLICT');

    const after = ok(await server.graphql(MEMBER, { id: member.id }, admin)).member;
    expect(after).toEqual({ id: member.id, externalId: `erased:${member.id}`, email: `erased-${member.id}@erased.invalid`, status: 'ERASED', balance: { posted: 0, pending: 0, held: 0 } });
    expect(ok(await server.graphql(MEMBER, { externalId: input.externalId }, admin)).member).toBeNull();
    expect(ok(await server.graphql(MEMBER, { email: input.email }, admin)).member).toBeNull();
    for (const query of [input.externalId, input.email, 'erased']) {
      expect(ok(await server.graphql(SEARCH, { q: query }, support)).searchMembers.edges.map((edge: any) => edge.node.id)).not.toContain(member.id);
    }
    const [row] = await server.orm.em.fork().execute(`select birthday, locale, stripe_customer_id, referral_code from members where id = ?`, [member.id]);
    expect(row).toMatchObject({ birthday: null, locale: 'und', stripe_customer_id: null });
    expect(row.referral_code).not.toBe(member.referralCode);
    expect(await count('select count(*) from member_sightings where member_id = ?', [member.id])).toBe(0);
    expect(await count('select count(*) from member_card_fingerprints where member_id = ?', [member.id])).toBe(0);
    expect(await count(`select count(*) from webhook_events where member_id = ?`, [member.id])).toBe(3);
    expect(await count(`select count(*) from webhook_events where member_id = ? and data <> jsonb_build_object('memberId', member_id::text)`, [member.id])).toBe(0);
    expect(await count(`select count(*) from points_holds where id = ? and status = 'RELEASED'`, [hold.id])).toBe(1);
    expect(ok(await server.graphql(VALIDATE, { code: voucher.voucherCode }, storefront)).validateVoucher.status).toBe('EXPIRED');
    expect(await count(`select count(*) from referrals where member_id = ? and status = 'REJECTED' and rejection_reason = 'MEMBER_ERASED'`, [member.id])).toBe(1);
    // The forfeits are ledger entries to the ERASURE account; orders stay for the accounts.
    expect(await count(`select count(*) from points_transfers t join points_accounts s on s.id = t.credit_account_id where t.member_id = ? and s.system_code = 'ERASURE'`, [member.id])).toBe(2);
    expect(await count('select count(*) from orders where member_id = ?', [member.id])).toBe(1);
    // The audit entry names no personal data.
    const trail = ok(await server.graphql(AUDIT, { id: member.id, first: 20 }, admin)).auditLog.edges.map((edge: any) => edge.node);
    expect(trail.filter((node: any) => node.action === 'member.erase')).toHaveLength(1);
    const entry = trail.find((node: any) => node.action === 'member.erase');
    expect(entry).toMatchObject({ action: 'member.erase', actorRole: 'admin', actor: admin.subject });
    for (const personal of [input.email, input.externalId, customer, reason, 'device-erase', '198.51.100.9']) expect(entry.details).not.toContain(personal);
    expect(JSON.parse(entry.details)).toEqual({ forfeited: [{ currency: 'PTS', points: '230' }], holdsReleased: 1, freezesReleased: 0, vouchersVoided: 1, referralsRejected: 1 });
    // Actions on the erased member are refused.
    expect(code(await server.graphql(RECORD, { input: { memberId: member.id, externalId: key('late'), amount: { amount: '10.00', currency: 'USD' } } }, storefront))).toBe('NOT_FOUND');

    // The same external id and email may enrol again, as a new member.
    const again = ok(await server.graphql(ENROLL, { input: { ...input, referralCode: undefined } }, storefront)).enrollMember;
    expect(again.id).not.toBe(member.id);
    expect(again.externalId).toBe(input.externalId);

    expect(await checkLedgerInvariants(server.orm)).toEqual(NO_VIOLATIONS);
  });

  it('a later Stripe payment for the erased customer earns nothing and stores no personal data', async () => {
    const customer = `cus_${process.pid}Late`;
    const member = await enrol();
    // A payment that came before the customer was linked waits as NO_MEMBER, with its payload, for a later retry.
    const early = stripeEvent('payment_intent.succeeded', { ...paymentIntent({ id: key('pi-early'), amount: 1000, currency: 'USD', customer }), receipt_email: 'someone@example.com' });
    expect((await postStripeEvent(server.url, early)).status).toBe(200);
    expect(await count(`select count(*) from stripe_events where id = ? and state = 'NO_MEMBER' and payload is not null`, [early.id])).toBe(1);
    ok(await server.graphql(LINK, { m: member.id, c: customer }, storefront));
    ok(await server.graphql(ERASE, { id: member.id, reason: 'request', key: key('erase-stripe') }, admin));
    expect(await count(`select count(*) from stripe_events where id = ? and state = 'PROCESSED' and payload is null`, [early.id])).toBe(1);
    const byCustomer = stripeEvent('payment_intent.succeeded', { ...paymentIntent({ id: key('pi-customer'), amount: 5000, currency: 'USD', customer }), receipt_email: 'someone@example.com' });
    const byMetadata = stripeEvent('payment_intent.succeeded', paymentIntent({ id: key('pi-metadata'), amount: 5000, currency: 'USD', memberId: member.id }));
    for (const event of [byCustomer, byMetadata]) {
      expect((await postStripeEvent(server.url, event)).status).toBe(200);
      expect(await count(`select count(*) from stripe_events where id = ? and state = 'PROCESSED' and payload is null`, [event.id])).toBe(1);
      expect(await count('select count(*) from orders where external_id = ?', [event.data.object.id])).toBe(0);
    }
    expect(await count(`select count(*) from points_transfers where member_id = ? and kind = 'EARN'`, [member.id])).toBe(0);
    expect(await checkLedgerInvariants(server.orm)).toEqual(NO_VIOLATIONS);
  });
});

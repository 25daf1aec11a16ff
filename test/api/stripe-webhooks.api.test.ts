import { runLedgerJobs } from '../../src/jobs/ledger-jobs';
import { memberInput } from '../factories/member.factory';
import { checkLedgerInvariants, NO_VIOLATIONS } from '../helpers/invariants';
import { onlyError, startTestServer, TestServer } from '../helpers/server';
import { charge, dispute, paymentIntent, postStripeEvent, stripeEvent, TEST_STRIPE_WEBHOOK_SECRET } from '../helpers/stripe';

const admin = { role: 'admin' as const, subject: 'admin-1' };
const storefront = { role: 'storefront' as const, subject: 'shop-1' };
const DAY = 24 * 60 * 60;
const now = () => Math.floor(Date.now() / 1000);
const ENROLL = 'mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { id externalId stripeCustomerId } }';
const RATE = 'mutation($c: String!, $r: String!, $at: DateTime) { setExchangeRate(currency: $c, rate: $r, effectiveAt: $at) { currency } }';
const BALANCE = 'query($id: ID) { member(id: $id) { balance { posted pending held available } } }';
const LINK = 'mutation($m: ID!, $c: String!) { linkStripeCustomer(memberId: $m, customerId: $c) { id stripeCustomerId } }';

/** Amounts in Stripe minor units that are worth 100.00 USD at the test rates (JPY 150, KWD 0.3), and a quarter of it. */
const CURRENCIES = [
  { currency: 'USD', full: 10000, quarter: 2500 },
  { currency: 'JPY', full: 15000, quarter: 3750 },
  { currency: 'KWD', full: 30000, quarter: 7500 },
] as const;

let sequence = 0;
const id = (prefix: string) => `${prefix}_${process.pid}x${++sequence}`;

describe('Stripe webhooks over HTTP', () => {
  let server: TestServer;
  const ok = <T = any>(response: { body: { data?: any; errors?: unknown } }): T => {
    if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
    return response.body.data;
  };
  const enrol = async (overrides = {}) => ok(await server.graphql(ENROLL, { input: memberInput(overrides) }, admin)).enrollMember as { id: string; externalId: string };
  const balance = async (memberId: string) => ok(await server.graphql(BALANCE, { id: memberId }, admin)).member.balance;
  const send = async (type: string, object: Record<string, unknown>, created?: number) => {
    const response = await postStripeEvent(server.url, stripeEvent(type, object, created));
    expect(response.status).toBe(200);
    return response.body.outcome as string;
  };
  const orderOf = async (externalId: string) => {
    const [order] = await server.orm.em.fork().execute(
      'select member_id, amount_minor, currency, base_amount_minor, refunded_minor, status, points_earned, placed_at from orders where external_id = ?',
      [externalId],
    );
    return order;
  };
  const count = async (sql: string, params: unknown[] = []) => Number((await server.orm.em.fork().execute(sql, params))[0].count);
  /** A vested payment (created 30 days ago, past the 14-day return window) for the member. */
  const pay = async (memberId: string, currency: string, amount: number, created = now() - 30 * DAY) => {
    const pi = id('pi');
    expect(await send('payment_intent.succeeded', paymentIntent({ id: pi, amount, currency, memberId, created }))).toBe('processed');
    return pi;
  };

  beforeAll(async () => {
    server = await startTestServer({ STRIPE_WEBHOOK_SECRET: TEST_STRIPE_WEBHOOK_SECRET });
    const twoYearsAgo = new Date(Date.now() - 800 * DAY * 1000).toISOString();
    for (const [currency, rate] of [['JPY', '150'], ['KWD', '0.3']]) ok(await server.graphql(RATE, { c: currency, r: rate, at: twoYearsAgo }, admin));
  });
  afterAll(async () => {
    expect(await checkLedgerInvariants(server.orm)).toEqual(NO_VIOLATIONS);
    await server.stop();
  });

  describe.each(CURRENCIES)('in $currency', ({ currency, full, quarter }) => {
    it('payment_intent.succeeded records the order and earns, once however often it is delivered', async () => {
      const member = await enrol();
      const pi = id('pi');
      const event = stripeEvent('payment_intent.succeeded', paymentIntent({ id: pi, amount: full, currency, memberId: member.id }));
      const deliveries = await Promise.all(Array.from({ length: 5 }, () => postStripeEvent(server.url, event)));
      expect(deliveries.map((delivery) => delivery.status)).toEqual([200, 200, 200, 200, 200]);
      expect(deliveries.map((delivery) => delivery.body.outcome).sort()).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate', 'processed']);
      const order = await orderOf(pi);
      expect(order).toMatchObject({ member_id: member.id, amount_minor: String(full), currency, base_amount_minor: '10000', refunded_minor: '0', status: 'PAID', points_earned: 100 });
      expect(await balance(member.id)).toEqual({ posted: 0, pending: 100, held: 0, available: 0 });
      // Days later: still nothing new.
      expect((await postStripeEvent(server.url, event)).body.outcome).toBe('duplicate');
      expect(await count('select count(*) from orders where member_id = ?', [member.id])).toBe(1);
      expect(await count('select count(*) from stripe_events where id = ?', [event.id])).toBe(1);
    });

    it('charge.refunded takes back points per Stripe refund id, partial refunds included', async () => {
      const member = await enrol();
      const pi = await pay(member.id, currency, full);
      const chargeId = id('ch');
      const first = { id: id('re'), amount: quarter, created: now() - 100 };
      const second = { id: id('re'), amount: full - quarter, created: now() - 50 };
      expect(await balance(member.id)).toEqual({ posted: 100, pending: 0, held: 0, available: 100 });
      await send('charge.refunded', charge({ id: chargeId, paymentIntent: pi, amount: full, currency, refunds: [first] }));
      expect(await orderOf(pi)).toMatchObject({ refunded_minor: String(quarter), status: 'PARTIALLY_REFUNDED' });
      expect(await balance(member.id)).toEqual({ posted: 75, pending: 0, held: 0, available: 75 });
      // The next event lists both refunds: only the new one is applied.
      await send('charge.refunded', charge({ id: chargeId, paymentIntent: pi, amount: full, currency, refunds: [first, second] }));
      expect(await orderOf(pi)).toMatchObject({ refunded_minor: String(full), status: 'REFUNDED' });
      expect(await balance(member.id)).toEqual({ posted: 0, pending: 0, held: 0, available: 0 });
      expect(await count('select count(*) from order_refunds where refund_id in (?, ?)', [first.id, second.id])).toBe(2);
    });

    it('charge.dispute.created freezes the order points; closed as won releases them', async () => {
      const member = await enrol();
      const pi = await pay(member.id, currency, full);
      await pay(member.id, currency, quarter); // another order's 25 points stay spendable
      const disputeId = id('dp');
      const chargeId = id('ch');
      await send('charge.dispute.created', dispute({ id: disputeId, paymentIntent: pi, charge: chargeId, amount: full, currency, status: 'needs_response' }));
      expect(await balance(member.id)).toEqual({ posted: 125, pending: 0, held: 100, available: 25 });
      await send('charge.dispute.closed', dispute({ id: disputeId, paymentIntent: pi, charge: chargeId, amount: full, currency, status: 'won' }));
      expect(await balance(member.id)).toEqual({ posted: 125, pending: 0, held: 0, available: 125 });
      expect(await orderOf(pi)).toMatchObject({ status: 'PAID', refunded_minor: '0' });
    });

    it('a lost dispute reverses the order like a full refund', async () => {
      const member = await enrol();
      const pi = await pay(member.id, currency, full);
      const chargeId = id('ch');
      await send('charge.refunded', charge({ id: chargeId, paymentIntent: pi, amount: full, currency, refunds: [{ id: id('re'), amount: quarter, created: now() }] }));
      const disputeId = id('dp');
      await send('charge.dispute.created', dispute({ id: disputeId, paymentIntent: pi, charge: chargeId, amount: full - quarter, currency, status: 'needs_response' }));
      expect(await balance(member.id)).toEqual({ posted: 75, pending: 0, held: 75, available: 0 });
      await send('charge.dispute.closed', dispute({ id: disputeId, paymentIntent: pi, charge: chargeId, amount: full - quarter, currency, status: 'lost' }));
      expect(await balance(member.id)).toEqual({ posted: 0, pending: 0, held: 0, available: 0 });
      expect(await orderOf(pi)).toMatchObject({ status: 'REFUNDED', refunded_minor: String(full) });
      expect(await count(`select count(*) from points_freezes where reference = ? and status = 'REVERSED'`, [`dispute:${disputeId}`])).toBe(1);
    });

    it('charge.succeeded stores the card fingerprint on the member, once', async () => {
      const member = await enrol();
      const pi = await pay(member.id, currency, full);
      const fingerprint = id('fp');
      const object = charge({ id: id('ch'), paymentIntent: pi, amount: full, currency, fingerprint });
      await send('charge.succeeded', object);
      await send('charge.succeeded', object); // another event id, same card
      const rows = await server.orm.em.fork().execute('select member_id, fingerprint from member_card_fingerprints where fingerprint = ?', [fingerprint]);
      expect(rows).toEqual([{ member_id: member.id, fingerprint }]);
    });
  });

  it('charge.refund.updated: a refund that fails later gives its points back, once, to the bucket they came from', async () => {
    const refundObject = (refundId: string, pi: string, amount: number, status: string) => ({ id: refundId, object: 'refund', amount, currency: 'usd', payment_intent: pi, status });
    // Vested: the points come back to posted.
    const member = await enrol();
    const pi = await pay(member.id, 'USD', 10000);
    const re = id('re');
    await send('charge.refunded', charge({ id: id('ch'), paymentIntent: pi, amount: 10000, currency: 'USD', refunds: [{ id: re, amount: 2500, created: now() - 10 }] }));
    expect(await balance(member.id)).toEqual({ posted: 75, pending: 0, held: 0, available: 75 });
    expect(await send('charge.refund.updated', refundObject(re, pi, 2500, 'failed'))).toBe('processed');
    expect(await balance(member.id)).toEqual({ posted: 100, pending: 0, held: 0, available: 100 });
    expect(await orderOf(pi)).toMatchObject({ refunded_minor: '0', status: 'PAID' });
    // Another delivery of the failure, and an older charge.refunded still listing it: nothing changes.
    await send('charge.refund.updated', refundObject(re, pi, 2500, 'failed'));
    await send('charge.refunded', charge({ id: id('ch'), paymentIntent: pi, amount: 10000, currency: 'USD', refunds: [{ id: re, amount: 2500, created: now() - 10 }] }));
    expect(await balance(member.id)).toEqual({ posted: 100, pending: 0, held: 0, available: 100 });
    // A refund later refunds what it says, as usual.
    await send('charge.refund.updated', refundObject(id('re'), pi, 5000, 'succeeded'));
    expect(await balance(member.id)).toEqual({ posted: 50, pending: 0, held: 0, available: 50 });

    // Still in the return window: the points come back to pending.
    const recent = await enrol();
    const recentPi = await pay(recent.id, 'USD', 10000, now());
    const recentRe = id('re');
    await send('charge.refunded', charge({ id: id('ch'), paymentIntent: recentPi, amount: 10000, currency: 'USD', refunds: [{ id: recentRe, amount: 2500, created: now() }] }));
    expect(await balance(recent.id)).toEqual({ posted: 0, pending: 75, held: 0, available: 0 });
    await send('charge.refund.updated', refundObject(recentRe, recentPi, 2500, 'canceled'));
    expect(await balance(recent.id)).toEqual({ posted: 0, pending: 100, held: 0, available: 0 });

    // A failure seen before the refund itself: the refund is never applied.
    const early = id('re');
    await send('charge.refund.updated', refundObject(early, recentPi, 1000, 'failed'));
    await send('charge.refunded', charge({ id: id('ch'), paymentIntent: recentPi, amount: 10000, currency: 'USD', refunds: [{ id: early, amount: 1000, created: now() }] }));
    expect(await balance(recent.id)).toEqual({ posted: 0, pending: 100, held: 0, available: 0 });
    expect(await checkLedgerInvariants(server.orm)).toEqual(NO_VIOLATIONS);
  });

  it('rejects a pending referral at once when referrer and referee pay with the same card', async () => {
    const referrer = await enrol();
    const [{ referral_code: code }] = await server.orm.em.fork().execute('select referral_code from members where id = ?', [referrer.id]);
    const referee = await enrol({ referralCode: code });
    const unrelated = await enrol({ referralCode: code });
    const referralOf = async (memberId: string) =>
      (await server.orm.em.fork().execute('select status, rejection_reason from referrals where member_id = ?', [memberId]))[0];
    expect(await referralOf(referee.id)).toEqual({ status: 'PENDING', rejection_reason: null });
    const fingerprint = id('fp');
    const card = (memberId: string, cardFingerprint: string) => async () => {
      const pi = await pay(memberId, 'USD', 2500);
      await send('charge.succeeded', charge({ id: id('ch'), paymentIntent: pi, amount: 2500, currency: 'USD', fingerprint: cardFingerprint }));
    };
    await card(referrer.id, fingerprint)();
    expect(await referralOf(referee.id)).toEqual({ status: 'PENDING', rejection_reason: null });
    await card(unrelated.id, id('fp'))();
    await card(referee.id, fingerprint)();
    expect(await referralOf(referee.id)).toEqual({ status: 'REJECTED', rejection_reason: 'DUPLICATE_PAYMENT_METHOD' });
    // Another card: not rejected; its payment is past the return window, so the card qualifies it at once.
    expect(await referralOf(unrelated.id)).toEqual({ status: 'QUALIFIED', rejection_reason: null });
  });

  it('qualifies the referral of a payment vested at once in the transaction that sees its card, card after or before the payment', async () => {
    const referralOf = async (memberId: string) =>
      (await server.orm.em.fork().execute('select status, rejection_reason from referrals where member_id = ?', [memberId]))[0];
    const kinds = async (memberId: string) =>
      (await server.orm.em.fork().execute<{ kind: string; amount: string }[]>("select kind, amount from points_transfers where member_id = ? and kind = 'REFERRAL_BONUS' order by id", [memberId])).map(
        (row) => `${row.kind} ${row.amount}`,
      );
    const events = async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const value = (series: string) => Number(text.split('\n').find((line) => line.startsWith(`${series} `))?.split(' ')[1] ?? 0);
      return {
        payments: value('perkgraph_stripe_events_total{type="payment_intent.succeeded",outcome="processed"}'),
        charges: value('perkgraph_stripe_events_total{type="charge.succeeded",outcome="processed"}'),
        deferred: value('perkgraph_stripe_events_total{type="charge.succeeded",outcome="deferred"}'),
      };
    };
    const before = await events();
    const referredPair = async () => {
      const referrer = await enrol();
      const [{ referral_code: code }] = await server.orm.em.fork().execute('select referral_code from members where id = ?', [referrer.id]);
      return { referrer, referee: await enrol({ referralCode: code }) };
    };

    // Payment first (30 days ago, past the 14-day window): no card yet, so the referral waits for it ...
    const first = await referredPair();
    const pi = await pay(first.referee.id, 'USD', 5000);
    expect(await referralOf(first.referee.id)).toEqual({ status: 'PENDING', rejection_reason: null });
    // ... and the charge that brings the card qualifies it in its own transaction: no job ran.
    expect(await send('charge.succeeded', charge({ id: id('ch'), paymentIntent: pi, amount: 5000, currency: 'USD', fingerprint: id('fp') }))).toBe('processed');
    expect(await referralOf(first.referee.id)).toEqual({ status: 'QUALIFIED', rejection_reason: null });
    expect([await kinds(first.referrer.id), await kinds(first.referee.id)]).toEqual([['REFERRAL_BONUS 500'], ['REFERRAL_BONUS 200']]);

    // Card first (the charge waits for its payment): the payment's transaction stores the card and qualifies.
    const second = await referredPair();
    const early = id('pi');
    expect(await send('charge.succeeded', charge({ id: id('ch'), paymentIntent: early, amount: 5000, currency: 'USD', fingerprint: id('fp') }))).toBe('deferred');
    expect(await send('payment_intent.succeeded', paymentIntent({ id: early, amount: 5000, currency: 'USD', memberId: second.referee.id, created: now() - 30 * DAY }))).toBe('processed');
    expect(await referralOf(second.referee.id)).toEqual({ status: 'QUALIFIED', rejection_reason: null });
    expect([await kinds(second.referrer.id), await kinds(second.referee.id)]).toEqual([['REFERRAL_BONUS 500'], ['REFERRAL_BONUS 200']]);

    // The referrer's own card, before the payment: rejected by the fraud rule, never qualified, nothing paid.
    const third = await referredPair();
    const shared = id('fp');
    await send('charge.succeeded', charge({ id: id('ch'), paymentIntent: await pay(third.referrer.id, 'USD', 2500), amount: 2500, currency: 'USD', fingerprint: shared }));
    const copied = id('pi');
    expect(await send('charge.succeeded', charge({ id: id('ch'), paymentIntent: copied, amount: 5000, currency: 'USD', fingerprint: shared }))).toBe('deferred');
    expect(await send('payment_intent.succeeded', paymentIntent({ id: copied, amount: 5000, currency: 'USD', memberId: third.referee.id, created: now() - 30 * DAY }))).toBe('processed');
    expect(await referralOf(third.referee.id)).toEqual({ status: 'REJECTED', rejection_reason: 'DUPLICATE_PAYMENT_METHOD' });
    expect([await kinds(third.referrer.id), await kinds(third.referee.id)]).toEqual([[], []]);

    // A payment inside the return window does not qualify when its card arrives: its points are still pending.
    const fourth = await referredPair();
    const recent = await pay(fourth.referee.id, 'USD', 5000, now() - DAY);
    await send('charge.succeeded', charge({ id: id('ch'), paymentIntent: recent, amount: 5000, currency: 'USD', fingerprint: id('fp') }));
    expect(await referralOf(fourth.referee.id)).toEqual({ status: 'PENDING', rejection_reason: null });
    // /metrics counts Stripe events by type and outcome.
    const after = await events();
    expect({ payments: after.payments - before.payments, charges: after.charges - before.charges, deferred: after.deferred - before.deferred }).toEqual({ payments: 5, charges: 3, deferred: 2 });
  });

  it('keeps a refund, a dispute and a card that arrive before their payment, and applies them when it arrives', async () => {
    const member = await enrol();
    const pi = id('pi');
    const chargeId = id('ch');
    const fingerprint = id('fp');
    const t = now() - 30 * DAY;
    const disputeId = id('dp');
    expect(await send('charge.dispute.created', dispute({ id: disputeId, paymentIntent: pi, charge: chargeId, amount: 6000, currency: 'USD', status: 'needs_response' }), t + 30)).toBe('deferred');
    expect(await send('charge.refunded', charge({ id: chargeId, paymentIntent: pi, amount: 10000, currency: 'USD', refunds: [{ id: id('re'), amount: 4000, created: t + 20 }] }), t + 20)).toBe('deferred');
    expect(await send('charge.succeeded', charge({ id: chargeId, paymentIntent: pi, amount: 10000, currency: 'USD', fingerprint, created: t + 1 }), t + 1)).toBe('deferred');
    expect(await orderOf(pi)).toBeUndefined();
    expect(await count('select count(*) from member_card_fingerprints where member_id = ?', [member.id])).toBe(0);
    expect(await send('payment_intent.succeeded', paymentIntent({ id: pi, amount: 10000, currency: 'USD', memberId: member.id, created: t }), t)).toBe('processed');
    // In Stripe's order: card seen, refund of 40.00, then the dispute freezes the 60 points left.
    expect(await orderOf(pi)).toMatchObject({ refunded_minor: '4000', status: 'PARTIALLY_REFUNDED', points_earned: 100 });
    expect(await balance(member.id)).toEqual({ posted: 60, pending: 0, held: 60, available: 0 });
    expect(await count('select count(*) from member_card_fingerprints where member_id = ? and fingerprint = ?', [member.id, fingerprint])).toBe(1);
    expect(await count(`select count(*) from stripe_events where payment_intent_id = ? and state <> 'PROCESSED'`, [pi])).toBe(0);
  });

  it('a dispute closed before its creation event arrives: the late creation freezes nothing', async () => {
    const member = await enrol();
    const pi = await pay(member.id, 'USD', 5000);
    const disputeId = id('dp');
    const chargeId = id('ch');
    await send('charge.dispute.closed', dispute({ id: disputeId, paymentIntent: pi, charge: chargeId, amount: 5000, currency: 'USD', status: 'won' }));
    await send('charge.dispute.created', dispute({ id: disputeId, paymentIntent: pi, charge: chargeId, amount: 5000, currency: 'USD', status: 'needs_response' }));
    expect(await balance(member.id)).toEqual({ posted: 50, pending: 0, held: 0, available: 50 });
  });

  it('pending points of a disputed order do not vest until the dispute is won', async () => {
    const member = await enrol();
    const pi = await pay(member.id, 'USD', 8000, now() - DAY);
    expect(await balance(member.id)).toEqual({ posted: 0, pending: 80, held: 0, available: 0 });
    const disputeId = id('dp');
    const chargeId = id('ch');
    await send('charge.dispute.created', dispute({ id: disputeId, paymentIntent: pi, charge: chargeId, amount: 8000, currency: 'USD', status: 'needs_response' }));
    const later = new Date(Date.now() + 20 * DAY * 1000);
    await runLedgerJobs(server.orm, later);
    expect(await balance(member.id)).toEqual({ posted: 0, pending: 80, held: 0, available: 0 });
    await send('charge.dispute.closed', dispute({ id: disputeId, paymentIntent: pi, charge: chargeId, amount: 8000, currency: 'USD', status: 'won' }));
    await runLedgerJobs(server.orm, later);
    expect(await balance(member.id)).toEqual({ posted: 80, pending: 0, held: 0, available: 80 });
  });

  it('finds the member by metadata.member_external_id, or by the linked Stripe customer; without one it records nothing until a redelivery finds one', async () => {
    const byExternal = await enrol();
    const pi1 = id('pi');
    await send('payment_intent.succeeded', paymentIntent({ id: pi1, amount: 1000, currency: 'USD', memberExternalId: byExternal.externalId }));
    expect(await orderOf(pi1)).toMatchObject({ member_id: byExternal.id, points_earned: 10 });

    const customer = `cus_${process.pid}x${++sequence}`;
    const linked = await enrol();
    expect(ok(await server.graphql(LINK, { m: linked.id, c: customer }, storefront)).linkStripeCustomer).toEqual({ id: linked.id, stripeCustomerId: customer });
    const pi2 = id('pi');
    await send('payment_intent.succeeded', paymentIntent({ id: pi2, amount: 2000, currency: 'USD', customer }));
    expect(await orderOf(pi2)).toMatchObject({ member_id: linked.id, points_earned: 20 });

    const pi3 = id('pi');
    const lateCustomer = `cus_${process.pid}z${++sequence}`;
    const unmatched = stripeEvent('payment_intent.succeeded', paymentIntent({ id: pi3, amount: 2000, currency: 'USD', customer: lateCustomer }));
    expect((await postStripeEvent(server.url, unmatched)).body.outcome).toBe('no_member');
    expect(await orderOf(pi3)).toBeUndefined();
    expect(await count(`select count(*) from stripe_events where payment_intent_id = ? and state = 'NO_MEMBER'`, [pi3])).toBe(1);
    // Once the customer is linked, a redelivery of the same event records the order.
    const late = await enrol();
    ok(await server.graphql(LINK, { m: late.id, c: lateCustomer }, admin));
    expect((await postStripeEvent(server.url, unmatched)).body.outcome).toBe('processed');
    expect((await postStripeEvent(server.url, unmatched)).body.outcome).toBe('duplicate');
    expect(await orderOf(pi3)).toMatchObject({ member_id: late.id, points_earned: 20 });
    expect(await count(`select count(*) from stripe_events where payment_intent_id = ? and state = 'PROCESSED'`, [pi3])).toBe(1);
  });

  it('links a customer at enrolment; a customer belongs to one member', async () => {
    const customer = `cus_${process.pid}y${++sequence}`;
    const member = ok(await server.graphql(ENROLL, { input: memberInput({ stripeCustomerId: customer }) }, storefront)).enrollMember;
    expect(member.stripeCustomerId).toBe(customer);
    const other = await enrol();
    expect(onlyError(await server.graphql(LINK, { m: other.id, c: customer }, storefront)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'customerId' });
    expect(onlyError(await server.graphql(LINK, { m: other.id, c: 'not-a-customer' }, storefront)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'customerId' });
    expect(onlyError(await server.graphql(ENROLL, { input: memberInput({ stripeCustomerId: customer }) }, storefront)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'stripeCustomerId' });
    expect(onlyError(await server.graphql(LINK, { m: other.id, c: 'cus_x' }, { role: 'member', subject: other.externalId })).extensions?.code).toBe('FORBIDDEN');
    // Linking again is a no-op.
    expect(ok(await server.graphql(LINK, { m: member.id, c: customer }, admin)).linkStripeCustomer.stripeCustomerId).toBe(customer);
  });

  describe('refuses what it cannot verify: 400 and nothing stored', () => {
    const storedNothing = async (eventId: string, pi: string) => {
      expect(await count('select count(*) from stripe_events where id = ?', [eventId])).toBe(0);
      expect(await orderOf(pi)).toBeUndefined();
    };
    let member: { id: string };
    beforeAll(async () => {
      member = await enrol();
    });
    const event = () => stripeEvent('payment_intent.succeeded', paymentIntent({ id: id('pi'), amount: 1000, currency: 'USD', memberId: member.id }));
    const piOf = (e: ReturnType<typeof event>) => (e.data.object as { id: string }).id;

    it('a tampered body', async () => {
      const e = event();
      const signedFor = JSON.stringify(e);
      const tampered = signedFor.replace('"amount":1000', '"amount":9999999');
      expect(tampered).not.toBe(signedFor);
      const response = await postStripeEvent(server.url, signedFor, { body: tampered });
      expect(response.status).toBe(400);
      await storedNothing(e.id, piOf(e));
    });

    it('the wrong secret', async () => {
      const e = event();
      expect((await postStripeEvent(server.url, e, { secret: 'whsec_someone_else' })).status).toBe(400);
      await storedNothing(e.id, piOf(e));
    });

    it('a stale timestamp (over 300 s old)', async () => {
      const e = event();
      expect((await postStripeEvent(server.url, e, { timestamp: now() - 301 })).status).toBe(400);
      await storedNothing(e.id, piOf(e));
    });

    it('a missing or garbled header', async () => {
      const e = event();
      expect((await postStripeEvent(server.url, e, { header: null })).status).toBe(400);
      expect((await postStripeEvent(server.url, e, { header: 't=1,v1=abc' })).status).toBe(400);
      await storedNothing(e.id, piOf(e));
    });

    it('a signed body that is not JSON, or not an event', async () => {
      expect((await postStripeEvent(server.url, '{"id": "evt_1", "type": ')).status).toBe(400);
      expect((await postStripeEvent(server.url, '{"id":"evt_x","object":"event"}')).status).toBe(400);
      expect(await count(`select count(*) from stripe_events where id in ('evt_1', 'evt_x')`)).toBe(0);
    });
  });

  it('answers 200 to an unknown event type, and stores it as IGNORED', async () => {
    const e = stripeEvent('customer.created', { id: 'cus_ignored', object: 'customer' });
    const response = await postStripeEvent(server.url, e);
    expect(response).toEqual({ status: 200, body: { received: true, outcome: 'ignored' } });
    expect(await count(`select count(*) from stripe_events where id = ? and state = 'IGNORED'`, [e.id])).toBe(1);
  });
});

describe('Stripe webhooks without STRIPE_WEBHOOK_SECRET', () => {
  it('answer 503, and the rest of the server works', async () => {
    const server = await startTestServer();
    try {
      const response = await postStripeEvent(server.url, stripeEvent('payment_intent.succeeded', paymentIntent({ id: 'pi_x', amount: 100, currency: 'usd' })));
      expect(response.status).toBe(503);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});

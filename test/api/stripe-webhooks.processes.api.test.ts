import { memberInput } from '../factories/member.factory';
import { checkLedgerInvariants, NO_VIOLATIONS } from '../helpers/invariants';
import { prng } from '../helpers/random';
import { ServerProcesses, startServerProcesses } from '../helpers/processes';
import { charge, dispute, paymentIntent, postStripeEvent, stripeEvent, StripeTestEvent, TEST_STRIPE_WEBHOOK_SECRET } from '../helpers/stripe';
import { flattenTierLadder } from '../factories/tier.factory';

const admin = { role: 'admin' as const, subject: 'admin-1' };
const DAY = 24 * 60 * 60;

/**
 * Stripe delivers to whichever replica its load balancer picks: the same events, several times each, shuffled and
 * at once over two real server processes on one database, end exactly as one in-order delivery would.
 */
describe('Stripe webhooks across two server processes', () => {
  let cluster: ServerProcesses;
  beforeAll(async () => {
    cluster = await startServerProcesses(2, { environment: { STRIPE_WEBHOOK_SECRET: TEST_STRIPE_WEBHOOK_SECRET } });
    // Delivery order, not tiers, is the subject here: with a ladder, which of a member's payments crosses a
    // threshold depends on the order they are recorded in, so both deliveries earn at 1x.
    await flattenTierLadder(cluster.orm);
  }, 120_000);
  afterAll(() => cluster?.stop());

  it('payments, a refund and disputes, each delivered 3 times to either process, shuffled and concurrent', async () => {
    const enrolled = await cluster.processes[0].graphql('mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { id } }', { input: memberInput() }, admin);
    const memberId: string = enrolled.body.data.enrollMember.id;
    const t = Math.floor(Date.now() / 1000) - 30 * DAY;
    const events: StripeTestEvent[] = [];
    for (let i = 0; i < 5; i += 1) {
      const pi = `pi_two_${process.pid}_${i}`;
      const ch = `ch_two_${process.pid}_${i}`;
      events.push(stripeEvent('payment_intent.succeeded', paymentIntent({ id: pi, amount: 10000, currency: 'usd', memberId, created: t + i }), t + i));
      events.push(stripeEvent('charge.succeeded', charge({ id: ch, paymentIntent: pi, amount: 10000, currency: 'usd', fingerprint: `fp_two_${process.pid}`, created: t + i }), t + i));
      if (i === 0) events.push(stripeEvent('charge.refunded', charge({ id: ch, paymentIntent: pi, amount: 10000, currency: 'usd', refunds: [{ id: `re_two_${process.pid}`, amount: 2500, created: t + 10 }] }), t + 10));
      const fields = { id: `dp_two_${process.pid}_${i}`, paymentIntent: pi, charge: ch, amount: 10000, currency: 'usd' };
      if (i === 1 || i === 2) events.push(stripeEvent('charge.dispute.created', dispute({ ...fields, status: 'needs_response' }), t + 20));
      if (i === 1) events.push(stripeEvent('charge.dispute.closed', dispute({ ...fields, status: 'lost' }), t + 30));
    }
    const deliveries = events.flatMap((event) => [event, event, event]);
    const random = prng(BigInt(process.pid));
    for (let i = deliveries.length - 1; i > 0; i -= 1) {
      const j = random.int(i + 1);
      [deliveries[i], deliveries[j]] = [deliveries[j], deliveries[i]];
    }
    const answers = await Promise.all(deliveries.map((event, i) => postStripeEvent(cluster.processes[i % 2].url, event)));
    expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
    // Each event had one effect (processed or deferred, then applied); every other delivery was a duplicate.
    expect(answers.filter((answer) => answer.body.outcome === 'duplicate')).toHaveLength(2 * events.length);

    const em = cluster.orm.em.fork();
    const orders = await em.execute('select external_id, refunded_minor, status, points_earned from orders where member_id = ? order by external_id', [memberId]);
    expect(orders.map((order) => [order.status, order.refunded_minor])).toEqual([
      ['PARTIALLY_REFUNDED', '2500'],
      ['REFUNDED', '10000'],
      ['PAID', '0'],
      ['PAID', '0'],
      ['PAID', '0'],
    ]);
    const [account] = await em.execute(`select posted, pending, held from points_accounts where member_id = ? and currency = 'PTS'`, [memberId]);
    expect(account).toEqual({ posted: '375', pending: '0', held: '100' });
    expect(await em.execute(`select count(*)::int as count from stripe_events where payment_intent_id like ? and state <> 'PROCESSED'`, [`pi_two_${process.pid}_%`])).toEqual([{ count: 0 }]);
    expect(await em.execute('select count(*)::int as count from member_card_fingerprints where member_id = ?', [memberId])).toEqual([{ count: 1 }]);
    expect(await checkLedgerInvariants(cluster.orm)).toEqual(NO_VIOLATIONS);
  }, 120_000);
});

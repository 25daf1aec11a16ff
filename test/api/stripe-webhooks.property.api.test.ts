import fc from 'fast-check';
import { memberInput } from '../factories/member.factory';
import { checkLedgerInvariants, NO_VIOLATIONS } from '../helpers/invariants';
import { prng } from '../helpers/random';
import { startTestServer, TestServer } from '../helpers/server';
import { charge, dispute, paymentIntent, postStripeEvent, stripeEvent, StripeTestEvent, TEST_STRIPE_WEBHOOK_SECRET } from '../helpers/stripe';
import { flattenTierLadder } from '../factories/tier.factory';

const admin = { role: 'admin' as const, subject: 'admin-1' };
const DAY = 24 * 60 * 60;
const ENROLL = 'mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { id } }';
const RATE = 'mutation($c: String!, $r: String!, $at: DateTime) { setExchangeRate(currency: $c, rate: $r, effectiveAt: $at) { currency } }';

interface PaymentPlan {
  currency: 'USD' | 'JPY' | 'KWD';
  amount: number;
  /** Created before the return window (points vest at once) or inside it (points pending). */
  vested: boolean;
  /** Stripe amounts of partial refunds, in order; their sum never exceeds the amount. */
  refunds: number[];
  dispute: null | { closed: null | 'won' | 'lost' };
  card: boolean;
}

const paymentPlan: fc.Arbitrary<PaymentPlan> = fc
  .record({
    currency: fc.constantFrom<PaymentPlan['currency']>('USD', 'JPY', 'KWD'),
    amount: fc.integer({ min: 100, max: 500_000 }),
    vested: fc.boolean(),
    refundShares: fc.array(fc.integer({ min: 1, max: 100 }), { maxLength: 3 }),
    dispute: fc.option(fc.record({ closed: fc.constantFrom<null | 'won' | 'lost'>(null, 'won', 'lost') }), { nil: null }),
    card: fc.boolean(),
  })
  .map(({ refundShares, ...plan }) => {
    const refunds: number[] = [];
    let left = plan.amount;
    for (const share of refundShares) {
      const amount = Math.floor((plan.amount * share) / 150);
      if (amount < 1 || amount > left) continue;
      refunds.push(amount);
      left -= amount;
    }
    return { ...plan, refunds };
  });

/** The events Stripe would send for the plans, in Stripe's order (by `created`), with ids unique to `tag`. */
function eventsFor(plans: PaymentPlan[], memberId: string, tag: string, base: number): StripeTestEvent[] {
  const events: StripeTestEvent[] = [];
  plans.forEach((plan, index) => {
    const t = base - (plan.vested ? 30 * DAY : DAY) + index * 100;
    const pi = `pi_${tag}_${index}`;
    const chargeId = `ch_${tag}_${index}`;
    events.push(stripeEvent('payment_intent.succeeded', paymentIntent({ id: pi, amount: plan.amount, currency: plan.currency, memberId, created: t }), t));
    if (plan.card) events.push(stripeEvent('charge.succeeded', charge({ id: chargeId, paymentIntent: pi, amount: plan.amount, currency: plan.currency, fingerprint: `fp_${tag}_${index}`, created: t + 1 }), t + 1));
    const refunds: { id: string; amount: number; created: number }[] = [];
    plan.refunds.forEach((amount, k) => {
      refunds.push({ id: `re_${tag}_${index}_${k}`, amount, created: t + 10 + k });
      events.push(stripeEvent('charge.refunded', charge({ id: chargeId, paymentIntent: pi, amount: plan.amount, currency: plan.currency, refunds: [...refunds] }), t + 10 + k));
    });
    if (plan.dispute) {
      const fields = { id: `dp_${tag}_${index}`, paymentIntent: pi, charge: chargeId, amount: plan.amount, currency: plan.currency };
      events.push(stripeEvent('charge.dispute.created', dispute({ ...fields, status: 'needs_response' }), t + 50));
      if (plan.dispute.closed) events.push(stripeEvent('charge.dispute.closed', dispute({ ...fields, status: plan.dispute.closed }), t + 60));
    }
  });
  return events.sort((a, b) => a.created - b.created);
}

describe('Stripe webhooks: any order, any number of deliveries, the same end state (property)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ STRIPE_WEBHOOK_SECRET: TEST_STRIPE_WEBHOOK_SECRET });
    // Delivery order, not tiers, is the subject here: with a ladder, which of a member's payments crosses a
    // threshold depends on the order they are recorded in, so both deliveries earn at 1x.
    await flattenTierLadder(server.orm);
    const twoYearsAgo = new Date(Date.now() - 800 * DAY * 1000).toISOString();
    for (const [currency, rate] of [['JPY', '150'], ['KWD', '0.3']]) {
      const response = await server.graphql(RATE, { c: currency, r: rate, at: twoYearsAgo }, admin);
      expect(response.body.errors).toBeUndefined();
    }
  });
  afterAll(() => server.stop());

  const enrol = async (): Promise<string> => (await server.graphql(ENROLL, { input: memberInput() }, admin)).body.data.enrollMember.id;

  /** Everything the events can change for a member, with the run's tag taken out of ids so two members compare. */
  async function stateOf(memberId: string, tag: string) {
    const em = server.orm.em.fork();
    const untag = (value: string) => value.replace(tag, 'TAG');
    const orders = await em.execute<{ external_id: string }[]>(
      `select external_id, amount_minor, currency, base_amount_minor, fx_rate, refunded_minor, status, points_earned, placed_at
       from orders where member_id = ? order by external_id`,
      [memberId],
    );
    const balances = await em.execute('select currency, posted, pending, held from points_accounts where member_id = ? order by currency', [memberId]);
    const ledger = await em.execute(
      'select kind, bucket, currency, sum(amount) as total from points_transfers where member_id = ? group by kind, bucket, currency order by kind, bucket, currency',
      [memberId],
    );
    const lots = await em.execute('select currency, amount, remaining, reversed, pending from points_lots where member_id = ? order by currency, amount, remaining, reversed, pending', [memberId]);
    // Points of a freeze still FROZEN are part of `held`; a closed freeze's figure is history (a refund delivered
    // after the dispute closed does not rewrite it), so only its outcome is compared.
    const freezes = await em.execute<{ reference: string; status: string; points: string }[]>(
      `select reference, currency, status, case when status = 'FROZEN' then points end as points from points_freezes where member_id = ? order by reference, currency`,
      [memberId],
    );
    const disputes = await em.execute<{ id: string }[]>('select id, state from stripe_disputes where member_id = ? order by id', [memberId]);
    const cards = await em.execute<{ fingerprint: string }[]>('select fingerprint, first_seen_at from member_card_fingerprints where member_id = ? order by fingerprint', [memberId]);
    const waiting = await em.execute(`select count(*)::int as count from stripe_events where payment_intent_id like ? and state <> 'PROCESSED'`, [`pi_${tag}_%`]);
    return {
      orders: orders.map((order) => ({ ...order, external_id: untag(order.external_id) })),
      balances,
      ledger,
      lots,
      freezes: freezes.map((freeze) => ({ ...freeze, reference: untag(freeze.reference) })),
      disputes: disputes.map((row) => ({ ...row, id: untag(row.id) })),
      cards: cards.map((card) => ({ ...card, fingerprint: untag(card.fingerprint) })),
      waiting,
    };
  }

  let run = 0;
  it('random payments, partial refunds and disputes, each delivered 1-5 times, shuffled and concurrent', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(paymentPlan, { minLength: 1, maxLength: 4 }), fc.bigInt({ min: 1n, max: 2n ** 62n }), async (plans, seed) => {
        run += 1;
        const inOrderTag = `${process.pid}r${run}a`;
        const shuffledTag = `${process.pid}r${run}b`;
        const [inOrderMember, shuffledMember] = [await enrol(), await enrol()];
        const base = Math.floor(Date.now() / 1000);

        for (const event of eventsFor(plans, inOrderMember, inOrderTag, base)) {
          const response = await postStripeEvent(server.url, event);
          expect(response).toMatchObject({ status: 200, body: { outcome: 'processed' } });
        }

        const random = prng(seed);
        const deliveries = eventsFor(plans, shuffledMember, shuffledTag, base).flatMap((event) => Array.from({ length: 1 + random.int(5) }, () => event));
        for (let i = deliveries.length - 1; i > 0; i -= 1) {
          const j = random.int(i + 1);
          [deliveries[i], deliveries[j]] = [deliveries[j], deliveries[i]];
        }
        // Eight concurrent senders take the shuffled deliveries in turn.
        const statuses: number[] = [];
        let next = 0;
        await Promise.all(
          Array.from({ length: 8 }, async () => {
            while (next < deliveries.length) {
              const event = deliveries[next++];
              statuses.push((await postStripeEvent(server.url, event)).status);
            }
          }),
        );
        expect(statuses.filter((status) => status !== 200)).toEqual([]);

        const expected = await stateOf(inOrderMember, inOrderTag);
        expect(expected.orders).toHaveLength(plans.length);
        expect(await stateOf(shuffledMember, shuffledTag)).toEqual(expected);
        expect(await checkLedgerInvariants(server.orm)).toEqual(NO_VIOLATIONS);
      }),
      // Fewer on the embedded database, where every request shares one backend (about 8 s a run on a busy machine).
      { numRuns: process.env.DATABASE_URL ? 15 : 8 },
    );
  }, 900_000);
});

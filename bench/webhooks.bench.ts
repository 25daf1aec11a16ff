/**
 * webhooks: signed Stripe events per second through the full Perkgraph server (POST /webhooks/stripe: signature
 * check over the raw body, event id stored, the order recorded and its points earned, in one transaction), printed
 * beside the redeem bench's figure (holdPoints + capturePoints) measured on the same server in the same run.
 * Scenarios: new payment_intent.succeeded events (each earns), and redeliveries of events already processed.
 * No target is set; this is a measurement.
 */
import Stripe from 'stripe';
import { Bench, BenchSettings, formatTable, machineFacts, round, withBenchDatabase } from './harness';
import { BENCH_CLIENTS, benchMemberId, checkLedger, graphql, inParallel, insertBenchMembers, LedgerBenchServer, MEMBERS, parseJson, perOperation, ServerCost, withClient, withLedgerServer, withServerCpu } from './ledger-bench';
import { FUNDING_USD, RECORD_ORDER, redeemSteps } from './redeem.bench';
import { isCleanSequenceLoad, runSequenceLoad, SequenceLoadResult, SequenceStep } from './sequence-load';

const SECRET = 'whsec_perkgraph_bench_0123456789';
/** Members funded for the redemption run (funding all of MEMBERS would take most of the bench's time). */
const FUNDED = 200;
const REDELIVERED = 500;
const DAY = 24 * 60 * 60;

export const webhooksBench: Bench = {
  name: 'webhooks',
  description: 'signed Stripe events/s through POST /webhooks/stripe, beside redemptions/s (hold + capture) on the same server in the same run',
  run: (settings) => withBenchDatabase((databaseUrl) => withLedgerServer('webhooks', databaseUrl, (server) => runWebhooks(settings, server), { STRIPE_WEBHOOK_SECRET: SECRET })),
};

let shownWrong = 0;
function wrongAnswer(scenario: string, status: number, body: string): false {
  if (shownWrong++ < 3) console.error(`webhooks: ${scenario}: answered ${status}: ${body.trim().slice(0, 300)}`);
  return false;
}

function paymentEvent(sequence: number): string {
  const created = Math.floor(Date.now() / 1000);
  const memberId = benchMemberId(1 + (sequence % MEMBERS));
  const intent = { id: `pi_bench_${sequence}`, object: 'payment_intent', amount: 1234, amount_received: 1234, currency: 'usd', created: created - 30 * DAY, metadata: { member_id: memberId } };
  return JSON.stringify({ id: `evt_bench_${sequence}`, object: 'event', type: 'payment_intent.succeeded', created, livemode: false, data: { object: intent } });
}

const signed = (body: string) => ({ 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload: body, secret: SECRET }) });

async function runWebhooks(settings: BenchSettings, server: LedgerBenchServer): Promise<boolean> {
  const { databaseUrl } = server.info;
  const webhookUrl = server.graphqlUrl.replace(/\/graphql$/, '/webhooks/stripe');
  await insertBenchMembers(databaseUrl, 0, MEMBERS);
  const placedAt = new Date(Date.now() - 30 * DAY * 1000).toISOString();
  await inParallel(FUNDED, BENCH_CLIENTS, async (index) => {
    await graphql(server.graphqlUrl, server.storefrontToken, RECORD_ORDER, {
      input: { memberId: benchMemberId(index + 1), externalId: `bench-funding-${index + 1}`, amount: { amount: FUNDING_USD, currency: 'USD' }, placedAt },
    });
  });
  console.log(`webhooks: ${MEMBERS} members, ${FUNDED} of them funded for redemptions`);

  let sequence = 0;
  const newPayments: SequenceStep[] = [
    {
      body: () => paymentEvent(++sequence),
      headers: signed,
      check: (status, body) => (status === 200 && (parseJson(body) as { outcome?: string })?.outcome === 'processed') || wrongAnswer('new payments', status, body),
    },
  ];
  let redelivery = 0;
  const redeliveries: SequenceStep[] = [
    {
      body: () => paymentEvent(1 + (redelivery++ % REDELIVERED)),
      headers: signed,
      check: (status, body) => (status === 200 && (parseJson(body) as { outcome?: string })?.outcome === 'duplicate') || wrongAnswer('redeliveries', status, body),
    },
  ];
  let keys = 0;
  const redemptions = redeemSteps('redeem', 1, FUNDED, () => `srv-${++keys}`);

  const results: { scenario: string; unit: string; result: SequenceLoadResult & ServerCost }[] = [];
  const measure = async (scenario: string, unit: string, url: string, steps: SequenceStep[], authorization: boolean) => {
    const load = (durationSeconds: number) =>
      runSequenceLoad({
        url,
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization: `Bearer ${server.storefrontToken}` } : {}) },
        steps,
        durationSeconds,
        connections: BENCH_CLIENTS,
      });
    console.log(`webhooks: ${scenario}: warm-up ${settings.warmupSeconds} s, then ${settings.durationSeconds} s with ${BENCH_CLIENTS} clients`);
    await load(settings.warmupSeconds);
    results.push({ scenario, unit, result: await withServerCpu(server, () => load(settings.durationSeconds)) });
  };
  await measure('redeem (hold + capture)', 'redemptions', server.graphqlUrl, redemptions, true);
  await measure('new payment_intent.succeeded', 'events', webhookUrl, newPayments, false);
  if (sequence < REDELIVERED) sequence = REDELIVERED; // redeliveries need that many processed events
  for (let i = 1; i <= REDELIVERED; i += 1) {
    const body = paymentEvent(i);
    await fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...signed(body) }, body });
  }
  await measure('redelivered events (duplicates)', 'events', webhookUrl, redeliveries, false);

  let valid = true;
  for (const { scenario, result } of results) {
    if (!isCleanSequenceLoad(result) || result.completed === 0) {
      console.error(`webhooks: ${scenario}: ${result.errors} errors, ${result.non2xx} non-2xx, ${result.wrong} wrong answers, ${result.completed} completed: the run is invalid.`);
      valid = false;
    }
  }
  // Every processed event is one order with its EARN; redeliveries added none.
  const counts = await withClient(databaseUrl, async (client) => {
    const { rows } = await client.query<{ events: string; orders: string; earns: string }>(
      `select (select count(*) from stripe_events where id like 'evt_bench_%') as events,
              (select count(*) from orders where external_id like 'pi_bench_%') as orders,
              (select count(*) from points_transfers t join orders o on o.id = t.order_id where o.external_id like 'pi_bench_%' and t.kind = 'EARN') as earns`,
    );
    return rows[0];
  });
  console.log(`webhooks: ${counts.events} events stored, ${counts.orders} orders, ${counts.earns} EARN transfers`);
  if (counts.events !== counts.orders || counts.orders !== counts.earns) {
    console.error('webhooks: events, orders and earnings do not match one to one: the run is invalid.');
    valid = false;
  }
  if (!(await checkLedger('webhooks', databaseUrl, 'after the runs'))) valid = false;

  const machine = machineFacts();
  console.log();
  console.log(
    formatTable(
      ['scenario', 'per second', 'p50', 'p99', 'completed', 'server CPU each', 'statements each', 'errors/non2xx/wrong'],
      results.map(({ scenario, unit, result }) => {
        const cost = perOperation(result);
        return [
          scenario,
          `${round(result.perSecond, 0)} ${unit}/s`,
          `${round(result.p50Ms, 1)} ms`,
          `${round(result.p99Ms, 1)} ms`,
          String(result.completed),
          cost.cpuMs === undefined ? '-' : `${round(cost.cpuMs, 1)} ms`,
          String(round(cost.statements, 1)),
          `${result.errors}/${result.non2xx}/${result.wrong}`,
        ];
      }),
    ),
  );
  const [redeem, payments, duplicates] = results.map(({ result }) => result.perSecond);
  console.log();
  console.log(`webhooks: ${round(payments, 0)} new events/s and ${round(duplicates, 0)} redeliveries/s beside ${round(redeem, 0)} redemptions/s (ratio new events/redemptions ${round(payments / redeem)})`);
  console.log(`database: ${server.info.database}; pool ${server.info.poolSize}; node ${machine.node}, ${machine.cpus} CPUs (${machine.cpuModel}); ${settings.durationSeconds} s per scenario`);
  console.log(
    JSON.stringify({
      bench: 'webhooks',
      database: server.info.database,
      clients: BENCH_CLIENTS,
      ...machine,
      durationSeconds: settings.durationSeconds,
      scenarios: results.map(({ scenario, unit, result }) => {
        const cost = perOperation(result);
        return {
          scenario,
          unit,
          perSecond: round(result.perSecond, 1),
          p50Ms: round(result.p50Ms, 2),
          p99Ms: round(result.p99Ms, 2),
          completed: result.completed,
          serverCpuMsPerOperation: cost.cpuMs === undefined ? null : round(cost.cpuMs, 2),
          statementsPerOperation: round(cost.statements, 2),
        };
      }),
    }),
  );
  return valid;
}

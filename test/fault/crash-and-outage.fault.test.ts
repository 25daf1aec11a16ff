import Stripe from 'stripe';
import { MikroORM } from '@mikro-orm/postgresql';
import { TokenService } from '../../src/auth/tokens';
import { migrateToLatest } from '../../src/db/database';
import { ormOptions } from '../../src/db/orm-config';
import { flattenTierLadder } from '../factories/tier.factory';
import { memberInput } from '../factories/member.factory';
import { checkLedgerInvariants, NO_VIOLATIONS } from '../helpers/invariants';
import { PostgresCluster, startPostgresCluster } from '../helpers/postgres-cluster';
import { spawnServer, SpawnedServer, waitForListening } from '../helpers/processes';
import { TEST_JWT_SECRET } from '../helpers/server';
import { paymentIntent, stripeEvent, TEST_STRIPE_WEBHOOK_SECRET } from '../helpers/stripe';

const DAY_SECONDS = 24 * 60 * 60;
const WORKERS = 6;
const ORDER_POINTS = 50; // "50.00" USD at 1x
const PAYMENT_POINTS = 20; // 2000 cents
const HOLD_POINTS = 10;

const ENROL = 'mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { id } }';
const RECORD = 'mutation($input: RecordOrderInput!) { recordOrder(input: $input) { id } }';
const HOLD = 'mutation($input: HoldPointsInput!) { holdPoints(input: $input) { id status } }';
const CAPTURE = 'mutation($id: ID!) { capturePoints(holdId: $id) { id status } }';

interface Api {
  name: string;
  url: string;
  spawned: SpawnedServer;
}

/** What the clients saw: every answer's HTTP status and error codes, and what was acknowledged. */
interface Observed {
  statuses: Map<number, number>;
  codes: Map<string, number>;
  internal: string[];
  networkErrors: number;
}

/**
 * Two API processes on a PostgreSQL cluster of the test's own, under a steady load of orders, hold + capture and
 * signed Stripe payments from clients that retry (by idempotency key) on anything but a definite answer. Meanwhile:
 * SIGKILL of one process and a replacement, a fast PostgreSQL restart, then a PostgreSQL crash. Afterwards every
 * acknowledged operation took effect exactly once, the ledger invariants hold, the surviving processes are ready
 * again without a restart, and no answer was an internal error.
 */
describe('faults under load (real processes, own PostgreSQL cluster)', () => {
  let cluster: PostgresCluster;
  let orm: MikroORM;
  const apis: Api[] = [];
  const live: Api[] = [];
  let adminToken: string;
  let storefrontToken: string;

  const environment = () => ({
    NODE_ENV: 'test',
    DATABASE_URL: cluster.url,
    PORT: '0',
    JWT_SECRET: TEST_JWT_SECRET,
    STRIPE_WEBHOOK_SECRET: TEST_STRIPE_WEBHOOK_SECRET,
    LOG_LEVEL: 'info',
    JOB_INTERVAL_SECONDS: '0',
    TIER_JOB_INTERVAL_SECONDS: '0',
    LTV_NIGHTLY_HOUR: '-1',
    REDEMPTION_MIN_POINTS: String(HOLD_POINTS),
  });
  const startApi = async (name: string): Promise<Api> => {
    const spawned = spawnServer(environment());
    const port = await Promise.race([
      waitForListening(spawned.output, 120_000),
      spawned.exited.then((code) => Promise.reject(new Error(`${name} exited with ${code}:\n${spawned.output()}`))),
    ]);
    const api = { name, url: `http://127.0.0.1:${port}`, spawned };
    apis.push(api);
    live.push(api);
    return api;
  };

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    orm = await MikroORM.init(ormOptions({ clientUrl: cluster.url, poolSize: 2 }));
    await migrateToLatest(orm);
    await flattenTierLadder(orm); // 1x whatever the spend: expected balances are plain sums
    await Promise.all([startApi('A'), startApi('B')]);
    const tokens = new TokenService(TEST_JWT_SECRET);
    adminToken = await tokens.sign({ role: 'admin', subject: 'fault-admin' });
    storefrontToken = await tokens.sign({ role: 'storefront', subject: 'fault-shop' });
  }, 240_000);

  afterAll(async () => {
    // Errors the processes logged (level 50), to diagnose a failure.
    const errors = apis.flatMap((api) => api.spawned.output().split('\n').filter((line) => line.includes('"level":50')).map((line) => `${api.name}: ${line.slice(0, 1500)}`));
    if (errors.length) console.log(errors.join('\n'));
    for (const api of apis) if (api.spawned.child.exitCode === null && api.spawned.child.signalCode === null) api.spawned.child.kill('SIGTERM');
    await Promise.all(apis.map((api) => api.spawned.exited));
    await orm?.close(true);
    cluster?.destroy();
  });

  it('loses nothing and doubles nothing through a process kill, a PostgreSQL restart and a crash', async () => {
    const observed: Observed = { statuses: new Map(), codes: new Map(), internal: [], networkErrors: 0 };
    const bump = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1);
    let turn = 0;
    const deadline = Date.now() + 150_000;

    /** POSTs until a definite answer: retries network errors, 503 and (recorded as failures) 5xx. */
    const send = async (path: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: any }> => {
      for (;;) {
        if (Date.now() > deadline) throw new Error(`no definite answer for ${path} ${body.slice(0, 200)}`);
        const api = live[turn++ % live.length];
        try {
          const response = await fetch(`${api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, signal: AbortSignal.timeout(15_000) });
          const text = await response.text();
          bump(observed.statuses, response.status);
          let parsed: any = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // keep the text
          }
          for (const error of parsed?.errors ?? []) bump(observed.codes, String(error.extensions?.code));
          if (response.status >= 500 && response.status !== 503) observed.internal.push(`${api.name} ${path} HTTP ${response.status}: ${text.slice(0, 300)}`);
          for (const error of parsed?.errors ?? []) {
            if (error.extensions?.code === 'INTERNAL_SERVER_ERROR') observed.internal.push(`${api.name} ${path}: ${text.slice(0, 300)}`);
          }
          if (response.status === 503 || response.status >= 500) {
            await new Promise((resolve) => setTimeout(resolve, 100));
            continue;
          }
          return { status: response.status, body: parsed };
        } catch {
          observed.networkErrors += 1;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    };
    const graphql = async (query: string, variables: Record<string, unknown>, token: string) => {
      const answer = await send('/graphql', JSON.stringify({ query, variables }), { authorization: `Bearer ${token}` });
      if (answer.body?.errors) throw new Error(`unexpected errors: ${JSON.stringify(answer.body.errors)}`);
      return answer.body.data;
    };
    const webhook = async (event: unknown) => {
      const payload = JSON.stringify(event);
      for (;;) {
        // Signed at each attempt, as Stripe does for a retry.
        const answer = await send('/webhooks/stripe', payload, { 'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret: TEST_STRIPE_WEBHOOK_SECRET }) });
        if (answer.status === 200) return answer.body;
        throw new Error(`webhook answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
    };

    const members: string[] = [];
    for (let index = 0; index < WORKERS; index += 1) members.push((await graphql(ENROL, { input: memberInput({ externalId: `fault-${index}` }) }, adminToken)).enrollMember.id);

    const acknowledged = { orders: [] as string[], payments: [] as string[], holds: [] as string[], captures: [] as string[] };
    const perMember = new Map(members.map((id) => [id, { orders: 0, payments: 0, captures: 0 }]));
    let loading = true;
    const placedAt = new Date(Date.now() - 30 * DAY_SECONDS * 1000).toISOString();
    const worker = async (memberId: string, index: number) => {
      for (let round = 0; loading; round += 1) {
        const externalId = `fault-order-${index}-${round}`;
        await graphql(RECORD, { input: { memberId, externalId, amount: { amount: '50.00', currency: 'USD' }, placedAt } }, storefrontToken);
        acknowledged.orders.push(externalId);
        perMember.get(memberId)!.orders += 1;

        const pi = `pi_fault_${index}_${round}_${process.pid}`;
        const outcome = await webhook(stripeEvent('payment_intent.succeeded', paymentIntent({ id: pi, amount: PAYMENT_POINTS * 100, currency: 'usd', memberId, created: Math.floor(Date.now() / 1000) - 30 * DAY_SECONDS })));
        expect(['processed', 'duplicate']).toContain(outcome.outcome);
        acknowledged.payments.push(pi);
        perMember.get(memberId)!.payments += 1;

        const key = `fault-hold-${index}-${round}`;
        const hold = (await graphql(HOLD, { input: { memberId, points: HOLD_POINTS, orderRef: `cart-${index}-${round}`, idempotencyKey: key } }, storefrontToken)).holdPoints;
        acknowledged.holds.push(key);
        const captured = (await graphql(CAPTURE, { id: hold.id }, storefrontToken)).capturePoints;
        expect(captured.status).toBe('CAPTURED');
        acknowledged.captures.push(hold.id);
        perMember.get(memberId)!.captures += 1;
      }
    };
    const workers = Promise.all(members.map((memberId, index) => worker(memberId, index)));
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    const ackedSoFar = () => acknowledged.orders.length + acknowledged.payments.length + acknowledged.captures.length;

    // Load, then each fault, each followed by more load.
    await pause(2_000);
    const beforeFaults = ackedSoFar();
    const killed = live.shift()!;
    killed.spawned.child.kill('SIGKILL');
    await killed.spawned.exited;
    await startApi('A2');
    await pause(2_000);
    await cluster.restartFast();
    await pause(3_000);
    await cluster.crashAndStart();
    await pause(3_000);
    loading = false;
    await workers;
    expect(ackedSoFar()).toBeGreaterThan(beforeFaults);

    // Every acknowledged operation took effect exactly once.
    const em = orm.em.fork();
    const count = async (sql: string, params: unknown[]) => Number((await em.execute<{ n: string }[]>(sql, params))[0].n);
    for (const externalId of [...acknowledged.orders, ...acknowledged.payments]) {
      expect([externalId, await count('select count(*) as n from orders where external_id = ?', [externalId])]).toEqual([externalId, 1]);
      expect([externalId, await count("select count(*) as n from points_transfers t join orders o on o.id = t.order_id where o.external_id = ? and t.kind = 'EARN'", [externalId])]).toEqual([externalId, 1]);
    }
    for (const key of acknowledged.holds) expect([key, await count('select count(*) as n from points_holds where idempotency_key = ?', [key])]).toEqual([key, 1]);
    for (const holdId of acknowledged.captures) expect([holdId, await count("select count(*) as n from points_holds where id = ? and status = 'CAPTURED'", [holdId])]).toEqual([holdId, 1]);
    // Nothing else happened: no effect without an acknowledgement (every client got its answer in the end).
    expect(await count('select count(*) as n from orders', [])).toBe(acknowledged.orders.length + acknowledged.payments.length);
    expect(await count("select count(*) as n from points_holds where status = 'CAPTURED'", [])).toBe(acknowledged.captures.length);
    for (const [memberId, done] of perMember) {
      const [{ posted }] = await em.execute<{ posted: string }[]>("select posted from points_accounts where member_id = ? and currency = 'PTS'", [memberId]);
      expect([memberId, Number(posted)]).toEqual([memberId, done.orders * ORDER_POINTS + done.payments * PAYMENT_POINTS - done.captures * HOLD_POINTS]);
    }
    expect(await checkLedgerInvariants(orm)).toEqual(NO_VIOLATIONS);

    // No answer during the faults was an internal error.
    expect(observed.internal).toEqual([]);
    expect(observed.codes.get('INTERNAL_SERVER_ERROR') ?? 0).toBe(0);

    // The survivors (B from the start, A2 since the kill) are ready again by themselves: same processes, no restart.
    for (const api of live) {
      expect(api.spawned.child.exitCode).toBeNull();
      let ready = 0;
      for (let attempt = 0; attempt < 100 && ready !== 200; attempt += 1) {
        ready = (await fetch(`${api.url}/readyz`).catch(() => ({ status: 0 }))).status;
        if (ready !== 200) await pause(200);
      }
      expect([api.name, ready]).toEqual([api.name, 200]);
    }
    console.log(
      `fault run: ${acknowledged.orders.length} orders, ${acknowledged.payments.length} payments, ${acknowledged.captures.length} captures acknowledged; ` +
        `HTTP statuses ${JSON.stringify(Object.fromEntries(observed.statuses))}, error codes ${JSON.stringify(Object.fromEntries(observed.codes))}, ` +
        `${observed.networkErrors} network errors (retried)`,
    );
  }, 300_000);
});

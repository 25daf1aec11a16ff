import { Webhook } from 'standardwebhooks';
import { TokenService } from '../../src/auth/tokens';
import { loadConfig } from '../../src/config/config';
import { WebhookDeliveryWorker } from '../../src/modules/webhooks/webhook-delivery-worker';
import { memberInput } from '../factories/member.factory';
import { ServerProcesses, spawnServer, startServerProcesses, waitForListening } from '../helpers/processes';
import { TEST_JWT_SECRET } from '../helpers/server';
import { startWebhookReceiver, WebhookReceiver } from '../helpers/webhook-receiver';

const admin = { role: 'admin' as const, subject: 'admin-webhook-processes' };
const ENROLL = 'mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { id } }';
const CREATE = 'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id } } }';
const DELETE = 'mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { id } }';

/** Polls `check` until it is true (the workers run on their own schedule); fails after `timeoutMs`. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * The delivery worker in real server processes on one database: two replicas share the outbox with no double send,
 * and an event committed by a process that is SIGKILLed before sending it is still delivered.
 */
describe('outbound webhooks across server processes', () => {
  let cluster: ServerProcesses;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    cluster = await startServerProcesses(2, { environment: { WEBHOOK_WORKER_INTERVAL_SECONDS: '0.2' } });
    receiver = await startWebhookReceiver();
  }, 120_000);
  afterAll(async () => {
    await receiver?.close();
    await cluster?.stop();
  });

  it('two replicas polling one outbox send each event exactly once', async () => {
    const created = (await cluster.processes[0].graphql(CREATE, { input: { url: receiver.url } }, admin)).body.data.createWebhookEndpoint;
    const members = await Promise.all(Array.from({ length: 10 }, (_, index) => cluster.processes[index % 2].graphql(ENROLL, { input: memberInput() }, admin)));
    expect(members.every((response) => response.body.data?.enrollMember?.id)).toBe(true);
    const em = cluster.orm.em.fork();
    const deliveries = async () =>
      em.execute<{ sequence: string; event_id: string; status: string; attempts: number }[]>('select sequence, event_id, status, attempts from webhook_deliveries where endpoint_id = ? order by sequence', [
        created.endpoint.id,
      ]);
    await eventually(async () => (await deliveries()).every((delivery) => delivery.status === 'SUCCEEDED'));
    const done = await deliveries();
    expect(done).toHaveLength(10);
    const received = receiver.received.map((request) => request.headers['webhook-id']);
    // Exactly one request per delivery (each attempt once), and one attempt row each.
    expect([...received].sort()).toEqual(done.map((delivery) => delivery.event_id).sort());
    expect(done.every((delivery) => delivery.attempts === 1)).toBe(true);
    const verifier = new Webhook(created.secret);
    for (const request of receiver.received) expect((verifier.verify(request.body, request.headers) as { type: string }).type).toBe('member.enrolled');
    await cluster.processes[0].graphql(DELETE, { id: created.endpoint.id }, admin);
  }, 90_000);

  it('retries across replicas: each attempt reaches the receiver once, with the same webhook-id', async () => {
    const flaky = await startWebhookReceiver();
    try {
      const created = (await cluster.processes[1].graphql(CREATE, { input: { url: flaky.url } }, admin)).body.data.createWebhookEndpoint;
      flaky.answers.push(500, 500, 500, 500);
      await Promise.all(Array.from({ length: 4 }, (_, index) => cluster.processes[index % 2].graphql(ENROLL, { input: memberInput() }, admin)));
      const em = cluster.orm.em.fork();
      await eventually(async () => {
        const rows = await em.execute<{ status: string }[]>('select status from webhook_deliveries where endpoint_id = ?', [created.endpoint.id]);
        return rows.length === 4 && rows.every((row) => row.status === 'SUCCEEDED');
      });
      const perEvent = new Map<string, number[]>();
      for (const request of flaky.received) perEvent.set(request.headers['webhook-id'], [...(perEvent.get(request.headers['webhook-id']) ?? []), request.status]);
      // The four first attempts failed (500), each event was retried exactly once and got 200.
      expect([...perEvent.values()].map((statuses) => statuses.join(' ')).sort()).toEqual(['500 200', '500 200', '500 200', '500 200']);
      const attempts = await em.execute<{ attempts: string }[]>(
        'select count(*) as attempts from webhook_delivery_attempts a join webhook_deliveries d on d.sequence = a.delivery_sequence where d.endpoint_id = ? group by d.sequence',
        [created.endpoint.id],
      );
      expect(attempts.map((row) => Number(row.attempts))).toEqual([2, 2, 2, 2]);
      await cluster.processes[0].graphql(DELETE, { id: created.endpoint.id }, admin);
    } finally {
      await flaky.close();
    }
  }, 90_000);

  it('an event committed by a process SIGKILLed before it sent anything is delivered by another worker', async () => {
    const target = await startWebhookReceiver();
    const created = (await cluster.processes[0].graphql(CREATE, { input: { url: target.url } }, admin)).body.data.createWebhookEndpoint;
    // A third process whose worker is off: it commits the enrolment and its event, and dies before any send.
    const doomed = spawnServer({
      NODE_ENV: 'test',
      DATABASE_URL: cluster.database.url,
      PORT: '0',
      JWT_SECRET: TEST_JWT_SECRET,
      LOG_LEVEL: 'info',
      JOB_INTERVAL_SECONDS: '0',
      WEBHOOK_WORKER_INTERVAL_SECONDS: '0',
    });
    try {
      const port = await waitForListening(doomed.output);
      const token = await new TokenService(TEST_JWT_SECRET).sign(admin);
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: ENROLL, variables: { input: memberInput() } }),
      });
      const memberId = ((await response.json()) as { data: { enrollMember: { id: string } } }).data.enrollMember.id;
      doomed.child.kill('SIGKILL');
      await doomed.exited;
      // The cluster's two processes are the other replicas: their workers find the committed event in the outbox.
      await eventually(async () => target.received.length > 0);
      expect(target.received.map((request) => JSON.parse(request.body).data.memberId)).toEqual([memberId]);
      await cluster.processes[0].graphql(DELETE, { id: created.endpoint.id }, admin);
    } finally {
      if (doomed.child.exitCode === null && doomed.child.signalCode === null) doomed.child.kill('SIGKILL');
      await target.close();
    }
  }, 120_000);

  it('a worker that dies after claiming a delivery leaves a lease; once it expires the delivery is sent with the same webhook-id', async () => {
    const target = await startWebhookReceiver();
    // The cluster's workers run on real time; this test drives its own worker on a clock two days ahead, and the
    // delivery is due only tomorrow, so the cluster's workers leave it alone.
    const em = cluster.orm.em.fork();
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
    const created = (await cluster.processes[0].graphql(CREATE, { input: { url: target.url, eventTypes: ['member.erased'] } }, admin)).body.data.createWebhookEndpoint;
    const member = (await cluster.processes[0].graphql(ENROLL, { input: memberInput() }, admin)).body.data.enrollMember;
    // An event for the member due tomorrow, written as the outbox writes it.
    await em.execute(`insert into webhook_events (id, type, member_id, data, created_at) values ('msg_lease_test', 'member.erased', ?, ?, now() + interval '1 day')`, [member.id, JSON.stringify({ memberId: member.id })]);
    await em.execute(
      `insert into webhook_deliveries (endpoint_id, event_id, event_type, member_id, status, attempts, next_attempt_at, created_at) values (?, 'msg_lease_test', 'member.erased', ?, 'PENDING', 0, now() + interval '1 day', now() + interval '1 day')`,
      [created.endpoint.id, member.id],
    );
    const worker = new WebhookDeliveryWorker(cluster.orm, config.webhooks);
    const future = new Date(Date.now() + 2 * 24 * 60 * 60 * 1000);
    const claimed = await worker.claim(future);
    expect(claimed.map((delivery) => delivery.event_id)).toEqual(['msg_lease_test']);
    // The claiming worker "crashed": nothing was sent. Another worker before the lease ends finds nothing...
    expect(await worker.runOnce(new Date(future.getTime() + 59_000))).toBe(0);
    // ...and after it, sends it.
    expect(await worker.runOnce(new Date(future.getTime() + 60_000))).toBe(1);
    expect(target.received.map((request) => request.headers['webhook-id'])).toEqual(['msg_lease_test']);
    await cluster.processes[0].graphql(DELETE, { id: created.endpoint.id }, admin);
    await target.close();
  }, 60_000);
});

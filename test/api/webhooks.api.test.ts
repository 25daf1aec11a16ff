import { Webhook } from 'standardwebhooks';
import { WebhookDeliveryWorker } from '../../src/modules/webhooks/webhook-delivery-worker';
import { onlyError, startTestServer, TestServer } from '../helpers/server';
import { startWebhookReceiver, WebhookReceiver } from '../helpers/webhook-receiver';
import { memberInput } from '../factories/member.factory';

const admin = { role: 'admin' as const, subject: 'admin-webhooks' };
const support = { role: 'support' as const, subject: 'support-webhooks' };
const storefront = { role: 'storefront' as const, subject: 'shop-webhooks' };

const ENROLL = 'mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { id externalId } }';
const ERASE = 'mutation($id: ID!, $key: String!) { eraseMember(memberId: $id, reason: "request", idempotencyKey: $key) { memberId } }';
const CREATE = 'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id url eventTypes description enabled createdAt } } }';
const DELETE = 'mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { id enabled } }';
const ENDPOINTS = '{ webhookEndpoints { id url eventTypes enabled } }';
const DELIVERIES = `query($id: ID!, $first: Int, $after: String) { webhookDeliveries(endpointId: $id, first: $first, after: $after) {
  edges { node { id eventId eventType status attempts lastStatusCode nextAttemptAt createdAt } } pageInfo { hasNextPage endCursor } } }`;
const SECOND = 1000;

describe('outbound webhooks over HTTP', () => {
  let server: TestServer;
  let worker: WebhookDeliveryWorker;
  const receivers: WebhookReceiver[] = [];
  let keys = 0;
  const ok = <T = any>(response: { body: { data?: any; errors?: unknown } }): T => {
    if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
    return response.body.data;
  };
  const code = (response: Parameters<typeof onlyError>[0]) => onlyError(response).extensions?.code;
  const enrol = async () => ok(await server.graphql(ENROLL, { input: memberInput() }, storefront)).enrollMember as { id: string; externalId: string };
  const receiver = async (fallback = 200) => {
    const started = await startWebhookReceiver(fallback);
    receivers.push(started);
    return started;
  };
  const endpointFor = async (url: string, eventTypes?: string[]) => ok(await server.graphql(CREATE, { input: { url, eventTypes, description: 'test' } }, admin)).createWebhookEndpoint;
  const deliveries = async (id: string) => ok(await server.graphql(DELIVERIES, { id, first: 50 }, admin)).webhookDeliveries.edges.map((edge: any) => edge.node);
  const attemptsOf = async (deliveryId: string) =>
    (await server.orm.em.fork().execute<{ status_code: number | null }[]>('select status_code from webhook_delivery_attempts where delivery_sequence = ? order by attempt', [deliveryId])).map((row) => row.status_code);

  beforeAll(async () => {
    server = await startTestServer();
    worker = new WebhookDeliveryWorker(server.orm, server.config.webhooks);
  });
  afterAll(async () => {
    await Promise.all(receivers.map((started) => started.close()));
    await server?.stop();
  });
  afterEach(async () => {
    // Each test's endpoints are removed, so the next test's events go to its own receivers only.
    for (const endpoint of ok(await server.graphql(ENDPOINTS, {}, admin)).webhookEndpoints) ok(await server.graphql(DELETE, { id: endpoint.id }, admin));
  });

  it('role matrix: every webhook operation is admin only', async () => {
    const target = await receiver();
    const created = await endpointFor(target.url);
    const operations: [string, Record<string, unknown>][] = [
      [CREATE, { input: { url: target.url } }],
      [ENDPOINTS, {}],
      [DELIVERIES, { id: created.endpoint.id }],
      [DELETE, { id: created.endpoint.id }],
    ];
    for (const [query, variables] of operations) {
      expect(code(await server.graphql(query, variables))).toBe('UNAUTHENTICATED');
      for (const caller of [storefront, support, { role: 'member' as const, subject: 'someone' }]) expect(code(await server.graphql(query, variables, caller))).toBe('FORBIDDEN');
    }
    expect(ok(await server.graphql(ENDPOINTS, {}, admin)).webhookEndpoints).toEqual([{ id: created.endpoint.id, url: target.url, eventTypes: [], enabled: true }]);
  });

  it('creates an endpoint with its secret shown once, and refuses unknown event types', async () => {
    const target = await receiver();
    const created = await endpointFor(target.url, ['member.erased', 'member.enrolled']);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.endpoint).toMatchObject({ url: target.url, eventTypes: ['member.enrolled', 'member.erased'], description: 'test', enabled: true });
    expect(onlyError(await server.graphql(CREATE, { input: { url: target.url, eventTypes: ['member.deleted'] } }, admin)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'eventTypes' });
  });

  it('retries a failed delivery with the same webhook-id and a signature the standardwebhooks verifier accepts', async () => {
    const target = await receiver();
    target.answers.push(500);
    const { endpoint, secret } = await endpointFor(target.url);
    const member = await enrol();
    const start = new Date();
    expect(await worker.runOnce(start)).toBe(1);
    const [failed] = await deliveries(endpoint.id);
    expect(failed).toMatchObject({ eventType: 'member.enrolled', status: 'PENDING', attempts: 1, lastStatusCode: 500 });
    // The first retry comes 5 seconds after the failure: not before.
    expect(new Date(failed.nextAttemptAt).getTime() - start.getTime()).toBe(5 * SECOND);
    expect(await worker.runOnce(new Date(start.getTime() + 4 * SECOND))).toBe(0);
    expect(await worker.runOnce(new Date(start.getTime() + 5 * SECOND))).toBe(1);
    const [succeeded] = await deliveries(endpoint.id);
    expect(succeeded).toMatchObject({ id: failed.id, eventId: failed.eventId, status: 'SUCCEEDED', attempts: 2, lastStatusCode: 200, nextAttemptAt: null });
    expect(await attemptsOf(failed.id)).toEqual([500, 200]);

    expect(target.received.map((request) => request.headers['webhook-id'])).toEqual([failed.eventId, failed.eventId]);
    const verifier = new Webhook(secret);
    for (const request of target.received) {
      const payload = verifier.verify(request.body, request.headers) as { type: string; timestamp: string; data: Record<string, unknown> };
      expect(payload).toEqual({ type: 'member.enrolled', timestamp: expect.any(String), data: { memberId: member.id, externalId: member.externalId, country: 'DE', joinedAt: expect.any(String) } });
    }
    expect(target.received[0].body).toBe(target.received[1].body);
    // A tampered body fails verification.
    expect(() => verifier.verify(target.received[0].body.replace(member.id, 'someone-else'), target.received[0].headers)).toThrow();
  });

  it("keeps a member's events in order: a later event waits until the earlier one is delivered", async () => {
    const target = await receiver();
    target.answers.push(503);
    const { endpoint } = await endpointFor(target.url);
    const member = await enrol();
    ok(await server.graphql(ERASE, { id: member.id, key: `order-${++keys}` }, admin));
    const start = new Date();
    expect(await worker.runOnce(start)).toBe(1);
    expect(await worker.runOnce(new Date(start.getTime() + 5 * SECOND))).toBe(1);
    expect(await worker.runOnce(new Date(start.getTime() + 6 * SECOND))).toBe(1);
    expect(target.received.map((request) => `${JSON.parse(request.body).type} ${request.status}`)).toEqual(['member.enrolled 503', 'member.enrolled 200', 'member.erased 200']);
    expect(JSON.parse(target.received[2].body).data).toEqual({ memberId: member.id });
    expect((await deliveries(endpoint.id)).map((delivery: any) => delivery.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  });

  it('delivers only the event types an endpoint asked for, and nothing to a deleted endpoint', async () => {
    const erasedOnly = await receiver();
    const deleted = await receiver();
    const onlyErased = await endpointFor(erasedOnly.url, ['member.erased']);
    const toDelete = await endpointFor(deleted.url);
    await enrol();
    expect((await deliveries(toDelete.endpoint.id)).map((delivery: any) => delivery.status)).toEqual(['PENDING']);
    ok(await server.graphql(DELETE, { id: toDelete.endpoint.id }, admin));
    await enrol();
    expect(await worker.runOnce(new Date())).toBe(0);
    expect(deleted.received).toEqual([]);
    expect(erasedOnly.received).toEqual([]);
    expect((await deliveries(toDelete.endpoint.id)).map((delivery: any) => delivery.status)).toEqual(['FAILED']);
    expect(await deliveries(onlyErased.endpoint.id)).toEqual([]);
    expect(ok(await server.graphql(ENDPOINTS, {}, admin)).webhookEndpoints.map((endpoint: any) => endpoint.id)).toEqual([onlyErased.endpoint.id]);
  });

  it('gives a delivery up (FAILED) 24 h after its event, and disables an endpoint failing for 5 days', async () => {
    const target = await receiver(500);
    const { endpoint } = await endpointFor(target.url);
    await enrol();
    await enrol();
    const em = server.orm.em.fork();
    const start = new Date();
    // The first delivery's event is 23 h 59 min 58 s old at this attempt: its next retry (5 s) would be past 24 h.
    const [first] = await em.execute<{ sequence: string }[]>('select sequence from webhook_deliveries where endpoint_id = ? order by sequence limit 1', [endpoint.id]);
    await em.execute('update webhook_deliveries set created_at = ? where sequence = ?', [new Date(start.getTime() - 24 * 3600 * SECOND + 2 * SECOND), first.sequence]);
    expect(await worker.runOnce(start)).toBe(2);
    const statuses = async () => (await deliveries(endpoint.id)).map((delivery: any) => `${delivery.status} ${delivery.attempts} ${delivery.lastStatusCode}`);
    expect(await statuses()).toEqual(['PENDING 1 500', 'FAILED 1 500']);
    // Failing since 5 days minus 1 s: the next failure 5 s later crosses the 5 days and disables the endpoint.
    await em.execute('update webhook_endpoints set failing_since = ? where id = ?', [new Date(start.getTime() - 5 * 24 * 3600 * SECOND + SECOND), endpoint.id]);
    expect(await worker.runOnce(new Date(start.getTime() + 5 * SECOND))).toBe(1);
    expect(ok(await server.graphql(ENDPOINTS, {}, admin)).webhookEndpoints).toEqual([expect.objectContaining({ id: endpoint.id, enabled: false })]);
    expect(await statuses()).toEqual(['FAILED 2 500', 'FAILED 1 500']);
    expect(await worker.runOnce(new Date(start.getTime() + 3600 * SECOND))).toBe(0);
    expect(target.received).toHaveLength(3);
  });

  it('does not follow redirects: a 3xx is a failed attempt and the redirect target gets nothing', async () => {
    const target = await receiver();
    target.answers.push(302);
    const { endpoint } = await endpointFor(target.url);
    await enrol();
    expect(await worker.runOnce(new Date())).toBe(1);
    expect(target.received.map((request) => request.status)).toEqual([302]);
    expect(await deliveries(endpoint.id)).toEqual([expect.objectContaining({ status: 'PENDING', attempts: 1, lastStatusCode: 302 })]);
  });
});

describe('outbound webhooks where private networks are not allowed', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'false' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('refuses http, loopback, private, link-local and local-name URLs, and accepts a public https URL', async () => {
    const refusals: [string, string][] = [
      ['http://hooks.example.com/x', 'url: must be an https URL'],
      ['https://127.0.0.1/x', 'url: must not point at a loopback, private or reserved address'],
      ['https://10.1.2.3/x', 'url: must not point at a loopback, private or reserved address'],
      ['https://192.168.0.10/x', 'url: must not point at a loopback, private or reserved address'],
      ['https://169.254.169.254/latest/meta-data', 'url: must not point at a loopback, private or reserved address'],
      ['https://[::1]/x', 'url: must not point at a loopback, private or reserved address'],
      ['https://[::ffff:127.0.0.1]/x', 'url: must not point at a loopback, private or reserved address'],
      ['https://localhost/x', 'url: must not point at a local or internal host'],
      ['https://user:pass@hooks.example.com/x', 'url: must not contain credentials'],
      ['ftp://hooks.example.com/x', 'url: must be an https URL'],
    ];
    for (const [url, message] of refusals) {
      const error = onlyError(await server.graphql(CREATE, { input: { url } }, admin));
      expect({ url, code: error.extensions?.code, message: error.message }).toEqual({ url, code: 'BAD_USER_INPUT', message });
    }
    const created = (await server.graphql(CREATE, { input: { url: 'https://hooks.example.com/perkgraph' } }, admin)).body.data.createWebhookEndpoint;
    expect(created.endpoint).toMatchObject({ url: 'https://hooks.example.com/perkgraph', enabled: true });
  });
});

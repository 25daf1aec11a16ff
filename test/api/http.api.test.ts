import { Client } from 'pg';
import { startTestServer, TestServer } from '../helpers/server';
import { memberInput } from '../factories/member.factory';

const post = (server: TestServer, body: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('HTTP routes', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('GET /healthz says the process is up', async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('GET /readyz is 200 when migrated and 503 with a pending migration', async () => {
    const ready = await fetch(`${server.url}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
    const connection = server.orm.em.fork().getConnection();
    const [last] = await connection.execute<{ id: number; name: string; executed_at: Date }[]>('select * from mikro_orm_migrations order by id desc limit 1');
    await connection.execute('delete from mikro_orm_migrations where id = ?', [last.id]);
    try {
      const notReady = await fetch(`${server.url}/readyz`);
      expect([notReady.status, await notReady.json()]).toEqual([503, { status: 'not ready', reason: '1 migration(s) pending' }]);
    } finally {
      await connection.execute('insert into mikro_orm_migrations (id, name, executed_at) values (?, ?, ?)', [last.id, last.name, last.executed_at]);
    }
  });

  it('GET /metrics counts requests per operation and errors per code, and shows the database pool', async () => {
    const admin = { role: 'admin' as const, subject: 'metrics-admin' };
    await server.graphql('query MetricsProbe { me { id } }', undefined, admin);
    await server.graphql('query MetricsProbe { me { id } }', undefined, admin);
    await server.graphql('query MetricsForbidden { searchMembers(query: "x") { pageInfo { hasNextPage } } }', undefined, { role: 'storefront', subject: 's' });
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toContain('perkgraph_graphql_requests_total{operation="MetricsProbe"} 2');
    expect(text).toContain('perkgraph_graphql_request_duration_seconds_count{operation="MetricsProbe"} 2');
    expect(text).toMatch(/perkgraph_graphql_errors_total\{code="FORBIDDEN"\} 1\n/);
    expect(text).toMatch(/perkgraph_db_pool_max 4\n/);
    expect(text).toMatch(/perkgraph_db_pool_used \d+\n/);
  });

  it('GET /metrics counts ledger commands by kind and outcome, replays, and authentication rejections', async () => {
    const value = async (series: string) => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
      return line ? Number(line.slice(series.length + 1)) : 0;
    };
    const series = {
      ok: 'perkgraph_ledger_commands_total{kind="hold",outcome="ok"}',
      short: 'perkgraph_ledger_commands_total{kind="hold",outcome="insufficient_points"}',
      replay: 'perkgraph_ledger_replays_total{kind="hold"}',
      order: 'perkgraph_ledger_commands_total{kind="record_order",outcome="ok"}',
      badToken: 'perkgraph_authentication_rejections_total{reason="bad_token"}',
      missingToken: 'perkgraph_authentication_rejections_total{reason="missing_token"}',
    };
    const before = Object.fromEntries(await Promise.all(Object.entries(series).map(async ([name, line]) => [name, await value(line)])));
    const admin = { role: 'admin' as const, subject: 'metrics-ledger' };
    const enrolled = await server.graphql('mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { id } }', { input: memberInput() }, admin);
    const memberId = enrolled.body.data.enrollMember.id;
    const storefront = { role: 'storefront' as const, subject: 'metrics-shop' };
    const hold = (key: string, points: number) =>
      server.graphql('mutation($input: HoldPointsInput!) { h: holdPoints(input: $input) { id } }', { input: { memberId, points, orderRef: 'cart', idempotencyKey: key } }, storefront);
    expect((await hold('metrics-short', 100)).body.errors?.[0].extensions?.code).toBe('INSUFFICIENT_POINTS');
    await server.graphql('mutation($input: RecordOrderInput!) { recordOrder(input: $input) { id } }', { input: { memberId, externalId: 'metrics-order', amount: { amount: '500.00', currency: 'USD' }, placedAt: '2025-01-01T00:00:00Z' } }, storefront);
    expect((await hold('metrics-ok', 100)).body.errors).toBeUndefined();
    expect((await hold('metrics-ok', 100)).body.errors).toBeUndefined();
    await server.graphql('{ me { id } }', undefined, 'not-a-token');
    await server.graphql('{ me { id } }');
    const after = Object.fromEntries(await Promise.all(Object.entries(series).map(async ([name, line]) => [name, await value(line)])));
    const delta = Object.fromEntries(Object.keys(series).map((name) => [name, after[name] - before[name]]));
    expect(delta).toEqual({ ok: 2, short: 1, replay: 1, order: 1, badToken: 1, missingToken: 1 });
  });

  it('echoes a well-formed x-request-id and makes one up otherwise', async () => {
    const given = await post(server, JSON.stringify({ query: '{ __typename }' }), { 'x-request-id': 'trace-abc.123' });
    expect(given.headers.get('x-request-id')).toBe('trace-abc.123');
    const made = await post(server, JSON.stringify({ query: '{ __typename }' }), { 'x-request-id': 'bad id with spaces' });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('names the Stripe webhook route\'s own limit (1 MB) when its body is too large', async () => {
    const response = await fetch(`${server.url}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=x' },
      body: JSON.stringify({ pad: 'x'.repeat(1024 * 1024 + 10) }),
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ errors: [{ message: 'request body larger than 1mb', extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
  });

  it('refuses a body over the size cap with 413 and a JSON error', async () => {
    const response = await post(server, JSON.stringify({ query: `{ __typename }`, variables: { pad: 'x'.repeat(70 * 1024) } }));
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ errors: [{ message: 'request body larger than 64kb', extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
  });

  it('refuses malformed JSON with 400', async () => {
    const response = await post(server, '{"query": ');
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).errors[0].extensions.code).toBe('BAD_REQUEST');
  });

  it('does not accept batched requests', async () => {
    const response = await post(server, JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ errors: [{ message: 'Operation batching disabled.', extensions: { code: 'BAD_REQUEST' } }] });
  });

  it('does not send cache-control hints (the cache-control plugin is off)', async () => {
    const response = await post(server, JSON.stringify({ query: '{ __typename }' }));
    expect(response.headers.get('cache-control')).toBeNull();
    expect(((await response.json()) as any).extensions).toBeUndefined();
  });
});

describe('graceful stop', () => {
  it('stops accepting connections but lets an in-flight request finish', async () => {
    const server = await startTestServer();
    const input = memberInput({ externalId: 'in-flight' });
    // Hold a row lock on the externalId from outside, so that the enrolment below waits inside the server.
    const blocker = new Client({ connectionString: server.database.url });
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query(
        `insert into members (id, external_id, email, country, locale, joined_at, created_at, enrollment_hash, referral_code)
         values ('00000000-0000-7000-8000-000000000001', 'in-flight', 'blocker@example.com', 'DE', 'de', now(), now(), 'x', 'INFLIGHT')`,
      );
      const inFlight = server.graphql('mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { externalId email } }', { input }, { role: 'storefront', subject: 'shop' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const stopped = server.app.stop();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
      await blocker.query('rollback');
      const response = await inFlight;
      expect(response.status).toBe(200);
      expect(response.body.data).toEqual({ enrollMember: { externalId: 'in-flight', email: input.email } });
      await stopped;
    } finally {
      await blocker.end();
      await server.stop();
    }
  });
});

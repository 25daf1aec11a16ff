import { startTestServer, TestServer } from '../helpers/server';
import { startTcpProxy, TcpProxy } from '../helpers/tcp-proxy';
import { memberInput } from '../factories/member.factory';

const admin = { role: 'admin' as const, subject: 'outage-admin' };
const ENROL = 'mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { id externalId } }';
const MEMBER = 'query($id: ID) { member(id: $id) { externalId balance { posted } } }';

/** The server reaches its database through a TCP relay the test cuts (resets, then refusals) and restores. */
describe('database outage', () => {
  let server: TestServer;
  let proxy: TcpProxy;
  let memberId: string;

  beforeAll(async () => {
    server = await startTestServer({ LOG_LEVEL: 'error' }, {
      routeDatabase: async (url) => {
        proxy = await startTcpProxy(url);
        return proxy.route(url);
      },
    });
    const enrolled = await server.graphql(ENROL, { input: memberInput({ externalId: 'outage-1' }) }, admin);
    memberId = enrolled.body.data.enrollMember.id;
  });
  afterAll(async () => {
    await proxy?.restore().catch(() => undefined);
    await server?.stop();
    await proxy?.close();
  });

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After while the database is away, and serves again once it is back', async () => {
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    await proxy.cut();
    try {
      for (const query of [MEMBER, 'mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { id } }']) {
        const variables = query === MEMBER ? { id: memberId } : { input: memberInput({ externalId: 'outage-2' }) };
        const response = await server.graphql(query, variables, admin);
        expect(response.status).toBe(503);
        expect(response.headers.get('retry-after')).toBe('2');
        expect(response.body.errors).toHaveLength(1);
        expect(response.body.errors![0].message).toBe('the database is unavailable; retry in 2 s');
        expect(response.body.errors![0].extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 2 });
      }
      const readiness = await fetch(`${server.url}/readyz`);
      expect(readiness.status).toBe(503);
      expect(((await readiness.json()) as { status: string }).status).toBe('not ready');
    } finally {
      await proxy.restore();
    }
    const again = await server.graphql(MEMBER, { id: memberId }, admin);
    expect([again.status, again.body]).toEqual([200, { data: { member: { externalId: 'outage-1', balance: { posted: 0 } } } }]);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/perkgraph_graphql_errors_total\{code="SERVICE_UNAVAILABLE"\} 2\n/);
    expect(metrics).not.toContain('code="INTERNAL_SERVER_ERROR"');
  });
});

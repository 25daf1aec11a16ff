import { SignJWT } from 'jose';
import { Role } from '../../src/auth/principal';
import { Member } from '../../src/modules/members/member.entity';
import { AuditLog } from '../../src/modules/audit/audit-log.entity';
import { onlyError, startTestServer, TestServer } from '../helpers/server';
import { memberInput } from '../factories/member.factory';

const ENROLL = `mutation Enroll($input: EnrollMemberInput!) {
  enrollMember(input: $input) { id externalId email country locale birthday acquisitionChannel acquisitionCost { amount currency } status joinedAt }
}`;
const MEMBER_BY_EXTERNAL_ID = `query Member($externalId: String) { member(externalId: $externalId) { id externalId } }`;
const ME = `query Me { me { id externalId } }`;
const SEARCH = `query Search($query: String!, $first: Int, $after: String) {
  searchMembers(query: $query, first: $first, after: $after) { edges { cursor node { externalId } } pageInfo { hasNextPage endCursor } }
}`;

type Caller = 'anonymous' | Role;
const CALLERS: Caller[] = ['anonymous', 'member', 'storefront', 'support', 'admin'];

describe('members over HTTP', () => {
  let server: TestServer;
  let alice: { id: string; externalId: string };
  let bob: { id: string; externalId: string };

  /** Sends the request as the caller; a member caller is Alice. */
  const call = (caller: Caller, query: string, variables?: Record<string, unknown>) =>
    server.graphql(query, variables, caller === 'anonymous' ? undefined : { role: caller, subject: caller === 'member' ? alice.externalId : `${caller}-1` });
  const codeOf = (response: Awaited<ReturnType<typeof call>>) => response.body.errors?.[0]?.extensions?.code ?? 'OK';

  beforeAll(async () => {
    server = await startTestServer();
    const admin = { role: 'admin' as const, subject: 'admin-1' };
    alice = (await server.graphql(ENROLL, { input: memberInput({ externalId: 'alice', email: 'alice@example.com' }) }, admin)).body.data.enrollMember;
    bob = (await server.graphql(ENROLL, { input: memberInput({ externalId: 'bob', email: 'bob@example.com' }) }, admin)).body.data.enrollMember;
  });
  afterAll(() => server.stop());

  describe('role matrix', () => {
    it('me: any signed-in caller; a member gets itself, other roles null', async () => {
      const results = await Promise.all(CALLERS.map((caller) => call(caller, ME)));
      expect(results.map(codeOf)).toEqual(['UNAUTHENTICATED', 'OK', 'OK', 'OK', 'OK']);
      expect(results.slice(1).map((response) => response.body.data.me?.externalId ?? null)).toEqual(['alice', null, null, null]);
    });

    it("member(...): storefront, support, admin; a member only itself", async () => {
      const other = await Promise.all(CALLERS.map((caller) => call(caller, MEMBER_BY_EXTERNAL_ID, { externalId: 'bob' })));
      expect(other.map(codeOf)).toEqual(['UNAUTHENTICATED', 'FORBIDDEN', 'OK', 'OK', 'OK']);
      expect(other[2].body.data.member).toEqual({ id: bob.id, externalId: 'bob' });
      const own = await call('member', MEMBER_BY_EXTERNAL_ID, { externalId: 'alice' });
      expect(own.body.data.member).toEqual({ id: alice.id, externalId: 'alice' });
    });

    it('a member gets FORBIDDEN for another member that does not exist too (no existence leak)', async () => {
      const response = await call('member', MEMBER_BY_EXTERNAL_ID, { externalId: 'nobody-at-all' });
      expect(onlyError(response).extensions?.code).toBe('FORBIDDEN');
    });

    it('searchMembers: support and admin only', async () => {
      const results = await Promise.all(CALLERS.map((caller) => call(caller, SEARCH, { query: 'bob@' })));
      expect(results.map(codeOf)).toEqual(['UNAUTHENTICATED', 'FORBIDDEN', 'FORBIDDEN', 'OK', 'OK']);
      expect(results[3].body.data.searchMembers.edges.map((edge: any) => edge.node.externalId)).toEqual(['bob']);
    });

    it('enrollMember: storefront and admin only', async () => {
      const results = await Promise.all(CALLERS.map((caller) => call(caller, ENROLL, { input: memberInput() })));
      expect(results.map(codeOf)).toEqual(['UNAUTHENTICATED', 'FORBIDDEN', 'OK', 'FORBIDDEN', 'OK']);
    });
  });

  describe('tokens', () => {
    it('refuses a token signed with another secret with 401 UNAUTHENTICATED', async () => {
      const forged = await new SignJWT({ role: 'admin' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('mallory')
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode('another-secret-another-secret-another-secret'));
      const response = await server.graphql(ME, undefined, forged);
      expect(response.status).toBe(401);
      expect(onlyError(response).extensions).toEqual({ code: 'UNAUTHENTICATED' });
      expect(response.body.data).toBeUndefined();
    });

    it('refuses an expired token with 401 UNAUTHENTICATED', async () => {
      const expired = await new SignJWT({ role: 'admin' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('admin-1')
        .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
        .sign(new TextEncoder().encode(server.config.jwtSecret));
      const response = await server.graphql(ME, undefined, expired);
      expect(response.status).toBe(401);
      expect(onlyError(response)).toMatchObject({ message: 'token expired', extensions: { code: 'UNAUTHENTICATED' } });
    });

    it('refuses a header that is not a bearer token', async () => {
      const response = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Basic YWRtaW46YWRtaW4=' },
        body: JSON.stringify({ query: ME }),
      });
      expect(response.status).toBe(401);
      expect(((await response.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    });
  });

  describe('enrolment', () => {
    it('returns every field normalised', async () => {
      const response = await call('storefront', ENROLL, {
        input: {
          externalId: 'jp-42',
          email: 'Yui@Example.JP',
          country: 'jp',
          locale: 'ja-jp',
          birthday: '12-24',
          acquisitionChannel: 'google_ads',
          acquisitionCost: { amount: '5200', currency: 'JPY' },
          joinedAt: '2025-06-01T09:00:00Z',
        },
      });
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data.enrollMember).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        externalId: 'jp-42',
        email: 'yui@example.jp',
        country: 'JP',
        locale: 'ja-JP',
        birthday: '12-24',
        acquisitionChannel: 'google_ads',
        acquisitionCost: { amount: '5200', currency: 'JPY' },
        status: 'ACTIVE',
        joinedAt: '2025-06-01T09:00:00.000Z',
      });
    });

    it('is idempotent on externalId: same input, same member; other input, IDEMPOTENCY_CONFLICT', async () => {
      const input = memberInput({ externalId: 'idem-api' });
      const first = await call('storefront', ENROLL, { input });
      const replay = await call('storefront', ENROLL, { input });
      expect(replay.body.data.enrollMember.id).toBe(first.body.data.enrollMember.id);
      const conflict = await call('storefront', ENROLL, { input: { ...input, birthday: '01-01' } });
      expect(onlyError(conflict).extensions?.code).toBe('IDEMPOTENCY_CONFLICT');
    });

    it.each([
      ['email', { email: 'not-an-email' }],
      ['country', { country: 'XX' }],
      ['locale', { locale: 'no such locale!' }],
      ['birthday', { birthday: '02-30' }],
      ['externalId', { externalId: 'has spaces' }],
      ['acquisitionChannel', { acquisitionChannel: 'Paid Search!' }],
      ['acquisitionCost.amount', { acquisitionCost: { amount: '10.001', currency: 'USD' } }],
      ['acquisitionCost.currency', { acquisitionCost: { amount: '10', currency: 'ABC' } }],
      ['joinedAt', { joinedAt: '2999-01-01T00:00:00Z' }],
    ])('fails with BAD_USER_INPUT naming %s', async (field, overrides) => {
      const response = await call('storefront', ENROLL, { input: { ...memberInput(), ...overrides } });
      const error = onlyError(response);
      expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', field });
      expect(error.message.startsWith(`${field}: `)).toBe(true);
    });

    it('fails with BAD_USER_INPUT when a required field is missing', async () => {
      const { country: _country, ...input } = memberInput();
      const response = await call('storefront', ENROLL, { input });
      expect(onlyError(response).extensions?.code).toBe('BAD_USER_INPUT');
      expect(onlyError(response).message).toContain('country');
    });
  });

  describe('audit', () => {
    it('records support reads and searches with the request id, and nothing for member or storefront reads', async () => {
      const em = server.orm.em.fork();
      const before = await em.count(AuditLog, { memberId: bob.id });
      const read = await server.graphql(MEMBER_BY_EXTERNAL_ID, { externalId: 'bob' }, { role: 'support', subject: 'agent-smith' });
      await server.graphql(MEMBER_BY_EXTERNAL_ID, { externalId: 'bob' }, { role: 'storefront', subject: 'shop' });
      await server.graphql(ME, undefined, { role: 'member', subject: 'bob' });
      const rows = await server.orm.em.fork().find(AuditLog, { memberId: bob.id, actor: 'agent-smith' });
      expect(rows.map(({ role, action, requestId }) => ({ role, action, requestId }))).toEqual([
        { role: 'support', action: 'member.read', requestId: read.headers.get('x-request-id') },
      ]);
      expect(await server.orm.em.fork().count(AuditLog, { memberId: bob.id })).toBe(before + 1);
    });
  });

  describe('pagination', () => {
    it('pages searchMembers with cursors and rejects a forged cursor and an oversized page', async () => {
      for (let i = 0; i < 3; i += 1) await call('admin', ENROLL, { input: memberInput({ externalId: `page-${i}` }) });
      const first = await call('support', SEARCH, { query: 'page-', first: 2 });
      expect(first.body.data.searchMembers.edges.map((edge: any) => edge.node.externalId)).toEqual(['page-2', 'page-1']);
      const next = await call('support', SEARCH, { query: 'page-', first: 2, after: first.body.data.searchMembers.pageInfo.endCursor });
      expect(next.body.data.searchMembers).toMatchObject({ edges: [{ node: { externalId: 'page-0' } }], pageInfo: { hasNextPage: false } });
      expect(onlyError(await call('support', SEARCH, { query: 'page-', after: 'bm9wZQ' })).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
      expect(onlyError(await call('support', SEARCH, { query: 'page-', first: 101 })).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'first' });
    });
  });

  describe('an empty query', () => {
    it('lists every member, newest first, paged', async () => {
      const externalIds: string[] = [];
      let after: string | null = null;
      do {
        const page: any = (await call('support', SEARCH, { query: '  ', first: 2, after })).body.data.searchMembers;
        externalIds.push(...page.edges.map((edge: any) => edge.node.externalId));
        after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      } while (after);
      const everyone = await server.orm.em.fork().find(Member, {}, { orderBy: { id: 'desc' } });
      expect(everyone.length).toBeGreaterThan(5);
      expect(externalIds).toEqual(everyone.map((member) => member.externalId));
      expect(externalIds.slice(0, 3)).toEqual(['page-2', 'page-1', 'page-0']);
      expect(externalIds.slice(-2)).toEqual(['bob', 'alice']);
    });
  });

  describe('unexpected errors', () => {
    afterAll(() => server.orm.em.fork().getConnection().execute('alter table "members_gone" rename to "members"'));

    it('reach the client as INTERNAL_SERVER_ERROR with no internals', async () => {
      await server.orm.em.fork().getConnection().execute('alter table "members" rename to "members_gone"');
      const response = await call('support', MEMBER_BY_EXTERNAL_ID, { externalId: 'bob' });
      expect(response.body.errors).toEqual([
        { message: 'Internal server error', locations: [{ line: 1, column: 37 }], path: ['member'], extensions: { code: 'INTERNAL_SERVER_ERROR' } },
      ]);
      expect(JSON.stringify(response.body)).not.toMatch(/members|relation|select/i);
    });
  });
});

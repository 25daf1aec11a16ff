import { onlyError, startTestServer, TestServer } from '../helpers/server';
import { memberInput } from '../factories/member.factory';

/** updatePointsCurrency and auditLog's filters (issue 15) through the real server. */
const admin = { role: 'admin' as const, subject: 'admin-pc' };
const otherAdmin = { role: 'admin' as const, subject: 'admin-other' };
const support = { role: 'support' as const, subject: 'support-pc' };
const storefront = { role: 'storefront' as const, subject: 'shop-pc' };

const ENROLL = 'mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { id externalId } }';
const ADJUST = 'mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { points } }';
const RECORD = 'mutation($input: RecordOrderInput!) { recordOrder(input: $input) { id } }';
const CREATE = 'mutation($input: CreatePointsCurrencyInput!) { createPointsCurrency(input: $input) { code } }';
const FIELDS = 'code name valueInBase expiryMonths earnsOnOrders earnRate';
const UPDATE = `mutation($input: UpdatePointsCurrencyInput!) { updatePointsCurrency(input: $input) { ${FIELDS} } }`;
const CURRENCIES = `{ pointsCurrencies { ${FIELDS} } }`;
const AUDIT = `query($memberId: ID, $action: String, $actor: String, $actorRole: String, $first: Int, $after: String) {
  auditLog(memberId: $memberId, action: $action, actor: $actor, actorRole: $actorRole, first: $first, after: $after) {
    edges { cursor node { actorRole actor action memberIds details } } pageInfo { hasNextPage endCursor }
  }
}`;

describe('console admin API over HTTP', () => {
  let server: TestServer;
  let keys = 0;
  const key = () => `console-admin-key-${++keys}`;
  const ok = (response: { body: { data?: any; errors?: unknown } }) => {
    if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
    return response.body.data;
  };
  const currency = async (code: string) => (ok(await server.graphql(CURRENCIES, undefined, admin)).pointsCurrencies as any[]).find((row) => row.code === code);
  const audit = async (variables: Record<string, unknown>, as: { role: 'admin' | 'support'; subject: string } = admin) =>
    ok(await server.graphql(AUDIT, variables, as)).auditLog;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  describe('updatePointsCurrency', () => {
    beforeAll(async () => {
      ok(await server.graphql(CREATE, { input: { code: 'MILES', name: 'Miles', valueInBase: '0.02', expiryMonths: 6, earnsOnOrders: false, earnRate: '0.5' } }, admin));
    });

    it('is for admins only', async () => {
      const input = { code: 'MILES', name: 'Air miles' };
      expect(onlyError(await server.graphql(UPDATE, { input })).extensions?.code).toBe('UNAUTHENTICATED');
      expect(onlyError(await server.graphql(UPDATE, { input }, storefront)).extensions?.code).toBe('FORBIDDEN');
      expect(onlyError(await server.graphql(UPDATE, { input }, support)).extensions?.code).toBe('FORBIDDEN');
      expect(await currency('MILES')).toEqual({ code: 'MILES', name: 'Miles', valueInBase: '0.02', expiryMonths: 6, earnsOnOrders: false, earnRate: '0.5' });
    });

    it('reports every bad field with its field and changes nothing', async () => {
      const error = onlyError(await server.graphql(UPDATE, { input: { code: 'MILES', name: '  ', valueInBase: 'lots', expiryMonths: 0, earnRate: '-1' } }, admin));
      expect(error.extensions).toEqual({
        code: 'BAD_USER_INPUT',
        field: 'name',
        problems: [
          { field: 'name', message: 'name: must be 1 to 100 characters' },
          { field: 'valueInBase', message: 'valueInBase: "lots" is not a decimal number such as 1.25' },
          { field: 'earnRate', message: expect.stringMatching(/^earnRate: /) },
          { field: 'expiryMonths', message: 'expiryMonths: must be a whole number of months from 1 to 120' },
        ],
      });
      const single = onlyError(await server.graphql(UPDATE, { input: { code: 'MILES', expiryMonths: 121 } }, admin));
      expect(single.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'expiryMonths' });
      expect(onlyError(await server.graphql(UPDATE, { input: { code: 'NOPE', name: 'x' } }, admin)).extensions?.code).toBe('NOT_FOUND');
      expect(await currency('MILES')).toEqual({ code: 'MILES', name: 'Miles', valueInBase: '0.02', expiryMonths: 6, earnsOnOrders: false, earnRate: '0.5' });
      expect((await audit({ action: 'points-currency.update' })).edges).toEqual([]);
    });

    it('changes only the fields given, audits the old and new values, and keeps fields left out', async () => {
      const updated = ok(await server.graphql(UPDATE, { input: { code: ' miles ', name: ' Air miles ', valueInBase: '0.0250', earnRate: '0.5' } }, admin)).updatePointsCurrency;
      expect(updated).toEqual({ code: 'MILES', name: 'Air miles', valueInBase: '0.025', expiryMonths: 6, earnsOnOrders: false, earnRate: '0.5' });
      expect(await currency('MILES')).toEqual(updated);
      const [entry] = (await audit({ action: 'points-currency.update', first: 5 })).edges.map((edge: any) => ({ ...edge.node, details: JSON.parse(edge.node.details) }));
      expect(entry).toEqual({
        actorRole: 'admin',
        actor: 'admin-pc',
        action: 'points-currency.update',
        memberIds: [],
        // earnRate was given with its current value: not a change.
        details: { code: 'MILES', changes: { name: { from: 'Miles', to: 'Air miles' }, valueInBase: { from: '0.02', to: '0.025' } } },
      });
    });

    it('acts from now on: orders recorded after the change earn at the new rate with the new expiry; earned lots keep theirs', async () => {
      const member = ok(await server.graphql(ENROLL, { input: memberInput({ externalId: 'pc-member', country: 'US' }) }, admin)).enrollMember;
      const lots = () =>
        server.orm.em.fork().execute<{ currency: string; amount: string; expires_at: string }[]>(
          `select a.currency, l.amount::text as amount, to_json(l.expires_at)#>>'{}' as expires_at
           from points_lots l join points_accounts a on a.id = l.account_id where a.member_id = ? order by l.id`,
          [member.id],
        );
      ok(await server.graphql(RECORD, { input: { memberId: member.id, externalId: 'pc-order-1', amount: { amount: '100.00', currency: 'USD' }, placedAt: '2026-01-10T00:00:00.000Z' } }, storefront));
      ok(await server.graphql(UPDATE, { input: { code: 'PTS', expiryMonths: 6, earnRate: '2' } }, admin));
      ok(await server.graphql(UPDATE, { input: { code: 'MILES', earnsOnOrders: true } }, admin));
      ok(await server.graphql(RECORD, { input: { memberId: member.id, externalId: 'pc-order-2', amount: { amount: '100.00', currency: 'USD' }, placedAt: '2026-02-10T00:00:00.000Z' } }, storefront));
      expect(await lots()).toEqual([
        { currency: 'PTS', amount: '100', expires_at: '2027-01-10T00:00:00+00:00' },
        { currency: 'MILES', amount: '50', expires_at: '2026-08-10T00:00:00+00:00' },
        { currency: 'PTS', amount: '200', expires_at: '2026-08-10T00:00:00+00:00' },
      ]);
    });

    it('writes its audit entry in the transaction of the change: when the entry cannot be written, nothing changes', async () => {
      const em = server.orm.em.fork();
      await em.execute("alter table audit_log add constraint no_currency_updates check (action <> 'points-currency.update') not valid");
      try {
        const error = onlyError(await server.graphql(UPDATE, { input: { code: 'MILES', name: 'Never saved' } }, admin));
        expect(error.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      } finally {
        await em.execute('alter table audit_log drop constraint no_currency_updates');
      }
      expect((await currency('MILES')).name).toBe('Air miles');
    });
  });

  describe('auditLog filters', () => {
    let alice: { id: string };
    let bob: { id: string };

    beforeAll(async () => {
      alice = ok(await server.graphql(ENROLL, { input: memberInput({ externalId: 'audit-alice', country: 'US' }) }, admin)).enrollMember;
      bob = ok(await server.graphql(ENROLL, { input: memberInput({ externalId: 'audit-bob', country: 'US' }) }, otherAdmin)).enrollMember;
      for (const [member, as, points] of [[alice, support, 10], [bob, support, 20], [alice, otherAdmin, 30], [bob, admin, 40], [alice, support, 50]] as const) {
        ok(await server.graphql(ADJUST, { input: { memberId: member.id, points, reason: 'filters', idempotencyKey: key() } }, as));
      }
    });

    const points = (connection: any) => connection.edges.map((edge: any) => JSON.parse(edge.node.details).points);

    it('filters by action, actor, role and member in the database, newest first, combined', async () => {
      expect(points(await audit({ action: 'points.adjust' }))).toEqual([50, 40, 30, 20, 10]);
      expect(points(await audit({ action: 'points.adjust', actor: 'support-pc' }))).toEqual([50, 20, 10]);
      expect(points(await audit({ action: 'points.adjust', actorRole: 'ADMIN' }))).toEqual([40, 30]);
      expect(points(await audit({ action: 'points.adjust', memberId: alice.id, actorRole: 'support' }, support))).toEqual([50, 10]);
      expect((await audit({ actor: 'admin-other', action: 'member.enroll' })).edges.map((edge: any) => edge.node)).toEqual([
        { actorRole: 'admin', actor: 'admin-other', action: 'member.enroll', memberIds: [bob.id], details: null },
      ]);
      expect((await audit({ action: 'no.such-action' })).edges).toEqual([]);
      // Without filters it still lists every entry (the contract's arguments).
      expect((await audit({ first: 100 })).edges.length).toBeGreaterThan(10);
    });

    it('pages through a filtered trail', async () => {
      const first = await audit({ action: 'points.adjust', first: 2 });
      expect(points(first)).toEqual([50, 40]);
      expect(first.pageInfo.hasNextPage).toBe(true);
      const second = await audit({ action: 'points.adjust', first: 2, after: first.pageInfo.endCursor });
      expect(points(second)).toEqual([30, 20]);
      const third = await audit({ action: 'points.adjust', first: 2, after: second.pageInfo.endCursor });
      expect(points(third)).toEqual([10]);
      expect(third.pageInfo.hasNextPage).toBe(false);
    });

    it('rejects bad filters with every bad field', async () => {
      const error = onlyError(await server.graphql(AUDIT, { action: ' ', actorRole: 'robot', memberId: 'nope' }, admin));
      expect(error.extensions?.code).toBe('BAD_USER_INPUT');
      expect(error.extensions?.problems.map((problem: { field: string }) => problem.field)).toEqual(['memberId', 'action', 'actorRole']);
      expect(error.extensions?.problems[2].message).toBe('actorRole: must be one of admin, support, storefront, member, system');
    });
  });
});

/**
 * The hot paths' promises: one SQL statement per member-status request whatever the selection and the list size,
 * one round trip per ledger command, every command expiring due holds under its lock, and audit entries committed in
 * the same transaction as their change.
 */
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { Client } from 'pg';
import { MemberService } from '../../src/modules/members/member.service';
import { checkLedgerInvariants, NO_VIOLATIONS } from '../helpers/invariants';
import { onlyError, startTestServer, TestServer } from '../helpers/server';
import { memberInput } from '../factories/member.factory';

const admin = { role: 'admin' as const, subject: 'admin-1' };
const support = { role: 'support' as const, subject: 'agent-1' };
const storefront = { role: 'storefront' as const, subject: 'shop-1' };

const ENROLL = 'mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { id externalId } }';
const ADJUST = 'mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { id points kind } }';
const HOLD = 'mutation($input: HoldPointsInput!) { holdPoints(input: $input) { id status points } }';
const CAPTURE = 'mutation($id: ID!) { capturePoints(holdId: $id) { id status points } }';
const BALANCE = 'query($id: ID) { member(id: $id) { balance { posted pending held available } } }';
const RECORD_ORDER = 'mutation($input: RecordOrderInput!) { recordOrder(input: $input) { externalId pointsEarned status } }';
const CREATE_RULE = 'mutation($input: CreateEarningRuleInput!) { createEarningRule(input: $input) { code } }';
const CREATE_TIER = 'mutation($input: CreateTierInput!) { createTier(input: $input) { code } }';

/**
 * Counts the statements every pg client of this process sends (the test server runs in it), BEGIN/COMMIT aside, and
 * the transactions begun. `beforeSending` runs (once) before the first statement whose text matches its pattern.
 */
function statementCounter(before: () => Promise<void>) {
  const original = Client.prototype.query;
  let count = 0;
  let transactions = 0;
  const texts: string[] = [];
  let interjection: { pattern: RegExp; work: () => Promise<unknown> } | undefined;
  Client.prototype.query = function (this: Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: string };
    const text = typeof config === 'string' ? config : config?.text ?? '';
    if (/^\s*begin\b/i.test(text)) transactions += 1;
    if (!/^\s*(begin|commit|rollback|savepoint|release)\b/i.test(text)) {
      count += 1;
      texts.push(text.slice(0, 80));
    }
    const send = () => (original as (...a: unknown[]) => unknown).apply(this, args);
    if (interjection && interjection.pattern.test(text)) {
      const { work } = interjection;
      interjection = undefined;
      return work().then(send);
    }
    return send();
  } as typeof Client.prototype.query;
  return {
    /** Runs `work` and returns how many statements it sent and how many transactions it began. */
    async during(work: () => Promise<unknown>): Promise<{ count: number; transactions: number; texts: string[] }> {
      await before();
      count = 0;
      transactions = 0;
      texts.length = 0;
      await work();
      return { count, transactions, texts: [...texts] };
    },
    /** Runs `work` to its end just before the next statement matching `pattern` is sent (its statements are counted too). */
    beforeSending(pattern: RegExp, work: () => Promise<unknown>) {
      interjection = { pattern, work };
    },
    restore() {
      Client.prototype.query = original;
    },
  };
}

describe('hot paths', () => {
  let server: TestServer;
  let counter: ReturnType<typeof statementCounter>;
  const ok = <T = any>(response: { body: { data?: any; errors?: unknown } }): T => {
    if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
    return response.body.data;
  };
  const enrol = async () => ok(await server.graphql(ENROLL, { input: memberInput() }, admin)).enrollMember as { id: string; externalId: string };
  let keys = 0;
  const adjust = (memberId: string, points: number, as: typeof admin | typeof support = admin) =>
    server.graphql(ADJUST, { input: { memberId, points, reason: 'test', idempotencyKey: `adjust-${++keys}` } }, as);

  beforeAll(async () => {
    server = await startTestServer();
    // Activity marks of earlier requests are written in batches a moment later: not the counted request's statements.
    counter = statementCounter(() => server.app.activity.drain());
  });
  afterAll(async () => {
    counter.restore();
    expect(await checkLedgerInvariants(server.orm)).toEqual(NO_VIOLATIONS);
    await server.stop();
  });

  describe('member status', () => {
    const SELECTIONS = [
      '{ me { id } }',
      '{ me { id tier { code } balance { posted held available } supportPriority } }',
      `{ me { id referralCode tier { code name } tierProgress { next { code } qualifyingSpend { amount currency } remainingToNext { amount } retainUntil }
              balance { posted pending held available expiringSoon nextExpiry } balances { currency posted } perks { code name source } supportPriority
              ltv { tier churnRisk probabilityAlive } } }`,
      'fragment S on Member { tier { code } balances { currency available } } { me { id ...S perks { code } } }',
    ];

    it('costs one SQL statement per request, whatever the selection', async () => {
      const member = await enrol();
      ok(await adjust(member.id, 250));
      const token = await server.token('member', member.externalId);
      ok(await server.graphql('{ me { id } }', {}, token)); // the day's activity mark is written once, off the request
      for (const query of SELECTIONS) {
        let answer: any;
        const { count, texts } = await counter.during(async () => {
          answer = ok(await server.graphql(query, {}, token));
        });
        expect({ query, count, texts: count === 1 ? [] : texts }).toEqual({ query, count: 1, texts: [] });
        expect(answer.me.id).toBe(member.id);
      }
    });

    it('answers status fields for a page of members with as many statements as for one', async () => {
      const members = await Promise.all(Array.from({ length: 12 }, () => enrol()));
      const query = (ids: string[]) =>
        `{ ${ids.map((id, index) => `m${index}: member(id: "${id}") { id tier { code } balance { available } perks { code } supportPriority ltv { tier } }`).join(' ')} }`;
      const one = await counter.during(async () => ok(await server.graphql(query([members[0].id]), {}, admin)));
      const many = await counter.during(async () => ok(await server.graphql(query(members.map((member) => member.id)), {}, admin)));
      // One status statement plus the staff read's audit entries (one insert per look-up, as before).
      expect(one.count).toBe(2);
      const statusStatements = many.texts.filter((text) => /^select m\.\*/.test(text)).length;
      expect(statusStatements).toBe(1);
    });
  });

  describe('member status of concurrent requests', () => {
    it('answers each of 30 members asking at once with its own status, never another member\'s', async () => {
      const members = await Promise.all(Array.from({ length: 30 }, () => enrol()));
      for (const [index, member] of members.entries()) ok(await adjust(member.id, 10 + index));
      const tokens = await Promise.all(members.map((member) => server.token('member', member.externalId)));
      await Promise.all(tokens.map(async (token) => ok(await server.graphql('{ me { id } }', {}, token)))); // activity marks
      const query = '{ me { id externalId balance { posted } tier { code } } }';
      const { count } = await counter.during(async () => {
        const answers = await Promise.all(tokens.map(async (token) => ok(await server.graphql(query, {}, token)).me));
        expect(answers).toEqual(members.map((member, index) => ({ id: member.id, externalId: member.externalId, balance: { posted: 10 + index }, tier: { code: 'BRONZE' } })));
      });
      // Requests that arrive in the same turn of the event loop share a statement: never more than one each.
      expect(count).toBeLessThanOrEqual(30);
    });
  });

  describe('services built once', () => {
    /** A request as the HTTP routes see it, with only an Authorization header. */
    const requestWith = (authorization?: string) => {
      const request = new IncomingMessage(new Socket());
      if (authorization) request.headers.authorization = authorization;
      return request;
    };

    it('gives every request the same service objects, and each its own scope and loaders', async () => {
      const services = server.app.services;
      const first = await server.app.contextOf(requestWith(`Bearer ${await server.token('admin')}`), 'request-1');
      const second = await server.app.contextOf(requestWith(), 'request-2', '192.0.2.1');
      const names = Object.keys(services) as (keyof typeof services)[];
      expect(names.length).toBeGreaterThanOrEqual(20);
      for (const name of names) {
        expect({ name, same: first[name] === services[name] && second[name] === services[name] }).toEqual({ name, same: true });
      }
      expect([first.requestId, first.principal?.role, second.requestId, second.principal, second.clientIp]).toEqual(['request-1', 'admin', 'request-2', undefined, '192.0.2.1']);
      expect(first.memberStatus).not.toBe(second.memberStatus);
      expect(first.tierLoaders).not.toBe(second.tierLoaders);
      expect(first.em).not.toBe(second.em);
    });

    it('calls the one member service over HTTP, with each request scope as its first argument', async () => {
      const member = await enrol();
      const find = jest.spyOn(MemberService.prototype, 'find');
      try {
        ok(await server.graphql('query($id: ID) { member(id: $id) { id } }', { id: member.id }, admin));
        ok(await server.graphql('query($id: ID) { member(id: $id) { id } }', { id: member.id }, support));
        expect(find.mock.contexts).toHaveLength(2);
        expect(find.mock.contexts[0]).toBe(server.app.services.members);
        expect(find.mock.contexts[1]).toBe(server.app.services.members);
        const [[firstScope], [secondScope]] = find.mock.calls;
        expect([firstScope.principal?.subject, secondScope.principal?.subject]).toEqual([admin.subject, support.subject]);
        expect(firstScope.requestId).not.toBe(secondScope.requestId);
      } finally {
        find.mockRestore();
      }
    });

    it('forks no EntityManager for a status query (and one for a ledger command)', async () => {
      const member = await enrol();
      ok(await adjust(member.id, 40));
      const token = await server.token('member', member.externalId);
      ok(await server.graphql('{ me { id } }', {}, token)); // the day's activity mark is written once, off the request
      await server.app.activity.drain();
      const fork = jest.spyOn(server.orm.em, 'fork');
      try {
        const answer = ok(await server.graphql('{ me { id tier { code } balance { posted held available } perks { code } supportPriority } }', {}, token));
        expect(answer.me).toMatchObject({ id: member.id, balance: { posted: 40, held: 0, available: 40 } });
        expect(fork).toHaveBeenCalledTimes(0);
        ok(await adjust(member.id, 5));
        expect(fork).toHaveBeenCalledTimes(1);
      } finally {
        fork.mockRestore();
      }
    });
  });

  describe('automatic persisted queries', () => {
    it('answers a known hash without the query text, and asks for the text once for an unknown one', async () => {
      const member = await enrol();
      const token = await server.token('member', member.externalId);
      const query = '{ me { id tier { code } } }';
      const { createHash } = await import('node:crypto');
      const persistedQuery = { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') };
      const post = async (body: Record<string, unknown>) => {
        const response = await fetch(`${server.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify(body),
        });
        return (await response.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
      };
      expect((await post({ extensions: { persistedQuery } })).errors?.[0].extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
      expect((await post({ query, extensions: { persistedQuery } })).data).toEqual({ me: { id: member.id, tier: { code: 'BRONZE' } } });
      expect((await post({ extensions: { persistedQuery } })).data).toEqual({ me: { id: member.id, tier: { code: 'BRONZE' } } });
    });
  });

  describe('ledger commands', () => {
    it('sends one statement for a hold and one for its capture', async () => {
      const member = await enrol();
      ok(await adjust(member.id, 1000));
      let holdId = '';
      const hold = await counter.during(async () => {
        holdId = ok(await server.graphql(HOLD, { input: { memberId: member.id, points: 300, orderRef: 'cart-1', idempotencyKey: 'hot-hold-1' } }, storefront)).holdPoints.id;
      });
      const capture = await counter.during(async () => ok(await server.graphql(CAPTURE, { id: holdId }, storefront)));
      expect([hold.count, capture.count]).toEqual([1, 1]);
      expect(ok(await server.graphql(BALANCE, { id: member.id }, admin)).member.balance).toEqual({ posted: 700, pending: 0, held: 0, available: 700 });
    });

    it('records an order in two statements and no transaction: one read of what it earns, one checked write', async () => {
      const member = await enrol();
      const first = await counter.during(async () => {
        const order = ok(await server.graphql(RECORD_ORDER, { input: { memberId: member.id, externalId: 'hot-order-1', amount: { amount: '123.45', currency: 'USD' } } }, storefront));
        expect(order.recordOrder).toEqual({ externalId: 'hot-order-1', pointsEarned: 123, status: 'PAID' });
      });
      expect(first.texts.map((text) => text.match(/^\s*select \* from (\w+)|^\s*(select)/)?.slice(1).find(Boolean))).toEqual(['select', 'order_record_checked']);
      expect(first.transactions).toBe(0);
      // A replay reads the order instead and changes nothing.
      const replay = await counter.during(async () => {
        const order = ok(await server.graphql(RECORD_ORDER, { input: { memberId: member.id, externalId: 'hot-order-1', amount: { amount: '123.45', currency: 'USD' } } }, storefront));
        expect(order.recordOrder.pointsEarned).toBe(123);
      });
      expect(replay.count).toBe(3);
      expect(ok(await server.graphql(BALANCE, { id: member.id }, admin)).member.balance).toEqual({ posted: 0, pending: 123, held: 0, available: 0 });
    });

    it('reads again when another order of the member is written between its read and its write', async () => {
      // A first-order bonus in a market of its own (the other tests' members are elsewhere).
      ok(await server.graphql(CREATE_RULE, { input: { code: 'HOT-WELCOME', name: 'first order', firstOrderOnly: true, bonusPoints: 50, markets: ['IS'] } }, admin));
      const member = ok(await server.graphql(ENROLL, { input: memberInput({ country: 'IS' }) }, admin)).enrollMember as { id: string };
      const record = (externalId: string, placedAt?: string) =>
        server.graphql(RECORD_ORDER, { input: { memberId: member.id, externalId, placedAt, amount: { amount: '10.00', currency: 'USD' } } }, storefront);
      // Order A has read (no orders yet: a first order) when order B of the same member, placed an hour before A, is
      // recorded: B is the first order and earns the bonus.
      let other: { recordOrder: { pointsEarned: number } } | undefined;
      counter.beforeSending(/order_record_checked/, async () => (other = ok(await record('hot-race-b', new Date(Date.now() - 3_600_000).toISOString()))));
      const raced = await counter.during(async () => expect(ok(await record('hot-race-a')).recordOrder.pointsEarned).toBe(10));
      expect(other!.recordOrder.pointsEarned).toBe(60);
      // A's write found the read stale and A read again: it is not a first order, so no second bonus.
      const sent = raced.texts.map((text) => text.match(/^\s*select \* from (\w+)|^\s*(select)/)?.slice(1).find(Boolean));
      expect(sent.filter((name) => name === 'order_record_checked')).toHaveLength(3); // A's stale write, B's, A's second
      expect(ok(await server.graphql(BALANCE, { id: member.id }, admin)).member.balance).toEqual({ posted: 0, pending: 70, held: 0, available: 0 });
    });

    it('lets a support debit spend points whose hold expired before any sweep ran', async () => {
      const member = await enrol();
      ok(await adjust(member.id, 1000));
      const hold = ok(await server.graphql(HOLD, { input: { memberId: member.id, points: 900, orderRef: 'cart-2', idempotencyKey: 'hot-hold-2' } }, storefront)).holdPoints;
      // The hold's time passes; no job runs (the clock is the database row, not a wait).
      await server.orm.em.fork().execute("update points_holds set expires_at = now() - interval '1 second' where id = ?", [hold.id]);
      expect(ok(await server.graphql(BALANCE, { id: member.id }, admin)).member.balance).toEqual({ posted: 1000, pending: 0, held: 0, available: 1000 });
      const debit = ok(await adjust(member.id, -500, support)).adjustPoints;
      expect(debit).toMatchObject({ points: -500, kind: 'ADJUSTMENT' });
      expect(ok(await server.graphql(BALANCE, { id: member.id }, admin)).member.balance).toEqual({ posted: 500, pending: 0, held: 0, available: 500 });
      const [row] = await server.orm.em.fork().execute<{ status: string }[]>('select status from points_holds where id = ?', [hold.id]);
      expect(row.status).toBe('EXPIRED');
      // The stored held balance agrees with the open holds (the invariant checker runs after all tests too).
      const [account] = await server.orm.em.fork().execute<{ held: string }[]>("select held from points_accounts where member_id = ? and currency = 'PTS'", [member.id]);
      expect(account.held).toBe('0');
    });
  });

  describe('audit entries commit with their change', () => {
    /** Makes the database refuse audit rows of `action` for the duration of `work`. */
    async function refusingAudit(action: string, work: () => Promise<void>): Promise<void> {
      const em = server.orm.em.fork();
      await em.execute(`alter table audit_log add constraint test_refuse_action check (action <> '${action}') not valid`);
      try {
        await work();
      } finally {
        await em.execute('alter table audit_log drop constraint test_refuse_action');
      }
    }

    it('an adjustment whose audit entry cannot be written does not happen', async () => {
      const member = await enrol();
      ok(await adjust(member.id, 100));
      await refusingAudit('points.adjust', async () => {
        const response = await server.graphql(ADJUST, { input: { memberId: member.id, points: 40, reason: 'refused audit', idempotencyKey: 'audit-refused-1' } }, support);
        expect(onlyError(response).extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      });
      expect(ok(await server.graphql(BALANCE, { id: member.id }, admin)).member.balance.posted).toBe(100);
      const [{ transfers }] = await server.orm.em.fork().execute<{ transfers: string }[]>("select count(*) as transfers from points_transfers where idempotency_key = 'audit-refused-1'");
      expect(transfers).toBe('0');
      // Once the audit entry can be written, the same key adjusts, with exactly one entry.
      ok(await server.graphql(ADJUST, { input: { memberId: member.id, points: 40, reason: 'refused audit', idempotencyKey: 'audit-refused-1' } }, support));
      const rows = await server.orm.em.fork().execute<{ actor: string; action: string }[]>(
        "select actor, action from audit_log where member_id = ? and action = 'points.adjust' and details->>'idempotencyKey' = 'audit-refused-1'",
        [member.id],
      );
      expect(rows).toEqual([{ actor: 'agent-1', action: 'points.adjust' }]);
    });

    it('a tier whose audit entry cannot be written is not created', async () => {
      const input = { code: 'AUDITED', name: 'Audited', rank: 900, threshold: { amount: '900000.00', currency: 'USD' } };
      await refusingAudit('tier.create', async () => {
        expect(onlyError(await server.graphql(CREATE_TIER, { input }, admin)).extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      });
      const [{ tiers }] = await server.orm.em.fork().execute<{ tiers: string }[]>("select count(*) as tiers from tiers where code = 'AUDITED'");
      expect(tiers).toBe('0');
      expect(ok(await server.graphql(CREATE_TIER, { input }, admin)).createTier).toEqual({ code: 'AUDITED' });
      const [{ entries }] = await server.orm.em.fork().execute<{ entries: string }[]>("select count(*) as entries from audit_log where action = 'tier.create' and details->>'code' = 'AUDITED'");
      expect(entries).toBe('1');
    });
  });
});

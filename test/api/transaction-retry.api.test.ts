import { Client } from 'pg';
import { startTestServer, TestServer } from '../helpers/server';
import { checkLedgerInvariants, NO_VIOLATIONS } from '../helpers/invariants';
import { memberInput } from '../factories/member.factory';

const admin = { role: 'admin' as const, subject: 'retry-admin' };
const ENROL = 'mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { id } }';
const ADJUST = 'mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { points reason } }';
const BALANCE = 'query($id: ID) { member(id: $id) { balance { posted } } }';
/** Advisory lock keys (classid, objid) only this test takes. */
const LOCK_CLASS = 4242;
/** Advisory locks are per database, but pg_locks lists the whole cluster's (other test files run beside this one). */
const THIS_DATABASE = '(select oid from pg_database where datname = current_database())';

/**
 * Real deadlocks on PostgreSQL: a trigger makes adjustPoints' transaction take advisory lock 1 while the test's own
 * session holds lock 2; the test asks for lock 1, and the trigger then asks for lock 2, closing the cycle. The
 * mutation's session waits last and checks first (its deadlock_timeout is 50 ms, the test's 60 s), so PostgreSQL
 * aborts the mutation's transaction with 40P01 each time the test plays along. PGlite has one connection and cannot
 * deadlock.
 */
const describeOnPostgres = process.env.DATABASE_URL ? describe : describe.skip;

describeOnPostgres('a mutation whose transaction is chosen as a deadlock victim', () => {
  let server: TestServer;
  let blocker: Client;
  let memberId: string;

  beforeAll(async () => {
    server = await startTestServer({ LOG_LEVEL: 'silent' });
    memberId = (await server.graphql(ENROL, { input: memberInput({ externalId: 'retry-1' }) }, admin)).body.data.enrollMember.id;
    blocker = new Client({ connectionString: server.database.url });
    await blocker.connect();
    await blocker.query(`set deadlock_timeout = '60s'`);
    await blocker.query(`
      create function test_deadlock_on_adjust() returns trigger language plpgsql as $$
      begin
        if new.idempotency_key like 'deadlock-%' then
          perform set_config('deadlock_timeout', '50ms', true);
          perform pg_advisory_xact_lock(${LOCK_CLASS}, 1);
          -- While the test holds lock 2, close the cycle only once it waits for lock 1: this session then starts
          -- waiting last, and its deadlock check (the first to run) finds the cycle, however loaded the machine.
          while exists (select 1 from pg_locks where locktype = 'advisory' and database = ${THIS_DATABASE} and classid = ${LOCK_CLASS} and objid = 2 and granted and pid <> pg_backend_pid())
            and not exists (select 1 from pg_locks where locktype = 'advisory' and database = ${THIS_DATABASE} and classid = ${LOCK_CLASS} and objid = 1 and not granted) loop
            perform pg_sleep(0.005);
          end loop;
          perform pg_advisory_xact_lock(${LOCK_CLASS}, 2);
        end if;
        return new;
      end $$`);
    await blocker.query('create trigger test_deadlock_on_adjust before insert on points_transfers for each row execute function test_deadlock_on_adjust()');
  });
  afterAll(async () => {
    await blocker?.end();
    await server?.stop();
  });

  /** Holds lock 2, sends the request, makes its first `rounds` runs deadlock one after the other, lets go; its answer. */
  async function deadlocked<T>(rounds: number, request: () => Promise<T>): Promise<T> {
    await blocker.query('select pg_advisory_lock($1, 2)', [LOCK_CLASS]);
    let answer: Promise<T>;
    try {
      answer = request();
      for (let round = 0; round < rounds; round += 1) {
        // Wait until the mutation holds lock 1 ...
        for (;;) {
          const { rows } = await blocker.query(
            `select count(*)::int as holders from pg_locks where locktype = $1 and database = ${THIS_DATABASE} and classid = $2 and objid = 1 and granted and pid <> pg_backend_pid()`,
            ['advisory', LOCK_CLASS],
          );
          if (rows[0].holders > 0) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        // ... then wait for it; the mutation, asking for lock 2, closes the cycle and is aborted (40P01); lock 1 becomes ours.
        await blocker.query('select pg_advisory_lock($1, 1)', [LOCK_CLASS]);
        await blocker.query('select pg_advisory_unlock($1, 1)', [LOCK_CLASS]);
      }
    } finally {
      await blocker.query('select pg_advisory_unlock($1, 2)', [LOCK_CLASS]);
    }
    return answer;
  }

  const retries = async () => {
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    return Number(/perkgraph_transaction_retries_total\{mutation="adjustPoints"\} (\d+)/.exec(metrics)?.[1] ?? 0);
  };
  const posted = async () => (await server.graphql(BALANCE, { id: memberId }, admin)).body.data.member.balance.posted;

  it('runs the mutation again after a deadlock and succeeds, moving the points once', async () => {
    const input = { memberId, points: 40, reason: 'goodwill', idempotencyKey: 'deadlock-once' };
    const response = await deadlocked(1, () => server.graphql(ADJUST, { input }, admin));
    expect([response.status, response.body]).toEqual([200, { data: { adjustPoints: { points: 40, reason: 'goodwill' } } }]);
    expect(await retries()).toBe(1);
    expect(await posted()).toBe(40);
    expect(await checkLedgerInvariants(server.orm)).toEqual(NO_VIOLATIONS);
  });

  it('answers 503 SERVICE_UNAVAILABLE with Retry-After once three runs in a row deadlocked, with nothing moved; the client retry by key then succeeds once', async () => {
    const input = { memberId, points: 7, reason: 'goodwill', idempotencyKey: 'deadlock-thrice' };
    const response = await deadlocked(3, () => server.graphql(ADJUST, { input }, admin));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(response.body).toEqual({
      data: null,
      errors: [{ message: 'the database is unavailable; retry in 2 s', locations: [{ line: 1, column: 40 }], path: ['adjustPoints'], extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds: 2 } }],
    });
    expect(await retries()).toBe(1 + 2);
    expect(await posted()).toBe(40);

    const again = await server.graphql(ADJUST, { input }, admin);
    expect([again.status, again.body]).toEqual([200, { data: { adjustPoints: { points: 7, reason: 'goodwill' } } }]);
    const replay = await server.graphql(ADJUST, { input }, admin);
    expect(replay.body).toEqual(again.body);
    expect(await posted()).toBe(47);
    expect(await checkLedgerInvariants(server.orm)).toEqual(NO_VIOLATIONS);
  });
});

import { runLedgerJobs } from '../../src/jobs/ledger-jobs';
import { memberInput } from '../factories/member.factory';
import { checkLedgerInvariants, NO_VIOLATIONS } from '../helpers/invariants';
import { ServerProcess, ServerProcesses, startServerProcesses } from '../helpers/processes';
import type { GraphQLResponse } from '../helpers/server';

/**
 * The points ledger under concurrent load from two real server processes (src/main.ts) on one database:
 * DESIGN §3 says it is correct "with any number of API processes against one database". Every request of a
 * batch is sent at once (Promise.all), alternating between the two processes. After each scenario the four
 * ledger invariants must hold and every balance must be exactly what the successful operations imply.
 */
jest.setTimeout(120_000);

const admin = { role: 'admin' as const, subject: 'admin-concurrency' };
const storefront = { role: 'storefront' as const, subject: 'shop-concurrency' };
const DAY = 24 * 60 * 60 * 1000;

const ENROLL = 'mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { id } }';
const BALANCE = 'query($id: ID, $currency: String) { member(id: $id) { balance(currency: $currency) { posted pending held available } } }';
const ADJUST = 'mutation($input: AdjustPointsInput!) { adjustPoints(input: $input) { id points kind } }';
const HOLD = 'mutation($input: HoldPointsInput!) { holdPoints(input: $input) { id points status } }';
const CAPTURE = 'mutation($id: ID!) { capturePoints(holdId: $id) { id points status } }';
const RELEASE = 'mutation($id: ID!) { releasePoints(holdId: $id) { id points status } }';
const RECORD = 'mutation($input: RecordOrderInput!) { recordOrder(input: $input) { id externalId pointsEarned amount { amount } status } }';
const REFUND = 'mutation($input: RefundOrderInput!) { refundOrder(input: $input) { status refunded { amount } } }';
const CREATE_CURRENCY = 'mutation($input: CreatePointsCurrencyInput!) { createPointsCurrency(input: $input) { code } }';

interface Balance {
  posted: number;
  pending: number;
  held: number;
  available: number;
}

describe('the points ledger across two server processes', () => {
  let cluster: ServerProcesses;

  beforeAll(async () => {
    cluster = await startServerProcesses(2);
  });
  afterAll(async () => {
    // Whatever failed above (the bug tests stop at their first failed assertion), the ledger stays consistent.
    try {
      if (cluster) expect(await checkLedgerInvariants(cluster.orm)).toEqual(NO_VIOLATIONS);
    } finally {
      await cluster?.stop();
    }
  });

  // ---- small helpers ----------------------------------------------------------------------------------

  /** The process that serves the i-th request of a batch: they alternate. */
  const via = (i: number): ServerProcess => cluster.processes[i % cluster.processes.length];
  const range = (count: number) => Array.from({ length: count }, (_, i) => i);
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  let keys = 0;
  /** A key no other request in this file uses (idempotency keys and external ids are unique database-wide). */
  const uniqueKey = (prefix: string) => `${prefix}-${process.pid}-${(keys += 1)}`;

  /** The data of a response that must have succeeded. */
  function ok<T = any>(response: GraphQLResponse): T {
    if (response.body.errors) throw new Error(`expected success, got ${JSON.stringify(response.body.errors)}`);
    return response.body.data;
  }

  /** The error code of a failed response, or null when it succeeded; a response with several errors fails the test. */
  function errorCode(response: GraphQLResponse): string | null {
    const errors = response.body.errors;
    if (!errors) return null;
    if (errors.length !== 1) throw new Error(`expected one error, got ${JSON.stringify(response.body)}`);
    return errors[0].extensions?.code ?? 'NO_CODE';
  }

  /** What a mutation ended in: its result's `status` field when it succeeded, its error code when it failed. */
  function outcome(response: GraphQLResponse, field: string): string {
    return errorCode(response) ?? response.body.data[field].status;
  }

  /** How many times each value occurs, as an object for an exact toEqual. */
  function tally(values: string[]): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
    return counts;
  }

  async function enrol(): Promise<string> {
    return ok(await via(0).graphql(ENROLL, { input: memberInput() }, admin)).enrollMember.id;
  }

  async function balance(memberId: string, currency = 'PTS'): Promise<Balance> {
    return ok(await via(1).graphql(BALANCE, { id: memberId, currency }, admin)).member.balance;
  }

  /** Posted points for a member, by hand as an admin (support has limits, admin has none). */
  async function grant(memberId: string, points: number): Promise<void> {
    ok(await via(0).graphql(ADJUST, { input: { memberId, points, reason: 'test grant', idempotencyKey: uniqueKey('grant') } }, admin));
  }

  function hold(i: number, input: { memberId: string; points: number; idempotencyKey?: string; orderRef?: string; ttlSeconds?: number }) {
    const { idempotencyKey = uniqueKey('hold'), orderRef = `cart-${idempotencyKey}`, ...rest } = input;
    return via(i).graphql(HOLD, { input: { ...rest, idempotencyKey, orderRef } }, storefront);
  }

  async function holdOk(memberId: string, points: number, ttlSeconds?: number): Promise<{ id: string; points: number }> {
    return ok(await hold(0, { memberId, points, ttlSeconds })).holdPoints;
  }

  const capture = (i: number, holdId: string) => via(i).graphql(CAPTURE, { id: holdId }, storefront);
  const release = (i: number, holdId: string) => via(i).graphql(RELEASE, { id: holdId }, storefront);

  function adjust(i: number, input: { memberId: string; points: number; idempotencyKey?: string; reason?: string; currency?: string }) {
    const { idempotencyKey = uniqueKey('adjust'), reason = 'concurrency test', ...rest } = input;
    return via(i).graphql(ADJUST, { input: { ...rest, idempotencyKey, reason } }, admin);
  }

  function recordOrder(i: number, input: { memberId: string; externalId: string; amount: string; placedAt?: string }) {
    const { amount, ...rest } = input;
    return via(i).graphql(RECORD, { input: { ...rest, amount: { amount, currency: 'USD' } } }, storefront);
  }

  function refundOrder(i: number, input: { orderExternalId: string; refundId: string; amount: string }) {
    const { amount, ...rest } = input;
    return via(i).graphql(REFUND, { input: { ...rest, amount: { amount, currency: 'USD' } } }, storefront);
  }

  /** Hold statuses as stored (the API shows a HELD hold past expiry as EXPIRED; the database is the truth here). */
  async function storedHoldStatuses(holdIds: string[]): Promise<Record<string, string>> {
    const rows = await cluster.orm.em.fork().execute<{ id: string; status: string }[]>('select id, status from points_holds where id in (?)', [holdIds]);
    return Object.fromEntries(rows.map((row) => [row.id, row.status]));
  }

  async function expectLedgerInvariants(): Promise<void> {
    expect(await checkLedgerInvariants(cluster.orm)).toEqual(NO_VIOLATIONS);
  }

  // ---- a. many holds on one balance -------------------------------------------------------------------

  // 300 holds of 100 points against exactly 10000 available, from two processes at once: the balance can pay
  // for exactly 100 of them, so exactly 100 are HELD and 200 fail with INSUFFICIENT_POINTS; nothing is
  // over-reserved (available ends at 0, never below).
  it('300 concurrent holds on two processes: exactly the balance is reserved, never more', async () => {
    const memberId = await enrol();
    await grant(memberId, 10_000);

    const responses = await Promise.all(range(300).map((i) => hold(i, { memberId, points: 100 })));

    expect(tally(responses.map((response) => outcome(response, 'holdPoints')))).toEqual({ HELD: 100, INSUFFICIENT_POINTS: 200 });
    const heldIds = responses.filter((response) => !errorCode(response)).map((response) => response.body.data.holdPoints.id);
    expect(new Set(heldIds).size).toBe(100);
    expect(await balance(memberId)).toEqual({ posted: 10_000, pending: 0, held: 10_000, available: 0 });
    await expectLedgerInvariants();
  });

  // ---- b. replays under concurrency --------------------------------------------------------------------

  // The same idempotency key (or order externalId) sent many times at once is one operation: every request
  // answers with the same result and the points move once. The same key with other input is
  // IDEMPOTENCY_CONFLICT, and nothing moves.
  it('concurrent replays of holdPoints with one idempotency key make one hold', async () => {
    const memberId = await enrol();
    await grant(memberId, 1_000);
    const input = { memberId, points: 300, idempotencyKey: uniqueKey('same-hold'), orderRef: 'cart-same' };

    const replays = await Promise.all(range(50).map((i) => hold(i, input)));

    const holds = replays.map((response) => ok(response).holdPoints);
    expect(new Set(holds.map((held: { id: string }) => held.id)).size).toBe(1);
    expect(holds[0]).toMatchObject({ points: 300, status: 'HELD' });
    expect(await balance(memberId)).toEqual({ posted: 1_000, pending: 0, held: 300, available: 700 });

    const conflicts = await Promise.all(range(10).map((i) => hold(i, { ...input, points: 301 })));
    expect(conflicts.map(errorCode)).toEqual(range(10).map(() => 'IDEMPOTENCY_CONFLICT'));
    expect(await balance(memberId)).toEqual({ posted: 1_000, pending: 0, held: 300, available: 700 });
    await expectLedgerInvariants();
  });

  it('concurrent replays of recordOrder with one externalId record one order and earn once', async () => {
    const memberId = await enrol();
    const input = { memberId, externalId: uniqueKey('same-order'), amount: '250.75' };

    const replays = await Promise.all(range(40).map((i) => recordOrder(i, input)));

    const orders = replays.map((response) => ok(response).recordOrder);
    expect(new Set(orders.map((order: { id: string }) => order.id)).size).toBe(1);
    expect(orders[0]).toMatchObject({ externalId: input.externalId, pointsEarned: 250, status: 'PAID' });
    expect(await balance(memberId)).toEqual({ posted: 0, pending: 250, held: 0, available: 0 });

    const conflicts = await Promise.all(range(10).map((i) => recordOrder(i, { ...input, amount: '250.76' })));
    expect(conflicts.map(errorCode)).toEqual(range(10).map(() => 'IDEMPOTENCY_CONFLICT'));
    expect(await balance(memberId)).toEqual({ posted: 0, pending: 250, held: 0, available: 0 });
    await expectLedgerInvariants();
  });

  // 24 orders of one member at once on two processes: each reads without a lock and writes only if no other order of
  // the member came in between (otherwise it reads again). The default ladder's SILVER needs 300 USD and earns 1.25x;
  // at 40 USD an order, the 8th to be recorded crosses it and already earns at 1.25x, whichever order that is.
  it('concurrent orders of one member on two processes: each earns at the tier its place in line gives it, one upgrade', async () => {
    const memberId = await enrol();
    const responses = await Promise.all(range(24).map((i) => recordOrder(i, { memberId, externalId: uniqueKey('one-member-order'), amount: '40.00' })));
    const earned = responses.map((response) => String(ok(response).recordOrder.pointsEarned));
    expect(tally(earned)).toEqual({ '40': 7, '50': 17 });
    expect(await balance(memberId)).toEqual({ posted: 0, pending: 7 * 40 + 17 * 50, held: 0, available: 0 });
    const changes = await cluster.orm.em.fork().execute<{ from_tier: string; to_tier: string }[]>('select from_tier, to_tier from member_tier_changes where member_id = ?', [memberId]);
    expect(changes).toEqual([{ from_tier: 'BRONZE', to_tier: 'SILVER' }]);
    await expectLedgerInvariants();
  });

  it('concurrent replays of adjustPoints with one idempotency key make one transfer', async () => {
    const memberId = await enrol();
    const input = { memberId, points: 700, idempotencyKey: uniqueKey('same-adjust'), reason: 'goodwill' };

    const replays = await Promise.all(range(40).map((i) => adjust(i, input)));

    const entries = replays.map((response) => ok(response).adjustPoints);
    expect(new Set(entries.map((entry: { id: string }) => entry.id)).size).toBe(1);
    expect(entries[0]).toMatchObject({ points: 700, kind: 'ADJUSTMENT' });
    expect(await balance(memberId)).toEqual({ posted: 700, pending: 0, held: 0, available: 700 });

    const conflicts = await Promise.all(range(10).map((i) => adjust(i, { ...input, points: 701 })));
    expect(conflicts.map(errorCode)).toEqual(range(10).map(() => 'IDEMPOTENCY_CONFLICT'));
    expect(await balance(memberId)).toEqual({ posted: 700, pending: 0, held: 0, available: 700 });
    await expectLedgerInvariants();
  });

  // ---- c. races on one hold ----------------------------------------------------------------------------

  // Two captures and a release of the same hold at once, on both processes: exactly one of capture and
  // release wins. When the capture wins, the other capture answers CAPTURED too (capturing a captured hold
  // is a replay) and the release fails with HOLD_NOT_ACTIVE; when the release wins, both captures fail with
  // HOLD_NOT_ACTIVE. Points are spent exactly for the captured holds.
  it('capture and release racing on the same hold: exactly one wins', async () => {
    const memberId = await enrol();
    await grant(memberId, 5_000);
    const holds = await Promise.all(range(20).map(() => holdOk(memberId, 200)));

    const races = await Promise.all(
      holds.map((held, i) => Promise.all([capture(0, held.id), capture(1, held.id), release(i, held.id)])),
    );

    const captured: string[] = [];
    for (const [i, [first, second, released]] of races.entries()) {
      const outcomes = [outcome(first, 'capturePoints'), outcome(second, 'capturePoints'), outcome(released, 'releasePoints')];
      const captureWon = outcomes.includes('CAPTURED');
      expect(outcomes).toEqual(captureWon ? ['CAPTURED', 'CAPTURED', 'HOLD_NOT_ACTIVE'] : ['HOLD_NOT_ACTIVE', 'HOLD_NOT_ACTIVE', 'RELEASED']);
      const loser = captureWon ? released : first;
      expect(loser.body.errors![0].extensions).toEqual({ code: 'HOLD_NOT_ACTIVE', status: captureWon ? 'CAPTURED' : 'RELEASED' });
      if (captureWon) captured.push(holds[i].id);
    }
    const statuses = await storedHoldStatuses(holds.map((held) => held.id));
    expect(statuses).toEqual(Object.fromEntries(holds.map((held) => [held.id, captured.includes(held.id) ? 'CAPTURED' : 'RELEASED'])));
    const posted = 5_000 - 200 * captured.length;
    expect(await balance(memberId)).toEqual({ posted, pending: 0, held: 0, available: posted });
    await expectLedgerInvariants();
  });

  // Holds with a one-second TTL, raced after they expired: captures and releases on both processes against
  // the expiry job in this process. An expired hold never counts (DESIGN §3), so every capture and release
  // fails with HOLD_NOT_ACTIVE (status EXPIRED), every hold ends EXPIRED, and every point is back.
  it('capture racing the expiry job after the TTL: the hold expires, the capture fails, points come back', async () => {
    const memberId = await enrol();
    await grant(memberId, 2_000);
    const holds = await Promise.all(range(10).map(() => holdOk(memberId, 150, 1)));
    expect(await storedHoldStatuses(holds.map((held) => held.id))).toEqual(Object.fromEntries(holds.map((held) => [held.id, 'HELD'])));
    await sleep(1_100); // past every hold's expiry (each expires 1 s after it was made, and all were made before this)

    const [jobs, ...attempts] = await Promise.all([
      runLedgerJobs(cluster.orm),
      ...holds.flatMap((held, i) => [capture(i, held.id), release(i + 1, held.id)]),
    ]);

    for (const attempt of attempts) expect(attempt.body.errors?.map((error) => error.extensions)).toEqual([{ code: 'HOLD_NOT_ACTIVE', status: 'EXPIRED' }]);
    expect(await storedHoldStatuses(holds.map((held) => held.id))).toEqual(Object.fromEntries(holds.map((held) => [held.id, 'EXPIRED'])));
    expect(jobs.pointsExpired).toBe(0n);
    expect(await balance(memberId)).toEqual({ posted: 2_000, pending: 0, held: 0, available: 2_000 });
    expect((await runLedgerJobs(cluster.orm)).holdsExpired).toBe(0);
    await expectLedgerInvariants();
  });

  // ---- d. mixed load ---------------------------------------------------------------------------------

  // Many members, and for each of them orders, refunds (partial, over-refunds and a full refund), holds,
  // captures, releases and adjustments at once on both processes. Which operations succeed depends on the
  // order they happen to run in; whatever that is, each balance must equal exactly what the successful
  // responses imply, before and after the ledger jobs (run at a time past the return window, which vests
  // the pending points and expires the holds still open).
  it('mixed concurrent load: every balance is exactly what the successful operations imply', async () => {
    const members = await Promise.all(range(8).map(() => trackedMember(1_000)));
    const longAgo = new Date(Date.now() - 30 * DAY).toISOString(); // before the 14-day return window: vests at once

    // Round 1, all at once: per member four orders (one placed long ago), four holds of 300 and three
    // adjustments. Holds and withdrawals (1200 + 1000) ask for more than is there, so some of them fail.
    const round1 = await Promise.all(
      members.map(async (member, m) => {
        const [orders, holds, adjustments] = await Promise.all([
          Promise.all([member.order(m, '100.00'), member.order(m + 1, '55.55'), member.order(m, '20.00'), member.order(m + 1, '400.00', longAgo)]),
          Promise.all(range(4).map((k) => member.hold(m + k, 300))),
          Promise.all([member.adjust(m, 150), member.adjust(m + 1, -500), member.adjust(m, -500)]),
        ]);
        return { orders, holds, adjustments };
      }),
    );
    for (const { holds, adjustments } of round1) {
      for (const result of holds) expect(['HELD', 'INSUFFICIENT_POINTS']).toContain(result);
      expect(adjustments[0]).toBe('ADJUSTED'); // a grant needs no funds
      for (const result of adjustments.slice(1)) expect(['ADJUSTED', 'INSUFFICIENT_POINTS']).toContain(result);
    }

    // Round 2, all at once: per member three partial refunds of the 100.00 order that together exceed it
    // (exactly two fit, whichever they are), a full refund of the 55.55 order sent twice with one refundId,
    // a partial refund of the vested order (taking back posted points), a capture racing a release of the
    // first open hold, a capture or a release of each other one, another hold and another withdrawal.
    const round2 = await Promise.all(
      members.map(async (member, m) => {
        const [hundred, fiftyFive, , vested] = round1[m].orders;
        const [first, ...others] = [...member.holds];
        const fullRefundId = uniqueKey('full-refund');
        const [partials, fullRefunds, vestedRefund, firstHold] = await Promise.all([
          Promise.all([member.refund(m, hundred, '30.00'), member.refund(m + 1, hundred, '50.00'), member.refund(m, hundred, '40.00')]),
          Promise.all([member.refund(m, fiftyFive, '55.55', fullRefundId), member.refund(m + 1, fiftyFive, '55.55', fullRefundId)]),
          member.refund(m + 1, vested, '123.45'),
          first ? Promise.all([member.resolve(m, first, 'capture'), member.resolve(m + 1, first, 'release')]) : Promise.resolve(null),
          Promise.all(others.map((held, k) => member.resolve(m + k, held, k % 2 === 0 ? 'capture' : 'release'))),
          member.hold(m + 1, 200),
          member.adjust(m, -250),
        ]);
        return { partials, fullRefunds, vestedRefund, firstHold };
      }),
    );
    for (const { partials, fullRefunds, vestedRefund, firstHold } of round2) {
      expect(tally(partials)).toEqual({ PARTIALLY_REFUNDED: 2, BAD_USER_INPUT: 1 });
      expect(fullRefunds).toEqual(['REFUNDED', 'REFUNDED']); // the replay answers as the refund it repeats
      expect(vestedRefund).toBe('PARTIALLY_REFUNDED');
      if (firstHold) expect(firstHold).toEqual(firstHold[0] === 'CAPTURED' ? ['CAPTURED', 'HOLD_NOT_ACTIVE'] : ['HOLD_NOT_ACTIVE', 'RELEASED']);
    }

    for (const member of members) expect(await balance(member.memberId)).toEqual(member.expectedBalance());
    await expectLedgerInvariants();

    const jobs = await runLedgerJobs(cluster.orm, new Date(Date.now() + 15 * DAY));
    expect(jobs.pointsExpired).toBe(0n);
    for (const member of members) expect(await balance(member.memberId)).toEqual(member.expectedBalance({ afterJobs: true }));
    await expectLedgerInvariants();
  });

  /**
   * A member whose expected balance follows from the responses of the operations sent through it:
   * adjustments, orders and refunds, holds and their captures and releases that succeeded.
   */
  async function trackedMember(grantPoints: number) {
    const memberId = await enrol();
    await grant(memberId, grantPoints);
    let adjusted = grantPoints;
    const orders = new Map<string, { earned: number; amountMinor: number; refundedMinor: number; vested: boolean }>();
    const refundIds = new Set<string>();
    const holds: { id: string; points: number }[] = [];
    let captured = 0;
    let released = 0;
    const minorUnits = (amount: string) => Math.round(Number(amount) * 100);

    return {
      memberId,
      holds,
      /** Records an order; resolves with its externalId. */
      async order(i: number, amount: string, placedAt?: string): Promise<string> {
        const externalId = uniqueKey('mixed-order');
        const recorded = ok(await recordOrder(i, { memberId, externalId, amount, placedAt })).recordOrder;
        orders.set(externalId, { earned: recorded.pointsEarned, amountMinor: minorUnits(amount), refundedMinor: 0, vested: placedAt !== undefined });
        return externalId;
      },
      /** Refunds part of an order (a refundId given twice refunds once); resolves with the order's status or the error code. */
      async refund(i: number, orderExternalId: string, amount: string, refundId = uniqueKey('refund')): Promise<string> {
        const response = await refundOrder(i, { orderExternalId, refundId, amount });
        if (!errorCode(response) && !refundIds.has(refundId)) {
          refundIds.add(refundId);
          orders.get(orderExternalId)!.refundedMinor += minorUnits(amount);
        }
        return outcome(response, 'refundOrder');
      },
      async hold(i: number, points: number): Promise<string> {
        const response = await hold(i, { memberId, points });
        if (!errorCode(response)) holds.push(response.body.data.holdPoints);
        return outcome(response, 'holdPoints');
      },
      async adjust(i: number, points: number): Promise<string> {
        const response = await adjust(i, { memberId, points });
        if (!errorCode(response)) adjusted += points;
        return errorCode(response) ?? 'ADJUSTED';
      },
      async resolve(i: number, held: { id: string; points: number }, how: 'capture' | 'release'): Promise<string> {
        const response = await (how === 'capture' ? capture(i, held.id) : release(i, held.id));
        if (!errorCode(response) && how === 'capture') captured += held.points;
        if (!errorCode(response) && how === 'release') released += held.points;
        return outcome(response, how === 'capture' ? 'capturePoints' : 'releasePoints');
      },
      /**
       * Each order earned its points less floor(points x refunded share); they are pending until the jobs
       * vest them, unless the order was placed before the return window. The jobs expire every open hold.
       */
      expectedBalance({ afterJobs = false } = {}): Balance {
        let vestedEarnings = 0;
        let pendingEarnings = 0;
        for (const order of orders.values()) {
          const net = order.earned - Math.floor((order.earned * order.refundedMinor) / order.amountMinor);
          if (order.vested || afterJobs) vestedEarnings += net;
          else pendingEarnings += net;
        }
        const posted = adjusted + vestedEarnings - captured;
        const held = afterJobs ? 0 : holds.reduce((sum, held) => sum + held.points, 0) - captured - released;
        return { posted, pending: pendingEarnings, held, available: posted - held };
      },
    };
  }

  // ---- first use of a system account ------------------------------------------------------------------

  // The first transfers of a new points currency create its system accounts. Twenty members granted points
  // in a new currency at once, on both processes: every grant succeeds, once. (Before commit 0694124 the
  // creating statement read a snapshot taken before a concurrent creator committed and failed with
  // INTERNAL_SERVER_ERROR on PostgreSQL; on PGlite transactions never overlap.)
  it('the first use of a system account, by many members at once, succeeds for each', async () => {
    for (let round = 0; round < 3; round += 1) {
      const currency = `RACE${round}`; // new in this file's database: no system account exists for it yet
      ok(await via(0).graphql(CREATE_CURRENCY, { input: { code: currency, name: 'Race points', valueInBase: '0.01' } }, admin));
      const memberIds = await Promise.all(range(20).map(() => enrol()));

      const grants = await Promise.all(memberIds.map((memberId, i) => adjust(i, { memberId, points: 100, currency })));

      expect(grants.map((response) => errorCode(response) ?? 'ADJUSTED')).toEqual(range(20).map(() => 'ADJUSTED'));
      for (const memberId of memberIds) expect(await balance(memberId, currency)).toEqual({ posted: 100, pending: 0, held: 0, available: 100 });
    }
    await expectLedgerInvariants();
  });

  // ---- replays racing the first request to the account lock ---------------------------------------------

  // Regression: replays that found no earlier hold before their transaction wait for the account lock; once the
  // first one committed they must answer with its hold, not fail with INSUFFICIENT_POINTS on the balance it took
  // (CheckoutService.hold looks the key up again under the lock).
  it('concurrent replays of a hold that takes the whole balance all answer with that hold', async () => {
    for (let round = 0; round < 3; round += 1) {
      const memberId = await enrol();
      await grant(memberId, 1_000);
      const input = { memberId, points: 1_000, idempotencyKey: uniqueKey('whole-balance-hold'), orderRef: 'cart-whole' };

      const replays = await Promise.all(range(50).map((i) => hold(i, input)));

      expect(tally(replays.map((response) => outcome(response, 'holdPoints')))).toEqual({ HELD: 50 });
      expect(new Set(replays.map((response) => response.body.data.holdPoints.id)).size).toBe(1);
      expect(await balance(memberId)).toEqual({ posted: 1_000, pending: 0, held: 1_000, available: 0 });
    }
  });

  // Regression: the same race for a withdrawal taking the whole balance (AdjustmentService.adjust looks the
  // key up again under the lock, before checking funds).
  it('concurrent replays of a withdrawal that takes the whole balance all answer with that transfer', async () => {
    for (let round = 0; round < 3; round += 1) {
      const memberId = await enrol();
      await grant(memberId, 1_000);
      const input = { memberId, points: -1_000, idempotencyKey: uniqueKey('whole-balance-withdrawal') };

      const replays = await Promise.all(range(50).map((i) => adjust(i, input)));

      expect(tally(replays.map((response) => errorCode(response) ?? 'ADJUSTED'))).toEqual({ ADJUSTED: 50 });
      expect(new Set(replays.map((response) => response.body.data.adjustPoints.id)).size).toBe(1);
      expect(await balance(memberId)).toEqual({ posted: 0, pending: 0, held: 0, available: 0 });
    }
  });
});

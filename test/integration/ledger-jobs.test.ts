import { loadConfig } from '../../src/config/config';
import { createServices } from '../../src/app/container';
import { createRequestContext, RequestContext } from '../../src/graphql/context';
import { createLogger } from '../../src/observability/logger';
import { Principal } from '../../src/auth/principal';
import { runLedgerJobs } from '../../src/jobs/ledger-jobs';
import { Member } from '../../src/modules/members/member.entity';
import { HoldStatus, PointsHold } from '../../src/modules/checkout/points-hold.entity';
import { openTestOrm, TestOrm } from '../helpers/database';
import { checkLedgerInvariants, NO_VIOLATIONS } from '../helpers/invariants';
import { memberInput } from '../factories/member.factory';
import { flattenTierLadder } from '../factories/tier.factory';

const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
const logger = createLogger('silent');
const DAY = 24 * 60 * 60 * 1000;
const admin: Principal = { role: 'admin', subject: 'admin-jobs' };
const shop: Principal = { role: 'storefront', subject: 'shop' };

describe('ledger jobs', () => {
  let db: TestOrm;
  let requests = 0;
  let orders = 0;
  const services = createServices();
  const as = (principal?: Principal): RequestContext =>
    createRequestContext({ em: db.orm.em.fork(), principal, requestId: `job-test-${++requests}`, config, logger }, services);
  const member = () => services.members.enroll(as(admin), memberInput());
  const order = (m: Member, amount: string, placedAt?: Date) =>
    services.orders.record(as(shop), { memberId: m.id, externalId: `job-order-${++orders}`, amount: { amount, currency: 'USD' }, placedAt });
  const balance = async (m: Member) => {
    const b = await services.balances.balanceOf(as(admin), m.id, 'PTS');
    return { posted: Number(b.posted), pending: Number(b.pending), held: Number(b.held), expiringSoon: Number(b.expiringSoon) };
  };
  const kinds = async (m: Member) =>
    (await services.balances.entriesOf(as(admin), m.id, null, { first: 100 })).edges.map((edge) => `${edge.node.kind} ${edge.node.points}`);

  beforeAll(async () => {
    db = await openTestOrm(8);
    await flattenTierLadder(db.orm);
  });
  afterEach(async () => {
    expect(await checkLedgerInvariants(db.orm)).toEqual(NO_VIOLATIONS);
  });
  afterAll(() => db.close());

  it('vests pending points after the return window, once however often it runs', async () => {
    const m = await member();
    await order(m, '80.00');
    expect(await balance(m)).toMatchObject({ posted: 0, pending: 80 });
    await runLedgerJobs(db.orm, new Date(Date.now() + 13 * DAY));
    expect(await balance(m)).toMatchObject({ posted: 0, pending: 80 });
    const later = new Date(Date.now() + 15 * DAY);
    await Promise.all([runLedgerJobs(db.orm, later), runLedgerJobs(db.orm, later)]);
    await runLedgerJobs(db.orm, later);
    expect(await balance(m)).toMatchObject({ posted: 80, pending: 0 });
    expect(await kinds(m)).toEqual(['VEST 80', 'EARN 80']);
  });

  it('expires what is left of past-due lots, soonest first, and reports points expiring soon', async () => {
    const m = await member();
    await order(m, '100.00', new Date(Date.now() - 370 * DAY)); // expired 5 days ago
    await order(m, '40.00', new Date(Date.now() - 350 * DAY)); // expires in about 15 days
    await order(m, '30.00', new Date(Date.now() - 100 * DAY));
    expect(await balance(m)).toMatchObject({ posted: 170, expiringSoon: 140 });
    const hold = await services.checkout.hold(as(shop), { memberId: m.id, points: 120, orderRef: 'cart', idempotencyKey: `jobs-${m.id}` });
    await services.checkout.capture(as(shop), hold.id); // draws the 100 past-due lot first, then 20 of the next
    await runLedgerJobs(db.orm);
    expect(await balance(m)).toMatchObject({ posted: 50, expiringSoon: 20 });
    await runLedgerJobs(db.orm, new Date(Date.now() + 20 * DAY));
    expect(await balance(m)).toMatchObject({ posted: 30, expiringSoon: 0 });
    expect((await kinds(m))[0]).toBe('EXPIRE -20');
  });

  it('never expires points reserved by an open hold; they expire once it is released', async () => {
    const m = await member();
    await order(m, '300.00', new Date(Date.now() - 400 * DAY));
    const hold = await services.checkout.hold(as(shop), { memberId: m.id, points: 200, orderRef: 'cart', idempotencyKey: `reserve-${m.id}`, ttlSeconds: 3600 });
    await runLedgerJobs(db.orm);
    expect(await balance(m)).toMatchObject({ posted: 200, held: 200 });
    await services.checkout.release(as(shop), hold.id);
    await runLedgerJobs(db.orm);
    expect(await balance(m)).toMatchObject({ posted: 0, held: 0 });
    expect(await kinds(m)).toEqual(['EXPIRE -200', 'EXPIRE -100', 'EARN 300']);
  });

  it('sweeps expired holds and gives their points back', async () => {
    const m = await member();
    await order(m, '500.00', new Date(Date.now() - 30 * DAY));
    const hold = await services.checkout.hold(as(shop), { memberId: m.id, points: 300, orderRef: 'cart', idempotencyKey: `sweep-${m.id}`, ttlSeconds: 60 });
    expect(await balance(m)).toMatchObject({ posted: 500, held: 300 });
    await runLedgerJobs(db.orm, new Date(Date.now() + 61 * 1000));
    const swept = await db.orm.em.fork().findOneOrFail(PointsHold, { id: hold.id });
    expect(swept.status).toBe(HoldStatus.EXPIRED);
    expect(await balance(m)).toMatchObject({ posted: 500, held: 0 });
  });

  it('lets a refund after spending leave a debt, which later earnings repay first', async () => {
    const m = await member();
    const first = await order(m, '200.00', new Date(Date.now() - 30 * DAY));
    const hold = await services.checkout.hold(as(shop), { memberId: m.id, points: 150, orderRef: 'cart', idempotencyKey: `debt-${m.id}` });
    await services.checkout.capture(as(shop), hold.id);
    await services.orders.refund(as(shop), { orderExternalId: first.externalId, refundId: `debt-refund-${m.id}`, amount: { amount: '200.00', currency: 'USD' } });
    expect(await balance(m)).toMatchObject({ posted: -150 });
    await expect(services.checkout.hold(as(shop), { memberId: m.id, points: 100, orderRef: 'cart-2', idempotencyKey: `debt-2-${m.id}` })).rejects.toMatchObject({
      extensions: { code: 'INSUFFICIENT_POINTS' },
    });
    await order(m, '100.00', new Date(Date.now() - 20 * DAY));
    expect(await balance(m)).toMatchObject({ posted: -50 });
    await order(m, '120.00');
    await runLedgerJobs(db.orm, new Date(Date.now() + 15 * DAY));
    expect(await balance(m)).toMatchObject({ posted: 70, pending: 0 });
  });
});

import { loadConfig } from '../../src/config/config';
import { createServices } from '../../src/app/container';
import { createRequestContext, RequestContext } from '../../src/graphql/context';
import { createLogger } from '../../src/observability/logger';
import type { Principal } from '../../src/auth/principal';
import { announceExpiringPoints } from '../../src/jobs/webhook-jobs';
import { runReferralJobs } from '../../src/jobs/referral-jobs';
import { enqueueLtvTierChanges } from '../../src/modules/webhooks/events';
import { openTestOrm, TestOrm } from '../helpers/database';
import { memberInput } from '../factories/member.factory';

const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
const logger = createLogger('silent');
const admin: Principal = { role: 'admin', subject: 'admin-events' };
const shop: Principal = { role: 'storefront', subject: 'shop-events' };
const DAY = 24 * 60 * 60 * 1000;

/** Each change writes its outbound event in its own transaction; a change that fails writes none. */
describe('outbound events in the outbox', () => {
  let db: TestOrm;
  let requests = 0;
  let endpointId: string;
  const services = createServices();
  const as = (principal?: Principal): RequestContext => createRequestContext({ em: db.orm.em.fork(), principal, requestId: `events-${++requests}`, config, logger }, services);
  const eventsOf = (memberId: string) =>
    db.orm.em.fork().execute<{ type: string; data: Record<string, unknown> }[]>('select type, data from webhook_events where member_id = ? order by created_at, id', [memberId]);

  beforeAll(async () => {
    db = await openTestOrm();
    endpointId = (await services.webhookEndpoints.create(as(admin), { url: 'https://hooks.example.com/events' })).endpoint.id;
  });
  afterAll(async () => {
    await db?.close();
  });

  it('member.enrolled once per member, not on a replay, and not when the enrolment fails', async () => {
    const input = memberInput();
    const member = await services.members.enroll(as(shop), input);
    await services.members.enroll(as(shop), input);
    await expect(services.members.enroll(as(shop), { ...input, country: 'FR' })).rejects.toMatchObject({ extensions: { code: 'IDEMPOTENCY_CONFLICT' } });
    expect(await eventsOf(member.id)).toEqual([{ type: 'member.enrolled', data: { memberId: member.id, externalId: input.externalId, country: 'DE', joinedAt: expect.any(String) } }]);
    const [delivery] = await db.orm.em.fork().execute('select endpoint_id, status, attempts from webhook_deliveries where member_id = ?', [member.id]);
    expect(delivery).toEqual({ endpoint_id: endpointId, status: 'PENDING', attempts: 0 });
  });

  it('member.tier_changed with the external id, from and to, when an order lifts the tier', async () => {
    const input = memberInput();
    const member = await services.members.enroll(as(shop), input);
    await services.orders.record(as(shop), { memberId: member.id, externalId: `tier-${member.id}`, amount: { amount: '500.00', currency: 'USD' } });
    const changes = (await eventsOf(member.id)).filter((event) => event.type === 'member.tier_changed');
    expect(changes).toEqual([{ type: 'member.tier_changed', data: { memberId: member.id, externalId: input.externalId, from: 'BRONZE', to: 'SILVER', changedAt: expect.any(String) } }]);
  });

  it('reward.redeemed and referral.qualified', async () => {
    const referrer = await services.members.enroll(as(shop), memberInput());
    const referee = await services.members.enroll(as(shop), memberInput({ referralCode: referrer.referralCode }));
    await services.adjustments.adjust(as(admin), { memberId: referrer.id, points: 300, reason: 'grant', idempotencyKey: `grant-${referrer.id}` });
    const reward = await services.rewards.create(as(admin), { code: `EV${process.pid}`, name: 'Mug', cost: 120 });
    const redeemed = await services.rewards.redeem(as(shop), { memberId: referrer.id, rewardId: reward.reward.id, idempotencyKey: `redeem-${referrer.id}` });
    await services.orders.record(as(shop), { memberId: referee.id, externalId: `ref-${referee.id}`, amount: { amount: '50.00', currency: 'USD' }, placedAt: new Date(Date.now() - 20 * DAY) });
    // An order recorded already past the return window qualifies its referral in its own transaction; the job finds nothing left.
    expect(await runReferralJobs(db.orm, config)).toEqual({ qualified: 0, rejected: 0 });
    const events = (await eventsOf(referrer.id)).filter((event) => event.type !== 'member.enrolled');
    expect(events).toEqual([
      { type: 'reward.redeemed', data: { memberId: referrer.id, redemptionId: redeemed.redemption.id, rewardId: reward.reward.id, rewardCode: `EV${process.pid}`, points: 120, currency: 'PTS' } },
      { type: 'referral.qualified', data: { referralId: expect.any(String), code: referrer.referralCode, referrerId: referrer.id, refereeId: referee.id } },
    ]);
  });

  it('points.expiring once per lot, for lots expiring within the notice period', async () => {
    const member = await services.members.enroll(as(shop), memberInput());
    await services.adjustments.adjust(as(admin), { memberId: member.id, points: 70, reason: 'grant', idempotencyKey: `expiring-${member.id}` });
    const [lot] = await db.orm.em.fork().execute<{ id: string; expires_at: Date }[]>('select id, expires_at from points_lots where member_id = ?', [member.id]);
    const expiresAt = new Date(lot.expires_at);
    const expiring = async () => (await eventsOf(member.id)).filter((event) => event.type === 'points.expiring');
    // 31 days before: outside the 30-day notice period.
    await announceExpiringPoints(db.orm, config, new Date(expiresAt.getTime() - 31 * DAY));
    expect(await expiring()).toEqual([]);
    await announceExpiringPoints(db.orm, config, new Date(expiresAt.getTime() - 29 * DAY));
    await announceExpiringPoints(db.orm, config, new Date(expiresAt.getTime() - 28 * DAY));
    expect(await expiring()).toEqual([
      { type: 'points.expiring', data: { memberId: member.id, externalId: expect.any(String), lotId: lot.id, currency: 'PTS', points: 70, expiresAt: expect.any(String) } },
    ]);
  });

  it('member.ltv_tier_changed for members whose LTV tier in the next scores differs from member_ltv (as an LTV run calls it before the swap)', async () => {
    const stays = await services.members.enroll(as(shop), memberInput());
    const moves = await services.members.enroll(as(shop), memberInput());
    const fresh = await services.members.enroll(as(shop), memberInput());
    const em = db.orm.em.fork();
    const score = (memberId: string, tier: string) =>
      em.execute(
        `insert into member_ltv (member_id, tier, churn_risk, probability_alive, expected_purchases_12m, expected_order_value_minor, expected_lifespan_weeks,
           predicted_12m_minor, historical_minor, frequency, recency_weeks, age_weeks, order_count, run_id, computed_at)
         values (?, ?, 'LOW', 0.9, 1, 100, 52, 100, 100, 1, 1, 10, 2, gen_random_uuid(), now())
         on conflict (member_id) do update set tier = excluded.tier`,
        [memberId, tier],
      );
    await score(stays.id, 'HIGH');
    await score(moves.id, 'LOW');
    await em.transactional(async (tx) => {
      await tx.execute('create temporary table next_ltv on commit drop as select * from member_ltv');
      await tx.execute(`update next_ltv set tier = 'VIP' where member_id = ?`, [moves.id]);
      await tx.execute(
        `insert into next_ltv (member_id, tier, churn_risk, probability_alive, expected_purchases_12m, expected_order_value_minor, expected_lifespan_weeks,
           predicted_12m_minor, historical_minor, frequency, recency_weeks, age_weeks, order_count, run_id, computed_at)
         values (?, 'NEW', 'LOW', 0.9, 0, 0, 52, 0, 0, 0, 0, 1, 0, gen_random_uuid(), now())`,
        [fresh.id],
      );
      await enqueueLtvTierChanges(tx, 'next_ltv', new Date());
    });
    const changesOf = async (memberId: string) => (await eventsOf(memberId)).filter((event) => event.type === 'member.ltv_tier_changed').map((event) => event.data);
    expect(await changesOf(stays.id)).toEqual([]);
    expect(await changesOf(moves.id)).toEqual([{ memberId: moves.id, externalId: moves.externalId, from: 'LOW', to: 'VIP' }]);
    expect(await changesOf(fresh.id)).toEqual([{ memberId: fresh.id, externalId: fresh.externalId, from: null, to: 'NEW' }]);
  });
});

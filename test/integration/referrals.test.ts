import { loadConfig } from '../../src/config/config';
import { createServices } from '../../src/app/container';
import { createRequestContext, RequestContext } from '../../src/graphql/context';
import { createLogger } from '../../src/observability/logger';
import { Principal } from '../../src/auth/principal';
import { runReferralJobs } from '../../src/jobs/referral-jobs';
import { Member } from '../../src/modules/members/member.entity';
import { Referral, ReferralStatus } from '../../src/modules/referrals/referral.entity';
import { checkReferralAfterCardSeen } from '../../src/modules/referrals/referral.service';
import { openTestOrm, TestOrm } from '../helpers/database';
import { checkLedgerInvariants, NO_VIOLATIONS } from '../helpers/invariants';
import { memberInput } from '../factories/member.factory';
import { EnrollmentInput } from '../../src/modules/members/member.validation';

const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
const logger = createLogger('silent');
const DAY = 24 * 60 * 60 * 1000;
const admin: Principal = { role: 'admin', subject: 'admin-referrals' };
const shop: Principal = { role: 'storefront', subject: 'shop-referrals' };

/** Referral codes, the fraud rules and qualification, through the services on a real database. */
describe('referrals', () => {
  let db: TestOrm;
  let requests = 0;
  let orders = 0;
  const services = createServices();
  const as = (principal?: Principal, configuration = config, clientIp = '127.0.0.1'): RequestContext =>
    createRequestContext({ em: db.orm.em.fork(), principal, requestId: `referral-test-${++requests}`, config: configuration, logger, clientIp }, services);
  const enrol = (overrides: Partial<EnrollmentInput> = {}) => services.members.enroll(as(shop), memberInput(overrides));
  const order = (m: Member, amount: string, externalId = `ref-order-${++orders}`) =>
    services.orders.record(as(shop), { memberId: m.id, externalId, amount: { amount, currency: 'USD' } });
  const referralOf = (m: Member) => db.orm.em.fork().findOneOrFail(Referral, { memberId: m.id });
  const kinds = async (m: Member) =>
    (await services.balances.entriesOf(as(admin), m.id, null, { first: 100 })).edges.map((edge) => `${edge.node.kind} ${edge.node.points}`);
  const posted = async (m: Member) => Number((await services.balances.balanceOf(as(admin), m.id, 'PTS')).posted);
  const afterWindow = () => new Date(Date.now() + (config.returnWindowDays + 1) * DAY);
  /** The error code a promise rejects with. */
  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'no error',
      (error: { extensions?: { code?: string } }) => error.extensions?.code ?? String(error),
    );

  beforeAll(async () => {
    db = await openTestOrm(8);
  });
  afterEach(async () => {
    expect(await checkLedgerInvariants(db.orm)).toEqual(NO_VIOLATIONS);
  });
  afterAll(() => db.close());

  it('gives every member a unique 8-character code at enrolment', async () => {
    const members = await Promise.all(Array.from({ length: 10 }, () => enrol()));
    for (const m of members) expect(m.referralCode).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/);
    expect(new Set(members.map((m) => m.referralCode)).size).toBe(10);
  });

  it('fails an unknown code with REFERRAL_INVALID and enrols nobody', async () => {
    const input = memberInput({ referralCode: 'ZZZZZZZZ' });
    expect(await codeOf(services.members.enroll(as(shop), input))).toBe('REFERRAL_INVALID');
    expect(await db.orm.em.fork().count(Member, { externalId: input.externalId })).toBe(0);
  });

  it('runs the life cycle: PENDING, a vested qualifying order, QUALIFIED, both rewarded exactly once', async () => {
    const referrer = await enrol();
    const code = referrer.referralCode.toLowerCase().replace(/(.{4})/, '$1-');
    const referee = await enrol({ referralCode: code });
    const referral = await referralOf(referee);
    expect(referral).toMatchObject({ referrerId: referrer.id, code: referrer.referralCode, status: ReferralStatus.PENDING, rejectionReason: null });

    await order(referee, '19.99'); // below the 20 USD minimum
    await order(referee, '25.00');
    // Inside the return window nothing qualifies.
    expect(await runReferralJobs(db.orm, config, new Date(Date.now() + (config.returnWindowDays - 1) * DAY))).toEqual({ qualified: 0, rejected: 0 });
    expect((await referralOf(referee)).status).toBe(ReferralStatus.PENDING);

    // Two runners at once, then a third: one payout.
    const later = afterWindow();
    const results = await Promise.all([runReferralJobs(db.orm, config, later), runReferralJobs(db.orm, config, later)]);
    expect(results.reduce((sum, result) => sum + result.qualified, 0)).toBe(1);
    expect(await runReferralJobs(db.orm, config, later)).toEqual({ qualified: 0, rejected: 0 });

    const qualified = await referralOf(referee);
    expect(qualified.status).toBe(ReferralStatus.QUALIFIED);
    expect(qualified.qualifiedAt).toEqual(later);
    expect(await kinds(referrer)).toEqual(['REFERRAL_BONUS 500']);
    expect(await kinds(referee)).toEqual(['REFERRAL_BONUS 200', 'EARN 25', 'EARN 19']);
    expect(await posted(referrer)).toBe(500);

    const listed = await services.referrals.referralsOf(as(admin), referrer.id, { first: 10 });
    expect(listed.edges.map((edge) => [edge.node.id, edge.node.status])).toEqual([[referral.id, ReferralStatus.QUALIFIED]]);
  });

  it('qualifies in the same transaction when the first qualifying order is recorded already past the return window', async () => {
    const referrer = await enrol();
    const referee = await enrol({ referralCode: referrer.referralCode });
    const longAgo = new Date(Date.now() - (config.returnWindowDays + 5) * DAY);
    // Too small: nothing to qualify, even though it vests at once.
    await services.orders.record(as(shop), { memberId: referee.id, externalId: `late-small-${referee.id}`, amount: { amount: '5.00', currency: 'USD' }, placedAt: longAgo });
    expect((await referralOf(referee)).status).toBe(ReferralStatus.PENDING);
    await services.orders.record(as(shop), { memberId: referee.id, externalId: `late-${referee.id}`, amount: { amount: '30.00', currency: 'USD' }, placedAt: longAgo });
    // No job ran: the order's own transaction qualified it and paid both sides.
    const qualified = await referralOf(referee);
    expect(qualified.status).toBe(ReferralStatus.QUALIFIED);
    expect(await kinds(referrer)).toEqual(['REFERRAL_BONUS 500']);
    expect((await kinds(referee)).sort()).toEqual(['EARN 30', 'EARN 5', 'REFERRAL_BONUS 200']);
    expect(await runReferralJobs(db.orm, config, afterWindow())).toEqual({ qualified: 0, rejected: 0 });
    expect(await posted(referrer)).toBe(500);
  });

  it('leaves a referral PENDING when its order is refunded inside the window; a later order qualifies it', async () => {
    const referrer = await enrol();
    const referee = await enrol({ referralCode: referrer.referralCode });
    await order(referee, '50.00', `refunded-${orders}`);
    await services.orders.refund(as(shop), { orderExternalId: `refunded-${orders}`, refundId: `refund-${orders}`, amount: { amount: '35.00', currency: 'USD' } });
    expect(await runReferralJobs(db.orm, config, afterWindow())).toEqual({ qualified: 0, rejected: 0 });
    expect((await referralOf(referee)).status).toBe(ReferralStatus.PENDING);

    await order(referee, '20.00');
    expect((await runReferralJobs(db.orm, config, afterWindow())).qualified).toBe(1);
    expect(await referralOf(referee)).toMatchObject({ status: ReferralStatus.QUALIFIED });
    expect(await posted(referrer)).toBe(500);
  });

  it('rejects a self-referral by normalised email (Gmail dots and +suffix) at enrolment, and pays nothing', async () => {
    const referrer = await enrol({ email: `ada.lovelace.${orders}@gmail.com` });
    const referee = await enrol({ email: `ADALOVELACE${orders}+promo@googlemail.com`, referralCode: referrer.referralCode });
    expect(await referralOf(referee)).toMatchObject({ status: ReferralStatus.REJECTED, rejectionReason: 'SELF_REFERRAL' });
    await order(referee, '100.00');
    expect(await runReferralJobs(db.orm, config, afterWindow())).toEqual({ qualified: 0, rejected: 0 });
    expect(await kinds(referrer)).toEqual([]);
  });

  it('rejects a referee on the referrer’s device id or IP within 30 days, but not with older sightings', async () => {
    const referrer = await enrol({ deviceId: 'device-shared', ip: '203.0.113.7' });
    const byDevice = await enrol({ deviceId: 'device-shared', referralCode: referrer.referralCode });
    const byIp = await enrol({ ip: '203.0.113.7', deviceId: 'device-other', referralCode: referrer.referralCode });
    expect(await referralOf(byDevice)).toMatchObject({ status: ReferralStatus.REJECTED, rejectionReason: 'DUPLICATE_DEVICE' });
    expect(await referralOf(byIp)).toMatchObject({ status: ReferralStatus.REJECTED, rejectionReason: 'DUPLICATE_IP' });

    const oldReferrer = await enrol({ ip: '198.51.100.4' });
    await db.orm.em.fork().execute("update member_sightings set seen_at = now() - interval '31 days' where member_id = ?", [oldReferrer.id]);
    const later = await enrol({ ip: '198.51.100.4', referralCode: oldReferrer.referralCode });
    expect(await referralOf(later)).toMatchObject({ status: ReferralStatus.PENDING });
  });

  it('rejects at qualification when referrer and referee paid with the same card (DUPLICATE_PAYMENT_METHOD)', async () => {
    const referrer = await enrol();
    const referee = await enrol({ referralCode: referrer.referralCode });
    await order(referee, '30.00');
    await db.orm.em.fork().execute('insert into member_card_fingerprints (member_id, fingerprint, first_seen_at) values (?, ?, now()), (?, ?, now())', [
      referrer.id,
      'fp-shared-1',
      referee.id,
      'fp-shared-1',
    ]);
    expect(await runReferralJobs(db.orm, config, afterWindow())).toEqual({ qualified: 0, rejected: 1 });
    expect(await referralOf(referee)).toMatchObject({ status: ReferralStatus.REJECTED, rejectionReason: 'DUPLICATE_PAYMENT_METHOD', qualifiedAt: null });
    expect(await kinds(referrer)).toEqual([]);
  });

  it('rejects at qualification when the referrer has left the programme since (REFERRER_INACTIVE)', async () => {
    const referrer = await enrol();
    const referee = await enrol({ referralCode: referrer.referralCode });
    await order(referee, '30.00');
    await db.orm.em.fork().execute("update members set status = 'SUSPENDED' where id = ?", [referrer.id]);
    expect(await runReferralJobs(db.orm, config, afterWindow())).toEqual({ qualified: 0, rejected: 1 });
    expect(await referralOf(referee)).toMatchObject({ status: ReferralStatus.REJECTED, rejectionReason: 'REFERRER_INACTIVE' });
    expect(await kinds(referrer)).toEqual([]);
  });

  it('checkReferralAfterCardSeen rejects a PENDING referral sharing a card, and only that one', async () => {
    const referrer = await enrol();
    const sharing = await enrol({ referralCode: referrer.referralCode });
    const other = await enrol({ referralCode: referrer.referralCode });
    await db.orm.em.fork().execute('insert into member_card_fingerprints (member_id, fingerprint, first_seen_at) values (?, ?, now()), (?, ?, now()), (?, ?, now())', [
      referrer.id,
      'fp-shared-2',
      other.id,
      'fp-other',
      sharing.id,
      'fp-shared-2',
    ]);
    expect(await db.orm.em.fork().transactional((tx) => checkReferralAfterCardSeen(tx, sharing.id))).toBe(1);
    expect(await db.orm.em.fork().transactional((tx) => checkReferralAfterCardSeen(tx, sharing.id))).toBe(0);
    expect(await referralOf(sharing)).toMatchObject({ status: ReferralStatus.REJECTED, rejectionReason: 'DUPLICATE_PAYMENT_METHOD' });
    expect(await referralOf(other)).toMatchObject({ status: ReferralStatus.PENDING });
  });

  it('qualifies at most the monthly cap per referrer, even with concurrent runners; the rest are REJECTED', async () => {
    const capped = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', REFERRAL_MONTHLY_CAP: '2' });
    const referrer = await enrol();
    const referees = [];
    for (let index = 0; index < 4; index += 1) referees.push(await enrol({ referralCode: referrer.referralCode }));
    for (const referee of referees) await order(referee, '40.00');
    const later = afterWindow();
    const results = await Promise.all([runReferralJobs(db.orm, capped, later), runReferralJobs(db.orm, capped, later), runReferralJobs(db.orm, capped, later)]);
    expect(results.reduce((sum, result) => sum + result.qualified, 0)).toBe(2);
    expect(results.reduce((sum, result) => sum + result.rejected, 0)).toBe(2);
    const statuses = await Promise.all(referees.map(async (referee) => `${(await referralOf(referee)).status} ${(await referralOf(referee)).rejectionReason}`));
    expect(statuses.sort()).toEqual(['QUALIFIED null', 'QUALIFIED null', 'REJECTED REFERRER_CAP_REACHED', 'REJECTED REFERRER_CAP_REACHED']);
    expect(await kinds(referrer)).toEqual(['REFERRAL_BONUS 500', 'REFERRAL_BONUS 500']);
  });

  it('limits failed look-ups per client (RATE_LIMITED), for the public query and for enrolment, and other clients are unaffected', async () => {
    const limited = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', REFERRAL_LOOKUP_FAILURES: '3' });
    const referrer = await enrol();
    const anonymous = () => as(undefined, limited, '192.0.2.50');
    expect(await services.referrals.lookup(anonymous(), referrer.referralCode.toLowerCase())).toEqual({ code: referrer.referralCode, valid: true });
    for (let attempt = 0; attempt < 3; attempt += 1) expect(await services.referrals.lookup(anonymous(), `WRONG${attempt}ZZ`)).toEqual({ code: `WRONG${attempt}ZZ`, valid: false });
    expect(await codeOf(services.referrals.lookup(anonymous(), 'WRONG9ZZ'))).toBe('RATE_LIMITED');
    // Once limited, even a valid code gets no answer (no oracle for guessing).
    expect(await codeOf(services.referrals.lookup(anonymous(), referrer.referralCode))).toBe('RATE_LIMITED');
    expect((await services.referrals.lookup(as(undefined, limited, '192.0.2.51'), referrer.referralCode)).valid).toBe(true);

    // Enrolment: counted per shopper IP when the storefront passes one.
    const enrolFrom = (ip: string, referralCode: string) =>
      codeOf(services.members.enroll(as(shop, limited), memberInput({ ip, referralCode })));
    for (let attempt = 0; attempt < 3; attempt += 1) expect(await enrolFrom('192.0.2.60', 'NOPE2345')).toBe('REFERRAL_INVALID');
    expect(await enrolFrom('192.0.2.60', 'NOPE2345')).toBe('RATE_LIMITED');
    expect(await enrolFrom('192.0.2.60', referrer.referralCode)).toBe('RATE_LIMITED');
    expect(await enrolFrom('192.0.2.61', referrer.referralCode)).toBe('no error');
  });

  it('sets vanity codes: a member for itself, admins for anyone; validated and unique', async () => {
    const ada = await enrol();
    const bob = await enrol();
    const adaToken: Principal = { role: 'member', subject: ada.externalId };
    const code = `ADA${'X'.repeat(orders % 5)}VANITY`.slice(0, 16);
    expect((await services.referrals.setReferralCode(as(adaToken), ada.id, code.toLowerCase())).referralCode).toBe(code);
    expect(await codeOf(services.referrals.setReferralCode(as(adaToken), bob.id, 'BOBSCODE'))).toBe('FORBIDDEN');
    expect(await codeOf(services.referrals.setReferralCode(as(admin), bob.id, code))).toBe('BAD_USER_INPUT');
    expect(await codeOf(services.referrals.setReferralCode(as(admin), bob.id, 'ADMINBOB'))).toBe('BAD_USER_INPUT');
    expect((await services.referrals.setReferralCode(as(admin), bob.id, 'bobs-code')).referralCode).toBe('BOBSCODE');
    const referee = await enrol({ referralCode: code.toLowerCase() });
    expect(await referralOf(referee)).toMatchObject({ referrerId: ada.id, code, status: ReferralStatus.PENDING });
  });

  it('replays an enrolment with the same code without a second referral, and conflicts on another code', async () => {
    const referrer = await enrol();
    const other = await enrol();
    const input = memberInput({ referralCode: referrer.referralCode });
    const first = await services.members.enroll(as(shop), input);
    expect((await services.members.enroll(as(shop), { ...input, referralCode: referrer.referralCode.toLowerCase() })).id).toBe(first.id);
    expect(await codeOf(services.members.enroll(as(shop), { ...input, referralCode: other.referralCode }))).toBe('IDEMPOTENCY_CONFLICT');
    expect(await db.orm.em.fork().count(Referral, { memberId: first.id })).toBe(1);
    // The referrer leaves the programme: its code is no longer valid, but the replay still answers.
    await db.orm.em.fork().execute("update members set status = 'SUSPENDED' where id = ?", [referrer.id]);
    expect(await codeOf(enrol({ referralCode: referrer.referralCode }))).toBe('REFERRAL_INVALID');
    expect((await services.members.enroll(as(shop), input)).id).toBe(first.id);
  });
});

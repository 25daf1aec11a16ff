import { Role } from '../../src/auth/principal';
import { createApp } from '../../src/app';
import { createLogger } from '../../src/observability/logger';
import { ActivityRecorder } from '../../src/modules/analytics/activity-recorder';
import { onlyError, startTestServer, TestServer } from '../helpers/server';
import { memberInput } from '../factories/member.factory';

const ENROLL = `mutation Enroll($input: EnrollMemberInput!) { enrollMember(input: $input) { id externalId } }`;
const RECORD = `mutation Record($input: RecordOrderInput!) { recordOrder(input: $input) { pointsEarned } }`;
const GROWTH = `query Growth($from: DateTime!, $to: DateTime!, $market: String, $channel: String) {
  growthMetrics(from: $from, to: $to, market: $market, channel: $channel) {
    from to market channel baseCurrency
    acquisition { newMembers acquisitionCost { amount currency } cac { value { amount } numerator { amount } denominator }
                  byChannel { channel newMembers cac { value { amount } denominator } } overseasShare { value numerator denominator } homeMarket costsWithoutRate }
    activation { newMembers firstOrderWithin7Days { value numerator denominator } firstOrderWithin30Days { numerator } medianDaysToFirstOrder }
    retention { cohorts { month members retention { value numerator denominator } } repeatPurchaseRate { value numerator denominator } churnRate { value } previousPeriodFrom }
    revenue { orders gmv { amount currency } netRevenue { amount } aov { value { amount } numerator { amount } denominator } revenuePerMember { denominator }
              highValueShare { value numerator denominator } highValueThreshold { amount currency } }
    referral { newMembers referralRate { value numerator denominator } referralConversion { value } referralsPerActiveReferrer { value } }
    value { ltvRun { id } ltvToCacBar scoredMembers meanLtv { value { amount } } ltvToCac { value } meetsBar byChannel { channel } }
    engagement { dau { value numerator denominator } mau dauMau { value numerator denominator } }
  }
}`;

type Caller = 'anonymous' | Role;
const CALLERS: Caller[] = ['anonymous', 'member', 'storefront', 'support', 'admin'];
const DAY = 24 * 60 * 60 * 1000;

describe('growth analytics over HTTP', () => {
  let server: TestServer;
  const admin = { role: 'admin' as const, subject: 'admin-growth' };
  const shop = { role: 'storefront' as const, subject: 'shop-growth' };
  const ok = <T = any>(response: { body: { data?: any; errors?: unknown } }): T => {
    if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
    return response.body.data;
  };
  const csv = async (query: string, role?: Role | string) => {
    const headers: Record<string, string> = {};
    if (role) headers.authorization = `Bearer ${['member', 'storefront', 'support', 'admin'].includes(role) ? await server.token(role as Role) : role}`;
    const response = await fetch(`${server.url}/admin/cohorts.csv${query}`, { headers });
    return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
  };
  const enrol = async (overrides: Record<string, unknown>) => ok(await server.graphql(ENROLL, { input: memberInput(overrides) }, shop)).enrollMember as { id: string; externalId: string };

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.stop());

  it('is for admins only', async () => {
    const variables = { from: '2025-01-01T00:00:00Z', to: '2025-02-01T00:00:00Z' };
    const codes: Record<string, string> = {};
    for (const caller of CALLERS) {
      const response = await server.graphql('query G($from: DateTime!, $to: DateTime!) { growthMetrics(from: $from, to: $to) { baseCurrency } }', variables, caller === 'anonymous' ? undefined : { role: caller, subject: `${caller}-growth` });
      codes[caller] = response.body.errors?.[0]?.extensions?.code ?? response.body.data.growthMetrics.baseCurrency;
    }
    expect(codes).toEqual({ anonymous: 'UNAUTHENTICATED', member: 'FORBIDDEN', storefront: 'FORBIDDEN', support: 'FORBIDDEN', admin: 'USD' });
  });

  it.each([
    [{ from: '2025-02-01T00:00:00Z', to: '2025-02-01T00:00:00Z' }, 'to'],
    [{ from: '2025-03-01T00:00:00Z', to: '2025-02-01T00:00:00Z' }, 'to'],
    [{ from: '2010-01-01T00:00:00Z', to: '2025-02-01T00:00:00Z' }, 'to'],
    [{ from: '2025-01-01T00:00:00Z', to: '2025-02-01T00:00:00Z', market: 'Germany' }, 'market'],
    [{ from: '2025-01-01T00:00:00Z', to: '2025-02-01T00:00:00Z', channel: 'no spaces' }, 'channel'],
  ])('refuses bad arguments %j with BAD_USER_INPUT on %s', async (variables, field) => {
    const error = onlyError(await server.graphql(GROWTH, variables, admin));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it('answers the whole query from recorded members and orders', async () => {
    const joined = new Date(Date.now() - 20 * DAY);
    const from = new Date(Date.now() - 30 * DAY);
    const to = new Date(Date.now() - DAY);
    const first = await enrol({ country: 'US', acquisitionChannel: 'tiktok', acquisitionCost: { amount: '12.00', currency: 'USD' }, joinedAt: joined });
    const second = await enrol({ country: 'DE', acquisitionChannel: 'tiktok', acquisitionCost: { amount: '8.00', currency: 'USD' }, joinedAt: joined });
    const record = (memberId: string, externalId: string, amount: string, placedAt: Date) =>
      server.graphql(RECORD, { input: { memberId, externalId, amount: { amount, currency: 'USD' }, placedAt: placedAt.toISOString() } }, shop).then(ok);
    await record(first.id, 'growth-api-1', '40.00', new Date(joined.getTime() + 2 * DAY));
    await record(first.id, 'growth-api-2', '20.00', new Date(joined.getTime() + 10 * DAY));
    await record(second.id, 'growth-api-3', '30.01', new Date(joined.getTime() + 12 * DAY));
    const data = ok(await server.graphql(GROWTH, { from: from.toISOString(), to: to.toISOString(), channel: 'TikTok' }, admin)).growthMetrics;
    expect(data.channel).toBe('tiktok');
    expect(data.acquisition).toEqual({
      newMembers: 2,
      acquisitionCost: { amount: '20.00', currency: 'USD' },
      cac: { value: { amount: '10.00' }, numerator: { amount: '20.00' }, denominator: 2 },
      byChannel: [{ channel: 'tiktok', newMembers: 2, cac: { value: { amount: '10.00' }, denominator: 2 } }],
      overseasShare: { value: 0.5, numerator: 1, denominator: 2 },
      homeMarket: 'US',
      costsWithoutRate: 0,
    });
    // First orders 2 and 12 days after joining: one within 7 days, both within 30; median (2 + 12) / 2 = 7.
    expect(data.activation).toEqual({ newMembers: 2, firstOrderWithin7Days: { value: 0.5, numerator: 1, denominator: 2 }, firstOrderWithin30Days: { numerator: 2 }, medianDaysToFirstOrder: 7 });
    expect(data.retention.repeatPurchaseRate).toEqual({ value: 0.5, numerator: 1, denominator: 2 });
    expect(data.retention.churnRate).toEqual({ value: null });
    expect(data.retention.cohorts.map((cohort: { members: number }) => cohort.members)).toEqual([2]);
    // 90.01 over 3 orders = 30.003 -> 30.00.
    expect(data.revenue).toEqual({
      orders: 3,
      gmv: { amount: '90.01', currency: 'USD' },
      netRevenue: { amount: '90.01' },
      aov: { value: { amount: '30.00' }, numerator: { amount: '90.01' }, denominator: 3 },
      revenuePerMember: { denominator: 2 },
      highValueShare: { value: 0, numerator: 0, denominator: 2 },
      highValueThreshold: { amount: '1000.00', currency: 'USD' },
    });
    expect(data.engagement.dau.denominator).toBe(29);
    // Nobody joined with a code; no LTV run yet, so nothing is scored.
    expect(data.value).toEqual({ ltvRun: null, ltvToCacBar: 3.5, scoredMembers: 0, meanLtv: { value: null }, ltvToCac: { value: null }, meetsBar: null, byChannel: [] });
    expect(data.referral).toEqual({ newMembers: 2, referralRate: { value: 0, numerator: 0, denominator: 2 }, referralConversion: { value: null }, referralsPerActiveReferrer: { value: null } });

  });

  it('gives revenue and engagement by UTC month, the first and last months partial', async () => {
    const member = await enrol({ country: 'FR', acquisitionChannel: 'monthly_test', joinedAt: new Date('2025-01-05T00:00:00Z') });
    const record = (externalId: string, amount: string, placedAt: string) =>
      server.graphql(RECORD, { input: { memberId: member.id, externalId, amount: { amount, currency: 'USD' }, placedAt } }, shop).then(ok);
    await record('growth-monthly-1', '25.00', '2025-01-20T00:00:00Z');
    await record('growth-monthly-2', '10.50', '2025-03-02T00:00:00Z');
    await server.orm.em.fork().execute("insert into member_activity_days (member_id, day) values (?, '2025-01-30'), (?, '2025-03-01')", [member.id, member.id]);
    const MONTHLY = `query($from: DateTime!, $to: DateTime!, $channel: String) { growthMetrics(from: $from, to: $to, channel: $channel) {
      revenue { byMonth { month from to orders gmv { amount currency } netRevenue { amount } } }
      engagement { byMonth { month dau { numerator denominator } mau dauMau { value numerator denominator } } } } }`;
    const data = ok(await server.graphql(MONTHLY, { from: '2025-01-15T00:00:00Z', to: '2025-03-10T00:00:00Z', channel: 'monthly_test' }, admin)).growthMetrics;
    expect(data.revenue.byMonth).toEqual([
      { month: '2025-01', from: '2025-01-15T00:00:00.000Z', to: '2025-02-01T00:00:00.000Z', orders: 1, gmv: { amount: '25.00', currency: 'USD' }, netRevenue: { amount: '25.00' } },
      { month: '2025-02', from: '2025-02-01T00:00:00.000Z', to: '2025-03-01T00:00:00.000Z', orders: 0, gmv: { amount: '0.00', currency: 'USD' }, netRevenue: { amount: '0.00' } },
      { month: '2025-03', from: '2025-03-01T00:00:00.000Z', to: '2025-03-10T00:00:00.000Z', orders: 1, gmv: { amount: '10.50', currency: 'USD' }, netRevenue: { amount: '10.50' } },
    ]);
    // January's part has the 17 days from 01-15, March's the 9 days to 03-10; February's MAU (the 30 days from 01-30) counts 01-30.
    expect(data.engagement.byMonth).toEqual([
      { month: '2025-01', dau: { numerator: 1, denominator: 17 }, mau: 1, dauMau: { value: 1 / 17, numerator: 1, denominator: 17 } },
      { month: '2025-02', dau: { numerator: 0, denominator: 28 }, mau: 1, dauMau: { value: 0, numerator: 0, denominator: 28 } },
      { month: '2025-03', dau: { numerator: 1, denominator: 9 }, mau: 1, dauMau: { value: 1 / 9, numerator: 1, denominator: 9 } },
    ]);
  });

  describe('GET /admin/cohorts.csv', () => {
    const query = '?from=2025-01-01&to=2025-03-01';

    it('needs an admin bearer token', async () => {
      expect((await csv(query)).status).toBe(401);
      expect((await csv(query, 'not-a-token')).status).toBe(401);
      for (const role of ['member', 'storefront', 'support'] as const) {
        const response = await csv(query, role);
        expect([role, response.status, JSON.parse(response.text).errors[0].extensions.code]).toEqual([role, 403, 'FORBIDDEN']);
      }
    });

    it.each(['', '?from=2025-01-01', '?from=yesterday&to=2025-03-01', '?from=2025-02-30&to=2025-03-01', '?from=2025-03-01&to=2025-01-01', `${query}&market=XYZ`])(
      'answers 400 to %p',
      async (bad) => {
        const response = await csv(bad, 'admin');
        expect([response.status, JSON.parse(response.text).errors[0].extensions.code]).toEqual([400, 'BAD_USER_INPUT']);
      },
    );

    it('gives the cohorts of the period, one row per cohort, with a header', async () => {
      const january = await enrol({ country: 'FR', acquisitionChannel: 'csv_test', joinedAt: new Date('2025-01-10T00:00:00Z') });
      await enrol({ country: 'FR', acquisitionChannel: 'csv_test', joinedAt: new Date('2025-01-20T00:00:00Z') });
      await enrol({ country: 'FR', acquisitionChannel: 'csv_test', joinedAt: new Date('2025-02-03T00:00:00Z') });
      await server.graphql(RECORD, { input: { memberId: january.id, externalId: 'growth-csv-2', amount: { amount: '5.00', currency: 'USD' }, placedAt: '2025-02-10T00:00:00Z' } }, shop).then(ok);
      const response = await csv(`${query}&channel=csv_test`, 'admin');
      expect(response.status).toBe(200);
      expect(response.type).toBe('text/csv; charset=utf-8');
      // January: 2 members, none ordered in January, one in February. February: 1 member, no order.
      expect(response.text).toBe('cohort,members,month_0,month_1\r\n2025-01,2,0,0.5\r\n2025-02,1,0,\r\n');
      const viaGraphql = ok(await server.graphql(GROWTH, { from: '2025-01-01T00:00:00Z', to: '2025-03-01T00:00:00Z', channel: 'csv_test' }, admin)).growthMetrics;
      expect(viaGraphql.retention.cohorts).toEqual([
        { month: '2025-01', members: 2, retention: [{ value: 0, numerator: 0, denominator: 2 }, { value: 0.5, numerator: 1, denominator: 2 }] },
        { month: '2025-02', members: 1, retention: [{ value: 0, numerator: 0, denominator: 1 }] },
      ]);
    });
  });

  describe('member activity', () => {
    const activityOf = (memberIds: string[]) =>
      server.orm.em.fork().execute<{ member_id: string; day: string }[]>(
        `select member_id, to_char(day, 'YYYY-MM-DD') as day from member_activity_days where member_id in (?) order by member_id`,
        [memberIds],
      );

    it('marks each member active once per day, however many requests two app instances (each with its own memory) serve at once', async () => {
      const members = await Promise.all(Array.from({ length: 6 }, () => enrol({ country: 'US' })));
      // A second app on the same database: its own in-process memory, so both write and the primary key decides.
      const config = server.config;
      const second = await createApp({ config, orm: server.orm, logger: createLogger('silent') });
      const secondPort = await second.listen(0);
      try {
        const request = async (url: string, externalId: string) => {
          const response = await fetch(`${url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${await server.token('member', externalId)}` },
            body: JSON.stringify({ query: '{ me { id } }' }),
          });
          expect(response.status).toBe(200);
        };
        const urls = [server.url, `http://127.0.0.1:${secondPort}`];
        await Promise.all(Array.from({ length: 120 }, (_, index) => request(urls[index % 2], members[index % members.length].externalId)));
        await Promise.all([server.app.activity.drain(), second.activity.drain()]);
      } finally {
        await second.stop();
        await new Promise((resolve) => second.httpServer.close(resolve));
      }
      const today = new Date().toISOString().slice(0, 10);
      const rows = await activityOf(members.map((member) => member.id));
      expect(rows).toEqual(members.map((member) => ({ member_id: member.id, day: today })).sort((a, b) => a.member_id.localeCompare(b.member_id)));
    });

    it('records nothing for other roles or for a token whose member does not exist', async () => {
      const member = await enrol({ country: 'US' });
      await server.graphql('{ tiers { code } }', {}, { role: 'support', subject: member.externalId });
      await server.graphql('{ tiers { code } }', {}, { role: 'member', subject: 'nobody-here' });
      await server.app.activity.drain();
      expect(await activityOf([member.id])).toEqual([]);
      const [{ count }] = await server.orm.em.fork().execute<{ count: string }[]>(
        "select count(*) from member_activity_days a left join members m on m.id = a.member_id where m.id is null",
      );
      expect(count).toBe('0');
    });

    it('logs a failed write and writes again on the next request', async () => {
      const member = await enrol({ country: 'US' });
      const errors: unknown[] = [];
      const logger = createLogger('silent');
      logger.error = ((...args: unknown[]) => errors.push(args)) as typeof logger.error;
      const recorder = new ActivityRecorder(server.orm, logger);
      await server.orm.em.fork().execute('alter table member_activity_days rename to member_activity_days_away');
      try {
        recorder.touch(member.externalId);
        await recorder.drain();
      } finally {
        await server.orm.em.fork().execute('alter table member_activity_days_away rename to member_activity_days');
      }
      expect(errors).toHaveLength(1);
      expect(await activityOf([member.id])).toEqual([]);
      recorder.touch(member.externalId);
      await recorder.drain();
      expect(await activityOf([member.id])).toEqual([{ member_id: member.id, day: new Date().toISOString().slice(0, 10) }]);
    });
  });
});

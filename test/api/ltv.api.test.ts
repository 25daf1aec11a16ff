import { memberInput } from '../factories/member.factory';
import { insertPopulation } from '../factories/ltv.factory';
import { startServerProcesses } from '../helpers/processes';
import { onlyError, startTestServer, TestServer } from '../helpers/server';

jest.setTimeout(180_000);

const admin = { role: 'admin' as const, subject: 'admin-ltv' };
const support = { role: 'support' as const, subject: 'agent-ltv' };
const storefront = { role: 'storefront' as const, subject: 'shop-ltv' };

const ENROLL = 'mutation($input: EnrollMemberInput!) { enrollMember(input: $input) { id externalId } }';
const RECORD = 'mutation($input: RecordOrderInput!) { recordOrder(input: $input) { id } }';
const RECOMPUTE = 'mutation($asOf: DateTime) { recomputeLtv(asOf: $asOf) { id asOf membersScored startedAt finishedAt model { r alpha a b p q v fittedOn asOf } } }';
const MODEL = '{ ltvModel { r alpha a b p q v fittedOn asOf } }';
const PROFILE = `query($id: ID) { member(id: $id) { id ltv { tier churnRisk probabilityAlive expectedPurchases12m ltvToCac computedAt
  historical { amount currency } predicted12m { amount currency } formulaLtv { amount currency } expectedOrderValue { amount currency } } } }`;
const AT_RISK = 'query($first: Int, $after: String) { membersAtRisk(first: $first, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }';

interface RunView {
  id: string;
  asOf: string;
  membersScored: number;
  startedAt: string;
  finishedAt: string;
  model: Record<string, number | string>;
}

/** Runs may not overlap: each starts at or after the previous one finished. */
function expectSerialised(runs: RunView[]): void {
  const ordered = [...runs].sort((left, right) => Date.parse(left.startedAt) - Date.parse(right.startedAt));
  for (let index = 1; index < ordered.length; index += 1) {
    expect(Date.parse(ordered[index].startedAt)).toBeGreaterThanOrEqual(Date.parse(ordered[index - 1].finishedAt));
  }
}

describe('LTV over the API', () => {
  let server: TestServer;
  let memberId: string;
  let memberExternalId: string;
  let otherId: string;

  beforeAll(async () => {
    // Churn risk HIGH below 0.95 here, so that the at-risk list has members in it.
    server = await startTestServer({ LTV_CHURN_HIGH_BELOW: '0.95', LTV_CHURN_MEDIUM_BELOW: '0.99' });
    const enrolled = await server.graphql(ENROLL, { input: memberInput({ acquisitionCost: { amount: '25.00', currency: 'USD' } }) }, storefront);
    ({ id: memberId, externalId: memberExternalId } = enrolled.body.data.enrollMember);
    otherId = (await server.graphql(ENROLL, { input: memberInput() }, storefront)).body.data.enrollMember.id;
    for (const [index, placedAt] of ['2025-03-01T10:00:00Z', '2025-05-01T10:00:00Z', '2025-09-01T10:00:00Z'].entries()) {
      const recorded = await server.graphql(RECORD, { input: { memberId, externalId: `ltv-api-${index}`, amount: { amount: '40.00', currency: 'USD' }, placedAt } }, storefront);
      expect(recorded.body.errors).toBeUndefined();
    }
    await insertPopulation(server.orm.em.fork(), { members: 150, from: new Date('2024-06-01T00:00:00Z'), to: new Date('2025-11-01T00:00:00Z'), seed: 42, prefix: 'api' });
  });
  afterAll(() => server?.stop());

  it('is admin only to run and to read the model; nothing is scored before the first run', async () => {
    for (const caller of [support, storefront, { role: 'member' as const, subject: memberExternalId }]) {
      expect(onlyError(await server.graphql(RECOMPUTE, {}, caller)).extensions?.code).toBe('FORBIDDEN');
      expect(onlyError(await server.graphql(MODEL, {}, caller)).extensions?.code).toBe('FORBIDDEN');
    }
    expect(onlyError(await server.graphql(RECOMPUTE, {})).extensions?.code).toBe('UNAUTHENTICATED');
    expect((await server.graphql(MODEL, {}, admin)).body).toEqual({ data: { ltvModel: null } });
    expect((await server.graphql(PROFILE, { id: memberId }, support)).body.data.member).toEqual({ id: memberId, ltv: null });
    const [{ count }] = await server.orm.em.fork().execute<{ count: string }[]>('select count(*) from ltv_runs');
    expect(Number(count)).toBe(0);
  });

  it('refuses an asOf in the future', async () => {
    const error = onlyError(await server.graphql(RECOMPUTE, { asOf: new Date(Date.now() + 86_400_000).toISOString() }, admin));
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'asOf' });
  });

  it('recomputes (admin), then exposes the model and each member its own scores', async () => {
    const response = await server.graphql<{ recomputeLtv: RunView }>(RECOMPUTE, {}, admin);
    expect(response.body.errors).toBeUndefined();
    const run = response.body.data!.recomputeLtv;
    expect(run.membersScored).toBe(152);
    expect(run.model.fittedOn).toBe(151);
    const [stored] = await server.orm.em.fork().execute('select * from ltv_runs where id = ?', [run.id]);
    expect(run.model).toEqual({ r: stored.r, alpha: stored.alpha, a: stored.a, b: stored.b, p: stored.p, q: stored.q, v: stored.v, fittedOn: 151, asOf: run.asOf });
    expect((await server.graphql(MODEL, {}, admin)).body.data.ltvModel).toEqual(run.model);

    const [row] = await server.orm.em.fork().execute('select * from member_ltv where member_id = ?', [memberId]);
    const expected = {
      tier: row.tier,
      churnRisk: row.churn_risk,
      probabilityAlive: row.probability_alive,
      expectedPurchases12m: row.expected_purchases_12m,
      ltvToCac: row.ltv_to_cac,
      computedAt: new Date(row.computed_at).toISOString(),
      historical: { amount: '120.00', currency: 'USD' },
      predicted12m: { amount: (Number(row.predicted_12m_minor) / 100).toFixed(2), currency: 'USD' },
      formulaLtv: { amount: (Number(row.formula_ltv_minor) / 100).toFixed(2), currency: 'USD' },
      expectedOrderValue: { amount: (Number(row.expected_order_value_minor) / 100).toFixed(2), currency: 'USD' },
    };
    expect(row.ltv_to_cac).toBeGreaterThan(0);
    const own = await server.graphql(PROFILE, { id: memberId }, { role: 'member', subject: memberExternalId });
    expect(own.body).toEqual({ data: { member: { id: memberId, ltv: expected } } });
    expect((await server.graphql(PROFILE, { id: memberId }, support)).body.data.member.ltv).toEqual(expected);
    // Another member's scores: the member query itself refuses.
    expect(onlyError(await server.graphql(PROFILE, { id: otherId }, { role: 'member', subject: memberExternalId })).extensions?.code).toBe('FORBIDDEN');
    // No orders: NEW, with no order value or formula LTV.
    expect((await server.graphql(PROFILE, { id: otherId }, support)).body.data.member.ltv).toMatchObject({
      tier: 'NEW',
      churnRisk: 'LOW',
      probabilityAlive: 1,
      historical: { amount: '0.00', currency: 'USD' },
      predicted12m: { amount: '0.00', currency: 'USD' },
      formulaLtv: null,
      expectedOrderValue: null,
      ltvToCac: null,
    });
  });

  it('grants the perks of each LTV tier beside the membership tier perks, and the support priority they carry', async () => {
    const scored = await server.orm.em.fork().execute<{ member_id: string; tier: string }[]>("select member_id, tier from member_ltv order by member_id");
    const memberOf = (tier: string) => scored.find((row) => row.tier === tier)!.member_id;
    const PERKS = 'query($id: ID) { member(id: $id) { tier { code } perks { code source } supportPriority } }';
    const cases: [string, { code: string; source: string }[], string][] = [
      ['VIP', [{ code: 'DEDICATED_SUPPORT', source: 'LTV:VIP' }], 'DEDICATED'],
      ['HIGH', [{ code: 'PRIORITY_SUPPORT', source: 'LTV:HIGH' }], 'PRIORITY'],
      ['LOW', [], 'STANDARD'],
      ['NEW', [], 'STANDARD'],
    ];
    for (const [ltvTier, ltvPerks, priority] of cases) {
      const member = (await server.graphql(PERKS, { id: memberOf(ltvTier) }, support)).body.data.member;
      // The population's orders were written without recordOrder, so everyone still holds the lowest tier.
      expect({ ltvTier, member }).toEqual({ ltvTier, member: { tier: { code: 'BRONZE' }, perks: [{ code: 'BIRTHDAY_GIFT', source: 'TIER:BRONZE' }, ...ltvPerks], supportPriority: priority } });
    }
  });

  it('lists high-value members at high churn risk for support, highest predicted value first, page by page', async () => {
    const expected = (
      await server.orm.em.fork().execute<{ member_id: string }[]>(
        "select member_id from member_ltv where tier in ('VIP', 'HIGH') and churn_risk = 'HIGH' order by predicted_12m_minor desc, member_id desc",
      )
    ).map((row) => row.member_id);
    expect(expected.length).toBeGreaterThan(3);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = await server.graphql(AT_RISK, { first: 3, after }, support);
      expect(page.body.errors).toBeUndefined();
      seen.push(...page.body.data.membersAtRisk.edges.map((edge: any) => edge.node.id));
      if (!page.body.data.membersAtRisk.pageInfo.hasNextPage) break;
      after = page.body.data.membersAtRisk.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected);
    for (const caller of [storefront, { role: 'member' as const, subject: memberExternalId }]) {
      expect(onlyError(await server.graphql(AT_RISK, { first: 3 }, caller)).extensions?.code).toBe('FORBIDDEN');
    }
    expect(onlyError(await server.graphql(AT_RISK, { first: 3, after: 'bm90LWEtY3Vyc29y' }, support)).extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('runs one at a time: concurrent recomputeLtv calls wait for each other', async () => {
    const responses = await Promise.all([0, 1, 2].map(() => server.graphql<{ recomputeLtv: RunView }>(RECOMPUTE, {}, admin)));
    for (const response of responses) expect(response.body.errors).toBeUndefined();
    const runs = responses.map((response) => response.body.data!.recomputeLtv);
    expect(new Set(runs.map((run) => run.id)).size).toBe(3);
    expectSerialised(runs);
  });

  it('keeps answering member status and the at-risk list while runs put new scores in member_ltv’s place', async () => {
    const STATUS = '{ me { id ltv { tier computedAt } } }';
    const member = { role: 'member' as const, subject: memberExternalId };
    const before = (await server.graphql<{ me: { ltv: { computedAt: string } } }>(STATUS, {}, member)).body.data!.me.ltv.computedAt;
    let running = true;
    const reads: { errors?: unknown; computedAt?: string; atRiskErrors?: unknown }[] = [];
    const reader = (async () => {
      while (running) {
        const [status, atRisk] = await Promise.all([server.graphql<{ me: { ltv: { computedAt: string } | null } }>(STATUS, {}, member), server.graphql(AT_RISK, { first: 5 }, support)]);
        reads.push({ errors: status.body.errors, computedAt: status.body.data?.me.ltv?.computedAt, atRiskErrors: atRisk.body.errors });
      }
    })();
    const runs: RunView[] = [];
    for (let run = 0; run < 2; run += 1) {
      const response = await server.graphql<{ recomputeLtv: RunView }>(RECOMPUTE, {}, admin);
      expect(response.body.errors).toBeUndefined();
      runs.push(response.body.data!.recomputeLtv);
    }
    running = false;
    await reader;
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.filter((read) => read.errors !== undefined || read.atRiskErrors !== undefined)).toEqual([]);
    // Every read saw a whole table: the scores of the run before, or of one of these two runs
    const seen = new Set(reads.map((read) => read.computedAt));
    expect([...seen].filter((computedAt) => ![before, runs[0].finishedAt, runs[1].finishedAt].includes(computedAt!))).toEqual([]);
    const after = (await server.graphql<{ me: { ltv: { computedAt: string } } }>(STATUS, {}, member)).body.data!.me.ltv.computedAt;
    expect(after).toBe(runs[1].finishedAt);
  });
});

describe('LTV runs across two server processes', () => {
  it('never overlap: a run started on one process waits for the run on the other', async () => {
    const cluster = await startServerProcesses(2);
    try {
      await insertPopulation(cluster.orm.em.fork(), { members: 120, from: new Date('2024-06-01T00:00:00Z'), to: new Date('2025-11-01T00:00:00Z'), seed: 9, prefix: 'procs' });
      const responses = await Promise.all([0, 1, 2, 3].map((index) => cluster.processes[index % 2].graphql<{ recomputeLtv: RunView }>(RECOMPUTE, {}, admin)));
      for (const response of responses) expect(response.body.errors).toBeUndefined();
      const runs = responses.map((response) => response.body.data!.recomputeLtv);
      expectSerialised(runs);
      const rows = await cluster.orm.em.fork().execute<{ status: string; members_scored: number }[]>('select status, members_scored from ltv_runs');
      expect(rows).toEqual(Array.from({ length: 4 }, () => ({ status: 'SUCCEEDED', members_scored: 120 })));
      const [{ count, runs: distinctRuns }] = await cluster.orm.em.fork().execute<{ count: string; runs: string }[]>(
        'select count(*) as count, count(distinct run_id) as runs from member_ltv',
      );
      expect({ count: Number(count), runs: Number(distinctRuns) }).toEqual({ count: 120, runs: 1 });
    } finally {
      await cluster.stop();
    }
  });
});

describe('LTV runs that cannot fit, over the API', () => {
  let server: TestServer;
  const RUNS = '{ ltvRuns(first: 5) { id asOf status error fittedOn membersScored startedAt finishedAt model { r } } }';

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  it('answers LTV_FIT_FAILED with the reason when everyone bought once, and lists the failed run to admins only', async () => {
    for (let index = 0; index < 25; index += 1) {
      const enrolled = await server.graphql(ENROLL, { input: memberInput() }, storefront);
      const memberId = enrolled.body.data.enrollMember.id;
      const placedAt = new Date(Date.UTC(2025, 0, 1 + index * 3, 10)).toISOString();
      const recorded = await server.graphql(RECORD, { input: { memberId, externalId: `once-api-${index}`, amount: { amount: '30.00', currency: 'USD' }, placedAt } }, storefront);
      expect(recorded.body.errors).toBeUndefined();
    }
    const reason = 'too few repeat buyers to fit the spend model: 0 member(s) ordered on more than one day, at least 10 needed';
    const failedRuns = async () => {
      const line = (await (await fetch(`${server.url}/metrics`)).text()).split('\n').find((candidate) => candidate.startsWith('perkgraph_ltv_runs_total{outcome="failed"} '));
      return line ? Number(line.split(' ')[1]) : 0;
    };
    const failedBefore = await failedRuns();
    const error = onlyError(await server.graphql(RECOMPUTE, { asOf: '2025-09-30T00:00:00Z' }, admin));
    expect((await failedRuns()) - failedBefore).toBe(1);
    expect(error.message).toBe(`the LTV run failed: ${reason}; the previous scores are kept`);
    expect(error.extensions).toMatchObject({ code: 'LTV_FIT_FAILED', reason });
    const runs = await server.graphql<{ ltvRuns: Record<string, unknown>[] }>(RUNS, {}, admin);
    expect(runs.body.errors).toBeUndefined();
    expect(runs.body.data!.ltvRuns).toHaveLength(1);
    expect(runs.body.data!.ltvRuns[0]).toMatchObject({ id: error.extensions!.runId, asOf: '2025-09-30T00:00:00.000Z', status: 'FAILED', error: reason, fittedOn: 0, membersScored: 0, model: null });
    expect((await server.graphql(MODEL, {}, admin)).body).toEqual({ data: { ltvModel: null } });
    for (const caller of [support, storefront]) expect(onlyError(await server.graphql(RUNS, {}, caller)).extensions?.code).toBe('FORBIDDEN');
    expect(onlyError(await server.graphql('{ ltvRuns(first: 101) { id } }', {}, admin)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });
});

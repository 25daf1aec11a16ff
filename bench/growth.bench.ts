/**
 * npm run bench -- growth [--members 1000000]
 * For each size N: a fresh database with the LTV bench's synthetic programme (generateProgramme: N members over
 * two years, about 10N orders; the growth rollups are kept by their triggers as the orders go in), plus, set-based,
 * a few activity days per member, referrals in every status and LTV scores; then growthMetrics over the year 2025
 * with every section, executed through the GraphQL schema as an admin (the sections run concurrently, as they do
 * for a client), twice (cold, then warm), and each section alone; then the same seven sections from the direct
 * statements (DirectGrowthService, the definitions), concurrently and each alone, for the ratio, and a check that
 * both give the same numbers. Target: at most 3 s for a year over a million members (issue 14). Needs DATABASE_URL.
 */
import { execute, parse } from 'graphql';
import { loadConfig } from '../src/config/config';
import { migrateToLatest, openDatabase } from '../src/db/database';
import { createServices } from '../src/app/container';
import { createRequestContext, systemScope } from '../src/graphql/context';
import { buildGraphQLSchema } from '../src/graphql/schema';
import { createLogger } from '../src/observability/logger';
import { DirectGrowthService, growthQueryOrFail } from '../src/modules/analytics/growth.service';
import { Bench, formatTable, machineFacts, round, withBenchDatabase } from './harness';
import { generateProgramme, memberSizes } from './ltv.bench';

const DEFAULT_SIZES = [1_000_000];
const FROM = new Date('2025-01-01T00:00:00Z');
const TO = new Date('2026-01-01T00:00:00Z');

export const GROWTH_QUERY = `query Growth($from: DateTime!, $to: DateTime!) {
  growthMetrics(from: $from, to: $to) {
    acquisition { newMembers cac { value { amount } } overseasShare { value } byChannel { channel newMembers cac { value { amount } } } costsWithoutRate }
    activation { firstOrderWithin7Days { value } firstOrderWithin30Days { value } medianDaysToFirstOrder }
    retention { cohorts { month members retention { value } } repeatPurchaseRate { value numerator denominator } churnRate { value numerator denominator } }
    revenue { orders gmv { amount } netRevenue { amount } aov { value { amount } } revenuePerMember { value { amount } } highValueShare { value numerator denominator } }
    referral { referralRate { value numerator denominator } referralConversion { value } referralsPerActiveReferrer { value } }
    value { scoredMembers meanLtv { value { amount } } ltvToCac { value } byChannel { channel ltvToCac { value } meetsBar } }
    engagement { dau { value } mau dauMau { value } }
  }
}`;

const SECTIONS = ['acquisition', 'activation', 'retention', 'revenue', 'referral', 'value', 'engagement'] as const;

export const growthBench: Bench = {
  name: 'growth',
  description: 'growthMetrics over a year (every section, through the GraphQL schema) on the LTV bench programme with activity, referrals and LTV scores (needs DATABASE_URL)',
  async run() {
    if (!process.env.DATABASE_URL) {
      console.log('skipped: set DATABASE_URL to a PostgreSQL server (the bench creates and drops its own database there)');
      return true;
    }
    const args = process.argv.slice(2);
    const sizes = args.some((arg) => arg.startsWith('--members')) ? memberSizes(args) : DEFAULT_SIZES;
    const rows: string[][] = [];
    let valid = true;
    for (const members of sizes) {
      const result = await withBenchDatabase((url) => measure(url!, members));
      valid &&= result.valid;
      rows.push([
        String(members),
        String(result.orders),
        String(round(result.coldSeconds)),
        String(round(result.warmSeconds)),
        String(round(result.directSeconds)),
        String(round(result.directSeconds / result.warmSeconds, 1)),
        SECTIONS.map((section) => `${section} ${round(result.sectionSeconds[section])} (direct ${round(result.directSectionSeconds[section])})`).join(', '),
        String(round(result.generateSeconds, 0)),
      ]);
      console.log(`N=${members}: growthMetrics warm ${round(result.warmSeconds)} s, ${result.warmSeconds <= 3 ? 'within' : 'over'} the 3 s target`);
    }
    console.log(formatTable(['members', 'orders', 'growthMetrics cold s', 'warm s', 'direct statements s', 'direct / warm', 'each section alone, s', 'data gen s'], rows));
    console.log(JSON.stringify({ bench: 'growth', machine: machineFacts(), target: 'a year of growthMetrics over 1M members in at most 3 s' }));
    return valid;
  },
};

interface Measurement {
  orders: number;
  generateSeconds: number;
  coldSeconds: number;
  warmSeconds: number;
  sectionSeconds: Record<(typeof SECTIONS)[number], number>;
  /** The seven sections from the direct statements, concurrently (as the GraphQL execution runs them), and each alone. */
  directSeconds: number;
  directSectionSeconds: Record<(typeof SECTIONS)[number], number>;
  valid: boolean;
}

async function measure(databaseUrl: string, members: number): Promise<Measurement> {
  const config = loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl, JWT_SECRET: 'bench-secret-0123456789-0123456789-abc' });
  const database = await openDatabase({ databaseUrl, dataDir: '.data', poolSize: 8 });
  try {
    await migrateToLatest(database.orm);
    const em = database.orm.em.fork();
    const generateStart = performance.now();
    await generateProgramme(em, members);
    await generateGrowthData(em);
    const generateSeconds = (performance.now() - generateStart) / 1000;
    const [{ count: orders }] = await em.execute<{ count: string }[]>('select count(*) from orders');

    const schema = await buildGraphQLSchema();
    const logger = createLogger('silent');
    const document = parse(GROWTH_QUERY);
    const services = createServices();
    const runQuery = async () => {
      const contextValue = createRequestContext({ em: database.orm.em.fork(), principal: { role: 'admin', subject: 'bench' }, requestId: 'bench', config, logger }, services);
      const start = performance.now();
      const result = await execute({ schema, document, contextValue, variableValues: { from: FROM.toISOString(), to: TO.toISOString() } });
      return { seconds: (performance.now() - start) / 1000, result };
    };
    const cold = await runQuery();
    const warm = await runQuery();
    const { growth } = services;
    // One scope for the sections, as one request would have (retention and revenue share a scan).
    const scope = systemScope(database.orm.em.fork(), 'bench', config, logger);
    const query = growthQueryOrFail(FROM, TO);
    const sectionSeconds = {} as Measurement['sectionSeconds'];
    for (const section of SECTIONS) {
      const start = performance.now();
      await growth[section](scope, query);
      sectionSeconds[section] = (performance.now() - start) / 1000;
    }

    const direct = new DirectGrowthService();
    const directScope = systemScope(database.orm.em.fork(), 'bench', config, logger);
    const directStart = performance.now();
    const directResults = await Promise.all(SECTIONS.map((section) => direct[section](directScope, query)));
    const directSeconds = (performance.now() - directStart) / 1000;
    const directSectionSeconds = {} as Measurement['directSectionSeconds'];
    for (const section of SECTIONS) {
      const start = performance.now();
      await direct[section](directScope, query);
      directSectionSeconds[section] = (performance.now() - start) / 1000;
    }
    const fastResults = await Promise.all(SECTIONS.map((section) => growth[section](systemScope(database.orm.em.fork(), 'bench', config, logger), query)));
    const differing = SECTIONS.filter((section, i) => stringify(fastResults[i]) !== stringify(directResults[i]));
    if (differing.length > 0) console.error(`the rollups and the direct statements differ in: ${differing.join(', ')}`);

    const data = warm.result.data?.growthMetrics as Record<string, any> | undefined;
    const valid =
      differing.length === 0 &&
      !cold.result.errors &&
      !warm.result.errors &&
      data !== undefined &&
      data.acquisition.newMembers > 0 &&
      data.revenue.orders > 0 &&
      data.retention.cohorts.length >= 11 &&
      data.referral.referralRate.numerator > 0 &&
      data.value.scoredMembers > 0 &&
      data.engagement.mau > 0;
    if (!valid) console.error('invalid growthMetrics answer:', JSON.stringify(warm.result.errors ?? cold.result.errors ?? data));
    else
      console.log(
        `N=${members}: new members ${data.acquisition.newMembers}, orders ${data.revenue.orders}, repeat ${round(data.retention.repeatPurchaseRate.value)}, churn ${round(data.retention.churnRate.value)}, ` +
          `referral rate ${round(data.referral.referralRate.value)}, LTV:CAC ${round(data.value.ltvToCac.value)}, DAU/MAU ${round(data.engagement.dauMau.value)}`,
      );
    return { orders: Number(orders), generateSeconds, coldSeconds: cold.seconds, warmSeconds: warm.seconds, sectionSeconds, directSeconds, directSectionSeconds, valid };
  } finally {
    await database.close();
  }
}

/** JSON with bigints, for comparing two answers. */
function stringify(value: unknown): string {
  return JSON.stringify(value, (_key, item) => (typeof item === 'bigint' ? `${item}n` : item));
}

/**
 * What the growth sections read beyond members and orders, set-based: two activity days per member in the
 * last 60 days of 2025; a referral for a tenth of the members who joined in 2025 (60% qualified, 30% pending,
 * 10% rejected) from one of the first thousand members; and a finished LTV run scoring every member
 * (formula LTV from its own orders, CAC as the members table has it; synthetic, but the shape the run writes).
 */
export async function generateGrowthData(em: ReturnType<Awaited<ReturnType<typeof openDatabase>>['orm']['em']['fork']>): Promise<void> {
  const statements = [
    "set local work_mem = '256MB'",
    `insert into member_activity_days (member_id, day)
     select id, date '2025-12-31' - (random() * 60)::int from members cross join generate_series(1, 2) on conflict do nothing`,
    `insert into referrals (id, member_id, referrer_id, code, status, rejection_reason, created_at, qualified_at, rejected_at)
     select gen_random_uuid(), m.id, r.id, r.referral_code, s.status,
            case when s.status = 'REJECTED' then 'DUPLICATE_DEVICE' end, m.joined_at,
            case when s.status = 'QUALIFIED' then m.joined_at + interval '20 days' end,
            case when s.status = 'REJECTED' then m.joined_at end
     from members m
     join members r on r.external_id = 'm' || (1 + abs(hashtext(m.external_id)) % 1000)
     cross join lateral (select case when x < 0.6 then 'QUALIFIED' when x < 0.9 then 'PENDING' else 'REJECTED' end as status from (select random() as x) x) s
     where m.joined_at >= '2025-01-01' and abs(hashtext(m.external_id || 'r')) % 10 = 0 and r.id <> m.id`,
    `insert into ltv_runs (id, as_of, status, fitted_on, members_scored, started_at, finished_at)
     values ('00000000-0000-7000-8000-000000000001', '2026-01-01', 'SUCCEEDED', 0, 0, now(), now())`,
    `insert into member_ltv (member_id, tier, churn_risk, probability_alive, expected_purchases_12m, expected_order_value_minor,
                             expected_lifespan_weeks, predicted_12m_minor, historical_minor, formula_ltv_minor, acquisition_cost_minor,
                             ltv_to_cac, frequency, recency_weeks, age_weeks, order_count, run_id, computed_at)
     select m.id, 'MEDIUM', 'LOW', 0.8, 2, coalesce(s.aov, 0), 100, coalesce(s.aov, 0) * 2, coalesce(s.total, 0),
            case when s.orders is null then null else s.aov * 4 - coalesce(m.acquisition_cost_minor, 0) end,
            m.acquisition_cost_minor, null, coalesce(s.orders, 0), 1, 10, coalesce(s.orders, 0),
            '00000000-0000-7000-8000-000000000001', now()
     from members m
     left join (select member_id, count(*) as orders, sum(base_amount_minor) as total, (sum(base_amount_minor) / count(*))::bigint as aov
                from orders group by member_id) s on s.member_id = m.id`,
  ];
  await em.transactional(async (tx) => {
    for (const sql of statements) await tx.execute(sql);
  });
  for (const table of ['member_activity_days', 'referrals', 'member_ltv', 'growth_members', 'growth_member_months']) await em.execute(`vacuum analyze ${table}`);
}

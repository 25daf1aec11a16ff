/**
 * npm run bench -- ltv [--members 100000,1000000]
 * For each size N: a fresh database with a synthetic programme of N members and about 10N orders, generated in
 * SQL (generate_series), then the full LTV run (RFM, fits, scoring, scores and tiers written back) timed against
 * one plain SQL aggregate pass over the same orders, with the LTV run's peak memory (RSS and heap of this
 * process, sampled). Target: LTV / aggregate <= 2, memory flat in N. Needs DATABASE_URL (skips otherwise).
 */
import { loadConfig } from '../src/config/config';
import { migrateToLatest, openDatabase } from '../src/db/database';
import { runLtv } from '../src/modules/ltv/ltv-run';
import { Bench, formatTable, machineFacts, round, withBenchDatabase } from './harness';

const DEFAULT_SIZES = [100_000];
const ORDERS_PER_MEMBER = 10;
/** The plain aggregate pass the LTV run is measured against. */
export const AGGREGATE_SQL = 'select member_id, count(*), sum(base_amount_minor), min(placed_at), max(placed_at) from orders group by 1';

export const ltvBench: Bench = {
  name: 'ltv',
  description: 'full LTV run (RFM, fit, scoring, write-back) against one plain SQL aggregate pass over the same orders (needs DATABASE_URL)',
  async run() {
    if (!process.env.DATABASE_URL) {
      console.log('skipped: set DATABASE_URL to a PostgreSQL server (the bench creates and drops its own database there)');
      return true;
    }
    const sizes = memberSizes(process.argv.slice(2));
    const results: string[][] = [];
    let valid = true;
    for (const members of sizes) {
      const result = await withBenchDatabase((url) => measure(url!, members));
      valid &&= result.valid;
      results.push([
        String(members),
        String(result.orders),
        String(round(result.aggregateSeconds)),
        String(round(result.ltvSeconds)),
        String(round(result.ltvSeconds / result.aggregateSeconds)),
        String(round(result.peakRssMiB, 0)),
        String(round(result.peakHeapMiB, 0)),
        String(round(result.generateSeconds, 0)),
      ]);
    }
    console.log(formatTable(['members', 'orders', 'aggregate s', 'LTV run s', 'ratio', 'peak RSS MiB', 'peak heap MiB', 'data gen s'], results));
    console.log(JSON.stringify({ bench: 'ltv', machine: machineFacts(), target: 'ratio <= 2, memory flat in members' }));
    return valid;
  },
};

/** `--members 100000,1000000` (or `--members=...`); the default is 100k. */
export function memberSizes(args: string[]): number[] {
  const index = args.findIndex((arg) => arg === '--members' || arg.startsWith('--members='));
  if (index < 0) return DEFAULT_SIZES;
  const text = args[index].includes('=') ? args[index].split('=')[1] : args[index + 1];
  const sizes = (text ?? '').split(',').map(Number);
  if (sizes.length === 0 || sizes.some((size) => !Number.isInteger(size) || size < 100)) throw new Error(`--members needs whole numbers of at least 100, such as 100000,1000000; got "${text}"`);
  return sizes;
}

interface Measurement {
  orders: number;
  generateSeconds: number;
  aggregateSeconds: number;
  ltvSeconds: number;
  peakRssMiB: number;
  peakHeapMiB: number;
  valid: boolean;
}

async function measure(databaseUrl: string, members: number): Promise<Measurement> {
  const config = loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl, JWT_SECRET: 'bench-secret-0123456789-0123456789-abc' });
  const database = await openDatabase({ databaseUrl, dataDir: '.data', poolSize: 2 });
  try {
    await migrateToLatest(database.orm);
    const em = database.orm.em.fork();
    const generateStart = performance.now();
    await generateProgramme(em, members);
    const generateSeconds = (performance.now() - generateStart) / 1000;
    const [{ count: orders }] = await em.execute<{ count: string }[]>('select count(*) from orders');
    await em.execute(`select count(*), sum(base_amount_minor) from orders`); // warm the cache for both runs

    const asOf = new Date('2026-01-01T00:00:00Z');
    global.gc?.();
    const memory = sampleMemory();
    const ltvStart = performance.now();
    const phases: string[] = [];
    let phaseStart = performance.now();
    const onPhase = (phase: string, detail?: string) => {
      const now = performance.now();
      phases.push(`${phase} ${round((now - phaseStart) / 1000)} s${detail ? ` (${detail})` : ''}`);
      phaseStart = now;
    };
    const run = await runLtv(database.orm.em.fork(), { asOf, baseCurrency: config.baseCurrency, settings: config.ltv, waitForLock: false, onPhase });
    const ltvSeconds = (performance.now() - ltvStart) / 1000;
    const peak = memory.stop();

    const aggregateStart = performance.now();
    const rows = await em.execute<unknown[]>(AGGREGATE_SQL);
    const aggregateSeconds = (performance.now() - aggregateStart) / 1000;

    const [{ scored, tiers }] = await em.execute<{ scored: string; tiers: string }[]>(
      "select count(*) as scored, count(distinct tier) as tiers from member_ltv where tier <> 'NEW'",
    );
    const valid = run !== null && run.membersScored === members && Number(scored) === rows.length && Number(tiers) === 4;
    if (!valid) console.error('invalid LTV run:', { run, scored, tiers, aggregateRows: rows.length });
    else console.log(`N=${members}: ${phases.join(', ')}; fitted`, run.params, `on ${run.fittedOn} members`);
    return { orders: Number(orders), generateSeconds, aggregateSeconds, ltvSeconds, peakRssMiB: peak.rss, peakHeapMiB: peak.heap, valid };
  } finally {
    await database.close();
  }
}

/** Samples this process's RSS and heap every 20 ms until stopped; returns the peaks in MiB. */
function sampleMemory() {
  let rss = 0;
  let heap = 0;
  const sample = () => {
    const usage = process.memoryUsage();
    rss = Math.max(rss, usage.rss);
    heap = Math.max(heap, usage.heapUsed);
  };
  sample();
  const timer = setInterval(sample, 20);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { rss: rss / 2 ** 20, heap: heap / 2 ** 20 };
    },
  };
}

/**
 * N members joined over two years before 2026-01-01 (a third with an acquisition cost, some in EUR), and about
 * 10N orders, generated set-based: each member has its own purchase rate (a heavy-tailed mixture), its own
 * lifetime (exponential, with a mean of its own) and its own spend level (order values Gamma(3) around a mean that is
 * 12000 / Gamma(4): the Gamma-Gamma model's shape, with p = 3 and q = 4). Its first order is on the day it joined,
 * the others fall uniformly within its active window (a Poisson process given its count); a tenth of the orders
 * are in EUR, 3% half refunded. Indexes are dropped during the load and rebuilt after.
 */
export async function generateProgramme(em: ReturnType<Awaited<ReturnType<typeof openDatabase>>['orm']['em']['fork']>, members: number): Promise<void> {
  // The member-history index is rebuilt after the load exactly as the migrations define it
  const [{ indexdef }] = await em.execute<{ indexdef: string }[]>("select indexdef from pg_indexes where indexname = 'orders_member_id_placed_at_index'");
  const statements = [
    "set local work_mem = '256MB'",
    // The LTV summaries' insert trigger looks each new order's day up in the member-history index, which the load
    // drops: the summaries are built once the index is back instead, by the migration's own backfill (below).
    'alter table orders disable trigger ltv_rfm_orders_inserted',
    "insert into exchange_rates (currency, rate, effective_at, created_at) values ('EUR', '0.9', '2020-01-01', now())",
    'alter table orders drop constraint orders_external_id_unique',
    'drop index orders_member_id_placed_at_index',
    `create temporary table bench_members on commit drop as
     select i, md5('m' || i)::uuid as id, (i % 700) as join_day,
            least(200000, 12000 / (-ln(random()) - ln(random()) - ln(random()) - ln(random()))) as spend,
            least(730 - (i % 700), -ln(random()) * (20 + 700 * random())) as window_days,
            -ln(random()) * (case when random() < 0.2 then 0.12 else 0.03 end) as rate_per_day
     from generate_series(1, ${members}) i`,
    `insert into members (id, external_id, email, country, locale, status, joined_at, created_at, enrollment_hash,
                          acquisition_channel, acquisition_cost_minor, acquisition_cost_currency, referral_code)
     select id, 'm' || i, 'm' || i || '@bench.example', 'US', 'en-US', 'ACTIVE',
            timestamptz '2024-01-01' + join_day * interval '1 day', now(), 'bench',
            case when i % 3 = 0 then 'ads' end,
            case when i % 3 = 0 then 1000 + (i % 5000) end,
            case when i % 3 = 0 then (case when i % 2 = 0 then 'EUR' else 'USD' end) end,
            'LTVBENCH' || i
     from bench_members`,
    `insert into orders (id, member_id, external_id, amount_minor, currency, base_amount_minor, base_currency, fx_rate, placed_at,
                         refunded_minor, status, points_earned, request_hash, created_at)
     select gen_random_uuid(), id, 'o' || i || '-' || k, amount,
            case when eur then 'EUR' else 'USD' end,
            case when eur then (amount / 0.9)::bigint else amount end,
            'USD', case when eur then '0.9' else '1' end,
            timestamptz '2024-01-01' + (join_day + case when k = 1 then 0.3 else random() * window_days end) * interval '1 day',
            case when refunded then amount / 2 else 0 end,
            case when refunded then 'PARTIALLY_REFUNDED' else 'PAID' end, 0, 'bench', now()
     from (
       select m.i, m.id, m.join_day, m.window_days, k,
              greatest(1, m.spend * (-ln(random()) - ln(random()) - ln(random())) / 3)::bigint as amount,
              random() < 0.1 as eur, random() < 0.03 as refunded
       from bench_members m
       cross join lateral generate_series(1, 1 + floor(m.rate_per_day * m.window_days * (0.5 + random()))::int) k
     ) o`,
    'alter table orders add constraint orders_external_id_unique unique (external_id)',
    indexdef,
    'insert into ltv_member_rfm select * from ltv_member_rfm_recount',
    'alter table orders enable trigger ltv_rfm_orders_inserted',
  ];
  await em.transactional(async (tx) => {
    for (const sql of statements) await tx.execute(sql);
  });
  await em.execute('vacuum analyze orders');
  await em.execute('vacuum analyze members');
  await em.execute('vacuum analyze ltv_member_rfm');
}

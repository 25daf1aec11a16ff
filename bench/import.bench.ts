/**
 * npm run bench -- import [--orders 1000000]
 * A fresh database with the default tier ladder, an EUR rate and a few campaign rules; a members.csv (one member per
 * ten orders) and an orders.csv of synthetic history over three years (a fifth in EUR, one in twenty refunded in part
 * or in full, some recent enough to be pending), generated first and not timed. Then the import as `npm run import`
 * runs it (HistoryImportService, earning on), timed per phase, against a plain COPY of the same orders.csv into a
 * bare table without indexes in the same run, then the apply's steps summed over its chunks. Target: at least 20,000
 * orders/s over the orders file (reading, validating, staging and applying). BENCH_IMPORT_CHUNK_ORDERS: orders per chunk
 * (default the import's). BENCH_IMPORT_CONNECTIONS: chunks applied
 * at once (default the import's 2). Needs DATABASE_URL (skips otherwise).
 */
import { createWriteStream, mkdtempSync, rmSync, statSync, createReadStream } from 'node:fs';
import { once } from 'node:events';
import { tmpdir, loadavg } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { loadConfig } from '../src/config/config';
import { migrateToLatest, openDatabase } from '../src/db/database';
import { HistoryImportService } from '../src/modules/import/history-import.service';
import { createServices } from '../src/app/container';
import { systemScope } from '../src/graphql/context';
import { DAY_MS } from '../src/time';
import { Bench, formatTable, machineFacts, round, withBenchDatabase } from './harness';

const DEFAULT_ORDERS = 1_000_000;
const ORDERS_PER_MEMBER = 10;
const TARGET_ORDERS_PER_SECOND = 20_000;

export const importBench: Bench = {
  name: 'import',
  description: 'npm run import of 1M orders (earning on): orders/s and phase timings against a plain COPY of the same rows into a bare table (needs DATABASE_URL)',
  async run() {
    if (!process.env.DATABASE_URL) {
      console.log('skipped: set DATABASE_URL to a PostgreSQL server (the bench creates and drops its own database there)');
      return true;
    }
    const orders = orderCount(process.argv.slice(2));
    const result = await withBenchDatabase((url) => measure(url!, orders));
    console.log(
      formatTable(
        ['orders', 'members', 'members s', 'read+stage s', 'apply s', 'orders s', 'orders/s', 'plain COPY s', 'ratio', 'transfers', 'tier changes'],
        [[
          String(orders), String(result.members), String(round(result.membersSeconds)), String(round(result.stageSeconds)), String(round(result.applySeconds)),
          String(round(result.ordersSeconds)), String(Math.round(orders / result.ordersSeconds)), String(round(result.copySeconds)),
          String(round(result.ordersSeconds / result.copySeconds, 1)), String(result.transfers), String(result.tierChanges),
        ]],
      ),
    );
    console.log(JSON.stringify({
      bench: 'import', machine: machineFacts(), stagedWith: result.stagedWith, csvMiB: round(result.csvBytes / 2 ** 20, 1),
      load: loadavg().map((value) => round(value)), target: `>= ${TARGET_ORDERS_PER_SECOND} orders/s`,
      met: orders / result.ordersSeconds >= TARGET_ORDERS_PER_SECOND,
      chunkingSeconds: round(result.chunkingSeconds),
      // Summed over chunks: two run at once, so these add up to more than the apply's seconds.
      applyStepSeconds: Object.fromEntries(Object.entries(result.applyPhases).map(([name, ms]) => [name, round(ms / 1000)])),
    }));
    return result.valid;
  },
};

/** `--orders 1000000` (or `--orders=...`). */
export function orderCount(args: string[]): number {
  const index = args.findIndex((arg) => arg === '--orders' || arg.startsWith('--orders='));
  if (index < 0) return DEFAULT_ORDERS;
  const text = args[index].includes('=') ? args[index].split('=')[1] : args[index + 1];
  const orders = Number(text);
  if (!Number.isInteger(orders) || orders < 1000) throw new Error(`--orders needs a whole number of at least 1000, such as 1000000; got "${text}"`);
  return orders;
}

interface Measurement {
  members: number;
  membersSeconds: number;
  stageSeconds: number;
  applySeconds: number;
  ordersSeconds: number;
  copySeconds: number;
  chunkingSeconds: number;
  applyPhases: Record<string, number>;
  stagedWith: string | undefined;
  csvBytes: number;
  transfers: number;
  tierChanges: number;
  valid: boolean;
}

/** A small deterministic generator (the history is the same on every run). */
function lcg(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

async function writeLines(path: string, header: string, count: number, line: (index: number) => string): Promise<void> {
  const out = createWriteStream(path);
  out.write(`${header}\n`);
  let buffer = '';
  for (let index = 0; index < count; index++) {
    buffer += `${line(index)}\n`;
    if (buffer.length > 1 << 16) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
}

async function generateFiles(folder: string, orders: number, now: Date): Promise<{ members: number; membersPath: string; ordersPath: string }> {
  const members = Math.max(1, Math.floor(orders / ORDERS_PER_MEMBER));
  const random = lcg(20261204);
  const countries = ['US', 'DE', 'FR', 'GB', 'JP'];
  const membersPath = join(folder, 'members.csv');
  const ordersPath = join(folder, 'orders.csv');
  const start = now.getTime() - 3 * 365 * DAY_MS;
  await writeLines(membersPath, 'external_id,email,country,joined_at', members, (index) =>
    `bm-${index},bm-${index}@example.com,${countries[index % countries.length]},${new Date(start - DAY_MS).toISOString()}`);
  await writeLines(ordersPath, 'external_id,member_external_id,amount,currency,placed_at,refunded_amount', orders, (index) => {
    const member = Math.floor(random() * members);
    const cents = 500 + Math.floor(random() * random() * 60_000);
    const amount = (cents / 100).toFixed(2);
    const currency = random() < 0.2 ? 'EUR' : 'USD';
    const placedAt = new Date(start + Math.floor(random() * (now.getTime() - start - 3_600_000)));
    const refund = random();
    const refunded = refund < 0.03 ? amount : refund < 0.05 ? (Math.max(1, Math.floor(cents * random())) / 100).toFixed(2) : '';
    return `bo-${index},bm-${member},${amount},${currency},${placedAt.toISOString()},${refunded}`;
  });
  return { members, membersPath, ordersPath };
}

async function measure(databaseUrl: string, orders: number): Promise<Measurement> {
  const config = loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'silent', DATABASE_URL: databaseUrl, JWT_SECRET: 'bench-secret-0123456789-0123456789-abc' });
  const database = await openDatabase({ databaseUrl, dataDir: '.data', poolSize: 4 });
  const folder = mkdtempSync(join(tmpdir(), 'perkgraph-import-bench-'));
  try {
    await migrateToLatest(database.orm);
    const em = database.orm.em.fork();
    const now = new Date();
    await em.execute(`insert into exchange_rates (currency, rate, effective_at, created_at) values ('EUR', '0.92', '2000-01-01T00:00:00Z', now())`);
    const { earningRules } = createServices();
    const system = () => systemScope(em.fork(), 'bench', config);
    await earningRules.create(system(), { code: 'WELCOME', name: 'First order', firstOrderOnly: true, bonusPoints: 100 });
    await earningRules.create(system(), { code: 'DOUBLE_DE', name: 'Double in Germany', markets: ['DE'], multiplier: '2', firstOrderOnly: false });
    await earningRules.create(system(), { code: 'BIG', name: 'Big baskets', minOrder: { amount: '300.00', currency: config.baseCurrency }, bonusPoints: 25, firstOrderOnly: false });
    console.log(`generating ${orders} orders...`);
    const files = await generateFiles(folder, orders, now);

    // BENCH_IMPORT_CONNECTIONS: chunks applied at once (default the import's own, 2).
    const applyConnections = process.env.BENCH_IMPORT_CONNECTIONS ? Number(process.env.BENCH_IMPORT_CONNECTIONS) : undefined;
    // BENCH_IMPORT_CHUNK_ORDERS: staged orders per chunk (default the import's own).
    const chunkOrders = process.env.BENCH_IMPORT_CHUNK_ORDERS ? Number(process.env.BENCH_IMPORT_CHUNK_ORDERS) : undefined;
    const service = new HistoryImportService(database.orm.em.fork(), config, { now, applyConnections, chunkOrders });
    let started = performance.now();
    const membersReport = await service.importMembers(files.membersPath);
    const membersSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    const ordersReport = await service.importOrders(files.ordersPath);
    const ordersSeconds = (performance.now() - started) / 1000;

    // The baseline: the same file, COPYed as it is into a table without indexes or checks.
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    let copySeconds: number;
    try {
      await client.query('create unlogged table bare_orders (external_id text, member_external_id text, amount numeric, currency text, placed_at timestamptz, refunded_amount numeric)');
      started = performance.now();
      await pipeline(createReadStream(files.ordersPath), client.query(copyFrom('copy bare_orders from stdin with (format csv, header true)')));
      copySeconds = (performance.now() - started) / 1000;
    } finally {
      await client.end();
    }
    const [{ transfers }] = await em.execute<{ transfers: number }[]>('select count(*)::int as transfers from points_transfers');
    const valid = membersReport.inserted === files.members && ordersReport.inserted === orders && ordersReport.rejected === 0;
    if (!valid) console.log('invalid run:', JSON.stringify({ members: membersReport, orders: ordersReport, rejections: service.result.rejections.slice(0, 5) }));
    return {
      members: files.members, membersSeconds, ordersSeconds, copySeconds,
      chunkingSeconds: (service.timings.chunkingMs ?? 0) / 1000, applyPhases: service.timings.applyPhasesMs ?? {},
      stageSeconds: (service.timings.stageMs ?? 0) / 1000, applySeconds: (service.timings.applyMs ?? 0) / 1000, stagedWith: service.timings.stagedWith,
      csvBytes: statSync(files.ordersPath).size, transfers, tierChanges: service.result.tierChanges, valid,
    };
  } finally {
    rmSync(folder, { recursive: true, force: true });
    await database.close();
  }
}

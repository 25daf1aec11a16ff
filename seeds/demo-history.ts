import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../src/config/config';
import { minorUnitDigits } from '../src/money/currency';
import { formatMoney } from '../src/money/money';
import { HistoryImportService } from '../src/modules/import/history-import.service';
import { floatPrng } from '../src/modules/ltv/btyd/random-variates';
import { DAY_MS } from '../src/time';
import { DEMO_RATES } from './demo-orders';

/*
 * The demo programme's purchase history for the LTV models: a thousand members who joined over the last two
 * years, simulated from the models' own shape (BG/NBD purchases and dropout, Gamma-Gamma order values) with a fixed
 * seed, plus a dozen big spenders who went quiet months ago (the churn early warning's members at risk). Loaded in
 * bulk through the history import as history only (`earn: false`: these orders earn no points), so the first LTV run, right after the seed,
 * fits on a real-looking population: members in every LTV tier and churn risk.
 */

export const DEMO_HISTORY_MEMBERS = 1000;
export const DEMO_QUIET_SPENDERS = 12;

/** The simulation (weeks, USD): lambda ~ Gamma(r, alpha), dropout p ~ Beta(a, b), order value ~ Gamma(p, nu), nu ~ Gamma(q, v). */
const MODEL = { r: 0.9, alpha: 6, a: 0.9, b: 3, p: 5, q: 4, v: 36 };
const WEEK_MS = 7 * DAY_MS;

interface HistoryMarket { country: string; locale: string; currency: string; share: number }

const HISTORY_MARKETS: HistoryMarket[] = [
  { country: 'US', locale: 'en-US', currency: 'USD', share: 0.5 },
  { country: 'DE', locale: 'de-DE', currency: 'EUR', share: 0.2 },
  { country: 'JP', locale: 'ja-JP', currency: 'JPY', share: 0.15 },
  { country: 'BR', locale: 'pt-BR', currency: 'BRL', share: 0.15 },
];
const CHANNELS = ['organic', 'google_ads', 'tiktok', 'instagram', 'organic'] as const;

export interface HistoryMember {
  externalId: string;
  email: string;
  country: string;
  locale: string;
  channel: string;
  /** What a paid sign-up cost, in the market's currency (about 30 to 50 USD); null when organic. */
  acquisitionCost: string | null;
  currency: string;
  joinedAt: Date;
}
export interface HistoryOrder { externalId: string; memberExternalId: string; amount: string; currency: string; placedAt: Date }

/** A USD amount in the market's currency at the demo rate, on the currency's usual step (whole yen, 5 cents). */
function localAmount(usd: number, currency: string): string {
  const digits = minorUnitDigits(currency)!;
  const step = currency === 'JPY' ? 10 : 5;
  const minor = Math.max(step, Math.round((usd * Number(DEMO_RATES[currency]) * 10 ** digits) / step) * step);
  return formatMoney({ minor: BigInt(minor), currency });
}

/**
 * The history as of `now`: members joined 1 to 104 weeks before today (UTC midnight); about three in four order
 * (most within a week of joining), then buy at their own rate until they lapse; orders up to yesterday.
 */
export function demoHistoryPlan(now: Date): { members: HistoryMember[]; orders: HistoryOrder[] } {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  const random = floatPrng(20250101);
  const members: HistoryMember[] = [];
  const orders: HistoryOrder[] = [];
  const add = (index: number, joinedAt: number, market: HistoryMarket) => {
    const number = String(index + 1).padStart(4, '0');
    const member = {
      externalId: `demo-h-${number}`,
      email: `buyer${number}.${market.country.toLowerCase()}@demo.perkgraph.dev`,
      country: market.country,
      locale: market.locale,
      channel: CHANNELS[index % CHANNELS.length],
      acquisitionCost: CHANNELS[index % CHANNELS.length] === 'organic' ? null : localAmount(30 + (index % 21), market.currency),
      currency: market.currency,
      joinedAt: new Date(joinedAt),
    };
    members.push(member);
    return member;
  };
  const order = (member: HistoryMember, n: number, at: number, usd: number, market: HistoryMarket) =>
    orders.push({ externalId: `${member.externalId}-o${n + 1}`, memberExternalId: member.externalId, amount: localAmount(usd, market.currency), currency: market.currency, placedAt: new Date(at) });

  for (let index = 0; index < DEMO_HISTORY_MEMBERS; index += 1) {
    let pick = random.uniform();
    const market = HISTORY_MARKETS.find((candidate) => (pick -= candidate.share) < 0) ?? HISTORY_MARKETS[0];
    const joinedAt = today - Math.floor(7 + random.uniform() * 721) * DAY_MS + Math.floor(random.uniform() * 12) * 3_600_000;
    const member = add(index, joinedAt, market);
    const rate = random.gamma(MODEL.r, MODEL.alpha);
    const dropout = random.beta(MODEL.a, MODEL.b);
    const spendRate = random.gamma(MODEL.q, MODEL.v);
    const starts = random.uniform();
    if (starts >= 0.75) continue; // never ordered
    let at = joinedAt + (starts < 0.55 ? random.uniform() * 6 : 7 + random.uniform() * 80) * DAY_MS;
    for (let n = 0; at < today - DAY_MS / 2; n += 1) {
      order(member, n, at, Math.max(3, random.gamma(MODEL.p, spendRate)), market);
      if (n > 0 && random.uniform() < dropout) break;
      at += Math.max(DAY_MS, random.exponential(rate) * WEEK_MS);
    }
  }
  // Big spenders gone quiet: seven to nine orders of 400 to 700 USD about a month apart, the last one 16 to 24
  // weeks ago. The models still value them highly, but doubt they are still there.
  for (let quiet = 0; quiet < DEMO_QUIET_SPENDERS; quiet += 1) {
    const market = HISTORY_MARKETS[quiet % HISTORY_MARKETS.length];
    const count = 7 + (quiet % 3);
    const last = today - (16 + (quiet % 9)) * WEEK_MS - (quiet % 5) * DAY_MS;
    const first = last - (count - 1) * 4 * WEEK_MS;
    const member = add(DEMO_HISTORY_MEMBERS + quiet, first - 2 * DAY_MS, market);
    for (let n = 0; n < count; n += 1) order(member, n, first + n * 4 * WEEK_MS + (n % 3) * DAY_MS + 14 * 3_600_000, 400 + random.uniform() * 300, market);
  }
  return { members, orders };
}

/**
 * Imports the history (idempotent: skipped when any history member exists, so a run on a later day adds
 * nothing). Its orders are in the demo currencies: a base currency the demo rates cannot reach gets none.
 */
export async function seedDemoHistory(em: EntityManager, now: Date, config: Config): Promise<void> {
  const { baseCurrency } = config;
  if (!DEMO_RATES[baseCurrency]) return;
  const [{ seeded }] = await em.execute<{ seeded: boolean }[]>("select exists (select 1 from members where external_id like 'demo-h-%') as seeded");
  if (seeded) return;
  const { members, orders } = demoHistoryPlan(now);
  const folder = mkdtempSync(join(tmpdir(), 'perkgraph-demo-history-'));
  try {
    const membersPath = join(folder, 'members.csv');
    const ordersPath = join(folder, 'orders.csv');
    writeFileSync(
      membersPath,
      ['external_id,email,country,locale,birthday,acquisition_channel,acquisition_cost,acquisition_cost_currency,joined_at',
        ...members.map((m) => `${m.externalId},${m.email},${m.country},${m.locale},,${m.channel},${m.acquisitionCost ?? ''},${m.acquisitionCost ? m.currency : ''},${m.joinedAt.toISOString()}`)].join('\n'),
    );
    writeFileSync(
      ordersPath,
      ['external_id,member_external_id,amount,currency,placed_at,refunded_amount',
        ...orders.map((o) => `${o.externalId},${o.memberExternalId},${o.amount},${o.currency},${o.placedAt.toISOString()},`)].join('\n'),
    );
    const report = await new HistoryImportService(em, config, { batchSize: 2000, now, earn: false }).importFiles(membersPath, ordersPath);
    if (report.members.rejected + report.orders.rejected > 0) {
      throw new Error(`the demo history was refused in part: ${JSON.stringify(report.rejections.slice(0, 5))}`);
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

import type { EntityManager } from '@mikro-orm/postgresql';
import type { Services } from '../src/app/container';
import { createRequestContext, systemScope } from '../src/graphql/context';
import { minorUnitDigits } from '../src/money/currency';
import { formatMoney } from '../src/money/money';
import type { EnrollmentInput } from '../src/modules/members/member.validation';
import { DAY_MS } from '../src/time';
import { DEMO_RATES, mix, PlannedOrder } from './demo-orders';

/*
 * The long tail of the demo programme, so that the growth metrics look like a real programme's: the 24 core
 * demo members (demo.seeder.ts) all order early and often, while real sign-ups often never order, order once,
 * come back once, or lapse. Forty-eight lighter members over the last ~14 months, with at most two small orders
 * each (a few of them big ones), all placed 20 to 330 days ago: past the return window
 * (nothing pending) and inside the 12 months before points expire (nothing expires). Deterministic, no Math.random.
 */

export const DEMO_GROWTH_MEMBERS = 48;

interface TailMarket {
  country: string;
  locale: string;
  currency: string;
  /** A typical order, in minor units. */
  orderMinor: bigint;
  /** What a paid sign-up costs there, in minor units. */
  paidCostMinor: bigint;
}

// The US (the home market) is a third of the tail; the rest spreads over the demo markets.
const TAIL_MARKETS: TailMarket[] = [
  { country: 'US', locale: 'en-US', currency: 'USD', orderMinor: 3800n, paidCostMinor: 3900n },
  { country: 'DE', locale: 'de-DE', currency: 'EUR', orderMinor: 3400n, paidCostMinor: 3500n },
  { country: 'US', locale: 'en-US', currency: 'USD', orderMinor: 4500n, paidCostMinor: 4400n },
  { country: 'ID', locale: 'id-ID', currency: 'IDR', orderMinor: 52_000_000n, paidCostMinor: 21_000_000n },
  { country: 'MY', locale: 'ms-MY', currency: 'MYR', orderMinor: 16000n, paidCostMinor: 8000n },
  { country: 'US', locale: 'en-US', currency: 'USD', orderMinor: 2900n, paidCostMinor: 3600n },
  { country: 'BR', locale: 'pt-BR', currency: 'BRL', orderMinor: 19000n, paidCostMinor: 16000n },
  { country: 'JP', locale: 'ja-JP', currency: 'JPY', orderMinor: 5200n, paidCostMinor: 4800n },
  { country: 'SA', locale: 'ar-SA', currency: 'SAR', orderMinor: 14000n, paidCostMinor: 12000n },
];

const TAIL_CHANNELS = ['organic', 'google_ads', 'tiktok', 'instagram', 'organic', 'tiktok'] as const;

function tailMarket(index: number): TailMarket {
  return TAIL_MARKETS[index % TAIL_MARKETS.length];
}

/** The tail members, joined 25 to 424 days before today (UTC midnight), at a few hours past midnight. */
export function demoGrowthMembers(now: Date = new Date()): EnrollmentInput[] {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  return Array.from({ length: DEMO_GROWTH_MEMBERS }, (_, index) => {
    const market = tailMarket(index);
    const channel = TAIL_CHANNELS[index % TAIL_CHANNELS.length];
    const paid = channel !== 'organic';
    const number = String(index + 1).padStart(2, '0');
    return {
      externalId: `demo-g-${number}`,
      email: `shopper${number}.${market.country.toLowerCase()}@demo.perkgraph.dev`,
      country: market.country,
      locale: market.locale,
      acquisitionChannel: channel,
      acquisitionCost: paid ? { amount: formatMoney({ minor: market.paidCostMinor, currency: market.currency }), currency: market.currency } : null,
      joinedAt: new Date(today - (25 + (mix(index, 11) % 400)) * DAY_MS + (mix(index, 12) % 20) * 3_600_000),
    };
  });
}

/**
 * Their orders. By position: a third never order; the rest order once soon after joining, once a few weeks
 * later, or twice (a second order one to three months on). Orders outside 20 to 330 days ago are left out.
 */
export function demoGrowthOrders(members: EnrollmentInput[], now: Date = new Date()): PlannedOrder[] {
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS;
  const orders: PlannedOrder[] = [];
  members.forEach((member, index) => {
    const joined = member.joinedAt!.getTime();
    const behaviour = index % 6;
    const offsets =
      behaviour <= 1 ? [] : behaviour === 2 ? [1 + (mix(index, 21) % 6)] : behaviour === 3 ? [12 + (mix(index, 22) % 30)] : [mix(index, 23) % 4, 40 + (mix(index, 24) % 60)];
    const market = tailMarket(index);
    const digits = minorUnitDigits(market.currency)!;
    // 0.75 to 1.25 times the typical order, kept to the currency's usual step (whole yen and rupiah thousands).
    const step = market.currency === 'IDR' ? 100_000n : market.currency === 'JPY' ? 10n : digits > 0 ? 5n : 1n;
    offsets.forEach((days, position) => {
      const placedAt = joined + days * DAY_MS + 2 * 3_600_000;
      if (placedAt > today - 20 * DAY_MS || placedAt < today - 330 * DAY_MS) return;
      // Every twelfth member's second order is a big one (40 times the typical order): the programme's few high-value members.
      const big = index % 12 === 4 && position === 1 ? 40n : 1n;
      const minor = ((market.orderMinor * big * BigInt(75 + (mix(index, 30 + position) % 51))) / 100n / step) * step;
      orders.push({
        memberExternalId: member.externalId,
        externalId: `${member.externalId}-o${position + 1}`,
        amount: { amount: formatMoney({ minor, currency: market.currency }), currency: market.currency },
        placedAt: new Date(placedAt),
      });
    });
  });
  return orders;
}

/**
 * Enrols the tail members and records their orders through the services. Members that exist are skipped with
 * their orders: a run on a later day plans other dates, and must not add orders to members seeded before.
 */
export async function seedDemoGrowth(em: EntityManager, now: Date, services: Services): Promise<EnrollmentInput[]> {
  const members = demoGrowthMembers(now);
  const system = createRequestContext(systemScope(em, 'seed'), services);
  const existing = new Set((await em.execute<{ external_id: string }[]>("select external_id from members where external_id like 'demo-g-%'")).map((row) => row.external_id));
  const enrolled = new Map<string, string>();
  for (const member of members) {
    if (!existing.has(member.externalId)) enrolled.set(member.externalId, (await system.members.enroll(system, member)).id);
  }
  // Orders are in the demo currencies: a base currency the demo rate table cannot reach gets the members only.
  if (!DEMO_RATES[system.config.baseCurrency]) return members;
  for (const order of demoGrowthOrders(members, now)) {
    const memberId = enrolled.get(order.memberExternalId);
    if (memberId) await system.orders.record(system, { memberId, externalId: order.externalId, amount: order.amount, placedAt: order.placedAt });
  }
  return members;
}

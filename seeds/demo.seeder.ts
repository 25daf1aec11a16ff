import type { EntityManager } from '@mikro-orm/postgresql';
import { Seeder } from '@mikro-orm/seeder';
import { createServices, Services } from '../src/app/container';
import type { EnrollmentInput } from '../src/modules/members/member.validation';
import { createRequestContext, systemScope } from '../src/graphql/context';
import { seedDemoLedger } from './demo-orders';
import { seedDemoActivity } from './demo-activity';
import { seedDemoGrowth } from './demo-growth';
import { seedDemoHistory } from './demo-history';
import { seedDemoRewardsAndReferrals } from './demo-rewards';

interface Market {
  country: string;
  locale: string;
  currency: string;
  /** What a paid acquisition typically costs there, in the local currency. */
  paidCost: string;
  names: string[];
}

const MARKETS: Market[] = [
  { country: 'US', locale: 'en-US', currency: 'USD', paidCost: '42.50', names: ['avery', 'jordan', 'casey', 'riley'] },
  { country: 'DE', locale: 'de-DE', currency: 'EUR', paidCost: '38.00', names: ['lena', 'jonas', 'mia'] },
  { country: 'ID', locale: 'id-ID', currency: 'IDR', paidCost: '250000.00', names: ['siti', 'budi', 'dewi', 'agus'] },
  { country: 'MY', locale: 'ms-MY', currency: 'MYR', paidCost: '95.00', names: ['aisyah', 'hafiz', 'mei'] },
  { country: 'SA', locale: 'ar-SA', currency: 'SAR', paidCost: '150.00', names: ['fatimah', 'omar', 'noura'] },
  { country: 'BR', locale: 'pt-BR', currency: 'BRL', paidCost: '180.00', names: ['ana', 'lucas', 'beatriz'] },
  { country: 'JP', locale: 'ja-JP', currency: 'JPY', paidCost: '5200', names: ['yui', 'haruto', 'sakura'] },
  { country: 'KW', locale: 'ar-KW', currency: 'KWD', paidCost: '12.500', names: ['yousef'] },
];

const CHANNELS = ['organic', 'google_ads', 'tiktok', 'instagram', 'referral'] as const;
const DAY_MS = 24 * 60 * 60 * 1000;

/** The demo programme's members: deterministic, spread over markets, channels and the past two years. */
export function demoMembers(now: Date = new Date()): EnrollmentInput[] {
  const members: EnrollmentInput[] = [];
  let index = 0;
  for (const market of MARKETS) {
    market.names.forEach((name, position) => {
      const channel = CHANNELS[index % CHANNELS.length];
      const paid = channel === 'google_ads' || channel === 'tiktok' || channel === 'instagram';
      members.push({
        externalId: `demo-${market.country.toLowerCase()}-${position + 1}`,
        email: `${name}.${market.country.toLowerCase()}@demo.perkgraph.dev`,
        country: market.country,
        locale: market.locale,
        birthday: `${String((index % 12) + 1).padStart(2, '0')}-${String(((index * 7) % 28) + 1).padStart(2, '0')}`,
        acquisitionChannel: channel,
        acquisitionCost: { amount: paid ? market.paidCost : '0', currency: market.currency },
        joinedAt: new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS - ((index * 29) % 700) * DAY_MS - 30 * DAY_MS),
      });
      index += 1;
    });
  }
  return members;
}

/**
 * Loads the demo programme as of `now`: members, then their rates, rules, orders, refunds, redemptions and
 * adjustment (seeds/demo-orders.ts), then a long tail of lighter members
 * (seeds/demo-growth.ts), the days they were all active (seeds/demo-activity.ts) and a thousand members' purchase
 * history for the LTV models (seeds/demo-history.ts).
 * Idempotent: what exists is skipped, so running it twice changes nothing.
 * seedDemoData (src/db/seed.ts) runs the ledger jobs afterwards, so old points vest and expire.
 */
export async function seedDemoProgramme(em: EntityManager, now: Date = new Date(), services: Services = createServices()): Promise<void> {
  const system = createRequestContext(systemScope(em, 'seed'), services);
  const existing = new Set((await em.getConnection().execute<{ external_id: string }[]>('select external_id from members')).map((row) => row.external_id));
  const inputs = demoMembers(now);
  for (const input of inputs) {
    if (!existing.has(input.externalId)) await services.members.enroll(system, input);
  }
  await seedDemoLedger(em, inputs, now, services);
  await seedDemoRewardsAndReferrals(em, inputs, now, services);
  const tail = await seedDemoGrowth(em, now, services);
  await seedDemoActivity(em, [...inputs, ...tail], now);
  await seedDemoHistory(em, now, system.config);
}

/** Loads the demo programme; running it twice changes nothing. */
export class DemoSeeder extends Seeder {
  async run(em: EntityManager): Promise<void> {
    await seedDemoProgramme(em);
  }
}

import type { EntityManager } from '@mikro-orm/postgresql';
import { v7 as uuidv7 } from 'uuid';
import { floatPrng } from '../helpers/random';
import { newReferralCode } from '../../src/modules/referrals/referral-code';

const DAY = 24 * 60 * 60 * 1000;

/** BG/NBD and Gamma-Gamma parameters the test populations are simulated from (weeks; USD). */
export const SIMULATION = { r: 0.8, alpha: 4, a: 0.8, b: 2.5, p: 6, q: 4, v: 15 };
const WEEK = 7 * DAY;

/**
 * Members and USD orders written straight to the tables (a population for the LTV fits, faster than the API),
 * simulated from the BG/NBD and Gamma-Gamma models (SIMULATION) with a fixed seed: each member's first purchase
 * falls between `from` and `to` (on its own UTC day, in member order, with `distinctFirstDays`), then purchases
 * follow at its own rate until it drops out or `to` is reached; order values come from its own spend level.
 */
export async function insertPopulation(
  em: EntityManager,
  options: { members: number; from: Date; to: Date; seed: number; prefix: string; distinctFirstDays?: boolean },
): Promise<string[]> {
  const random = floatPrng(options.seed);
  const { r, alpha, a, b, p, q, v } = SIMULATION;
  const spanDays = Math.floor((options.to.getTime() - options.from.getTime()) / DAY);
  const ids: string[] = [];
  for (let index = 0; index < options.members; index += 1) {
    const id = uuidv7();
    ids.push(id);
    await em.execute(
      `insert into members (id, external_id, email, country, locale, status, joined_at, created_at, enrollment_hash, referral_code)
       values (?, ?, ?, 'US', 'en-US', 'ACTIVE', ?, now(), 'factory', ?)`,
      [id, `${options.prefix}-${index}`, `${options.prefix}-${index}@example.com`, options.from, newReferralCode()],
    );
    const rate = random.gamma(r, alpha);
    const dropout = random.beta(a, b);
    const spendRate = random.gamma(q, v); // nu ~ Gamma(q, v): order values ~ Gamma(p, nu), mean p / nu
    const firstDay = options.distinctFirstDays ? index % spanDays : Math.floor(random.uniform() * spanDays);
    let at = options.from.getTime() + firstDay * DAY + Math.floor(random.uniform() * 20) * 3_600_000;
    for (let n = 0; at < options.to.getTime(); n += 1) {
      const amount = Math.max(1, Math.round(100 * random.gamma(p, spendRate)));
      await insertUsdOrder(em, id, `${options.prefix}-${index}-${n}`, new Date(at), amount);
      if (n > 0 && random.uniform() < dropout) break;
      at += random.exponential(rate) * WEEK;
    }
  }
  return ids;
}

export async function insertUsdOrder(em: EntityManager, memberId: string, externalId: string, placedAt: Date, amountMinor: number): Promise<void> {
  await em.execute(
    `insert into orders (id, member_id, external_id, amount_minor, currency, base_amount_minor, base_currency, fx_rate, placed_at,
                         refunded_minor, status, points_earned, request_hash, created_at)
     values (?, ?, ?, ?, 'USD', ?, 'USD', '1', ?, 0, 'PAID', 0, 'factory', now())`,
    [uuidv7(), memberId, externalId, amountMinor, amountMinor, placedAt],
  );
}

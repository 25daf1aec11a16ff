import type { EntityManager } from '@mikro-orm/postgresql';
import { v7 as uuidv7 } from 'uuid';
import { prng } from '../helpers/random';

const DAY = 24 * 60 * 60 * 1000;

/**
 * Members and USD orders written straight to the tables (a population for the LTV fits, faster than the API).
 * Each member gets 1 to 8 orders on distinct days between `from` and `to`, amounts of `amountScale` times a
 * random factor; the histories come from a fixed seed, so every run builds the same population.
 */
export async function insertPopulation(
  em: EntityManager,
  options: { members: number; from: Date; to: Date; seed: bigint; prefix: string; amountMinor?: (index: number, random: ReturnType<typeof prng>) => number },
): Promise<string[]> {
  const random = prng(options.seed);
  const span = Math.floor((options.to.getTime() - options.from.getTime()) / DAY);
  const ids: string[] = [];
  for (let index = 0; index < options.members; index += 1) {
    const id = uuidv7();
    ids.push(id);
    await em.execute(
      `insert into members (id, external_id, email, country, locale, status, joined_at, created_at, enrollment_hash)
       values (?, ?, ?, 'US', 'en-US', 'ACTIVE', ?, now(), 'factory')`,
      [id, `${options.prefix}-${index}`, `${options.prefix}-${index}@example.com`, options.from],
    );
    const orders = 1 + random.int(8);
    const days = new Set<number>();
    while (days.size < orders) days.add(random.int(span));
    let n = 0;
    for (const day of days) {
      const amount = options.amountMinor ? options.amountMinor(index, random) : 1000 + random.int(20000);
      await insertUsdOrder(em, id, `${options.prefix}-${index}-${n++}`, new Date(options.from.getTime() + day * DAY + 3_600_000), amount);
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

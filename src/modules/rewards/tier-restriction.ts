import type { EntityManager } from '@mikro-orm/postgresql';
import { memberTierRank, tierRank } from '../tiers/tier.service';

/*
 * The minimum-tier restriction of rewards, in one place: a member meets a reward's minimum tier when the
 * rank of the tier it holds now is at least that tier's rank.
 */

/** Whether `code` names a tier of the ladder (validated when a reward gets a minimum tier). */
export async function tierCodeExists(em: EntityManager, code: string): Promise<boolean> {
  return (await tierRank(em, code)) !== null;
}

/** Of the minimum-tier codes `codes`, those the member's current tier meets. A code no longer on the ladder is met by nobody. */
export async function tierCodesMetBy(em: EntityManager, memberId: string, codes: string[]): Promise<string[]> {
  if (codes.length === 0) return [];
  const rank = await memberTierRank(em, memberId);
  const ranks = await Promise.all(codes.map(async (code) => [code, await tierRank(em, code)] as const));
  return ranks.filter(([, required]) => required !== null && required <= rank).map(([code]) => code);
}

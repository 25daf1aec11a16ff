import type { EntityManager } from '@mikro-orm/postgresql';

/*
 * The minimum-tier restriction of rewards, in one place.
 * TODO(lead): membership tiers land on main with memberTierRank(em, memberId) and tierRank(em, code) in
 * src/modules/tiers/tier.service.ts. Once merged, replace the two bodies below with:
 *   tierCodeExists:    return (await tierRank(em, code)) !== null;
 *   tierCodesMetBy:    const rank = await memberTierRank(em, memberId);
 *                      return (await Promise.all(codes.map(async (c) => [c, await tierRank(em, c)] as const)))
 *                        .filter(([, r]) => r !== null && r <= rank).map(([c]) => c);
 * Until then no tier ladder exists: any code is accepted on rewards, and no member meets a minimum tier
 * (a tier-restricted reward is listed and redeemable by nobody), which fails safe.
 */

/** Whether `code` names a tier of the ladder (validated when a reward gets a minimum tier). */
export async function tierCodeExists(_em: EntityManager, _code: string): Promise<boolean> {
  return true;
}

/** Of the minimum-tier codes `codes`, those the member's current tier meets (its rank at least theirs). */
export async function tierCodesMetBy(_em: EntityManager, _memberId: string, _codes: string[]): Promise<string[]> {
  return [];
}

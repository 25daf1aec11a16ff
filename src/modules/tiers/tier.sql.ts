/*
 * The tier a member holds, in SQL: a member without a member_tiers row holds the lowest tier of the ladder
 * (tier.entity.ts). The one copy of this rule for the statements that read it.
 */

/** The lowest tier's code, as a scalar SQL subquery. */
export const LOWEST_TIER_CODE_SQL = '(select lowest.code from tiers lowest order by lowest.rank limit 1)';

/** The lowest tier's rank, as a scalar SQL subquery. */
export const LOWEST_TIER_RANK_SQL = '(select min(lowest.rank) from tiers lowest)';

/** The code of the tier a member holds now; `memberId` is an SQL expression (a column or a placeholder). */
export function heldTierCodeSql(memberId: string): string {
  return `coalesce((select stored.tier_code from member_tiers stored where stored.member_id = ${memberId}), ${LOWEST_TIER_CODE_SQL})`;
}

import type { MikroORM } from '@mikro-orm/postgresql';

/**
 * Leaves only the lowest tier (1x) on the ladder. For test files about ledger mechanics, whose expected points
 * assume earning at 1x whatever the member has spent; tier multipliers have tests of their own (tiers tests).
 */
export async function flattenTierLadder(orm: MikroORM): Promise<void> {
  const em = orm.em.fork();
  await em.execute("delete from perk_grants where source_kind = 'TIER' and source_code in (select code from tiers where rank > (select min(rank) from tiers))");
  await em.execute('delete from tiers where rank > (select min(rank) from tiers)');
}

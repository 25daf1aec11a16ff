import type { EntityManager } from '@mikro-orm/postgresql';
import { Connection, PageRequest, toConnection } from '../../graphql/pagination';
import { uuidOrFail } from '../../validation';
import { RewardRedemption } from './reward-redemption.entity';
import { Reward } from './reward.entity';
import type { RedemptionResult } from './reward.service';

/** A member's reward redemptions, newest first, each with its reward: two reads per page (redemptions, their rewards). */
export async function redemptionsOf(em: EntityManager, memberId: string, page: PageRequest, readerLocale: string | null): Promise<Connection<RedemptionResult>> {
  if (page.after) uuidOrFail(page.after, 'after', 'is not a cursor this API returned');
  const rows = await em.find(
    RewardRedemption,
    { memberId, ...(page.after ? { id: { $lt: page.after } } : {}) },
    { orderBy: { id: 'desc' }, limit: page.first + 1 },
  );
  const rewardIds = [...new Set(rows.map((row) => row.rewardId))];
  const rewards = new Map((rewardIds.length ? await em.find(Reward, { id: { $in: rewardIds } }) : []).map((reward) => [reward.id, reward]));
  const connection = toConnection(rows, page, (row) => row.id);
  return {
    ...connection,
    edges: connection.edges.map((edge) => ({ cursor: edge.cursor, node: { redemption: edge.node, reward: { reward: rewards.get(edge.node.rewardId)!, locale: readerLocale } } })),
  };
}

import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { HeldPerk, perksOfSources, sourcesOfPerks } from './perk.service';
import { LadderTier, loadLadder } from './tier.service';

export const HISTORY_LIMIT = 50;

export interface TierChangeRow {
  from_tier: string;
  to_tier: string;
  reason: string;
  qualifying_spend_minor: string;
  changed_at: Date;
}

/** Per-request batching for the tier reads the member-status read (src/modules/status) does not serve: the ladder, perks by source, history. */
export class TierLoaders {
  private ladderPromise?: Promise<LadderTier[]>;
  readonly perksOfSource: DataLoader<string, HeldPerk[]>;
  /** Every source (TIER:GOLD, LTV:VIP) each perk is attached to. */
  readonly sourcesOfPerk: DataLoader<string, string[]>;
  /** Each member's tier changes, newest first, at most HISTORY_LIMIT. */
  readonly history: DataLoader<string, TierChangeRow[]>;

  constructor(private readonly em: EntityManager) {
    this.history = new DataLoader(async (ids) => {
      const rows = await em.execute<(TierChangeRow & { member_id: string })[]>(
        `select member_id, from_tier, to_tier, reason, qualifying_spend_minor, changed_at from (
           select *, row_number() over (partition by member_id order by changed_at desc, id desc) as n
           from member_tier_changes where member_id in (?)
         ) changes where n <= ? order by member_id, n`,
        [[...ids], HISTORY_LIMIT],
      );
      return ids.map((id) => rows.filter((row) => row.member_id === id).map((row) => ({ ...row, changed_at: new Date(row.changed_at) })));
    });
    this.perksOfSource = new DataLoader(async (sources) => {
      const found = await perksOfSources(em, sources);
      return sources.map((source) => found.get(source) ?? []);
    });
    this.sourcesOfPerk = new DataLoader(async (codes) => {
      const found = await sourcesOfPerks(em, codes);
      return codes.map((code) => found.get(code) ?? []);
    });
  }

  /** The ladder, read once per request. */
  ladder(): Promise<LadderTier[]> {
    this.ladderPromise ??= loadLadder(this.em);
    return this.ladderPromise;
  }
}

import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import { HeldPerk, perksOfMembers, perksOfSources } from './perk.service';
import type { TierStanding } from './tier-policy';
import { LadderTier, loadLadder, qualifyingSpend, standingsOf, TierSettings } from './tier.service';

/** Per-request batching for the tier fields of members: one query per kind per tick, whatever the list. */
export class TierLoaders {
  private ladderPromise?: Promise<LadderTier[]>;
  readonly standing: DataLoader<string, TierStanding | null>;
  readonly spend: DataLoader<string, bigint>;
  readonly perks: DataLoader<string, HeldPerk[]>;
  readonly perksOfSource: DataLoader<string, HeldPerk[]>;

  constructor(
    private readonly em: EntityManager,
    settings: TierSettings,
    now: Date = new Date(),
  ) {
    this.standing = new DataLoader(async (ids) => {
      const found = await standingsOf(em, [...ids]);
      return ids.map((id) => found.get(id) ?? null);
    });
    this.spend = new DataLoader(async (ids) => {
      const found = await qualifyingSpend(em, [...ids], now, settings);
      return ids.map((id) => found.get(id) ?? 0n);
    });
    this.perks = new DataLoader(async (ids) => {
      const found = await perksOfMembers(em, ids);
      return ids.map((id) => found.get(id) ?? []);
    });
    this.perksOfSource = new DataLoader(async (sources) => {
      const found = await perksOfSources(em, sources);
      return sources.map((source) => found.get(source) ?? []);
    });
  }

  /** The ladder, read once per request. */
  ladder(): Promise<LadderTier[]> {
    this.ladderPromise ??= loadLadder(this.em);
    return this.ladderPromise;
  }
}

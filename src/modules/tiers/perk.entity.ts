import { Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

export enum PerkSourceKind {
  TIER = 'TIER',
  LTV = 'LTV',
}

/** A perk (configuration): PRIORITY_SUPPORT, FREE_SHIPPING, ... The migration creates the defaults. */
@Entity({ tableName: 'perks' })
export class Perk {
  [OptionalProps]?: 'createdAt' | 'names' | 'supportPriority';

  @PrimaryKey({ type: 'text' })
  code!: string;

  @Property({ type: 'text' })
  name!: string;

  /** Names by BCP 47 locale ("de-DE" or "de"). */
  @Property({ type: 'json' })
  names: Record<string, string> = {};

  /** The support priority the perk grants (PRIORITY or DEDICATED), or null for none. */
  @Property({ type: 'text', nullable: true })
  supportPriority: string | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

/** A perk attached to a membership tier (TIER, GOLD) or to an LTV tier (LTV, VIP). */
@Entity({ tableName: 'perk_grants' })
export class PerkGrant {
  @Enum({ items: () => PerkSourceKind, primary: true })
  sourceKind!: PerkSourceKind;

  @PrimaryKey({ type: 'text' })
  sourceCode!: string;

  @PrimaryKey({ type: 'text' })
  perkCode!: string;
}

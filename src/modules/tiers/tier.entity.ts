import { BigIntType, Entity, Index, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/** A rung of the membership ladder (configuration). The migration creates BRONZE, SILVER, GOLD and PLATINUM. */
@Entity({ tableName: 'tiers' })
export class Tier {
  [OptionalProps]?: 'createdAt' | 'names';

  /** Upper-case code, such as GOLD. */
  @PrimaryKey({ type: 'text' })
  code!: string;

  @Property({ type: 'text' })
  name!: string;

  /** Names by BCP 47 locale ("de-DE" or "de"); `name` when the locale has none. */
  @Property({ type: 'json' })
  names: Record<string, string> = {};

  /** 0 for the lowest tier; higher is better. */
  @Unique()
  @Property({ type: 'integer' })
  rank!: number;

  /** Qualifying spend over the rolling window, in minor units of the base currency. */
  @Property({ type: new BigIntType('bigint') })
  thresholdMinor!: bigint;

  /** Decimal string multiplying the points orders earn, such as "1.25". */
  @Property({ type: 'text' })
  earnMultiplier!: string;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

/** The tier a member holds now. A member without a row holds the lowest tier. */
@Entity({ tableName: 'member_tiers' })
@Index({ name: 'member_tiers_review_idx', expression: 'create index "member_tiers_review_idx" on "member_tiers" ("retain_until") where "retain_until" is not null' })
export class MemberTier {
  @PrimaryKey({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'text' })
  tierCode!: string;

  @Property({ type: 'timestamptz' })
  reachedAt!: Date;

  /** The tier is kept at least until then; null on the lowest tier. */
  @Property({ type: 'timestamptz', nullable: true })
  retainUntil: Date | null = null;
}

/** Tier history: every upgrade, requalification and downgrade, append-only. */
@Entity({ tableName: 'member_tier_changes' })
@Index({ properties: ['memberId', 'changedAt'] })
export class MemberTierChange {
  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'text' })
  fromTier!: string;

  @Property({ type: 'text' })
  toTier!: string;

  /** UPGRADE, REQUALIFIED or DOWNGRADE. */
  @Property({ type: 'text' })
  reason!: string;

  /** The qualifying spend the decision was made on, minor units of the base currency. */
  @Property({ type: new BigIntType('bigint') })
  qualifyingSpendMinor!: bigint;

  @Property({ type: 'timestamptz' })
  changedAt!: Date;
}

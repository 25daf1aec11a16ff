import { Field, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MoneyInput, MoneyView } from '../../graphql/money.types';
import { SUPPORT_PRIORITIES } from './tier-policy';
import type { HeldPerk } from './perk.service';
import type { LadderTier } from './tier.service';
import { LocalisedNameInput } from '../../graphql/localised-name.types';

export enum SupportPriority {
  STANDARD = 'STANDARD',
  PRIORITY = 'PRIORITY',
  DEDICATED = 'DEDICATED',
}
registerEnumType(SupportPriority, { name: 'SupportPriority', description: `Lowest first: ${SUPPORT_PRIORITIES.join(', ')}.` });

@ObjectType('Perk')
export class PerkView {
  @Field()
  code!: string;

  /** Resolved in the member's (or the requested) locale by TierResolver. */
  name!: string;

  names!: Record<string, string>;

  @Field({ description: 'Where the perk comes from, such as TIER:GOLD or LTV:VIP.' })
  source!: string;

  @Field(() => SupportPriority, { nullable: true, description: 'The support priority the perk grants, if any.' })
  supportPriority!: SupportPriority | null;

  /** The locale `name` uses when the query gives none (the member's). */
  preferredLocale!: string | null;

  /** Every source the perk is attached to, when already read (the perks list); else loaded by PerkResolver.sources. */
  sources?: string[];

  static of(perk: HeldPerk, preferredLocale: string | null): PerkView {
    return Object.assign(new PerkView(), { ...perk, supportPriority: perk.supportPriority as SupportPriority | null, preferredLocale });
  }
}

@ObjectType('Tier')
export class TierView {
  @Field()
  code!: string;

  /** Resolved in the member's (or the requested) locale by TierResolver. */
  name!: string;

  names!: Record<string, string>;

  @Field(() => Int, { description: '0 for the lowest tier; higher is better.' })
  rank!: number;

  thresholdMinor!: bigint;

  @Field({ description: 'Multiplies the points orders earn, as a decimal string such as "1.25".' })
  earnMultiplier!: string;

  preferredLocale!: string | null;

  static of(tier: LadderTier, preferredLocale: string | null = null): TierView {
    return Object.assign(new TierView(), { ...tier, preferredLocale });
  }
}

@ObjectType('TierProgress')
export class TierProgressView {
  @Field(() => TierView)
  current!: TierView;

  @Field(() => TierView, { nullable: true })
  next!: TierView | null;

  @Field(() => MoneyView, { description: 'Spend over the rolling window, net of refunds, in the base currency.' })
  qualifyingSpend!: MoneyView;

  @Field(() => MoneyView, { nullable: true, description: 'Null on the top tier.' })
  remainingToNext!: MoneyView | null;

  @Field(() => Date, { nullable: true, description: 'The current tier is kept at least until then.' })
  retainUntil!: Date | null;
}

@ObjectType('TierChange')
export class TierChangeView {
  @Field()
  fromTier!: string;

  @Field()
  toTier!: string;

  @Field({ description: 'UPGRADE, REQUALIFIED or DOWNGRADE.' })
  reason!: string;

  @Field(() => MoneyView)
  qualifyingSpend!: MoneyView;

  @Field()
  changedAt!: Date;
}

@InputType('CreateTierInput')
export class CreateTierInput {
  @Field()
  code!: string;

  @Field()
  name!: string;

  @Field(() => [LocalisedNameInput], { nullable: true })
  names?: LocalisedNameInput[] | null;

  @Field(() => Int)
  rank!: number;

  @Field(() => MoneyInput, { description: 'Qualifying spend over the window, in the base currency.' })
  threshold!: MoneyInput;

  @Field(() => String, { nullable: true, defaultValue: '1' })
  earnMultiplier?: string | null;
}

@InputType('UpdateTierInput', { description: 'Only the fields given change.' })
export class UpdateTierInput {
  @Field()
  code!: string;

  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => [LocalisedNameInput], { nullable: true, description: 'Replaces all localised names.' })
  names?: LocalisedNameInput[] | null;

  @Field(() => Int, { nullable: true })
  rank?: number | null;

  @Field(() => MoneyInput, { nullable: true })
  threshold?: MoneyInput | null;

  @Field(() => String, { nullable: true })
  earnMultiplier?: string | null;
}

@InputType('PerkInput', { description: 'Creating needs a name; updating changes only the fields given.' })
export class PerkInput {
  @Field()
  code!: string;

  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => [LocalisedNameInput], { nullable: true })
  names?: LocalisedNameInput[] | null;

  @Field(() => SupportPriority, { nullable: true, description: 'The support priority the perk grants; STANDARD or null for none.' })
  supportPriority?: SupportPriority | null;
}

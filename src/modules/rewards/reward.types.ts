import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MoneyInput, MoneyView } from '../../graphql/money.types';
import { ConnectionType } from '../../graphql/pagination';
import { RewardKind } from './reward.entity';
import { VoucherStatus } from './reward.service';
import { LocalisedNameInput, LocalisedNameView } from '../../graphql/localised-name.types';

registerEnumType(RewardKind, { name: 'RewardKind' });
registerEnumType(VoucherStatus, { name: 'VoucherStatus' });

@ObjectType('Reward')
export class RewardView {
  @Field(() => ID)
  id!: string;

  @Field()
  code!: string;

  /** The default name and the reader's locale (a member's own); Reward.name picks from them (RewardNameResolver). */
  defaultName!: string;
  readerLocale!: string | null | undefined;
  localisedNames!: Record<string, string>;

  @Field()
  currency!: string;

  @Field(() => Int)
  cost!: number;

  @Field(() => Int, { nullable: true, description: 'Null when unlimited.' })
  stockRemaining!: number | null;

  @Field(() => RewardKind)
  kind!: RewardKind;

  @Field(() => [LocalisedNameView], { description: 'Every localised name.' })
  names!: LocalisedNameView[];

  @Field(() => [MoneyView], { description: 'FIXED_DISCOUNT: the discount in each currency it is offered in.' })
  amounts!: MoneyView[];

  @Field(() => Int, { nullable: true, description: 'PERCENT_DISCOUNT: whole percent off.' })
  percentOff!: number | null;

  @Field(() => Int, { nullable: true, description: 'Most redemptions per member; null when unlimited.' })
  perMemberLimit!: number | null;

  @Field(() => String, { nullable: true, description: 'The lowest membership tier that may redeem it.' })
  minTierCode!: string | null;

  @Field(() => Date, { nullable: true })
  startsAt!: Date | null;

  @Field(() => Date, { nullable: true })
  endsAt!: Date | null;

  @Field(() => [String], { description: 'ISO 3166-1 alpha-2 countries it is offered in; empty for every market.' })
  markets!: string[];

  @Field(() => Date, { nullable: true, description: 'Set once retired: no new redemptions.' })
  retiredAt!: Date | null;
}

export const RewardConnection = ConnectionType('Reward', RewardView);

@ObjectType('RewardRedemption')
export class RewardRedemptionView {
  @Field(() => ID)
  id!: string;

  @Field(() => RewardView)
  reward!: RewardView;

  @Field()
  voucherCode!: string;

  @Field()
  createdAt!: Date;

  @Field({ description: 'The voucher cannot be used after this.' })
  expiresAt!: Date;

  @Field(() => Int, { description: 'The points spent.' })
  points!: number;

  @Field(() => Date, { nullable: true, description: 'When the voucher was used at checkout, if it was.' })
  usedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'The order that used the voucher.' })
  orderRef!: string | null;
}

export const RewardRedemptionConnection = ConnectionType('RewardRedemption', RewardRedemptionView);

@ObjectType('Voucher')
export class VoucherView {
  @Field()
  code!: string;

  @Field(() => VoucherStatus)
  status!: VoucherStatus;

  @Field(() => RewardView)
  reward!: RewardView;

  @Field(() => ID)
  memberId!: string;

  @Field()
  expiresAt!: Date;

  @Field(() => Date, { nullable: true })
  usedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'The order that used it.' })
  orderRef!: string | null;
}

@InputType('CreateRewardInput')
export class CreateRewardInput {
  @Field()
  code!: string;

  @Field({ description: 'The default name.' })
  name!: string;

  @Field(() => String, { nullable: true, defaultValue: 'PTS' })
  currency?: string | null;

  @Field(() => Int)
  cost!: number;

  @Field(() => Int, { nullable: true, description: 'Null for unlimited.' })
  stock?: number | null;

  @Field(() => [LocalisedNameInput], { nullable: true })
  names?: LocalisedNameInput[] | null;

  @Field(() => RewardKind, { nullable: true, description: 'Defaults to PRODUCT.' })
  kind?: RewardKind | null;

  @Field(() => [MoneyInput], { nullable: true, description: 'FIXED_DISCOUNT: the discount per currency.' })
  amounts?: MoneyInput[] | null;

  @Field(() => Int, { nullable: true, description: 'PERCENT_DISCOUNT: whole percent, 1 to 100.' })
  percentOff?: number | null;

  @Field(() => Int, { nullable: true })
  perMemberLimit?: number | null;

  @Field(() => String, { nullable: true })
  minTierCode?: string | null;

  @Field(() => Date, { nullable: true })
  startsAt?: Date | null;

  @Field(() => Date, { nullable: true })
  endsAt?: Date | null;

  @Field(() => [String], { nullable: true, description: 'ISO 3166-1 alpha-2; empty or absent for every market.' })
  markets?: string[] | null;

  @Field(() => Int, { nullable: true, description: 'Days a voucher stays usable; 90 when absent.' })
  voucherValidDays?: number | null;
}

@InputType('UpdateRewardInput', { description: 'Absent fields stay as they are; null clears perMemberLimit, minTierCode, startsAt and endsAt.' })
export class UpdateRewardInput {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => [LocalisedNameInput], { nullable: true })
  names?: LocalisedNameInput[] | null;

  @Field(() => Int, { nullable: true })
  cost?: number | null;

  @Field(() => Int, { nullable: true, description: 'Units added to the remaining stock (negative to take some away).' })
  addStock?: number | null;

  @Field(() => Int, { nullable: true })
  perMemberLimit?: number | null;

  @Field(() => String, { nullable: true })
  minTierCode?: string | null;

  @Field(() => Date, { nullable: true })
  startsAt?: Date | null;

  @Field(() => Date, { nullable: true })
  endsAt?: Date | null;

  @Field(() => [String], { nullable: true })
  markets?: string[] | null;

  @Field(() => Int, { nullable: true })
  voucherValidDays?: number | null;
}

@InputType('RedeemRewardInput')
export class RedeemRewardInput {
  @Field(() => ID)
  memberId!: string;

  @Field(() => ID)
  rewardId!: string;

  @Field()
  idempotencyKey!: string;
}

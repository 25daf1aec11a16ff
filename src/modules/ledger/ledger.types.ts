import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ConnectionType } from '../../graphql/pagination';
import { LedgerEntryKind } from './points-transfer.entity';
import type { Balance, LedgerEntryView } from './balance.service';

registerEnumType(LedgerEntryKind, { name: 'LedgerEntryKind' });

/** Points cross the API as GraphQL Int. */
export const toInt = (value: bigint): number => Number(value);

@ObjectType('PointsBalance')
export class PointsBalanceView {
  @Field()
  currency!: string;

  @Field(() => Int, { description: 'Settled points: earned and vested, less spent, expired and reversed.' })
  posted!: number;

  @Field(() => Int, { description: 'Earned but not yet vested (inside the return window).' })
  pending!: number;

  @Field(() => Int, { description: 'Reserved by open checkout holds.' })
  held!: number;

  @Field(() => Int, { description: 'posted - held: what can be spent now.' })
  available!: number;

  @Field(() => Int, { description: 'Points that expire within the next 30 days.' })
  expiringSoon!: number;

  @Field(() => Date, { nullable: true })
  nextExpiry!: Date | null;

  static of(balance: Balance): PointsBalanceView {
    return Object.assign(new PointsBalanceView(), {
      currency: balance.currency,
      posted: toInt(balance.posted),
      pending: toInt(balance.pending),
      held: toInt(balance.held),
      available: toInt(balance.posted - balance.held),
      expiringSoon: toInt(balance.expiringSoon),
      nextExpiry: balance.nextExpiry,
    });
  }
}

@ObjectType('AppliedRule', { description: 'An earning rule that applied to an earning: a multiplier, a fixed bonus or both.' })
export class AppliedRuleView {
  @Field({ description: 'TIER for the membership tier multiplier, otherwise the campaign code.' })
  code!: string;

  @Field(() => String, { nullable: true })
  multiplier?: string;

  @Field(() => Int, { nullable: true })
  bonusPoints?: number;
}

@ObjectType('LedgerEntry')
export class LedgerEntryType {
  @Field(() => ID)
  id!: string;

  @Field()
  currency!: string;

  @Field(() => Int, { description: "Signed, from the member's side: + earned, - spent." })
  points!: number;

  @Field(() => LedgerEntryKind)
  kind!: LedgerEntryKind;

  @Field(() => String, { nullable: true })
  reference!: string | null;

  @Field(() => String, { nullable: true })
  reason!: string | null;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  expiresAt!: Date | null;

  @Field(() => [AppliedRuleView], { description: 'For earnings: the earning rules that applied.' })
  rules!: AppliedRuleView[];

  static of(entry: LedgerEntryView): LedgerEntryType {
    return Object.assign(new LedgerEntryType(), { ...entry, points: toInt(entry.points) });
  }
}

export const LedgerEntryConnection = ConnectionType('LedgerEntry', LedgerEntryType);

@InputType('AdjustPointsInput')
export class AdjustPointsInput {
  @Field(() => ID)
  memberId!: string;

  @Field(() => String, { nullable: true, defaultValue: 'PTS' })
  currency?: string | null;

  @Field(() => Int)
  points!: number;

  @Field()
  reason!: string;

  @Field()
  idempotencyKey!: string;
}

@InputType('CreatePointsCurrencyInput')
export class CreatePointsCurrencyInput {
  @Field({ description: 'Short upper-case code, such as STATUS or COINS.' })
  code!: string;

  @Field()
  name!: string;

  @Field({ description: 'What one point is worth in the base currency, as a decimal string.' })
  valueInBase!: string;

  @Field(() => Int, { defaultValue: 12 })
  expiryMonths!: number;

  @Field({ defaultValue: false })
  earnsOnOrders!: boolean;

  @Field({ defaultValue: '1', description: 'Points earned per 1.00 of the base currency.' })
  earnRate!: string;
}

@InputType('UpdatePointsCurrencyInput', {
  description: 'What can change after creation: settings that act from now on. Fields left out (or null) keep their value; the code never changes.',
})
export class UpdatePointsCurrencyInput {
  @Field({ description: 'The points currency to change.' })
  code!: string;

  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true, description: 'What one point is worth in the base currency, as a decimal string: redemption quotes from now on (holds already made keep their discount).' })
  valueInBase?: string | null;

  @Field(() => Int, { nullable: true, description: 'Months until points expire, for points earned from now on (lots already earned keep their expiry).' })
  expiryMonths?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Whether orders recorded from now on earn this currency.' })
  earnsOnOrders?: boolean | null;

  @Field(() => String, { nullable: true, description: 'Points earned per 1.00 of the base currency, for orders recorded from now on.' })
  earnRate?: string | null;
}

@ObjectType('PointsCurrency')
export class PointsCurrencyView {
  @Field()
  code!: string;

  @Field()
  name!: string;

  @Field()
  valueInBase!: string;

  @Field(() => Int)
  expiryMonths!: number;

  @Field()
  earnsOnOrders!: boolean;

  @Field()
  earnRate!: string;
}

import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MoneyView } from '../../graphql/money.types';
import { HoldStatus, PointsHold } from './points-hold.entity';

registerEnumType(HoldStatus, { name: 'HoldStatus' });

@ObjectType('PointsHold')
export class PointsHoldView {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  memberId!: string;

  @Field()
  currency!: string;

  @Field(() => Int)
  points!: number;

  @Field()
  orderRef!: string;

  @Field(() => HoldStatus)
  status!: HoldStatus;

  @Field()
  expiresAt!: Date;

  @Field()
  createdAt!: Date;

  static of(hold: Pick<PointsHold, 'id' | 'memberId' | 'currency' | 'points' | 'orderRef' | 'status' | 'expiresAt' | 'createdAt'>): PointsHoldView {
    return Object.assign(new PointsHoldView(), {
      id: hold.id,
      memberId: hold.memberId,
      currency: hold.currency,
      points: Number(hold.points),
      orderRef: hold.orderRef,
      // A HELD hold past its expiry is expired, whether or not the job has swept it yet.
      status: hold.status === HoldStatus.HELD && hold.expiresAt <= new Date() ? HoldStatus.EXPIRED : hold.status,
      expiresAt: hold.expiresAt,
      createdAt: hold.createdAt,
    });
  }
}

@ObjectType('RedemptionQuote')
export class RedemptionQuoteView {
  @Field()
  currency!: string;

  @Field(() => Int)
  availablePoints!: number;

  @Field(() => Int, { description: 'The most points this cart accepts (program cap, cart cap and balance together).' })
  maxPoints!: number;

  @Field(() => MoneyView, { description: "What maxPoints is worth, in the cart's currency." })
  maxDiscount!: MoneyView;

  @Field(() => Int, { description: 'Smallest number of points a single redemption may use.' })
  minPoints!: number;
}

@InputType('HoldPointsInput')
export class HoldPointsInput {
  @Field(() => ID)
  memberId!: string;

  @Field(() => String, { nullable: true, defaultValue: 'PTS' })
  currency?: string | null;

  @Field(() => Int)
  points!: number;

  @Field()
  orderRef!: string;

  @Field()
  idempotencyKey!: string;

  @Field(() => Int, { nullable: true, defaultValue: 900 })
  ttlSeconds?: number | null;
}

import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MoneyInput, MoneyView } from '../../graphql/money.types';
import { ConnectionType } from '../../graphql/pagination';
import type { EarningRule } from './earning-rule.entity';
import { Order, OrderStatus } from './order.entity';

registerEnumType(OrderStatus, { name: 'OrderStatus' });

@ObjectType('Order')
export class OrderView {
  @Field(() => ID)
  id!: string;

  @Field()
  externalId!: string;

  @Field(() => ID)
  memberId!: string;

  @Field(() => MoneyView)
  amount!: MoneyView;

  @Field(() => MoneyView, { description: 'The amount converted to the base currency at the rate of placedAt.' })
  baseAmount!: MoneyView;

  @Field({ description: 'The exchange rate used: units of the order currency per one unit of the base currency.' })
  fxRate!: string;

  @Field(() => MoneyView)
  refunded!: MoneyView;

  @Field(() => OrderStatus)
  status!: OrderStatus;

  @Field(() => Int)
  pointsEarned!: number;

  @Field()
  placedAt!: Date;

  static of(order: Order): OrderView {
    return Object.assign(new OrderView(), {
      id: order.id,
      externalId: order.externalId,
      memberId: order.memberId,
      amount: MoneyView.of({ minor: order.amountMinor, currency: order.currency }),
      baseAmount: MoneyView.of({ minor: order.baseAmountMinor, currency: order.baseCurrency }),
      fxRate: order.fxRate,
      refunded: MoneyView.of({ minor: order.refundedMinor, currency: order.currency }),
      status: order.status,
      pointsEarned: order.pointsEarned,
      placedAt: order.placedAt,
    });
  }
}

export const OrderConnection = ConnectionType('Order', OrderView);

@InputType('RecordOrderInput')
export class RecordOrderInput {
  @Field(() => ID)
  memberId!: string;

  @Field()
  externalId!: string;

  @Field(() => MoneyInput)
  amount!: MoneyInput;

  @Field(() => Date, { nullable: true, description: 'For importing history; defaults to now.' })
  placedAt?: Date | null;
}

@InputType('RefundOrderInput')
export class RefundOrderInput {
  @Field()
  orderExternalId!: string;

  @Field()
  refundId!: string;

  @Field(() => MoneyInput)
  amount!: MoneyInput;
}

@InputType('CreateEarningRuleInput')
export class CreateEarningRuleInput {
  @Field()
  code!: string;

  @Field()
  name!: string;

  @Field(() => String, { nullable: true, defaultValue: 'PTS' })
  currency?: string | null;

  @Field(() => [String], { nullable: true, description: 'ISO 3166-1 alpha-2 markets; all markets when omitted.' })
  markets?: string[] | null;

  @Field(() => Date, { nullable: true })
  startsAt?: Date | null;

  @Field(() => Date, { nullable: true })
  endsAt?: Date | null;

  @Field(() => MoneyInput, { nullable: true, description: 'Minimum order, in the base currency.' })
  minOrder?: MoneyInput | null;

  @Field({ defaultValue: false })
  firstOrderOnly!: boolean;

  @Field(() => String, { nullable: true, description: 'Such as "2" for double points; the highest matching multiplier applies.' })
  multiplier?: string | null;

  @Field(() => Int, { nullable: true, description: 'Fixed points added when the rule matches.' })
  bonusPoints?: number | null;
}

@ObjectType('EarningRule')
export class EarningRuleView {
  @Field(() => ID)
  id!: string;

  @Field()
  code!: string;

  @Field()
  name!: string;

  @Field()
  currency!: string;

  @Field(() => [String], { nullable: true })
  markets!: string[] | null;

  @Field(() => Date, { nullable: true })
  startsAt!: Date | null;

  @Field(() => Date, { nullable: true })
  endsAt!: Date | null;

  @Field(() => String, { nullable: true })
  multiplier!: string | null;

  @Field(() => Int, { nullable: true })
  bonusPoints!: number | null;

  @Field()
  firstOrderOnly!: boolean;

  @Field(() => MoneyView, { nullable: true, description: 'Minimum order, in the base currency; null for none.' })
  minOrder!: MoneyView | null;

  @Field()
  createdAt!: Date;

  static of(rule: EarningRule, baseCurrency: string): EarningRuleView {
    return Object.assign(new EarningRuleView(), {
      id: rule.id,
      code: rule.code,
      name: rule.name,
      currency: rule.currency,
      markets: rule.markets,
      startsAt: rule.startsAt,
      endsAt: rule.endsAt,
      multiplier: rule.multiplier,
      bonusPoints: rule.bonusPoints,
      firstOrderOnly: rule.firstOrderOnly,
      minOrder: rule.minOrderBaseMinor === null ? null : MoneyView.of({ minor: BigInt(rule.minOrderBaseMinor), currency: baseCurrency }),
      createdAt: rule.createdAt,
    });
  }
}

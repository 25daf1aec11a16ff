import { BigIntType, Entity, Enum, Index, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';

export enum OrderStatus {
  PAID = 'PAID',
  PARTIALLY_REFUNDED = 'PARTIALLY_REFUNDED',
  REFUNDED = 'REFUNDED',
}

/** A paid order, with its amount converted to the base currency at the rate in force when it was placed. */
@Entity({ tableName: 'orders' })
// A member's orders in time order, covering the net base value's columns (the LTV run's RFM pass reads it in order)
@Index({
  name: 'orders_member_id_placed_at_index',
  expression:
    'create index "orders_member_id_placed_at_index" on "orders" ("member_id", "placed_at") include ("base_amount_minor", "amount_minor", "refunded_minor")',
})
@Index({ properties: ['placedAt'], name: 'orders_placed_at_idx' })
export class Order {
  [OptionalProps]?: 'createdAt' | 'status' | 'refundedMinor' | 'pointsEarned' | 'details';

  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  @Property({ type: 'uuid' })
  memberId!: string;

  /** The shop's order id (or a Stripe payment intent id): one order per id. */
  @Unique()
  @Property({ type: 'text' })
  externalId!: string;

  @Property({ type: new BigIntType('bigint') })
  amountMinor!: bigint;

  @Property({ type: 'text' })
  currency!: string;

  @Property({ type: new BigIntType('bigint') })
  baseAmountMinor!: bigint;

  @Property({ type: 'text' })
  baseCurrency!: string;

  /** The exchange rate used (currency units per base unit), as an exact decimal string. */
  @Property({ type: 'text' })
  fxRate!: string;

  @Property({ type: 'timestamptz' })
  placedAt!: Date;

  @Property({ type: new BigIntType('bigint'), default: 0 })
  refundedMinor: bigint = 0n;

  @Enum({ items: () => OrderStatus })
  status: OrderStatus = OrderStatus.PAID;

  /** PTS earned by the order (before any refund). */
  @Property({ type: 'integer', default: 0 })
  pointsEarned: number = 0;

  /** Earning rules applied, per points currency. */
  @Property({ type: 'jsonb', nullable: true })
  details: Record<string, unknown> | null = null;

  @Property({ type: 'text' })
  requestHash!: string;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

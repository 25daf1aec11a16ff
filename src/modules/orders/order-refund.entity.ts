import { BigIntType, Entity, Index, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/** One refund of an order: at most one per refundId. */
@Entity({ tableName: 'order_refunds' })
@Index({ properties: ['orderId'] })
export class OrderRefund {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'uuid' })
  orderId!: string;

  @Property({ type: 'uuid' })
  memberId!: string;

  @Unique()
  @Property({ type: 'text' })
  refundId!: string;

  @Property({ type: new BigIntType('bigint') })
  amountMinor!: bigint;

  @Property({ type: 'text' })
  requestHash!: string;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  /** Set when the refund failed later (Stripe's charge.refund.updated): its points were given back then. */
  @Property({ type: 'timestamptz', nullable: true })
  failedAt?: Date | null;
}

import { Entity, Enum, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

export enum DisputeState {
  OPEN = 'OPEN',
  WON = 'WON',
  LOST = 'LOST',
}

/** A Stripe dispute on a recorded payment: OPEN freezes the order's points; WON releases them; LOST reverses them. */
@Entity({ tableName: 'stripe_disputes' })
export class StripeDispute {
  [OptionalProps]?: 'createdAt' | 'closedAt';

  /** Stripe's dispute id (dp_...). */
  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'text' })
  paymentIntentId!: string;

  @Property({ type: 'uuid' })
  orderId!: string;

  @Property({ type: 'uuid' })
  memberId!: string;

  @Enum({ items: () => DisputeState })
  state!: DisputeState;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  closedAt: Date | null = null;
}

import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/**
 * One row per erased member: the idempotency key and request hash of the erasure, what it forfeited, and the keyed
 * hash of the Stripe customer it was linked to (so a later payment of that customer is recognised and earns
 * nothing, without keeping the customer id). The reason stays here, not in the audit log.
 */
@Entity({ tableName: 'member_erasures' })
@Index({ properties: ['stripeCustomerHash'] })
export class MemberErasure {
  @PrimaryKey({ type: 'uuid' })
  memberId!: string;

  @Unique()
  @Property({ type: 'text' })
  idempotencyKey!: string;

  @Property({ type: 'text' })
  requestHash!: string;

  @Property({ type: 'text' })
  reason!: string;

  /** [{ currency, points }] */
  @Property({ type: 'jsonb' })
  forfeited!: { currency: string; points: string }[];

  @Property({ type: 'text', nullable: true })
  stripeCustomerHash: string | null = null;

  @Property({ type: 'timestamptz' })
  erasedAt!: Date;
}

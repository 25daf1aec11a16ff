import { Entity, Enum, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

export enum StripeEventState {
  /** Its effect is done (in the same transaction that stored this row). */
  PROCESSED = 'PROCESSED',
  /** About a payment not recorded yet: applied, in Stripe's order, when that payment_intent.succeeded arrives. */
  DEFERRED = 'DEFERRED',
  /** A payment whose member could not be found (no metadata, no linked customer): nothing was recorded. */
  NO_MEMBER = 'NO_MEMBER',
  /** A type we do not act on. */
  IGNORED = 'IGNORED',
}

/** Every Stripe event id seen, stored in the same transaction as its effect: a redelivery finds it and does nothing. */
@Entity({ tableName: 'stripe_events' })
@Index({ name: 'stripe_events_deferred_idx', expression: 'create index "stripe_events_deferred_idx" on "stripe_events" ("payment_intent_id", "stripe_created_at", "id") where "state" = \'DEFERRED\'' })
export class StripeEvent {
  [OptionalProps]?: 'receivedAt' | 'processedAt' | 'paymentIntentId' | 'payload';

  /** Stripe's event id (evt_...). */
  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'text' })
  type!: string;

  /** The event's `created`: deferred events are applied in this order. */
  @Property({ type: 'timestamptz' })
  stripeCreatedAt!: Date;

  @Enum({ items: () => StripeEventState })
  state!: StripeEventState;

  @Property({ type: 'text', nullable: true })
  paymentIntentId: string | null = null;

  /** The event's data.object, kept only while it waits (DEFERRED) or could not be matched (NO_MEMBER). */
  @Property({ type: 'json', nullable: true })
  payload: Record<string, unknown> | null = null;

  @Property({ type: 'timestamptz' })
  receivedAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  processedAt: Date | null = null;
}

import { Check, Entity, Enum, Index, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';

export enum FreezeStatus {
  FROZEN = 'FROZEN',
  RELEASED = 'RELEASED',
  REVERSED = 'REVERSED',
}

/**
 * Points earned on one order, frozen while a payment dispute is open (one row per dispute and points currency).
 * The vested part is counted in the account's `held` (so it cannot be spent); the order's pending lots do not
 * vest while the freeze is FROZEN. RELEASED gives them back; REVERSED means the order was then refunded in full.
 */
@Entity({ tableName: 'points_freezes' })
@Unique({ properties: ['reference', 'currency'] })
@Index({ properties: ['orderId', 'status'] })
@Check({ name: 'points_freezes_points_not_negative', expression: '"points" >= 0' })
export class PointsFreeze {
  [OptionalProps]?: 'createdAt' | 'status' | 'resolvedAt';

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'bigint' })
  accountId!: string;

  @Property({ type: 'text' })
  currency!: string;

  @Property({ type: 'uuid' })
  orderId!: string;

  /** What froze the points, such as `dispute:dp_123`. */
  @Property({ type: 'text' })
  reference!: string;

  /** Vested points held by this freeze (part of the account's `held`). */
  @Property({ type: 'bigint' })
  points!: string;

  @Enum({ items: () => FreezeStatus })
  status: FreezeStatus = FreezeStatus.FROZEN;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  resolvedAt: Date | null = null;
}

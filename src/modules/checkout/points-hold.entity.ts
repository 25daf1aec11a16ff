import { Check, Entity, Enum, Index, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';

export enum HoldStatus {
  HELD = 'HELD',
  CAPTURED = 'CAPTURED',
  RELEASED = 'RELEASED',
  EXPIRED = 'EXPIRED',
}

/** A two-phase reservation of points for a checkout: HELD, then CAPTURED, RELEASED or EXPIRED. */
@Entity({ tableName: 'points_holds' })
@Check({ name: 'points_holds_points_positive', expression: '"points" > 0' })
@Index({ name: 'points_holds_due_idx', expression: 'create index "points_holds_due_idx" on "points_holds" ("expires_at") where "status" = \'HELD\'' })
@Index({ properties: ['accountId', 'status'] })
export class PointsHold {
  [OptionalProps]?: 'createdAt' | 'status' | 'resolvedAt' | 'transferId';

  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  @Property({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'bigint' })
  accountId!: string;

  @Property({ type: 'text' })
  currency!: string;

  @Property({ type: 'bigint' })
  points!: string;

  @Property({ type: 'text' })
  orderRef!: string;

  @Enum({ items: () => HoldStatus })
  status: HoldStatus = HoldStatus.HELD;

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  @Unique()
  @Property({ type: 'text' })
  idempotencyKey!: string;

  @Property({ type: 'text' })
  requestHash!: string;

  /** The REDEEM transfer, once captured. */
  @Property({ type: 'bigint', nullable: true })
  transferId: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  resolvedAt: Date | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

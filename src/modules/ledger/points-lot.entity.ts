import { Check, Entity, Index, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/** Points credited together that expire together. Spending takes the soonest-expiring lots first. */
@Entity({ tableName: 'points_lots' })
@Check({ name: 'points_lots_remaining_in_range', expression: '"remaining" >= 0 and "remaining" <= "amount"' })
@Index({ name: 'points_lots_spendable_idx', expression: 'create index "points_lots_spendable_idx" on "points_lots" ("account_id", "expires_at", "id") where "remaining" > 0' })
@Index({ name: 'points_lots_vesting_idx', expression: 'create index "points_lots_vesting_idx" on "points_lots" ("vests_at") where "pending"' })
@Index({ name: 'points_lots_expiry_idx', expression: 'create index "points_lots_expiry_idx" on "points_lots" ("expires_at") where "remaining" > 0 and not "pending"' })
@Index({ properties: ['orderId'] })
export class PointsLot {
  [OptionalProps]?: 'createdAt' | 'orderId' | 'vestsAt' | 'reversed';

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'bigint' })
  accountId!: string;

  @Property({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'text' })
  currency!: string;

  /** The transfer that credited it. */
  @Property({ type: 'bigint' })
  transferId!: string;

  @Property({ type: 'uuid', nullable: true })
  orderId: string | null = null;

  @Property({ type: 'bigint' })
  amount!: string;

  /** Not yet spent, expired or reversed. */
  @Property({ type: 'bigint' })
  remaining!: string;

  /** Taken back by refunds of its order so far. */
  @Property({ type: 'bigint', default: 0 })
  reversed: string = '0';

  /** In the pending balance until vestsAt. */
  @Property({ type: 'boolean' })
  pending!: boolean;

  @Property({ type: 'timestamptz', nullable: true })
  vestsAt: Date | null = null;

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

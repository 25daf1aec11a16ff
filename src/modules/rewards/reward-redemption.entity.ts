import { Entity, Index, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';

/** A reward bought with points, and the voucher it issued (used at most once, until it expires). */
@Entity({ tableName: 'reward_redemptions' })
@Index({ properties: ['memberId', 'rewardId'] })
export class RewardRedemption {
  [OptionalProps]?: 'consumedAt' | 'consumedOrderRef' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  @Property({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'uuid' })
  rewardId!: string;

  /** crypto-random, about 99 bits; unique. */
  @Unique()
  @Property({ type: 'text' })
  voucherCode!: string;

  @Property({ type: 'text' })
  currency!: string;

  /** Points spent (the reward's cost at the time). */
  @Property({ type: 'integer' })
  points!: number;

  /** The REDEEM transfer that paid for it. */
  @Property({ type: 'bigint' })
  transferId!: string;

  @Unique()
  @Property({ type: 'text' })
  idempotencyKey!: string;

  @Property({ type: 'text' })
  requestHash!: string;

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  consumedAt: Date | null = null;

  /** The storefront order that used the voucher: consuming again for the same order is a no-op. */
  @Property({ type: 'text', nullable: true })
  consumedOrderRef: string | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

import { Entity, Enum, Index, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';

export enum ReferralStatus {
  PENDING = 'PENDING',
  QUALIFIED = 'QUALIFIED',
  REJECTED = 'REJECTED',
}

/** Why a referral was rejected (Referral.rejectionReason). */
export enum RejectionReason {
  SELF_REFERRAL = 'SELF_REFERRAL',
  DUPLICATE_PAYMENT_METHOD = 'DUPLICATE_PAYMENT_METHOD',
  DUPLICATE_DEVICE = 'DUPLICATE_DEVICE',
  DUPLICATE_IP = 'DUPLICATE_IP',
  REFERRER_CAP_REACHED = 'REFERRER_CAP_REACHED',
  REFERRER_INACTIVE = 'REFERRER_INACTIVE',
  /** One side was erased (GDPR) while the referral was pending. */
  MEMBER_ERASED = 'MEMBER_ERASED',
}

/**
 * A referee enrolled with a referrer's code. `memberId` is the referee (one referral per referee); PENDING
 * until the referee's first qualifying order vests (QUALIFIED, both rewarded once) or a fraud rule rejects it.
 */
@Entity({ tableName: 'referrals' })
@Index({ properties: ['referrerId', 'createdAt'] })
@Index({ properties: ['status'] })
export class Referral {
  [OptionalProps]?: 'status' | 'rejectionReason' | 'qualifiedAt' | 'rejectedAt' | 'qualifyingOrderId' | 'createdAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  /** The referee. */
  @Unique()
  @Property({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'uuid' })
  referrerId!: string;

  /** The code the referee signed up with (normalised, upper case). */
  @Property({ type: 'text' })
  code!: string;

  @Enum({ items: () => ReferralStatus })
  status: ReferralStatus = ReferralStatus.PENDING;

  @Property({ type: 'text', nullable: true })
  rejectionReason: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  qualifyingOrderId: string | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz', nullable: true })
  qualifiedAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  rejectedAt: Date | null = null;
}

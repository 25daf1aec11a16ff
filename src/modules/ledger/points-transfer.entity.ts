import { Check, Entity, Enum, Index, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';

export enum LedgerEntryKind {
  EARN = 'EARN',
  VEST = 'VEST',
  REDEEM = 'REDEEM',
  REVERSAL = 'REVERSAL',
  EXPIRE = 'EXPIRE',
  ADJUSTMENT = 'ADJUSTMENT',
  REFERRAL_BONUS = 'REFERRAL_BONUS',
  BONUS = 'BONUS',
}

/**
 * Which balance a transfer moves: POSTED and PENDING move `amount` from the debit account's bucket to the
 * credit account's same bucket; VEST moves it from pending to posted inside one account (debit = credit).
 */
export enum TransferBucket {
  POSTED = 'POSTED',
  PENDING = 'PENDING',
  VEST = 'VEST',
}

/** An append-only double-entry transfer of a positive number of points. Corrections are new transfers. */
@Entity({ tableName: 'points_transfers' })
@Check({ name: 'points_transfers_amount_positive', expression: '"amount" > 0' })
@Index({ properties: ['memberId', 'id'] })
@Index({ properties: ['debitAccountId'] })
@Index({ properties: ['creditAccountId'] })
@Index({ properties: ['orderId'] })
export class PointsTransfer {
  [OptionalProps]?: 'createdAt' | 'idempotencyKey' | 'reference' | 'reason' | 'details' | 'expiresAt' | 'orderId';

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'text' })
  currency!: string;

  @Enum({ items: () => LedgerEntryKind })
  kind!: LedgerEntryKind;

  @Enum({ items: () => TransferBucket })
  bucket!: TransferBucket;

  @Property({ type: 'bigint' })
  debitAccountId!: string;

  @Property({ type: 'bigint' })
  creditAccountId!: string;

  /** Always positive. */
  @Property({ type: 'bigint' })
  amount!: string;

  /** The member whose account is one side. */
  @Property({ type: 'uuid' })
  memberId!: string;

  /** At most one transfer per key (adjustments); the request hash lives with the key. */
  @Unique()
  @Property({ type: 'text', nullable: true })
  idempotencyKey: string | null = null;

  @Property({ type: 'text', nullable: true })
  requestHash: string | null = null;

  @Property({ type: 'uuid', nullable: true })
  orderId: string | null = null;

  /** Such as order:<externalId>, hold:<id>. */
  @Property({ type: 'text', nullable: true })
  reference: string | null = null;

  @Property({ type: 'text', nullable: true })
  reason: string | null = null;

  /** Which earning rules applied, who adjusted, and so on. */
  @Property({ type: 'jsonb', nullable: true })
  details: Record<string, unknown> | null = null;

  /** For earnings: when the lot they created expires. */
  @Property({ type: 'timestamptz', nullable: true })
  expiresAt: Date | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

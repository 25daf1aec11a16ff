import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * Each member's purchase summary for the LTV run's RFM (migrations/Migration20261209000000_ltv_member_rfm.ts): kept
 * by triggers on orders in the same transaction as the order writes that change it, and read by rfm.ts for every
 * member whose summary holds as of the run's asOf (no order after it, no refund made after it). Only the database
 * writes it; declared here so the schema has no drift, never persisted through the ORM.
 *
 * Days are UTC days counted from 1970-01-01; money is base-currency minor units net of refunds (netBaseAmountSql).
 * A row whose member has no orders left is deleted.
 */
@Entity({ tableName: 'ltv_member_rfm' })
export class LtvMemberRfm {
  @PrimaryKey({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'int', default: 0 })
  orderCount!: number;

  /** Purchase occasions: the distinct UTC days with an order. */
  @Property({ type: 'int', default: 0 })
  occasions!: number;

  @Property({ type: 'int', nullable: true })
  firstDay?: number | null;

  @Property({ type: 'int', nullable: true })
  lastDay?: number | null;

  /** The latest placed_at: the summary holds for a run as of this time or later. */
  @Property({ type: 'timestamptz', nullable: true })
  lastPlacedAt?: Date | null;

  /** Every order's net value. */
  @Property({ type: 'bigint', default: 0 })
  netMinor!: string;

  /** The net value of the orders on the first day (the first occasion's value). */
  @Property({ type: 'bigint', default: 0 })
  firstDayNetMinor!: string;
}

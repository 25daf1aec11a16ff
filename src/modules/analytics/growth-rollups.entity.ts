import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/*
 * The growth rollups (migrations/Migration20261204080000_growth_rollups.ts). Only the database writes them, by
 * trigger, in the transaction of the order or member write that changes them; GrowthService reads them with SQL.
 * Declared here so the schema has no drift; never persisted through the ORM.
 */

/** Per member: the filters' columns, the first order time, and orders and net spend per UTC month as running totals. */
@Entity({ tableName: 'growth_members' })
@Index({
  name: 'growth_members_joined_at_idx',
  expression: 'create index "growth_members_joined_at_idx" on "growth_members" ("joined_at") include ("first_order_at", "country", "acquisition_channel")',
})
export class GrowthMember {
  @PrimaryKey({ type: 'uuid' })
  memberId!: string;

  @Property({ type: 'timestamptz' })
  joinedAt!: Date;

  @Property({ type: 'text' })
  country!: string;

  @Property({ type: 'text', nullable: true })
  acquisitionChannel?: string | null;

  @Property({ type: 'smallint' })
  shard!: number;

  @Property({ type: 'timestamptz', nullable: true })
  firstOrderAt?: Date | null;

  /** The month (year x 12 + month, UTC) of cum_orders[1] and cum_net[1]: the member's first order month. */
  @Property({ type: 'int', nullable: true })
  baseMonth?: number | null;

  /** cum_orders[k]: orders placed in the months base_month .. base_month + k - 1. */
  @Property({ columnType: 'int[]', nullable: true })
  cumOrders?: number[] | null;

  /** cum_net[k]: their base-currency amounts net of refunds, in minor units. */
  @Property({ columnType: 'bigint[]', nullable: true })
  cumNet?: string[] | null;
}

/** Orders, gross and net base-currency amounts per member per UTC month (year x 12 + month). */
@Entity({ tableName: 'growth_member_months' })
export class GrowthMemberMonth {
  @PrimaryKey({ type: 'uuid' })
  memberId!: string;

  @PrimaryKey({ type: 'int' })
  month!: number;

  @Property({ type: 'int' })
  orders!: number;

  @Property({ type: 'bigint' })
  gross!: string;

  @Property({ type: 'bigint' })
  net!: string;
}

/** The member-months summed per month, country and channel ('' for none), over 64 shards of members. */
@Entity({ tableName: 'growth_month_totals' })
export class GrowthMonthTotal {
  @PrimaryKey({ type: 'int' })
  month!: number;

  @PrimaryKey({ type: 'text' })
  country!: string;

  @PrimaryKey({ type: 'text' })
  acquisitionChannel!: string;

  @PrimaryKey({ type: 'smallint' })
  shard!: number;

  @Property({ type: 'bigint' })
  orders!: string;

  @Property({ type: 'bigint' })
  gross!: string;

  @Property({ type: 'bigint' })
  net!: string;
}

/** Members with an order in `month`, per join month, country and channel ('' for none), over 8 shards of members. */
@Entity({ tableName: 'growth_cohort_cells' })
export class GrowthCohortCell {
  @PrimaryKey({ type: 'int' })
  joinMonth!: number;

  @PrimaryKey({ type: 'int' })
  month!: number;

  @PrimaryKey({ type: 'text' })
  country!: string;

  @PrimaryKey({ type: 'text' })
  acquisitionChannel!: string;

  @PrimaryKey({ type: 'smallint' })
  shard!: number;

  @Property({ type: 'int' })
  members!: number;
}

/** Active days as (day, the member's previous active day or -infinity), per country and channel ('' for none), over 8 shards. */
@Entity({ tableName: 'growth_activity_pairs' })
export class GrowthActivityPair {
  @PrimaryKey({ type: 'date' })
  day!: string;

  @PrimaryKey({ type: 'date' })
  prevDay!: string;

  @PrimaryKey({ type: 'text' })
  country!: string;

  @PrimaryKey({ type: 'text' })
  acquisitionChannel!: string;

  @PrimaryKey({ type: 'smallint' })
  shard!: number;

  @Property({ type: 'int' })
  members!: number;
}

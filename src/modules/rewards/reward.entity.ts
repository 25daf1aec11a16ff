import { ArrayType, Check, Entity, Enum, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';

export enum RewardKind {
  FIXED_DISCOUNT = 'FIXED_DISCOUNT',
  PERCENT_DISCOUNT = 'PERCENT_DISCOUNT',
  FREE_SHIPPING = 'FREE_SHIPPING',
  PRODUCT = 'PRODUCT',
}

/** A catalog reward members buy with points; redeeming one issues a voucher code. */
@Entity({ tableName: 'rewards' })
@Check({ name: 'rewards_stock_remaining_not_negative', expression: '"stock_remaining" >= 0' })
@Check({ name: 'rewards_cost_positive', expression: '"cost" > 0' })
export class Reward {
  [OptionalProps]?:
    | 'names'
    | 'kind'
    | 'amounts'
    | 'percentOff'
    | 'stockTotal'
    | 'stockRemaining'
    | 'perMemberLimit'
    | 'minTierCode'
    | 'startsAt'
    | 'endsAt'
    | 'markets'
    | 'voucherValidDays'
    | 'retiredAt'
    | 'createdAt'
    | 'updatedAt';

  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  /** Upper case, unique. */
  @Unique()
  @Property({ type: 'text' })
  code!: string;

  /** The default name, shown when no localised name fits the reader's locale. */
  @Property({ type: 'text' })
  name!: string;

  /** Localised names by BCP 47 locale ("de-DE", or a bare language "de"). */
  @Property({ type: 'jsonb', default: '{}' })
  names: Record<string, string> = {};

  @Enum({ items: () => RewardKind, default: RewardKind.PRODUCT })
  kind: RewardKind = RewardKind.PRODUCT;

  /** FIXED_DISCOUNT: the discount per currency, in minor units as decimal strings ({ "USD": "500" }). */
  @Property({ type: 'jsonb', nullable: true })
  amounts: Record<string, string> | null = null;

  /** PERCENT_DISCOUNT: whole percent, 1 to 100. */
  @Property({ type: 'integer', nullable: true })
  percentOff: number | null = null;

  /** The points currency the cost is paid in. */
  @Property({ type: 'text' })
  currency!: string;

  @Property({ type: 'integer' })
  cost!: number;

  /** Null: unlimited. */
  @Property({ type: 'integer', nullable: true })
  stockTotal: number | null = null;

  /** Null: unlimited. Taken one at a time by a conditional UPDATE, so it never goes below zero. */
  @Property({ type: 'integer', nullable: true })
  stockRemaining: number | null = null;

  /** Most redemptions per member; null: no limit. */
  @Property({ type: 'integer', nullable: true })
  perMemberLimit: number | null = null;

  /** The lowest membership tier (code) that may redeem it; null: any. */
  @Property({ type: 'text', nullable: true })
  minTierCode: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  startsAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  endsAt: Date | null = null;

  /** ISO 3166-1 alpha-2 countries; empty: every market. */
  @Property({ type: ArrayType<string>, columnType: 'text[]', default: '{}' })
  markets: string[] = [];

  /** How long a voucher issued for it stays usable. */
  @Property({ type: 'integer', default: 90 })
  voucherValidDays: number = 90;

  /** Retired rewards can no longer be redeemed; vouchers already issued still work until they expire. */
  @Property({ type: 'timestamptz', nullable: true })
  retiredAt: Date | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();

  @Property({ type: 'timestamptz' })
  updatedAt: Date = new Date();
}

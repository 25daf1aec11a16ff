import { Entity, Index, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';

/** One rate in the history: units of `currency` per one unit of the base currency, from `effectiveAt` on. */
@Entity({ tableName: 'exchange_rates' })
@Unique({ properties: ['currency', 'effectiveAt'] })
@Index({ properties: ['currency', 'effectiveAt'], name: 'exchange_rates_lookup_idx' })
export class ExchangeRate {
  [OptionalProps]?: 'createdAt';

  @PrimaryKey({ type: 'bigint', autoincrement: true })
  id!: string;

  @Property({ type: 'text' })
  currency!: string;

  /** Exact decimal, as given (numeric keeps every digit). */
  @Property({ type: 'decimal', columnType: 'numeric(24,12)' })
  rate!: string;

  @Property({ type: 'timestamptz' })
  effectiveAt!: Date;

  @Property({ type: 'text', nullable: true })
  createdBy: string | null = null;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

import { Entity, OptionalProps, PrimaryKey, Property } from '@mikro-orm/core';

/** A points currency of the programme. PTS always exists (the first migration creates it). */
@Entity({ tableName: 'points_currencies' })
export class PointsCurrency {
  [OptionalProps]?: 'createdAt';

  /** Short upper-case code, such as PTS. */
  @PrimaryKey({ type: 'text' })
  code!: string;

  @Property({ type: 'text' })
  name!: string;

  /** What one point is worth, in major units of the base currency (PTS: 0.01). */
  @Property({ type: 'decimal', columnType: 'numeric(24,12)' })
  valueInBase!: string;

  /** Points expire this many months after they are earned. */
  @Property({ type: 'integer' })
  expiryMonths!: number;

  /** Whether recorded orders earn this currency. */
  @Property({ type: 'boolean' })
  earnsOnOrders!: boolean;

  /** Points earned per 1.00 of the base currency (before tier and campaign multipliers). */
  @Property({ type: 'decimal', columnType: 'numeric(24,12)' })
  earnRate!: string;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * rate-limiter-flexible's PostgreSQL store table, declared here so that our migrations create it (the
 * limiter runs with tableCreated: true and never issues DDL). Columns exactly as the library expects.
 */
@Entity({ tableName: 'rate_limits' })
export class RateLimitCounter {
  @PrimaryKey({ type: 'varchar(255)' })
  key!: string;

  @Property({ type: 'integer', default: 0 })
  points!: number;

  /** Epoch milliseconds; null never expires. */
  @Property({ type: 'bigint', nullable: true })
  expire!: string | null;
}

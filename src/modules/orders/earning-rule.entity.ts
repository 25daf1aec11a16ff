import { BigIntType, Entity, OptionalProps, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { v7 as uuidv7 } from 'uuid';

/**
 * A campaign earning rule: conditions (markets, date window, minimum order, first order) and effects
 * (a multiplier and/or a fixed bonus) on one points currency.
 */
@Entity({ tableName: 'earning_rules' })
export class EarningRule {
  [OptionalProps]?: 'createdAt' | 'active' | 'markets' | 'startsAt' | 'endsAt' | 'minOrderBaseMinor' | 'firstOrderOnly' | 'multiplier' | 'bonusPoints';

  @PrimaryKey({ type: 'uuid' })
  id: string = uuidv7();

  @Unique()
  @Property({ type: 'text' })
  code!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: 'text' })
  currency!: string;

  /** ISO 3166-1 alpha-2 codes; null for every market. */
  @Property({ type: 'text[]', nullable: true })
  markets: string[] | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  startsAt: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  endsAt: Date | null = null;

  @Property({ type: new BigIntType('bigint'), nullable: true })
  minOrderBaseMinor: bigint | null = null;

  @Property({ type: 'boolean', default: false })
  firstOrderOnly: boolean = false;

  /** Decimal string such as "2"; null for no multiplier. */
  @Property({ type: 'text', nullable: true })
  multiplier: string | null = null;

  @Property({ type: 'integer', nullable: true })
  bonusPoints: number | null = null;

  @Property({ type: 'boolean', default: true })
  active: boolean = true;

  @Property({ type: 'timestamptz' })
  createdAt: Date = new Date();
}

import { BigIntType, Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * The index of membersAtRisk (the most valuable members at high churn risk first), on `table` (member_ltv, or the
 * table an LTV run fills before it takes member_ltv's place: ltv-run.ts scoreIntoNextTable).
 */
export function atRiskIndexSql(table: string, name: string): string {
  return `create index "${name}" on "${table}" ("predicted_12m_minor" desc, "member_id" desc) where churn_risk = 'HIGH' and tier in ('VIP', 'HIGH')`;
}

/**
 * The latest LTV scores of one member (one row per member, replaced by every run). Written only by the LTV
 * run in set-based SQL; read by Member.ltv, membersAtRisk and the perks (`tier`). Money: base-currency minor
 * units, rounded down.
 */
@Entity({ tableName: 'member_ltv' })
@Index({ name: 'member_ltv_at_risk_idx', expression: atRiskIndexSql('member_ltv', 'member_ltv_at_risk_idx') })
export class MemberLtv {
  @PrimaryKey({ type: 'uuid' })
  memberId!: string;

  /** VIP, HIGH, MEDIUM, LOW or NEW (no orders before the run's asOf). */
  @Property({ type: 'text' })
  tier!: string;

  /** LOW, MEDIUM or HIGH. */
  @Property({ type: 'text' })
  churnRisk!: string;

  @Property({ type: 'double' })
  probabilityAlive!: number;

  @Property({ type: 'double', fieldName: 'expected_purchases_12m' })
  expectedPurchases12m!: number;

  /** Gamma-Gamma expected value of one future order, base-currency minor units, rounded down. */
  @Property({ type: new BigIntType('bigint') })
  expectedOrderValueMinor!: bigint;

  /** BG/NBD expected remaining lifetime, weeks. */
  @Property({ type: 'double' })
  expectedLifespanWeeks!: number;

  @Property({ type: new BigIntType('bigint'), fieldName: 'predicted_12m_minor' })
  predicted12mMinor!: bigint;

  @Property({ type: new BigIntType('bigint') })
  historicalMinor!: bigint;

  /** AOV x purchases per year x expected lifespan (years) - CAC; null when there are no orders. */
  @Property({ type: new BigIntType('bigint'), nullable: true })
  formulaLtvMinor!: bigint | null;

  @Property({ type: new BigIntType('bigint'), nullable: true })
  acquisitionCostMinor!: bigint | null;

  /** Formula LTV (before CAC is taken off) divided by CAC; null when CAC is unknown or zero. */
  @Property({ type: 'double', nullable: true })
  ltvToCac!: number | null;

  @Property({ type: 'integer' })
  frequency!: number;

  @Property({ type: 'double' })
  recencyWeeks!: number;

  @Property({ type: 'double' })
  ageWeeks!: number;

  @Property({ type: 'integer' })
  orderCount!: number;

  @Property({ type: 'uuid' })
  runId!: string;

  @Property({ type: 'timestamptz' })
  computedAt!: Date;
}

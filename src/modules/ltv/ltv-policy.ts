/*
 * LTV policy: pure functions over the model's outputs (no I/O). The maths of the models lives in ./btyd.
 */

export enum ChurnRisk {
  LOW = 'LOW',
  MEDIUM = 'MEDIUM',
  HIGH = 'HIGH',
}

export type LtvTier = 'VIP' | 'HIGH' | 'MEDIUM' | 'LOW' | 'NEW';

export interface ChurnThresholds {
  /** HIGH when probability alive is below this. */
  churnHighBelow: number;
  /** MEDIUM when below this (and not HIGH); LOW otherwise. */
  churnMediumBelow: number;
}

export function churnRiskOf(probabilityAlive: number, thresholds: ChurnThresholds): ChurnRisk {
  if (probabilityAlive < thresholds.churnHighBelow) return ChurnRisk.HIGH;
  if (probabilityAlive < thresholds.churnMediumBelow) return ChurnRisk.MEDIUM;
  return ChurnRisk.LOW;
}

/**
 * The percentile ranks (0..1, for percentile_cont) at which each tier starts, from the top shares in percent:
 * [5, 15, 30] gives VIP from 0.95, HIGH from 0.80, MEDIUM from 0.50.
 */
export function tierPercentileRanks(topShares: readonly [number, number, number]): [number, number, number] {
  const [vip, high, medium] = topShares;
  return [1 - vip / 100, 1 - (vip + high) / 100, 1 - (vip + high + medium) / 100].map((rank) => Math.max(0, Math.min(1, round12(rank)))) as [
    number,
    number,
    number,
  ];
}

/** The predicted-value cut-offs of VIP, HIGH and MEDIUM (values at the ranks above, interpolated). */
export interface TierThresholds {
  vip: number;
  high: number;
  medium: number;
}

/**
 * The LTV tier of a member with orders: the highest tier whose cut-off its predicted value reaches. Members with
 * equal predicted values share a tier. A member without orders is NEW (not decided here).
 * The SQL in ltv-run.ts applies exactly this rule (tierCaseSql); test/integration/ltv.test.ts holds them together.
 */
export function tierOf(predictedMinor: number, thresholds: TierThresholds): LtvTier {
  if (predictedMinor >= thresholds.vip) return 'VIP';
  if (predictedMinor >= thresholds.high) return 'HIGH';
  if (predictedMinor >= thresholds.medium) return 'MEDIUM';
  return 'LOW';
}

/** percentile_cont over a sorted list, as PostgreSQL computes it (linear interpolation between neighbours). */
export function percentileCont(sortedAscending: readonly number[], rank: number): number {
  if (sortedAscending.length === 0) return Number.NaN;
  const position = rank * (sortedAscending.length - 1);
  const below = Math.floor(position);
  const above = Math.ceil(position);
  return sortedAscending[below] + (sortedAscending[above] - sortedAscending[below]) * (position - below);
}

/**
 * percentile_cont over a sorted list given as its distinct values in ascending order, each with the number of times
 * it occurs: the same value as percentileCont over the list written out (the LTV run's cut-offs come from the
 * members' predicted values grouped in the database; percentileCont, the tests' reference, stays written on its own).
 */
export function percentileContOfCounts(values: ArrayLike<number>, counts: ArrayLike<number>, rank: number): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  if (total === 0) return Number.NaN;
  const position = rank * (total - 1);
  const below = Math.floor(position);
  const above = Math.ceil(position);
  const valueAt = (index: number): number => {
    let seen = 0;
    for (let i = 0; i < values.length; i++) {
      seen += counts[i];
      if (index < seen) return values[i];
    }
    return Number.NaN;
  };
  const low = valueAt(below);
  return low + (valueAt(above) - low) * (position - below);
}

export interface LtvInputs {
  /** Expected value of one future order, base minor units (Gamma-Gamma). */
  expectedOrderValueMinor: number;
  /** Expected purchases over the next 52 weeks (BG/NBD, dropout included). */
  expectedPurchases12m: number;
  /** Purchases per year of the member while alive: 52 E[lambda | history, alive] (purchasesPerYearWhileAlive). */
  purchasesPerYear: number;
  /** Expected remaining lifetime, weeks (BG/NBD expectedLifespanWeeks: P(alive) x lifetime while alive, capped). */
  expectedLifespanWeeks: number;
  /** Acquisition cost in base minor units; null when unknown. */
  acquisitionCostMinor: bigint | null;
}

export interface LtvFigures {
  /** Expected purchases over the next 12 months x expected order value, rounded down. */
  predicted12mMinor: bigint;
  /** AOV x purchases per year x expected lifespan (years) - CAC, rounded down. */
  formulaLtvMinor: bigint;
  /** AOV x purchases per year x lifespan (before CAC) / CAC; null when CAC is unknown or zero. */
  ltvToCac: number | null;
}

export const WEEKS_PER_YEAR = 52;

/**
 * Purchases per year of a member who is still alive: 52 x the posterior mean purchase rate, E[lambda | x, T, alive]
 * = (r + x) / (alpha + T) (lambda ~ Gamma(r + x, alpha + T) given the history and survival; see the derivation on
 * btyd expectedLifespanWeeks, whose LTV note names this factor).
 */
export function purchasesPerYearWhileAlive(params: { r: number; alpha: number }, frequency: number, T: number): number {
  return (WEEKS_PER_YEAR * (params.r + frequency)) / (params.alpha + T);
}

/**
 * The growth plan's formula LTV: AOV x purchases per year x expected lifespan in years - CAC, where AOV is the
 * Gamma-Gamma expected order value, purchases per year the rate while alive and the lifespan the BG/NBD expected
 * remaining lifetime (which carries the probability of being alive); see README, "LTV".
 */
export function ltvFigures(inputs: LtvInputs): LtvFigures {
  const predicted = inputs.expectedPurchases12m * inputs.expectedOrderValueMinor;
  const gross = inputs.expectedOrderValueMinor * inputs.purchasesPerYear * (inputs.expectedLifespanWeeks / WEEKS_PER_YEAR);
  const cac = inputs.acquisitionCostMinor;
  return {
    predicted12mMinor: floorToBigInt(predicted),
    formulaLtvMinor: floorToBigInt(gross - Number(cac ?? 0n)),
    ltvToCac: cac === null || cac === 0n ? null : gross / Number(cac),
  };
}

function floorToBigInt(value: number): bigint {
  if (!Number.isFinite(value)) throw new RangeError(`LTV figure is not finite: ${value}`);
  return BigInt(Math.floor(value));
}

function round12(value: number): number {
  return Math.round(value * 1e12) / 1e12;
}

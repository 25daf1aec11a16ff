/*
 * The arithmetic of the growth metrics: plain functions over plain numbers, so that they are unit-tested
 * without a database. The SQL in growth.service.ts only counts and sums; every division happens here.
 */

/** A ratio with its parts, so that a reader can check it: value is null when the denominator is 0. */
export interface RatioParts {
  value: number | null;
  numerator: number;
  denominator: number;
}

export function ratio(numerator: number, denominator: number): RatioParts {
  if (!Number.isFinite(numerator) || !Number.isFinite(denominator) || denominator < 0 || numerator < 0) {
    throw new RangeError(`a ratio needs non-negative finite parts, got ${numerator}/${denominator}`);
  }
  return { value: denominator === 0 ? null : numerator / denominator, numerator, denominator };
}

/** A money amount (integer minor units) per count: the value is rounded down to a minor unit, like every conversion here. */
export interface MoneyRatioParts {
  valueMinor: bigint | null;
  numeratorMinor: bigint;
  denominator: number;
}

export function moneyRatio(numeratorMinor: bigint, denominator: number): MoneyRatioParts {
  if (!Number.isSafeInteger(denominator) || denominator < 0) throw new RangeError(`a money ratio needs a whole, non-negative denominator, got ${denominator}`);
  if (denominator === 0) return { valueMinor: null, numeratorMinor, denominator };
  const divisor = BigInt(denominator);
  // Floor division, also for a negative numerator (net revenue can be negative after refunds of earlier orders).
  const quotient = numeratorMinor / divisor;
  const valueMinor = numeratorMinor % divisor !== 0n && numeratorMinor < 0n ? quotient - 1n : quotient;
  return { valueMinor, numeratorMinor, denominator };
}

/** Money over money in the same currency (LTV:CAC): the value is a plain number, null when the denominator is 0. */
export interface ValueRatioParts {
  value: number | null;
  numeratorMinor: bigint;
  denominatorMinor: bigint;
}

export function valueRatio(numeratorMinor: bigint, denominatorMinor: bigint): ValueRatioParts {
  if (denominatorMinor < 0n) throw new RangeError(`a value ratio needs a non-negative denominator, got ${denominatorMinor}`);
  return { value: denominatorMinor === 0n ? null : Number(numeratorMinor) / Number(denominatorMinor), numeratorMinor, denominatorMinor };
}

/**
 * The median of whole numbers given as a histogram (value -> how many times it occurs), or null when empty:
 * the middle value, or the mean of the two middle values for an even count. A histogram lets SQL send one row
 * per distinct value instead of one row per member.
 */
export function medianOfHistogram(histogram: ReadonlyArray<{ value: number; count: number }>): number | null {
  const buckets = histogram.filter((bucket) => bucket.count > 0).sort((a, b) => a.value - b.value);
  const total = buckets.reduce((sum, bucket) => sum + bucket.count, 0);
  if (total === 0) return null;
  // 0-based positions of the middle element(s) in the sorted list.
  const lower = Math.floor((total - 1) / 2);
  const upper = Math.floor(total / 2);
  return (valueAt(buckets, lower) + valueAt(buckets, upper)) / 2;
}

function valueAt(buckets: ReadonlyArray<{ value: number; count: number }>, position: number): number {
  let seen = 0;
  for (const bucket of buckets) {
    seen += bucket.count;
    if (position < seen) return bucket.value;
  }
  throw new RangeError(`position ${position} is past the end of the histogram`);
}

/** The months a cohort can be followed for: its join month up to the month that contains the period's end. */
export interface CohortInput {
  /** First day of the join month, as YYYY-MM. */
  month: string;
  members: number;
}

export interface CohortRow {
  month: string;
  members: number;
  /** Cell n: share of the cohort with an order in month n after the join month (0 = the join month). */
  cells: RatioParts[];
}

/**
 * The cohort grid: one row per cohort (oldest first), each with one cell per month from its join month up to
 * `lastMonth` (the month that contains the end of the period), missing counts being 0.
 */
export function cohortGrid(
  cohorts: ReadonlyArray<CohortInput>,
  activeCounts: ReadonlyArray<{ month: string; offset: number; members: number }>,
  lastMonth: string,
): CohortRow[] {
  const active = new Map(activeCounts.map((entry) => [`${entry.month}+${entry.offset}`, entry.members]));
  return [...cohorts]
    .sort((a, b) => a.month.localeCompare(b.month))
    .map((cohort) => {
      const months = monthsBetween(cohort.month, lastMonth) + 1;
      const cells = Array.from({ length: Math.max(months, 0) }, (_, offset) => ratio(active.get(`${cohort.month}+${offset}`) ?? 0, cohort.members));
      return { month: cohort.month, members: cohort.members, cells };
    });
}

/** Whole months from `from` to `to`, both YYYY-MM. */
export function monthsBetween(from: string, to: string): number {
  const [fromYear, fromMonth] = parseMonth(from);
  const [toYear, toMonth] = parseMonth(to);
  return (toYear - fromYear) * 12 + (toMonth - fromMonth);
}

function parseMonth(month: string): [number, number] {
  const match = /^(\d{4})-(\d{2})$/.exec(month);
  if (!match) throw new RangeError(`not a YYYY-MM month: ${month}`);
  return [Number(match[1]), Number(match[2])];
}

/** YYYY-MM of an instant, in UTC. */
export function monthOf(at: Date): string {
  return at.toISOString().slice(0, 7);
}

/** The cohort grid as CSV: a header, then one row per cohort; cells a cohort has not reached yet are empty. */
export function cohortCsv(rows: ReadonlyArray<CohortRow>): string {
  const width = rows.reduce((widest, row) => Math.max(widest, row.cells.length), 0);
  const header = ['cohort', 'members', ...Array.from({ length: width }, (_, offset) => `month_${offset}`)];
  const lines = rows.map((row) => [row.month, String(row.members), ...Array.from({ length: width }, (_, offset) => formatShare(row.cells[offset]))]);
  return [header, ...lines].map((line) => line.join(',')).join('\r\n') + '\r\n';
}

function formatShare(cell: RatioParts | undefined): string {
  return cell?.value == null ? '' : String(cell.value);
}

/**
 * Engagement from activity counts: DAU is the mean number of distinct active members per day over the days
 * of the period (member-days / days); DAU/MAU is that mean over MAU, kept exact as member-days / (days x MAU).
 */
export function engagement(activeMemberDays: number, days: number, monthlyActive: number): { dau: RatioParts; mau: number; dauMau: RatioParts } {
  return { dau: ratio(activeMemberDays, days), mau: monthlyActive, dauMau: ratio(activeMemberDays, days * monthlyActive) };
}

const DAY_MS = 86_400_000;

/** A span of whole UTC days: `first` included, `end` excluded (YYYY-MM-DD), and how many days that is. */
export interface DaySpan {
  first: string;
  end: string;
  days: number;
}

/** The UTC days whose start lies in [from, to): the days DAU averages over (MAU: from = to - 30 days). */
export function daysStartingIn(from: Date, to: Date): DaySpan {
  const first = Math.ceil(from.getTime() / DAY_MS);
  const end = Math.max(Math.ceil(to.getTime() / DAY_MS), first);
  const day = (index: number) => new Date(index * DAY_MS).toISOString().slice(0, 10);
  return { first: day(first), end: day(end), days: end - first };
}

/** The 30 UTC days that MAU counts: those whose start lies in [to - 30 days, to). */
export function mauDays(to: Date): DaySpan {
  return daysStartingIn(new Date(to.getTime() - 30 * DAY_MS), to);
}

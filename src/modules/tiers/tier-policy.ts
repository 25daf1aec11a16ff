/**
 * Membership tier policy as plain functions over plain data: which tier a qualifying spend reaches, what a
 * review at the end of a retention period decides, progress to the next tier, support priority from perks,
 * and whose birthday it is. The tier service does the I/O around them.
 */

/** One rung of the ladder. */
export interface TierRung {
  code: string;
  rank: number;
  /** Qualifying spend needed, in minor units of the base currency. */
  thresholdMinor: bigint;
}

/** A member's current standing. */
export interface TierStanding {
  tierCode: string;
  /** Null on the lowest tier, which is never reviewed. */
  retainUntil: Date | null;
}

export type TierChangeReason = 'UPGRADE' | 'DOWNGRADE' | 'REQUALIFIED';

export interface TierDecision {
  tierCode: string;
  retainUntil: Date | null;
  reason: TierChangeReason;
}

/** The ladder lowest rank first. */
export function sortLadder<T extends TierRung>(ladder: readonly T[]): T[] {
  return [...ladder].sort((a, b) => a.rank - b.rank);
}

/**
 * A ladder is usable when it is non-empty, ranks are distinct, the lowest tier needs no spend and each
 * higher tier needs strictly more than the one below. Returns the problem, or null.
 */
export function ladderProblem(ladder: readonly TierRung[]): string | null {
  if (ladder.length === 0) return 'the ladder needs at least one tier';
  const sorted = sortLadder(ladder);
  if (sorted[0].thresholdMinor !== 0n) return `the lowest tier (${sorted[0].code}) must have a threshold of 0`;
  for (let index = 1; index < sorted.length; index++) {
    if (sorted[index].rank === sorted[index - 1].rank) return `tiers ${sorted[index - 1].code} and ${sorted[index].code} share rank ${sorted[index].rank}`;
    if (sorted[index].thresholdMinor <= sorted[index - 1].thresholdMinor) {
      return `tier ${sorted[index].code} must need more qualifying spend than ${sorted[index - 1].code}`;
    }
  }
  return null;
}

/** The highest tier whose threshold the spend reaches (the lowest tier when none is reached). */
export function tierForSpend<T extends TierRung>(ladder: readonly T[], spendMinor: bigint): T {
  const sorted = sortLadder(ladder);
  let reached = sorted[0];
  for (const rung of sorted) if (spendMinor >= rung.thresholdMinor) reached = rung;
  return reached;
}

function rungOf<T extends TierRung>(ladder: readonly T[], code: string): T {
  // A code missing from the ladder (deleted since) counts as the lowest tier.
  return ladder.find((rung) => rung.code === code) ?? sortLadder(ladder)[0];
}

/** The tier a member holds: its stored tier, or the lowest tier when it has none yet. */
export function currentRung<T extends TierRung>(ladder: readonly T[], standing: TierStanding | null): T {
  return standing ? rungOf(ladder, standing.tierCode) : sortLadder(ladder)[0];
}

/**
 * After an order (or any change to qualifying spend): upgrade at once when the spend reaches a higher tier.
 * The new tier is kept for `retentionMonths` from now. Never downgrades. Null when nothing changes.
 */
export function upgradeDecision(
  ladder: readonly TierRung[],
  standing: TierStanding | null,
  spendMinor: bigint,
  now: Date,
  retainUntilFrom: (now: Date) => Date,
): TierDecision | null {
  const current = currentRung(ladder, standing);
  const reached = tierForSpend(ladder, spendMinor);
  if (reached.rank <= current.rank) return null;
  return { tierCode: reached.code, retainUntil: retainUntilFrom(now), reason: 'UPGRADE' };
}

/**
 * At the end of the retention period (retainUntil <= now): a member whose spend still reaches its tier (or
 * more) requalifies for another period (or moves up); otherwise it drops exactly one tier, which it keeps for
 * a new period (the lowest tier is kept for good). Null when the review is not due.
 */
export function reviewDecision(
  ladder: readonly TierRung[],
  standing: TierStanding | null,
  spendMinor: bigint,
  now: Date,
  retainUntilFrom: (now: Date) => Date,
): TierDecision | null {
  if (!standing || standing.retainUntil === null || standing.retainUntil > now) return null;
  const sorted = sortLadder(ladder);
  const current = currentRung(sorted, standing);
  const reached = tierForSpend(sorted, spendMinor);
  if (reached.rank > current.rank) return { tierCode: reached.code, retainUntil: retainUntilFrom(now), reason: 'UPGRADE' };
  if (reached.rank === current.rank) {
    return { tierCode: current.code, retainUntil: current.rank === sorted[0].rank ? null : retainUntilFrom(now), reason: 'REQUALIFIED' };
  }
  const oneBelow = [...sorted].reverse().find((rung) => rung.rank < current.rank)!;
  return { tierCode: oneBelow.code, retainUntil: oneBelow.rank === sorted[0].rank ? null : retainUntilFrom(now), reason: 'DOWNGRADE' };
}

export interface TierProgressFigures<T extends TierRung> {
  current: T;
  next: T | null;
  /** Null on the top tier. Never negative. */
  remainingToNextMinor: bigint | null;
}

export function tierProgress<T extends TierRung>(ladder: readonly T[], standing: TierStanding | null, spendMinor: bigint): TierProgressFigures<T> {
  const sorted = sortLadder(ladder);
  const current = currentRung(sorted, standing);
  const next = sorted.find((rung) => rung.rank > current.rank) ?? null;
  if (!next) return { current, next: null, remainingToNextMinor: null };
  const remaining = next.thresholdMinor - spendMinor;
  return { current, next, remainingToNextMinor: remaining > 0n ? remaining : 0n };
}

/** Support priorities, lowest first. */
export const SUPPORT_PRIORITIES = ['STANDARD', 'PRIORITY', 'DEDICATED'] as const;
export type SupportPriorityLevel = (typeof SUPPORT_PRIORITIES)[number];

/** The highest priority any of the perks grants; STANDARD without any. */
export function highestSupportPriority(granted: readonly (SupportPriorityLevel | null)[]): SupportPriorityLevel {
  let highest = 0;
  for (const priority of granted) if (priority) highest = Math.max(highest, SUPPORT_PRIORITIES.indexOf(priority));
  return SUPPORT_PRIORITIES[highest];
}

/**
 * The MM-DD birthdays celebrated on a UTC day: the day itself, and on 28 February of a year without
 * 29 February, also 02-29.
 */
export function birthdaysOn(day: Date): string[] {
  const month = day.getUTCMonth() + 1;
  const date = day.getUTCDate();
  const text = `${String(month).padStart(2, '0')}-${String(date).padStart(2, '0')}`;
  const year = day.getUTCFullYear();
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && date === 28 && !leap ? [text, '02-29'] : [text];
}

import {
  birthdaysOn,
  highestSupportPriority,
  ladderProblem,
  reviewDecision,
  TierRung,
  tierForSpend,
  tierProgress,
  upgradeDecision,
} from '../../src/modules/tiers/tier-policy';
import { localisedName } from '../../src/localised-names';
import { addMonths } from '../../src/time';

const LADDER: TierRung[] = [
  { code: 'GOLD', rank: 2, thresholdMinor: 100_000n },
  { code: 'BRONZE', rank: 0, thresholdMinor: 0n },
  { code: 'PLATINUM', rank: 3, thresholdMinor: 300_000n },
  { code: 'SILVER', rank: 1, thresholdMinor: 30_000n },
];
const NOW = new Date('2026-06-15T12:00:00Z');
const retain = (now: Date) => addMonths(now, 12);
const DUE = new Date('2026-06-15T11:59:59Z');
const LATER = new Date('2026-06-15T12:00:01Z');

describe('tierForSpend', () => {
  it('is the highest tier whose threshold the spend reaches, at the exact threshold too', () => {
    expect(tierForSpend(LADDER, 0n).code).toBe('BRONZE');
    expect(tierForSpend(LADDER, 29_999n).code).toBe('BRONZE');
    expect(tierForSpend(LADDER, 30_000n).code).toBe('SILVER');
    expect(tierForSpend(LADDER, 99_999n).code).toBe('SILVER');
    expect(tierForSpend(LADDER, 100_000n).code).toBe('GOLD');
    expect(tierForSpend(LADDER, 5_000_000n).code).toBe('PLATINUM');
    expect(tierForSpend(LADDER, -500n).code).toBe('BRONZE');
  });
});

describe('ladderProblem', () => {
  it('accepts the default ladder in any order', () => {
    expect(ladderProblem(LADDER)).toBeNull();
  });
  it('names what is wrong', () => {
    expect(ladderProblem([])).toBe('the ladder needs at least one tier');
    expect(ladderProblem([{ code: 'A', rank: 0, thresholdMinor: 1n }])).toBe('the lowest tier (A) must have a threshold of 0');
    expect(ladderProblem([...LADDER, { code: 'X', rank: 2, thresholdMinor: 200_000n }])).toMatch(/share rank 2/);
    expect(ladderProblem([...LADDER.filter((t) => t.code !== 'GOLD'), { code: 'GOLD', rank: 2, thresholdMinor: 30_000n }])).toBe(
      'tier GOLD must need more qualifying spend than SILVER',
    );
  });
});

describe('upgradeDecision', () => {
  it('upgrades at once, straight to the tier reached, kept for the retention period', () => {
    expect(upgradeDecision(LADDER, null, 150_000n, NOW, retain)).toEqual({ tierCode: 'GOLD', retainUntil: new Date('2027-06-15T12:00:00Z'), reason: 'UPGRADE' });
    expect(upgradeDecision(LADDER, { tierCode: 'SILVER', retainUntil: DUE }, 300_000n, NOW, retain)?.tierCode).toBe('PLATINUM');
  });
  it('never downgrades and changes nothing at the same tier', () => {
    expect(upgradeDecision(LADDER, { tierCode: 'GOLD', retainUntil: LATER }, 0n, NOW, retain)).toBeNull();
    expect(upgradeDecision(LADDER, { tierCode: 'GOLD', retainUntil: LATER }, 150_000n, NOW, retain)).toBeNull();
    expect(upgradeDecision(LADDER, null, 29_999n, NOW, retain)).toBeNull();
  });
});

describe('reviewDecision', () => {
  it('is not due before retainUntil, nor for the lowest tier', () => {
    expect(reviewDecision(LADDER, { tierCode: 'GOLD', retainUntil: LATER }, 0n, NOW, retain)).toBeNull();
    expect(reviewDecision(LADDER, { tierCode: 'BRONZE', retainUntil: null }, 0n, NOW, retain)).toBeNull();
    expect(reviewDecision(LADDER, null, 0n, NOW, retain)).toBeNull();
  });
  it('drops exactly one tier when the spend no longer qualifies, even with no spend at all', () => {
    expect(reviewDecision(LADDER, { tierCode: 'PLATINUM', retainUntil: DUE }, 0n, NOW, retain)).toEqual({
      tierCode: 'GOLD',
      retainUntil: new Date('2027-06-15T12:00:00Z'),
      reason: 'DOWNGRADE',
    });
    expect(reviewDecision(LADDER, { tierCode: 'SILVER', retainUntil: NOW }, 10n, NOW, retain)).toEqual({ tierCode: 'BRONZE', retainUntil: null, reason: 'DOWNGRADE' });
  });
  it('requalifies for another period when the spend still reaches the tier; moves up when it reaches more', () => {
    expect(reviewDecision(LADDER, { tierCode: 'GOLD', retainUntil: DUE }, 100_000n, NOW, retain)).toEqual({
      tierCode: 'GOLD',
      retainUntil: new Date('2027-06-15T12:00:00Z'),
      reason: 'REQUALIFIED',
    });
    expect(reviewDecision(LADDER, { tierCode: 'GOLD', retainUntil: DUE }, 300_000n, NOW, retain)?.reason).toBe('UPGRADE');
  });
  it('treats a tier deleted from the ladder as the lowest', () => {
    expect(reviewDecision(LADDER, { tierCode: 'GONE', retainUntil: DUE }, 40_000n, NOW, retain)).toEqual({
      tierCode: 'SILVER',
      retainUntil: new Date('2027-06-15T12:00:00Z'),
      reason: 'UPGRADE',
    });
  });
});

describe('tierProgress', () => {
  it('shows the next tier and what is left to reach it, never negative, none at the top', () => {
    expect(tierProgress(LADDER, null, 12_345n)).toMatchObject({ current: { code: 'BRONZE' }, next: { code: 'SILVER' }, remainingToNextMinor: 17_655n });
    // Kept at GOLD by retention with less spend than GOLD needs: the next tier is still PLATINUM.
    expect(tierProgress(LADDER, { tierCode: 'GOLD', retainUntil: LATER }, 5n)).toMatchObject({ current: { code: 'GOLD' }, next: { code: 'PLATINUM' }, remainingToNextMinor: 299_995n });
    expect(tierProgress(LADDER, { tierCode: 'SILVER', retainUntil: LATER }, 400_000n).remainingToNextMinor).toBe(0n);
    expect(tierProgress(LADDER, { tierCode: 'PLATINUM', retainUntil: LATER }, 1n)).toMatchObject({ next: null, remainingToNextMinor: null });
  });
});

describe('highestSupportPriority', () => {
  it('is the highest granted, STANDARD without any', () => {
    expect(highestSupportPriority([])).toBe('STANDARD');
    expect(highestSupportPriority([null, null])).toBe('STANDARD');
    expect(highestSupportPriority([null, 'PRIORITY'])).toBe('PRIORITY');
    expect(highestSupportPriority(['DEDICATED', 'PRIORITY', null])).toBe('DEDICATED');
  });
});

describe('birthdaysOn', () => {
  it('is the UTC day; 29 February falls on 28 February outside leap years', () => {
    expect(birthdaysOn(new Date('2026-03-14T23:59:59Z'))).toEqual(['03-14']);
    expect(birthdaysOn(new Date('2027-02-28T00:00:00Z'))).toEqual(['02-28', '02-29']);
    expect(birthdaysOn(new Date('2028-02-28T00:00:00Z'))).toEqual(['02-28']);
    expect(birthdaysOn(new Date('2028-02-29T00:00:00Z'))).toEqual(['02-29']);
    expect(birthdaysOn(new Date('2100-02-28T00:00:00Z'))).toEqual(['02-28', '02-29']);
  });
});

describe('localisedName', () => {
  it('prefers the exact locale, then its language, then the default', () => {
    const names = { de: 'Gold (de)', 'pt-BR': 'Ouro' };
    expect(localisedName('Gold', names, 'pt-BR')).toBe('Ouro');
    expect(localisedName('Gold', names, 'de-AT')).toBe('Gold (de)');
    expect(localisedName('Gold', names, 'ja-JP')).toBe('Gold');
    expect(localisedName('Gold', names, null)).toBe('Gold');
  });
});

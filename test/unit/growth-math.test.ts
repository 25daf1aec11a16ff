import {
  cohortCsv,
  cohortGrid,
  daysStartingIn,
  engagement,
  mauDays,
  medianOfHistogram,
  monthOf,
  monthsBetween,
  moneyRatio,
  ratio,
} from '../../src/modules/analytics/growth-math';

describe('ratio', () => {
  it('keeps its parts and is null over 0', () => {
    expect(ratio(1, 4)).toEqual({ value: 0.25, numerator: 1, denominator: 4 });
    expect(ratio(0, 0)).toEqual({ value: null, numerator: 0, denominator: 0 });
    expect(ratio(0, 3)).toEqual({ value: 0, numerator: 0, denominator: 3 });
  });

  it('refuses negative or non-finite parts', () => {
    expect(() => ratio(-1, 2)).toThrow(RangeError);
    expect(() => ratio(1, Number.NaN)).toThrow(RangeError);
  });
});

describe('moneyRatio', () => {
  it('rounds down to a minor unit, also below zero', () => {
    expect(moneyRatio(1000n, 3)).toEqual({ valueMinor: 333n, numeratorMinor: 1000n, denominator: 3 });
    expect(moneyRatio(999n, 1000)).toEqual({ valueMinor: 0n, numeratorMinor: 999n, denominator: 1000 });
    expect(moneyRatio(-1000n, 3)).toEqual({ valueMinor: -334n, numeratorMinor: -1000n, denominator: 3 });
    expect(moneyRatio(-900n, 3)).toEqual({ valueMinor: -300n, numeratorMinor: -900n, denominator: 3 });
    expect(moneyRatio(500n, 0)).toEqual({ valueMinor: null, numeratorMinor: 500n, denominator: 0 });
  });

  it('keeps amounts beyond 2^53 exact', () => {
    expect(moneyRatio(10n ** 20n + 1n, 2).valueMinor).toBe(5n * 10n ** 19n);
  });

  it('needs a whole denominator', () => {
    expect(() => moneyRatio(1n, 1.5)).toThrow(RangeError);
  });
});

describe('medianOfHistogram', () => {
  it('is the middle value of an odd count', () => {
    expect(medianOfHistogram([{ value: 26, count: 1 }, { value: 0, count: 1 }, { value: 2, count: 1 }])).toBe(2);
    expect(medianOfHistogram([{ value: 5, count: 3 }])).toBe(5);
  });

  it('is the mean of the two middle values of an even count', () => {
    expect(medianOfHistogram([{ value: 1, count: 1 }, { value: 4, count: 1 }])).toBe(2.5);
    // 0 0 0 | 7 7 10: the middle pair is 0 and 7.
    expect(medianOfHistogram([{ value: 0, count: 3 }, { value: 7, count: 2 }, { value: 10, count: 1 }])).toBe(3.5);
  });

  it('agrees with sorting the expanded list', () => {
    for (let run = 0; run < 200; run += 1) {
      const histogram = Array.from({ length: 1 + (run % 7) }, (_, index) => ({ value: (index * 37 + run) % 50, count: (index * 13 + run) % 5 }));
      const values = histogram.flatMap((bucket) => Array<number>(bucket.count).fill(bucket.value)).sort((a, b) => a - b);
      const expected = values.length === 0 ? null : (values[Math.floor((values.length - 1) / 2)] + values[Math.floor(values.length / 2)]) / 2;
      expect(medianOfHistogram(histogram)).toBe(expected);
    }
  });

  it('is null when empty', () => {
    expect(medianOfHistogram([])).toBeNull();
    expect(medianOfHistogram([{ value: 3, count: 0 }])).toBeNull();
  });
});

describe('cohortGrid', () => {
  it('gives each cohort one cell per month up to the last month, missing counts 0, oldest first', () => {
    const grid = cohortGrid(
      [{ month: '2025-12', members: 2 }, { month: '2025-11', members: 4 }],
      [{ month: '2025-11', offset: 0, members: 4 }, { month: '2025-11', offset: 2, members: 1 }, { month: '2025-12', offset: 1, members: 2 }],
      '2026-01',
    );
    expect(grid).toEqual([
      { month: '2025-11', members: 4, cells: [ratio(4, 4), ratio(0, 4), ratio(1, 4)] },
      { month: '2025-12', members: 2, cells: [ratio(0, 2), ratio(2, 2)] },
    ]);
  });

  it('counts months across years', () => {
    expect(monthsBetween('2024-11', '2026-02')).toBe(15);
    expect(monthOf(new Date('2026-02-28T23:59:59.999Z'))).toBe('2026-02');
  });
});

describe('cohortCsv', () => {
  it('writes a header and one row per cohort; cells not reached yet are empty', () => {
    const grid = cohortGrid([{ month: '2025-11', members: 4 }, { month: '2025-12', members: 2 }], [{ month: '2025-11', offset: 1, members: 1 }], '2025-12');
    expect(cohortCsv(grid)).toBe('cohort,members,month_0,month_1\r\n2025-11,4,0,0.25\r\n2025-12,2,0,\r\n');
    expect(cohortCsv([])).toBe('cohort,members\r\n');
  });
});

describe('engagement days', () => {
  it('counts the UTC days that start in the period', () => {
    expect(daysStartingIn(new Date('2025-03-01T00:00:00Z'), new Date('2025-05-01T00:00:00Z'))).toEqual({ first: '2025-03-01', end: '2025-05-01', days: 61 });
    // A day that starts before `from` is not in the period; one that starts before `to` is.
    expect(daysStartingIn(new Date('2025-03-01T06:00:00Z'), new Date('2025-03-03T06:00:00Z'))).toEqual({ first: '2025-03-02', end: '2025-03-04', days: 2 });
    expect(daysStartingIn(new Date('2025-03-01T06:00:00Z'), new Date('2025-03-01T07:00:00Z'))).toEqual({ first: '2025-03-02', end: '2025-03-02', days: 0 });
  });

  it('takes MAU over exactly 30 days ending at `to`', () => {
    expect(mauDays(new Date('2025-05-01T00:00:00Z'))).toEqual({ first: '2025-04-01', end: '2025-05-01', days: 30 });
    expect(mauDays(new Date('2025-05-01T12:00:00Z'))).toEqual({ first: '2025-04-02', end: '2025-05-02', days: 30 });
  });

  it('derives DAU and an exact DAU/MAU', () => {
    expect(engagement(6, 61, 3)).toEqual({ dau: ratio(6, 61), mau: 3, dauMau: ratio(6, 183) });
    expect(engagement(0, 0, 0).dauMau).toEqual({ value: null, numerator: 0, denominator: 0 });
  });
});

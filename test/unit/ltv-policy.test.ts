import { describe, expect, it } from '@jest/globals';
import { floatPrng } from '../helpers/random';
import { ChurnRisk, churnRiskOf, ltvFigures, percentileCont, percentileContOfCounts, purchasesPerYearWhileAlive, tierOf, tierPercentileRanks } from '../../src/modules/ltv/ltv-policy';

describe('LTV policy', () => {
  it('grades churn risk at the configured thresholds (below is riskier)', () => {
    const thresholds = { churnHighBelow: 0.3, churnMediumBelow: 0.7 };
    expect([0, 0.29999, 0.3, 0.69999, 0.7, 1].map((alive) => churnRiskOf(alive, thresholds))).toEqual([
      ChurnRisk.HIGH,
      ChurnRisk.HIGH,
      ChurnRisk.MEDIUM,
      ChurnRisk.MEDIUM,
      ChurnRisk.LOW,
      ChurnRisk.LOW,
    ]);
  });

  it('turns top shares into percentile ranks and splits 100 distinct values 5/15/30/50', () => {
    expect(tierPercentileRanks([5, 15, 30])).toEqual([0.95, 0.8, 0.5]);
    expect(tierPercentileRanks([10, 20, 30])).toEqual([0.9, 0.7, 0.4]);
    const values = Array.from({ length: 100 }, (_, index) => (index + 1) * 10);
    const [vip, high, medium] = tierPercentileRanks([5, 15, 30]).map((rank) => percentileCont(values, rank));
    expect([vip, high, medium]).toEqual([950.5, 802, 505]);
    const counts: Record<string, number> = {};
    for (const value of values) counts[tierOf(value, { vip, high, medium })] = (counts[tierOf(value, { vip, high, medium })] ?? 0) + 1;
    expect(counts).toEqual({ VIP: 5, HIGH: 15, MEDIUM: 30, LOW: 50 });
  });

  it('interpolates percentile_cont as PostgreSQL does', () => {
    expect(percentileCont([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentileCont([7], 0.95)).toBe(7);
    expect(percentileCont([0, 10], 0.25)).toBe(2.5);
  });

  it('gives the same percentile_cont from distinct values with their counts as from the list written out', () => {
    const { uniform: random } = floatPrng(20261205);
    for (let trial = 0; trial < 50; trial++) {
      const list = Array.from({ length: 1 + Math.floor(random() * 400) }, () => Math.floor(random() * 60) * 137.25).sort((a, b) => a - b);
      const values = [...new Set(list)];
      const counts = values.map((value) => list.filter((item) => item === value).length);
      for (const rank of [0, 0.3, 0.5, 0.8, 0.95, 0.999, 1]) expect(percentileContOfCounts(values, counts, rank)).toBe(percentileCont(list, rank));
    }
    expect(percentileContOfCounts([3, 8], [3, 1], 0.5)).toBe(3);
    expect(percentileContOfCounts([3, 8], [1, 1], 0.5)).toBe(5.5);
    expect(percentileContOfCounts([], [], 0.5)).toBeNaN();
  });

  it('computes the formula LTV, the 12-month prediction and LTV:CAC, rounding money down', () => {
    // AOV 50.00, 4 purchases a year, a lifespan of 104 weeks (2 years): 400.00 gross.
    const inputs = { expectedOrderValueMinor: 5000, expectedPurchases12m: 2.5, purchasesPerYear: 4, expectedLifespanWeeks: 104 };
    expect(ltvFigures({ ...inputs, acquisitionCostMinor: 10000n })).toEqual({ predicted12mMinor: 12500n, formulaLtvMinor: 30000n, ltvToCac: 4 });
    expect(ltvFigures({ ...inputs, acquisitionCostMinor: null })).toEqual({ predicted12mMinor: 12500n, formulaLtvMinor: 40000n, ltvToCac: null });
    expect(ltvFigures({ ...inputs, acquisitionCostMinor: 0n }).ltvToCac).toBeNull();
    expect(ltvFigures({ ...inputs, expectedOrderValueMinor: 33.337, acquisitionCostMinor: 100000n })).toMatchObject({ predicted12mMinor: 83n, formulaLtvMinor: -99734n });
  });

  it('gives purchases per year while alive as 52 (r + x) / (alpha + T)', () => {
    expect(purchasesPerYearWhileAlive({ r: 0.243, alpha: 4.414 }, 2, 38.86)).toBeCloseTo((52 * 2.243) / 43.274, 12);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import hyp2f1 from '@stdlib/math-base-special-hyp2f1';
import {
  bgNbdLogLikelihood, BtydError, expectedLifespanWeeks, expectedOrderValue, expectedPurchases, fitBgNbd,
  fitGammaGamma, gammaGammaLogLikelihood, groupFrequencyRows, groupMonetaryRows, probabilityAlive,
} from '../../src/modules/ltv/btyd';
import { floatPrng } from '../helpers/random';

/** CDNOW summary (test/fixtures/cdnow/README.md): x repeat occasions, t_x and T in weeks, zbar mean repeat value in dollars. */
const customers = readFileSync(join(__dirname, '../fixtures/cdnow/cdnow_customers_summary.csv'), 'utf8')
  .trim().split('\n').slice(1)
  .map((line) => {
    const [, x, tx, T, zbar] = line.split(',').map(Number);
    return { frequency: x, recency: tx, T, monetary: zbar };
  });

const published = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const publishedSpend = { p: 6.25, q: 3.74, v: 15.44 };
const withinOnePercent = (actual: number, expected: number) => expect(Math.abs(actual / expected - 1)).toBeLessThan(0.01);

describe('BG/NBD and Gamma-Gamma on CDNOW (Fader, Hardie and Lee 2005)', () => {
  const frequencyRows = groupFrequencyRows(customers.map(({ frequency, recency, T }) => ({ frequency, recency, T })));
  const fitted = fitBgNbd(frequencyRows);
  const repeatBuyers = groupMonetaryRows(customers);
  const fittedSpend = fitGammaGamma(repeatBuyers);

  it('reads all 2357 customers, of whom 946 bought again', () => {
    expect(customers).toHaveLength(2357);
    expect(frequencyRows.reduce((sum, row) => sum + row.weight, 0)).toBe(2357);
    expect(repeatBuyers.reduce((sum, row) => sum + row.weight, 0)).toBe(946);
    expect(frequencyRows.length).toBeLessThan(2357);
  });

  it('fits the published BG/NBD parameters within 1%', () => {
    withinOnePercent(fitted.r, published.r);
    withinOnePercent(fitted.alpha, published.alpha);
    withinOnePercent(fitted.a, published.a);
    withinOnePercent(fitted.b, published.b);
  });

  it('gives the published log-likelihood -9582.4 at the published optimum, and no less at ours', () => {
    const total = (params: typeof published) => customers.reduce((sum, row) => sum + bgNbdLogLikelihood(params, row), 0);
    expect(total(published)).toBeCloseTo(-9582.4, 1);
    expect(total(fitted)).toBeGreaterThanOrEqual(total(published));
    expect(total(fitted)).toBeCloseTo(-9582.4, 1);
  });

  it('fits the published Gamma-Gamma parameters on the 946 repeat buyers within 1%', () => {
    withinOnePercent(fittedSpend.p, publishedSpend.p);
    withinOnePercent(fittedSpend.q, publishedSpend.q);
    withinOnePercent(fittedSpend.v, publishedSpend.v);
    const total = (params: typeof publishedSpend) => customers.filter((row) => row.frequency > 0)
      .reduce((sum, row) => sum + gammaGammaLogLikelihood(params, row), 0);
    expect(total(fittedSpend)).toBeGreaterThanOrEqual(total(publishedSpend));
  });

  it('expects 1.226 purchases in the next 39 weeks for x = 2, t_x = 30.43, T = 38.86', () => {
    expect(expectedPurchases(published, 39, 2, 30.43, 38.86).toFixed(3)).toBe('1.226');
    expect(expectedPurchases(fitted, 39, 2, 30.43, 38.86).toFixed(3)).toBe('1.226');
    expect(expectedPurchases(published, 0, 2, 30.43, 38.86)).toBe(0);
  });

  it('evaluates 2F1 on the Euler-transformed arguments as the plain series does', () => {
    // sum_n (A)_n (B)_n / ((C)_n n!) z^n, summed until the terms vanish: z <= 0.9 converges geometrically.
    const series = (A: number, B: number, C: number, z: number) => {
      let term = 1;
      let sum = 1;
      for (let n = 0; n < 5000; n++) {
        term *= ((A + n) * (B + n) / ((C + n) * (n + 1))) * z;
        sum += term;
      }
      return sum;
    };
    const { r, alpha, a, b } = published;
    for (const [x, T, t] of [[0, 38.86, 39], [2, 38.86, 39], [10, 20, 52], [50, 104, 520]]) {
      const z = t / (alpha + T + t);
      const args = [a + b - 1 - r, a - 1, a + b + x - 1, z] as const;
      expect(hyp2f1(...args) / series(...args) - 1).toBeLessThan(1e-12);
      expect(series(...args) / hyp2f1(...args) - 1).toBeLessThan(1e-12);
    }
  });

  it('agrees with a Monte Carlo average over the posterior, also for very frequent buyers (where the untransformed 2F1 overflows)', () => {
    // Given alive: lambda ~ Gamma(r+x, alpha+T), p ~ Beta(a, b+x), and a living member with (lambda, p)
    // makes (1 - e^(-lambda p t)) / p purchases in t on average (FHL 2005, eq. 7 before mixing).
    const random = floatPrng(20260);
    const monteCarlo = (x: number, tx: number, T: number, t: number) => {
      const { r, alpha, a, b } = published;
      let sum = 0;
      const draws = 30_000;
      for (let i = 0; i < draws; i++) {
        const lambda = random.gamma(r + x, alpha + T);
        const p = random.beta(a, b + x);
        sum += -Math.expm1(-lambda * p * t) / p;
      }
      return (sum / draws) * probabilityAlive(published, x, tx, T);
    };
    for (const [x, tx, T, t] of [[2, 30.43, 38.86, 39], [0, 0, 20, 52], [400, 52, 52, 52], [400, 51, 52, 52]]) {
      const value = expectedPurchases(published, t, x, tx, T);
      expect(Number.isFinite(value)).toBe(true);
      expect(Math.abs(value / monteCarlo(x, tx, T, t) - 1)).toBeLessThan(0.02);
    }
    // Buying 7 a week until last week and then silent for a week: probably gone.
    expect(expectedPurchases(published, 52, 400, 51, 52)).toBeLessThan(expectedPurchases(published, 52, 400, 52, 52) / 3);
  });

  it('gives P(alive) 1 without repeat purchases, 1/(1 + a/(b+x-1)) when the last purchase is now, and less with time since it', () => {
    expect(probabilityAlive(published, 0, 0, 38.86)).toBe(1);
    // BTYD R package example bgnbd.PAlive(params, x = 23, t.x = 39, T.cal = 39).
    expect(probabilityAlive(published, 23, 39, 39)).toBeCloseTo(1 / (1 + 0.793 / 24.426), 12);
    expect(probabilityAlive(published, 23, 39, 39)).toBeCloseTo(0.96856, 5);
    // Same frequency, longer silence: lower; the "increasing frequency paradox" at fixed t_x = 30, T = 39.
    expect(probabilityAlive(published, 2, 20, 38.86)).toBeLessThan(probabilityAlive(published, 2, 30.43, 38.86));
    const paradox = [5, 10, 20].map((x) => probabilityAlive(published, x, 30, 39));
    expect(paradox[0]).toBeGreaterThan(paradox[1]);
    expect(paradox[1]).toBeGreaterThan(paradox[2]);
    // x = 2, t_x = 30.43, T = 38.86 by hand: 1 / (1 + 0.793/3.426 * (43.274/34.844)^2.243)
    expect(probabilityAlive(published, 2, 30.43, 38.86)).toBeCloseTo(1 / (1 + (0.793 / 3.426) * Math.pow(43.274 / 34.844, 2.243)), 12);
  });

  it('predicts the population mean order value without repeat purchases and shrinks a member mean towards it', () => {
    const population = (6.25 * 15.44) / 2.74;
    expect(expectedOrderValue(publishedSpend, 0, 0)).toBeCloseTo(population, 10);
    // p (v + x m) / (p x + q - 1) for x = 2, m = 22.35 (customer 1)
    expect(expectedOrderValue(publishedSpend, 2, 22.35)).toBeCloseTo((6.25 * (15.44 + 2 * 22.35)) / (12.5 + 2.74), 10);
    const member = expectedOrderValue(publishedSpend, 2, 100);
    expect(member).toBeGreaterThan(population);
    expect(member).toBeLessThan(100);
    expect(() => expectedOrderValue({ p: 1, q: 1, v: 1 }, 0, 0)).toThrow(BtydError);
  });
});

describe('expectedLifespanWeeks: P(alive) x min(horizon, (alpha+T)/(r+x) x (a+b+x)/a)', () => {
  const params = { r: 2, alpha: 10, a: 3, b: 7 };

  it('is 1/(E[lambda] E[p]) under the posterior given alive, times P(alive)', () => {
    // x = 0, T = 10: E[lambda] = 2/20 a week, E[p] = 3/10: 1/(0.1 x 0.3) = 33.33 weeks; P(alive) = 1.
    expect(expectedLifespanWeeks(params, 0, 0, 10)).toBeCloseTo(100 / 3, 10);
    // x = 4, t_x = T = 20: E[lambda] = 6/30, E[p] = 3/14; P(alive) = 1/(1 + 3/10) = 10/13.
    expect(expectedLifespanWeeks(params, 4, 20, 20)).toBeCloseTo((10 / 13) * (30 / 6) * (14 / 3), 10);
    // A long silence lowers P(alive) and with it the lifespan.
    expect(expectedLifespanWeeks(params, 4, 5, 20)).toBeLessThan(expectedLifespanWeeks(params, 4, 20, 20));
  });

  it('is capped at the horizon, 520 weeks by default, so a <= 1 cannot make it explode', () => {
    // CDNOW: a newcomer without repeat purchases would "live" 723 weeks by the plug-in formula.
    expect(expectedLifespanWeeks(published, 0, 0, 38.86)).toBe(520);
    expect(expectedLifespanWeeks(published, 0, 0, 38.86, 104)).toBe(104);
    const x2 = expectedLifespanWeeks(published, 2, 30.43, 38.86);
    expect(x2).toBeCloseTo(probabilityAlive(published, 2, 30.43, 38.86) * Math.min(520, (43.274 / 2.243) * (5.219 / 0.793)), 8);
  });
});

describe('fit errors', () => {
  it('refuses data it cannot fit, with a reason', () => {
    expect(() => fitBgNbd([])).toThrow('BG/NBD: no members to fit');
    expect(() => fitBgNbd([{ frequency: 0, recency: 0, T: 10, weight: 5 }])).toThrow('needs at least one member with a repeat purchase');
    expect(() => fitBgNbd([{ frequency: 1, recency: 11, T: 10, weight: 1 }])).toThrow(/invalid row 0/);
    expect(() => fitGammaGamma([])).toThrow('Gamma-Gamma: needs at least one repeat buyer');
    expect(() => fitGammaGamma([{ frequency: 1, monetary: 0, weight: 1 }])).toThrow(/invalid row 0/);
    expect(() => fitGammaGamma([{ frequency: 1, monetary: 5, weight: 1 }, { frequency: 2, monetary: 5, weight: 3 }])).toThrow(/not identified/);
  });
});

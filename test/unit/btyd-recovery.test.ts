import {
  bgNbdObjective, expectedPurchases, fitBgNbd, fitGammaGamma, FrequencyRow, groupFrequencyRows, groupMonetaryRows, MonetaryRow,
  probabilityAlive,
} from '../../src/modules/ltv/btyd';
import { minimiseOverLogParameters, warmUpSample } from '../../src/modules/ltv/btyd/optimise';
import { floatPrng } from '../helpers/random';

const truth = { r: 1.2, alpha: 8, a: 0.9, b: 3 };
const spendTruth = { p: 6, q: 4, v: 15 };
const FUTURE_WEEKS = 52;

/**
 * Simulates the processes themselves: each member draws lambda ~ Gamma(r, alpha) and p ~ Beta(a, b);
 * purchase gaps are Exp(lambda); after each repeat purchase the member leaves with probability p. Members
 * joined on a uniformly random day of the last two years; purchase times are recorded to the day
 * (weeks = days / 7) as real data would be. Purchases on the same day are NOT merged into one occasion
 * here: the model's purchases are a Poisson process with no notion of days, and merging them (as the RFM
 * pass does for real orders) measurably lowers the fitted rate of heavy buyers (alpha ~4% high at these
 * rates), which is a property of the data preparation, not of the fit under test. Each
 * member's spend rate nu ~ Gamma(q, v); each repeat purchase's value ~ Gamma(p, nu), recorded in cents.
 * The history after T (52 more weeks) is kept to check the predictions.
 */
function simulate(members: number, seed: number) {
  const random = floatPrng(seed);
  const histories: Array<{ frequency: number; recency: number; T: number; monetary: number; aliveAtT: boolean; future: number }> = [];
  for (let member = 0; member < members; member++) {
    const lambda = random.gamma(truth.r, truth.alpha);
    const p = random.beta(truth.a, truth.b);
    const nu = random.gamma(spendTruth.q, spendTruth.v);
    const ageDays = 1 + Math.floor(random.uniform() * 730);
    const T = ageDays / 7;
    let time = 0;
    let lastDay = 0;
    let frequency = 0;
    let spend = 0;
    let alive = true;
    let aliveAtT = true;
    let future = 0;
    while (alive) {
      time += random.exponential(lambda);
      if (time > T + FUTURE_WEEKS) break;
      if (time <= T) {
        frequency++;
        lastDay = Math.min(ageDays, Math.floor(time * 7));
        spend += Math.round(random.gamma(spendTruth.p, nu) * 100) / 100;
      } else {
        future++;
      }
      alive = random.uniform() >= p;
      if (!alive && time <= T) aliveAtT = false;
    }
    histories.push({ frequency, recency: lastDay / 7, T, monetary: frequency > 0 ? Math.round((spend / frequency) * 100) / 100 : 0, aliveAtT, future });
  }
  return histories;
}

const within = (actual: number, expected: number, tolerance: number) => expect(Math.abs(actual / expected - 1)).toBeLessThan(tolerance);

describe('parameter recovery on 100,000 simulated members', () => {
  const members = simulate(100_000, 42);
  const frequencyRows = groupFrequencyRows(members);
  const monetaryRows = groupMonetaryRows(members.filter((member) => member.monetary > 0));

  it('groups them into weighted rows: one per non-repeat age in days, about one per repeat buyer', () => {
    expect(frequencyRows.reduce((sum, row) => sum + row.weight, 0)).toBe(100_000);
    const nonRepeatRows = frequencyRows.filter((row) => row.frequency === 0);
    expect(nonRepeatRows.length).toBeLessThanOrEqual(730);
    expect(nonRepeatRows.reduce((sum, row) => sum + row.weight, 0)).toBe(members.filter((member) => member.frequency === 0).length);
    expect(members.filter((member) => member.frequency > 0).length).toBeGreaterThan(50_000);
  });

  it('fits every BG/NBD parameter back within 5%', () => {
    const fitted = fitBgNbd(frequencyRows);
    within(fitted.r, truth.r, 0.05);
    within(fitted.alpha, truth.alpha, 0.05);
    within(fitted.a, truth.a, 0.05);
    within(fitted.b, truth.b, 0.05);
  });

  it('fits every Gamma-Gamma parameter back within 5%', () => {
    const fitted = fitGammaGamma(monetaryRows);
    within(fitted.p, spendTruth.p, 0.05);
    within(fitted.q, spendTruth.q, 0.05);
    within(fitted.v, spendTruth.v, 0.05);
  });

  it('predicts how many are alive and how many purchases the next 52 weeks bring, within 3%', () => {
    const alive = members.filter((member) => member.aliveAtT).length;
    const predictedAlive = members.reduce((sum, member) => sum + probabilityAlive(truth, member.frequency, member.recency, member.T), 0);
    within(predictedAlive, alive, 0.03);
    const purchases = members.reduce((sum, member) => sum + member.future, 0);
    const predicted = frequencyRows.reduce((sum, row) => sum + row.weight * expectedPurchases(truth, FUTURE_WEEKS, row.frequency, row.recency, row.T), 0);
    within(predicted, purchases, 0.03);
  });
});

describe('weighted fits', () => {
  it('equal the member-by-member fits on the expanded rows', () => {
    const members = simulate(3_000, 7);
    const weighted = groupFrequencyRows(members);
    expect(weighted.some((row) => row.weight > 1)).toBe(true);
    const expanded: FrequencyRow[] = members.map(({ frequency, recency, T }) => ({ frequency, recency, T, weight: 1 }));
    const fromWeighted = fitBgNbd(weighted);
    const fromExpanded = fitBgNbd(expanded);
    for (const key of ['r', 'alpha', 'a', 'b'] as const) expect(Math.abs(fromWeighted[key] / fromExpanded[key] - 1)).toBeLessThan(1e-6);

    // Integer dollars so that many repeat buyers share a (frequency, mean) pair.
    const spends: MonetaryRow[] = members.filter((member) => member.frequency > 0)
      .map(({ frequency, monetary }) => ({ frequency: Math.min(frequency, 3), monetary: Math.max(1, Math.round(monetary)), weight: 1 }));
    const spendGroups = groupMonetaryRows(spends);
    expect(spendGroups.length).toBeLessThan(spends.length / 2);
    const spendWeighted = fitGammaGamma(spendGroups);
    const spendExpanded = fitGammaGamma(spends);
    for (const key of ['p', 'q', 'v'] as const) expect(Math.abs(spendWeighted[key] / spendExpanded[key] - 1)).toBeLessThan(1e-6);
  });
});

describe('the warm-up on a sample of the rows', () => {
  const rows = groupFrequencyRows(simulate(100_000, 11)).sort((left, right) => left.frequency - right.frequency);
  const objectiveOver = (part: FrequencyRow[]) =>
    bgNbdObjective(
      Float64Array.from(part, (row) => row.frequency),
      Float64Array.from(part, (row) => row.recency),
      Float64Array.from(part, (row) => row.T),
      Float64Array.from(part, (row) => row.weight),
    );
  const full = objectiveOver(rows);
  const cold = minimiseOverLogParameters('BG/NBD', full, [0, 0, 0, 0]);

  it('is taken from 50,000 rows, every 16th', () => {
    expect(rows.length).toBeGreaterThan(50_000);
    const sample = warmUpSample(Uint32Array.from(rows.keys()))!;
    expect([...sample.slice(0, 3)]).toEqual([0, 16, 32]);
    expect(sample.length).toBe(Math.ceil(rows.length / 16));
    expect(warmUpSample(new Uint32Array(49_999))).toBeUndefined();
  });

  it('leads the full fit to the optimum the full fit finds from a cold start', () => {
    const sample = warmUpSample(Uint32Array.from(rows.keys()))!;
    const warm = minimiseOverLogParameters('BG/NBD', full, [0, 0, 0, 0], objectiveOver(Array.from(sample, (i) => rows[i])));
    // The sample's own optimum is elsewhere: the full likelihood decided where the fit stopped.
    const sampleOnly = minimiseOverLogParameters('BG/NBD', objectiveOver(Array.from(sample, (i) => rows[i])), [0, 0, 0, 0]);
    warm.forEach((value, k) => expect(Math.abs(Math.exp(value) / Math.exp(cold[k]) - 1)).toBeLessThan(1e-6));
    expect(Math.max(...sampleOnly.map((value, k) => Math.abs(Math.exp(value) / Math.exp(cold[k]) - 1)))).toBeGreaterThan(1e-4);
  });

  it('that fails leaves the full fit to start cold', () => {
    const broken = () => ({ value: Number.NaN, gradient: [0, 0, 0, 0] });
    expect(minimiseOverLogParameters('BG/NBD', full, [0, 0, 0, 0], broken)).toEqual(cold);
  });
});

import betaln from '@stdlib/math-base-special-betaln';
import digamma from '@stdlib/math-base-special-digamma';
import gammaln from '@stdlib/math-base-special-gammaln';
import hyp2f1 from '@stdlib/math-base-special-hyp2f1';
import { minimiseOverLogParameters, ValueAndGradient, warmUpSample } from './optimise';
import { BgNbdParams, BtydError, FrequencyColumns, FrequencyRow, fromFrequencyRows, pickRows, usedRowsByFrequency } from './types';

/**
 * BG/NBD (Fader, Hardie and Lee 2005, "Counting your customers the easy way"). While alive a member buys
 * at rate lambda (Poisson); after each REPEAT purchase they drop out for good with probability p.
 * Across members lambda ~ Gamma(r, alpha) and p ~ Beta(a, b). Time in weeks.
 */

/** Default horizon that caps the expected remaining lifetime: 10 years. */
export const DEFAULT_LIFESPAN_HORIZON_WEEKS = 520;


/** The parts of the log-likelihood that depend on the frequency x only (shared by all rows with that x). */
function frequencyTerms({ r, alpha, a, b }: BgNbdParams, x: number) {
  return {
    // ln[ Gamma(r+x) alpha^r / Gamma(r) ] + ln[ B(a, b+x) / B(a, b) ]
    common: gammaln(r + x) - gammaln(r) + r * Math.log(alpha) + betaln(a, b + x) - betaln(a, b),
    // ln[ B(a+1, b+x-1) / B(a, b+x) ] = ln[ a / (b+x-1) ]: the "dropped out after the last purchase" branch
    dropout: x > 0 ? Math.log(a) - Math.log(b + x - 1) : Number.NEGATIVE_INFINITY,
  };
}

/**
 * ln L = ln[Gamma(r+x) alpha^r / Gamma(r)] + ln[B(a, b+x)/B(a, b)]
 *        + ln[ (alpha+T)^-(r+x) + [x > 0] (a/(b+x-1)) (alpha+tx)^-(r+x) ]      (FHL 2005, eq. 6)
 * The last sum is taken as log-sum-exp so large x cannot underflow it.
 */
function rowLogLikelihood(params: BgNbdParams, terms: { common: number; dropout: number }, x: number, recency: number, T: number): number {
  const alive = -(params.r + x) * Math.log(params.alpha + T);
  const dead = terms.dropout - (params.r + x) * Math.log(params.alpha + recency);
  const high = Math.max(alive, dead);
  return terms.common + high + Math.log1p(Math.exp(Math.min(alive, dead) - high));
}

export function bgNbdLogLikelihood(params: BgNbdParams, row: Omit<FrequencyRow, 'weight'>): number {
  return rowLogLikelihood(params, frequencyTerms(params, row.frequency), row.frequency, row.recency, row.T);
}

function checkFrequencyRow(frequency: number, recency: number, T: number, weight: number, index: number): void {
  const valid = Number.isInteger(frequency) && frequency >= 0 && Number.isFinite(recency) && Number.isFinite(T)
    && recency >= 0 && recency <= T && T > 0 && Number.isFinite(weight) && weight >= 0 && (frequency > 0 || recency === 0);
  if (!valid) {
    throw new BtydError(`BG/NBD: invalid row ${index}: ${JSON.stringify({ frequency, recency, T, weight })} (need integer frequency >= 0, 0 <= recency <= T, T > 0, recency 0 when frequency is 0, weight >= 0)`);
  }
}

/**
 * Weighted maximum likelihood: maximises sum(weight * ln L). Group members first (`groupFrequencyRows`):
 * the likelihood is the same and each evaluation costs one term per distinct (x, tx, T).
 * Time is rescaled so that the largest T is 10 before fitting (alpha is a time scale; the others are
 * not) which keeps the optimiser's start sensible for any unit; alpha is scaled back.
 */
export function fitBgNbd(rows: FrequencyRow[]): BgNbdParams {
  return fitBgNbdColumns(fromFrequencyRows(rows));
}

/** fitBgNbd on columns (the LTV run's form: rows sorted by frequency cost no reordering). */
export function fitBgNbdColumns(columns: FrequencyColumns): BgNbdParams {
  const { frequency, recency, T, weight } = columns;
  for (let i = 0; i < frequency.length; i++) checkFrequencyRow(frequency[i], recency[i], T[i], weight[i], i);
  const used = usedRowsByFrequency(frequency, weight);
  let totalWeight = 0;
  let repeatBuyers = false;
  let dropoutSeen = false;
  let longest = 0;
  for (let i = 0; i < frequency.length; i++) {
    if (!(weight[i] > 0)) continue;
    totalWeight += weight[i];
    repeatBuyers ||= frequency[i] > 0;
    dropoutSeen ||= frequency[i] === 0 || recency[i] < T[i];
    longest = Math.max(longest, T[i]);
  }
  if (used.length === 0 || totalWeight <= 0) throw new BtydError('BG/NBD: no members to fit');
  if (!repeatBuyers) throw new BtydError('BG/NBD: needs at least one member with a repeat purchase');
  if (!dropoutSeen) {
    throw new BtydError('BG/NBD: every member bought again at the very end of their history; dropout is not identified');
  }
  const scale = 10 / longest;
  const objectiveOver = (rows: Uint32Array) => bgNbdObjective(
    pickRows(frequency, rows),
    pickRows(recency, rows, scale),
    pickRows(T, rows, scale),
    pickRows(weight, rows),
  );
  // On many rows, a fit on a sample of them first gives the full fit its start and curvature.
  const sample = warmUpSample(used);
  const [r, alpha, a, b] = minimiseOverLogParameters('BG/NBD', objectiveOver(used), [0, 0, 0, 0], sample && objectiveOver(sample)).map(Math.exp);
  return { r, alpha: alpha / scale, a, b };
}

/**
 * The mean negative log-likelihood over weighted rows (sorted by frequency, so the frequency-only terms are computed
 * once per distinct x per evaluation) and its gradient with respect to the log-parameters.
 */
export function bgNbdObjective(frequencies: Float64Array, recency: Float64Array, T: Float64Array, weights: Float64Array) {
  // T and t_x take few distinct values (whole days since the first purchase): ln(alpha + .) and 1/(alpha + .) are
  // computed once per distinct value per evaluation, and each row looks them up.
  const ages = distinctValues(T);
  const recencies = distinctValues(recency);
  const totalWeight = weights.reduce((sum, value) => sum + value, 0);
  const logAges = new Float64Array(ages.values.length);
  const inverseAges = new Float64Array(ages.values.length);
  const logRecencies = new Float64Array(recencies.values.length);
  const inverseRecencies = new Float64Array(recencies.values.length);

  // Mean negative log-likelihood and its gradient with respect to the log-parameters. With
  // pi = P(dropped out after the last purchase | row), the derivatives of ln L are
  //   d/dr     = psi(r+x) - psi(r) + ln alpha - (1-pi) ln(alpha+T) - pi ln(alpha+tx)
  //   d/dalpha = r/alpha - (r+x) [(1-pi)/(alpha+T) + pi/(alpha+tx)]
  //   d/da     = psi(a+b) - psi(a+b+x) + pi/a
  //   d/db     = psi(b+x) - psi(b) + psi(a+b) - psi(a+b+x) - pi/(b+x-1)
  return (logParameters: number[]): ValueAndGradient => {
    const [r, alpha, a, b] = logParameters.map(Math.exp);
    const params = { r, alpha, a, b };
    for (let k = 0; k < ages.values.length; k++) {
      logAges[k] = Math.log(alpha + ages.values[k]);
      inverseAges[k] = 1 / (alpha + ages.values[k]);
    }
    for (let k = 0; k < recencies.values.length; k++) {
      logRecencies[k] = Math.log(alpha + recencies.values[k]);
      inverseRecencies[k] = 1 / (alpha + recencies.values[k]);
    }
    let sum = 0;
    let dr = 0;
    let dalpha = 0;
    let da = 0;
    let db = 0;
    let x = -1;
    let terms = { common: 0, dropout: 0 };
    let derivatives = { r: 0, a: 0, b: 0 };
    const logAlpha = Math.log(alpha);
    for (let i = 0; i < frequencies.length; i++) {
      if (frequencies[i] !== x) {
        x = frequencies[i];
        terms = frequencyTerms(params, x);
        const digammaABX = digamma(a + b + x);
        derivatives = {
          r: digamma(r + x) - digamma(r) + logAlpha,
          a: digamma(a + b) - digammaABX,
          b: digamma(b + x) - digamma(b) + digamma(a + b) - digammaABX,
        };
      }
      const w = weights[i];
      const age = ages.index[i];
      const last = recencies.index[i];
      const logAge = logAges[age];
      const logRecency = logRecencies[last];
      const alive = -(r + x) * logAge;
      const dead = terms.dropout - (r + x) * logRecency;
      // One exponential for both the log-sum-exp and pi = 1 / (1 + e^(alive - dead)) (0 when x = 0: dead is -inf).
      const lower = Math.exp(-Math.abs(alive - dead));
      sum += w * (terms.common + Math.max(alive, dead) + Math.log1p(lower));
      const pi = x > 0 ? (alive >= dead ? lower / (1 + lower) : 1 / (1 + lower)) : 0;
      dr += w * (derivatives.r - (1 - pi) * logAge - pi * logRecency);
      dalpha += w * (r / alpha - (r + x) * ((1 - pi) * inverseAges[age] + pi * inverseRecencies[last]));
      da += w * (derivatives.a + (x > 0 ? pi / a : 0));
      db += w * (derivatives.b - (x > 0 ? pi / (b + x - 1) : 0));
    }
    return {
      value: -sum / totalWeight,
      gradient: [-dr * r / totalWeight, -dalpha * alpha / totalWeight, -da * a / totalWeight, -db * b / totalWeight],
    };
  };
}

/** The distinct values of `column` and, for each entry, the position of its value among them. */
function distinctValues(column: Float64Array): { values: Float64Array; index: Uint32Array } {
  const positions = new Map<number, number>();
  const index = new Uint32Array(column.length);
  for (let i = 0; i < column.length; i++) {
    let position = positions.get(column[i]);
    if (position === undefined) {
      position = positions.size;
      positions.set(column[i], position);
    }
    index[i] = position;
  }
  return { values: Float64Array.from(positions.keys()), index };
}

/** ln((alpha+T)/(alpha+tx))^(r+x) * a/(b+x-1): the odds of "dropped out after the last purchase" vs "alive". */
function logDeadToAliveOdds({ r, alpha, a, b }: BgNbdParams, frequency: number, recency: number, T: number): number {
  return Math.log(a) - Math.log(b + frequency - 1) + (r + frequency) * (Math.log(alpha + T) - Math.log(alpha + recency));
}

/** P(alive at T | x, tx, T) = 1 / (1 + [x > 0] (a/(b+x-1)) ((alpha+T)/(alpha+tx))^(r+x))   (FHL 2008 note). */
export function probabilityAlive(params: BgNbdParams, frequency: number, recency: number, T: number): number {
  if (frequency === 0) return 1;
  return 1 / (1 + Math.exp(logDeadToAliveOdds(params, frequency, recency, T)));
}

/**
 * Conditional expectation of purchases in (T, T+t] given the history (FHL 2005, eq. 10):
 *   E[Y(t) | x, tx, T] = (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)]
 *                        / [1 + [x > 0] (a/(b+x-1)) ((alpha+T)/(alpha+tx))^(r+x)],   z = t/(alpha+T+t).
 * 2F1 there grows like (1-z)^-(r+x) and overflows for frequent buyers; Euler's transformation
 * 2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z) turns the bracketed product into
 * (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z), whose parameters stay small (stdlib's hyp2f1 evaluates it).
 * At a = 1 the formula is 0/0; the function is continuous there, so a is moved off 1 by 1e-7.
 */
export function expectedPurchases(params: BgNbdParams, t: number, frequency: number, recency: number, T: number): number {
  if (t <= 0) return 0;
  const moved = withAOffOne(params);
  return purchasesWhileAlive(moved, t, frequency, T) * probabilityAlive(moved, frequency, recency, T);
}

/**
 * expectedPurchases over rows given in frequency order: the part that depends on x and T only (the 2F1) is
 * evaluated once per distinct (x, T), and the same arithmetic gives the same values.
 */
export function expectedPurchasesInFrequencyOrder(params: BgNbdParams, t: number): (frequency: number, recency: number, T: number) => number {
  const moved = withAOffOne(params);
  const byAge = new Map<number, number>();
  let current = -1;
  return (frequency, recency, T) => {
    if (t <= 0) return 0;
    if (frequency !== current) {
      byAge.clear();
      current = frequency;
    }
    let whileAlive = byAge.get(T);
    if (whileAlive === undefined) {
      whileAlive = purchasesWhileAlive(moved, t, frequency, T);
      byAge.set(T, whileAlive);
    }
    return whileAlive * probabilityAlive(moved, frequency, recency, T);
  };
}

function withAOffOne(params: BgNbdParams): BgNbdParams {
  return Math.abs(params.a - 1) < 1e-7 ? { ...params, a: 1 + 1e-7 } : params;
}

/** (a+b+x-1)/(a-1) [1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)]: the expectation for a member alive at T. */
function purchasesWhileAlive({ r, alpha, a, b }: BgNbdParams, t: number, x: number, T: number): number {
  const z = t / (alpha + T + t);
  const oneMinusZ = (alpha + T) / (alpha + T + t);
  const product = Math.pow(oneMinusZ, a - 1) * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z);
  return ((a + b + x - 1) / (a - 1)) * (1 - product);
}

/**
 * Expected remaining lifetime in weeks, finite by construction. Derivation:
 * - Given the history (x, tx, T) AND that the member is still alive, the posterior is
 *   lambda ~ Gamma(r+x, alpha+T) and p ~ Beta(a, b+x), independent (the "alive" term of the
 *   likelihood is (1-p)^x lambda^x e^(-lambda T), conjugate to both priors).
 * - A living member drops out after each future purchase with probability p, so the number of
 *   purchases before dropout is geometric with mean 1/p, and the time to dropout, a sum of that many
 *   Exp(lambda) gaps, has mean 1/(lambda p).
 * - The exact posterior mean E[1/(lambda p)] = (alpha+T)/(r+x-1) * (a+b+x-1)/(a-1) is infinite when
 *   a <= 1 or r+x <= 1 (common: CDNOW has a = 0.79), so we plug in the posterior MEANS instead:
 *   1/(E[lambda] E[p]) = (alpha+T)/(r+x) * (a+b+x)/a. (By Jensen this is below the exact mean.)
 * - A dead member has no remaining lifetime, so the result is P(alive) * min(horizon, that value);
 *   the horizon (default 10 years) caps members whose posterior says "practically never leaves".
 * The LTV formula AOV x purchases per year x lifespan then multiplies purchases per year
 * (52 E[lambda]) by this lifespan.
 */
export function expectedLifespanWeeks(
  params: BgNbdParams,
  frequency: number,
  recency: number,
  T: number,
  horizonWeeks: number = DEFAULT_LIFESPAN_HORIZON_WEEKS,
): number {
  const { r, alpha, a, b } = params;
  const whileAlive = ((alpha + T) / (r + frequency)) * ((a + b + frequency) / a);
  return probabilityAlive(params, frequency, recency, T) * Math.min(horizonWeeks, whileAlive);
}

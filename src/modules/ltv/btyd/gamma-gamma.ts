import digamma from '@stdlib/math-base-special-digamma';
import gammaln from '@stdlib/math-base-special-gammaln';
import { minimiseOverLogParameters, ValueAndGradient, warmUpSample } from './optimise';
import { BtydError, fromMonetaryRows, GammaGammaParams, MonetaryColumns, MonetaryRow, pickRows, usedRowsByFrequency } from './types';

/**
 * Gamma-Gamma spend model (Fader, Hardie and Lee 2005, "RFM and CLV"; Colombo and Jiang 1999). Each
 * transaction value ~ Gamma(p, nu); across members nu ~ Gamma(q, v). Independent of the BG/NBD.
 * Fitted on repeat buyers only: `monetary` is the mean value of a member's x repeat purchases.
 */

/**
 * ln f(mx | x) = ln Gamma(px+q) - ln Gamma(px) - ln Gamma(q) + q ln v + (px-1) ln mx + px ln x - (px+q) ln(v + x mx)
 */
function rowLogLikelihood({ p, q, v }: GammaGammaParams, common: number, x: number, monetary: number): number {
  return common + q * Math.log(v) + (p * x - 1) * Math.log(monetary) + p * x * Math.log(x) - (p * x + q) * Math.log(v + x * monetary);
}

/** ln Gamma(px+q) - ln Gamma(px) - ln Gamma(q): depends on the frequency only. */
function frequencyTerm({ p, q }: GammaGammaParams, x: number): number {
  return gammaln(p * x + q) - gammaln(p * x) - gammaln(q);
}

export function gammaGammaLogLikelihood(params: GammaGammaParams, row: Omit<MonetaryRow, 'weight'>): number {
  return rowLogLikelihood(params, frequencyTerm(params, row.frequency), row.frequency, row.monetary);
}

function checkMonetaryRow(frequency: number, monetary: number, weight: number, index: number): void {
  const valid = Number.isInteger(frequency) && frequency >= 1 && Number.isFinite(monetary) && monetary > 0
    && Number.isFinite(weight) && weight >= 0;
  if (!valid) throw new BtydError(`Gamma-Gamma: invalid row ${index}: ${JSON.stringify({ frequency, monetary, weight })} (need integer frequency >= 1, monetary > 0, weight >= 0)`);
}

/**
 * Weighted maximum likelihood over repeat buyers. Values are rescaled to mean 1 before fitting (v is in
 * money units; p and q are not) and v is scaled back.
 */
export function fitGammaGamma(rows: MonetaryRow[]): GammaGammaParams {
  return fitGammaGammaColumns(fromMonetaryRows(rows));
}

/** fitGammaGamma on columns (the LTV run's form: rows sorted by frequency cost no reordering). */
export function fitGammaGammaColumns(columns: MonetaryColumns): GammaGammaParams {
  const { frequency, monetary, weight } = columns;
  for (let i = 0; i < frequency.length; i++) checkMonetaryRow(frequency[i], monetary[i], weight[i], i);
  const used = usedRowsByFrequency(frequency, weight);
  let totalWeight = 0;
  let totalValue = 0;
  let spread = false;
  // Sums in the given order (as the rows came), so a fit does not depend on the reordering.
  for (let i = 0; i < frequency.length; i++) {
    if (!(weight[i] > 0)) continue;
    totalWeight += weight[i];
    totalValue += weight[i] * monetary[i];
    spread ||= monetary[i] !== monetary[used[0]];
  }
  if (used.length === 0 || totalWeight <= 0) throw new BtydError('Gamma-Gamma: needs at least one repeat buyer (frequency >= 1)');
  if (!spread) {
    throw new BtydError('Gamma-Gamma: every repeat buyer has the same mean order value; the spread is not identified');
  }
  const scale = totalWeight / totalValue;
  const objectiveOver = (rows: Uint32Array) => gammaGammaObjective(
    pickRows(frequency, rows),
    pickRows(monetary, rows, scale),
    pickRows(weight, rows),
  );
  // On many rows, a fit on a sample of them first gives the full fit its start and curvature.
  const sample = warmUpSample(used);
  const [p, q, v] = minimiseOverLogParameters('Gamma-Gamma', objectiveOver(used), [0, 0, 0], sample && objectiveOver(sample)).map(Math.exp);
  return { p, q, v: v / scale };
}

/** The mean negative log-likelihood over weighted rows sorted by frequency, and its gradient (log-parameters). */
function gammaGammaObjective(frequencies: Float64Array, values: Float64Array, weights: Float64Array) {
  const totalWeight = weights.reduce((sum, value) => sum + value, 0);
  // ln of each value does not depend on the parameters.
  const logValues = values.map(Math.log);

  // Mean negative log-likelihood and its gradient with respect to the log-parameters:
  //   d/dp = x [psi(px+q) - psi(px) + ln mx + ln x - ln(v + x mx)]
  //   d/dq = psi(px+q) - psi(q) + ln v - ln(v + x mx)
  //   d/dv = q/v - (px+q)/(v + x mx)
  return (logParameters: number[]): ValueAndGradient => {
    const [p, q, v] = logParameters.map(Math.exp);
    const params = { p, q, v };
    const logV = Math.log(v);
    let sum = 0;
    let dp = 0;
    let dq = 0;
    let dv = 0;
    let x = -1;
    let common = 0;
    let logX = 0;
    let digammaPXQ = 0;
    let digammaPX = 0;
    const digammaQ = digamma(q);
    for (let i = 0; i < frequencies.length; i++) {
      if (frequencies[i] !== x) {
        x = frequencies[i];
        common = frequencyTerm(params, x);
        logX = Math.log(x);
        digammaPXQ = digamma(p * x + q);
        digammaPX = digamma(p * x);
      }
      const w = weights[i];
      const logValue = logValues[i];
      const logTotal = Math.log(v + x * values[i]);
      sum += w * (common + q * logV + (p * x - 1) * logValue + p * x * logX - (p * x + q) * logTotal);
      dp += w * x * (digammaPXQ - digammaPX + logValue + logX - logTotal);
      dq += w * (digammaPXQ - digammaQ + logV - logTotal);
      dv += w * (q / v - (p * x + q) / (v + x * values[i]));
    }
    return { value: -sum / totalWeight, gradient: [-dp * p / totalWeight, -dq * q / totalWeight, -dv * v / totalWeight] };
  };
}

/**
 * E[M | p, q, v, x, mx] = p (v + x mx) / (p x + q - 1): a weighted mean of the population mean
 * p v / (q - 1) and the member's own mean mx. With x = 0 it is the population mean. Needs q > 1
 * (otherwise the population mean is infinite).
 */
export function expectedOrderValue(params: GammaGammaParams, frequency: number, monetary: number): number {
  const { p, q, v } = params;
  if (q <= 1) throw new BtydError(`Gamma-Gamma: q = ${q} <= 1, the expected order value is infinite`);
  if (frequency === 0) return (p * v) / (q - 1);
  return (p * (v + frequency * monetary)) / (p * frequency + q - 1);
}

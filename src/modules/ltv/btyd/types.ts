/**
 * Plain data for the buy-till-you-die models. Time is in WEEKS everywhere in this folder.
 */

/** BG/NBD (Fader, Hardie and Lee 2005): purchase rate lambda ~ Gamma(r, alpha), dropout p ~ Beta(a, b). */
export interface BgNbdParams { r: number; alpha: number; a: number; b: number }

/** Gamma-Gamma spend model: per-transaction value ~ Gamma(p, nu), nu ~ Gamma(q, v). */
export interface GammaGammaParams { p: number; q: number; v: number }

/** x = repeat purchase occasions, tx = time of last purchase since first (weeks), T = age since first purchase (weeks). */
export interface FrequencyRow { frequency: number; recency: number; T: number; weight: number }

/** Repeat buyers only (frequency >= 1): monetary = mean value of the repeat purchases. */
export interface MonetaryRow { frequency: number; monetary: number; weight: number }

/**
 * The same rows as columns (typed arrays of equal length): what the LTV run reads from the database, a few bytes
 * per distinct row instead of an object each. `fromFrequencyRows` / `fromMonetaryRows` convert.
 */
export interface FrequencyColumns { frequency: Float64Array; recency: Float64Array; T: Float64Array; weight: Float64Array }
export interface MonetaryColumns { frequency: Float64Array; monetary: Float64Array; weight: Float64Array }

export function fromFrequencyRows(rows: FrequencyRow[]): FrequencyColumns {
  return {
    frequency: Float64Array.from(rows, (row) => row.frequency),
    recency: Float64Array.from(rows, (row) => row.recency),
    T: Float64Array.from(rows, (row) => row.T),
    weight: Float64Array.from(rows, (row) => row.weight),
  };
}

export function fromMonetaryRows(rows: MonetaryRow[]): MonetaryColumns {
  return {
    frequency: Float64Array.from(rows, (row) => row.frequency),
    monetary: Float64Array.from(rows, (row) => row.monetary),
    weight: Float64Array.from(rows, (row) => row.weight),
  };
}

/**
 * The order of the rows with a positive weight, by frequency (stable: equal frequencies keep their order), so the
 * fits compute the frequency-only terms once per distinct x. Input already sorted by frequency keeps its order.
 */
export function usedRowsByFrequency(frequency: Float64Array, weight: Float64Array): Uint32Array {
  const used: number[] = [];
  let sorted = true;
  for (let i = 0; i < frequency.length; i++) {
    if (!(weight[i] > 0)) continue;
    if (used.length > 0 && frequency[i] < frequency[used[used.length - 1]]) sorted = false;
    used.push(i);
  }
  if (!sorted) used.sort((left, right) => frequency[left] - frequency[right] || left - right);
  return Uint32Array.from(used);
}

/** A model cannot be fitted (too little or invalid data) or evaluated (parameters outside its domain). */
export class BtydError extends Error {
  override name = 'BtydError';
}

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
 * column[rows[k]] for each k, times `scale` when one is given: a plain loop (Float64Array.from(rows, mapping) goes
 * through an iterator: 0.15 s for 574,000 rows, seven times per LTV run).
 */
export function pickRows(column: Float64Array, rows: Uint32Array, scale?: number): Float64Array {
  const picked = new Float64Array(rows.length);
  if (scale === undefined) for (let k = 0; k < rows.length; k++) picked[k] = column[rows[k]];
  else for (let k = 0; k < rows.length; k++) picked[k] = column[rows[k]] * scale;
  return picked;
}

/** 0, 1, ..., length - 1 (Uint32Array.from(column.keys()) goes through an iterator: 0.15 s for 600,000 rows). */
function positions(length: number): Uint32Array {
  const order = new Uint32Array(length);
  for (let i = 0; i < length; i++) order[i] = i;
  return order;
}

/**
 * The order of the rows with a positive weight, by frequency (stable: equal frequencies keep their order), so the
 * fits compute the frequency-only terms once per distinct x. Input already sorted by frequency keeps its order.
 */
export function usedRowsByFrequency(frequency: Float64Array, weight: Float64Array): Uint32Array {
  return orderByFrequency(frequency).filter((i) => weight[i] > 0);
}

/**
 * The rows' order by frequency, stable (equal frequencies keep their order): a counting sort when frequencies are
 * whole numbers (a repeat count is), a comparison sort otherwise.
 */
export function orderByFrequency(frequency: Float64Array): Uint32Array {
  let highest = 0;
  let counted = true;
  for (let i = 0; i < frequency.length && counted; i++) {
    const x = frequency[i];
    counted = Number.isInteger(x) && x >= 0 && x <= 1e7;
    if (counted) highest = Math.max(highest, x);
  }
  if (!counted) return positions(frequency.length).sort((left, right) => frequency[left] - frequency[right] || left - right);
  const starts = new Uint32Array(highest + 2);
  for (let i = 0; i < frequency.length; i++) starts[frequency[i] + 1]++;
  for (let x = 1; x < starts.length; x++) starts[x] += starts[x - 1];
  const order = new Uint32Array(frequency.length);
  for (let i = 0; i < frequency.length; i++) order[starts[frequency[i]]++] = i;
  return order;
}

/**
 * The rows' order by frequency, then by the other given columns (then by position): the same rows in any order give
 * the same order, so a fit sums them in the same order and gives the same parameters to the last bit.
 */
export function orderByFrequencyThen(frequency: Float64Array, ...then: Float64Array[]): Uint32Array {
  if (inOrder(frequency, then)) return positions(frequency.length);
  const order = orderByFrequency(frequency);
  const compare = (left: number, right: number) => {
    for (const column of then) {
      const difference = column[left] - column[right];
      if (difference !== 0) return difference;
    }
    return left - right;
  };
  for (let start = 0, end = 0; start < order.length; start = end) {
    for (end = start + 1; end < order.length && frequency[order[end]] === frequency[order[start]]; end++);
    if (end - start > 1) order.subarray(start, end).sort(compare);
  }
  return order;
}

/** True when the rows are already in order by frequency, then by the other columns (rows a statement sorted). */
function inOrder(frequency: Float64Array, then: Float64Array[]): boolean {
  for (let i = 1; i < frequency.length; i++) {
    let difference = frequency[i] - frequency[i - 1];
    for (let k = 0; difference === 0 && k < then.length; k++) difference = then[k][i] - then[k][i - 1];
    if (!(difference >= 0)) return false;
  }
  return true;
}

/** The same rows as `columns`, reordered by `order`. */
export function reorderColumns<T extends FrequencyColumns | MonetaryColumns>(columns: T, order: Uint32Array): T {
  return Object.fromEntries(Object.entries(columns).map(([name, column]: [string, Float64Array]) => [name, pickRows(column, order)])) as unknown as T;
}

/** A model cannot be fitted (too little or invalid data) or evaluated (parameters outside its domain). */
export class BtydError extends Error {
  override name = 'BtydError';
}

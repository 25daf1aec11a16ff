import { BgNbdParams, BtydError, GammaGammaParams } from './types';

/*
 * What a fitted model must look like before it scores anyone. A likelihood can be maximised at the edge of the
 * parameter space when the data do not follow the model (uniformly random orders: no heterogeneity and no
 * dropout, so r and alpha run to infinity and a to zero); such a "fit" gives every member the same, meaningless
 * score. The bounds are wide (the CDNOW fit, r 0.24, alpha 4.4 weeks, a 0.79, b 2.4, p 6.3, q 3.7, v 15, sits
 * orders of magnitude inside them) and only catch runaway fits.
 */

/** Customers (members with an order) a BG/NBD fit needs, and repeat buyers a Gamma-Gamma fit needs. */
export const MIN_FIT_CUSTOMERS = 20;
export const MIN_REPEAT_BUYERS = 10;

const BG_NBD_BOUNDS: Record<keyof BgNbdParams, [number, number]> = {
  r: [1e-3, 1e3],
  alpha: [1e-3, 1e5], // weeks
  a: [1e-3, 1e3],
  b: [1e-3, 1e4],
};
const GAMMA_GAMMA_BOUNDS: Record<keyof GammaGammaParams, [number, number]> = {
  p: [1e-2, 1e3],
  q: [1 + 1e-6, 1e3], // q <= 1: the mean order value is infinite
  v: [1e-12, 1e15], // money units: only a runaway or a non-finite value is refused
};

function outside<T extends object>(params: T, bounds: Record<keyof T, [number, number]>): string[] {
  return (Object.keys(bounds) as (keyof T)[]).flatMap((name) => {
    const value = params[name] as number;
    const [low, high] = bounds[name];
    return Number.isFinite(value) && value >= low && value <= high ? [] : [`${String(name)} = ${value.toPrecision(3)} (expected ${low} to ${high})`];
  });
}

export function checkPlausibleBgNbd(params: BgNbdParams): void {
  const problems = outside(params, BG_NBD_BOUNDS);
  if (problems.length > 0) {
    throw new BtydError(`BG/NBD: the fit ran outside sensible values (${problems.join(', ')}); the purchase history does not look like customers who buy at their own pace and lapse (uniformly random orders, or too little history)`);
  }
}

export function checkPlausibleGammaGamma(params: GammaGammaParams): void {
  const problems = outside(params, GAMMA_GAMMA_BOUNDS);
  if (problems.length > 0) {
    throw new BtydError(`Gamma-Gamma: the fit ran outside sensible values (${problems.join(', ')}); the repeat order values do not identify the spend model`);
  }
}

export function checkEnoughCustomers(customers: number, repeatBuyers: number): void {
  if (customers < MIN_FIT_CUSTOMERS) {
    throw new BtydError(`too few customers to fit the models: ${customers} member(s) with an order, at least ${MIN_FIT_CUSTOMERS} needed`);
  }
  if (repeatBuyers < MIN_REPEAT_BUYERS) {
    throw new BtydError(`too few repeat buyers to fit the spend model: ${repeatBuyers} member(s) ordered on more than one day, at least ${MIN_REPEAT_BUYERS} needed`);
  }
}

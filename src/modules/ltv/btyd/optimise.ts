import { BtydError } from './types';

/**
 * Minimisation for the BTYD fits: BFGS over log-parameters (so every parameter stays positive) with the
 * analytic gradient of the log-likelihood and a backtracking (Armijo) line search.
 *
 * Why not a package: the maintained optimiser on npm (`fmin` 0.0.4, Nelder-Mead and conjugate gradient)
 * ships a UMD bundle inside a `"type": "module"` package, so CommonJS (our build, jest) gets an empty
 * module, and its older releases pull rollup and uglify in as runtime dependencies. BFGS is textbook
 * (Nocedal and Wright, "Numerical Optimization", algorithm 6.1) and short; with the gradient it needs a
 * few dozen likelihood passes where Nelder-Mead needed hundreds, which matters on a million members.
 */

export interface ValueAndGradient { value: number; gradient: number[] }

/** Log-parameters beyond this are outside the model (e^20 ~ 5e8): the fit reports degenerate data. */
const LOG_BOUND = 20;
const MAX_ITERATIONS = 500;
/** Converged when every component of the gradient (of the MEAN negative log-likelihood) is below this. */
const GRADIENT_TOLERANCE = 1e-10;
/**
 * Or when a step no longer lowers the objective by more than this, relatively: summing a few hundred
 * thousand rows leaves round-off of about 1e-9 in the gradient, so it cannot always reach the tolerance.
 */
const PROGRESS_TOLERANCE = 1e-15;
/** Rows from which a fit warms up on a sample of every WARM_UP_STRIDE-th row (minimiseOverLogParameters' warmUp). */
const WARM_UP_FROM_ROWS = 50_000;
const WARM_UP_STRIDE = 16;
/** A gradient this small is the optimum but for round-off (the fits accept below 1e-5). */
const NEARLY_FLAT = 1e-6;
/** Halvings of a step tried at a nearly flat point before the fit stops there. */
const FLAT_HALVINGS = 3;
/** No single step moves a log-parameter by more than this (a factor e^2): keeps the first steps sane. */
const MAX_STEP = 2;

const dot = (left: number[], right: number[]): number => left.reduce((sum, value, i) => sum + value * right[i], 0);

type Objective = (logParameters: number[]) => ValueAndGradient;

/**
 * The rows a fit over `rows` warms up on (every WARM_UP_STRIDE-th), or undefined below WARM_UP_FROM_ROWS: the same
 * optimum (the full likelihood decides convergence) in a few passes over all rows instead of dozens.
 */
export function warmUpSample(rows: Uint32Array): Uint32Array | undefined {
  return rows.length >= WARM_UP_FROM_ROWS ? rows.filter((_, k) => k % WARM_UP_STRIDE === 0) : undefined;
}

/**
 * The log-parameters that minimise `objective` from `start`. With `warmUp` (a cheaper objective with nearly the same
 * minimum, such as the likelihood of a sample of the rows), that is minimised first and its minimum and curvature
 * (BFGS's inverse Hessian) start the real one, which alone decides convergence; a warm-up that fails starts nothing.
 */
export function minimiseOverLogParameters(model: string, objective: Objective, start: number[], warmUp?: Objective): number[] {
  let from = { x: start, inverseHessian: undefined as number[][] | undefined };
  if (warmUp) {
    try {
      const warm = descend(model, warmUp, start);
      if (failure(model, warm.x, warm.gradient) === null) from = warm;
    } catch {
      // the real objective starts cold
    }
  }
  const { x, gradient } = descend(model, objective, from.x, from.inverseHessian);
  const reason = failure(model, x, gradient);
  if (reason !== null) throw new BtydError(reason);
  return x.slice(0, start.length);
}

/** Why the point a descent ended at is no fit (null when it is one): at a parameter bound, or not converged. */
function failure(model: string, x: number[], gradient: number[]): string | null {
  if (x.some((value) => Math.abs(value) > LOG_BOUND - 1)) {
    const values = x.map((value) => Math.exp(value).toPrecision(3)).join(', ');
    return `${model}: the fit ran to a parameter bound (${values}); the data do not identify the model`;
  }
  if (Math.max(...gradient.map(Math.abs)) > 1e-5) {
    return `${model}: the fit did not converge (gradient ${gradient.map((g) => g.toExponential(2)).join(', ')})`;
  }
  return null;
}

/** BFGS from `start` (and an inverse Hessian, the identity by default) until converged or stuck. */
function descend(model: string, objective: Objective, start: number[], inverseHessianStart?: number[][]): { x: number[]; gradient: number[]; inverseHessian: number[][] } {
  const evaluate = (x: number[]): ValueAndGradient | undefined => {
    if (x.some((value) => Math.abs(value) > LOG_BOUND)) return undefined;
    const result = objective(x);
    return Number.isFinite(result.value) && result.gradient.every(Number.isFinite) ? result : undefined;
  };
  const identity = (): number[][] => start.map((_, i) => start.map((__, j) => (i === j ? 1 : 0)));
  let x = start.slice();
  let current = evaluate(x);
  if (!current) throw new BtydError(`${model}: the likelihood is not finite at the starting point`);
  let inverseHessian = inverseHessianStart?.map((row) => row.slice()) ?? identity();
  for (let iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
    const gradient = current.gradient;
    if (Math.max(...gradient.map(Math.abs)) < GRADIENT_TOLERANCE) break;
    let direction = inverseHessian.map((row) => -dot(row, gradient));
    if (dot(direction, gradient) >= 0) {
      // Not a descent direction (round-off in the update): restart from steepest descent.
      inverseHessian = identity();
      direction = gradient.map((value) => -value);
    }
    const longest = Math.max(...direction.map(Math.abs));
    let step = longest > MAX_STEP ? MAX_STEP / longest : 1;
    const slope = dot(direction, gradient);
    let next: ValueAndGradient | undefined;
    let candidate: number[] = x;
    // Where the gradient is nearly flat, a step that does not lower the objective within a few halvings meets the
    // round-off of the sum (a likelihood over many rows is exact to about 1e-16 relative), not a slope: stop there
    // instead of halving some forty more times, each a pass over every row.
    const smallestStep = Math.max(...gradient.map(Math.abs)) < NEARLY_FLAT ? step / 2 ** FLAT_HALVINGS : 1e-14;
    for (; step > smallestStep; step /= 2) {
      candidate = x.map((value, i) => value + step * direction[i]);
      next = evaluate(candidate);
      if (next && next.value <= current.value + 1e-4 * step * slope) break;
      next = undefined;
    }
    // No decrease along a descent direction: we are at the optimum to machine precision.
    if (!next) break;
    const s = candidate.map((value, i) => value - x[i]);
    const y = next.gradient.map((value, i) => value - gradient[i]);
    const sy = dot(s, y);
    if (sy > 1e-16) {
      // H <- (I - rho s y') H (I - rho y s') + rho s s'
      const rho = 1 / sy;
      const hy = inverseHessian.map((row) => dot(row, y));
      const yhy = dot(y, hy);
      inverseHessian = inverseHessian.map((row, i) => row.map((value, j) =>
        value - rho * (s[i] * hy[j] + hy[i] * s[j]) + (rho * rho * yhy + rho) * s[i] * s[j]));
    }
    const progress = current.value - next.value;
    x = candidate;
    current = next;
    const nearlyFlat = Math.max(...current.gradient.map(Math.abs)) < NEARLY_FLAT;
    if (nearlyFlat && progress <= PROGRESS_TOLERANCE * Math.max(1, Math.abs(current.value))) break;
  }
  return { x, gradient: current.gradient, inverseHessian };
}

import { BtydError } from './types';

/**
 * Minimisation for the BTYD fits: Nelder-Mead over log-parameters, so every parameter stays positive.
 *
 * Why not a package: the maintained Nelder-Mead on npm (`fmin` 0.0.4) ships a UMD bundle inside a
 * `"type": "module"` package, so CommonJS (our build, jest) gets an empty module; older `fmin` releases
 * pull rollup and uglify in as runtime dependencies. Nelder-Mead is short and textbook (Nelder and Mead
 * 1965, coefficients 1, 2, 1/2, 1/2 as in Lagarias et al. 1998), written out here.
 */

/** Log-parameters beyond this are outside the model (e^20 ~ 5e8): the fit reports degenerate data. */
const LOG_BOUND = 20;
/** Iterations per Nelder-Mead run, per parameter; runs from the last optimum at most. */
const ITERATIONS_PER_PARAMETER = 1_000;
const MAX_RUNS = 10;
/** A run stops when the simplex spans less than this in every log-parameter and in the objective. */
const SIMPLEX_TOLERANCE = 1e-10;
/** Restarting stops once a run improves the (mean negative log-likelihood) objective by less than this. */
const IMPROVEMENT_TOLERANCE = 1e-14;

interface Vertex { x: number[]; f: number }

function nelderMead(f: (x: number[]) => number, start: number[], step: number, maxIterations: number): Vertex {
  const n = start.length;
  const simplex: Vertex[] = [{ x: start, f: f(start) }];
  for (let i = 0; i < n; i++) {
    const x = start.slice();
    x[i] += step;
    simplex.push({ x, f: f(x) });
  }
  const combine = (from: number[], towards: number[], coefficient: number): number[] =>
    from.map((value, i) => value + coefficient * (towards[i] - value));
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    // Ties broken by position keep the run deterministic (Array.prototype.sort is stable).
    simplex.sort((left, right) => left.f - right.f);
    const best = simplex[0];
    const worst = simplex[n];
    const spread = Math.max(...simplex.slice(1).map((vertex) => Math.max(...vertex.x.map((value, i) => Math.abs(value - best.x[i])))));
    if (spread < SIMPLEX_TOLERANCE && Math.abs(worst.f - best.f) < SIMPLEX_TOLERANCE) break;
    const centroid = start.map((_, i) => simplex.slice(0, n).reduce((sum, vertex) => sum + vertex.x[i], 0) / n);
    // centroid + t (worst - centroid): t = -1 reflects, -2 expands, -1/2 contracts outside, 1/2 inside.
    const at = (t: number): Vertex => {
      const x = combine(centroid, worst.x, t);
      return { x, f: f(x) };
    };
    const reflected = at(-1);
    if (reflected.f < best.f) {
      const expanded = at(-2);
      simplex[n] = expanded.f < reflected.f ? expanded : reflected;
    } else if (reflected.f < simplex[n - 1].f) {
      simplex[n] = reflected;
    } else {
      const contracted = reflected.f < worst.f ? at(-0.5) : at(0.5);
      if (contracted.f < Math.min(reflected.f, worst.f)) {
        simplex[n] = contracted;
      } else {
        for (let i = 1; i <= n; i++) {
          const x = combine(best.x, simplex[i].x, 0.5);
          simplex[i] = { x, f: f(x) };
        }
      }
    }
  }
  simplex.sort((left, right) => left.f - right.f);
  return simplex[0];
}

/**
 * Minimises `objective` over log-parameters from `start`. Nelder-Mead can stall on a collapsed simplex,
 * so it restarts from its last optimum with a fresh, smaller simplex until a run no longer improves the
 * objective. Outside +-LOG_BOUND, or where the objective is not finite, the value is +Infinity.
 * Deterministic: the same data give the same parameters.
 */
export function minimiseOverLogParameters(model: string, objective: (logParameters: number[]) => number, start: number[]): number[] {
  const bounded = (x: number[]): number => {
    if (x.some((value) => Math.abs(value) > LOG_BOUND)) return Number.POSITIVE_INFINITY;
    const value = objective(x);
    return Number.isFinite(value) ? value : Number.POSITIVE_INFINITY;
  };
  const maxIterations = ITERATIONS_PER_PARAMETER * start.length;
  let best = nelderMead(bounded, start.slice(), 1, maxIterations);
  for (let run = 1; run < MAX_RUNS; run++) {
    const next = nelderMead(bounded, best.x.slice(), 0.05, maxIterations);
    const improvement = best.f - next.f;
    if (next.f <= best.f) best = next;
    if (!(improvement > IMPROVEMENT_TOLERANCE)) break;
  }
  if (!Number.isFinite(best.f)) throw new BtydError(`${model}: the likelihood is not finite anywhere the optimiser looked`);
  if (best.x.some((value) => Math.abs(value) > LOG_BOUND - 1)) {
    const values = best.x.map((value) => Math.exp(value).toPrecision(3)).join(', ');
    throw new BtydError(`${model}: the fit ran to a parameter bound (${values}); the data do not identify the model`);
  }
  return best.x;
}

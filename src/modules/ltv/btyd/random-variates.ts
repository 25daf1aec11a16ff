/**
 * A fast seeded float generator (mulberry32) with the variates the LTV simulations need (tests, benches and
 * the demo's purchase history). Plain numbers,
 * not bigints: simulating 100k members draws millions of values.
 */
export function floatPrng(seed: number) {
  let state = seed >>> 0;
  /** Uniform in (0, 1): never exactly 0, so logarithms stay finite. */
  const uniform = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const normal = (): number => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const exponential = (rate: number): number => -Math.log(uniform()) / rate;
  /** Gamma(shape, rate) by Marsaglia and Tsang (2000), with the usual boost for shape < 1. */
  const gamma = (shape: number, rate: number): number => {
    if (shape < 1) return gamma(shape + 1, rate) * Math.pow(uniform(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const z = normal();
      const v = Math.pow(1 + c * z, 3);
      if (v > 0 && Math.log(uniform()) < 0.5 * z * z + d - d * v + d * Math.log(v)) return (d * v) / rate;
    }
  };
  const beta = (a: number, b: number): number => {
    const x = gamma(a, 1);
    return x / (x + gamma(b, 1));
  };
  return { uniform, exponential, gamma, beta };
}

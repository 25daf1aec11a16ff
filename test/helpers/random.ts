/** A fixed-seed 64-bit linear congruential generator: reproducible random inputs without extra libraries. */
export function prng(seed: bigint) {
  let state = seed;
  const next = (): bigint => {
    state = (state * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n;
    return state >> 16n; // the low bits of an LCG are weak
  };
  /** A uniform-enough bigint in [0, bound), for bounds far beyond 2^48 too. */
  const below = (bound: bigint): bigint => {
    let value = 0n;
    for (let range = 1n; range < bound * 2n ** 16n; range *= 2n ** 48n) value = value * 2n ** 48n + next();
    return value % bound;
  };
  const int = (bound: number): number => Number(below(BigInt(bound)));
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  return { below, int, pick };
}

/** The seeded float generator of the LTV simulations lives with the models (the demo seed uses it too). */
export { floatPrng } from '../../src/modules/ltv/btyd/random-variates';

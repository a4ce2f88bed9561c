// A seeded pseudo-random generator for reproducible synthetic data: mulberry32 (Tommy Ettinger, public
// domain; 32-bit state, period 2^32), enough for test data and never used for anything secret.
// Math.random is not used anywhere in the generator, so the same seed always yields the same district.

/** A source of uniform numbers in [0, 1) and the draws built on it. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** Normal(mean, sd) by the Box–Muller transform (Box & Muller, Ann Math Stat 1958;29:610). */
  normal(mean: number, sd: number): number;
  /** An index drawn with probability proportional to its weight. */
  weighted(weights: readonly number[]): number;
}

/** mulberry32 seeded with a 32-bit unsigned integer. */
export function mulberry32(seed: number): Rng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
    normal: (mean, sd) => {
      // 1 − u keeps the logarithm's argument in (0, 1].
      const u = 1 - next();
      const v = next();
      return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    weighted: (weights) => {
      let total = 0;
      for (const w of weights) total += w;
      let x = next() * total;
      for (let i = 0; i < weights.length; i++) {
        x -= weights[i]!;
        if (x < 0) return i;
      }
      return weights.length - 1;
    },
  };
}

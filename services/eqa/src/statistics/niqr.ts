import { sortedCopy } from "./descriptive.ts";
import { assertFiniteValues } from "./validate.ts";

/** Factor making the IQR a consistent estimator of σ for normal data (1 / 1.349). */
export const NIQR_FACTOR = 0.7413;

/**
 * Quantile by linear interpolation between order statistics, Hyndman & Fan (1996) type 7:
 * h = (n − 1)p, Q = x₍⌊h⌋₎ + (h − ⌊h⌋)(x₍⌊h⌋+1₎ − x₍⌊h⌋₎) with 0-based order statistics.
 * ISO 13528:2015 Annex C.2.3 does not fix one quartile rule; type 7 is chosen because it is
 * what spreadsheets (QUARTILE.INC), R's default and numpy's default compute, so a laboratory
 * can reproduce the centre's figure. Other rules give slightly different nIQR for small n.
 */
export function quantile(values: readonly number[], p: number): number {
  assertFiniteValues(values, 1, "values");
  const sorted = sortedCopy(values);
  const h = (sorted.length - 1) * p;
  const low = Math.floor(h);
  const high = Math.min(low + 1, sorted.length - 1);
  return (sorted[low] as number) + (h - low) * ((sorted[high] as number) - (sorted[low] as number));
}

/** Normalised interquartile range nIQR = 0.7413 × (Q3 − Q1) (ISO 13528:2015 Annex C.2.3). */
export function nIQR(values: readonly number[]): number {
  return NIQR_FACTOR * (quantile(values, 0.75) - quantile(values, 0.25));
}

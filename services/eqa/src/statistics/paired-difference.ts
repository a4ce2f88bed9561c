import { assertFiniteNumber } from "./validate.ts";

/**
 * The paired-sample statistic |x₁ − x₂| / √2 for a laboratory's results on two related samples
 * (a duplicate or split pair). For two independent results with the same standard deviation σ,
 * Var(x₁ − x₂) = 2σ², so dividing the difference by √2 puts it on the scale of one result and it
 * can be compared with a σ-based allowed range.
 */
export function pairedDifference(x1: number, x2: number): number {
  assertFiniteNumber(x1, "x1");
  assertFiniteNumber(x2, "x2");
  return Math.abs(x1 - x2) / Math.SQRT2;
}

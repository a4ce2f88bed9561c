import { mean } from "./descriptive.ts";
import { assertFiniteNumber, assertFiniteValues } from "./validate.ts";

export interface StabilityResult {
  /** x̄: mean of the measurements before (or at the homogeneity check). */
  readonly meanBefore: number;
  /** ȳ: mean of the measurements after (at the end of the round). */
  readonly meanAfter: number;
  /** |x̄ − ȳ|. */
  readonly difference: number;
  /** 0.3 σ_pt. */
  readonly limit: number;
  readonly stable: boolean;
}

/**
 * Stability check (ISO 13528:2015 Annex B.5; ISO/IEC 17043:2010 Annex B): the samples are
 * adequately stable when |x̄ − ȳ| ≤ 0.3 σ_pt, x̄ the mean before and ȳ the mean after.
 * The t-test variant is not implemented here.
 */
export function stability(before: readonly number[], after: readonly number[], sigmaPt: number): StabilityResult {
  assertFiniteValues(before, 1, "before");
  assertFiniteValues(after, 1, "after");
  assertFiniteNumber(sigmaPt, "sigmaPt", true);
  const meanBefore = mean(before);
  const meanAfter = mean(after);
  const difference = Math.abs(meanBefore - meanAfter);
  const limit = 0.3 * sigmaPt;
  return { meanBefore, meanAfter, difference, limit, stable: difference <= limit };
}

// Fitness-for-purpose σpt and the allowed range. Private to the evaluation until src/statistics
// exports fitnessForPurposeSigma / allowedRange (being added there); then switch to those.
import type { EvaluationScheme } from "../types.ts";

/**
 * σpt = TEa / 3 (TEa, the allowed total error, given as scheme.sigmaValue in % of x_pt or in the unit).
 * Dividing by 3 makes |z| ≥ 3 (unsatisfactory, ISO 13528:2015 9.4.1) coincide with an error beyond
 * TEa, the usual link between a regulatory limit and z scoring (ISO 13528:2015 8.2; CLIA-style TEa).
 */
export const FITNESS_DIVISOR = 3;

export function fitnessSigma(scheme: EvaluationScheme, assignedValue: number): number {
  const value = scheme.sigmaValue ?? 0;
  const tea = scheme.sigma === "fitnessPercent" ? (value / 100) * Math.abs(assignedValue) : value;
  return tea / FITNESS_DIVISOR;
}

/**
 * Half-width of the allowed range around x_pt: the larger of percent% × |x_pt| and the absolute limit
 * (靶值 ± 10% 或 ± 0.2 mmol/L, whichever is wider, as Chinese EQA schemes state it).
 */
export function allowedHalfWidth(allowed: NonNullable<EvaluationScheme["allowed"]>, assignedValue: number): number {
  const relative = allowed.percent === undefined ? 0 : (allowed.percent / 100) * Math.abs(assignedValue);
  return Math.max(relative, allowed.absolute ?? 0);
}

import { assertFiniteNumber, assertNonNegative } from "./validate.ts";

/**
 * Performance scores of one result x against the assigned value x_pt (ISO 13528:2015 clause 9;
 * ISO/IEC 17043:2010 Annex B.3). Each refuses non-finite input and a zero denominator.
 */

/** z = (x − x_pt) / σ_pt (ISO 13528:2015 9.4). */
export function zScore(x: number, xpt: number, sigmaPt: number): number {
  assertFiniteNumber(x, "x");
  assertFiniteNumber(xpt, "xpt");
  assertFiniteNumber(sigmaPt, "sigmaPt", true);
  return (x - xpt) / sigmaPt;
}

/**
 * z′ = (x − x_pt) / sqrt(σ_pt² + u²(x_pt)) (ISO 13528:2015 9.5): used when the uncertainty of the
 * assigned value is not negligible (u(x_pt) > 0.3 σ_pt).
 */
export function zPrimeScore(x: number, xpt: number, sigmaPt: number, uXpt: number): number {
  assertFiniteNumber(x, "x");
  assertFiniteNumber(xpt, "xpt");
  assertFiniteNumber(sigmaPt, "sigmaPt", true);
  assertNonNegative(uXpt, "uXpt");
  return (x - xpt) / Math.sqrt(sigmaPt ** 2 + uXpt ** 2);
}

/** ζ = (x − x_pt) / sqrt(u²(x) + u²(x_pt)) with standard uncertainties (ISO 13528:2015 9.6). */
export function zetaScore(x: number, xpt: number, uX: number, uXpt: number): number {
  assertFiniteNumber(x, "x");
  assertFiniteNumber(xpt, "xpt");
  assertNonNegative(uX, "uX");
  assertNonNegative(uXpt, "uXpt");
  assertFiniteNumber(Math.hypot(uX, uXpt), "sqrt(uX² + uXpt²)", true);
  return (x - xpt) / Math.hypot(uX, uXpt);
}

/**
 * E_n = (x − x_pt) / sqrt(U²(x) + U²(x_pt)) with expanded uncertainties (ISO 13528:2015 9.7);
 * |E_n| ≤ 1 is satisfactory.
 */
export function enNumber(x: number, xpt: number, UX: number, UXpt: number): number {
  assertFiniteNumber(x, "x");
  assertFiniteNumber(xpt, "xpt");
  assertNonNegative(UX, "UX");
  assertNonNegative(UXpt, "UXpt");
  assertFiniteNumber(Math.hypot(UX, UXpt), "sqrt(UX² + UXpt²)", true);
  return (x - xpt) / Math.hypot(UX, UXpt);
}

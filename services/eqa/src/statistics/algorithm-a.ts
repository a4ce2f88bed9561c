import { platformError } from "@health-chain/sdk";
import { madE } from "./mad.ts";
import { median } from "./median.ts";
import { assertFiniteNumber, assertFiniteValues } from "./validate.ts";

export interface AlgorithmAResult {
  /** Robust mean x*. */
  readonly mean: number;
  /** Robust standard deviation s*. */
  readonly sd: number;
  /** Number of winsorise-and-update steps performed. */
  readonly iterations: number;
  /** Whether the stopping rule was met before `maxIterations`. */
  readonly converged: boolean;
}

export interface AlgorithmAOptions {
  /** Upper bound on iterations (default 1000). */
  readonly maxIterations?: number;
  /**
   * Stop when the relative change of both x* and s* is below this value instead of the standard's
   * "no change in the third significant figure". Unset (default) applies the standard's rule.
   */
  readonly tolerance?: number;
}

/** Whether a and b agree to three significant figures (the standard's stopping rule). */
function sameThreeSignificantFigures(a: number, b: number): boolean {
  return a.toPrecision(3) === b.toPrecision(3);
}

/**
 * Robust mean and standard deviation by ISO 13528:2015 Annex C.3 (Algorithm A):
 *   start      x* = med(xᵢ), s* = 1.483 × med|xᵢ − x*|
 *   repeat     δ = 1.5 s*
 *              xᵢ* = x* − δ if xᵢ < x* − δ;  x* + δ if xᵢ > x* + δ;  xᵢ otherwise  (winsorise)
 *              x* = Σxᵢ* / p;  s* = 1.134 × sqrt(Σ(xᵢ* − x*)² / (p − 1))
 *   until      neither x* nor s* changes in its third significant figure.
 * 1.134 corrects the winsorised SD for the tails cut at ±1.5σ under normality.
 * Refuses fewer than 3 values, non-finite values, and data whose starting s* is 0 (more than half of
 * the results identical): the standard's algorithm then has no scale, and the caller must choose
 * another estimator (ISO 13528:2015 C.3.1 note).
 */
export function algorithmA(values: readonly number[], options: AlgorithmAOptions = {}): AlgorithmAResult {
  assertFiniteValues(values, 3, "values");
  const maxIterations = options.maxIterations ?? 1000;
  assertFiniteNumber(maxIterations, "maxIterations", true);
  if (options.tolerance !== undefined) assertFiniteNumber(options.tolerance, "tolerance", true);

  let centre = median(values);
  let scale = madE(values);
  if (scale === 0) {
    throw platformError("INVALID_INPUT", {
      message: "Algorithm A cannot start: more than half of the results are identical, so MADe is 0; use another estimator.",
      messageZh: "无法运行算法A：超过一半的结果相同，MADe 为 0；请改用其他估计方法。",
      details: { reason: "zero-spread", count: values.length },
    });
  }
  const p = values.length;
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    const delta = 1.5 * scale;
    const low = centre - delta;
    const high = centre + delta;
    const winsorised = values.map((value) => Math.min(high, Math.max(low, value)));
    let sum = 0;
    for (const value of winsorised) sum += value;
    const nextCentre = sum / p;
    let squares = 0;
    for (const value of winsorised) squares += (value - nextCentre) ** 2;
    const nextScale = 1.134 * Math.sqrt(squares / (p - 1));
    const stop =
      options.tolerance === undefined
        ? sameThreeSignificantFigures(centre, nextCentre) && sameThreeSignificantFigures(scale, nextScale)
        : Math.abs(nextCentre - centre) <= options.tolerance * Math.abs(nextCentre) &&
          Math.abs(nextScale - scale) <= options.tolerance * Math.abs(nextScale);
    centre = nextCentre;
    scale = nextScale;
    if (stop) return { mean: centre, sd: scale, iterations: iteration, converged: true };
  }
  return { mean: centre, sd: scale, iterations: maxIterations, converged: false };
}

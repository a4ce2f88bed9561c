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

/**
 * The standard's stopping rule (ISO 13528:2015 C.3.1; wording checked in ISO 13528:2005 C.1, which
 * reproduces ISO 5725-5; the 2015 text was not available): no change "in the third significant figure
 * of the robust standard deviation and of the equivalent figure in the robust average". Both are rounded to the decimal place of the
 * third significant figure of the new s* and compared. Comparing x* to its own third significant
 * figure (as this file once did) is far too coarse when x* ≫ s* (x* ≈ 1000, s* ≈ 3 stops on the
 * first step with s* 28 % away from the converged value).
 */
function unchangedAtThirdFigureOfScale(centre: number, nextCentre: number, scale: number, nextScale: number): boolean {
  const place = 10 ** (Math.floor(Math.log10(nextScale)) - 2);
  return (
    Math.round(scale / place) === Math.round(nextScale / place) &&
    Math.round(centre / place) === Math.round(nextCentre / place)
  );
}

/**
 * Robust mean and standard deviation by ISO 13528:2015 Annex C.3 (Algorithm A):
 *   start      x* = med(xᵢ), s* = 1.483 × med|xᵢ − x*|
 *   repeat     δ = 1.5 s*
 *              xᵢ* = x* − δ if xᵢ < x* − δ;  x* + δ if xᵢ > x* + δ;  xᵢ otherwise  (winsorise)
 *              x* = Σxᵢ* / p;  s* = 1.134 × sqrt(Σ(xᵢ* − x*)² / (p − 1))
 *   until      s* does not change in its third significant figure, nor x* in the same decimal place.
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
    if (nextScale === 0) {
      // Every winsorised value equals x*: the spread collapsed, the fixed point is reached.
      return { mean: nextCentre, sd: 0, iterations: iteration, converged: true };
    }
    const stop =
      options.tolerance === undefined
        ? unchangedAtThirdFigureOfScale(centre, nextCentre, scale, nextScale)
        : Math.abs(nextCentre - centre) <= options.tolerance * Math.abs(nextCentre) &&
          Math.abs(nextScale - scale) <= options.tolerance * Math.abs(nextScale);
    centre = nextCentre;
    scale = nextScale;
    if (stop) return { mean: centre, sd: scale, iterations: iteration, converged: true };
  }
  return { mean: centre, sd: scale, iterations: maxIterations, converged: false };
}

import { platformError } from "@health-chain/sdk";
import { mean } from "./descriptive.ts";
import { studentTTwoSidedP, studentTUpper } from "./distributions.ts";
import { assertSignificance } from "./significance.ts";
import { assertFiniteNumber, assertFiniteValues } from "./validate.ts";

/** Welch two-sample t-test of the before and after means, or why it could not be computed. */
export type StabilityTTest =
  | {
      readonly computable: true;
      readonly method: "welch";
      readonly t: number;
      /** Welch–Satterthwaite degrees of freedom (fractional). */
      readonly df: number;
      /** Two-sided p value. */
      readonly pValue: number;
      readonly alpha: number;
      /** Two-sided critical t at α and df. */
      readonly tCritical: number;
      /** p < α: the means differ significantly. */
      readonly significantDifference: boolean;
      /** The t-test's own verdict: stable when the difference is not significant. */
      readonly stable: boolean;
    }
  | { readonly computable: false; readonly reason: { readonly en: string; readonly zh: string } };

export interface StabilityResult {
  /** x̄: mean of the measurements before (or at the homogeneity check). */
  readonly meanBefore: number;
  /** ȳ: mean of the measurements after (at the end of the round). */
  readonly meanAfter: number;
  /** |x̄ − ȳ|. */
  readonly difference: number;
  /** 0.3 σ_pt. */
  readonly limit: number;
  /** The criterion |x̄ − ȳ| ≤ 0.3 σ_pt. */
  readonly stable: boolean;
  /** The t-test, reported beside the criterion. */
  readonly tTest: StabilityTTest;
}

export interface StabilityOptions {
  /** Significance level of the t-test (default 0.05). */
  readonly alpha?: number;
}

function sampleVariance(values: readonly number[], centre: number): number {
  let squares = 0;
  for (const value of values) squares += (value - centre) ** 2;
  return squares / (values.length - 1);
}

/**
 * Welch's two-sample t-test (Welch 1947):
 *   t = (x̄ − ȳ) / sqrt(s₁²/n₁ + s₂²/n₂),
 *   df = (s₁²/n₁ + s₂²/n₂)² / ((s₁²/n₁)²/(n₁ − 1) + (s₂²/n₂)²/(n₂ − 1)).
 * Welch rather than the pooled test because the two sets are measured at different times, often with
 * different numbers of units, and nothing guarantees equal variances (storage can add scatter); Welch
 * loses almost no power when the variances are equal and keeps its level when they are not.
 */
function welch(before: readonly number[], after: readonly number[], meanBefore: number, meanAfter: number, alpha: number): StabilityTTest {
  if (before.length < 2 || after.length < 2) {
    return {
      computable: false,
      reason: {
        en: "The t-test needs at least 2 measurements before and 2 after.",
        zh: "t 检验要求前后各至少 2 个测定值。",
      },
    };
  }
  const a = sampleVariance(before, meanBefore) / before.length;
  const b = sampleVariance(after, meanAfter) / after.length;
  if (a + b === 0) {
    return {
      computable: false,
      reason: {
        en: "The t-test cannot be computed: both sets have zero variance.",
        zh: "无法进行 t 检验：前后两组测定值的方差均为 0。",
      },
    };
  }
  const t = (meanBefore - meanAfter) / Math.sqrt(a + b);
  const df = (a + b) ** 2 / (a ** 2 / (before.length - 1) + b ** 2 / (after.length - 1));
  const pValue = studentTTwoSidedP(t, df);
  const significantDifference = pValue < alpha;
  return {
    computable: true,
    method: "welch",
    t,
    df,
    pValue,
    alpha,
    tCritical: studentTUpper(alpha / 2, df),
    significantDifference,
    stable: !significantDifference,
  };
}

/**
 * Stability check (ISO 13528:2015 Annex B, stability criterion; ISO/IEC 17043:2010 Annex B; clause
 * numbers within Annex B not verified against the text): the samples are adequately stable when
 * |x̄ − ȳ| ≤ 0.3 σ_pt, x̄ the mean before and ȳ the mean after. A Welch t-test of the two means at
 * α (default 0.05) is reported beside it; `stable` stays the 0.3 σ_pt criterion, and the t-test's
 * verdict is `tTest.stable` (a significant but small drift fails the t-test and can pass the criterion).
 */
export function stability(
  before: readonly number[],
  after: readonly number[],
  sigmaPt: number,
  options: StabilityOptions = {},
): StabilityResult {
  assertFiniteValues(before, 1, "before");
  assertFiniteValues(after, 1, "after");
  assertFiniteNumber(sigmaPt, "sigmaPt", true);
  if (typeof options !== "object" || options === null) {
    throw platformError("INVALID_INPUT", {
      message: "options must be an object { alpha? }.",
      messageZh: "options 必须是对象 { alpha? }。",
      details: { field: "options" },
    });
  }
  const alpha = options.alpha ?? 0.05;
  assertSignificance(alpha);
  const meanBefore = mean(before);
  const meanAfter = mean(after);
  const difference = Math.abs(meanBefore - meanAfter);
  const limit = 0.3 * sigmaPt;
  return {
    meanBefore,
    meanAfter,
    difference,
    limit,
    stable: difference <= limit,
    tTest: welch(before, after, meanBefore, meanAfter, alpha),
  };
}

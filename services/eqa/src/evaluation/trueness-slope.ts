// The slope method of a trueness round: per lab, its sample means against the reference values.
import { isPlatformError } from "@health-chain/sdk";
import { slopeMethod } from "../statistics/index.ts";
import { notComputable } from "./messages.ts";
import type { LabSlope, Score } from "./types.ts";

/** 95 % confidence intervals (src/statistics slopeMethod's default α = 0.05), stated here to be reported. */
export const SLOPE_ALPHA = 0.05;
/** Fewest (reference, mean) points for a slope with a confidence interval: n − 2 ≥ 1 degrees of freedom. */
export const SLOPE_MIN_SAMPLES = 3;

/**
 * OLS of the lab's means y on the reference values x (src/statistics slopeMethod: y = a + b x, CIs by
 * t with n − 2 df). Acceptable when the slope CI includes 1 (no proportional bias: each sample can be
 * within the allowed bias while the error grows with the concentration) and the intercept CI includes 0
 * (no constant bias). `scores` are one lab's trueness records of one analyte; only those with a mean and
 * a reference value count (on the evaluation scale: log10 for log10 schemes).
 */
export function truenessSlope(scores: readonly Score[]): LabSlope {
  const reference: number[] = [];
  const measured: number[] = [];
  for (const score of scores) {
    if (score.value === null || score.assignedValue === undefined) continue;
    reference.push(score.assignedValue);
    measured.push(score.value);
  }
  const n = reference.length;
  if (n < SLOPE_MIN_SAMPLES) {
    return {
      n,
      notComputable: notComputable(
        "tooFewSamples",
        `The slope method needs at least ${SLOPE_MIN_SAMPLES} samples with a mean and a reference value; ${n} available.`,
        `斜率法至少需要 ${SLOPE_MIN_SAMPLES} 个同时有均值和参考值的样本，现有 ${n} 个。`,
      ),
    };
  }
  try {
    const result = slopeMethod(reference, measured, { alpha: SLOPE_ALPHA });
    return {
      n,
      slope: result.slope,
      intercept: result.intercept,
      slopeCi: [result.slopeCi[0], result.slopeCi[1]],
      interceptCi: [result.interceptCi[0], result.interceptCi[1]],
      confidence: 1 - SLOPE_ALPHA,
      acceptable: result.acceptable,
      verdict: { en: result.verdict.en, zh: result.verdict.zh },
      notComputable: null,
    };
  } catch (error) {
    if (isPlatformError(error, "INVALID_INPUT") && error.details.reason === "zero-reference-spread") {
      return { n, notComputable: notComputable("zeroReferenceSpread", "Every reference value is the same: no slope exists.", "所有参考值相同：无法计算斜率。") };
    }
    throw error;
  }
}

import { platformError } from "@health-chain/sdk";
import { sortedCopy } from "./descriptive.ts";
import { assertFiniteValues } from "./validate.ts";

export type DixonAlpha = 0.1 | 0.05 | 0.01;

/**
 * Two-sided critical values of Dixon's r10 (Q) ratio for n = 3..10 at α = 0.10, 0.05, 0.01, from
 * D. B. Rorabacher, "Statistical treatment for rejection of deviant values: critical values of
 * Dixon's Q parameter and related subrange ratios at the 95% confidence level",
 * Analytical Chemistry 63 (1991) 139–146, Table I (two-tailed; confidence 90 %, 95 %, 99 %).
 */
const DIXON_R10_CRITICAL: Readonly<Record<DixonAlpha, readonly number[]>> = {
  //      n = 3      4      5      6      7      8      9      10
  0.1: [0.941, 0.765, 0.642, 0.56, 0.507, 0.468, 0.437, 0.412],
  0.05: [0.970, 0.829, 0.710, 0.625, 0.568, 0.526, 0.493, 0.466],
  0.01: [0.994, 0.926, 0.821, 0.740, 0.680, 0.634, 0.598, 0.568],
};

export interface DixonResult {
  /** The more extreme candidate (lowest or highest value) and its ratio. */
  readonly suspect: number;
  readonly side: "low" | "high";
  readonly q: number;
  readonly qCritical: number;
  readonly significant: boolean;
  /** The suspect when significant; the test removes at most one value. */
  readonly removed: readonly number[];
  readonly kept: readonly number[];
  readonly reason: { readonly en: string; readonly zh: string };
}

/** Critical r10 value for n = 3..10 and α ∈ {0.10, 0.05, 0.01} (Rorabacher 1991). */
export function dixonCritical(n: number, alpha: DixonAlpha = 0.05): number {
  const row = DIXON_R10_CRITICAL[alpha];
  const value = Number.isInteger(n) && row !== undefined ? row[n - 3] : undefined;
  if (value === undefined) {
    throw platformError("INVALID_INPUT", {
      message: "Dixon's Q test is tabulated here for 3 to 10 values at alpha 0.10, 0.05 or 0.01 only; use Grubbs for larger sets.",
      messageZh: "此处 Dixon Q 检验仅适用于 3 至 10 个数值、alpha 为 0.10、0.05 或 0.01；数据更多时请使用 Grubbs 检验。",
      details: { n, alpha },
    });
  }
  return value;
}

/**
 * Dixon's Q test with the r10 ratio (Dixon 1950; Rorabacher 1991), for 3 ≤ n ≤ 10:
 *   low suspect   Q = (x₍₂₎ − x₍₁₎) / (x₍ₙ₎ − x₍₁₎)
 *   high suspect  Q = (x₍ₙ₎ − x₍ₙ₋₁₎) / (x₍ₙ₎ − x₍₁₎)
 * The larger of the two is compared with the two-sided critical value; the suspect is removed when
 * Q > Q_crit. The r11/r21/r22 ratios for larger n are not implemented.
 */
export function dixonTest(values: readonly number[], alpha: DixonAlpha = 0.05): DixonResult {
  assertFiniteValues(values, 3, "values");
  const qCritical = dixonCritical(values.length, alpha);
  const sorted = sortedCopy(values);
  const n = sorted.length;
  const first = sorted[0] as number;
  const last = sorted[n - 1] as number;
  const range = last - first;
  if (range === 0) {
    throw platformError("INVALID_INPUT", {
      message: "Dixon's Q test cannot be computed: all values are equal (range 0).",
      messageZh: "无法计算 Dixon Q 检验：所有数值相同（极差为 0）。",
      details: { reason: "zero-range", n },
    });
  }
  const qLow = ((sorted[1] as number) - first) / range;
  const qHigh = (last - (sorted[n - 2] as number)) / range;
  const side = qHigh > qLow ? "high" : "low";
  const suspect = side === "high" ? last : first;
  const q = Math.max(qLow, qHigh);
  const significant = q > qCritical;
  const position = values.indexOf(suspect);
  const figures = `Q = ${q.toFixed(3)}, Q_crit(n = ${n}, α = ${alpha}) = ${qCritical.toFixed(3)}`;
  return {
    suspect,
    side,
    q,
    qCritical,
    significant,
    removed: significant ? [suspect] : [],
    kept: significant ? values.filter((_, i) => i !== position) : [...values],
    reason: significant
      ? { en: `Dixon outlier ${suspect}: ${figures}, Q > Q_crit.`, zh: `Dixon 检验离群值 ${suspect}：${figures}，Q > Q_crit。` }
      : { en: `No Dixon outlier: ${figures}, Q ≤ Q_crit.`, zh: `Dixon 检验无离群值：${figures}，Q ≤ Q_crit。` },
  };
}

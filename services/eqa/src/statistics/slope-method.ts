import { platformError } from "@health-chain/sdk";
import { studentTUpper } from "./distributions.ts";
import { assertSignificance } from "./significance.ts";
import { assertFiniteNumber, assertFiniteValues } from "./validate.ts";

export interface SlopeMethodOptions {
  /** 1 − confidence of the intervals (default 0.05 → 95 % CIs). */
  readonly alpha?: number;
  /** Accept the slope also when |b − 1| ≤ slopeTolerance (a proportional bias too small to matter). */
  readonly slopeTolerance?: number;
}

export interface SlopeMethodResult {
  readonly n: number;
  /** b and a of measured = a + b × reference. */
  readonly slope: number;
  readonly intercept: number;
  readonly slopeSe: number;
  readonly interceptSe: number;
  readonly slopeCi: readonly [number, number];
  readonly interceptCi: readonly [number, number];
  /** Residual standard deviation s_y|x = sqrt(SSE / (n − 2)). */
  readonly residualSd: number;
  readonly df: number;
  /** t_{1−α/2, n−2} used for both intervals. */
  readonly tCritical: number;
  /** Pearson r; null when every measured value is equal (r is then undefined). */
  readonly r: number | null;
  readonly slopeCiIncludesOne: boolean;
  readonly interceptCiIncludesZero: boolean;
  /** Present when a tolerance was given: |b − 1| ≤ δ. */
  readonly slopeWithinTolerance?: boolean;
  /** Trueness acceptable: slope accepted (CI includes 1, or within tolerance) and intercept CI includes 0. */
  readonly acceptable: boolean;
  readonly verdict: { readonly en: string; readonly zh: string };
}

/**
 * Slope method for a trueness round: ordinary least squares of the laboratory's measured values y on
 * the reference values x of the samples, y = a + b x (e.g. Draper & Smith, Applied Regression
 * Analysis, ch. 1; CLSI EP09 uses the same model for method comparison):
 *   b = Sxy / Sxx,  a = ȳ − b x̄,  s = sqrt(Σ(yᵢ − a − b xᵢ)² / (n − 2))
 *   SE(b) = s / sqrt(Sxx),  SE(a) = s × sqrt(1/n + x̄² / Sxx)
 *   CI = estimate ± t_{1−α/2, n−2} × SE,  r = Sxy / sqrt(Sxx Syy)
 * No proportional bias when the slope CI contains 1, no constant bias when the intercept CI contains 0.
 * Needs n ≥ 3 pairs and at least two different reference values.
 */
export function slopeMethod(
  reference: readonly number[],
  measured: readonly number[],
  options: SlopeMethodOptions = {},
): SlopeMethodResult {
  assertFiniteValues(reference, 3, "reference");
  assertFiniteValues(measured, 3, "measured");
  if (reference.length !== measured.length) {
    throw platformError("INVALID_INPUT", {
      message: `reference and measured must pair up: ${reference.length} vs ${measured.length} values.`,
      messageZh: `参考值与测定值必须一一对应：分别为 ${reference.length} 个和 ${measured.length} 个。`,
      details: { field: "measured", reference: reference.length, measured: measured.length },
    });
  }
  const alpha = options.alpha ?? 0.05;
  assertSignificance(alpha);
  if (options.slopeTolerance !== undefined) assertFiniteNumber(options.slopeTolerance, "slopeTolerance", true);
  const n = reference.length;
  const xBar = reference.reduce((sum, value) => sum + value, 0) / n;
  const yBar = measured.reduce((sum, value) => sum + value, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (reference[i] as number) - xBar;
    const dy = (measured[i] as number) - yBar;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (sxx === 0) {
    throw platformError("INVALID_INPUT", {
      message: "The slope cannot be computed: every reference value is the same.",
      messageZh: "无法计算斜率：所有参考值相同。",
      details: { reason: "zero-reference-spread", n },
    });
  }
  const slope = sxy / sxx;
  const intercept = yBar - slope * xBar;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += ((measured[i] as number) - intercept - slope * (reference[i] as number)) ** 2;
  const df = n - 2;
  const residualSd = Math.sqrt(sse / df);
  const slopeSe = residualSd / Math.sqrt(sxx);
  const interceptSe = residualSd * Math.sqrt(1 / n + (xBar * xBar) / sxx);
  const tCritical = studentTUpper(alpha / 2, df);
  const slopeCi = [slope - tCritical * slopeSe, slope + tCritical * slopeSe] as const;
  const interceptCi = [intercept - tCritical * interceptSe, intercept + tCritical * interceptSe] as const;
  const slopeCiIncludesOne = slopeCi[0] <= 1 && 1 <= slopeCi[1];
  const interceptCiIncludesZero = interceptCi[0] <= 0 && 0 <= interceptCi[1];
  const slopeWithinTolerance =
    options.slopeTolerance === undefined ? undefined : Math.abs(slope - 1) <= options.slopeTolerance;
  const slopeAccepted = slopeCiIncludesOne || slopeWithinTolerance === true;
  const acceptable = slopeAccepted && interceptCiIncludesZero;
  const confidence = `${Math.round((1 - alpha) * 1000) / 10} %`;
  const figures = `b = ${slope.toPrecision(4)} [${slopeCi[0].toPrecision(4)}, ${slopeCi[1].toPrecision(4)}], a = ${intercept.toPrecision(4)} [${interceptCi[0].toPrecision(4)}, ${interceptCi[1].toPrecision(4)}] (${confidence} CI)`;
  return {
    n,
    slope,
    intercept,
    slopeSe,
    interceptSe,
    slopeCi,
    interceptCi,
    residualSd,
    df,
    tCritical,
    r: syy === 0 ? null : sxy / Math.sqrt(sxx * syy),
    slopeCiIncludesOne,
    interceptCiIncludesZero,
    ...(slopeWithinTolerance === undefined ? {} : { slopeWithinTolerance }),
    acceptable,
    verdict: acceptable
      ? { en: `Trueness acceptable: ${figures}; no proportional or constant bias shown.`, zh: `正确度符合要求：${figures}；未见比例偏倚或恒定偏倚。` }
      : {
          en: `Trueness not acceptable: ${figures}; ${slopeAccepted ? "" : "proportional bias (slope ≠ 1)"}${!slopeAccepted && !interceptCiIncludesZero ? " and " : ""}${interceptCiIncludesZero ? "" : "constant bias (intercept ≠ 0)"}.`,
          zh: `正确度不符合要求：${figures}；${slopeAccepted ? "" : "存在比例偏倚（斜率 ≠ 1）"}${!slopeAccepted && !interceptCiIncludesZero ? "，且" : ""}${interceptCiIncludesZero ? "" : "存在恒定偏倚（截距 ≠ 0）"}。`,
        },
  };
}

import { platformError } from "@health-chain/sdk";
import { assertFiniteNumber, assertNonNegative } from "./validate.ts";

/**
 * Standard uncertainty of an assigned value obtained as the Algorithm A robust mean of p results
 * (ISO 13528:2015 7.7.3): u(x_pt) = 1.25 × s* / √p. The 1.25 reflects the efficiency of the robust
 * mean relative to the arithmetic mean for normal data.
 */
export function uncertaintyOfAssignedValue(sStar: number, p: number): number {
  assertNonNegative(sStar, "sStar");
  if (!Number.isInteger(p) || p < 1) {
    throw platformError("INVALID_INPUT", {
      message: "p must be the whole number (≥ 1) of results behind the assigned value.",
      messageZh: "p 必须是计算指定值所用结果的个数（≥ 1 的整数）。",
      details: { field: "p", value: String(p) },
    });
  }
  return (1.25 * sStar) / Math.sqrt(p);
}

export interface AssignedValueUncertaintyCheck {
  readonly ok: boolean;
  /** u(x_pt) / σ_pt, reported so the report can show how close to the limit it is. */
  readonly ratio: number;
  /** Present when u(x_pt) > 0.3 σ_pt: the warning the report must print. */
  readonly warning?: { readonly en: string; readonly zh: string };
}

/**
 * The uncertainty of the assigned value is negligible when u(x_pt) ≤ 0.3 σ_pt (ISO 13528:2015 9.2.1);
 * otherwise the report must say so, and z′ (9.5) or a larger σ_pt should be used.
 */
export function checkAssignedValueUncertainty(u: number, sigmaPt: number): AssignedValueUncertaintyCheck {
  assertNonNegative(u, "u");
  assertFiniteNumber(sigmaPt, "sigmaPt", true);
  const ratio = u / sigmaPt;
  if (u <= 0.3 * sigmaPt) return { ok: true, ratio };
  return {
    ok: false,
    ratio,
    warning: {
      en: `The uncertainty of the assigned value (${u.toPrecision(3)}) exceeds 0.3 σpt (${(0.3 * sigmaPt).toPrecision(3)}); it is not negligible and the z scores may be unreliable (ISO 13528:2015 9.2).`,
      zh: `指定值的不确定度（${u.toPrecision(3)}）超过 0.3 σpt（${(0.3 * sigmaPt).toPrecision(3)}），不可忽略，z 比分数可能不可靠（ISO 13528:2015 9.2）。`,
    },
  };
}

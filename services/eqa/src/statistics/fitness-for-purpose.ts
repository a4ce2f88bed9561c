import { platformError } from "@health-chain/sdk";
import { assertFiniteNumber, assertNonNegative } from "./validate.ts";

export interface AllowedErrorInput {
  /** The assigned value x_pt the allowed error is centred on. */
  readonly assignedValue: number;
  /** Allowed total error as a percentage of |x_pt| (e.g. 10 for ±10 %). */
  readonly percent?: number;
  /** Allowed total error in the analyte's unit (e.g. 0.2 for ±0.2 mmol/L). */
  readonly absolute?: number;
}

export interface AllowedRange {
  readonly lower: number;
  readonly upper: number;
  /** TEa, the allowed total error actually applied. */
  readonly halfWidth: number;
  /** Which limb gave TEa: the larger one wins when both are given. */
  readonly basis: "percent" | "absolute";
}

export interface FitnessForPurposeSigma {
  readonly sigmaPt: number;
  /** TEa, the allowed total error σpt was derived from. */
  readonly allowedError: number;
  readonly coverage: number;
  readonly basis: "percent" | "absolute";
}

/**
 * TEa = max(percent/100 × |x_pt|, absolute), the larger of the two limbs when both are given, as the
 * Chinese EQA criteria state them ("靶值 ± 10% 或 ± 0.2 mmol/L": at low concentrations the absolute
 * limb, at high ones the percentage). Refuses neither limb, a negative or non-finite limb, and a zero
 * TEa (e.g. a percentage of an assigned value of 0): there would be no range to judge against.
 */
function allowedError(input: AllowedErrorInput): { value: number; basis: "percent" | "absolute" } {
  if (typeof input !== "object" || input === null) {
    throw platformError("INVALID_INPUT", {
      message: "The allowed error needs { assignedValue, percent?, absolute? }.",
      messageZh: "允许误差需要提供 { assignedValue, percent?, absolute? }。",
      details: { field: "input" },
    });
  }
  assertFiniteNumber(input.assignedValue, "assignedValue");
  if (input.percent === undefined && input.absolute === undefined) {
    throw platformError("INVALID_INPUT", {
      message: "Give the allowed total error as percent, absolute or both.",
      messageZh: "请以百分比、绝对值或两者同时给出允许总误差。",
      details: { field: "percent|absolute" },
    });
  }
  if (input.percent !== undefined) assertNonNegative(input.percent, "percent");
  if (input.absolute !== undefined) assertNonNegative(input.absolute, "absolute");
  const byPercent = input.percent === undefined ? -1 : (input.percent / 100) * Math.abs(input.assignedValue);
  const byAbsolute = input.absolute ?? -1;
  const value = Math.max(byPercent, byAbsolute);
  if (!(value > 0)) {
    throw platformError("INVALID_INPUT", {
      message: "The allowed total error is 0 (a percentage of an assigned value of 0, or zero limbs); no range can be judged.",
      messageZh: "允许总误差为 0（指定值为 0 时的百分比，或限值为 0），无法据此评价。",
      details: { reason: "zero-allowed-error", assignedValue: input.assignedValue },
    });
  }
  return { value, basis: byAbsolute >= byPercent ? "absolute" : "percent" };
}

/** The pass range x_pt ± TEa of the allowed-total-error scheme (Chinese EQA practice, 允许范围). */
export function allowedRange(input: AllowedErrorInput): AllowedRange {
  const { value, basis } = allowedError(input);
  return { lower: input.assignedValue - value, upper: input.assignedValue + value, halfWidth: value, basis };
}

/**
 * Fitness-for-purpose σpt from an allowed total error (ISO 13528:2015 8.2, "by perception of experts"
 * / fitness for purpose): σpt = TEa / coverage. The default coverage 3 makes |z| ≥ 3 (unsatisfactory)
 * coincide with a result outside x_pt ± TEa, so the z judgement and the pass/fail-by-range judgement
 * agree at the action limit. The alternative coverage 2 makes the warning limit |z| = 2 coincide
 * with TEa instead (stricter: a result just inside TEa gets |z| ≈ 2, "questionable" above it).
 */
export function fitnessForPurposeSigma(input: AllowedErrorInput & { readonly coverage?: number }): FitnessForPurposeSigma {
  const coverage = input?.coverage ?? 3;
  assertFiniteNumber(coverage, "coverage", true);
  const { value, basis } = allowedError(input);
  return { sigmaPt: value / coverage, allowedError: value, coverage, basis };
}

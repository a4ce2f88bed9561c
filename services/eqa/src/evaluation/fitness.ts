// Fitness-for-purpose σpt and the allowed range, from the statistics library (src/statistics
// fitness-for-purpose.ts, ISO 13528:2015 8.2); this file only maps an EvaluationScheme onto it and turns
// the library's refusal of a zero allowed error into a "not computable" outcome.
import { isPlatformError } from "@health-chain/sdk";
import { allowedRange, fitnessForPurposeSigma } from "../statistics/index.ts";
import type { AllowedRange } from "../statistics/index.ts";
import type { EvaluationScheme } from "../types.ts";
import { notComputable } from "./messages.ts";
import type { NotComputable } from "./types.ts";

/**
 * σpt = TEa / FITNESS_DIVISOR: the library's default coverage (3), so that |z| ≥ 3 (unsatisfactory,
 * ISO 13528:2015 9.4.1) coincides with an error beyond TEa. Read from the library, not restated here.
 */
export const FITNESS_DIVISOR: number = fitnessForPurposeSigma({ assignedValue: 1, absolute: 1 }).coverage;

/** TEa is 0 (a percentage of an assigned value of 0): the library refuses it; we report it. */
function zeroAllowedError(assignedValue: number): NotComputable {
  return notComputable(
    "zeroAllowedError",
    `The allowed total error is 0 (a percentage of the assigned value ${assignedValue}): σpt and the allowed range cannot be computed.`,
    `允许总误差为 0（指定值 ${assignedValue} 的百分比）：无法计算 σpt 和允许范围。`,
  );
}

/** Runs a library call; its "zero-allowed-error" refusal becomes a NotComputable, anything else propagates. */
function orNotComputable<T>(assignedValue: number, compute: () => T): T | NotComputable {
  try {
    return compute();
  } catch (error) {
    if (isPlatformError(error, "INVALID_INPUT") && error.details.reason === "zero-allowed-error") {
      return zeroAllowedError(assignedValue);
    }
    throw error;
  }
}

/**
 * σpt for sigma "fitnessPercent" (TEa = sigmaValue % × |x_pt|) or "fitnessAbsolute" (TEa = sigmaValue,
 * in the unit). validateRoundInput has already required sigmaValue > 0.
 */
export function fitnessSigma(scheme: EvaluationScheme, assignedValue: number): number | NotComputable {
  const limb = scheme.sigma === "fitnessPercent" ? { percent: scheme.sigmaValue } : { absolute: scheme.sigmaValue };
  return orNotComputable(assignedValue, () => fitnessForPurposeSigma({ assignedValue, ...limb }).sigmaPt);
}

/**
 * The allowed range x_pt ± TEa, TEa = max(percent % × |x_pt|, absolute) (靶值 ± 10% 或 ± 0.2 mmol/L,
 * whichever is wider). validateRoundInput has already required a limb > 0.
 */
export function schemeAllowedRange(allowed: NonNullable<EvaluationScheme["allowed"]>, assignedValue: number): AllowedRange | NotComputable {
  const limbs = { ...(allowed.percent === undefined ? {} : { percent: allowed.percent }), ...(allowed.absolute === undefined ? {} : { absolute: allowed.absolute }) };
  return orNotComputable(assignedValue, () => allowedRange({ assignedValue, ...limbs }));
}

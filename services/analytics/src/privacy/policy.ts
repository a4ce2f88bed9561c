// The small-cell policy of counts shown to researchers: below which count a cell is hidden, and how
// the counts that are shown are protected (exact, rounded or perturbed). Validated once, here.
import { invalidPrivacyInput } from "./invalid.ts";

/** How shown counts are protected; in every mode small cells are suppressed. */
export type SmallCellMode = "suppress" | "round" | "perturb";

export const SMALL_CELL_MODES: readonly SmallCellMode[] = ["suppress", "round", "perturb"];

export interface SmallCellPolicy {
  /** Counts 1..threshold−1 are suppressed (issue 8: configurable, default 5). */
  readonly threshold: number;
  readonly mode: SmallCellMode;
  /** Also suppress true zeros (a zero can reveal that no member of a known group has the attribute). Default false. */
  readonly protectZero: boolean;
  /** `round` mode: counts are rounded to the nearest multiple of this. Default 5. */
  readonly roundingBase: number;
  /** `perturb` mode: noise is an integer in [−maxNoise, +maxNoise]. Default 2. */
  readonly maxNoise: number;
}

export const DEFAULT_SMALL_CELL_POLICY: SmallCellPolicy = {
  threshold: 5,
  mode: "suppress",
  protectZero: false,
  roundingBase: 5,
  maxNoise: 2,
};

const MAX_THRESHOLD = 1000;

function integerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= min && value <= max;
}

/** The policy with defaults filled in; refuses a value out of range with INVALID_INPUT. */
export function smallCellPolicy(input: Partial<SmallCellPolicy> = {}): SmallCellPolicy {
  if (typeof input !== "object" || input === null) {
    throw invalidPrivacyInput({ what: "policy" }, "The small-cell policy must be an object.", "小单元格策略必须是对象。");
  }
  const policy = { ...DEFAULT_SMALL_CELL_POLICY, ...input };
  if (!integerIn(policy.threshold, 2, MAX_THRESHOLD)) {
    throw invalidPrivacyInput(
      { what: "threshold", value: policy.threshold },
      `The small-cell threshold must be an integer from 2 to ${MAX_THRESHOLD} (a threshold of 1 protects no one).`,
      `小单元格阈值必须是 2 到 ${MAX_THRESHOLD} 之间的整数（阈值为 1 不保护任何人）。`,
    );
  }
  if (!SMALL_CELL_MODES.includes(policy.mode)) {
    throw invalidPrivacyInput(
      { what: "mode", value: policy.mode },
      `The small-cell mode must be one of ${SMALL_CELL_MODES.join(", ")}.`,
      `小单元格保护方式必须是 ${SMALL_CELL_MODES.join("、")} 之一。`,
    );
  }
  if (typeof policy.protectZero !== "boolean") {
    throw invalidPrivacyInput({ what: "protectZero" }, "protectZero must be true or false.", "protectZero 必须是 true 或 false。");
  }
  if (!integerIn(policy.roundingBase, 2, MAX_THRESHOLD)) {
    throw invalidPrivacyInput(
      { what: "roundingBase", value: policy.roundingBase },
      `The rounding base must be an integer from 2 to ${MAX_THRESHOLD}.`,
      `取整基数必须是 2 到 ${MAX_THRESHOLD} 之间的整数。`,
    );
  }
  if (!integerIn(policy.maxNoise, 1, MAX_THRESHOLD)) {
    throw invalidPrivacyInput(
      { what: "maxNoise", value: policy.maxNoise },
      `The maximum noise must be an integer from 1 to ${MAX_THRESHOLD}.`,
      `最大扰动必须是 1 到 ${MAX_THRESHOLD} 之间的整数。`,
    );
  }
  return policy;
}

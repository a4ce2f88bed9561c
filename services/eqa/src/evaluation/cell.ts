import { isPlatformError } from "@health-chain/sdk";
import {
  algorithmA,
  checkAssignedValueUncertainty,
  madE,
  mean,
  median,
  nIQR,
  standardDeviation,
  uncertaintyOfAssignedValue,
} from "../statistics/index.ts";
import type { EvaluationScheme } from "../types.ts";
import { fitnessSigma } from "./fitness.ts";
import { notComputable, tooFewResults, zeroSpread } from "./messages.ts";
import { screenOutliers, type LabValue } from "./outliers.ts";
import type { Cell, CellStatistics, NotComputable } from "./types.ts";

/** ISO 13528:2015 advises at least 12 results for Algorithm A (C.3 / 7.7.1 note); never fewer than 3. */
export const ALGORITHM_A_MIN_RESULTS = 12;
export const MIN_RESULTS_FLOOR = 3;

export interface CellContext {
  analyteCode: string;
  sampleCode: string;
  group: string;
  log10: boolean;
  scheme: EvaluationScheme;
  /** The reference value (already on the evaluation scale) for assignedValue "reference". */
  reference: { value: number; uncertainty?: number } | null;
  reticulocyte: boolean;
  /** Set for a peer group below the scheme's minSize: the cell is reported, not computed. */
  tooSmall?: { minSize: number };
}

export function usesAlgorithmA(scheme: EvaluationScheme): boolean {
  return scheme.assignedValue === "algorithmA" || scheme.assignedValue === "peerConsensus" || scheme.sigma === "robustS";
}

/** Whether the cell's numbers come from the results (then outliers are screened and minResults applies). */
export function isConsensus(scheme: EvaluationScheme, reticulocyte: boolean): boolean {
  return reticulocyte || scheme.assignedValue !== "reference" || scheme.sigma === "robustS" || scheme.sigma === "made" || scheme.sigma === "niqr";
}

export function minResultsOf(scheme: EvaluationScheme): number {
  return Math.max(MIN_RESULTS_FLOOR, scheme.minResults ?? (usesAlgorithmA(scheme) ? ALGORITHM_A_MIN_RESULTS : MIN_RESULTS_FLOOR));
}

function robustOf(values: readonly number[]): { mean: number; sd: number } | null {
  if (values.length < 3) return null;
  try {
    const result = algorithmA(values);
    return { mean: result.mean, sd: result.sd };
  } catch (error) {
    // Algorithm A refuses data with MADe = 0 (more than half identical): no robust scale exists.
    if (isPlatformError(error, "INVALID_INPUT")) return null;
    throw error;
  }
}

/**
 * The statistics of one analyte × sample × group. `entries` must be sorted by value (then lab code):
 * the only sort of the cell. Outliers are screened first; the assigned value, σpt and u(x_pt) follow the
 * scheme (ISO 13528:2015 clauses 7 and 8); what cannot be computed is reported as `notComputable`.
 */
export function computeCell(entries: readonly LabValue[], context: CellContext): Cell {
  const { scheme } = context;
  const base = {
    analyteCode: context.analyteCode,
    sampleCode: context.sampleCode,
    group: context.group,
    log10: context.log10,
    nReported: entries.length,
  };
  if (context.tooSmall !== undefined) {
    return {
      ...base,
      values: entries.map((entry) => entry.value),
      screening: { test: scheme.outliers.test, alpha: scheme.outliers.alpha, applied: false, removed: [] },
      statistics: null,
      notComputable: notComputable(
        "groupTooSmall",
        `The peer group has ${entries.length} results, fewer than the minimum group size ${context.tooSmall.minSize}; its laboratories are evaluated against all methods.`,
        `该同组仅有 ${entries.length} 个结果，少于最小组规模 ${context.tooSmall.minSize}；其实验室按全部方法组评价。`,
      ),
    };
  }
  const consensus = isConsensus(scheme, context.reticulocyte);
  const { kept, screening } = screenOutliers(entries, scheme.outliers, consensus);
  const values = kept.map((entry) => entry.value);
  const cell: Cell = { ...base, values, screening, statistics: null, notComputable: null };
  const minimum = context.reticulocyte ? (scheme.minResults ?? MIN_RESULTS_FLOOR) : minResultsOf(scheme);
  if (consensus && values.length < minimum) return { ...cell, notComputable: tooFewResults(values.length, minimum) };
  const outcome = context.reticulocyte ? reticulocyteStatistics(values) : statistics(values, context);
  return "code" in outcome ? { ...cell, notComputable: outcome } : { ...cell, statistics: outcome };
}

function plainOf(values: readonly number[]): CellStatistics["plain"] {
  const centre = mean(values);
  const sd = values.length >= 2 ? standardDeviation(values) : null;
  return { mean: centre, sd, cvPercent: sd === null || centre === 0 ? null : (sd / Math.abs(centre)) * 100 };
}

/**
 * The cell's numbers. A z-type score needs σpt; an allowedRange score needs only the assigned value
 * (its limits are TEa around x_pt), so there σpt is computed when possible, for the report and the CV
 * tables, and its absence (e.g. MADe = 0 when more than half the results are identical, common at 0
 * decimals) never refuses the cell: sigmaPt is then null.
 */
function statistics(values: readonly number[], context: CellContext): CellStatistics | NotComputable {
  const { scheme } = context;
  const sigmaOptional = scheme.score === "allowedRange";
  if (values.length === 0 && scheme.assignedValue !== "reference") return tooFewResults(0, MIN_RESULTS_FLOOR);
  const robust = robustOf(values);
  if (usesAlgorithmA(scheme) && robust === null && !sigmaOptional) return zeroSpread();
  let assigned: number;
  if (scheme.assignedValue === "reference") {
    if (context.reference === null) {
      return notComputable("noReferenceValue", "No reference value is given for this sample.", "该样本未给出参考值。");
    }
    assigned = context.reference.value;
  } else if (scheme.assignedValue === "median" || robust === null) {
    // robust === null here only for allowedRange with MADe = 0: Algorithm A's start is then
    // x* = median, s* = 0, and winsorising at x* ± 1.5 s* maps every value onto x*, so the median is
    // the algorithm's fixed point (ISO 13528:2015 C.3.1 start values); only s* is missing.
    assigned = median(values);
  } else {
    assigned = robust.mean;
  }
  let sigma: number | null;
  switch (scheme.sigma) {
    case "robustS":
      sigma = robust?.sd ?? null;
      break;
    case "made":
      sigma = madE(values);
      break;
    case "niqr":
      sigma = nIQR(values);
      break;
    default: {
      const fitness = fitnessSigma(scheme, assigned);
      if (typeof fitness !== "number" && !sigmaOptional) return fitness;
      sigma = typeof fitness === "number" ? fitness : null;
    }
  }
  if (!(sigma !== null && sigma > 0)) {
    if (!sigmaOptional) return zeroSpread();
    sigma = null;
  }
  // u(x_pt) = 1.25 s*/√p for a consensus value (ISO 13528:2015 7.7.3); s* is the robust scale the
  // scheme uses (MADe or nIQR), else Algorithm A's s*. The 0.3 σpt check needs σpt.
  const checkOf = (u: number) => (sigma === null ? null : copyCheck(checkAssignedValueUncertainty(u, sigma)));
  let uncertainty: CellStatistics["uncertainty"];
  if (scheme.assignedValue === "reference") {
    const u = context.reference?.uncertainty;
    uncertainty = { value: u ?? null, source: "reference", check: u === undefined ? null : checkOf(u) };
  } else {
    const sStar = (scheme.sigma === "made" || scheme.sigma === "niqr") && sigma !== null ? sigma : (robust?.sd ?? madE(values));
    // s* = 0 (no robust scale): u(x_pt) is unknown, not 0.
    const u = sStar > 0 ? uncertaintyOfAssignedValue(sStar, values.length) : null;
    uncertainty = { value: u, source: "consensus", check: u === null ? null : checkOf(u) };
  }
  return {
    n: values.length,
    plain: values.length > 0 ? plainOf(values) : { mean: assigned, sd: null, cvPercent: null },
    robust,
    assignedValue: { value: assigned, method: scheme.assignedValue },
    sigmaPt: sigma === null ? null : { value: sigma, method: scheme.sigma },
    uncertainty,
  };
}

function copyCheck(check: ReturnType<typeof checkAssignedValueUncertainty>): NonNullable<CellStatistics["uncertainty"]["check"]> {
  return check.warning === undefined ? { ok: check.ok, ratio: check.ratio } : { ok: check.ok, ratio: check.ratio, warning: { en: check.warning.en, zh: check.warning.zh } };
}

/**
 * Reticulocyte scheme (Chinese national EQA scheme for reticulocyte counts, as the issue states it):
 * x_pt = t = mean of the laboratories' retic/RBC ratios in % after screening, and the allowed range is
 * x_pt ± √(t × (100 − t) / 1000): the binomial standard deviation, in %, of a count of 1000 red cells.
 */
function reticulocyteStatistics(values: readonly number[]): CellStatistics | NotComputable {
  if (values.length === 0) return tooFewResults(0, MIN_RESULTS_FLOOR);
  const plain = plainOf(values);
  const t = plain.mean;
  if (t < 0 || t > 100) {
    return notComputable("outOfRange", `The mean reticulocyte percentage ${t} is outside 0–100 %.`, `网织红细胞百分比均值 ${t} 超出 0–100%。`);
  }
  return {
    n: values.length,
    plain,
    robust: robustOf(values),
    assignedValue: { value: t, method: "reticulocyteMean" },
    sigmaPt: null,
    uncertainty: { value: null, source: "consensus", check: null },
    allowedHalfWidth: Math.sqrt((t * (100 - t)) / 1000),
  };
}

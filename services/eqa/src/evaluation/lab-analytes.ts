import type { LabAnalyte, LabSlope, RoundLab, Score } from "./types.ts";

/** Fractions are compared with this slack so 4/5 = 0.8 meets a threshold of 0.8 despite rounding. */
const THRESHOLD_TOLERANCE = 1e-12;

/**
 * One lab's standing on one analyte from its score records (all samples of the analyte):
 * - not allowed to test → "notAllowed", neither passed nor failed;
 * - no result at all → "notReported" (listed among missing items, not counted);
 * - a sample the lab did not report → failed: the lab's own omission cannot be excused;
 * - nothing evaluable (e.g. no consensus) → "notEvaluated", not counted;
 * - strict scheme → passed only when every evaluated sample is acceptable;
 * - otherwise fewer than `minimumEvaluated` evaluated samples → "notEvaluated" (one evaluable sample
 *   out of five says nothing of the lab), else passed when acceptable / evaluated ≥ passThreshold;
 * - a trueness slope that is computed and not acceptable fails an analyte its samples would pass.
 */
export function labAnalyteStanding(
  lab: RoundLab,
  analyteCode: string,
  scores: readonly Score[],
  rule: { strict: boolean; passThreshold: number; minimumEvaluated: number; slope?: LabSlope },
): LabAnalyte {
  const { strict, passThreshold, slope } = rule;
  const base = { labCode: lab.code, analyteCode, group: scores.find((s) => s.group !== null)?.group ?? "all" };
  let evaluated = 0;
  let acceptable = 0;
  let missing = 0;
  let reportedAny = false;
  for (const score of scores) {
    if (score.notEvaluated?.code === "notReported") missing++;
    else reportedAny = true;
    if (score.acceptable !== null) {
      evaluated++;
      if (score.acceptable) acceptable++;
    }
  }
  const counts = { evaluated, acceptable, missing, ...(slope === undefined ? {} : { slope }) };
  if (lab.allowedToTest?.[analyteCode] === false) {
    return { ...base, ...counts, status: "notAllowed", passed: false, reason: { en: "Not allowed to test: not evaluated, not failed.", zh: "未获准开展：不评价，不计为不合格。" } };
  }
  if (!reportedAny) {
    return { ...base, ...counts, status: "notReported", passed: false, reason: { en: "No result reported for this analyte.", zh: "该项目未回报结果。" } };
  }
  if (missing > 0) {
    return { ...base, ...counts, status: "failed", passed: false, reason: { en: `${missing} sample(s) not reported by the laboratory.`, zh: `实验室有 ${missing} 个样本未回报。` } };
  }
  if (evaluated === 0) {
    return { ...base, ...counts, status: "notEvaluated", passed: false, reason: { en: "No sample could be evaluated.", zh: "无可评价的样本。" } };
  }
  if (!strict && evaluated < rule.minimumEvaluated) {
    return {
      ...base,
      ...counts,
      status: "notEvaluated",
      passed: false,
      reason: {
        en: `Too few samples could be evaluated: ${evaluated}, at least ${rule.minimumEvaluated} needed.`,
        zh: `可评价的样本过少：${evaluated} 个，至少需要 ${rule.minimumEvaluated} 个。`,
      },
    };
  }
  const samplesPassed = strict ? acceptable === evaluated : acceptable / evaluated >= passThreshold - THRESHOLD_TOLERANCE;
  const slopeFails = slope !== undefined && slope.notComputable === null && !slope.acceptable;
  const passed = samplesPassed && !slopeFails;
  const criterion = strict
    ? { en: "strict scheme: every result must be acceptable", zh: "严格评价：所有结果均须合格" }
    : { en: `at least ${(passThreshold * 100).toFixed(0)}% acceptable`, zh: `合格率不低于 ${(passThreshold * 100).toFixed(0)}%` };
  return {
    ...base,
    ...counts,
    status: passed ? "passed" : "failed",
    passed,
    reason: {
      en: `${acceptable}/${evaluated} acceptable; ${criterion.en}.${slope === undefined ? "" : ` Slope method: ${slope.notComputable === null ? slope.verdict.en : slope.notComputable.message}`}`,
      zh: `${acceptable}/${evaluated} 合格；${criterion.zh}。${slope === undefined ? "" : `斜率法：${slope.notComputable === null ? slope.verdict.zh : slope.notComputable.messageZh}`}`,
    },
  };
}

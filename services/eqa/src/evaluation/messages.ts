// Bilingual texts of outcomes that are not numbers: a cell that cannot be computed, a result that is not
// evaluated, and the judgement labels. One place, so reports and the gateway print the same words.
import type { Bilingual, NotComputable, NotComputableCode, NotEvaluatedCode, Score, ScoreJudgement } from "./types.ts";

export function notComputable(code: NotComputableCode, en: string, zh: string): NotComputable {
  return { code, message: en, messageZh: zh };
}

export function tooFewResults(n: number, minimum: number): NotComputable {
  return notComputable(
    "tooFewResults",
    `Too few results (${n}, at least ${minimum} needed): the statistic cannot be computed.`,
    `结果数过少（${n} 个，至少需要 ${minimum} 个），无法计算该统计量。`,
  );
}

export function zeroSpread(): NotComputable {
  return notComputable(
    "zeroSpread",
    "The results have no spread (the robust standard deviation is 0): σpt cannot be computed.",
    "结果无离散（稳健标准差为 0），无法计算能力评定标准差 σpt。",
  );
}

export const JUDGEMENT_LABELS: Readonly<Record<ScoreJudgement, Bilingual>> = {
  satisfactory: { en: "Satisfactory", zh: "满意" },
  questionable: { en: "Questionable", zh: "有问题" },
  unsatisfactory: { en: "Unsatisfactory", zh: "不满意" },
  pass: { en: "Pass", zh: "合格" },
  fail: { en: "Fail", zh: "不合格" },
  notEvaluated: { en: "Not evaluated", zh: "未评价" },
};

const NOT_EVALUATED: Readonly<Record<NotEvaluatedCode, Bilingual>> = {
  notReported: { en: "The laboratory did not report this result.", zh: "实验室未回报该结果。" },
  notAllowedToTest: { en: "The site is not allowed to test this analyte.", zh: "该单位未获准开展此项目。" },
  noUncertainty: { en: "The score needs the result's uncertainty, which was not reported.", zh: "该评分需要结果的不确定度，但未回报。" },
  noAssignedUncertainty: { en: "The score needs the uncertainty of the assigned value, which is not stated.", zh: "该评分需要指定值的不确定度，但未给出。" },
  nonPositiveForLog: { en: "A value ≤ 0 has no logarithm; it cannot be evaluated on the log10 scale.", zh: "数值 ≤ 0 无法取对数，不能按 log10 评价。" },
  cellNotComputable: { en: "The assigned value or σpt of this group cannot be computed.", zh: "该组的指定值或 σpt 无法计算。" },
  zeroAllowedError: { en: "The allowed total error is 0 (a percentage of an assigned value of 0): no allowed range.", zh: "允许总误差为 0（指定值为 0 时的百分比）：无允许范围。" },
  noConsensus: { en: "No consensus: fewer than 80% of the laboratories agree.", zh: "无共识：一致的实验室不足 80%。" },
  noExpected: { en: "No expected answer is defined for this sample.", zh: "该样本未设定预期结果。" },
  noPair: { en: "The sample has no partner sample to pair with.", zh: "该样本无配对样本。" },
  pairIncomplete: { en: "The partner sample's result is missing or not evaluable.", zh: "配对样本的结果缺失或无法评价。" },
};

/** A score record's fields for a result that is not evaluated, with the reason (and a detail when useful). */
export function notEvaluated(code: NotEvaluatedCode, detail?: Bilingual): Pick<Score, "judgement" | "acceptable" | "label" | "notEvaluated" | "score"> {
  const base = NOT_EVALUATED[code];
  return {
    judgement: "notEvaluated",
    acceptable: null,
    score: null,
    label: JUDGEMENT_LABELS.notEvaluated,
    notEvaluated: detail === undefined ? { code, ...base } : { code, en: `${base.en} ${detail.en}`, zh: `${base.zh}${detail.zh}` },
  };
}

/** A judged outcome: acceptable is satisfactory or pass. */
export function judged(judgement: Exclude<ScoreJudgement, "notEvaluated">): Pick<Score, "judgement" | "acceptable" | "label"> {
  return { judgement, acceptable: judgement === "satisfactory" || judgement === "pass", label: JUDGEMENT_LABELS[judgement] };
}


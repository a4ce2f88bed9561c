// The round's overall conclusion from its analytes' conclusions: acceptable when every check that
// was done passed its 0.3 σpt criterion (ISO 13528:2015 Annex B: s_s ≤ 0.3 σpt for
// homogeneity, |x̄ − ȳ| ≤ 0.3 σpt for stability), naming the analytes that failed and those whose check was not done.
import type { AnalyteStudyEvaluation, StudyEvaluation } from "./types.ts";

const list = (codes: readonly string[]): string => codes.join(", ");
const listZh = (codes: readonly string[]): string => codes.join("、");

export function overallConclusion(analytes: readonly AnalyteStudyEvaluation[]): StudyEvaluation["overall"] {
  const notHomogeneous = analytes.filter((a) => a.homogeneity !== undefined && !a.homogeneity.homogeneous).map((a) => a.code);
  const notStable = analytes.filter((a) => a.stability !== undefined && !a.stability.stable).map((a) => a.code);
  const homogeneityNotStudied = analytes.filter((a) => a.homogeneity === undefined).map((a) => a.code);
  const stabilityNotStudied = analytes.filter((a) => a.stability === undefined).map((a) => a.code);
  const acceptable = notHomogeneous.length === 0 && notStable.length === 0;
  const en: string[] = [];
  const zh: string[] = [];
  const complete = homogeneityNotStudied.length === 0 && stabilityNotStudied.length === 0;
  if (acceptable) {
    en.push(
      complete
        ? `The samples of ${analytes.length === 1 ? "the analyte" : `all ${analytes.length} analytes`} are adequately homogeneous and stable (s_s ≤ 0.3σpt and |x̄ − ȳ| ≤ 0.3σpt); they are fit for the round.`
        : `Every check that was done passed (s_s ≤ 0.3σpt, |x̄ − ȳ| ≤ 0.3σpt) for the ${analytes.length} analyte(s) studied.`,
    );
    zh.push(
      complete
        ? `全部 ${analytes.length} 个项目的样品均匀性和稳定性均符合要求（s_s ≤ 0.3σpt，|x̄ − ȳ| ≤ 0.3σpt），可用于本轮质评。`
        : `所研究的 ${analytes.length} 个项目中，已开展的检验均符合要求（s_s ≤ 0.3σpt，|x̄ − ȳ| ≤ 0.3σpt）。`,
    );
  } else {
    en.push("The samples are not fit for the round for every analyte:");
    zh.push("并非所有项目的样品均符合要求：");
    if (notHomogeneous.length > 0) {
      en.push(`not adequately homogeneous: ${list(notHomogeneous)};`);
      zh.push(`均匀性不符合要求：${listZh(notHomogeneous)}；`);
    }
    if (notStable.length > 0) {
      en.push(`not adequately stable: ${list(notStable)};`);
      zh.push(`稳定性不符合要求：${listZh(notStable)}；`);
    }
    en.push("the results of these analytes should not be evaluated, or only with the inhomogeneity or instability taken into account in σpt or in the uncertainty of the assigned value (ISO 13528:2015 Annex B).");
    zh.push("上述项目的结果不宜评价，或须将不均匀性或不稳定性计入 σpt 或指定值的不确定度后再评价（ISO 13528:2015 附录 B）。");
  }
  if (homogeneityNotStudied.length > 0) {
    en.push(`Homogeneity not studied for: ${list(homogeneityNotStudied)}.`);
    zh.push(`未开展均匀性检验的项目：${listZh(homogeneityNotStudied)}。`);
  }
  if (stabilityNotStudied.length > 0) {
    en.push(`Stability not studied for: ${list(stabilityNotStudied)}.`);
    zh.push(`未开展稳定性检验的项目：${listZh(stabilityNotStudied)}。`);
  }
  return { acceptable, notHomogeneous, notStable, homogeneityNotStudied, stabilityNotStudied, sentences: { en, zh } };
}

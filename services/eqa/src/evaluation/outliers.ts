import { dixonTest, grubbsIterated, grubbsTest } from "../statistics/index.ts";
import type { EvaluationScheme } from "../types.ts";
import type { OutlierScreening, RemovedOutlier } from "./types.ts";

export interface LabValue {
  labCode: string;
  value: number;
}

/** Dixon's r10 table covers 3 ≤ n ≤ 10 (Rorabacher 1991); larger sets wait for r11/r21/r22 in src/statistics. */
const DIXON_MAX_N = 10;

/**
 * Outlier screening before a consensus value (ISO 13528:2015 5.5 allows removing outliers before
 * non-robust statistics; here it also precedes the robust ones because the scheme asks for it).
 * Screening runs only when the cell's statistics come from the results (`consensus`), and reports what
 * was removed with its statistic, critical value and reason. Input and output are in the same order.
 */
export function screenOutliers(
  entries: readonly LabValue[],
  outliers: EvaluationScheme["outliers"],
  consensus: boolean,
): { kept: LabValue[]; screening: OutlierScreening } {
  const screening: OutlierScreening = { test: outliers.test, alpha: outliers.alpha, applied: false, removed: [] };
  if (outliers.test === "none") return { kept: [...entries], screening };
  if (!consensus) {
    screening.note = { en: "Not applied: the assigned value and σpt do not come from the results.", zh: "未进行：指定值和 σpt 不来自参加者结果。" };
    return { kept: [...entries], screening };
  }
  if (entries.length < 3) {
    screening.note = { en: `Not applied: fewer than 3 results (${entries.length}).`, zh: `未进行：结果少于 3 个（${entries.length} 个）。` };
    return { kept: [...entries], screening };
  }
  const values = entries.map((entry) => entry.value);
  const removedIndices = new Set<number>();
  if (outliers.test === "dixon") {
    if (entries.length > DIXON_MAX_N) {
      screening.note = {
        en: `Not applied: Dixon's r10 test is tabulated for 3 to ${DIXON_MAX_N} results (n = ${entries.length}).`,
        zh: `未进行：Dixon r10 检验仅适用于 3 至 ${DIXON_MAX_N} 个结果（n = ${entries.length}）。`,
      };
      return { kept: [...entries], screening };
    }
    if (Math.min(...values) === Math.max(...values)) {
      screening.applied = true;
      screening.note = { en: "All values equal: nothing to remove.", zh: "所有数值相同：无离群值。" };
      return { kept: [...entries], screening };
    }
    const result = dixonTest(values, outliers.alpha);
    screening.applied = true;
    if (result.significant) {
      const index = values.indexOf(result.suspect);
      removedIndices.add(index);
      screening.removed.push(removal(entries[index] as LabValue, "dixon", result.q, result.qCritical, result.reason));
    }
  } else {
    const result = outliers.test === "grubbs" ? grubbsTest(values, outliers.alpha) : grubbsIterated(values, outliers.alpha);
    screening.applied = true;
    for (const step of result.removed) {
      removedIndices.add(step.index);
      screening.removed.push(removal(entries[step.index] as LabValue, outliers.test, step.g, step.gCritical, step.reason));
    }
  }
  return { kept: entries.filter((_, i) => !removedIndices.has(i)), screening };
}

function removal(
  entry: LabValue,
  test: RemovedOutlier["test"],
  statistic: number,
  critical: number,
  reason: { en: string; zh: string },
): RemovedOutlier {
  return { labCode: entry.labCode, value: entry.value, test, statistic, critical, reason: { en: reason.en, zh: reason.zh } };
}

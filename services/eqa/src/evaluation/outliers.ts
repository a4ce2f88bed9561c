import { dixonIterated, grubbsIterated, grubbsTest } from "../statistics/index.ts";
import type { DixonStatistic } from "../statistics/index.ts";
import type { EvaluationScheme } from "../types.ts";
import type { OutlierScreening, RemovedOutlier } from "./types.ts";

export interface LabValue {
  labCode: string;
  value: number;
}

/** Dixon's ratios are tabulated for 3 ≤ n ≤ 30 (Rorabacher 1991, src/statistics/dixon-tables.ts); n < 3 is refused above for every test. */
const DIXON_MIN_N = 3;
const DIXON_MAX_N = 30;

/**
 * Outlier screening before a consensus value (ISO 13528:2015 5.5 allows removing outliers before
 * non-robust statistics; here it also precedes the robust ones because the scheme asks for it).
 * Screening runs only when the cell's statistics come from the results (`consensus`), and reports what
 * was removed with its statistic, critical value and reason. Input and output are in the same order.
 * "dixon" is the iterated test of src/statistics (ratio chosen afresh by n: r10, r11, r21, r22).
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
        en: `Not applied: Dixon's test is tabulated for ${DIXON_MIN_N} to ${DIXON_MAX_N} results (n = ${entries.length}); use Grubbs for larger sets.`,
        zh: `未进行：Dixon 检验仅适用于 ${DIXON_MIN_N} 至 ${DIXON_MAX_N} 个结果（n = ${entries.length}）；数据更多时请使用 Grubbs 检验。`,
      };
      return { kept: [...entries], screening };
    }
    // The library refuses a zero range (nothing to test); that is a result, not an error, here.
    if (Math.min(...values) === Math.max(...values)) {
      screening.applied = true;
      screening.note = { en: "All values equal: nothing to remove.", zh: "所有数值相同：无离群值。" };
      return { kept: [...entries], screening };
    }
    const result = dixonIterated(values, { alpha: outliers.alpha });
    screening.applied = true;
    for (const step of result.removed) {
      removedIndices.add(step.index);
      screening.removed.push(removal(entries[step.index] as LabValue, "dixon", step.q, step.qCritical, step.reason, step.statistic));
    }
    // The stop reason matters only when it was the size, not a non-significant test.
    const last = result.steps[result.steps.length - 1];
    if (last?.significant === true) screening.note = { en: result.stoppedBecause.en, zh: result.stoppedBecause.zh };
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
  ratio?: DixonStatistic,
): RemovedOutlier {
  const removed: RemovedOutlier = { labCode: entry.labCode, value: entry.value, test, statistic, critical, reason: { en: reason.en, zh: reason.zh } };
  if (ratio !== undefined) removed.ratio = ratio;
  return removed;
}

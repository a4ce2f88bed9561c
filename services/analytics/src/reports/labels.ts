// The words of the configurable reports, in Chinese and English: measures, dimensions and the
// GB/T 2261.1 sex codes.
import type { Bilingual } from "../privacy/index.ts";
import type { ReportDimension, ReportMeasure } from "./definition.ts";

export const MEASURE_LABEL: Readonly<Record<ReportMeasure, Bilingual>> = {
  residents: { en: "Residents", zh: "居民数" },
  diagnoses: { en: "Diagnoses", zh: "诊断数" },
  "lab-results": { en: "Lab results", zh: "检验结果数" },
  prescriptions: { en: "Prescriptions", zh: "处方数" },
  encounters: { en: "Encounters", zh: "就诊人次" },
  "residents-with-diagnosis": { en: "Residents with a diagnosis", zh: "有诊断的居民数" },
  "residents-with-lab-result": { en: "Residents with a lab result", zh: "有检验结果的居民数" },
  "residents-with-prescription": { en: "Residents with a prescription", zh: "有处方的居民数" },
  "residents-with-encounter": { en: "Residents with an encounter", zh: "有就诊的居民数" },
};

export function dimensionLabel(dimension: ReportDimension): Bilingual {
  switch (dimension.by) {
    case "time":
      return { month: { en: "month", zh: "月份" }, quarter: { en: "quarter", zh: "季度" }, year: { en: "year", zh: "年份" } }[dimension.grain];
    case "institution":
      return { en: "institution", zh: "机构" };
    case "department":
      return { en: "department", zh: "科室" };
    case "disease":
      return dimension.level === "chapter" ? { en: "ICD-10 chapter", zh: "ICD-10 章" } : { en: "ICD-10 category", zh: "ICD-10 类目" };
    case "sex":
      return { en: "sex", zh: "性别" };
    case "age-band":
      return { en: `age band on ${dimension.at}`, zh: `${dimension.at} 时的年龄段` };
  }
}

/** GB/T 2261.1-2003 人的性别代码. */
export const SEX_LABEL: Readonly<Record<string, Bilingual>> = {
  "0": { en: "unknown", zh: "未知的性别" },
  "1": { en: "male", zh: "男性" },
  "2": { en: "female", zh: "女性" },
  "9": { en: "not stated", zh: "未说明的性别" },
};

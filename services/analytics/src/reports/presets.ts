// Named report definitions the apps offer as they are (and as starting points for their own).
import type { ReportDefinitionInput } from "./definition.ts";

export interface ReportPresetOptions {
  /** Event dates, both ends inclusive. */
  readonly from: string;
  readonly to: string;
  /** Reference date of ages (completed years); default `to`. */
  readonly ageAt?: string;
}

export const REPORT_PRESETS = {
  /** 月度诊断数（按 ICD-10 章） */
  "monthly-diagnoses-by-chapter": (o: ReportPresetOptions): ReportDefinitionInput => ({
    id: "monthly-diagnoses-by-chapter",
    title: { en: "Diagnoses per month by ICD-10 chapter", zh: "每月诊断数（按 ICD-10 章）" },
    measure: "diagnoses",
    dimensions: [{ by: "time", grain: "month" }, { by: "disease", level: "chapter" }],
    filters: { from: o.from, to: o.to },
  }),
  /** 各机构居民数（按性别） */
  "residents-by-institution-and-sex": (): ReportDefinitionInput => ({
    id: "residents-by-institution-and-sex",
    title: { en: "Residents by institution and sex", zh: "各机构居民数（按性别）" },
    measure: "residents",
    dimensions: [{ by: "institution" }, { by: "sex" }],
  }),
  /** 每月检验结果数 */
  "lab-results-by-month": (o: ReportPresetOptions): ReportDefinitionInput => ({
    id: "lab-results-by-month",
    title: { en: "Lab results per month", zh: "每月检验结果数" },
    measure: "lab-results",
    dimensions: [{ by: "time", grain: "month" }],
    filters: { from: o.from, to: o.to },
  }),
  /** 各机构各季度处方数 */
  "prescriptions-by-institution-and-quarter": (o: ReportPresetOptions): ReportDefinitionInput => ({
    id: "prescriptions-by-institution-and-quarter",
    title: { en: "Prescriptions by institution and quarter", zh: "各机构各季度处方数" },
    measure: "prescriptions",
    dimensions: [{ by: "institution" }, { by: "time", grain: "quarter" }],
    filters: { from: o.from, to: o.to },
  }),
  /** 慢病患者数（糖尿病、高血压；按性别、年龄段） */
  "chronic-disease-residents-by-sex-and-age": (o: ReportPresetOptions): ReportDefinitionInput => ({
    id: "chronic-disease-residents-by-sex-and-age",
    title: { en: "Residents with diabetes or hypertension by sex and age band", zh: "糖尿病或高血压患者数（按性别、年龄段）" },
    measure: "residents-with-diagnosis",
    dimensions: [{ by: "sex" }, { by: "age-band", at: o.ageAt ?? o.to, width: 10, top: 90 }],
    filters: { from: o.from, to: o.to, icd10: ["E10", "E11", "I10"] },
  }),
  /** 各科室就诊人次（需要就诊表） */
  "encounters-by-department-and-month": (o: ReportPresetOptions): ReportDefinitionInput => ({
    id: "encounters-by-department-and-month",
    title: { en: "Encounters by department and month", zh: "各科室每月就诊人次" },
    measure: "encounters",
    dimensions: [{ by: "department" }, { by: "time", grain: "month" }],
    filters: { from: o.from, to: o.to },
  }),
} as const satisfies Record<string, (o: ReportPresetOptions) => ReportDefinitionInput>;

export type ReportPresetName = keyof typeof REPORT_PRESETS;

/** The definitions of a district annual report (年度报告) for one calendar year. */
export function annualReportDefinitions(year: number): ReportDefinitionInput[] {
  const o = { from: `${year}-01-01`, to: `${year}-12-31` };
  return [
    REPORT_PRESETS["residents-by-institution-and-sex"](),
    REPORT_PRESETS["monthly-diagnoses-by-chapter"](o),
    REPORT_PRESETS["lab-results-by-month"](o),
    REPORT_PRESETS["prescriptions-by-institution-and-quarter"](o),
    REPORT_PRESETS["chronic-disease-residents-by-sex-and-age"](o),
    { id: "diagnoses-by-institution-and-chapter", measure: "residents-with-diagnosis", dimensions: [{ by: "institution" }, { by: "disease", level: "chapter" }], filters: o },
  ];
}

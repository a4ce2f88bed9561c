// Statistics and reports (定制化报表 / 数据资源报告 / 使用统计): configurable reports run at each
// institution with small cells protected, the data-resource report from services/his's database,
// usage statistics, and their CSV and Excel exports. Every report is one ReportTable shape.
export { type ColumnType, type ReportColumn, type ReportCell, type ReportRow, type ReportTable, columnsFor } from "./table.ts";
export {
  REPORT_MEASURES,
  REPORT_DIMENSIONS,
  ReportDefinitionSchema,
  parseReportDefinition,
  type ReportMeasure,
  type ReportDimensionKind,
  type ReportDefinition,
  type ReportDefinitionInput,
  type ReportDimension,
} from "./definition.ts";
export { compileReport, type CompiledReport } from "./compile.ts";
export { runReport, type ReportInstitution, type RunReportOptions } from "./run.ts";
export { REPORT_PRESETS, annualReportDefinitions, type ReportPresetName, type ReportPresetOptions } from "./presets.ts";
export { ICD10_CHAPTERS, icd10ChapterOf, type Icd10Chapter } from "./icd10.ts";
export { SEX_LABEL, MEASURE_LABEL } from "./labels.ts";
export { FIELD_GROUP_GRADES, GRADE_NAMES, GRADING_SOURCE, gradeOfFieldGroup, type FieldGroupGrade } from "./grading.ts";
export { dataResourceReport, collectionReport, classificationReports, inventoryReport, type ResourceReportOptions } from "./resource.ts";
export { qualityReports } from "./resource-quality.ts";
export { usageReports, USAGE_KINDS, type UsageEvent, type UsageKind, type UsageReportOptions } from "./usage.ts";
export { reportToCsv } from "./csv.ts";
export { reportsToXlsx } from "./xlsx.ts";

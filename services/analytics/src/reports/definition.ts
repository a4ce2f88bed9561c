// A configurable report (定制化报表) as the apps submit it: one measure, up to four dimensions, filters
// and the small-cell policy. Validated with zod for shapes, then for the combinations that make no
// sense (a time axis on residents, who have no date; a disease axis on prescriptions; a department
// outside encounters). Every refusal is INVALID_INPUT with the JSON Pointer of the offending part.
import { z } from "zod";
import { isIsoDate } from "../criteria/schema.ts";
import { toPointer } from "../criteria/refuse.ts";
import { SMALL_CELL_MODES } from "../privacy/index.ts";
import { reportRefusal } from "./invalid.ts";

export const REPORT_MEASURES = [
  "residents",
  "diagnoses",
  "lab-results",
  "prescriptions",
  "encounters",
  "residents-with-diagnosis",
  "residents-with-lab-result",
  "residents-with-prescription",
  "residents-with-encounter",
] as const;
export type ReportMeasure = (typeof REPORT_MEASURES)[number];

export const REPORT_DIMENSIONS = ["time", "institution", "department", "disease", "sex", "age-band"] as const;
export type ReportDimensionKind = (typeof REPORT_DIMENSIONS)[number];

const isoDate = z.string().refine(isIsoDate, { message: "not a real YYYY-MM-DD date" });
const bilingual = z.strictObject({ zh: z.string().min(1).max(200), en: z.string().min(1).max(200) });

const DimensionSchema = z.discriminatedUnion("by", [
  z.strictObject({ by: z.literal("time"), grain: z.enum(["month", "quarter", "year"]) }),
  z.strictObject({ by: z.literal("institution") }),
  z.strictObject({ by: z.literal("department") }),
  z.strictObject({ by: z.literal("disease"), level: z.enum(["chapter", "category"]).default("chapter") }),
  z.strictObject({ by: z.literal("sex") }),
  z.strictObject({
    by: z.literal("age-band"),
    /** Completed years on this date. */
    at: isoDate,
    width: z.int().min(1).max(50).default(10),
    /** Lower bound of the open top band ("90+"). */
    top: z.int().min(1).max(150).default(90),
  }),
]);

const FiltersSchema = z.strictObject({
  /** Event dates, both ends inclusive. */
  from: isoDate.optional(),
  to: isoDate.optional(),
  institutions: z.array(z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/)).min(1).optional(),
  /** ICD-10 prefixes: a letter, then up to two digits, then an optional dotted extension. */
  icd10: z.array(z.string().regex(/^[A-Z](\d(\d(\.[0-9A-Z]{0,4})?)?)?$/)).min(1).max(100).optional(),
  /** GB/T 2261.1 sex codes. */
  sex: z.array(z.enum(["0", "1", "2", "9"])).min(1).optional(),
});

const PolicySchema = z.strictObject({
  threshold: z.int().min(2).max(1000).optional(),
  mode: z.enum(SMALL_CELL_MODES as unknown as ["suppress", "round", "perturb"]).optional(),
  protectZero: z.boolean().optional(),
  roundingBase: z.int().min(2).max(1000).optional(),
  maxNoise: z.int().min(1).max(1000).optional(),
});

export const ReportDefinitionSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/).default("custom"),
  title: bilingual.optional(),
  measure: z.enum(REPORT_MEASURES),
  dimensions: z.array(DimensionSchema).max(4).default([]),
  filters: FiltersSchema.default({}),
  smallCells: PolicySchema.default({}),
});

export type ReportDefinitionInput = z.input<typeof ReportDefinitionSchema>;
export type ReportDefinition = z.output<typeof ReportDefinitionSchema>;
export type ReportDimension = ReportDefinition["dimensions"][number];

/** The event table a measure counts, or null for residents themselves. */
export function eventKindOf(measure: ReportMeasure): "diagnosis" | "lab-result" | "prescription" | "encounter" | null {
  switch (measure) {
    case "residents":
      return null;
    case "diagnoses":
    case "residents-with-diagnosis":
      return "diagnosis";
    case "lab-results":
    case "residents-with-lab-result":
      return "lab-result";
    case "prescriptions":
    case "residents-with-prescription":
      return "prescription";
    case "encounters":
    case "residents-with-encounter":
      return "encounter";
  }
}

const ZH_OF_CODE: Readonly<Record<string, string>> = {
  invalid_type: "类型不正确",
  invalid_value: "取值不在允许范围内",
  invalid_union: "不是已知的维度",
  unrecognized_keys: "包含未知字段",
  too_small: "小于允许的最小值或项数",
  too_big: "大于允许的最大值或项数",
  invalid_format: "格式不正确",
  custom: "不是有效的 YYYY-MM-DD 日期",
};

function refuse(path: readonly (string | number)[], reason: string, en: string, zh: string, extra: Record<string, unknown> = {}) {
  const pointer = toPointer(path);
  return reportRefusal({ path: pointer, reason, ...extra }, `Invalid report definition at ${pointer || "the root"}: ${en}`, `报表定义在 ${pointer || "根节点"} 处无效：${zh}`);
}

/** The combinations of measure, dimensions and filters that cannot be answered, as a refusal. */
function checkCombination(definition: ReportDefinition): Error | null {
  const kind = eventKindOf(definition.measure);
  const seen = new Set<string>();
  for (const [index, dimension] of definition.dimensions.entries()) {
    const at = ["dimensions", index, "by"];
    if (seen.has(dimension.by)) return refuse(at, "duplicate-dimension", `the dimension "${dimension.by}" is given twice.`, `维度“${dimension.by}”重复。`);
    seen.add(dimension.by);
    if (dimension.by === "time" && kind === null) return refuse(at, "time-without-events", "residents have no date: count events or residents with an event to group by time.", "居民没有日期：按时间分组请统计事件或有事件的居民。");
    if (dimension.by === "disease" && kind !== "diagnosis") return refuse(at, "disease-without-diagnoses", "the disease dimension needs a diagnosis measure.", "疾病维度需要诊断类统计指标。");
    if (dimension.by === "department" && kind !== "encounter") return refuse(at, "department-without-encounters", "departments are recorded on encounters only: use an encounter measure.", "科室仅记录在就诊中：请使用就诊类统计指标。");
    if (dimension.by === "age-band" && dimension.top % dimension.width !== 0) return refuse(["dimensions", index, "top"], "top-not-a-band", `the open top band must start at a multiple of the width (${dimension.width}).`, `最高年龄段的起点必须是组距（${dimension.width}）的整数倍。`);
  }
  const { from, to, icd10 } = definition.filters;
  if ((from !== undefined || to !== undefined) && kind === null) return refuse(["filters"], "dates-without-events", "residents have no date: a date range needs an event measure.", "居民没有日期：日期范围需要事件类统计指标。");
  if (from !== undefined && to !== undefined && from > to) return refuse(["filters", "to"], "reversed-range", `the date range ends (${to}) before it starts (${from}).`, `日期范围的结束（${to}）早于开始（${from}）。`);
  if (icd10 !== undefined && kind !== "diagnosis") return refuse(["filters", "icd10"], "icd10-without-diagnoses", "an ICD-10 filter needs a diagnosis measure.", "ICD-10 筛选需要诊断类统计指标。");
  return null;
}

/** Validates a report definition and fills in its defaults; INVALID_INPUT (en/zh, JSON Pointer) otherwise. */
export function parseReportDefinition(input: unknown): ReportDefinition {
  const parsed = ReportDefinitionSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => ({ path: issue.path.filter((p): p is string | number => typeof p !== "symbol"), code: issue.code, message: issue.message }));
    const first = problems[0]!;
    throw refuse(first.path, first.code, first.message, ZH_OF_CODE[first.code] ?? "不符合要求", {
      problems: problems.map((p) => ({ path: toPointer(p.path), code: p.code })),
    });
  }
  const problem = checkCombination(parsed.data);
  if (problem) throw problem;
  return parsed.data;
}

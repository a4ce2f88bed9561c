// Validation of an analyte's definition (AnalyteDefinition of src/types.ts) and of a plan's set of
// analytes: zod for the shape, then the rules that tie fields together (a result type's choices, a
// scheme's parameters, dependencies within the plan without cycles). Every problem is reported at
// once, with its path, in English and Chinese.
import { z } from "zod";
import type { AnalyteDefinition } from "../types.ts";
import { invalidInput, type InputIssue } from "./errors.ts";
import { isValidLoinc, LOINC_PATTERN } from "@health-chain/sdk";
import { zodIssues } from "./zod-issues.ts";

/** Codes of analytes, samples, labs, plans, rounds, choices: what appears in files and URLs. */
export const CODE = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, "Use 1–64 letters, digits, _ . - (starting with a letter or digit).");

const text = (max: number) => z.string().trim().min(1).max(max);

const choiceSchema = z.strictObject({ code: CODE, label: text(200), labelEn: text(200) });

const schemeSchema = z.strictObject({
  assignedValue: z.enum(["algorithmA", "median", "reference", "peerConsensus"]),
  sigma: z.enum(["robustS", "made", "niqr", "fitnessPercent", "fitnessAbsolute"]),
  sigmaValue: z.number().positive().finite().optional(),
  outliers: z.strictObject({
    test: z.enum(["none", "grubbs", "grubbsIterated", "dixon"]),
    alpha: z.union([z.literal(0.1), z.literal(0.05), z.literal(0.01)]),
  }),
  score: z.enum(["z", "zPrime", "zeta", "En", "allowedRange", "pairedDifference"]),
  allowed: z
    .strictObject({ percent: z.number().positive().max(100).optional(), absolute: z.number().positive().finite().optional() })
    .optional(),
  peerGroups: z
    .strictObject({ by: z.array(z.enum(["instrument", "reagent", "method"])).min(1).max(3), minSize: z.number().int().min(2).max(1000) })
    .optional(),
  minResults: z.number().int().min(3).max(100000).optional(),
  log10: z.boolean().optional(),
});

export const analyteDefinitionSchema = z.strictObject({
  code: CODE,
  name: text(200),
  nameEn: text(200),
  // The shape here; the check digit in consistencyIssues, where it gets a bilingual message.
  loinc: z.string().regex(LOINC_PATTERN, "A LOINC code is digits, a hyphen and a check digit (e.g. 2345-7).").optional(),
  unit: z.string().trim().max(50),
  decimals: z.number().int().min(0).max(6),
  resultType: z.enum(["quantitative", "qualitative", "microbiology", "trueness", "morphology"]),
  min: z.number().finite().optional(),
  max: z.number().finite().optional(),
  choices: z.array(choiceSchema).min(1).max(500).optional(),
  susceptibilityRequired: z.boolean().optional(),
  antibiotics: z.array(choiceSchema).min(1).max(200).optional(),
  trueness: z.strictObject({ days: z.number().int().min(1).max(31), replicates: z.number().int().min(1).max(10) }).optional(),
  images: z.array(CODE).min(1).max(100).optional(),
  requires: z.array(CODE).max(50).optional(),
  required: z.boolean().optional(),
  scheme: schemeSchema,
  special: z.enum(["reticulocyte", "hpv", "strict"]).optional(),
});

function duplicates(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const v of values) (seen.has(v) ? twice : seen).add(v);
  return [...twice];
}

/** The rules between fields of one analyte (its shape already valid). */
function consistencyIssues(a: AnalyteDefinition, at: string): InputIssue[] {
  const issues: InputIssue[] = [];
  const add = (path: string, message: string, messageZh: string) => issues.push({ path: `${at}.${path}`, message, messageZh });
  const numeric = a.resultType === "quantitative" || a.resultType === "trueness";
  const s = a.scheme;

  if (a.loinc !== undefined && !isValidLoinc(a.loinc)) {
    add("loinc", `${a.loinc} is not a LOINC code: its check digit (mod 10, LOINC Users' Guide) is wrong.`, `${a.loinc} 不是有效的 LOINC 代码：校验位（LOINC 用户指南 mod 10 算法）不符。`);
  }
  if (a.min !== undefined && a.max !== undefined && !(a.min < a.max)) add("min", `min (${a.min}) must be below max (${a.max}).`, `下限（${a.min}）必须小于上限（${a.max}）。`);
  if (!numeric && (a.min !== undefined || a.max !== undefined)) add("min", "A range applies to quantitative and trueness analytes only.", "范围仅适用于定量和正确度项目。");
  if (numeric && a.unit === "") add("unit", "A quantitative analyte needs a unit.", "定量项目必须有单位。");

  const needsChoices = a.resultType === "qualitative" || a.resultType === "microbiology" || a.resultType === "morphology";
  if (needsChoices && !a.choices) add("choices", `A ${a.resultType} analyte needs its choices.`, `${a.resultType} 类项目必须给出选项。`);
  if (!needsChoices && a.choices) add("choices", "Choices apply to qualitative, microbiology and morphology analytes only.", "选项仅适用于定性、微生物和形态学项目。");
  if (a.choices) for (const d of duplicates(a.choices.map((c) => c.code))) add("choices", `Choice code "${d}" appears twice.`, `选项代码“${d}”重复。`);

  if (a.resultType !== "microbiology" && (a.antibiotics || a.susceptibilityRequired !== undefined)) {
    add("antibiotics", "Antibiotics and susceptibility apply to microbiology analytes only.", "抗菌药物和药敏仅适用于微生物项目。");
  }
  if (a.susceptibilityRequired === true && !a.antibiotics) add("antibiotics", "Susceptibility is required: list the antibiotics.", "要求药敏试验：请列出抗菌药物。");
  if (a.antibiotics) for (const d of duplicates(a.antibiotics.map((c) => c.code))) add("antibiotics", `Antibiotic code "${d}" appears twice.`, `抗菌药物代码“${d}”重复。`);

  if (a.resultType === "trueness" && !a.trueness) add("trueness", "A trueness analyte needs days × replicates.", "正确度项目必须给出天数 × 重复次数。");
  if (a.resultType !== "trueness" && a.trueness) add("trueness", "days × replicates apply to trueness analytes only.", "天数 × 重复次数仅适用于正确度项目。");
  if (a.resultType === "morphology" && !a.images) add("images", "A morphology analyte needs its images.", "形态学项目必须给出图像。");
  if (a.resultType !== "morphology" && a.images) add("images", "Images apply to morphology analytes only.", "图像仅适用于形态学项目。");
  if (a.images) for (const d of duplicates(a.images)) add("images", `Image "${d}" appears twice.`, `图像“${d}”重复。`);

  if (a.requires?.includes(a.code)) add("requires", "An analyte cannot require itself.", "项目不能依赖自身。");
  if (a.requires) for (const d of duplicates(a.requires)) add("requires", `"${d}" is listed twice.`, `“${d}”重复列出。`);

  // The scheme's parameters, by method.
  const fitness = s.sigma === "fitnessPercent" || s.sigma === "fitnessAbsolute";
  if (numeric && fitness && s.sigmaValue === undefined) add("scheme.sigmaValue", `σpt by ${s.sigma} needs sigmaValue.`, `σpt 采用 ${s.sigma} 时必须给出 sigmaValue。`);
  if (!fitness && s.sigmaValue !== undefined) add("scheme.sigmaValue", "sigmaValue applies to fitnessPercent and fitnessAbsolute only.", "sigmaValue 仅适用于 fitnessPercent 和 fitnessAbsolute。");
  // Qualitative, identification and morphology answers are judged against the expected answer or
  // the consensus; the numeric parameters below concern numeric results only.
  if (numeric && a.special !== "reticulocyte" && s.score === "allowedRange" && s.allowed?.percent === undefined && s.allowed?.absolute === undefined) {
    add("scheme.allowed", "Scoring by allowed range needs allowed.percent and/or allowed.absolute.", "按允许范围评价时必须给出 allowed.percent 和/或 allowed.absolute。");
  }
  if (s.score !== "allowedRange" && s.allowed !== undefined) add("scheme.allowed", "allowed applies to the allowedRange score only.", "allowed 仅适用于 allowedRange 评价。");
  // A trueness verification is judged by the lab's mean against the reference value within the allowed bias.
  if (a.resultType === "trueness" && s.score !== "allowedRange") add("scheme.score", "A trueness analyte is scored by allowedRange (the allowed bias).", "正确度验证项目须按 allowedRange（允许偏倚）评价。");
  if (s.assignedValue === "peerConsensus" && s.peerGroups === undefined) add("scheme.peerGroups", "The peer-consensus assigned value needs peerGroups.", "同组公议值必须给出 peerGroups。");
  if (s.peerGroups) for (const d of duplicates(s.peerGroups.by)) add("scheme.peerGroups.by", `"${d}" is listed twice.`, `“${d}”重复列出。`);
  if (s.log10 === true && !numeric) add("scheme.log10", "log10 evaluation applies to quantitative and trueness analytes only.", "log10 评价仅适用于定量和正确度项目。");
  // On the log10 scale limits are absolute in log10 units (e.g. ± 0.5 log IU/mL): a percentage of a
  // logarithm changes with the unit the value is expressed in and means nothing.
  if (s.log10 === true && s.allowed?.percent !== undefined) {
    add("scheme.allowed.percent", "A log10 scheme's allowed limit is absolute in log10 units (allowed.absolute); allowed.percent does not apply.", "log10 评价的允许限为 log10 单位的绝对值（allowed.absolute），不适用 allowed.percent。");
  }
  if (s.log10 === true && s.sigma === "fitnessPercent") {
    add("scheme.sigma", "A log10 scheme's σpt is absolute in log10 units: use fitnessAbsolute, not fitnessPercent.", "log10 评价的 σpt 为 log10 单位的绝对值：应使用 fitnessAbsolute 而非 fitnessPercent。");
  }
  if (s.log10 === true && a.min !== undefined && a.min <= 0) add("min", "A log10 analyte's values must be positive: min must be > 0.", "log10 项目的结果必须为正：下限必须大于 0。");
  if (s.score === "pairedDifference" && !numeric) add("scheme.score", "The paired-difference score needs numeric results.", "成对差值评价需要数值结果。");
  if (a.special === "reticulocyte" && a.resultType !== "quantitative") add("special", "The reticulocyte scheme needs a quantitative analyte.", "网织红细胞方案需要定量项目。");
  // HPV genotyping is entered as one positive/negative call per genotype, the genotypes being the
  // analyte's choices: a qualitative analyte (the intake and the evaluation read no other kind).
  if (a.special === "hpv" && a.resultType !== "qualitative") {
    add("special", "The HPV genotyping scheme needs a qualitative analyte whose choices are the genotypes.", "HPV 分型方案需要定性项目，其选项即各基因型。");
  }
  return issues;
}

/** Dependency cycles among `requires` (A requires B requires A), each reported once. */
function cycleIssues(analytes: readonly AnalyteDefinition[]): InputIssue[] {
  const byCode = new Map(analytes.map((a) => [a.code, a]));
  const state = new Map<string, "visiting" | "done">();
  const issues: InputIssue[] = [];
  const visit = (code: string, trail: string[]): void => {
    if (state.get(code) === "done") return;
    if (state.get(code) === "visiting") {
      const cycle = [...trail.slice(trail.indexOf(code)), code].join(" → ");
      issues.push({ path: `analytes.${code}.requires`, message: `Dependency cycle: ${cycle}.`, messageZh: `依赖关系形成循环：${cycle}。` });
      return;
    }
    state.set(code, "visiting");
    for (const next of byCode.get(code)?.requires ?? []) if (byCode.has(next)) visit(next, [...trail, code]);
    state.set(code, "done");
  };
  for (const a of analytes) visit(a.code, []);
  return issues;
}

/** Validates a plan's analytes; throws INVALID_INPUT listing every problem. */
export function validateAnalyteDefinitions(input: unknown): AnalyteDefinition[] {
  const parsed = z.array(analyteDefinitionSchema).min(1).max(500).safeParse(input);
  if (!parsed.success) throw invalidInput("plan's analytes", "质评计划的项目", zodIssues(parsed.error, "analytes"));
  const analytes = parsed.data as AnalyteDefinition[];
  const issues: InputIssue[] = [];
  for (const d of duplicates(analytes.map((a) => a.code))) {
    issues.push({ path: "analytes", message: `Analyte code "${d}" appears twice.`, messageZh: `项目代码“${d}”重复。` });
  }
  const codes = new Set(analytes.map((a) => a.code));
  analytes.forEach((a, i) => {
    issues.push(...consistencyIssues(a, `analytes[${i}]`));
    for (const r of a.requires ?? []) {
      if (!codes.has(r)) issues.push({ path: `analytes[${i}].requires`, message: `"${r}" is not an analyte of this plan.`, messageZh: `“${r}”不是本计划的项目。` });
    }
  });
  issues.push(...cycleIssues(analytes));
  if (issues.length > 0) throw invalidInput("plan's analytes", "质评计划的项目", issues);
  return analytes;
}

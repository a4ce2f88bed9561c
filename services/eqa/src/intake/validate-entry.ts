// Validation of one entry against its analyte's definition (pure): numbers parsed exactly and
// rounded by GB/T 8170, ranges, choices, organisms and susceptibility, trueness replicates, image
// answers, HPV genotype calls, method information. Either the accepted ResultValue or every refused field.
import type { AnalyteDefinition, GenotypeCall, MethodInfo, ResultValue, Susceptibility } from "../types.ts";
import { parseDecimal, roundDecimal, toNumber } from "./decimal.ts";
import { collector, parseFailureText, type FieldErrorSink } from "./field-errors.ts";
import type { FieldError, ResultEntry } from "./types.ts";

export type EntryValidation = { ok: true; value: ResultValue; method: MethodInfo } | { ok: false; errors: FieldError[] };

/** Inhibition-zone diameters (Kirby–Bauer disc diffusion, CLSI M02): the disc itself is 6 mm, so a
 * zone is at least 6 mm (no inhibition); above 50 mm no CLSI/EUCAST breakpoint applies and a value
 * is a typing error. */
export const ZONE_MM = { min: 6, max: 50 } as const;
const TEXT_MAX = 200;

/** How an entry is read: by result type, except HPV genotyping (a qualitative analyte whose choices
 * are genotypes), which takes one call per genotype instead of a single choice. */
type EntryKind = AnalyteDefinition["resultType"] | "genotyping";

function entryKind(a: AnalyteDefinition): EntryKind {
  return a.special === "hpv" ? "genotyping" : a.resultType;
}

/** The entry fields each kind uses; anything else is refused so that a mapping mistake
 * (a qualitative answer sent for a quantitative analyte) is not silently dropped. */
const FIELDS: Readonly<Record<EntryKind, readonly (keyof ResultEntry)[]>> = {
  quantitative: ["value", "uncertainty"],
  qualitative: ["choice"],
  microbiology: ["organisms"],
  trueness: ["replicates"],
  morphology: ["answers"],
  genotyping: ["calls"],
};
const VALUE_FIELDS: readonly (keyof ResultEntry)[] = ["value", "uncertainty", "choice", "organisms", "replicates", "answers", "calls"];

interface NumberRule {
  min?: number;
  max?: number;
  positive?: boolean;
  unit: string;
}

/** A typed number checked against `rule`; undefined (with an error) when refused. */
function number(typed: unknown, field: string, rule: NumberRule, error: FieldErrorSink): { value: number; text: string; parsed: ReturnType<typeof parseDecimal> } | undefined {
  if (typeof typed !== "string") {
    error(field, typed === undefined ? "required" : "wrongShape", "Enter a number (as text, as typed).", "请输入数值（按录入的文本）。");
    return undefined;
  }
  const parsed = parseDecimal(typed);
  if (!parsed.ok) {
    const { message, messageZh } = parseFailureText(typed.trim(), parsed.reason);
    error(field, parsed.reason, message, messageZh);
    return undefined;
  }
  const value = toNumber(parsed.value);
  const unit = rule.unit === "" ? "" : ` ${rule.unit}`;
  if (rule.positive === true && !(value > 0)) {
    error(field, "notPositive", `${typed.trim()} must be greater than 0.`, `${typed.trim()} 必须大于 0。`);
    return undefined;
  }
  if (rule.min !== undefined && value < rule.min) {
    error(field, "belowMin", `${typed.trim()} is below the plausible range (≥ ${rule.min}${unit}).`, `${typed.trim()} 低于合理范围（≥ ${rule.min}${unit}）。`);
    return undefined;
  }
  if (rule.max !== undefined && value > rule.max) {
    error(field, "aboveMax", `${typed.trim()} is above the plausible range (≤ ${rule.max}${unit}).`, `${typed.trim()} 高于合理范围（≤ ${rule.max}${unit}）。`);
    return undefined;
  }
  return { value, text: typed.trim(), parsed };
}

function code(typed: unknown, field: string, allowed: Map<string, unknown>, what: { en: string; zh: string }, analyte: string, error: FieldErrorSink): string | undefined {
  if (typeof typed !== "string" || typed.trim() === "") {
    error(field, "required", `Choose ${what.en}.`, `请选择${what.zh}。`);
    return undefined;
  }
  const c = typed.trim();
  if (!allowed.has(c)) {
    error(field, "unknownChoice", `"${c}" is not ${what.en} of ${analyte}.`, `“${c}”不是项目 ${analyte} 的${what.zh}。`);
    return undefined;
  }
  return c;
}

function methodInfo(entry: ResultEntry, error: FieldErrorSink): MethodInfo {
  const info: MethodInfo = {};
  for (const key of ["instrument", "reagent", "method"] as const) {
    const v = entry[key];
    if (v === undefined) continue;
    if (typeof v !== "string") error(key, "wrongShape", `${key} must be text.`, `${key} 必须为文本。`);
    else if (v.trim().length > TEXT_MAX) error(key, "tooLong", `${key} is longer than ${TEXT_MAX} characters.`, `${key} 超过 ${TEXT_MAX} 个字符。`);
    else if (v.trim() !== "") info[key] = v.trim();
  }
  return info;
}

const INTERPRETATIONS = new Set(["S", "I", "R", "SDD"]);
const PHENOTYPE_RESULTS: Readonly<Record<string, "positive" | "negative">> = {
  positive: "positive",
  pos: "positive",
  "+": "positive",
  阳性: "positive",
  negative: "negative",
  neg: "negative",
  "-": "negative",
  阴性: "negative",
};

function microbiology(a: AnalyteDefinition, entry: ResultEntry, error: FieldErrorSink): ResultValue | undefined {
  const organisms = entry.organisms;
  if (!Array.isArray(organisms) || organisms.length === 0) {
    error("organisms", "required", "Report at least one organism.", "请至少报告一种微生物。");
    return undefined;
  }
  const choices = new Map((a.choices ?? []).map((c) => [c.code, c]));
  const antibiotics = new Map((a.antibiotics ?? []).map((c) => [c.code, c]));
  const seen = new Set<string>();
  const out: Extract<ResultValue, { type: "microbiology" }>["organisms"] = [];
  organisms.forEach((o, i) => {
    const at = `organisms[${i}]`;
    const organism = code(o.code, `${at}.code`, choices, { en: "an organism", zh: "菌种" }, a.code, error);
    if (organism !== undefined && seen.has(organism)) error(`${at}.code`, "duplicate", `Organism "${organism}" is reported twice.`, `菌种“${organism}”重复报告。`);
    if (organism !== undefined) seen.add(organism);
    const susceptibility: Susceptibility[] = [];
    const tested = new Set<string>();
    const list = o.susceptibility ?? [];
    if (a.susceptibilityRequired === true && list.length === 0) {
      error(`${at}.susceptibility`, "required", "Susceptibility testing is required for each organism identified.", "每种鉴定出的菌种都要求药敏试验结果。");
    }
    if (a.susceptibilityRequired !== true && list.length > 0 && antibiotics.size === 0) {
      error(`${at}.susceptibility`, "unexpectedField", `${a.code} has no susceptibility testing.`, `项目 ${a.code} 不含药敏试验。`);
    }
    list.forEach((s, j) => {
      const sat = `${at}.susceptibility[${j}]`;
      const antibiotic = code(s.antibiotic, `${sat}.antibiotic`, antibiotics, { en: "an antibiotic", zh: "抗菌药物" }, a.code, error);
      if (antibiotic !== undefined && tested.has(antibiotic)) error(`${sat}.antibiotic`, "duplicate", `Antibiotic "${antibiotic}" is reported twice for this organism.`, `该菌种的抗菌药物“${antibiotic}”重复报告。`);
      if (antibiotic !== undefined) tested.add(antibiotic);
      const interpretation = typeof s.interpretation === "string" ? s.interpretation.trim().toUpperCase() : "";
      if (!INTERPRETATIONS.has(interpretation)) {
        error(`${sat}.interpretation`, interpretation === "" ? "required" : "unknownChoice", "Interpret as S, I, R or SDD.", "药敏结果解释须为 S、I、R 或 SDD。");
      }
      if (s.mic === undefined && s.zone === undefined) {
        error(`${sat}.mic`, "required", "Give the MIC (mg/L) or the zone diameter (mm).", "请给出 MIC（mg/L）或抑菌圈直径（mm）。");
      }
      const mic = s.mic === undefined ? undefined : number(s.mic, `${sat}.mic`, { positive: true, unit: "mg/L" }, error);
      const zone = s.zone === undefined ? undefined : number(s.zone, `${sat}.zone`, { min: ZONE_MM.min, max: ZONE_MM.max, unit: "mm" }, error);
      if (antibiotic !== undefined && INTERPRETATIONS.has(interpretation)) {
        susceptibility.push({
          antibiotic,
          interpretation: interpretation as Susceptibility["interpretation"],
          ...(mic ? { mic: mic.value } : {}),
          ...(zone ? { zone: zone.value } : {}),
        });
      }
    });
    const phenotypes: { test: string; result: "positive" | "negative" }[] = [];
    (o.phenotypes ?? []).forEach((p, j) => {
      const pat = `${at}.phenotypes[${j}]`;
      const test = typeof p.test === "string" ? p.test.trim() : "";
      if (test === "" || test.length > TEXT_MAX) error(`${pat}.test`, "required", "Name the phenotype test (e.g. ESBL, mCIM).", "请填写表型试验名称（如 ESBL、mCIM）。");
      const result = typeof p.result === "string" ? PHENOTYPE_RESULTS[p.result.trim().toLowerCase()] : undefined;
      if (result === undefined) error(`${pat}.result`, "unknownChoice", "A phenotype test is positive or negative.", "表型试验结果须为阳性或阴性。");
      if (test !== "" && result !== undefined) phenotypes.push({ test, result });
    });
    if (organism !== undefined) {
      out.push({ code: organism, ...(list.length > 0 ? { susceptibility } : {}), ...(phenotypes.length > 0 ? { phenotypes } : {}) });
    }
  });
  return { type: "microbiology", organisms: out };
}

function trueness(a: AnalyteDefinition, entry: ResultEntry, error: FieldErrorSink): ResultValue | undefined {
  const { days, replicates } = a.trueness ?? { days: 0, replicates: 0 };
  const rows = entry.replicates;
  if (!Array.isArray(rows) || rows.length !== days || rows.some((r) => !Array.isArray(r) || r.length !== replicates)) {
    error("replicates", rows === undefined ? "required" : "wrongShape", `Give ${days} days × ${replicates} replicates.`, `请给出 ${days} 天 × 每天 ${replicates} 次重复的结果。`);
    return undefined;
  }
  const rule = { ...(a.min === undefined ? {} : { min: a.min }), ...(a.max === undefined ? {} : { max: a.max }), unit: a.unit };
  const values = rows.map((row, d) => row.map((typed, r) => number(typed, `replicates[${d}][${r}]`, rule, error)?.value));
  if (values.some((row) => row.some((v) => v === undefined))) return undefined;
  const raw = values as number[][];
  // The mean of all days × replicates, kept at full precision beside the raw values (the
  // evaluation compares it with the reference value; the report formats it).
  const flat = raw.flat();
  const mean = flat.reduce((s, v) => s + v, 0) / flat.length;
  return { type: "trueness", replicates: raw, mean };
}

function morphology(a: AnalyteDefinition, entry: ResultEntry, error: FieldErrorSink): ResultValue | undefined {
  const images = a.images ?? [];
  const choices = new Map((a.choices ?? []).map((c) => [c.code, c]));
  const answers = entry.answers;
  if (!Array.isArray(answers)) {
    error("answers", "required", `Answer each of the ${images.length} images.`, `请回答全部 ${images.length} 张图像。`);
    return undefined;
  }
  const byImage = new Map<string, string>();
  answers.forEach((x, i) => {
    const image = typeof x.image === "string" ? x.image.trim() : "";
    if (!images.includes(image)) {
      error(`answers[${i}].image`, "unknownChoice", `"${image}" is not an image of ${a.code}.`, `“${image}”不是项目 ${a.code} 的图像。`);
      return;
    }
    if (byImage.has(image)) {
      error(`answers[${i}].image`, "duplicate", `Image "${image}" is answered twice.`, `图像“${image}”重复作答。`);
      return;
    }
    const answer = code(x.answer, `answers[${i}].answer`, choices, { en: "an answer", zh: "答案" }, a.code, error);
    if (answer !== undefined) byImage.set(image, answer);
  });
  for (const image of images) {
    if (!answers.some((x) => typeof x.image === "string" && x.image.trim() === image)) {
      error(`answers.${image}`, "required", `Answer image "${image}".`, `请回答图像“${image}”。`);
    }
  }
  if (byImage.size !== images.length) return undefined;
  return { type: "morphology", answers: images.map((image) => ({ image, answer: byImage.get(image) ?? "" })) };
}

const GENOTYPE_CALLS: ReadonlySet<string> = new Set<GenotypeCall>(["positive", "negative"]);

/** HPV genotyping: every genotype (choice) of the analyte called exactly once, positive or negative.
 * A missing genotype is refused rather than read as negative: "not detected" must be stated, since
 * the evaluation counts an uncalled genotype as wrong. */
function genotyping(a: AnalyteDefinition, entry: ResultEntry, error: FieldErrorSink): ResultValue | undefined {
  const genotypes = new Map((a.choices ?? []).map((c) => [c.code, c]));
  const calls = entry.calls;
  if (!Array.isArray(calls)) {
    error("calls", calls === undefined ? "required" : "wrongShape", `Call each of the ${genotypes.size} genotypes positive or negative.`, `请对全部 ${genotypes.size} 个基因型给出阳性或阴性结果。`);
    return undefined;
  }
  const byGenotype = new Map<string, GenotypeCall>();
  const named = new Set<string>();
  calls.forEach((c, i) => {
    const at = `calls[${i}]`;
    const x = (typeof c === "object" && c !== null ? c : {}) as { genotype?: unknown; call?: unknown };
    const genotype = code(x.genotype, `${at}.genotype`, genotypes, { en: "a genotype", zh: "基因型" }, a.code, error);
    if (genotype === undefined) return;
    if (named.has(genotype)) {
      error(`${at}.genotype`, "duplicate", `Genotype "${genotype}" is called twice.`, `基因型“${genotype}”重复报告。`);
      return;
    }
    named.add(genotype);
    const call = typeof x.call === "string" ? x.call.trim() : "";
    if (!GENOTYPE_CALLS.has(call)) {
      error(`${at}.call`, call === "" ? "required" : "unknownChoice", `Call genotype ${genotype} "positive" or "negative".`, `基因型 ${genotype} 的结果须为“positive”（阳性）或“negative”（阴性）。`);
      return;
    }
    byGenotype.set(genotype, call as GenotypeCall);
  });
  for (const genotype of genotypes.keys()) {
    if (!named.has(genotype)) error(`calls.${genotype}`, "required", `Call genotype ${genotype} positive or negative.`, `请给出基因型 ${genotype} 的结果（阳性或阴性）。`);
  }
  if (byGenotype.size !== genotypes.size) return undefined;
  // Sorted by genotype code so that the stored value does not depend on the order typed.
  const sorted = [...byGenotype].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  return { type: "genotyping", calls: sorted.map(([genotype, call]) => ({ genotype, call })) };
}

/** Validates `entry` for `analyte`: the accepted value and method, or every refused field. */
export function validateEntry(analyte: AnalyteDefinition, entry: ResultEntry): EntryValidation {
  const errors: FieldError[] = [];
  const error = collector(String(entry.analyte), String(entry.sample), errors);
  const kind = entryKind(analyte);
  for (const field of VALUE_FIELDS) {
    if (entry[field] !== undefined && !FIELDS[kind].includes(field)) {
      error(field, "unexpectedField", `${field} does not apply to ${kind} analyte ${analyte.code}.`, `${field} 不适用于 ${kind} 类项目 ${analyte.code}。`);
    }
  }
  const method = methodInfo(entry, error);
  let value: ResultValue | undefined;
  switch (kind) {
    case "quantitative": {
      const rule = { ...(analyte.min === undefined ? {} : { min: analyte.min }), ...(analyte.max === undefined ? {} : { max: analyte.max }), unit: analyte.unit };
      // A log10 analyte's values are logged by the evaluation: they must be positive.
      const x = number(entry.value, "value", analyte.scheme.log10 === true ? { ...rule, positive: true } : rule, error);
      const u = entry.uncertainty === undefined ? undefined : number(entry.uncertainty, "uncertainty", { positive: true, unit: analyte.unit }, error);
      if (x && x.parsed.ok) {
        const rounded = Number(roundDecimal(x.parsed.value, analyte.decimals));
        value = { type: "quantitative", value: rounded, text: x.text, ...(u ? { uncertainty: u.value } : {}) };
      }
      break;
    }
    case "qualitative": {
      const choice = code(entry.choice, "choice", new Map((analyte.choices ?? []).map((c) => [c.code, c])), { en: "an answer", zh: "结果" }, analyte.code, error);
      if (choice !== undefined) value = { type: "qualitative", choice };
      break;
    }
    case "microbiology":
      value = microbiology(analyte, entry, error);
      break;
    case "trueness":
      value = trueness(analyte, entry, error);
      break;
    case "morphology":
      value = morphology(analyte, entry, error);
      break;
    case "genotyping":
      value = genotyping(analyte, entry, error);
      break;
  }
  if (errors.length > 0 || value === undefined) return { ok: false, errors };
  return { ok: true, value, method };
}

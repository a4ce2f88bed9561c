// What the centre states as a sample's right answer for an analyte (ExpectedValue of src/types.ts),
// checked against the analyte it is for: same result type, known choices, organisms, antibiotics
// and images; an HPV genotyping analyte's expected calls name every genotype.
import { z } from "zod";
import type { AnalyteDefinition, ExpectedValue } from "../types.ts";
import type { InputIssue } from "./errors.ts";
import { zodIssues } from "./zod-issues.ts";

const interpretation = z.enum(["S", "I", "R", "SDD"]);
const expectedSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("quantitative"), value: z.number().finite(), uncertainty: z.number().positive().finite().optional() }),
  z.strictObject({ type: z.literal("qualitative"), choice: z.string(), acceptable: z.array(z.string()).optional() }),
  z.strictObject({
    type: z.literal("microbiology"),
    organisms: z.array(z.string()).min(1),
    susceptibility: z.record(z.string(), z.record(z.string(), interpretation)).optional(),
  }),
  z.strictObject({ type: z.literal("trueness"), value: z.number().finite(), uncertainty: z.number().positive().finite().optional() }),
  z.strictObject({ type: z.literal("morphology"), answers: z.record(z.string(), z.string()) }),
  z.strictObject({ type: z.literal("genotyping"), calls: z.record(z.string(), z.enum(["positive", "negative"])) }),
]);

/** The expected-value variant of an analyte: HPV genotyping replaces the qualitative single answer. */
function expectedType(analyte: AnalyteDefinition): ExpectedValue["type"] {
  return analyte.special === "hpv" ? "genotyping" : analyte.resultType;
}

/** Problems of the expected value `input` for `analyte` (empty when valid). */
export function expectedValueIssues(analyte: AnalyteDefinition, input: unknown, at: string): { value?: ExpectedValue; issues: InputIssue[] } {
  const parsed = expectedSchema.safeParse(input);
  if (!parsed.success) return { issues: zodIssues(parsed.error, at) };
  const e = parsed.data as ExpectedValue;
  const issues: InputIssue[] = [];
  const add = (path: string, message: string, messageZh: string) => issues.push({ path: path === "" ? at : `${at}.${path}`, message, messageZh });
  const type = expectedType(analyte);
  if (e.type !== type) {
    add("type", `Analyte ${analyte.code} is ${type}, the expected value is ${e.type}.`, `项目 ${analyte.code} 为 ${type} 类，预期值却为 ${e.type} 类。`);
    return { issues };
  }
  const choices = new Set((analyte.choices ?? []).map((c) => c.code));
  const unknownChoice = (path: string, code: string) => add(path, `"${code}" is not a choice of ${analyte.code}.`, `“${code}”不是项目 ${analyte.code} 的选项。`);
  if (e.type === "qualitative") {
    for (const c of [e.choice, ...(e.acceptable ?? [])]) if (!choices.has(c)) unknownChoice("choice", c);
  } else if (e.type === "microbiology") {
    for (const o of e.organisms) if (!choices.has(o)) unknownChoice("organisms", o);
    const antibiotics = new Set((analyte.antibiotics ?? []).map((c) => c.code));
    for (const [organism, byAntibiotic] of Object.entries(e.susceptibility ?? {})) {
      if (!e.organisms.includes(organism)) add("susceptibility", `"${organism}" is not among the expected organisms.`, `“${organism}”不在预期菌种之中。`);
      for (const ab of Object.keys(byAntibiotic)) if (!antibiotics.has(ab)) add("susceptibility", `"${ab}" is not an antibiotic of ${analyte.code}.`, `“${ab}”不是项目 ${analyte.code} 的抗菌药物。`);
    }
  } else if (e.type === "morphology") {
    const images = analyte.images ?? [];
    for (const image of images) if (e.answers[image] === undefined) add("answers", `No answer for image "${image}".`, `图像“${image}”缺少答案。`);
    for (const [image, answer] of Object.entries(e.answers)) {
      if (!images.includes(image)) add("answers", `"${image}" is not an image of ${analyte.code}.`, `“${image}”不是项目 ${analyte.code} 的图像。`);
      else if (!choices.has(answer)) unknownChoice("answers", answer);
    }
  } else if (e.type === "genotyping") {
    // Every genotype stated: the evaluation judges exactly the expected genotypes, so one left out
    // would silently go unjudged.
    for (const genotype of choices) if (e.calls[genotype] === undefined) add(`calls.${genotype}`, `No expected call for genotype ${genotype}.`, `基因型 ${genotype} 缺少预期结果。`);
    for (const genotype of Object.keys(e.calls)) {
      if (!choices.has(genotype)) add(`calls.${genotype}`, `"${genotype}" is not a genotype of ${analyte.code}.`, `“${genotype}”不是项目 ${analyte.code} 的基因型。`);
    }
  } else if (analyte.scheme.log10 === true && e.value <= 0) {
    add("value", "A log10 analyte's expected value must be positive.", "log10 项目的预期值必须为正。");
  }
  return { value: e, issues };
}

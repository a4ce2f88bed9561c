// A batch of entries checked against the round: known analyte and sample codes, each analyte ×
// sample once, the lab allowed to test the analyte, and each entry's own validation.
import { platformError } from "@health-chain/sdk";
import type { RoundContext } from "../model/round-context.ts";
import type { MethodInfo, ResultValue } from "../types.ts";
import type { LabRow } from "./guards.ts";
import type { FieldError, ResultEntry } from "./types.ts";
import { validateEntry } from "./validate-entry.ts";

export interface AcceptedEntry {
  sampleId: number;
  sampleCode: string;
  analyteCode: string;
  value: ResultValue;
  method: MethodInfo;
}

/** Most entries in one call: 50 analytes × a few samples with room to spare. */
export const MAX_ENTRIES = 5000;

export function checkEntries(context: RoundContext, lab: LabRow, entries: unknown): { accepted: AcceptedEntry[]; errors: FieldError[] } {
  if (!Array.isArray(entries) || entries.length > MAX_ENTRIES) {
    throw platformError("INVALID_INPUT", {
      message: `entries must be a list of at most ${MAX_ENTRIES} results.`,
      messageZh: `entries 必须是最多 ${MAX_ENTRIES} 条结果的列表。`,
      details: { field: "entries" },
    });
  }
  const errors: FieldError[] = [];
  const accepted: AcceptedEntry[] = [];
  const seen = new Set<string>();
  for (const raw of entries as ResultEntry[]) {
    const entry = (typeof raw === "object" && raw !== null ? raw : {}) as ResultEntry;
    const analyteCode = typeof entry.analyte === "string" ? entry.analyte : "";
    const sampleCode = typeof entry.sample === "string" ? entry.sample : "";
    const analyte = context.analyteByCode.get(analyteCode);
    const sample = context.sampleByCode.get(sampleCode);
    const err = (field: string, code: FieldError["code"], message: string, messageZh: string) =>
      errors.push({ analyte: analyteCode, sample: sampleCode, field, code, message, messageZh });
    if (!analyte) err("analyte", "unknownAnalyte", `"${analyteCode}" is not an analyte of round ${context.round.code}.`, `“${analyteCode}”不是轮次 ${context.round.code} 的项目。`);
    if (!sample) err("sample", "unknownSample", `"${sampleCode}" is not a sample of round ${context.round.code}.`, `“${sampleCode}”不是轮次 ${context.round.code} 的样本。`);
    if (!analyte || !sample) continue;
    const key = `${sampleCode}\u0000${analyteCode}`;
    if (seen.has(key)) {
      err("analyte", "duplicate", `${analyteCode} of sample ${sampleCode} appears twice in this batch.`, `样本 ${sampleCode} 的项目 ${analyteCode} 在本批中重复出现。`);
      continue;
    }
    seen.add(key);
    if (lab.allowedToTest[analyteCode] === false) {
      err("analyte", "notAllowedToTest", `Laboratory ${lab.code} is not allowed to test ${analyteCode}.`, `实验室 ${lab.code} 无权检测项目 ${analyteCode}。`);
      continue;
    }
    const checked = validateEntry(analyte, entry);
    if (!checked.ok) errors.push(...checked.errors);
    else accepted.push({ sampleId: sample.id, sampleCode, analyteCode, value: checked.value, method: checked.method });
  }
  return { accepted, errors };
}

export function fieldErrorsToError(errors: FieldError[], verb: { en: string; zh: string }) {
  const first = errors[0];
  return platformError("INVALID_INPUT", {
    message: `${errors.length} field(s) refused; nothing was ${verb.en}${first ? `. First: ${first.analyte}/${first.sample} ${first.field}: ${first.message}` : "."}`,
    messageZh: `${errors.length} 处字段被拒绝；未${verb.zh}任何结果${first ? `。第一处：${first.analyte}/${first.sample} ${first.field}：${first.messageZh}` : "。"}`,
    details: { fieldErrors: errors },
  });
}

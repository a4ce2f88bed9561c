// Submission: saves the entries given, checks the lab's whole set (required analytes for every
// sample, dependency rules) and locks it, in one transaction; a refusal changes nothing, including
// the entries sent with it.
import { fingerprint } from "@health-chain/sdk";
import { eqaProviderOf, type EqaDb } from "../db.ts";
import { checkActor } from "../model/actor.ts";
import { writeAudit } from "../model/audit.ts";
import type { RoundContext } from "../model/round-context.ts";
import { checkEntries, fieldErrorsToError } from "./entries.ts";
import { assertWritable, checkNow, loadEnrolment, type LabRow } from "./guards.ts";
import { prepareChange, writeEntries } from "./save.ts";
import type { FieldError, ResultEntry } from "./types.ts";

export interface SubmitResultsInput {
  roundCode: string;
  labCode: string;
  actor: string;
  now?: Date;
  entries?: ResultEntry[];
}

/** What is missing from a lab's set of results (analyte codes per sample code). */
export function completenessErrors(context: RoundContext, lab: LabRow, reported: ReadonlySet<string>): FieldError[] {
  const errors: FieldError[] = [];
  const has = (sample: string, analyte: string) => reported.has(`${sample}\u0000${analyte}`);
  if (reported.size === 0) {
    errors.push({ analyte: "", sample: "", field: "results", code: "missingResult", message: "There are no results to submit.", messageZh: "没有可提交的结果。" });
    return errors;
  }
  for (const sample of context.samples) {
    for (const a of context.analytes) {
      if (a.required === true && lab.allowedToTest[a.code] !== false && !has(sample.code, a.code)) {
        errors.push({
          analyte: a.code,
          sample: sample.code,
          field: "result",
          code: "missingResult",
          message: `${a.code} (${a.nameEn}) is required for sample ${sample.code}.`,
          messageZh: `样本 ${sample.code} 必须报告项目 ${a.code}（${a.name}）。`,
        });
      }
      if (!has(sample.code, a.code)) continue;
      for (const b of a.requires ?? []) {
        if (!has(sample.code, b)) {
          errors.push({
            analyte: a.code,
            sample: sample.code,
            field: "requires",
            code: "dependencyMissing",
            message: `Reporting ${a.code} requires ${b} for sample ${sample.code}.`,
            messageZh: `报告项目 ${a.code} 时，样本 ${sample.code} 也必须报告项目 ${b}。`,
          });
        }
      }
    }
  }
  return errors;
}

export async function submitResults(db: EqaDb, input: SubmitResultsInput): Promise<{ submittedAt: Date; count: number }> {
  const actor = checkActor(input.actor);
  const now = checkNow(input.now);
  const { context, lab } = await prepareChange(db, input.roundCode, input.labCode, now);
  const { accepted, errors } = input.entries === undefined ? { accepted: [], errors: [] } : checkEntries(context, lab, input.entries);
  if (errors.length > 0) throw fieldErrorsToError(errors, { en: "saved or submitted", zh: "保存或提交" });
  const sampleCode = new Map(context.samples.map((s) => [s.id, s.code]));
  return db.$transaction(async (tx) => {
    const enrolment = await loadEnrolment(tx, context.round.id, lab, eqaProviderOf(db));
    assertWritable(enrolment, lab.code, now);
    let set: { sample: string; analyte: string; value: unknown }[];
    let saved: Awaited<ReturnType<typeof writeEntries>> | undefined;
    if (accepted.length > 0) {
      saved = await writeEntries(tx, context, lab, enrolment, accepted, actor, now, eqaProviderOf(db), true);
      set = saved.set;
    } else {
      const rows = await tx.result.findMany({ where: { roundId: context.round.id, labId: lab.id }, select: { sampleId: true, analyteCode: true, valueJson: true } });
      set = rows.map((r) => ({ sample: sampleCode.get(r.sampleId) ?? "", analyte: r.analyteCode, value: JSON.parse(r.valueJson) as unknown }));
    }
    // Canonical order, so that the fingerprint names the set whatever the order of entry.
    set.sort((a, b) => (a.sample === b.sample ? (a.analyte < b.analyte ? -1 : a.analyte > b.analyte ? 1 : 0) : a.sample < b.sample ? -1 : 1));
    const reported = new Set(set.map((r) => `${r.sample}\u0000${r.analyte}`));
    const missing = completenessErrors(context, lab, reported);
    if (missing.length > 0) throw fieldErrorsToError(missing, { en: "submitted", zh: "提交" });
    await tx.$executeRaw`UPDATE "Enrolment" SET "status" = 'submitted', "submittedAt" = ${now}, "lockedAt" = ${now}, "correctionUntil" = NULL WHERE "id" = ${enrolment.id}`;
    // The fingerprint (SM3 over the canonical set) names exactly what was locked.
    await writeAudit(tx, {
      at: now,
      actor,
      action: "results.submit",
      roundCode: context.round.code,
      labCode: lab.code,
      details: { count: set.length, fingerprint: fingerprint(set), ...(saved ? { saved: saved.saved, replaced: saved.replaced } : {}) },
    });
    return { submittedAt: now, count: set.length };
  });
}

// Draft saves: all or nothing, one transaction per call. Entries replace the lab's earlier result
// for the same analyte × sample; the audit record keeps both the new and the replaced values.
import type { EqaDb, EqaTx } from "../db.ts";
import { Prisma } from "../generated/sqlite/client.ts";
import { checkActor } from "../model/actor.ts";
import { writeAudit } from "../model/audit.ts";
import { cachedRoundContext, type RoundContext } from "../model/round-context.ts";
import { checkEntries, fieldErrorsToError, type AcceptedEntry } from "./entries.ts";
import { assertWritable, checkNow, loadEnrolment, loadLab, type EnrolmentState, type LabRow } from "./guards.ts";
import type { ResultEntry } from "./types.ts";

export interface SaveResultsInput {
  roundCode: string;
  labCode: string;
  entries: ResultEntry[];
  actor: string;
  now?: Date;
}

/** Everything a change needs, checked before the transaction (and re-checked inside it). */
export async function prepareChange(db: EqaDb, roundCode: string, labCode: string, now: Date) {
  const context = await cachedRoundContext(db, roundCode);
  const lab = await loadLab(db, labCode);
  assertWritable(await loadEnrolment(db, context.round.id, lab), lab.code, now);
  return { context, lab };
}

/** Writes accepted entries inside `tx`; returns the audit details (saved and replaced values). */
export async function writeEntries(tx: EqaTx, context: RoundContext, lab: LabRow, enrolment: EnrolmentState, accepted: AcceptedEntry[], actor: string, now: Date) {
  const sampleCode = new Map(context.samples.map((s) => [s.id, s.code]));
  const existing = await tx.$queryRaw<{ id: number; sampleId: number; analyteCode: string; valueJson: string }[]>`
    SELECT "id", "sampleId", "analyteCode", "valueJson" FROM "Result" WHERE "roundId" = ${context.round.id} AND "labId" = ${lab.id}`;
  const incoming = new Set(accepted.map((e) => `${e.sampleId}\u0000${e.analyteCode}`));
  const replaced = existing.filter((r) => incoming.has(`${r.sampleId}\u0000${r.analyteCode}`));
  if (replaced.length > 0) await tx.$executeRaw`DELETE FROM "Result" WHERE "id" IN (${Prisma.join(replaced.map((r) => r.id))})`;
  // One INSERT of all rows in plain SQL: Prisma's query compiler costs ~0.1 ms per row of a
  // createMany (measured: 100-entry submissions, 300 at once), and SQLite writes take turns.
  if (accepted.length > 0) {
    const rows = accepted.map(
      (e) =>
        Prisma.sql`(${context.round.id}, ${lab.id}, ${e.sampleId}, ${e.analyteCode}, ${JSON.stringify(e.value)}, ${e.method.instrument ?? null}, ${e.method.reagent ?? null}, ${e.method.method ?? null}, ${now}, ${actor})`,
    );
    await tx.$executeRaw`INSERT INTO "Result" ("roundId", "labId", "sampleId", "analyteCode", "valueJson", "instrument", "reagent", "method", "enteredAt", "enteredBy") VALUES ${Prisma.join(rows)}`;
  }
  if (enrolment.status === "invited") await tx.$executeRaw`UPDATE "Enrolment" SET "status" = 'draft' WHERE "id" = ${enrolment.id}`;
  const kept = existing.filter((r) => !incoming.has(`${r.sampleId}\u0000${r.analyteCode}`));
  return {
    /** The lab's whole set after the write (sample code, analyte code, value). */
    set: [
      ...kept.map((r) => ({ sample: sampleCode.get(r.sampleId) ?? "", analyte: r.analyteCode, value: JSON.parse(r.valueJson) as unknown })),
      ...accepted.map((e) => ({ sample: e.sampleCode, analyte: e.analyteCode, value: e.value as unknown })),
    ],
    saved: accepted.map((e) => ({ sample: e.sampleCode, analyte: e.analyteCode, value: e.value, ...e.method })),
    replaced: replaced.map((r) => ({ sample: sampleCode.get(r.sampleId), analyte: r.analyteCode, value: JSON.parse(r.valueJson) as unknown })),
  };
}

/** Saves a draft of results; refuses the whole batch when one field is wrong. */
export async function saveResults(db: EqaDb, input: SaveResultsInput): Promise<{ saved: number }> {
  const actor = checkActor(input.actor);
  const now = checkNow(input.now);
  const { context, lab } = await prepareChange(db, input.roundCode, input.labCode, now);
  const { accepted, errors } = checkEntries(context, lab, input.entries);
  if (errors.length > 0) throw fieldErrorsToError(errors, { en: "saved", zh: "保存" });
  return db.$transaction(async (tx) => {
    const enrolment = await loadEnrolment(tx, context.round.id, lab);
    assertWritable(enrolment, lab.code, now);
    const { saved, replaced } = await writeEntries(tx, context, lab, enrolment, accepted, actor, now);
    await writeAudit(tx, { at: now, actor, action: "results.save", roundCode: context.round.code, labCode: lab.code, details: { saved, replaced } });
    return { saved: accepted.length };
  });
}

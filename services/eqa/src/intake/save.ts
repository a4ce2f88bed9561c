// Draft saves: all or nothing, one transaction per call. Entries replace the lab's earlier result
// for the same analyte × sample; the audit record keeps both the new and the replaced values.
import { eqaProviderOf, type EqaDb, type EqaTx } from "../db.ts";
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

/**
 * One INSERT of a lab's accepted rows. Prisma converts each bound parameter through its query
 * compiler, which for 100 results × 10 columns cost 2.6 ms against 0.4 ms for the statement itself
 * (measured on SQLite); so the rows travel as ONE JSON parameter that the database expands
 * (SQLite json_each, PostgreSQL jsonb_to_recordset). A client of unknown provider gets the plain
 * multi-row VALUES form.
 */
async function insertResults(tx: EqaTx, provider: "sqlite" | "postgresql" | null, roundId: number, labId: number, accepted: AcceptedEntry[], actor: string, now: Date): Promise<void> {
  const rows = accepted.map((e) => ({ s: e.sampleId, a: e.analyteCode, v: JSON.stringify(e.value), i: e.method.instrument ?? null, r: e.method.reagent ?? null, m: e.method.method ?? null }));
  if (provider === "sqlite") {
    await tx.$executeRaw`INSERT INTO "Result" ("roundId", "labId", "sampleId", "analyteCode", "valueJson", "instrument", "reagent", "method", "enteredAt", "enteredBy")
      SELECT ${roundId}, ${labId}, json_extract(j.value, '$.s'), json_extract(j.value, '$.a'), json_extract(j.value, '$.v'), json_extract(j.value, '$.i'),
             json_extract(j.value, '$.r'), json_extract(j.value, '$.m'), ${now}, ${actor}
      FROM json_each(${JSON.stringify(rows)}) j`;
    return;
  }
  if (provider === "postgresql") {
    await tx.$executeRaw`INSERT INTO "Result" ("roundId", "labId", "sampleId", "analyteCode", "valueJson", "instrument", "reagent", "method", "enteredAt", "enteredBy")
      SELECT ${roundId}, ${labId}, x.s, x.a, x.v, x.i, x.r, x.m, ${now}, ${actor}
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(s integer, a text, v text, i text, r text, m text)`;
    return;
  }
  const values = accepted.map(
    (e) =>
      Prisma.sql`(${roundId}, ${labId}, ${e.sampleId}, ${e.analyteCode}, ${JSON.stringify(e.value)}, ${e.method.instrument ?? null}, ${e.method.reagent ?? null}, ${e.method.method ?? null}, ${now}, ${actor})`,
  );
  await tx.$executeRaw`INSERT INTO "Result" ("roundId", "labId", "sampleId", "analyteCode", "valueJson", "instrument", "reagent", "method", "enteredAt", "enteredBy") VALUES ${Prisma.join(values)}`;
}

/** Writes accepted entries inside `tx`; returns the audit details (saved and replaced values). */
export async function writeEntries(
  tx: EqaTx,
  context: RoundContext,
  lab: LabRow,
  enrolment: EnrolmentState,
  accepted: AcceptedEntry[],
  actor: string,
  now: Date,
  /** The database's provider (eqaProviderOf of the client the transaction came from). */
  provider: "sqlite" | "postgresql" | null = null,
  /** Part of a submission, which sets the status itself (one statement fewer in the transaction). */
  submitting = false,
) {
  const sampleCode = new Map(context.samples.map((s) => [s.id, s.code]));
  const existing = await tx.$queryRaw<{ id: number; sampleId: number; analyteCode: string; valueJson: string }[]>`
    SELECT "id", "sampleId", "analyteCode", "valueJson" FROM "Result" WHERE "roundId" = ${context.round.id} AND "labId" = ${lab.id}`;
  const incoming = new Set(accepted.map((e) => `${e.sampleId}\u0000${e.analyteCode}`));
  const replaced = existing.filter((r) => incoming.has(`${r.sampleId}\u0000${r.analyteCode}`));
  if (replaced.length > 0) await tx.$executeRaw`DELETE FROM "Result" WHERE "id" IN (${Prisma.join(replaced.map((r) => r.id))})`;
  if (accepted.length > 0) await insertResults(tx, provider, context.round.id, lab.id, accepted, actor, now);
  if (enrolment.status === "invited" && !submitting) await tx.$executeRaw`UPDATE "Enrolment" SET "status" = 'draft' WHERE "id" = ${enrolment.id}`;
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
    const enrolment = await loadEnrolment(tx, context.round.id, lab, eqaProviderOf(db));
    assertWritable(enrolment, lab.code, now);
    const { saved, replaced } = await writeEntries(tx, context, lab, enrolment, accepted, actor, now, eqaProviderOf(db));
    await writeAudit(tx, { at: now, actor, action: "results.save", roundCode: context.round.code, labCode: lab.code, details: { saved, replaced } });
    return { saved: accepted.length };
  });
}

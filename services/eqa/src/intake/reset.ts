// Resetting a lab's participation (centre only; the gateway checks the role): its results are
// deleted and the enrolment goes back to invited — also undoing a non-participation registered by
// mistake. The audit record keeps every deleted result, so nothing accepted is lost.
import { eqaProviderOf, type EqaDb } from "../db.ts";
import { checkActor } from "../model/actor.ts";
import { writeAudit } from "../model/audit.ts";
import { notFound } from "../model/errors.ts";
import { assertNotEvaluated, checkNow, loadEnrolment, loadLab, requiredText } from "./guards.ts";

export interface ResetResultsInput {
  roundCode: string;
  labCode: string;
  reason: string;
  actor: string;
  now?: Date;
}

export async function resetResults(db: EqaDb, input: ResetResultsInput): Promise<{ deleted: number }> {
  const actor = checkActor(input.actor);
  const now = checkNow(input.now);
  const reason = requiredText(input.reason, "reason for the reset", "重置原因");
  const lab = await loadLab(db, input.labCode);
  const round = await db.round.findUnique({ where: { code: input.roundCode }, select: { id: true } });
  if (!round) throw notFound("round", input.roundCode);
  return db.$transaction(async (tx) => {
    const e = await loadEnrolment(tx, round.id, lab, eqaProviderOf(db));
    assertNotEvaluated(e.round);
    const results = await tx.result.findMany({
      where: { roundId: round.id, labId: lab.id },
      select: { analyteCode: true, valueJson: true, instrument: true, reagent: true, method: true, enteredAt: true, enteredBy: true, sample: { select: { code: true } } },
      orderBy: { id: "asc" },
    });
    await tx.result.deleteMany({ where: { roundId: round.id, labId: lab.id } });
    await tx.enrolment.update({
      where: { id: e.id },
      data: { status: "invited", submittedAt: null, lockedAt: null, correctionUntil: null, nonParticipationReason: null, nonParticipationAt: null },
    });
    await writeAudit(tx, {
      at: now,
      actor,
      action: "results.reset",
      roundCode: e.round.code,
      labCode: lab.code,
      details: {
        reason,
        previousStatus: e.status,
        previousSubmittedAt: e.submittedAt?.toISOString() ?? null,
        deleted: results.map((r) => ({
          sample: r.sample.code,
          analyte: r.analyteCode,
          value: JSON.parse(r.valueJson) as unknown,
          instrument: r.instrument,
          reagent: r.reagent,
          method: r.method,
          enteredAt: r.enteredAt.toISOString(),
          enteredBy: r.enteredBy,
        })),
      },
    });
    return { deleted: results.length };
  });
}

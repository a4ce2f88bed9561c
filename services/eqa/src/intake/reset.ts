// Resetting a lab's participation (centre only; the gateway checks the role): its results are
// deleted and the enrolment goes back to invited — also undoing a non-participation registered by
// mistake. The audit record keeps every deleted result, so nothing accepted is lost.
import type { EqaDb } from "../db.ts";
import { writeAudit } from "../model/audit.ts";
import { assertNotEvaluated, prepareReasonedChange } from "./guards.ts";

export interface ResetResultsInput {
  roundCode: string;
  labCode: string;
  reason: string;
  actor: string;
  now?: Date;
}

export async function resetResults(db: EqaDb, input: ResetResultsInput): Promise<{ deleted: number }> {
  const { actor, now, reason, lab, roundId, enrolmentIn } = await prepareReasonedChange(db, input, { en: "reason for the reset", zh: "重置原因" });
  return db.$transaction(async (tx) => {
    const e = await enrolmentIn(tx);
    assertNotEvaluated(e.round);
    const results = await tx.result.findMany({
      where: { roundId: roundId, labId: lab.id },
      select: { analyteCode: true, valueJson: true, instrument: true, reagent: true, method: true, enteredAt: true, enteredBy: true, sample: { select: { code: true } } },
      orderBy: { id: "asc" },
    });
    await tx.result.deleteMany({ where: { roundId: roundId, labId: lab.id } });
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

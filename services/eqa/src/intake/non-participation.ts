// Non-participation (不参加 / 未检测) registered with a reason: what a lab that does not submit must
// do before it can download its report. Allowed once the round is open, also after the deadline;
// refused once results were submitted. Draft results are deleted and kept in the audit record.
import type { EqaDb } from "../db.ts";
import { writeAudit } from "../model/audit.ts";
import { conflict } from "../model/errors.ts";
import { prepareReasonedChange } from "./guards.ts";

export interface NonParticipationInput {
  roundCode: string;
  labCode: string;
  reason: string;
  actor: string;
  now?: Date;
}

export async function registerNonParticipation(db: EqaDb, input: NonParticipationInput): Promise<{ registeredAt: Date; draftsDeleted: number }> {
  const { actor, now, reason, lab, roundId, enrolmentIn } = await prepareReasonedChange(db, input, { en: "reason for not participating", zh: "不参加原因" });
  return db.$transaction(async (tx) => {
    const e = await enrolmentIn(tx);
    const where = { round: e.round.code, lab: lab.code };
    if (e.round.status === "draft") {
      throw conflict("notOpen", `Round ${e.round.code} is not open yet.`, `轮次 ${e.round.code} 尚未开放。`, { ...where, status: e.round.status });
    }
    if (e.status === "submitted") {
      throw conflict("locked", `Laboratory ${lab.code} submitted results in round ${e.round.code}: it participates.`, `实验室 ${lab.code} 已在轮次 ${e.round.code} 提交结果，属于参加。`, where);
    }
    if (e.status === "nonParticipating") {
      throw conflict("nonParticipating", `Laboratory ${lab.code} already registered non-participation in round ${e.round.code}.`, `实验室 ${lab.code} 已登记不参加轮次 ${e.round.code}。`, where);
    }
    const drafts = await tx.result.findMany({
      where: { roundId: roundId, labId: lab.id },
      select: { analyteCode: true, valueJson: true, sample: { select: { code: true } } },
    });
    if (drafts.length > 0) await tx.result.deleteMany({ where: { roundId: roundId, labId: lab.id } });
    await tx.enrolment.update({ where: { id: e.id }, data: { status: "nonParticipating", nonParticipationReason: reason, nonParticipationAt: now, correctionUntil: null } });
    await writeAudit(tx, {
      at: now,
      actor,
      action: "nonParticipation.register",
      roundCode: e.round.code,
      labCode: lab.code,
      details: { reason, draftsDeleted: drafts.map((d) => ({ sample: d.sample.code, analyte: d.analyteCode, value: JSON.parse(d.valueJson) as unknown })) },
    });
    return { registeredAt: now, draftsDeleted: drafts.length };
  });
}

// Unlocking submitted results: the lab asks with a reason, the centre approves or rejects. An
// approval sets the results back to draft. The centre may approve after the deadline (or once the
// round is closed) so that a lab can correct an entry error: the lab then has a correction window
// of its own, so an approval always leaves it at least `correctionHours` (default 48 h) to correct
// and resubmit. Results of an evaluated or published round are not unlocked.
import { platformError } from "@health-chain/sdk";
import { type EqaDb, eqaProviderOf } from "../db.ts";
import { checkActor } from "../model/actor.ts";
import { writeAudit } from "../model/audit.ts";
import { conflict, iso, notFound } from "../model/errors.ts";
import { assertNotEvaluated, checkNow, loadEnrolment, prepareReasonedChange, requiredText } from "./guards.ts";

export const DEFAULT_CORRECTION_HOURS = 48;

export interface UnlockRequestInput {
  roundCode: string;
  labCode: string;
  reason: string;
  actor: string;
  now?: Date;
}

export async function requestUnlock(db: EqaDb, input: UnlockRequestInput): Promise<{ requestId: number }> {
  const { actor, now, reason, lab, roundId, enrolmentIn } = await prepareReasonedChange(db, input, { en: "reason for the unlock", zh: "解锁原因" });
  return db.$transaction(async (tx) => {
    const e = await enrolmentIn(tx);
    assertNotEvaluated(e.round);
    if (e.status !== "submitted") {
      throw conflict("notLocked", `The results of laboratory ${lab.code} in round ${e.round.code} are not locked (${e.status}).`, `实验室 ${lab.code} 在轮次 ${e.round.code} 的结果未锁定（${e.status}）。`, {
        round: e.round.code,
        lab: lab.code,
        status: e.status,
      });
    }
    const pending = await tx.unlockRequest.findFirst({ where: { roundId: roundId, labId: lab.id, status: "pending" }, select: { id: true } });
    if (pending) {
      throw conflict("pendingRequest", `Unlock request ${pending.id} of laboratory ${lab.code} is still pending.`, `实验室 ${lab.code} 的解锁申请 ${pending.id} 尚待审批。`, {
        round: e.round.code,
        lab: lab.code,
        requestId: pending.id,
      });
    }
    const created = await tx.unlockRequest.create({
      data: { roundId: roundId, labId: lab.id, reason, requestedBy: actor, requestedAt: now },
      select: { id: true },
    });
    await writeAudit(tx, { at: now, actor, action: "unlock.request", roundCode: e.round.code, labCode: lab.code, details: { requestId: created.id, reason } });
    return { requestId: created.id };
  });
}

export interface UnlockDecisionInput {
  requestId: number;
  approve: boolean;
  /** Required when rejecting (the lab is told why). */
  note?: string;
  actor: string;
  now?: Date;
  /** Least time an approval leaves the lab to correct and resubmit (default 48 h). */
  correctionHours?: number;
}

export async function decideUnlock(
  db: EqaDb,
  input: UnlockDecisionInput,
): Promise<{ status: "approved" | "rejected"; correctionUntil: Date | null }> {
  const actor = checkActor(input.actor);
  const now = checkNow(input.now);
  const note = input.approve ? (input.note === undefined || input.note.trim() === "" ? null : requiredText(input.note, "note", "说明")) : requiredText(input.note, "note explaining the rejection", "驳回说明");
  const hours = input.correctionHours ?? DEFAULT_CORRECTION_HOURS;
  if (!Number.isFinite(hours) || hours <= 0 || hours > 24 * 30) {
    throw platformError("INVALID_INPUT", { message: "correctionHours must be between 0 and 720.", messageZh: "correctionHours 必须在 0 到 720 之间。", details: { field: "correctionHours" } });
  }
  return db.$transaction(async (tx) => {
    const request = await tx.unlockRequest.findUnique({
      where: { id: input.requestId },
      select: { id: true, status: true, roundId: true, lab: { select: { id: true, code: true } } },
    });
    if (!request) throw notFound("unlockRequest", input.requestId);
    const e = await loadEnrolment(tx, request.roundId, request.lab, eqaProviderOf(db));
    const where = { round: e.round.code, lab: request.lab.code, requestId: request.id };
    if (request.status !== "pending") {
      throw conflict("decided", `Unlock request ${request.id} was already ${request.status}.`, `解锁申请 ${request.id} 已${request.status === "approved" ? "批准" : "驳回"}。`, { ...where, status: request.status });
    }
    let correctionUntil: Date | null = null;
    if (input.approve) {
      assertNotEvaluated(e.round);
      if (e.status !== "submitted") {
        throw conflict("notLocked", `The results of laboratory ${request.lab.code} are no longer locked (${e.status}).`, `实验室 ${request.lab.code} 的结果已不再锁定（${e.status}）。`, { ...where, status: e.status });
      }
      const least = now.getTime() + hours * 3_600_000;
      if (e.round.status !== "open" || least > e.round.deadline.getTime()) correctionUntil = new Date(least);
      await tx.enrolment.update({ where: { id: e.id }, data: { status: "draft", submittedAt: null, lockedAt: null, correctionUntil } });
    }
    const status = input.approve ? "approved" : "rejected";
    await tx.unlockRequest.update({ where: { id: request.id }, data: { status, decidedBy: actor, decidedAt: now, note } });
    await writeAudit(tx, {
      at: now,
      actor,
      action: input.approve ? "unlock.approve" : "unlock.reject",
      roundCode: e.round.code,
      labCode: request.lab.code,
      details: {
        requestId: request.id,
        note,
        ...(input.approve ? { previousSubmittedAt: e.submittedAt ? iso(e.submittedAt) : null, correctionUntil: correctionUntil ? iso(correctionUntil) : null } : {}),
      },
    });
    return { status, correctionUntil };
  });
}

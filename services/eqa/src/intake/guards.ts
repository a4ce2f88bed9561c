// The checks every intake change makes: the lab exists and is enrolled, the round is open and
// before its deadline (or the lab holds a correction window from an approved unlock), the results
// are not locked, the lab has not declared non-participation. Made once before the work and again
// inside the transaction, so a concurrent change can never slip between check and write.
import { platformError } from "@health-chain/sdk";
import { eqaProviderOf, type EqaDb, type EqaTx } from "../db.ts";
import { checkActor } from "../model/actor.ts";
import { conflict, iso, notFound } from "../model/errors.ts";
import type { EnrolmentStatus } from "../model/rounds.ts";

export interface LabRow {
  id: number;
  code: string;
  allowedToTest: Record<string, boolean>;
}

export async function loadLab(db: EqaDb | EqaTx, labCode: string): Promise<LabRow> {
  const [lab] = await db.$queryRaw<{ id: number; code: string; allowedToTestJson: string | null }[]>`
    SELECT "id", "code", "allowedToTestJson" FROM "Lab" WHERE "code" = ${labCode}`;
  if (!lab) throw notFound("lab", labCode);
  return { id: Number(lab.id), code: lab.code, allowedToTest: lab.allowedToTestJson === null ? {} : (JSON.parse(lab.allowedToTestJson) as Record<string, boolean>) };
}

export interface EnrolmentState {
  id: number;
  status: EnrolmentStatus;
  submittedAt: Date | null;
  lockedAt: Date | null;
  correctionUntil: Date | null;
  round: { id: number; code: string; status: string; opensAt: Date; deadline: Date };
}

interface EnrolmentRow {
  id: number;
  status: string;
  submittedAt: Date | null;
  lockedAt: Date | null;
  correctionUntil: Date | null;
  roundId: number;
  roundCode: string;
  roundStatus: string;
  opensAt: Date;
  deadline: Date;
}

/**
 * The lab's enrolment in the round with the round's state; CONFLICT notEnrolled when absent.
 * Plain SQL (both providers): read on every save, twice. Inside a PostgreSQL transaction
 * (`provider` "postgresql") the round's row is share-locked: an evaluation or a publication, which
 * update that row, then waits for this change to commit (and sees it), and this change, if it comes
 * second, reads the round's new status and is refused — SQLite's writes take turns anyway.
 */
export async function loadEnrolment(db: EqaDb | EqaTx, roundId: number, lab: { id: number; code: string }, provider: "sqlite" | "postgresql" | null = null): Promise<EnrolmentState> {
  const [e] =
    provider === "postgresql"
      ? await db.$queryRaw<EnrolmentRow[]>`
    SELECT e."id" AS "id", e."status" AS "status", e."submittedAt" AS "submittedAt", e."lockedAt" AS "lockedAt",
           e."correctionUntil" AS "correctionUntil", r."id" AS "roundId", r."code" AS "roundCode", r."status" AS "roundStatus",
           r."opensAt" AS "opensAt", r."deadline" AS "deadline"
    FROM "Enrolment" e JOIN "Round" r ON r."id" = e."roundId"
    WHERE e."roundId" = ${roundId} AND e."labId" = ${lab.id}
    FOR SHARE OF r`
      : await db.$queryRaw<EnrolmentRow[]>`
    SELECT e."id" AS "id", e."status" AS "status", e."submittedAt" AS "submittedAt", e."lockedAt" AS "lockedAt",
           e."correctionUntil" AS "correctionUntil", r."id" AS "roundId", r."code" AS "roundCode", r."status" AS "roundStatus",
           r."opensAt" AS "opensAt", r."deadline" AS "deadline"
    FROM "Enrolment" e JOIN "Round" r ON r."id" = e."roundId"
    WHERE e."roundId" = ${roundId} AND e."labId" = ${lab.id}`;
  if (!e) {
    const round = await db.round.findUnique({ where: { id: roundId }, select: { code: true } });
    const code = round?.code ?? String(roundId);
    throw conflict("notEnrolled", `Laboratory ${lab.code} is not enrolled in round ${code}.`, `实验室 ${lab.code} 未参加轮次 ${code}。`, { round: code, lab: lab.code });
  }
  return {
    id: Number(e.id),
    status: e.status as EnrolmentStatus,
    submittedAt: asDate(e.submittedAt),
    lockedAt: asDate(e.lockedAt),
    correctionUntil: asDate(e.correctionUntil),
    round: { id: Number(e.roundId), code: e.roundCode, status: e.roundStatus, opensAt: asDate(e.opensAt) ?? new Date(NaN), deadline: asDate(e.deadline) ?? new Date(NaN) },
  };
}

/** A raw query's timestamp as a Date (Prisma maps DATETIME/timestamp columns; text is parsed). */
function asDate(value: Date | string | null): Date | null {
  if (value === null) return null;
  return value instanceof Date ? value : new Date(value);
}

/** Whether the lab may change its results now; throws the typed refusal otherwise. */
export function assertWritable(e: EnrolmentState, labCode: string, now: Date): void {
  const round = e.round;
  const where = { round: round.code, lab: labCode };
  if (e.status === "nonParticipating") {
    throw conflict("nonParticipating", `Laboratory ${labCode} registered non-participation in round ${round.code}.`, `实验室 ${labCode} 已登记不参加轮次 ${round.code}。`, where);
  }
  if (e.status === "submitted") {
    throw conflict(
      "locked",
      `The results of laboratory ${labCode} in round ${round.code} were submitted${e.lockedAt ? ` and locked at ${iso(e.lockedAt)}` : ""}; request an unlock to change them.`,
      `实验室 ${labCode} 在轮次 ${round.code} 的结果已提交${e.lockedAt ? `并于 ${iso(e.lockedAt)} 锁定` : ""}；如需修改请申请解锁。`,
      { ...where, ...(e.lockedAt ? { lockedAt: iso(e.lockedAt) } : {}) },
    );
  }
  // An unlock approved late gives this lab alone a window to correct and resubmit.
  if (e.correctionUntil !== null && (round.status === "open" || round.status === "closed")) {
    if (now.getTime() <= e.correctionUntil.getTime()) return;
    throw conflict(
      "deadlinePassed",
      `The correction window of laboratory ${labCode} in round ${round.code} ended at ${iso(e.correctionUntil)}.`,
      `实验室 ${labCode} 在轮次 ${round.code} 的更正期限已于 ${iso(e.correctionUntil)} 结束。`,
      { ...where, deadline: iso(e.correctionUntil) },
    );
  }
  if (round.status !== "open") {
    throw conflict("notOpen", `Round ${round.code} is ${round.status}, not open for results.`, `轮次 ${round.code} 状态为 ${round.status}，不接受结果。`, { ...where, status: round.status });
  }
  if (now.getTime() < round.opensAt.getTime()) {
    throw conflict("notOpen", `Round ${round.code} opens at ${iso(round.opensAt)}.`, `轮次 ${round.code} 于 ${iso(round.opensAt)} 开放。`, { ...where, opensAt: iso(round.opensAt) });
  }
  if (now.getTime() > round.deadline.getTime()) {
    throw conflict(
      "deadlinePassed",
      `The deadline of round ${round.code} passed at ${iso(round.deadline)}.`,
      `轮次 ${round.code} 的截止时间 ${iso(round.deadline)} 已过。`,
      { ...where, deadline: iso(round.deadline) },
    );
  }
}

/** A round evaluated or published keeps its results: refuse changes that would invalidate them. */
export function assertNotEvaluated(round: { code: string; status: string }): void {
  if (round.status === "evaluated" || round.status === "published") {
    throw conflict(
      "evaluated",
      `Round ${round.code} is ${round.status}: its results cannot change (set it back to closed to re-evaluate first).`,
      `轮次 ${round.code} 状态为 ${round.status}：结果不能再更改（如需重新评价，请先将其退回为已截止）。`,
      { round: round.code, status: round.status },
    );
  }
}

export function requiredText(value: unknown, field: string, fieldZh: string, max = 2000): string {
  if (typeof value !== "string" || value.trim() === "" || value.trim().length > max) {
    throw platformError("INVALID_INPUT", {
      message: `The ${field} is required (at most ${max} characters).`,
      messageZh: `必须填写${fieldZh}（最多 ${max} 个字符）。`,
      details: { field },
    });
  }
  return value.trim();
}

export function checkNow(now: unknown): Date {
  if (now === undefined) return new Date();
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) {
    throw platformError("INVALID_INPUT", { message: "now must be a valid Date.", messageZh: "now 必须是有效的日期。", details: { field: "now" } });
  }
  return now;
}

/** What a lab's change with a reason (reset, unlock request, non-participation) names. */
export interface ReasonedChange {
  roundCode: string;
  labCode: string;
  reason: string;
  actor: string;
  now?: Date;
}

/**
 * The checked inputs of a reasoned change, and its transaction's way to read the enrolment: the
 * actor, the time, the reason (required, named by `reasonName` in the refusal), the lab and the
 * round (NOT_FOUND when unknown).
 */
export async function prepareReasonedChange(db: EqaDb, input: ReasonedChange, reasonName: { en: string; zh: string }) {
  const actor = checkActor(input.actor);
  const now = checkNow(input.now);
  const reason = requiredText(input.reason, reasonName.en, reasonName.zh);
  const lab = await loadLab(db, input.labCode);
  const round = await db.round.findUnique({ where: { code: input.roundCode }, select: { id: true } });
  if (!round) throw notFound("round", input.roundCode);
  const provider = eqaProviderOf(db);
  return { actor, now, reason, lab, roundId: round.id, enrolmentIn: (tx: EqaTx) => loadEnrolment(tx, round.id, lab, provider) };
}

// A lab's standing in a round (what the lab's page shows) and the round's intake counts (for the
// data-consistency check: submitted vs stored vs reported).
import type { EqaDb } from "../db.ts";
import { notFound } from "../model/errors.ts";
import type { EnrolmentStatus } from "../model/rounds.ts";
import { loadEnrolment, loadLab } from "./guards.ts";

export interface LabStatus {
  status: EnrolmentStatus;
  submittedAt: Date | null;
  lockedAt: Date | null;
  /** An approved late unlock's window to correct and resubmit. */
  correctionUntil: Date | null;
  nonParticipationReason: string | null;
  canDownloadReport: boolean;
  /** Why the report cannot be downloaded (yet). */
  reason?: { code: "notPublished" | "notSubmitted"; message: string; messageZh: string };
}

export async function labStatus(db: EqaDb, roundCode: string, labCode: string): Promise<LabStatus> {
  const lab = await loadLab(db, labCode);
  const round = await db.round.findUnique({ where: { code: roundCode }, select: { id: true } });
  if (!round) throw notFound("round", roundCode);
  const e = await loadEnrolment(db, round.id, lab);
  const extra = await db.enrolment.findUnique({ where: { id: e.id }, select: { nonParticipationReason: true } });
  const base = {
    status: e.status,
    submittedAt: e.submittedAt,
    lockedAt: e.lockedAt,
    correctionUntil: e.correctionUntil,
    nonParticipationReason: extra?.nonParticipationReason ?? null,
  };
  // A report goes to a lab that either took part (submitted) or said why not (non-participation).
  const accounted = e.status === "submitted" || e.status === "nonParticipating";
  if (e.round.status !== "published") {
    return {
      ...base,
      canDownloadReport: false,
      reason: { code: "notPublished", message: `The reports of round ${roundCode} are not published yet.`, messageZh: `轮次 ${roundCode} 的报告尚未发布。` },
    };
  }
  if (!accounted) {
    return {
      ...base,
      canDownloadReport: false,
      reason: {
        code: "notSubmitted",
        message: `Laboratory ${labCode} neither submitted results nor registered non-participation with a reason in round ${roundCode}; register non-participation first.`,
        messageZh: `实验室 ${labCode} 在轮次 ${roundCode} 既未提交结果也未登记不参加原因；请先登记不参加。`,
      },
    };
  }
  return { ...base, canDownloadReport: true };
}

export interface IntakeCounts {
  enrolled: number;
  invited: number;
  draft: number;
  submitted: number;
  nonParticipating: number;
  /** Results stored for the round (drafts included). */
  results: number;
  /** Results of the labs that submitted: what the evaluation reads. */
  submittedResults: number;
}

export async function intakeCounts(db: EqaDb, roundCode: string): Promise<IntakeCounts> {
  const round = await db.round.findUnique({ where: { code: roundCode }, select: { id: true } });
  if (!round) throw notFound("round", roundCode);
  const [byStatus, results, submittedLabs] = await Promise.all([
    db.enrolment.groupBy({ by: ["status"], where: { roundId: round.id }, _count: { _all: true } }),
    db.result.count({ where: { roundId: round.id } }),
    db.enrolment.findMany({ where: { roundId: round.id, status: "submitted" }, select: { labId: true } }),
  ]);
  const count = (s: EnrolmentStatus) => byStatus.find((g) => g.status === s)?._count._all ?? 0;
  const submittedResults = submittedLabs.length === 0 ? 0 : await db.result.count({ where: { roundId: round.id, lab: { enrolments: { some: { roundId: round.id, status: "submitted" } } } } });
  return {
    enrolled: byStatus.reduce((s, g) => s + g._count._all, 0),
    invited: count("invited"),
    draft: count("draft"),
    submitted: count("submitted"),
    nonParticipating: count("nonParticipating"),
    results,
    submittedResults,
  };
}

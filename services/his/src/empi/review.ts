// The review queue (待人工确认): registrations in the grey zone, ID numbers that contradict a
// registration, persons that look like duplicates. A reviewer merges the two persons or keeps them apart.
import { platformError } from "@health-chain/sdk";
import type { HisTx } from "../db.ts";
import type { ComparisonFlag, FieldComparison } from "./decide.ts";
import type { MatchField } from "./compare.ts";
import { mergePersons, type MergeResult } from "./merge.ts";
import { currentPerson } from "./persons.ts";

export type ReviewDecision = "merge" | "keep-apart";

export interface EmpiReviewItem {
  readonly id: number;
  readonly status: "open" | "merged" | "kept-apart";
  readonly identityId: number;
  readonly institution: string;
  readonly patientId: string;
  /** The person the identity is linked to now. */
  readonly personId: string;
  /** The person it may be (its current person, following merges). */
  readonly candidatePersonId: string;
  readonly score: number;
  readonly comparison: {
    readonly score: number;
    readonly fields: { readonly [F in MatchField]: FieldComparison };
    readonly flags: readonly ComparisonFlag[];
  };
  readonly createdAt: Date;
  readonly decidedBy: string | null;
  readonly decidedAt: Date | null;
}

export interface ReviewDecisionResult {
  readonly review: EmpiReviewItem;
  readonly decision: ReviewDecision;
  /** Other open items of the same identity about the same person, settled with it. */
  readonly alsoDecided: readonly number[];
  /** The merge the decision made (none when keeping apart, or when the two were already one person). */
  readonly merge: MergeResult | null;
}

type ReviewRow = {
  id: number; identityId: number; candidatePersonId: string; score: number; comparisonJson: string; status: string;
  decidedBy: string | null; decidedAt: Date | null; createdAt: Date;
};

async function itemsOf(tx: HisTx, rows: readonly ReviewRow[]): Promise<EmpiReviewItem[]> {
  const identities = await tx.empiIdentity.findMany({
    where: { id: { in: [...new Set(rows.map((r) => r.identityId))] } },
    select: { id: true, institution: true, patientId: true, personId: true },
  });
  const byId = new Map(identities.map((i) => [i.id, i]));
  const current = new Map<string, string>();
  for (const candidate of new Set(rows.map((r) => r.candidatePersonId))) current.set(candidate, (await currentPerson(tx, candidate)) ?? candidate);
  return rows.map((row) => {
    const identity = byId.get(row.identityId)!;
    return {
      id: row.id,
      status: row.status as EmpiReviewItem["status"],
      identityId: row.identityId,
      institution: identity.institution,
      patientId: identity.patientId,
      personId: identity.personId,
      candidatePersonId: current.get(row.candidatePersonId)!,
      score: row.score,
      comparison: JSON.parse(row.comparisonJson) as EmpiReviewItem["comparison"],
      createdAt: row.createdAt,
      decidedBy: row.decidedBy,
      decidedAt: row.decidedAt,
    };
  });
}

export interface OpenReviewsQuery {
  /** Items after this review id (paging). */
  readonly after?: number;
  /** At most this many (default 100, at most 1000). */
  readonly limit?: number;
}

/** Open review items, oldest first. */
export async function listOpenReviews(tx: HisTx, query: OpenReviewsQuery = {}): Promise<EmpiReviewItem[]> {
  const limit = query.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000 || (query.after !== undefined && !Number.isInteger(query.after))) {
    throw platformError("INVALID_INPUT", {
      message: "limit must be an integer in [1, 1000] and after an integer review id.",
      messageZh: "limit 应为 1 至 1000 的整数，after 应为整数的复核编号。",
      details: { limit, after: query.after },
    });
  }
  const rows = await tx.empiReview.findMany({
    where: { status: "open", ...(query.after !== undefined ? { id: { gt: query.after } } : {}) },
    orderBy: { id: "asc" },
    take: limit,
  });
  return itemsOf(tx, rows);
}

/** Decides a review item inside `tx`: merge the identity's person into the candidate, or keep them apart. */
export async function decideReviewItem(tx: HisTx, reviewId: number, decision: ReviewDecision, actor: string, now: Date): Promise<ReviewDecisionResult> {
  if (decision !== "merge" && decision !== "keep-apart") {
    throw platformError("INVALID_INPUT", {
      message: `The decision must be "merge" or "keep-apart", got ${JSON.stringify(decision)}.`,
      messageZh: "复核结论应为 merge（合并）或 keep-apart（保持分离）。",
      details: { decision },
    });
  }
  const row = Number.isInteger(reviewId) ? await tx.empiReview.findUnique({ where: { id: reviewId } }) : null;
  if (row === null) {
    throw platformError("NOT_FOUND", { message: `No review item ${reviewId}.`, messageZh: `没有复核项 ${reviewId}。`, details: { reviewId } });
  }
  if (row.status !== "open") {
    throw platformError("CONFLICT", {
      message: `Review item ${reviewId} was already decided (${row.status}, by ${row.decidedBy}).`,
      messageZh: `复核项 ${reviewId} 已处理（${row.status}，处理人 ${row.decidedBy}）。`,
      details: { reviewId, status: row.status, decidedBy: row.decidedBy },
    });
  }
  const identity = (await tx.empiIdentity.findUnique({ where: { id: row.identityId }, select: { personId: true } }))!;
  const candidate = (await currentPerson(tx, row.candidatePersonId)) ?? row.candidatePersonId;
  const status = decision === "merge" ? "merged" : "kept-apart";
  // Other open items of this identity about the same (current) person are answered too.
  const siblings: number[] = [];
  for (const other of await tx.empiReview.findMany({ where: { identityId: row.identityId, status: "open", id: { not: reviewId } }, select: { id: true, candidatePersonId: true } })) {
    if (((await currentPerson(tx, other.candidatePersonId)) ?? other.candidatePersonId) === candidate) siblings.push(other.id);
  }
  await tx.empiReview.updateMany({ where: { id: { in: [reviewId, ...siblings] } }, data: { status, decidedBy: actor, decidedAt: now } });
  // The candidate (the person that was there first) survives.
  const merge = decision === "merge" && candidate !== identity.personId
    ? await mergePersons(tx, candidate, identity.personId, actor, `review ${reviewId}`, now)
    : null;
  await tx.empiEvent.create({
    data: {
      kind: "review", personId: identity.personId, otherPersonId: candidate, identityId: row.identityId, actor,
      detailsJson: JSON.stringify({ reviewId, decision, ...(siblings.length > 0 ? { alsoDecided: siblings } : {}), ...(merge ? { mergeEventId: merge.eventId } : {}) }),
    },
  });
  const [review] = await itemsOf(tx, [{ ...row, status, decidedBy: actor, decidedAt: now }]);
  return { review: review!, decision, alsoDecided: siblings, merge };
}

// The dictionary code mapping's review queue and decisions, kept in the service's database
// (对码审核): a lab result whose local code the mapper cannot place with confidence is quarantined
// and its local code queued once for review; a reviewer's decision is appended (never edited),
// loaded into the running code mapper, and the items waiting for it are marked for replay.
import { platformError } from "@health-chain/sdk";
import type { HisDb, HisTx } from "../db.ts";
import type { CodeMapper, MappingDecision } from "../mapping/index.ts";

/** What a code problem carries (model/transforms.ts, dictionary members). */
interface CodeProblemDetails {
  status?: string;
  localCode?: string;
  localName?: string;
  localUnit?: string | null;
  dictionaryVersion?: string;
  candidates?: unknown;
}

/** Queues the local code of a quarantined item's code problem for review (one open review per local code). */
export async function queueCodeReview(tx: HisTx, institution: string, details: CodeProblemDetails): Promise<void> {
  if (!details.localCode || !details.dictionaryVersion) return;
  const key = { dictionary: details.dictionaryVersion, institution, localCode: details.localCode };
  const proposalJson = JSON.stringify(details);
  const data = { localName: details.localName ?? "", localUnit: details.localUnit ?? "", proposalJson };
  const existing = await tx.codeMappingReview.findUnique({ where: { dictionary_institution_localCode: key }, select: { status: true } });
  if (existing === null) {
    await tx.codeMappingReview.create({ data: { ...key, ...data } });
    return;
  }
  if (existing.status === "decided") {
    // A rejection ("no standard code") is the answer for every later item of that local code: it is
    // not asked again. A code that comes back although it was mapped needs another look.
    const latest = await tx.codeMappingDecision.findFirst({ where: key, orderBy: { version: "desc" }, select: { standardCode: true } });
    if (latest !== null && latest.standardCode === null) return;
  }
  await tx.codeMappingReview.update({ where: { dictionary_institution_localCode: key }, data: { ...data, status: "open" } });
}

/** Loads the decisions not yet in the mapper's log (all at start; then the new ones on each poll). Returns the last id loaded. */
export async function loadCodeDecisions(db: HisDb, mapper: CodeMapper, afterId = 0): Promise<number> {
  if (!mapper.decisions) return afterId;
  const rows = await db.codeMappingDecision.findMany({ where: { id: { gt: afterId }, dictionary: mapper.dictionary.version }, orderBy: { id: "asc" } });
  let last = afterId;
  for (const row of rows) {
    const d = JSON.parse(row.decisionJson) as MappingDecision;
    mapper.decisions.record({
      institution: d.institution,
      localCode: d.localCode,
      code: d.code,
      action: d.action,
      reviewer: d.reviewer,
      decidedAt: d.decidedAt,
      note: d.note,
      proposedCode: d.proposedCode,
      proposedScore: d.proposedScore,
      dictionaryVersion: d.dictionaryVersion,
    });
    last = row.id;
  }
  return last;
}

export interface CodeDecisionInput {
  /** The standard code to map to, or null: no standard code fits (the items stay quarantined). */
  readonly code: string | null;
  readonly reviewer: string;
  readonly note?: string;
}

/**
 * Decides an open review: appends the decision (version + 1 for the local code), closes the review and
 * marks the open quarantined items of that local code for replay. The running service loads the
 * decision at its next poll; so does any other process reading the same database.
 */
export async function decideCodeReview(db: HisDb, reviewId: number, input: CodeDecisionInput, knownCode: (code: string) => boolean): Promise<{ version: number; replayRequested: number }> {
  if (input.reviewer.trim() === "") {
    throw platformError("INVALID_INPUT", { message: "A decision needs its reviewer.", messageZh: "对码决定须注明复核人。", details: { reviewId } });
  }
  if (input.code !== null && !knownCode(input.code)) {
    throw platformError("INVALID_INPUT", {
      message: `Standard code ${input.code} is not in the dictionary.`,
      messageZh: `标准编码 ${input.code} 不在标准字典中。`,
      details: { reviewId, code: input.code },
    });
  }
  return db.$transaction(async (tx) => {
    const review = await tx.codeMappingReview.findUnique({ where: { id: reviewId } });
    if (!review || review.status !== "open") {
      throw platformError("NOT_FOUND", { message: `No open code review ${reviewId}.`, messageZh: `没有待复核的对码条目 ${reviewId}。`, details: { reviewId } });
    }
    const previous = await tx.codeMappingDecision.findFirst({ where: { dictionary: review.dictionary, institution: review.institution, localCode: review.localCode }, orderBy: { version: "desc" } });
    const proposal = JSON.parse(review.proposalJson) as { candidates?: { code: string; score: number }[] };
    const best = proposal.candidates?.[0];
    const version = (previous?.version ?? 0) + 1;
    const decision: Omit<MappingDecision, "sequence" | "version" | "supersedes"> = {
      institution: review.institution,
      localCode: review.localCode,
      code: input.code,
      action: input.code === null ? "reject" : best && best.code === input.code ? "accept-candidate" : "accept-code",
      reviewer: input.reviewer,
      decidedAt: new Date().toISOString(),
      note: input.note ?? "",
      proposedCode: best?.code ?? null,
      proposedScore: best?.score ?? 0,
      dictionaryVersion: review.dictionary,
    };
    await tx.codeMappingDecision.create({
      data: { dictionary: review.dictionary, institution: review.institution, localCode: review.localCode, version, standardCode: input.code, decidedBy: input.reviewer, decisionJson: JSON.stringify(decision) },
    });
    await tx.codeMappingReview.update({ where: { id: reviewId }, data: { status: "decided" } });
    let replayRequested = 0;
    if (input.code !== null) {
      // The items of this local code wait in the quarantine: the scheduler replays them.
      const waiting = await tx.quarantineItem.findMany({ where: { status: "open", stage: "code" }, select: { id: true, detailsJson: true, itemJson: true } });
      const ids = waiting
        .filter((q) => {
          const item = q.itemJson ? (JSON.parse(q.itemJson) as { institutionCode?: string }) : null;
          const details = q.detailsJson ? (JSON.parse(q.detailsJson) as { problems?: { details?: CodeProblemDetails }[] }) : null;
          return item?.institutionCode === review.institution && (details?.problems ?? []).some((p) => p.details?.localCode === review.localCode);
        })
        .map((q) => q.id);
      if (ids.length > 0) {
        replayRequested = (await tx.quarantineItem.updateMany({ where: { id: { in: ids } }, data: { replayRequestedAt: new Date(), replayRequestedBy: input.reviewer } })).count;
      }
    }
    return { version, replayRequested };
  });
}

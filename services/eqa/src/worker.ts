// The EQA worker: what the centre's requests through the gateway set in motion, taken from the
// database in turn — evaluation requests (oldest first), the documents of published rounds (a
// slice of labs per pass, so anchoring starts before the last report is rendered), and the
// anchoring of pending documents. Several workers may run: an evaluation request is claimed by a
// conditional update, and a lab's documents are unique by number, so two workers cannot issue the
// same document twice (the loser's transaction fails and the lab is skipped).
import type { Logger } from "pino";
import type { EqaDb } from "./db.ts";
import { anchorPendingDocuments, type AnchorPendingResult, type CertificateAnchorer } from "./publication/anchor.ts";
import { evaluateStoredRound } from "./publication/evaluate.ts";
import { publishRoundDocuments, type PublishOptions, type PublishResult } from "./publication/publish.ts";

export interface WorkerOptions {
  /** Who the worker acts as in audit records (e.g. "eqa-system"). */
  actor: string;
  publish: Omit<PublishOptions, "actor" | "now" | "maxLabs">;
  /** Labs whose documents are rendered per pass (default 50). */
  labsPerPass?: number;
  /** Anchoring: absent, documents stay pending (a centre may anchor from another process). */
  anchoring?: { anchorer: CertificateAnchorer; privateKey: string; concurrency?: number };
  log?: Pick<Logger, "info" | "warn" | "error">;
  now?: () => Date;
}

export interface WorkerPass {
  evaluated: { round: string; version: number }[];
  evaluationErrors: { round: string; error: string }[];
  published: PublishResult[];
  anchoring: AnchorPendingResult | null;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return `${(error as { code?: string }).code ?? error.name}: ${error.message}`;
  return String(error);
}

/** One pass of everything pending; returns what it did. */
export async function runWorkerPass(db: EqaDb, options: WorkerOptions): Promise<WorkerPass> {
  const now = options.now ?? (() => new Date());
  const pass: WorkerPass = { evaluated: [], evaluationErrors: [], published: [], anchoring: null };

  const requests = await db.evaluationRequest.findMany({ where: { startedAt: null }, orderBy: { id: "asc" }, select: { id: true, requestedBy: true, round: { select: { code: true } } } });
  for (const request of requests) {
    const claimed = await db.evaluationRequest.updateMany({ where: { id: request.id, startedAt: null }, data: { startedAt: now() } });
    if (claimed.count === 0) continue;
    try {
      const stored = await evaluateStoredRound(db, request.round.code, request.requestedBy, now());
      await db.evaluationRequest.update({ where: { id: request.id }, data: { finishedAt: now() } });
      pass.evaluated.push({ round: request.round.code, version: stored.version });
      options.log?.info({ round: request.round.code, version: stored.version, consistency: stored.evaluation.consistency.status }, "round evaluated");
    } catch (error) {
      const message = messageOf(error);
      await db.evaluationRequest.update({ where: { id: request.id }, data: { finishedAt: now(), error: message.slice(0, 2000) } });
      pass.evaluationErrors.push({ round: request.round.code, error: message });
      options.log?.warn({ round: request.round.code, error: message }, "evaluation failed");
    }
  }

  // Published rounds with fewer reports than enrolled labs.
  const rounds = await db.round.findMany({
    where: { status: "published" },
    select: { code: true, id: true, _count: { select: { enrolments: true } } },
    orderBy: { id: "asc" },
  });
  for (const round of rounds) {
    const reports = await db.document.count({ where: { roundId: round.id, kind: "report" } });
    if (reports >= round._count.enrolments) continue;
    try {
      const published = await publishRoundDocuments(db, round.code, { ...options.publish, actor: options.actor, now: now(), maxLabs: options.labsPerPass ?? 50 });
      if (published.labsIssued > 0 || published.failed.length > 0) {
        pass.published.push(published);
        options.log?.info({ round: published.round, labsIssued: published.labsIssued, labsRemaining: published.labsRemaining, documents: published.documents }, "documents issued");
        for (const f of published.failed) options.log?.error({ round: published.round, lab: f.lab, error: f.error }, "issuing a lab's documents failed; retried at the next pass");
      }
    } catch (error) {
      options.log?.error({ round: round.code, error: messageOf(error) }, "issuing documents failed");
    }
  }

  if (options.anchoring) {
    pass.anchoring = await anchorPendingDocuments(db, options.anchoring.anchorer, {
      privateKey: options.anchoring.privateKey,
      ...(options.anchoring.concurrency === undefined ? {} : { concurrency: options.anchoring.concurrency }),
    });
    if (pass.anchoring.anchored + pass.anchoring.superseded > 0 || pass.anchoring.failed.length > 0) {
      options.log?.info({ anchored: pass.anchoring.anchored, superseded: pass.anchoring.superseded, failed: pass.anchoring.failed.length }, "documents anchored");
    }
  }
  return pass;
}

/** Whether a pass did anything (the serve loop sleeps only after an idle pass). */
export function passDidWork(pass: WorkerPass): boolean {
  // A lab that keeps failing is retried at the next poll, not in a busy loop.
  const issued = pass.published.some((p) => p.labsIssued > 0);
  return pass.evaluated.length + pass.evaluationErrors.length > 0 || issued || (pass.anchoring !== null && pass.anchoring.anchored + pass.anchoring.superseded > 0);
}

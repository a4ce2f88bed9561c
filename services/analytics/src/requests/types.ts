// The records of a screening request (检索需求) and of its runs. Only protected numbers ever appear
// here: a run record is what the sponsor may see, so it is also exactly what the history keeps.
import type { FunnelStep } from "../engine/compile.ts";
import type { Criteria } from "../criteria/schema.ts";
import type { Bilingual, ProtectedCounts, ProtectedFunnel } from "../privacy/index.ts";

export type RequestStatus = "submitted" | "approved" | "rejected";

/** A reviewer's decision; the reason is required for approval and rejection alike. */
export interface Review {
  readonly reviewer: string;
  readonly decision: "approved" | "rejected";
  readonly reason: string;
  readonly at: string;
}

/** The protected funnel of one institution (or of the total), with its plan (steps without counts). */
export interface InstitutionFunnel {
  readonly institution: string;
  readonly funnel: ProtectedFunnel;
}

/** One run of an approved request: protected results only, keyed by the query fingerprint. */
export interface RunRecord {
  readonly runId: string;
  readonly requestId: string;
  readonly at: string;
  readonly by: string;
  /** SM3 fingerprint of {criteria, indexDate, dataVersions}: the perturbation key of the table and total funnel. */
  readonly fingerprint: string;
  /** The data version each institution ran on. */
  readonly dataVersions: Readonly<Record<string, string>>;
  /** The funnel's steps (population, inclusions, exclusions) without counts, shared by every funnel below. */
  readonly plan: readonly Omit<FunnelStep, "residents">[];
  /** Residents meeting the criteria per institution, with the total. */
  readonly counts: ProtectedCounts;
  readonly funnels: readonly InstitutionFunnel[];
  readonly totalFunnel: ProtectedFunnel;
  readonly note: Bilingual;
}

export interface ScreeningRequest {
  readonly id: string;
  readonly sponsor: string;
  readonly title: string;
  readonly purpose: string;
  /** The tree as parseCriteria returned it. */
  readonly criteria: Criteria;
  readonly indexDate: string;
  /** Institution codes the request targets, in the sponsor's order. */
  readonly institutions: readonly string[];
  readonly status: RequestStatus;
  readonly submittedAt: string;
  readonly review: Review | null;
  readonly runs: readonly RunRecord[];
}

/** One line of the append-only history. */
export type HistoryEntry =
  | { readonly kind: "submitted"; readonly requestId: string; readonly at: string; readonly actor: string }
  | { readonly kind: "reviewed"; readonly requestId: string; readonly at: string; readonly actor: string; readonly review: Review }
  | { readonly kind: "run"; readonly requestId: string; readonly at: string; readonly actor: string; readonly run: RunRecord };


// Review of a submitted request by a platform reviewer: approve or reject, always with a reason.
// A request is reviewed once; the sponsor cannot review their own request (separation of duties).
import { isPlatformError } from "@health-chain/sdk";
import { requestError, requireText } from "./refuse.ts";
import type { RequestStore } from "./store.ts";
import type { ClockOptions } from "./submit.ts";
import type { Review, ScreeningRequest } from "./types.ts";

export interface ReviewInput {
  readonly reviewer: string;
  readonly decision: "approved" | "rejected";
  readonly reason: string;
}

/** Loads a request or throws NOT_FOUND. */
export async function getRequest(store: RequestStore, id: string): Promise<ScreeningRequest> {
  const request = typeof id === "string" ? await store.get(id) : undefined;
  if (request === undefined) {
    throw requestError("NOT_FOUND", { requestId: String(id) }, `There is no screening request ${String(id)}.`, `不存在检索需求 ${String(id)}。`);
  }
  return request;
}

/**
 * Records the decision on a `submitted` request. Refuses (nothing changed): a missing reviewer or
 * reason or an unknown decision (INVALID_INPUT), an unknown request (NOT_FOUND), the sponsor as
 * reviewer (FORBIDDEN), a request already reviewed (CONFLICT).
 */
export async function reviewRequest(store: RequestStore, id: string, input: ReviewInput, options: ClockOptions = {}): Promise<ScreeningRequest> {
  const reviewer = requireText(input?.reviewer, "reviewer", "审核人", 200);
  if (input.decision !== "approved" && input.decision !== "rejected") {
    throw requestError("INVALID_INPUT", { field: "decision" }, "The decision must be approved or rejected.", "审核结论必须是 approved（批准）或 rejected（驳回）。");
  }
  const reason = requireText(input.reason, "reason", "审核理由", 4000);
  const request = await getRequest(store, id);
  if (request.sponsor === reviewer) {
    throw requestError("FORBIDDEN", { requestId: id }, "A sponsor cannot review their own request.", "申请人不能审核自己的检索需求。");
  }
  const alreadyReviewed = (status: string) =>
    requestError(
      "CONFLICT",
      { requestId: id, status, reason: "already-reviewed" },
      `The request has already been ${status}.`,
      `该检索需求已被${status === "approved" ? "批准" : "驳回"}。`,
    );
  if (request.status !== "submitted") throw alreadyReviewed(request.status);
  const review: Review = { reviewer, decision: input.decision, reason, at: (options.now?.() ?? new Date()).toISOString() };
  const updated: ScreeningRequest = { ...request, status: input.decision, review };
  try {
    await store.save(updated, { kind: "reviewed", requestId: id, at: review.at, actor: reviewer, review }, { replacing: request });
  } catch (error) {
    // Another reviewer decided meanwhile: theirs stands, this one is refused as a second review.
    if (isPlatformError(error, "CONFLICT")) throw alreadyReviewed((await getRequest(store, id)).status);
    throw error;
  }
  return updated;
}

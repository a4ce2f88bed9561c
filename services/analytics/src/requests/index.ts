// Screening requests (检索需求): submit, review, run at each institution with protected counts, history.
export type { RequestStatus, Review, RunRecord, InstitutionFunnel, ScreeningRequest, HistoryEntry } from "./types.ts";
export { type RequestStore, type SaveOptions, changedConcurrently, memoryRequestStore } from "./store.ts";
export { type SubmitRequestInput, type ClockOptions, submitRequest } from "./submit.ts";
export { type ReviewInput, reviewRequest, getRequest } from "./review.ts";
export { type RunRequestOptions, runRequest } from "./run.ts";
export { queryFingerprint } from "./fingerprint.ts";
export { alignFunnelWithCell } from "./align.ts";
export { sponsorHistory } from "./history.ts";

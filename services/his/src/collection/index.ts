// Collection (采集): tasks, runs, the page pipeline, the quarantine, pushes, code reviews and the scheduler.
export type { MapItem, ResidentLinker, ResidentDirectory } from "./ports.ts";
export * from "./ids.ts";
export * from "./tasks.ts";
export { processPage, consentFieldsOf, emptyCounts, addCounts, type PipelineContext, type PageCounts, type PageInput, type ItemOutcome, type Problem as HeldProblem } from "./process.ts";
export * from "./runner.ts";
export * from "./quarantine.ts";
export * from "./push.ts";
export * from "./code-reviews.ts";
export * from "./scheduler.ts";

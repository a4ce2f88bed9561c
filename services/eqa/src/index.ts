// The EQA service's public surface. The statistics are exported flat (they are the most reused);
// the other parts by name, so that their types (a model's RoundInput, the evaluation's RoundInput)
// never clash.
export * from "./statistics/index.ts";
export * as evaluation from "./evaluation/index.ts";
export * as homogeneityStudy from "./homogeneity/index.ts";
export * as intake from "./intake/index.ts";
export * as model from "./model/index.ts";
export * as recognition from "./recognition/index.ts";
export * as reports from "./reports/index.ts";
export type * from "./types.ts";
export { migrateEqaDatabase, openEqaDatabase, type EqaDb, type EqaDatabase } from "./db.ts";
export { runWorkerPass, type WorkerOptions, type WorkerPass } from "./worker.ts";

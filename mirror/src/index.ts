// The public surface of the mirror (docs/MIRROR.md).
export * from "./db/index.ts";
export * from "./config.ts";
export * from "./database.ts";
export * from "./events.ts";
export * from "./projections.ts";
export * from "./store.ts";
export * from "./indexer.ts";
export * from "./metrics.ts";
export * from "./verify.ts";
export * from "./queries.ts";
export * from "./mirror.ts";

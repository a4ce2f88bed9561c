// The analytics service's public surface: the screening criteria language, its evaluation in
// DuckDB (with the reference evaluator the tests compare against), and the privacy protections
// of what leaves an institution (small cells of counts, k-anonymity of exports), and the
// screening-request workflow (submit, review, run locally, protected counts, history).
export * from "./criteria/index.ts";
export * from "./engine/index.ts";
export * from "./privacy/index.ts";
export * from "./requests/index.ts";
export * from "./exports/index.ts";
export * from "./reports/index.ts";
export * from "./topics/index.ts";

// The public surface of services/his.
export * from "./synthetic/index.ts";
export * from "./mapping/index.ts";

// Configurable anchoring (可配置化数据上链): the policy, the worker and the gateway anchorer.
export * from "./policy.ts";
export * from "./anchor.ts";
export * from "./gateway.ts";

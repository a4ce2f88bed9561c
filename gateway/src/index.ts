// The public surface of @health-chain/gateway (docs/GATEWAY.md). The typed client for the apps is
// `@health-chain/gateway/client`.
export { createGateway, type AppType, type CreateGatewayOptions, MAX_BODY_BYTES } from "./app.ts";
export { startGateway, createDeps, syncRegistry, type RunningGateway, type RunningDeps, type CreateDepsOptions, type StartGatewayOptions } from "./server.ts";
export { loadConfig, parseConfig, DEV_CHAIN_IDS, type GatewayConfig, type GatewayConfigFile } from "./config.ts";
export { ROLES, systemClock, type Role, type Principal, type GatewayDeps, type GatewayEnv, type Clock } from "./context.ts";
export { createChainAccess, jsonArgs, type ChainAccess, type SentTransaction, type DecodedEvent } from "./chain.ts";
export { migrateGatewayDatabase, openGatewayDatabase, GATEWAY_MIGRATIONS_DIR, type GatewayDb, type GatewayTx } from "./db.ts";
export { createRouter, BEARER } from "./router.ts";
export { ErrorBodySchema, errorResponses, errorBody, type ErrorBody } from "./errors.ts";
export { requirePermission, loadRbac, createRbac, assertResidentSelf, assertInstitutionAccess, canSee, institutionOf, type Rbac } from "./middleware/rbac.ts";
export { principalOf, requireAuth } from "./middleware/auth.ts";
export { idempotent, type IdempotencyClaim } from "./middleware/idempotency.ts";
export { audited, recordAudit, type AuditFacts } from "./audit-log.ts";
export { notify, type NotificationKind } from "./notify.ts";
export { createMetrics, type GatewayMetrics } from "./metrics.ts";

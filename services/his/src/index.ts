// The public surface of services/his.
export * from "./synthetic/index.ts";
export * from "./mapping/index.ts";
export * from "./adapters/types.ts";
export * from "./adapters/sql/index.ts";
export * from "./adapters/fhir/index.ts";
export * from "./adapters/hl7v2/index.ts";
export * from "./model/index.ts";
export * from "./empi/index.ts";
export * from "./deid/index.ts";
export * from "./config/versions.ts";
export * from "./collection/index.ts";
export * from "./anchoring/index.ts";
export { openHisService, adapterOfTask, reparse, type HisService, type HisServiceOptions } from "./service.ts";
export { migrateHisDatabase, openHisDatabase, HIS_MIGRATIONS_DIR, type HisDb, type HisTx, type HisDatabase } from "./db.ts";

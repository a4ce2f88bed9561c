// Source adapter (a): the regional platform's SQL intermediate tables (中间库), SQLite or PostgreSQL.
export { createSqlAdapter, MAX_SQL_PAGE, type SqlAdapterOptions } from "./adapter.ts";
export {
  DEFAULT_SQL_COLUMN_MAP, resolveColumnMap, type ColumnSpec, type ResolvedField, type ResolvedTableMap, type SqlColumnMap, type SqlTableMap,
} from "./column-map.ts";
export { CODE_MEMBER_VALUES, PAYLOAD_MEMBERS, type MemberShape } from "./members.ts";
export {
  ABNORMAL_FLAG_CODES, COMMON_COLUMNS, CORRECTION_CODES, ENCOUNTER_TYPE_CODES, INTERMEDIATE_TABLES, OUTCOME_CODES, SEQUENCE_TABLE, SEX_CODES,
  intermediateSchemaDdl, tableColumns, type CodeDomain, type IntermediateTable, type PayloadColumn, type SqlColumnType, type SqlDialect,
} from "./schema.ts";
export type { SqlRejectReason } from "./values.ts";
export { createIntermediateSchema, writeIntermediateTables, type WriteIntermediateOptions, type WriteIntermediateResult } from "./writer.ts";

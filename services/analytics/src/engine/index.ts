// The query engine: the event model in DuckDB, criteria compiled to one parameterised statement,
// and the reference evaluator the tests check DuckDB against.
export {
  createSchema,
  loadRows,
  schemaSql,
  epochDay,
  type ResidentRow,
  type DiagnosisRow,
  type LabRow,
  type MedicationRow,
  type EventTables,
  type TableName,
} from "./schema.ts";
export { compileCohort, compileCount, compileFunnel, funnelPlan, type CompiledQuery, type FunnelStep } from "./compile.ts";
export { countResidents, funnel } from "./run.ts";
export { referenceCount, referenceFunnel } from "./reference.ts";
export { resolveCriteria, yearsBefore, type EvaluationOptions, type ResolvedCriteria, type ResolvedLeaf, type LabBand } from "./resolve.ts";

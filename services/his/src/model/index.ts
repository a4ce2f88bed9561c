// Standard model management (数据标准模型管理, issue 6): data elements, value domains and record
// models as versioned configuration; per-source mapping rules; mapping source items to standard
// records; the quality report of a run.
export * from "./schema.ts";
export { type ConfigProblem } from "./config-problems.ts";
export { type Representation, parseFormat, canonicalDate, canonicalDateTime, isCanonicalDate, isCanonicalDateTime } from "./representation.ts";
export { isValidLoinc, loincCheckDigit } from "./check-digits.ts";
export { type DomainChecker, type DomainFailure, type DomainReason, domainChecker } from "./domains.ts";
export { DEFAULT_STANDARD_DIR, type ElementChecker, type Standard, type ValueFailure, type ValueReason, loadStandard, validateStandard } from "./standard.ts";
export { type CompiledKind, type CompiledMember, type CompiledRules, DEFAULT_RULES_DIR, compileRules, loadMappingRules, parseMappingRules } from "./rules.ts";
export * from "./result.ts";
export { type MapContext, compiledRules, mapToStandard } from "./map.ts";
export { proposeCached } from "./dictionary-cache.ts";
export * from "./quality.ts";
export * from "./publish.ts";
export { itemOfSynthetic } from "./synthetic-item.ts";

// The privacy protections of analytics results: small-cell suppression of counts and funnels, and
// k-anonymity of exports.
export { type Bilingual } from "./invalid.ts";
export { type SmallCellMode, type SmallCellPolicy, SMALL_CELL_MODES, DEFAULT_SMALL_CELL_POLICY, smallCellPolicy } from "./policy.ts";
export { type PerturbationContext, perturbationNoise } from "./perturbation.ts";
export { type ProtectedCell, type ShownCell, type SuppressedCell, isSuppressedCell } from "./cell.ts";
export { type CountCell, type ProtectCountsOptions, type ProtectedCounts, protectCounts, cellsToSuppress } from "./suppression.ts";
export { type ProtectFunnelOptions, type ProtectedFunnel, protectFunnel, funnelStepsToSuppress } from "./funnel.ts";
export {
  type QuasiIdentifierKind,
  QUASI_IDENTIFIER_KINDS,
  HIERARCHY_LEVELS,
  SUPPRESSED_VALUE,
  generaliseValue,
} from "./hierarchy.ts";
export {
  type QuasiIdentifier,
  type ExportRow,
  type EquivalenceClass,
  type KAnonymityCheck,
  type GeneraliseOptions,
  type GeneralisationReport,
  type GeneraliseOutcome,
  checkKAnonymity,
  generalise,
} from "./k-anonymity.ts";

// The screening criteria language: a JSON tree of and/or/not over diagnosis, lab, medication and
// demographic leaves, with time windows and temporal relations (docs/criteria.md).
export { parseCriteria, leavesOf } from "./parse.ts";
export {
  CriteriaSchema,
  isIsoDate,
  type Criteria,
  type LeafCriterion,
  type EventCriterion,
  type DiagnosisCriterion,
  type LabCriterion,
  type MedicationCriterion,
  type DemographicCriterion,
  type TimeWindow,
  type Within,
} from "./schema.ts";
export { LAB_ANALYTES, analyteOfLoinc, unitOfAnalyte, convertLabValue, type LabAnalyte, type AnalyteUnit } from "./units.ts";
export { ICD10_CRITERION_PATTERN, ATC_CRITERION_PATTERN, icd10Match } from "./codes.ts";
export { toPointer, type NodePath } from "./refuse.ts";

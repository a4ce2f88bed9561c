// EMPI (居民主索引, issue 6): deterministic and probabilistic linkage of institutions' patient
// registrations to residents, merge and unmerge with history, the review queue and the
// patient – encounter – document view.
export { createEmpi, type Empi, type PatientKey } from "./empi.ts";
export type { LinkResult } from "./link.ts";
export type { IdentityMove, MergeResult, MoveResult, UnmergeResult } from "./merge.ts";
export type { EmpiReviewItem, OpenReviewsQuery, ReviewDecision, ReviewDecisionResult } from "./review.ts";
export type { EmpiHistoryEvent, EncounterView, PersonIdentityView, PersonView, RecordView } from "./view.ts";
export { resolveEmpiOptions, type EmpiOptions, type ResolvedEmpiOptions } from "./options.ts";
export {
  DEFAULT_MATCH_PROBABILITIES, DEFAULT_MATCH_THRESHOLDS, weightsOf, type LevelProbabilities, type MatchProbabilities, type MatchThresholds, type MatchWeights,
} from "./weights.ts";
export { compareBirthDate, compareIdNumber, compareName, comparePhone, compareSex, editDistance, FIELD_LEVELS, MATCH_FIELDS, type AgreementLevel, type MatchField } from "./compare.ts";
export { comparePerson, decideMatch, type ComparisonFlag, type FieldComparison, type MatchDecision, type PersonComparison } from "./decide.ts";
export {
  normalizeIdNumber, normalizePersonName, normalizePhone, normalizeRegistration, registrationProblems, type EmpiRegistration, type EmpiSex, type NormalizedRegistration,
} from "./registration.ts";
export type { LinkMethod } from "./identity.ts";
export { pairwiseQuality, type LinkageQuality } from "./evaluate.ts";
export { registrationOfRecord } from "./synthetic.ts";

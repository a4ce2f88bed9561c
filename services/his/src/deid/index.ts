// De-identification and encryption (数据加密脱敏): versioned per-field policies applied to standard
// records before they are shared or exported, each use recorded.
export * from "./policy.ts";
export { type DeidPolicyProblem, deidPolicyProblems, validateDeidPolicy } from "./validate.ts";
export { type DeidSecrets, MIN_SECRET_LENGTH, createDeidSecrets, deidSecretsFromEnv, deidSecretEnvName } from "./secrets.ts";
export {
  type CompileDeidOptions, type DeidApplied, type DeidContext, type DeidOutcome, type DeidRecordInput, type DeidRecordOutput, type DeidResult,
  type DeidTransform, type DeidUnusableReason, compileDeidPolicy,
} from "./compile.ts";
export { openDeidValue } from "./encrypt.ts";
export { truncateAddress } from "./address.ts";
export { maskText } from "./mask.ts";
export { personDateShift } from "./keyed.ts";
export {
  DEID_POLICY_KIND, type DeidPolicyVersion, type DeidUseRecord, activeDeidPolicy, checkDeidPolicyVersion, deidPolicyHistory, deidPolicyVersion,
  deidUses, publishDeidPolicy, recordDeidUse,
} from "./versions.ts";
export {
  type DeidRuleSummary, type DeidUnusableValue, type DeidentifyOptions, type DeidentifyResult, deidentify,
} from "./deidentify.ts";
export { type DeidQuasiIdentifier, coarsenDeidPolicy, coarsenDeidRule, deidQuasiIdentifiers } from "./quasi.ts";
export { DEID_POLICY_DIR, EXAMPLE_DEID_POLICIES, type ExampleDeidPolicyName, exampleDeidPolicy, loadDeidPolicyFile } from "./examples.ts";

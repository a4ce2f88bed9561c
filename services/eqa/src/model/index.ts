// Plans, rounds, samples, laboratories and enrolments of the EQA service.
export { analyteDefinitionSchema, validateAnalyteDefinitions } from "./analyte-definition.ts";
export { writeAudit, type AuditAction, type AuditRecord } from "./audit.ts";
export { conflict, notFound, type InputIssue, type RefusalReason } from "./errors.ts";
export { expectedValueIssues } from "./expected-value.ts";
export { registerLab, type LabInput, type LabLevel } from "./labs.ts";
export { createPlan, type CreatedPlan, type PlanInput } from "./plans.ts";
export { cachedRoundContext, loadRoundContext, type RoundContext, type RoundStatus } from "./round-context.ts";
export { createRound, enrolLabs, getRound, setRoundStatus, type EnrolmentStatus, type RoundInput, type RoundView } from "./rounds.ts";

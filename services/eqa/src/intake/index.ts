// Result intake: validation of entries, draft saves, submission with lock, unlock requests, resets,
// non-participation, the lab's status, and the round's results for the evaluation.
export { normaliseNumberText, parseDecimal, roundDecimal, toNumber, type ParsedDecimal, type ParseFailure } from "./decimal.ts";
export { checkEntries, MAX_ENTRIES, type AcceptedEntry } from "./entries.ts";
export { registerNonParticipation, type NonParticipationInput } from "./non-participation.ts";
export { auditTrail, resultsOfRound, type AuditEntry, type RoundResult } from "./read.ts";
export { resetResults, type ResetResultsInput } from "./reset.ts";
export { saveResults, type SaveResultsInput } from "./save.ts";
export { intakeCounts, labStatus, type IntakeCounts, type LabStatus } from "./status.ts";
export { completenessErrors, submitResults, type SubmitResultsInput } from "./submit.ts";
export type { FieldError, FieldErrorCode, ResultEntry } from "./types.ts";
export { decideUnlock, DEFAULT_CORRECTION_HOURS, requestUnlock, type UnlockDecisionInput, type UnlockRequestInput } from "./unlock.ts";
export { validateEntry, ZONE_MM, type EntryValidation } from "./validate-entry.ts";

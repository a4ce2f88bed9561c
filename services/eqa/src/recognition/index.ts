export { RECOGNITION_STATEMENT_FORMAT, certificateIdOf, parseStatement, statementBytes, statementHash } from "./statement.ts";
export type { RecognisedAnalyte, RecognitionStatement } from "./statement.ts";
export { recognitionAt } from "./answer.ts";
export type { AnchoredCertificate, CandidateVerdict, CandidateView, RecognitionAnswer, StatementCandidate } from "./answer.ts";

// The typed errors of the model and the intake, in one place so that every refusal carries the
// same shape: a stable platform code, English and Chinese messages, and machine-readable details
// (`details.reason` for the CONFLICT refusals the gateway and the web app branch on).
import { platformError, type HealthChainError } from "@health-chain/sdk";

/** Why a state-dependent operation was refused (details.reason of a CONFLICT). */
export type RefusalReason =
  | "notOpen"
  | "deadlinePassed"
  | "locked"
  | "nonParticipating"
  | "notEnrolled"
  | "alreadyExists"
  | "transition"
  | "evaluated"
  | "notLocked"
  | "pendingRequest"
  | "decided";

export function conflict(reason: RefusalReason, message: string, messageZh: string, details: Record<string, unknown> = {}): HealthChainError {
  return platformError("CONFLICT", { message, messageZh, details: { reason, ...details } });
}

export function notFound(what: "plan" | "round" | "lab" | "unlockRequest", code: string | number): HealthChainError {
  const zh = { plan: "质评计划", round: "质评轮次", lab: "实验室", unlockRequest: "解锁申请" }[what];
  const en = { plan: "plan", round: "round", lab: "laboratory", unlockRequest: "unlock request" }[what];
  return platformError("NOT_FOUND", {
    message: `No ${en} "${code}".`,
    messageZh: `${zh}“${code}”不存在。`,
    details: { [what]: code },
  });
}

/** One problem of a structured input (a plan, a round, a lab), by its path. */
export interface InputIssue {
  path: string;
  message: string;
  messageZh: string;
}

export function invalidInput(what: string, whatZh: string, issues: InputIssue[]): HealthChainError {
  const first = issues[0];
  return platformError("INVALID_INPUT", {
    message: `The ${what} is not valid${first ? `: ${first.path ? `${first.path}: ` : ""}${first.message}` : "."}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}`,
    messageZh: `${whatZh}无效${first ? `：${first.path ? `${first.path}：` : ""}${first.messageZh}` : "。"}${issues.length > 1 ? `（另有 ${issues.length - 1} 处）` : ""}`,
    details: { issues },
  });
}

/** A date as ISO text for messages and details. */
export function iso(date: Date): string {
  return date.toISOString();
}

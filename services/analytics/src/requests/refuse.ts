// The refusals of the request workflow: the platform's typed errors with English and Chinese messages.
import { platformError, type ErrorCode, type HealthChainError } from "@health-chain/sdk";

export function requestError(code: ErrorCode, details: Readonly<Record<string, unknown>>, en: string, zh: string): HealthChainError {
  return platformError(code, { details, message: en, messageZh: zh });
}

/** Refuses anything but a non-empty string of at most `max` characters (after trimming). */
export function requireText(value: unknown, field: string, fieldZh: string, max: number): string {
  if (typeof value !== "string" || value.trim().length === 0) {
    throw requestError("INVALID_INPUT", { field }, `The ${field} is required.`, `${fieldZh}为必填项。`);
  }
  const text = value.trim();
  if (text.length > max) {
    throw requestError("INVALID_INPUT", { field, max }, `The ${field} has more than ${max} characters.`, `${fieldZh}超过 ${max} 个字符。`);
  }
  return text;
}

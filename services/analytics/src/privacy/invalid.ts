// The one way this folder refuses bad input: the platform's INVALID_INPUT with both messages and the
// offending details (never the data itself beyond what locates the problem).
import { platformError, type HealthChainError } from "@health-chain/sdk";

/** INVALID_INPUT with an English and a Chinese message. */
export function invalidPrivacyInput(details: Readonly<Record<string, unknown>>, en: string, zh: string): HealthChainError {
  return platformError("INVALID_INPUT", { details, message: en, messageZh: zh });
}

/** A text in English and Chinese, for people who read the result. */
export interface Bilingual {
  readonly en: string;
  readonly zh: string;
}

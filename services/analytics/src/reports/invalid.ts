// The one way the reports refuse bad input: the platform's INVALID_INPUT with both messages and the
// details that locate the problem; nothing is run or changed before it is thrown.
import { platformError, type HealthChainError } from "@health-chain/sdk";

/** INVALID_INPUT for a report definition or its inputs, in English and Chinese. */
export function reportRefusal(details: Readonly<Record<string, unknown>>, en: string, zh: string): HealthChainError {
  return platformError("INVALID_INPUT", { details, message: en, messageZh: zh });
}

// The one way this folder refuses bad input: the platform's INVALID_INPUT with both messages and the
// details that locate the problem (an index, a field name), never the health data itself.
import { platformError, type HealthChainError } from "@health-chain/sdk";

/** INVALID_INPUT with an English and a Chinese message. */
export function invalidExportInput(details: Readonly<Record<string, unknown>>, en: string, zh: string): HealthChainError {
  return platformError("INVALID_INPUT", { details, message: en, messageZh: zh });
}

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

export function isBytes32(value: unknown): value is `0x${string}` {
  return typeof value === "string" && BYTES32.test(value);
}

export function isAddressText(value: unknown): value is `0x${string}` {
  return typeof value === "string" && ADDRESS.test(value);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

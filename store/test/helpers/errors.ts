// Assertions on the platform's typed errors.
import assert from "node:assert/strict";
import { type ErrorCode, isPlatformError } from "@health-chain/sdk";

/** Asserts that a promise (or function) fails with the platform error `code`, and returns it. */
export async function rejectsWith(
  run: Promise<unknown> | (() => unknown),
  code: ErrorCode,
  details: Record<string, unknown> = {},
): Promise<Error & { code: string; details: Readonly<Record<string, unknown>> }> {
  let caught: unknown;
  try {
    await (typeof run === "function" ? run() : run);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught !== undefined, `expected ${code}, but it succeeded`);
  assert.ok(isPlatformError(caught), `expected ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, `expected ${code}, got ${caught.code}: ${caught.message}`);
  for (const [key, value] of Object.entries(details)) assert.deepEqual(caught.details[key], value, `details.${key}`);
  return caught;
}

import assert from "node:assert/strict";
import { isPlatformError } from "@health-chain/sdk";

/** Asserts that `run` throws the platform's INVALID_INPUT error with an English and a Chinese message. */
export function assertInvalidInput(run: () => unknown): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(isPlatformError(error, "INVALID_INPUT"), `expected INVALID_INPUT, got ${String(error)}`);
    assert.ok(error.message.length > 0);
    assert.match(error.messageZh, /[\u4e00-\u9fff]/);
    return true;
  });
}

/** |actual − expected| ≤ tolerance. */
export function assertClose(actual: number, expected: number, tolerance: number): void {
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected} ± ${tolerance}, got ${actual}`);
}

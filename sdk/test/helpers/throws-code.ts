// The assertion the sdk's tests make of every refusal: a platform error of the expected code, with
// an English and a Chinese message, and (where given) naming the offending input.
import assert from "node:assert/strict";
import { isPlatformError, type ErrorCode } from "../../src/errors.ts";

export function throwsCode(fn: () => unknown, code: ErrorCode, what?: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(isPlatformError(error, code), `expected ${code}, got ${String(error)}`);
    assert.ok(error.message.length > 0 && error.messageZh.length > 0, `${code} has both messages`);
    if (what !== undefined) assert.equal(error.details.what, what);
    return true;
  });
}

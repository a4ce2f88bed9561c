import assert from "node:assert/strict";
import { test } from "node:test";
import { concatBytes, constantTimeEqual, toBytes, toHex, utf8 } from "../src/bytes.ts";
import { isPlatformError } from "../src/errors.ts";

test("converts hex with or without 0x to bytes and back", () => {
  assert.deepEqual(toBytes("0x00ff10"), new Uint8Array([0, 255, 16]));
  assert.deepEqual(toBytes("00FF10"), new Uint8Array([0, 255, 16]));
  assert.equal(toHex(new Uint8Array([0, 255, 16])), "0x00ff10");
  assert.equal(toHex(new Uint8Array([0, 255, 16]), false), "00ff10");
  assert.deepEqual(toBytes(""), new Uint8Array());
});

test("rejects odd-length and non-hex strings with INVALID_HEX naming the value", () => {
  for (const bad of ["0x0", "abc", "0xzz", "0x 01"]) {
    assert.throws(
      () => toBytes(bad, "signature"),
      (e: unknown) => isPlatformError(e, "INVALID_HEX") && e.details.what === "signature",
    );
  }
});

test("INVALID_HEX says why, how long and where, never what the value was", () => {
  const cases: readonly [unknown, Record<string, unknown>][] = [
    ["0x0", { what: "key", reason: "odd-length", length: 3 }],
    ["abc", { what: "key", reason: "odd-length", length: 3 }],
    ["0xzz", { what: "key", reason: "non-hex-character", length: 4, index: 2 }],
    ["0x 01", { what: "key", reason: "non-hex-character", length: 5, index: 2 }],
    ["00ff\n", { what: "key", reason: "non-hex-character", length: 5, index: 4 }],
    ["0X00", { what: "key", reason: "non-hex-character", length: 4, index: 1 }],
    ["血糖 5.60 mmol/L", { what: "key", reason: "non-hex-character", length: 14, index: 0 }],
    [42, { what: "key", reason: "not-a-string", type: "number" }],
    [null, { what: "key", reason: "not-a-string", type: "null" }],
  ];
  for (const [value, details] of cases) {
    assert.throws(
      () => toBytes(value as string, "key"),
      (e: unknown) => {
        assert.ok(isPlatformError(e, "INVALID_HEX"), String(e));
        assert.deepEqual(e.details, details, String(value));
        assert.equal(e.cause, undefined);
        if (typeof value === "string" && value.length > 3) {
          assert.ok(!JSON.stringify(e.toJSON()).includes(value) && !e.message.includes(value), "the value is not echoed");
        }
        return true;
      },
    );
  }
});

test("utf8, concatenation and constant-time comparison", () => {
  assert.deepEqual(utf8("医"), new Uint8Array([0xe5, 0x8c, 0xbb]));
  assert.deepEqual(concatBytes(new Uint8Array([1]), new Uint8Array(), new Uint8Array([2, 3])), new Uint8Array([1, 2, 3]));
  assert.equal(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])), true);
  assert.equal(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])), false);
  assert.equal(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 3])), false);
});

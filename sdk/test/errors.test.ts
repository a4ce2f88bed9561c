import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ERROR_CATALOG,
  CryptoError,
  HealthChainError,
  IntegrityError,
  NotFoundError,
  ValidationError,
  isPlatformError,
  platformError,
  type ErrorCode,
} from "../src/errors.ts";

test("every code has an English and a Chinese message and maps to its kind's class and HTTP status", () => {
  const expected: Record<string, [new (...args: never[]) => HealthChainError, number]> = {
    validation: [ValidationError, 400],
    crypto: [CryptoError, 400],
    integrity: [IntegrityError, 422],
    "not-found": [NotFoundError, 404],
  };
  for (const code of Object.keys(ERROR_CATALOG) as ErrorCode[]) {
    const error = platformError(code);
    assert.equal(error.code, code);
    assert.ok(error.message.length > 0 && error.messageZh.length > 0, code);
    assert.match(error.messageZh, /[\u4e00-\u9fff]/, `${code} has a Chinese message`);
    assert.ok(error instanceof HealthChainError && error instanceof Error);
    const kind = expected[error.kind];
    if (kind) {
      assert.ok(error instanceof kind[0], `${code} is a ${kind[0].name}`);
      assert.equal(error.httpStatus, kind[1]);
    }
  }
});

test("carries details, a specific message, the cause and the hint, and serialises them for the gateway", () => {
  const cause = new Error("asn.1 length");
  const error = platformError("INVALID_KEY", {
    details: { length: 31 },
    message: "The SM2 private key must be 32 bytes.",
    messageZh: "SM2 私钥必须为 32 字节。",
    cause,
  });
  assert.equal(error.message, "The SM2 private key must be 32 bytes.");
  assert.equal(error.cause, cause);
  assert.deepEqual(error.toJSON(), {
    code: "INVALID_KEY",
    message: "The SM2 private key must be 32 bytes.",
    messageZh: "SM2 私钥必须为 32 字节。",
    details: { length: 31 },
    hint: {
      en: ERROR_CATALOG.INVALID_KEY.hintEn,
      zh: ERROR_CATALOG.INVALID_KEY.hintZh,
    },
  });
  assert.equal(JSON.parse(JSON.stringify(platformError("FORBIDDEN"))).hint, undefined);
});

test("isPlatformError recognises platform errors and their codes only", () => {
  const error = platformError("UNKNOWN_KEY_ID", { details: { keyId: "k2" } });
  assert.equal(isPlatformError(error), true);
  assert.equal(isPlatformError(error, "UNKNOWN_KEY_ID"), true);
  assert.equal(isPlatformError(error, "INVALID_KEY"), false);
  assert.equal(isPlatformError(new Error("plain")), false);
  assert.equal(isPlatformError({ code: "UNKNOWN_KEY_ID" }), false);
});

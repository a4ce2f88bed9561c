// No error may carry a key, a plaintext or the rejected input value itself — in its details, its
// messages or its cause — since errors are logged and the gateway sends their JSON to clients. Each
// throwing path that sees a key or a plaintext is fed one, and the error is searched for it.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { inspect } from "node:util";
import { toBytes, toHex, utf8 } from "../src/bytes.ts";
import { type ErrorCode, isPlatformError } from "../src/errors.ts";
import {
  MAX_PEM_LENGTH,
  createSm2Signer,
  decryptSm2,
  deriveSm2PublicKey,
  encryptSm2,
  generateSm2KeyPair,
  signSm2,
  signSm2Digest,
  sm2PrivateKeyFromDer,
  sm2PrivateKeyFromPem,
  sm2PrivateKeyToDer,
  sm2PrivateKeyToPem,
  validateSm2PrivateKey,
} from "../src/sm2.ts";
import { hmacSm3, sm3 } from "../src/sm3.ts";
import {
  createKeyRing,
  deriveEnvelopeKeys,
  openEnvelope,
  sealEnvelope,
  sm4Ctr,
  sm4DecryptCbc,
  sm4EncryptCbc,
  sm4EncryptEcb,
} from "../src/sm4.ts";

/** Every Uint8Array reachable from a value (details or cause), e.g. key bytes kept in an error. */
function byteArraysIn(value: unknown, seen = new Set<unknown>()): number {
  if (value === null || typeof value !== "object" || seen.has(value)) return 0;
  seen.add(value);
  if (ArrayBuffer.isView(value)) return 1;
  let count = 0;
  for (const key of Object.keys(value)) count += byteArraysIn((value as Record<string, unknown>)[key], seen);
  if (value instanceof Error) count += byteArraysIn(value.cause, seen);
  return count;
}

/**
 * Asserts that `fn` throws a platform error (of `code`) in which none of `secrets` — nor their first
 * 12 characters — appears: not in JSON.stringify(error.toJSON()), not in String(error.cause), not in
 * either message, not anywhere util.inspect shows (details, cause chain, stack); and that no byte
 * array is kept in its details or cause.
 */
function throwsWithoutSecret(fn: () => unknown, code: ErrorCode, secrets: readonly string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(isPlatformError(caught, code), `expected ${code}, got ${inspect(caught)}`);
  const views = [
    ["toJSON", JSON.stringify(caught.toJSON())],
    ["cause", String(caught.cause)],
    ["message", caught.message],
    ["messageZh", caught.messageZh],
    ["inspect", inspect(caught, { depth: Infinity })],
  ] as const;
  for (const secret of secrets) {
    for (const fragment of new Set([secret, secret.slice(0, 12)])) {
      for (const [where, text] of views) {
        assert.ok(!text.includes(fragment), `${code}: the secret ${JSON.stringify(fragment)} appears in ${where}: ${text}`);
      }
    }
  }
  assert.equal(byteArraysIn(caught.details) + byteArraysIn(caught.cause), 0, "no byte array in details or cause");
}

describe("no error carries a key, a plaintext or the rejected value", () => {
  const sm4KeyHex = randomBytes(16).toString("hex");
  const dataKeyHex = randomBytes(32).toString("hex");
  const { privateKey, publicKey } = generateSm2KeyPair();
  const privateHex = toHex(privateKey, false);
  // Plaintext a caller passed as text where bytes or hex were expected (it is even hex-length).
  const diagnosis = "诊断：乙肝表面抗原阳性，患者张三";
  const iv = new Uint8Array(16);

  it("toBytes (INVALID_HEX): a key with a newline, an odd-length key, text given as hex", () => {
    throwsWithoutSecret(() => toBytes(`${dataKeyHex}\n`, "key"), "INVALID_HEX", [dataKeyHex]);
    throwsWithoutSecret(() => toBytes(`0x${dataKeyHex} `, "key"), "INVALID_HEX", [dataKeyHex]);
    throwsWithoutSecret(() => toBytes(dataKeyHex.slice(1), "key"), "INVALID_HEX", [dataKeyHex.slice(1)]);
    throwsWithoutSecret(() => toBytes(diagnosis, "plaintext"), "INVALID_HEX", [diagnosis]);
  });

  it("SM3 and HMAC-SM3: the key, and text given as hex", () => {
    throwsWithoutSecret(() => hmacSm3(`${dataKeyHex}\r\n`, "00"), "INVALID_HEX", [dataKeyHex]);
    throwsWithoutSecret(() => sm3(diagnosis), "INVALID_HEX", [diagnosis]);
  });

  it("SM4 primitives: the key, and the plaintext", () => {
    throwsWithoutSecret(() => sm4Ctr(`${sm4KeyHex}\n`, iv, "00"), "INVALID_HEX", [sm4KeyHex]);
    throwsWithoutSecret(() => sm4EncryptEcb(` ${sm4KeyHex}`, new Uint8Array(16)), "INVALID_HEX", [sm4KeyHex]);
    throwsWithoutSecret(() => sm4DecryptCbc(`${sm4KeyHex}\n`, iv, new Uint8Array(16)), "INVALID_HEX", [sm4KeyHex]);
    throwsWithoutSecret(() => sm4EncryptCbc(sm4KeyHex, iv, diagnosis), "INVALID_HEX", [diagnosis]);
  });

  it("envelope keys and key rings: malformed keys, wrong-length keys, a key given as the key id", () => {
    throwsWithoutSecret(() => deriveEnvelopeKeys(`${dataKeyHex}\n`), "INVALID_HEX", [dataKeyHex]);
    throwsWithoutSecret(() => deriveEnvelopeKeys(dataKeyHex.slice(0, 40)), "INVALID_KEY", [dataKeyHex.slice(0, 40)]);
    // a data key read from an env file with its newline (the details used to be copied in whole)
    throwsWithoutSecret(() => createKeyRing([{ keyId: "k1", key: `${dataKeyHex}\n` }], "k1"), "INVALID_KEY", [dataKeyHex]);
    throwsWithoutSecret(() => createKeyRing([{ keyId: "k1", key: dataKeyHex.slice(0, 40) }], "k1"), "INVALID_KEY", [
      dataKeyHex.slice(0, 40),
    ]);
    // key and key id swapped: a base64 key is not a valid key id, and must not be echoed as one
    const base64Key = randomBytes(32).toString("base64");
    throwsWithoutSecret(() => createKeyRing([{ keyId: base64Key, key: "k1" }], "k1"), "INVALID_INPUT", [base64Key]);
    try {
      createKeyRing([{ keyId: "k1", key: `${dataKeyHex}\n` }], "k1");
    } catch (error) {
      assert.ok(isPlatformError(error, "INVALID_KEY"));
      assert.deepEqual(error.details, {
        what: "envelope data key",
        keyId: "k1",
        entry: 0,
        length: 65,
        expected: [16, 32],
        reason: "non-hex-character",
        index: 64,
      });
      assert.equal(error.cause, undefined);
    }
  });

  it("envelopes: a plaintext given as text, a string AAD", () => {
    const ring = createKeyRing([{ keyId: "k1", key: dataKeyHex }], "k1");
    throwsWithoutSecret(() => sealEnvelope(ring, diagnosis), "INVALID_HEX", [diagnosis]);
    const recordId = "rec-310101-2025-000123";
    throwsWithoutSecret(() => sealEnvelope(ring, utf8("x"), { aad: recordId as unknown as Uint8Array }), "INVALID_INPUT", [recordId]);
    const sealed = sealEnvelope(ring, utf8("x"), { aad: utf8(recordId) });
    throwsWithoutSecret(() => openEnvelope(ring, sealed, { aad: recordId as unknown as Uint8Array }), "INVALID_INPUT", [recordId]);
  });

  it("SM2 private keys, in every function that takes one (INVALID_HEX used to be kept as the cause)", () => {
    const key = `${privateHex}\n`;
    const secrets = [privateHex];
    throwsWithoutSecret(() => signSm2("00", key), "INVALID_KEY", secrets);
    throwsWithoutSecret(() => signSm2Digest(new Uint8Array(32), key), "INVALID_KEY", secrets);
    throwsWithoutSecret(() => createSm2Signer(key), "INVALID_KEY", secrets);
    throwsWithoutSecret(() => validateSm2PrivateKey(` ${privateHex}`), "INVALID_KEY", secrets);
    throwsWithoutSecret(() => deriveSm2PublicKey(key), "INVALID_KEY", secrets);
    throwsWithoutSecret(() => decryptSm2(encryptSm2("01", publicKey), key), "INVALID_KEY", secrets);
    throwsWithoutSecret(() => sm2PrivateKeyToDer(key), "INVALID_KEY", secrets);
    throwsWithoutSecret(() => sm2PrivateKeyToPem(key, { format: "sec1" }), "INVALID_KEY", secrets);
    throwsWithoutSecret(() => validateSm2PrivateKey(privateHex.slice(0, 62)), "INVALID_KEY", [privateHex.slice(0, 62)]);
    const der = toHex(sm2PrivateKeyToDer(privateKey), false);
    throwsWithoutSecret(() => sm2PrivateKeyFromDer(`${der}\n`), "INVALID_KEY", [der, privateHex]);
  });

  it("SM2 private keys in PEM: given where hex is expected, with a broken body, too long", () => {
    const pem = sm2PrivateKeyToPem(privateKey);
    const body = pem.split("\n")[1]!;
    throwsWithoutSecret(() => signSm2("00", pem), "INVALID_KEY", [body, privateHex]);
    const broken = pem.replace(body, `${body.slice(0, 20)}!${body.slice(21)}`);
    throwsWithoutSecret(() => sm2PrivateKeyFromPem(broken), "INVALID_KEY", [body.slice(0, 20), privateHex]);
    const long = `${pem}${"#".repeat(MAX_PEM_LENGTH)}`;
    throwsWithoutSecret(() => sm2PrivateKeyFromPem(long), "INVALID_KEY", [body, privateHex]);
  });

  it("SM2 plaintexts and messages given as text, or with a lone surrogate", () => {
    throwsWithoutSecret(() => encryptSm2(diagnosis, publicKey), "INVALID_HEX", [diagnosis]);
    throwsWithoutSecret(() => signSm2(diagnosis, privateKey), "INVALID_HEX", [diagnosis]);
    throwsWithoutSecret(() => encryptSm2({ utf8: `${diagnosis}\ud800` }, publicKey), "INVALID_INPUT", [diagnosis]);
    throwsWithoutSecret(() => signSm2({ utf8: `${diagnosis}\udc00` }, privateKey), "INVALID_INPUT", [diagnosis]);
    const userId = "医生-D0042-内分泌科";
    throwsWithoutSecret(() => signSm2("00", privateKey, { userId: `${userId}\ud800` }), "INVALID_INPUT", [userId]);
  });
});

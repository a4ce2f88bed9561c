import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import {
  createKeyRing,
  decryptSm2,
  encryptSm2,
  envelopeFromText,
  envelopeToText,
  generateSm2KeyPair,
  openEnvelope,
  parseEnvelope,
  toHex,
  utf8,
} from "@health-chain/sdk";
import {
  createDevKeyring,
  createFsStore,
  createInstitutionStore,
  createReaderOpener,
  createReaderSessionKey,
  openForReader,
  READER_SEAL_ALGORITHM,
  type SealedForReader,
  sealForReader,
} from "../src/index.ts";
import { rejectsWith } from "./helpers/errors.ts";

const granted = { recordId: "rec-310101-2025-000123", results: [{ test: "血糖", value: 5.6, unit: "mmol/L" }] };
const context = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8/rec-310101-2025-000123";

function session() {
  const pair = generateSm2KeyPair();
  return { publicKey: toHex(pair.publicKey), privateKey: toHex(pair.privateKey) };
}

/** The data key of a sealed value, unwrapped by hand as docs describe it (store/README.md). */
function dataKeyOf(sealed: SealedForReader, privateKey: string, ctx: string): Uint8Array {
  const sessionKey = decryptSm2(sealed.wrappedSessionKey, privateKey, { format: "c1c3c2" });
  const ring = createKeyRing([{ keyId: "session", key: sessionKey }], "session");
  const aad = utf8(`health-chain/store/v2/reader-data-key\n${sealed.wrappedSessionKey}\n${ctx}`);
  return openEnvelope(ring, envelopeFromText(sealed.wrappedDataKey), { aad });
}

/** The text with one character changed (to another of the same alphabet). */
function alterChar(text: string, index: number): string {
  const c = text[index]!;
  const swap = /[0-9]/.test(c) ? (c === "0" ? "1" : "0") : c === "a" ? "b" : "a";
  return text.slice(0, index) + swap + text.slice(index + 1);
}

/** The envelope text with one byte at `fromEnd` bytes before its end flipped. */
function alterEnvelope(text: string, fromEnd: number): string {
  const bytes = envelopeFromText(text);
  bytes[bytes.length - fromEnd]! ^= 1;
  return envelopeToText(bytes);
}

describe("values sealed for a reader session", () => {
  it("open with the session's private key, sealed to a session key or to the public key", () => {
    const reader = session();
    const key = createReaderSessionKey(reader.publicKey);
    const sealed = sealForReader(granted, key, { context });
    assert.equal(sealed.algorithm, READER_SEAL_ALGORITHM);
    assert.deepEqual(openForReader(sealed, reader.privateKey, { context }), granted);
    assert.deepEqual(openForReader(sealForReader(granted, reader.publicKey), reader.privateKey), granted);
  });

  it("are a session key SM2-wrapped once, a fresh data key under it and an envelope under that, nothing in clear", () => {
    const reader = session();
    const key = createReaderSessionKey(reader.publicKey);
    const a = sealForReader(granted, key, { context });
    const b = sealForReader(granted, key, { context });
    assert.match(a.wrappedSessionKey, /^0x04[0-9a-f]{224}$/, "C1C3C2 of a 16-byte key");
    assert.equal(a.wrappedSessionKey, key.wrappedSessionKey);
    assert.equal(b.wrappedSessionKey, a.wrappedSessionKey, "one SM2 ciphertext for the session's reads");
    const dataKeyA = dataKeyOf(a, reader.privateKey, context);
    const dataKeyB = dataKeyOf(b, reader.privateKey, context);
    assert.equal(dataKeyA.length, 16);
    assert.notDeepEqual(dataKeyA, dataKeyB, "a fresh data key per value");
    assert.notEqual(a.wrappedDataKey, b.wrappedDataKey);
    assert.notEqual(a.envelope, b.envelope);
    assert.equal(parseEnvelope(envelopeFromText(a.wrappedDataKey)).keyId, "session");
    assert.equal(parseEnvelope(envelopeFromText(a.envelope)).keyId, "reader");
    const shown = JSON.stringify(a);
    assert.ok(!shown.includes("rec-310101") && !shown.includes("mmol"));
  });

  it("cost one SM2 encryption per session key, whatever the number of values", () => {
    const reader = session();
    let encryptions = 0;
    const key = createReaderSessionKey(reader.publicKey, {
      encrypt(sessionKey, publicKey) {
        encryptions++;
        return toHex(encryptSm2(sessionKey, publicKey, { format: "c1c3c2" }));
      },
    });
    const opened = Array.from({ length: 5 }, (_, i) => sealForReader({ i }, key, { context: `${context}-${i}` }));
    assert.equal(encryptions, 1);
    assert.deepEqual(opened.map((s, i) => openForReader(s, reader.privateKey, { context: `${context}-${i}` })), [0, 1, 2, 3, 4].map((i) => ({ i })));
  });

  it("differ in session key across sessions, and across session keys of one public key", () => {
    const reader = session();
    const one = createReaderSessionKey(reader.publicKey);
    const again = createReaderSessionKey(reader.publicKey);
    const other = createReaderSessionKey(session().publicKey);
    assert.notEqual(one.wrappedSessionKey, again.wrappedSessionKey);
    assert.notEqual(one.wrappedSessionKey, other.wrappedSessionKey);
    assert.notDeepEqual(
      decryptSm2(one.wrappedSessionKey, reader.privateKey, { format: "c1c3c2" }),
      decryptSm2(again.wrappedSessionKey, reader.privateKey, { format: "c1c3c2" }),
    );
  });

  it("do not open with another session's key (INTEGRITY_CHECK_FAILED), even by an opener that opened others", async () => {
    const reader = session();
    const intruder = session();
    const sealed = sealForReader(granted, createReaderSessionKey(reader.publicKey), { context });
    await rejectsWith(() => openForReader(sealed, intruder.privateKey, { context }), "INTEGRITY_CHECK_FAILED");
    const intruderOpens = createReaderOpener(intruder.privateKey);
    const own = sealForReader(granted, createReaderSessionKey(intruder.publicKey), { context });
    assert.deepEqual(intruderOpens(own, { context }), granted);
    await rejectsWith(() => intruderOpens(sealed, { context }), "INTEGRITY_CHECK_FAILED");
    // The reader's data key and envelope under the intruder's session key: the session key differs.
    await rejectsWith(() => intruderOpens({ ...sealed, wrappedSessionKey: own.wrappedSessionKey }, { context }), "INTEGRITY_CHECK_FAILED");
  });

  it("do not open under another context than they were sealed for", async () => {
    const reader = session();
    const sealed = sealForReader(granted, createReaderSessionKey(reader.publicKey), { context });
    const opens = createReaderOpener(reader.privateKey);
    assert.deepEqual(opens(sealed, { context }), granted);
    await rejectsWith(() => opens(sealed, { context: `${context}0` }), "INTEGRITY_CHECK_FAILED");
    await rejectsWith(() => opens(sealed, { context: context.replace("rec-", "REC-") }), "INTEGRITY_CHECK_FAILED");
    await rejectsWith(() => opens(sealed), "INTEGRITY_CHECK_FAILED");
  });

  it("refuse a data key or envelope taken from another value of the same session, even for the same context", async () => {
    const reader = session();
    const key = createReaderSessionKey(reader.publicKey);
    const sealed = sealForReader(granted, key, { context });
    const other = sealForReader({ other: true }, key, { context });
    const opens = createReaderOpener(reader.privateKey);
    await rejectsWith(() => opens({ ...sealed, wrappedDataKey: other.wrappedDataKey }, { context }), "INTEGRITY_CHECK_FAILED");
    await rejectsWith(() => opens({ ...sealed, envelope: other.envelope }, { context }), "INTEGRITY_CHECK_FAILED");
    // Each envelope in the other's place: key ids differ, the verdict is the same.
    await rejectsWith(() => opens({ ...sealed, wrappedDataKey: sealed.envelope, envelope: sealed.wrappedDataKey }, { context }), "INTEGRITY_CHECK_FAILED");
  });

  it("refuse any altered part: the SM2 ciphertext (C1, C3, C2, its encoding), the wrapped data key, the envelope", async () => {
    const reader = session();
    const sealed = sealForReader(granted, createReaderSessionKey(reader.publicKey), { context });
    const opens = createReaderOpener(reader.privateKey);
    assert.deepEqual(opens(sealed, { context }), granted); // its session key is now cached
    const c1 = 4 + 2 * 10; // "0x04" then x1
    const c3 = 4 + 2 * 64 + 2 * 5;
    const c2 = 4 + 2 * 96 + 2 * 3;
    for (const at of [c1, c3, c2]) {
      await rejectsWith(() => opens({ ...sealed, wrappedSessionKey: alterChar(sealed.wrappedSessionKey, at) }, { context }), "INTEGRITY_CHECK_FAILED");
    }
    await rejectsWith(() => opens({ ...sealed, wrappedSessionKey: sealed.wrappedSessionKey.toUpperCase().replace("0X", "0x") }, { context }), "INTEGRITY_CHECK_FAILED");
    for (const fromEnd of [1, 33, 40]) {
      // the tag, the last ciphertext byte, inside the IV (wrapped data key) or the ciphertext (value)
      await rejectsWith(() => opens({ ...sealed, wrappedDataKey: alterEnvelope(sealed.wrappedDataKey, fromEnd) }, { context }), "INTEGRITY_CHECK_FAILED");
      await rejectsWith(() => opens({ ...sealed, envelope: alterEnvelope(sealed.envelope, fromEnd) }, { context }), "INTEGRITY_CHECK_FAILED");
    }
    assert.deepEqual(opens(sealed, { context }), granted);
  });

  it("refuse unknown algorithms (the v1 format too), malformed seals and malformed keys", async () => {
    const reader = session();
    const sealed = sealForReader(granted, reader.publicKey);
    const unsupported = await rejectsWith(() => openForReader({ ...sealed, algorithm: "rsa" as never }, reader.privateKey), "UNSUPPORTED_VERSION");
    assert.match(unsupported.message, /not supported/);
    assert.match((unsupported as unknown as { messageZh: string }).messageZh, /不支持/);
    const v1 = { algorithm: "sm2-c1c3c2+hc-envelope-v1", wrappedKey: "0x04", envelope: "SEMB" };
    await rejectsWith(() => openForReader(v1 as never, reader.privateKey), "UNSUPPORTED_VERSION", { supported: [READER_SEAL_ALGORITHM] });
    await rejectsWith(() => openForReader({ algorithm: READER_SEAL_ALGORITHM } as never, reader.privateKey), "INVALID_INPUT");
    await rejectsWith(() => openForReader(null as never, reader.privateKey), "INVALID_INPUT");
    await rejectsWith(() => sealForReader(granted, "0x04abcd"), "INVALID_KEY");
    await rejectsWith(() => createReaderSessionKey("0x04abcd"), "INVALID_KEY");
    await rejectsWith(() => sealForReader(granted, { sessionPublicKey: reader.publicKey, wrappedSessionKey: sealed.wrappedSessionKey }), "INVALID_INPUT");
    await rejectsWith(() => createReaderSessionKey(reader.publicKey, { encrypt: () => "0x1234" }), "INVALID_INPUT");
    await rejectsWith(() => sealForReader({ n: Number.NaN }, reader.publicKey), "INVALID_RECORD");
  });

  it("are what the institution store's sealForReader gives, to a session key or a public key", async () => {
    const institution = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
    const store = createInstitutionStore({ institution, keyring: createDevKeyring(institution), content: createFsStore("/nonexistent-unused") });
    const reader = session();
    const key = createReaderSessionKey(reader.publicKey);
    assert.deepEqual(openForReader(store.sealForReader(granted, key, { context }), reader.privateKey, { context }), granted);
    assert.deepEqual(openForReader(store.sealForReader(granted, reader.publicKey), reader.privateKey), granted);
  });

  it("reader.ts imports the sdk only (it runs in browsers)", async () => {
    const source = (await readFile(new URL("../src/reader.ts", import.meta.url), "utf8")).replace(/^\s*\/\/.*$/gm, "");
    const imports = [...source.matchAll(/\bfrom\s+"([^"]+)"|\bimport\s*\(\s*"([^"]+)"/g)].map((m) => m[1] ?? m[2]);
    assert.ok(imports.length > 0);
    assert.deepEqual([...new Set(imports)], ["@health-chain/sdk"]);
    assert.ok(!/\bnode:|\bprocess\.|\bBuffer\b/.test(source));
  });
});

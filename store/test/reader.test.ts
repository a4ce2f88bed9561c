import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { decryptSm2, envelopeFromText, envelopeToText, generateSm2KeyPair, parseEnvelope, toHex } from "@health-chain/sdk";
import { createDevKeyring, createFsStore, createInstitutionStore, openForReader, READER_SEAL_ALGORITHM, sealForReader } from "../src/index.ts";
import { rejectsWith } from "./helpers/errors.ts";

const granted = { recordId: "rec-310101-2025-000123", results: [{ test: "血糖", value: 5.6, unit: "mmol/L" }] };

function session() {
  const pair = generateSm2KeyPair();
  return { publicKey: toHex(pair.publicKey), privateKey: toHex(pair.privateKey) };
}

describe("values sealed for a reader session", () => {
  it("open with the session's private key", () => {
    const reader = session();
    const sealed = sealForReader(granted, reader.publicKey);
    assert.equal(sealed.algorithm, READER_SEAL_ALGORITHM);
    assert.deepEqual(openForReader(sealed, reader.privateKey), granted);
  });

  it("are an SM2 C1C3C2 wrap of a fresh 16-byte data key and an envelope in text form, nothing in clear", () => {
    const reader = session();
    const a = sealForReader(granted, reader.publicKey);
    const b = sealForReader(granted, reader.publicKey);
    assert.match(a.wrappedKey, /^0x04[0-9a-f]+$/);
    const dataKeyA = decryptSm2(a.wrappedKey, reader.privateKey, { format: "c1c3c2" });
    const dataKeyB = decryptSm2(b.wrappedKey, reader.privateKey, { format: "c1c3c2" });
    assert.equal(dataKeyA.length, 16);
    assert.notDeepEqual(dataKeyA, dataKeyB, "a fresh data key per seal");
    assert.equal(parseEnvelope(envelopeFromText(a.envelope)).version, 1);
    const shown = JSON.stringify(a);
    assert.ok(!shown.includes("rec-310101") && !shown.includes("mmol"));
  });

  it("do not open with another session's key (INTEGRITY_CHECK_FAILED)", async () => {
    const reader = session();
    const sealed = sealForReader(granted, reader.publicKey);
    await rejectsWith(() => openForReader(sealed, session().privateKey), "INTEGRITY_CHECK_FAILED");
  });

  it("do not open with another context than they were sealed for", async () => {
    const reader = session();
    const sealed = sealForReader(granted, reader.publicKey, { context: "req-1" });
    assert.deepEqual(openForReader(sealed, reader.privateKey, { context: "req-1" }), granted);
    await rejectsWith(() => openForReader(sealed, reader.privateKey, { context: "req-2" }), "INTEGRITY_CHECK_FAILED");
    await rejectsWith(() => openForReader(sealed, reader.privateKey), "INTEGRITY_CHECK_FAILED");
  });

  it("refuse an altered envelope or a wrapped key taken from another seal", async () => {
    const reader = session();
    const sealed = sealForReader(granted, reader.publicKey);
    const bytes = envelopeFromText(sealed.envelope);
    bytes[bytes.length - 40]! ^= 1;
    await rejectsWith(() => openForReader({ ...sealed, envelope: envelopeToText(bytes) }, reader.privateKey), "INTEGRITY_CHECK_FAILED");
    const other = sealForReader({ other: true }, reader.publicKey);
    await rejectsWith(() => openForReader({ ...sealed, wrappedKey: other.wrappedKey }, reader.privateKey), "INTEGRITY_CHECK_FAILED");
  });

  it("refuse unknown algorithms, malformed seals and malformed keys", async () => {
    const reader = session();
    const sealed = sealForReader(granted, reader.publicKey);
    await rejectsWith(() => openForReader({ ...sealed, algorithm: "rsa" as never }, reader.privateKey), "UNSUPPORTED_VERSION");
    await rejectsWith(() => openForReader({ algorithm: READER_SEAL_ALGORITHM } as never, reader.privateKey), "INVALID_INPUT");
    await rejectsWith(() => openForReader(null as never, reader.privateKey), "INVALID_INPUT");
    await rejectsWith(() => sealForReader(granted, "0x04abcd"), "INVALID_KEY");
    await rejectsWith(() => sealForReader({ n: Number.NaN }, reader.publicKey), "INVALID_RECORD");
  });

  it("are what the institution store's sealForReader gives", async () => {
    const institution = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
    const store = createInstitutionStore({ institution, keyring: createDevKeyring(institution), content: createFsStore("/nonexistent-unused") });
    const reader = session();
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

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import { hkdf as pureHkdf } from "sm-crypto-v2";
import { concatBytes, toBytes, toHex, utf8 } from "../src/bytes.ts";
import { isPlatformError, type ErrorCode } from "../src/errors.ts";
import { hmacSm3 } from "../src/sm3.ts";
import {
  ENVELOPE_TAG_LENGTH,
  SM4_IMPLEMENTATION,
  createKeyRing,
  deriveEnvelopeKeys,
  envelopeFromText,
  envelopeToText,
  openEnvelope,
  parseEnvelope,
  resealEnvelope,
  sealEnvelope,
  sm4Ctr,
  sm4DecryptCbc,
  sm4DecryptEcb,
  sm4EncryptCbc,
  sm4EncryptEcb,
  sm4Implementations,
  type KeyRing,
} from "../src/sm4.ts";

const native = sm4Implementations.native;
const pure = sm4Implementations.pure;
const both = [native, pure].filter((impl) => impl !== undefined);
const hex = (bytes: Uint8Array) => toHex(bytes, false);
const rejects = (code: ErrorCode) => (error: unknown) => isPlatformError(error, code);
const codeOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    return isPlatformError(error) ? error.code : `unexpected: ${String(error)}`;
  }
  return "opened";
};
const work = mkdtempSync(join(tmpdir(), "sm4-test-"));
after(() => rmSync(work, { recursive: true, force: true }));
const openssl = (args: readonly string[], input: Uint8Array) => new Uint8Array(execFileSync("openssl", args, { input }));

// GB/T 32907-2016 Appendix A.
const KEY = "0123456789abcdeffedcba9876543210";
const ONCE = "681edf34d206965e86b3e94f536e4246";
const MILLION = "595298c7c6fd271f0402f804c33d3f66";

describe("SM4 block cipher", () => {
  it("uses OpenSSL through node:crypto under Node", () => {
    assert.equal(SM4_IMPLEMENTATION, "node:crypto");
  });

  it("encrypts and decrypts the GB/T 32907-2016 example block", () => {
    assert.equal(hex(sm4EncryptEcb(KEY, KEY)), ONCE);
    assert.equal(hex(sm4DecryptEcb(KEY, ONCE)), KEY);
    for (const impl of both) {
      assert.equal(hex(impl.encryptEcb(toBytes(KEY), toBytes(KEY))), ONCE, impl.name);
      assert.equal(hex(impl.decryptEcb(toBytes(KEY), toBytes(ONCE))), KEY, impl.name);
    }
  });

  for (const impl of both) {
    it(`gives the GB/T 32907-2016 result of encrypting 1,000,000 times (${impl.name})`, () => {
      const encrypt = impl.blockEncryptor(toBytes(KEY));
      let block = toBytes(KEY);
      for (let i = 0; i < 1_000_000; i++) block = encrypt(block);
      assert.equal(hex(block), MILLION);
    });
  }

  it("gives the same ECB, CTR and CBC bytes natively and in pure JS on random inputs", () => {
    assert.ok(native);
    for (const length of [0, 1, 15, 16, 17, 31, 32, 33, 100, 1000, 4096, 65_536 + 5]) {
      const key = randomBytes(16);
      const iv = randomBytes(16);
      const data = randomBytes(length);
      const blocks = data.subarray(0, length - (length % 16));
      assert.equal(hex(pure.encryptEcb(key, blocks)), hex(native.encryptEcb(key, blocks)), `ecb ${length}`);
      assert.equal(hex(pure.decryptEcb(key, blocks)), hex(native.decryptEcb(key, blocks)), `ecb⁻¹ ${length}`);
      assert.equal(hex(pure.ctr(key, iv, data)), hex(native.ctr(key, iv, data)), `ctr ${length}`);
      assert.equal(hex(pure.encryptCbc(key, iv, blocks)), hex(native.encryptCbc(key, iv, blocks)), `cbc ${length}`);
      assert.equal(hex(pure.decryptCbc(key, iv, blocks)), hex(native.decryptCbc(key, iv, blocks)), `cbc⁻¹ ${length}`);
    }
  });

  it("gives the same CTR bytes under a key set up once as under the key given each time", () => {
    for (const impl of both) {
      const key = randomBytes(16);
      const ctr = impl.ctrWithKey(key);
      for (const length of [0, 5, 1000]) {
        const iv = randomBytes(16);
        const data = randomBytes(length);
        assert.equal(hex(ctr(iv, data)), hex(impl.ctr(key, iv, data)), `${impl.name} ${length}`);
      }
    }
  });

  it("counts CTR blocks as one 128-bit big-endian number, carrying across bytes and wrapping at 2^128", () => {
    assert.ok(native);
    const key = randomBytes(16);
    const data = randomBytes(16 * 5);
    for (const iv of ["ffffffffffffffffffffffffffffffff", "fffffffffffffffffffffffffffffffe", "00000000000000ffffffffffffffffff"]) {
      const stream = sm4Ctr(key, iv, new Uint8Array(80));
      assert.equal(hex(pure.ctr(key, toBytes(iv), data)), hex(native.ctr(key, toBytes(iv), data)), iv);
      // Block i of the keystream is SM4(key, IV + i).
      let counter = BigInt(`0x${iv}`);
      for (let i = 0; i < 5; i++, counter = (counter + 1n) % 2n ** 128n) {
        const block = counter.toString(16).padStart(32, "0");
        assert.equal(hex(stream.subarray(16 * i, 16 * i + 16)), hex(sm4EncryptEcb(key, block)), `${iv} + ${i}`);
      }
    }
  });

  it("round-trips CBC with PKCS#7 padding at every length around a block", () => {
    const key = randomBytes(16);
    const iv = randomBytes(16);
    for (let length = 0; length <= 48; length++) {
      const data = randomBytes(length);
      const sealed = sm4EncryptCbc(key, iv, data);
      assert.equal(sealed.length, (Math.floor(length / 16) + 1) * 16);
      assert.deepEqual(sm4DecryptCbc(key, iv, sealed), new Uint8Array(data));
    }
  });

  it("refuses CBC ciphertext with bad padding or a length that is not whole blocks", () => {
    const key = randomBytes(16);
    const iv = new Uint8Array(16);
    // One-block CBC ciphertext whose decryption is exactly `last16`: C = SM4(P ⊕ IV) with IV = 0.
    const decryptingTo = (last16: string) => sm4EncryptEcb(key, last16);
    for (const bad of ["00".repeat(16), `${"00".repeat(15)}11`, `${"00".repeat(14)}0302`, `${"00".repeat(15)}ff`]) {
      assert.throws(() => sm4DecryptCbc(key, iv, decryptingTo(bad)), rejects("INVALID_CIPHERTEXT"), bad);
    }
    assert.deepEqual(sm4DecryptCbc(key, iv, decryptingTo(`${"41".repeat(14)}0202`)), new Uint8Array(14).fill(0x41));
    assert.deepEqual(sm4DecryptCbc(key, iv, decryptingTo("10".repeat(16))), new Uint8Array(0));
    assert.throws(() => sm4DecryptCbc(key, iv, new Uint8Array(0)), rejects("INVALID_CIPHERTEXT"));
    assert.throws(() => sm4DecryptCbc(key, iv, new Uint8Array(17)), rejects("INVALID_CIPHERTEXT"));
    assert.throws(() => sm4DecryptEcb(key, new Uint8Array(15)), rejects("INVALID_CIPHERTEXT"));
    assert.throws(() => sm4EncryptEcb(key, new Uint8Array(15)), rejects("INVALID_INPUT"));
  });

  it("checks all 16 padding bytes whatever they hold: the same reads for good and every kind of bad padding", () => {
    // The decryption is replaced by one that returns a chosen block, behind a proxy that counts reads
    // of its bytes; an early exit would read fewer bytes the earlier the padding goes wrong.
    const impl = native ?? pure;
    const decryptCbc = impl.decryptCbc;
    let reads = 0;
    let chosen: Uint8Array = new Uint8Array(32);
    impl.decryptCbc = () =>
      new Proxy(chosen, {
        get(target, property) {
          if (typeof property === "string" && /^\d+$/.test(property)) reads += 1;
          const value = Reflect.get(target, property);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
    const readsFor = (block: Uint8Array): [number, string] => {
      chosen = concatBytes(new Uint8Array(16).fill(0x41), block);
      reads = 0;
      let outcome: string;
      try {
        outcome = `${sm4DecryptCbc(new Uint8Array(16), new Uint8Array(16), new Uint8Array(32)).length} bytes`;
      } catch (error) {
        outcome = isPlatformError(error) ? error.code : String(error);
      }
      return [reads, outcome];
    };
    const counts = new Set<number>();
    try {
      for (let pad = 1; pad <= 16; pad++) {
        const block = new Uint8Array(16).fill(0x41);
        block.fill(pad, 16 - pad);
        const [count, outcome] = readsFor(block);
        assert.equal(outcome, `${32 - pad} bytes`, `pad ${pad}`);
        counts.add(count);
        // each padding byte wrong in turn, the first checked to the last
        for (let wrong = 1; wrong < pad; wrong++) {
          const bad = block.slice();
          bad[16 - 1 - wrong] = pad ^ 0x80;
          const [badCount, badOutcome] = readsFor(bad);
          assert.equal(badOutcome, "INVALID_CIPHERTEXT", `pad ${pad}, byte ${wrong} wrong`);
          counts.add(badCount);
        }
      }
      for (const last of [0, 17, 0x80, 0xff]) {
        const block = new Uint8Array(16).fill(last);
        const [count, outcome] = readsFor(block);
        assert.equal(outcome, "INVALID_CIPHERTEXT", `last byte ${last}`);
        counts.add(count);
      }
    } finally {
      impl.decryptCbc = decryptCbc;
    }
    assert.deepEqual([...counts], [17], "one read of the last byte, then all 16 padding positions, every time");
    assert.match(
      readFileSync(fileURLToPath(new URL("../../docs/SDK.md", import.meta.url)), "utf8").replace(/\s+/g, " "),
      /Raw SM4-CBC is not for data from online attackers/,
    );
  });

  it("refuses keys that are not 16 bytes and IVs that are not 16 bytes", () => {
    for (const key of [new Uint8Array(15), new Uint8Array(17), new Uint8Array(32), "0x"]) {
      assert.throws(() => sm4Ctr(key, new Uint8Array(16), new Uint8Array(1)), rejects("INVALID_KEY"));
      assert.throws(() => sm4EncryptEcb(key, new Uint8Array(16)), rejects("INVALID_KEY"));
    }
    assert.throws(() => sm4Ctr(new Uint8Array(16), new Uint8Array(12), new Uint8Array(1)), rejects("INVALID_INPUT"));
    assert.throws(() => sm4EncryptCbc(new Uint8Array(16), new Uint8Array(8), new Uint8Array(1)), rejects("INVALID_INPUT"));
    assert.throws(() => sm4Ctr("zz", new Uint8Array(16), new Uint8Array(1)), rejects("INVALID_HEX"));
  });

  it("never changes the caller's key, IV or data, Buffers (whose slice() is a view) included", () => {
    for (const impl of both) {
      const key = randomBytes(16);
      const iv = Buffer.from("ffffffffffffffffffffffffffffffff", "hex");
      const data = randomBytes(40);
      const before = [hex(key), hex(iv), hex(data)];
      impl.ctr(key, iv, data);
      impl.encryptCbc(key, iv, data.subarray(0, 32));
      impl.decryptCbc(key, iv, data.subarray(0, 32));
      impl.encryptEcb(key, data.subarray(0, 32));
      assert.deepEqual([hex(key), hex(iv), hex(data)], before, impl.name);
    }
    const sealed = Buffer.from(sealEnvelope(ring12, RECORD));
    const parts = parseEnvelope(sealed);
    parts.iv.fill(0);
    assert.deepEqual(openEnvelope(ring12, sealed), RECORD);
  });

  it("returns plain Uint8Arrays, not Buffers", () => {
    const out = sm4Ctr(new Uint8Array(16), new Uint8Array(16), new Uint8Array(10));
    assert.equal(out.constructor, Uint8Array);
    assert.equal(sm4EncryptEcb(KEY, KEY).constructor, Uint8Array);
  });
});

describe("SM4 interoperability with openssl enc", () => {
  for (const length of [0, 1, 16, 33, 1000]) {
    it(`openssl decrypts what the sdk encrypts and the reverse, CTR and CBC, ${length} bytes`, () => {
      const key = randomBytes(16);
      const iv = randomBytes(16);
      const data = randomBytes(length);
      const k = ["-K", hex(key), "-iv", hex(iv)];
      assert.equal(hex(openssl(["enc", "-d", "-sm4-ctr", ...k], sm4Ctr(key, iv, data))), hex(data));
      assert.equal(hex(sm4Ctr(key, iv, openssl(["enc", "-sm4-ctr", ...k], data))), hex(data));
      assert.equal(hex(openssl(["enc", "-d", "-sm4-cbc", ...k], sm4EncryptCbc(key, iv, data))), hex(data));
      assert.equal(hex(sm4DecryptCbc(key, iv, openssl(["enc", "-sm4-cbc", ...k], data))), hex(data));
      assert.equal(hex(openssl(["enc", "-sm4-ctr", ...k], data)), hex(sm4Ctr(key, iv, data)));
    });
  }
});

describe("envelope key derivation", () => {
  it("is HKDF-SM3 with the documented labels, as openssl kdf and sm-crypto-v2 compute it", () => {
    for (const dataKey of [randomBytes(16), randomBytes(32)]) {
      const keys = deriveEnvelopeKeys(dataKey);
      for (const [info, key] of [
        ["health-chain/envelope/v1/sm4-ctr", keys.encryptionKey],
        ["health-chain/envelope/v1/hmac-sm3", keys.macKey],
      ] as const) {
        const args = ["kdf", "-keylen", String(key.length), "-kdfopt", "digest:SM3", "-kdfopt", `hexkey:${hex(dataKey)}`];
        const out = execFileSync("openssl", [...args, "-kdfopt", `info:${info}`, "HKDF"]).toString();
        assert.equal(out.replace(/[:\s]/g, "").toLowerCase(), hex(key), info);
        assert.equal(hex(pureHkdf(dataKey, undefined, utf8(info), key.length)), hex(key), info);
      }
      assert.equal(keys.encryptionKey.length, 16);
      assert.equal(keys.macKey.length, 32);
    }
  });

  it("refuses data keys that are not 16 or 32 bytes", () => {
    for (const length of [0, 8, 15, 17, 24, 31, 33, 64]) {
      assert.throws(() => deriveEnvelopeKeys(new Uint8Array(length)), rejects("INVALID_KEY"), String(length));
    }
  });
});

const K1 = { keyId: "inst0007-2024q4", key: randomBytes(16) };
const K2 = { keyId: "inst0007-2025q1", key: randomBytes(32) };
const ring12 = createKeyRing([K1, K2], K2.keyId);
const RECORD = utf8('{"recordId":"rec-310101-2025-000123","items":[{"code":"GLU","value":"5.60"}]}');
const AAD = utf8("rec-310101-2025-000123");

describe("envelope", () => {
  it("round-trips data of any length, with and without associated data", () => {
    for (const length of [0, 1, 15, 16, 17, 1000, 70_000]) {
      const data = randomBytes(length);
      assert.deepEqual(openEnvelope(ring12, sealEnvelope(ring12, data)), new Uint8Array(data));
      assert.deepEqual(openEnvelope(ring12, sealEnvelope(ring12, data, { aad: AAD }), { aad: AAD }), new Uint8Array(data));
    }
  });

  it("lays out magic, version, algorithm, key id, IV, ciphertext and tag as docs/ENVELOPE.md says", () => {
    const sealed = sealEnvelope(ring12, RECORD, { aad: AAD });
    assert.equal(sealed.length, 5 + K2.keyId.length + 16 + RECORD.length + 32);
    assert.deepEqual([...sealed.subarray(0, 5)], [0x48, 0x43, 1, 1, K2.keyId.length]);
    const parts = parseEnvelope(sealed);
    assert.equal(parts.version, 1);
    assert.equal(parts.algorithm, 1);
    assert.equal(parts.keyId, K2.keyId);
    const keys = deriveEnvelopeKeys(K2.key);
    assert.deepEqual(sm4Ctr(keys.encryptionKey, parts.iv, parts.ciphertext), RECORD);
    const al = new Uint8Array(8);
    new DataView(al.buffer).setUint32(4, AAD.length * 8);
    assert.deepEqual(hmacSm3(keys.macKey, concatBytes(AAD, sealed.subarray(0, -32), al)), parts.tag);
    assert.ok(envelopeToText(sealed).startsWith("SEMBA"));
  });

  it("takes a fresh random IV for every envelope", () => {
    const ivs = new Set<string>();
    for (let i = 0; i < 200; i++) ivs.add(hex(parseEnvelope(sealEnvelope(ring12, RECORD)).iv));
    assert.equal(ivs.size, 200);
  });

  it("opens the worked example of docs/ENVELOPE.md", () => {
    const ring = createKeyRing([{ keyId: "inst0007-2025q1", key: "000102030405060708090a0b0c0d0e0f" }], "inst0007-2025q1");
    const envelope =
      "484301010f696e7374303030372d323032357131f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff" +
      "86aeca7e4bc6d294e45e39006e7b7317e37f025ae7e3a5f3ab7e40ee0d572f57e1da2552c4dd10afbcede149d57109f2d0e7";
    const text =
      "SEMBAQ9pbnN0MDAwNy0yMDI1cTHw8fLz9PX29_j5-vv8_f7_hq7KfkvG0pTkXjkAbntzF-N_Alrn46Xzq35A7g1XL1fh2iVSxN0Qr7zt4UnVcQny0Oc";
    const aad = utf8("rec-310101-2025-000123");
    assert.equal(new TextDecoder().decode(openEnvelope(ring, envelope, { aad })), "血糖 5.60 mmol/L");
    assert.equal(envelopeToText(toBytes(envelope)), text);
    assert.equal(hex(envelopeFromText(text)), envelope);
    const keys = deriveEnvelopeKeys("000102030405060708090a0b0c0d0e0f");
    assert.equal(hex(keys.encryptionKey), "1ac2dce39ad29c9358ee4da2f6989afd");
    assert.equal(hex(keys.macKey), "6fffd3f1419cbb4fe9ac0a464589b8f8a92b0d634f7f3753400266401a46e982");
    const doc = readFileSync(fileURLToPath(new URL("../../docs/ENVELOPE.md", import.meta.url)), "utf8");
    for (const value of [text, "025ae7e3a5f3ab7e40ee0d572f57e1da2552c4dd10afbcede149d57109f2d0e7", hex(keys.macKey)]) {
      assert.ok(doc.includes(value), value);
    }
  });

  it("fails the integrity check for every single bit flipped in the IV, ciphertext or tag, or in the AAD", () => {
    const sealed = sealEnvelope(ring12, RECORD.subarray(0, 20), { aad: AAD });
    const ivStart = 5 + K2.keyId.length;
    for (let bit = ivStart * 8; bit < sealed.length * 8; bit++) {
      const altered = sealed.slice();
      altered[bit >> 3]! ^= 1 << (bit & 7);
      assert.equal(codeOf(() => openEnvelope(ring12, altered, { aad: AAD })), "INTEGRITY_CHECK_FAILED", `bit ${bit}`);
    }
    for (let bit = 0; bit < AAD.length * 8; bit++) {
      const aad = AAD.slice();
      aad[bit >> 3]! ^= 1 << (bit & 7);
      assert.equal(codeOf(() => openEnvelope(ring12, sealed, { aad })), "INTEGRITY_CHECK_FAILED", `AAD bit ${bit}`);
    }
    for (const aad of [new Uint8Array(0), AAD.subarray(0, -1), concatBytes(AAD, new Uint8Array(1)), utf8("rec-310101-2025-000124")]) {
      assert.equal(codeOf(() => openEnvelope(ring12, sealed, { aad })), "INTEGRITY_CHECK_FAILED");
    }
  });

  it("never opens an envelope with any bit of its header flipped, and names why", () => {
    const sealed = sealEnvelope(ring12, RECORD.subarray(0, 20), { aad: AAD });
    const headerBits = (5 + K2.keyId.length) * 8;
    const seen = new Set<string>();
    for (let bit = 0; bit < headerBits; bit++) {
      const altered = sealed.slice();
      altered[bit >> 3]! ^= 1 << (bit & 7);
      const code = codeOf(() => openEnvelope(ring12, altered, { aad: AAD }));
      assert.ok(["INVALID_CIPHERTEXT", "UNSUPPORTED_VERSION", "UNKNOWN_KEY_ID", "INTEGRITY_CHECK_FAILED"].includes(code), `bit ${bit}: ${code}`);
      seen.add(code);
      if (bit < 16) assert.equal(code, "INVALID_CIPHERTEXT", `magic bit ${bit}`);
      else if (bit < 32) assert.equal(code, "UNSUPPORTED_VERSION", `version/algorithm bit ${bit}`);
    }
    assert.deepEqual([...seen].sort(), ["INVALID_CIPHERTEXT", "UNKNOWN_KEY_ID", "UNSUPPORTED_VERSION"]);
    // A key id changed into another id the ring holds is caught by the tag.
    const ring = createKeyRing([{ keyId: "k1", key: K1.key }, { keyId: "k3", key: K1.key }], "k1");
    const swapped = sealEnvelope(ring, RECORD);
    swapped[6] = "3".charCodeAt(0);
    assert.equal(codeOf(() => openEnvelope(ring, swapped)), "INTEGRITY_CHECK_FAILED");
  });

  it("refuses truncated, extended and malformed envelopes", () => {
    const sealed = sealEnvelope(ring12, RECORD.subarray(0, 5));
    for (let length = 0; length < sealed.length; length++) {
      const code = codeOf(() => openEnvelope(ring12, sealed.subarray(0, length)));
      const minimum = 5 + K2.keyId.length + 16 + ENVELOPE_TAG_LENGTH;
      assert.equal(code, length < minimum ? "INVALID_CIPHERTEXT" : "INTEGRITY_CHECK_FAILED", `length ${length}`);
    }
    assert.equal(codeOf(() => openEnvelope(ring12, concatBytes(sealed, new Uint8Array(1)))), "INTEGRITY_CHECK_FAILED");
    assert.equal(codeOf(() => openEnvelope(ring12, "0x")), "INVALID_CIPHERTEXT");
    assert.equal(codeOf(() => openEnvelope(ring12, utf8("not an envelope at all, just some text"))), "INVALID_CIPHERTEXT");
    const withKeyId = (keyId: Uint8Array) =>
      concatBytes(Uint8Array.of(0x48, 0x43, 1, 1, keyId.length), keyId, new Uint8Array(16 + 32));
    assert.equal(codeOf(() => openEnvelope(ring12, withKeyId(new Uint8Array(0)))), "INVALID_CIPHERTEXT");
    assert.equal(codeOf(() => openEnvelope(ring12, withKeyId(utf8("k/1")))), "INVALID_CIPHERTEXT");
    assert.equal(codeOf(() => openEnvelope(ring12, withKeyId(utf8("k".repeat(65))))), "INVALID_CIPHERTEXT");
    assert.equal(codeOf(() => openEnvelope(ring12, withKeyId(Uint8Array.of(0xe5, 0xaf, 0x86)))), "INVALID_CIPHERTEXT");
    assert.equal(codeOf(() => openEnvelope(ring12, withKeyId(utf8("k9")))), "UNKNOWN_KEY_ID");
  });

  it("refuses other versions and algorithms before reading further", () => {
    const sealed = sealEnvelope(ring12, RECORD);
    for (const [offset, value] of [[2, 0], [2, 2], [2, 255], [3, 0], [3, 2]] as const) {
      const altered = sealed.slice();
      altered[offset] = value;
      assert.throws(() => openEnvelope(ring12, altered), (error: unknown) => {
        assert.ok(isPlatformError(error, "UNSUPPORTED_VERSION"));
        assert.deepEqual([error.details.version, error.details.algorithm], offset === 2 ? [value, 1] : [1, value]);
        return true;
      });
    }
    assert.equal(codeOf(() => openEnvelope(ring12, Uint8Array.of(0x48, 0x43, 2, 9))), "UNSUPPORTED_VERSION");
  });

  it("rotates: seals with the current key, opens with whichever key the envelope names, re-seals old ones", () => {
    const ring1 = createKeyRing([K1], K1.keyId);
    const old = sealEnvelope(ring1, RECORD, { aad: AAD });
    assert.equal(parseEnvelope(old).keyId, K1.keyId);
    assert.deepEqual(openEnvelope(ring12, old, { aad: AAD }), RECORD);
    const fresh = sealEnvelope(ring12, RECORD, { aad: AAD });
    assert.equal(parseEnvelope(fresh).keyId, K2.keyId);
    assert.throws(() => openEnvelope(ring1, fresh, { aad: AAD }), (error: unknown) => {
      assert.ok(isPlatformError(error, "UNKNOWN_KEY_ID"));
      assert.deepEqual(error.details, { keyId: K2.keyId, available: [K1.keyId] });
      return true;
    });
    const resealed = resealEnvelope(ring12, old, { aad: AAD });
    assert.equal(parseEnvelope(resealed).keyId, K2.keyId);
    const ring2 = createKeyRing([K2], K2.keyId);
    assert.deepEqual(openEnvelope(ring2, resealed, { aad: AAD }), RECORD);
    assert.equal(resealEnvelope(ring12, fresh, { aad: AAD }), fresh);
    assert.throws(() => resealEnvelope(ring12, old), rejects("INTEGRITY_CHECK_FAILED"));
  });

  it("takes the AAD as bytes only: a string is refused, so no two spellings of a record id open one envelope", () => {
    const asAad = (value: unknown) => ({ aad: value as Uint8Array });
    for (const aad of ["20250314ab", "0x20250314AB", "", "rec-310101-2025-000123", 42, [1, 2], { length: 0 }, null]) {
      for (const run of [
        () => sealEnvelope(ring12, RECORD, asAad(aad)),
        () => openEnvelope(ring12, sealEnvelope(ring12, RECORD), asAad(aad)),
        () => resealEnvelope(ring12, sealEnvelope(ring12, RECORD), asAad(aad)),
      ]) {
        assert.throws(run, (error: unknown) => {
          assert.ok(isPlatformError(error, "INVALID_INPUT"), `${JSON.stringify(aad)}: ${String(error)}`);
          assert.equal(error.details.what, "aad");
          if (typeof aad === "string") assert.match(error.message, /utf8\(recordId\)/);
          return true;
        });
      }
    }
    // the bytes of the ids, as docs/ENVELOPE.md says to give them, are distinct AADs
    const sealed = sealEnvelope(ring12, RECORD, { aad: utf8("20250314ab") });
    assert.deepEqual(openEnvelope(ring12, sealed, { aad: utf8("20250314ab") }), RECORD);
    assert.equal(codeOf(() => openEnvelope(ring12, sealed, { aad: utf8("0x20250314AB") })), "INTEGRITY_CHECK_FAILED");
    assert.equal(codeOf(() => openEnvelope(ring12, sealed, { aad: toBytes("20250314ab") })), "INTEGRITY_CHECK_FAILED");
    assert.deepEqual(openEnvelope(ring12, sealEnvelope(ring12, RECORD, {}), {}), RECORD);
  });

  it("fails the integrity check under the right key id with the wrong key", () => {
    const impostor = createKeyRing([{ keyId: K2.keyId, key: randomBytes(32) }], K2.keyId);
    assert.equal(codeOf(() => openEnvelope(impostor, sealEnvelope(ring12, RECORD))), "INTEGRITY_CHECK_FAILED");
  });

  it("builds key rings only from valid, distinct key ids and 16- or 32-byte keys", () => {
    const key = randomBytes(16);
    assert.throws(() => createKeyRing([], "k1"), rejects("INVALID_INPUT"));
    for (const keyId of ["", "-k", ".k", "k/1", "k 1", "k:1", "密钥", "k".repeat(65), 7]) {
      assert.throws(() => createKeyRing([{ keyId: keyId as string, key }], keyId as string), rejects("INVALID_INPUT"), String(keyId));
    }
    assert.ok(createKeyRing([{ keyId: "k".repeat(64), key }], "k".repeat(64)));
    assert.throws(() => createKeyRing([{ keyId: "k1", key }, { keyId: "k1", key }], "k1"), rejects("INVALID_INPUT"));
    for (const bad of [new Uint8Array(15), new Uint8Array(24), "zz", undefined]) {
      assert.throws(() => createKeyRing([{ keyId: "k1", key: bad as Uint8Array }], "k1"), rejects("INVALID_KEY"));
    }
    assert.throws(() => createKeyRing([{ keyId: "k1", key }], "k2"), rejects("UNKNOWN_KEY_ID"));
    const fake = { currentKeyId: "k1", keyIds: ["k1"] } as KeyRing;
    assert.throws(() => sealEnvelope(fake, RECORD), rejects("INVALID_INPUT"));
    assert.throws(() => openEnvelope(fake, sealEnvelope(ring12, RECORD)), rejects("INVALID_INPUT"));
  });

  it("shows key ids only: no key material in the ring object", () => {
    const key = randomBytes(16);
    const ring = createKeyRing([{ keyId: "k1", key }], "k1");
    assert.deepEqual(JSON.parse(JSON.stringify(ring)), { currentKeyId: "k1", keyIds: ["k1"] });
    assert.ok(Object.isFrozen(ring) && Object.isFrozen(ring.keyIds));
    key.fill(0); // the caller wiping its data key does not break the ring
    assert.deepEqual(openEnvelope(ring, sealEnvelope(ring, RECORD)), RECORD);
  });
});

describe("envelope text form", () => {
  it("is unpadded base64url, the same as Node's, and reads back", () => {
    for (let length = 0; length <= 70; length++) {
      const bytes = randomBytes(length);
      const text = envelopeToText(bytes);
      assert.equal(text, bytes.toString("base64url"));
      assert.deepEqual(envelopeFromText(text), new Uint8Array(bytes));
    }
    const sealed = sealEnvelope(ring12, RECORD, { aad: AAD });
    assert.deepEqual(openEnvelope(ring12, envelopeFromText(envelopeToText(sealed)), { aad: AAD }), RECORD);
  });

  it("refuses padding, the other alphabet, white space, impossible lengths and non-zero unused bits", () => {
    for (const text of ["SEMB=", "SEM=", "SE+B", "SE/B", "SEM B", "SEMB\n", "S", "SEMBA", "SF", "SEN", "é", 42]) {
      assert.throws(() => envelopeFromText(text as string), rejects("INVALID_CIPHERTEXT"), String(text));
    }
    assert.deepEqual(envelopeFromText(""), new Uint8Array(0));
    assert.deepEqual(envelopeFromText("SA"), Uint8Array.of(0x48));
  });
});

describe("envelope across implementations and tools", () => {
  const src = fileURLToPath(new URL("../src/", import.meta.url));
  const pureRun = (body: string): string => {
    const script = `
      delete process.getBuiltinModule;
      const m = await import(${JSON.stringify(`${src}sm4.ts`)});
      const toBytes = (h) => Uint8Array.from(Buffer.from(h, "hex"));
      if (m.SM4_IMPLEMENTATION !== "sm-crypto-v2") throw new Error("not the pure path");
      const ring = m.createKeyRing([{ keyId: ${JSON.stringify(K1.keyId)}, key: ${JSON.stringify(hex(K1.key))} },
        { keyId: ${JSON.stringify(K2.keyId)}, key: ${JSON.stringify(hex(K2.key))} }], ${JSON.stringify(K2.keyId)});
      ${body}
    `;
    return execFileSync(process.execPath, ["--input-type=module", "-e", script]).toString().trim();
  };

  it("opens natively what the pure (browser) path sealed, and the reverse", () => {
    const plain = randomBytes(3000);
    const fromPure = pureRun(`
      const out = [];
      for (const n of [0, 1, 17, 3000]) out.push(m.envelopeToText(m.sealEnvelope(ring, toBytes(${JSON.stringify(hex(plain))}).subarray(0, n), { aad: toBytes(${JSON.stringify(hex(AAD))}) })));
      console.log(JSON.stringify(out));
    `);
    const texts = JSON.parse(fromPure) as string[];
    [0, 1, 17, 3000].forEach((n, i) => {
      assert.deepEqual(openEnvelope(ring12, envelopeFromText(texts[i]!), { aad: AAD }), new Uint8Array(plain.subarray(0, n)));
    });
    const sealed = [0, 1, 17, 3000].map((n) => hex(sealEnvelope(ring12, plain.subarray(0, n), { aad: AAD })));
    const opened = pureRun(`
      const out = ${JSON.stringify(sealed)}.map((e) => Buffer.from(m.openEnvelope(ring, e, { aad: toBytes(${JSON.stringify(hex(AAD))}) })).toString("hex"));
      let refused = "none";
      try { m.openEnvelope(ring, ${JSON.stringify(sealed[2])}) } catch (e) { refused = e.code }
      console.log(JSON.stringify([out, refused]));
    `);
    const [plaintexts, refused] = JSON.parse(opened) as [string[], string];
    assert.deepEqual(plaintexts, [0, 1, 17, 3000].map((n) => hex(plain.subarray(0, n))));
    assert.equal(refused, "INTEGRITY_CHECK_FAILED");
  });

  const docScript = (name: string): string => {
    const doc = readFileSync(fileURLToPath(new URL("../../docs/ENVELOPE.md", import.meta.url)), "utf8");
    const found = new RegExp("```sh " + name + "\\n([\\s\\S]*?)```").exec(doc);
    assert.ok(found, `docs/ENVELOPE.md has the ${name} script`);
    return found[1]!;
  };
  const bash = (script: string, env: Record<string, string>) =>
    execFileSync("bash", ["-euo", "pipefail", "-c", script], { cwd: work, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });

  it("is checked and opened by the OpenSSL script of docs/ENVELOPE.md", () => {
    const script = docScript("open-envelope");
    for (const [plain, aad] of [[RECORD, AAD], [new Uint8Array(0), new Uint8Array(0)], [randomBytes(5000), randomBytes(1)]] as const) {
      writeFileSync(join(work, "envelope.bin"), sealEnvelope(ring12, plain, { aad }));
      writeFileSync(join(work, "aad.bin"), aad);
      assert.equal(hex(new Uint8Array(bash(script, { DATA_KEY: hex(K2.key) }))), hex(plain));
    }
    const altered = sealEnvelope(ring12, RECORD, { aad: AAD });
    altered[40]! ^= 1;
    writeFileSync(join(work, "envelope.bin"), altered);
    assert.throws(() => bash(script, { DATA_KEY: hex(K2.key) }), /integrity check failed/);
  });

  it("opens an envelope made with OpenSSL alone by the script of docs/ENVELOPE.md", () => {
    const script = docScript("seal-envelope");
    for (const [plain, aad] of [[RECORD, AAD], [new Uint8Array(0), new Uint8Array(0)], [randomBytes(4097), randomBytes(300)]] as const) {
      writeFileSync(join(work, "plain.bin"), plain);
      writeFileSync(join(work, "aad.bin"), aad);
      bash(script, { DATA_KEY: hex(K1.key), KEY_ID: K1.keyId });
      const made = new Uint8Array(readFileSync(join(work, "envelope.bin")));
      assert.equal(parseEnvelope(made).keyId, K1.keyId);
      assert.deepEqual(openEnvelope(ring12, made, { aad }), new Uint8Array(plain));
    }
  });
});

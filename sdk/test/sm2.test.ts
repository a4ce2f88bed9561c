// SM2: standard vectors (GM/T 0003.5-2012 / GB/T 32918.5 annexes on sm2p256v1, OpenSSL's own test
// data), OpenSSL 3 CLI interoperability in both directions, and the typed errors of bad input.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createPrivateKey, createPublicKey, sign as nodeSign } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { sm2 as smCrypto } from "sm-crypto-v2";
import { concatBytes, toBytes, toHex, utf8 } from "../src/bytes.ts";
import { isPlatformError } from "../src/errors.ts";
import {
  MAX_PEM_LENGTH,
  SM2_DEFAULT_USER_ID,
  computeSm2Z,
  convertSm2Ciphertext,
  createSm2Encryptor,
  createSm2Signer,
  createSm2Verifier,
  decryptSm2,
  deriveSm2PublicKey,
  encryptSm2,
  generateSm2KeyPair,
  hashSm2Message,
  signSm2,
  signSm2Digest,
  sm2PrivateKeyFromDer,
  sm2PrivateKeyFromPem,
  sm2PrivateKeyToDer,
  sm2PrivateKeyToPem,
  sm2PublicKeyFromDer,
  sm2PublicKeyFromPem,
  sm2PublicKeyToDer,
  sm2PublicKeyToPem,
  sm2SignatureToDer,
  sm2SignatureToRaw,
  validateSm2PrivateKey,
  validateSm2PublicKey,
  verifySm2,
  verifySm2Digest,
} from "../src/sm2.ts";
import { throwsCode } from "./helpers/throws-code.ts";

const N = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const P = 0xfffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffffn;

function flip(bytes: Uint8Array, index: number, mask = 0x01): Uint8Array {
  const out = bytes.slice();
  out[index]! ^= mask;
  return out;
}

const big = (bytes: Uint8Array): bigint => BigInt(toHex(bytes));
const hex32 = (v: bigint): string => v.toString(16).padStart(64, "0");
const modN = (a: bigint): bigint => ((a % N) + N) % N;

function invN(a: bigint): bigint {
  let [r0, r1, s0, s1] = [modN(a), N, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return modN(s0);
}

/**
 * A raw signature over the digest e for which s·G + t·P is the point at infinity (t = r + s):
 * r = e mod n, s = −r·d·(1 + d)⁻¹, so s + t·d = s·(1 + d) + r·d = 0. Made with the private key d.
 */
function infinitySignature(e: Uint8Array, privateKey: Uint8Array): Uint8Array {
  const d = big(privateKey);
  const r = modN(big(e));
  return toBytes(hex32(r) + hex32(modN(-r * d * invN(1n + d))));
}

/** docs/SDK.md with its line breaks folded into spaces. */
const sdkDoc = (): string => readFileSync(new URL("../../docs/SDK.md", import.meta.url), "utf8").replace(/\s+/g, " ");

// GM/T 0003.5-2012 Annex A (signature) and Annex C (encryption), identical in GB/T 32918.5-2017;
// also OpenSSL test/sm2_internal_test.c. Z_A and e as listed in Annex A.
const annex = {
  privateKey: "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8",
  publicKey:
    "0409F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13",
  k: "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21",
  signMessage: "message digest",
  z: "B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3",
  e: "F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640",
  r: "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3",
  s: "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA",
  encryptMessage: "encryption standard",
  c1: "0404EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0",
  c3: "59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766",
  c2: "21886CA989CA9C7D58087307CA93092D651EFA",
  // the same ciphertext in GM/T 0009 DER, as in OpenSSL test/sm2_internal_test.c
  der: "307C022004EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73022100E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0042059983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766041321886CA989CA9C7D58087307CA93092D651EFA",
};

// OpenSSL test/recipes/30-test_evp_data/evppkey_sm2.txt (key SM2_key1; Verify over a given digest; Decrypt).
const opensslData = {
  keyPem: `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqBHM9VAYItBG0wawIBAQQg0JFWczAXva2An9m7
2MaT9gIwWTFptvlKrxyO4TjMmbWhRANCAAQ5OirZ4n5DrKqrhaGdO4VZHhRAYVcX
Wt3Te/d/8Mr57Tf886i09VwDhSMmH8pmNq/mp6+ioUgqYG9cs6GLLioe
-----END PRIVATE KEY-----
`,
  verify: [
    {
      digest: "D7AD397F6FFA5D4F7F11E7217F241607DC30618C236D2C09C1B9EA8FDADEE2E8",
      signature:
        "3046022100AB1DB64DE7C40EDBDE6651C9B8EBDB804673DB836E5D5C7FE15DCF9ED2725037022100EBA714451FF69B0BB930B379E192E7CD5FA6E3C41C7FBD8303B799AB54A54621",
    },
    {
      digest: "B1139602C6ECC9E15E2F3F9C635A1AFE737058BC15387479C1EA0D0B3D90E9E5",
      signature:
        "3045022100E6E0414EBD3A656C35602AF14AB20287DBF30D57AF75C49A188ED4B42391F22402202F54F277C606F4605E1CE9514947FFDDF94C67A539804A4ED17F852288BDBE2E",
    },
    {
      digest:
        "40AA1B203C9D8EE150B21C3C7CDA8261492E5420C5F2B9F7380700E094C303B48E62F319C1DA0E32EB40D113C5F1749CC61AEB499167890AB82F2CC9BB706971",
      signature:
        "3046022100AE018933B9BA041784380069F2DDF609694DCD299FDBF23D09F4B711FBC103EC0221008440BB1A48C132DE4FB91BE9F43B958142FDD29FB9DABE01B17514023A2F638C",
    },
  ],
  ciphertext:
    "30818A0220466BE2EF5C11782EC77864A0055417F407A5AFC11D653C6BCE69E417BB1D05B6022062B572E21FF0DDF5C726BD3F9FF2EAE56E6294713A607E9B9525628965F62CC804203C1B5713B5DB2728EB7BF775E44F4689FC32668BDC564F52EA45B09E8DF2A5F40422084A9D0CC2997092B7D3C404FCE95956EB604D732B2307A8E5B8900ED6608CA5B197",
  plaintext: "The floofy bunnies hop at midnight",
};

describe("SM2 standard vectors (GM/T 0003.5 annexes, sm2p256v1)", () => {
  it("derives the published public key from the published private key", () => {
    assert.equal(toHex(deriveSm2PublicKey(annex.privateKey), false), annex.publicKey.toLowerCase());
  });

  it("computes the published Z value and digest e for user id 1234567812345678", () => {
    assert.equal(SM2_DEFAULT_USER_ID, "1234567812345678");
    assert.equal(toHex(computeSm2Z(annex.publicKey), false), annex.z.toLowerCase());
    assert.equal(toHex(hashSm2Message({ utf8: annex.signMessage }, annex.publicKey), false), annex.e.toLowerCase());
  });

  it("verifies the published signature, raw and DER, and rejects other messages and ids", () => {
    const raw = annex.r + annex.s;
    const message = { utf8: annex.signMessage };
    assert.equal(verifySm2(message, raw, annex.publicKey, { format: "raw" }), true);
    assert.equal(verifySm2(message, sm2SignatureToDer(raw), annex.publicKey), true);
    assert.equal(verifySm2Digest(annex.e, raw, annex.publicKey, { format: "raw" }), true);
    assert.equal(verifySm2({ utf8: "message digesT" }, raw, annex.publicKey, { format: "raw" }), false);
    assert.equal(verifySm2(message, raw, annex.publicKey, { format: "raw", userId: "ALICE123@YAHOO.COM" }), false);
    assert.equal(createSm2Verifier(annex.publicKey).verify(message, raw, { format: "raw" }), true);
  });

  it("reproduces the published (r, s) from k: r = (e + x1) mod n, s = (1 + d)⁻¹(k − r·d) mod n", () => {
    const d = BigInt(`0x${annex.privateKey}`);
    const k = BigInt(`0x${annex.k}`);
    const x1 = big(deriveSm2PublicKey(annex.k).subarray(1, 33));
    const e = big(hashSm2Message({ utf8: annex.signMessage }, annex.publicKey));
    const r = (e + x1) % N;
    const inv = (a: bigint): bigint => {
      let [t, newT, rr, newR] = [0n, 1n, N, a % N];
      while (newR !== 0n) {
        const q = rr / newR;
        [t, newT] = [newT, t - q * newT];
        [rr, newR] = [newR, rr - q * newR];
      }
      return (t + N) % N;
    };
    const s = (((inv(1n + d) * ((k - r * d) % N)) % N) + N) % N;
    assert.equal(hex32(r), annex.r.toLowerCase());
    assert.equal(hex32(s), annex.s.toLowerCase());
    // the library signing step our signSm2 delegates to, with the annex's k in its point pool
    const e32 = hashSm2Message({ utf8: annex.signMessage }, annex.publicKey);
    const fixed = smCrypto.doSignature(e32, annex.privateKey.toLowerCase(), { hash: false, pointPool: [{ k, x1 }] });
    assert.equal(fixed, (annex.r + annex.s).toLowerCase());
  });

  it("decrypts the published ciphertext in C1C3C2, C1C2C3 and DER; C1 = kG", () => {
    assert.equal(toHex(deriveSm2PublicKey(annex.k), false), annex.c1.toLowerCase());
    const text = new TextDecoder();
    assert.equal(text.decode(decryptSm2(annex.c1 + annex.c3 + annex.c2, annex.privateKey)), annex.encryptMessage);
    assert.equal(
      text.decode(decryptSm2(annex.c1 + annex.c2 + annex.c3, annex.privateKey, { format: "c1c2c3" })),
      annex.encryptMessage,
    );
    assert.equal(text.decode(decryptSm2(annex.der, annex.privateKey, { format: "der" })), annex.encryptMessage);
    assert.equal(
      toHex(convertSm2Ciphertext(annex.c1 + annex.c3 + annex.c2, { from: "c1c3c2", to: "der" }), false),
      annex.der.toLowerCase(),
    );
  });

  it("passes OpenSSL's evppkey_sm2.txt: reads SM2_key1, verifies its digest signatures, decrypts its ciphertext", () => {
    const privateKey = sm2PrivateKeyFromPem(opensslData.keyPem);
    const publicKey = deriveSm2PublicKey(privateKey);
    for (const { digest, signature } of opensslData.verify) {
      assert.equal(verifySm2Digest(digest, signature, publicKey), true);
      assert.equal(verifySm2Digest(flip(toBytes(digest), 5), signature, publicKey), false);
    }
    const plaintext = decryptSm2(opensslData.ciphertext, privateKey, { format: "der" });
    assert.equal(new TextDecoder().decode(plaintext), opensslData.plaintext);
  });
});

describe("SM2 keys", () => {
  it("generates valid pairs: 32-byte private key, 65-byte 04‖x‖y public key that matches", () => {
    const { privateKey, publicKey } = generateSm2KeyPair();
    assert.equal(privateKey.length, 32);
    assert.equal(publicKey.length, 65);
    assert.equal(publicKey[0], 4);
    assert.deepEqual(deriveSm2PublicKey(privateKey), publicKey);
    assert.deepEqual(validateSm2PublicKey(publicKey), publicKey);
    assert.deepEqual(validateSm2PrivateKey(toHex(privateKey)), privateKey);
  });

  it("accepts compressed and bare x‖y public keys and normalises them to 04‖x‖y", () => {
    const { publicKey } = generateSm2KeyPair();
    const compressed = concatBytes(Uint8Array.of(2 + (publicKey[64]! & 1)), publicKey.subarray(1, 33));
    assert.deepEqual(validateSm2PublicKey(compressed), publicKey);
    assert.deepEqual(validateSm2PublicKey(publicKey.subarray(1)), publicKey);
  });

  it("rejects malformed private keys with INVALID_KEY and details", () => {
    throwsCode(() => validateSm2PrivateKey(new Uint8Array(31).fill(1)), "INVALID_KEY");
    throwsCode(() => validateSm2PrivateKey(new Uint8Array(32)), "INVALID_KEY");
    throwsCode(() => validateSm2PrivateKey(hex32(N - 1n)), "INVALID_KEY");
    throwsCode(() => validateSm2PrivateKey(hex32(N)), "INVALID_KEY");
    throwsCode(() => validateSm2PrivateKey("0xzz"), "INVALID_KEY");
    throwsCode(() => signSm2("00", opensslData.keyPem), "INVALID_KEY");
    assert.deepEqual(validateSm2PrivateKey(hex32(N - 2n)), toBytes(hex32(N - 2n)));
    try {
      validateSm2PrivateKey(new Uint8Array(33));
    } catch (error) {
      assert.ok(isPlatformError(error, "INVALID_KEY"));
      assert.equal(error.details.length, 33);
    }
  });

  it("rejects malformed public keys with INVALID_KEY: length, prefix, coordinates ≥ p, off the curve", () => {
    const { publicKey } = generateSm2KeyPair();
    throwsCode(() => validateSm2PublicKey(publicKey.subarray(0, 64).slice(1, 64)), "INVALID_KEY");
    throwsCode(() => validateSm2PublicKey(flip(publicKey, 0, 0x01)), "INVALID_KEY"); // prefix 05
    throwsCode(() => validateSm2PublicKey(flip(publicKey, 64)), "INVALID_KEY"); // y off the curve
    throwsCode(() => validateSm2PublicKey(`04${hex32(P)}${hex32(1n)}`), "INVALID_KEY");
    throwsCode(() => validateSm2PublicKey(`04${"00".repeat(64)}`), "INVALID_KEY");
    // an x with no point on the curve (x = 2: x³ + ax + b is not a square mod p) in compressed form
    throwsCode(() => validateSm2PublicKey(`02${hex32(2n)}`), "INVALID_KEY");
    assert.equal(validateSm2PublicKey(`02${hex32(1n)}`).length, 65);
    throwsCode(() => verifySm2("00", "00".repeat(64), flip(publicKey, 40), { format: "raw" }), "INVALID_KEY");
  });

  it("round-trips PKCS#8, SEC1 and SPKI in DER and PEM", () => {
    const { privateKey, publicKey } = generateSm2KeyPair();
    assert.deepEqual(sm2PrivateKeyFromDer(sm2PrivateKeyToDer(privateKey)), privateKey);
    assert.deepEqual(sm2PrivateKeyFromDer(sm2PrivateKeyToDer(privateKey, { format: "sec1" })), privateKey);
    assert.deepEqual(sm2PrivateKeyFromPem(sm2PrivateKeyToPem(privateKey)), privateKey);
    assert.deepEqual(sm2PrivateKeyFromPem(sm2PrivateKeyToPem(privateKey, { format: "sec1" })), privateKey);
    assert.deepEqual(sm2PublicKeyFromDer(sm2PublicKeyToDer(publicKey)), publicKey);
    assert.deepEqual(sm2PublicKeyFromPem(sm2PublicKeyToPem(publicKey)), publicKey);
    assert.match(sm2PrivateKeyToPem(privateKey), /^-----BEGIN PRIVATE KEY-----\n/);
    assert.match(sm2PrivateKeyToPem(privateKey, { format: "sec1" }), /^-----BEGIN EC PRIVATE KEY-----\n/);
    assert.match(sm2PublicKeyToPem(publicKey), /^-----BEGIN PUBLIC KEY-----\n/);
    assert.deepEqual(sm2PublicKeyFromPem(sm2PublicKeyToPem(publicKey).replaceAll("\n", "\r\n")), publicKey);
  });

  it("is read by Node's own crypto (SM2 curve OID)", () => {
    const { privateKey, publicKey } = generateSm2KeyPair();
    const nodePrivate = createPrivateKey(sm2PrivateKeyToPem(privateKey));
    const spki = createPublicKey(nodePrivate).export({ type: "spki", format: "der" });
    assert.deepEqual(new Uint8Array(spki), sm2PublicKeyToDer(publicKey));
    assert.deepEqual(sm2PublicKeyFromDer(new Uint8Array(spki)), publicKey);
  });

  it("rejects malformed or foreign key encodings with INVALID_KEY", () => {
    const { privateKey, publicKey } = generateSm2KeyPair();
    const pkcs8 = sm2PrivateKeyToDer(privateKey);
    const spki = sm2PublicKeyToDer(publicKey);
    throwsCode(() => sm2PrivateKeyFromDer(pkcs8.subarray(0, pkcs8.length - 1)), "INVALID_KEY");
    throwsCode(() => sm2PrivateKeyFromDer(concatBytes(pkcs8, Uint8Array.of(0))), "INVALID_KEY");
    throwsCode(() => sm2PublicKeyFromDer(spki.subarray(0, 40)), "INVALID_KEY");
    throwsCode(() => sm2PublicKeyFromDer(flip(spki, spki.length - 1)), "INVALID_KEY"); // point off the curve
    throwsCode(() => sm2PublicKeyFromPem(sm2PrivateKeyToPem(privateKey)), "INVALID_KEY");
    throwsCode(() => sm2PrivateKeyFromPem(sm2PublicKeyToPem(publicKey)), "INVALID_KEY");
    throwsCode(
      () => sm2PrivateKeyFromPem("-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n"),
      "INVALID_KEY",
    );
    throwsCode(() => sm2PrivateKeyFromPem("not a key"), "INVALID_KEY");
    // a private key spliced with another key's public key
    const other = generateSm2KeyPair();
    const spliced = pkcs8.slice();
    spliced.set(other.publicKey, pkcs8.length - 65);
    throwsCode(() => sm2PrivateKeyFromDer(spliced), "INVALID_KEY");
    // secp256k1 (the wallet curve) named instead of SM2: AlgorithmIdentifier { id-ecPublicKey, 1.3.132.0.10 }
    const secp256k1Spki = concatBytes(
      Uint8Array.of(
        0x30,
        0x56,
        0x30,
        0x10,
        0x06,
        0x07,
        0x2a,
        0x86,
        0x48,
        0xce,
        0x3d,
        0x02,
        0x01,
        0x06,
        0x05,
        0x2b,
        0x81,
        0x04,
        0x00,
        0x0a,
      ),
      Uint8Array.of(0x03, 0x42, 0x00),
      publicKey,
    );
    try {
      sm2PublicKeyFromDer(secp256k1Spki);
      assert.fail("accepted a secp256k1 key");
    } catch (error) {
      assert.ok(isPlatformError(error, "INVALID_KEY"), String(error));
      assert.equal(error.details.curveName, "secp256k1");
    }
  });
});

describe("SM2 key encodings: strict DER, bounded PEM", () => {
  const { publicKey } = generateSm2KeyPair();
  const EC_PUBLIC_KEY = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
  const SM2_CURVE = [0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d];
  const oid = (content: readonly number[]) => [0x06, content.length, ...content];
  /** A SubjectPublicKeyInfo of `publicKey` with the given AlgorithmIdentifier content. */
  const spkiWith = (algorithm: readonly number[]) => {
    const body = [0x30, algorithm.length, ...algorithm, 0x03, 0x42, 0x00, ...publicKey];
    return Uint8Array.from([0x30, body.length, ...body]);
  };
  const refused = (algorithm: readonly number[], reason: RegExp) =>
    assert.throws(
      () => sm2PublicKeyFromDer(spkiWith(algorithm)),
      (error: unknown) => isPlatformError(error, "INVALID_KEY") && reason.test(error.message),
      `${toHex(Uint8Array.from(algorithm))} refused for ${reason}`,
    );

  it("reads the AlgorithmIdentifiers of SM2 keys: id-ecPublicKey + SM2, the SM2 OID alone or with NULL", () => {
    assert.deepEqual(sm2PublicKeyFromDer(spkiWith([...oid(EC_PUBLIC_KEY), ...oid(SM2_CURVE)])), publicKey);
    assert.deepEqual(sm2PublicKeyFromDer(spkiWith(oid(SM2_CURVE))), publicKey);
    assert.deepEqual(sm2PublicKeyFromDer(spkiWith([...oid(SM2_CURVE), 0x05, 0x00])), publicKey);
    assert.deepEqual(sm2PublicKeyFromDer(spkiWith([...oid(SM2_CURVE), ...oid(SM2_CURVE)])), publicKey);
  });

  it("refuses an OID whose last byte has the continuation bit (a truncated subidentifier)", () => {
    refused([...oid(EC_PUBLIC_KEY), ...oid([...SM2_CURVE, 0x81])], /ends inside a subidentifier/);
    refused([...oid([...EC_PUBLIC_KEY, 0x80]), ...oid(SM2_CURVE)], /ends inside a subidentifier/);
    refused([...oid([...SM2_CURVE, 0xff])], /ends inside a subidentifier/);
  });

  it("refuses an OID subidentifier that starts with 0x80 (not minimal), wherever it is", () => {
    // 80 81 1c is 156 padded: the same arcs as the SM2 curve OID, in a second encoding
    refused([...oid(EC_PUBLIC_KEY), ...oid([0x2a, 0x80, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x82, 0x2d])], /not minimally encoded/);
    refused([...oid(EC_PUBLIC_KEY), ...oid([0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x80, 0x82, 0x2d])], /not minimally encoded/);
    refused([...oid([0x80, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]), ...oid(SM2_CURVE)], /not minimally encoded/);
    refused([...oid([0x2a, 0x80, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]), ...oid(SM2_CURVE)], /not minimally encoded/);
    refused(oid([0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x80, 0x82, 0x2d]), /not minimally encoded/);
  });

  it("refuses empty OIDs, subidentifiers beyond 2^53 and NULL parameters with content", () => {
    refused([...oid(EC_PUBLIC_KEY), 0x06, 0x00], /empty OBJECT IDENTIFIER/);
    refused([...oid(EC_PUBLIC_KEY), ...oid([0x2a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])], /too large/);
    refused([...oid(SM2_CURVE), 0x05, 0x01, 0x00], /NULL parameters with content/);
    refused([...oid(SM2_CURVE), 0x05, 0x02, 0x05, 0x00], /NULL parameters with content/);
    refused([...oid(EC_PUBLIC_KEY), 0x05, 0x01, 0x00], /NULL parameters with content/);
  });

  it("refuses PEM text over 64 KiB before looking for a key in it", () => {
    const { privateKey } = generateSm2KeyPair();
    assert.equal(MAX_PEM_LENGTH, 65536);
    const padded = (pem: string, length: number) => pem + "#".repeat(length - pem.length);
    const publicPem = sm2PublicKeyToPem(publicKey);
    const privatePem = sm2PrivateKeyToPem(privateKey);
    assert.deepEqual(sm2PublicKeyFromPem(padded(publicPem, MAX_PEM_LENGTH)), publicKey);
    assert.deepEqual(sm2PrivateKeyFromPem(padded(privatePem, MAX_PEM_LENGTH)), privateKey);
    for (const [read, pem, what] of [
      [sm2PublicKeyFromPem, publicPem, "public key"],
      [sm2PrivateKeyFromPem, privatePem, "private key"],
    ] as const) {
      for (const text of [padded(pem, MAX_PEM_LENGTH + 1), "-----BEGIN A-----".repeat(3856) + pem]) {
        const start = performance.now();
        assert.throws(
          () => read(text),
          (error: unknown) => {
            assert.ok(isPlatformError(error, "INVALID_KEY"), String(error));
            assert.deepEqual(error.details, { what, reason: "too-long", length: text.length, max: MAX_PEM_LENGTH });
            return true;
          },
        );
        assert.ok(performance.now() - start < 500, "refused at once");
      }
    }
  });

  it("finds PEM blocks in linear time: adversarial 60 KiB texts are read in well under 50 ms each", () => {
    const size = 60 * 1024;
    const shapes = [
      "-----BEGIN A-----".repeat(Math.floor(size / 17)), // BEGIN repeated, no END: was quadratic
      `${"-----BEGIN A".repeat(Math.floor(size / 12))}-----`, // BEGINs sharing their dashes
      "-----BEGIN A-----\n-----END B-----\n".repeat(Math.floor(size / 34)), // ENDs of another label
      "-----BEGIN A-----\n-----END ".repeat(Math.floor(size / 27)), // ENDs never closed
      `-----BEGIN ${"A".repeat(size)}-----`, // a label far too long
    ];
    for (const text of shapes) assert.ok(text.length <= size + 32);
    const start = performance.now();
    for (let round = 0; round < 5; round++) {
      for (const text of shapes) {
        throwsCode(() => sm2PublicKeyFromPem(text), "INVALID_KEY");
        throwsCode(() => sm2PrivateKeyFromPem(text), "INVALID_KEY");
      }
    }
    const elapsed = performance.now() - start;
    // 50 reads: linear scanning takes well under a millisecond each; the old regular expression took
    // 35–170 ms each on the first shape. 500 ms in all is generous against a busy machine.
    assert.ok(elapsed < 500, `50 adversarial PEM reads took ${elapsed.toFixed(0)} ms`);
    // An unterminated BEGIN does not hide the block after it; a block closed by another label is dropped.
    const pem = sm2PublicKeyToPem(publicKey);
    assert.deepEqual(sm2PublicKeyFromPem(`-----BEGIN A-----\n${pem}`), publicKey);
    assert.deepEqual(sm2PublicKeyFromPem(`${"-----BEGIN A-----".repeat(3000)}\n${pem}`), publicKey);
    throwsCode(() => sm2PublicKeyFromPem(pem.replace("-----END PUBLIC KEY-----", "-----END PRIVATE KEY-----")), "INVALID_KEY");
  });
});

describe("SM2 signatures", () => {
  const pair = generateSm2KeyPair();

  it("signs and verifies the same message given as bytes, hex or UTF-8 text", () => {
    const signature = signSm2({ utf8: "门诊记录 #42" }, pair.privateKey);
    assert.equal(verifySm2(utf8("门诊记录 #42"), signature, pair.publicKey), true);
    assert.equal(verifySm2(toHex(utf8("门诊记录 #42")), signature, pair.publicKey), true);
    assert.equal(verifySm2({ utf8: "门诊记录 #43" }, signature, pair.publicKey), false);
    const other = generateSm2KeyPair();
    assert.equal(verifySm2({ utf8: "门诊记录 #42" }, signature, other.publicKey), false);
  });

  it("honours the user id, including an empty one", () => {
    for (const userId of ["ALICE123@YAHOO.COM", "", utf8("设备-07")]) {
      const signature = signSm2("cafe", pair.privateKey, { userId, format: "raw" });
      assert.equal(verifySm2("cafe", signature, pair.publicKey, { userId, format: "raw" }), true);
      assert.equal(verifySm2("cafe", signature, pair.publicKey, { format: "raw" }), false);
    }
    throwsCode(() => signSm2("cafe", pair.privateKey, { userId: "x".repeat(8192) }), "INVALID_INPUT");
  });

  it("encodes short r and s minimally in DER and pads them in raw", () => {
    const raw = `${hex32(1n)}${hex32(N - 1n)}`;
    const der = sm2SignatureToDer(raw);
    assert.equal(toHex(der, false), `3026020101022100${hex32(N - 1n)}`);
    assert.equal(toHex(sm2SignatureToRaw(der), false), raw);
  });

  it("converts DER ↔ raw r‖s both ways", () => {
    for (let i = 0; i < 16; i++) {
      const der = signSm2(Uint8Array.of(i), pair.privateKey);
      const raw = sm2SignatureToRaw(der);
      assert.equal(raw.length, 64);
      assert.deepEqual(sm2SignatureToDer(raw), der);
      assert.equal(verifySm2(Uint8Array.of(i), raw, pair.publicKey, { format: "raw" }), true);
    }
  });

  it("signer and precomputed verifier agree with the one-shot functions", () => {
    const signer = createSm2Signer(pair.privateKey);
    const verifier = createSm2Verifier(pair.publicKey);
    assert.deepEqual(signer.publicKey, pair.publicKey);
    assert.deepEqual(signer.z, computeSm2Z(pair.publicKey));
    assert.deepEqual(verifier.z, signer.z);
    for (let i = 0; i < 8; i++) {
      const message = { utf8: `record ${i}` };
      const signature = signer.sign(message);
      assert.equal(verifier.verify(message, signature), true);
      assert.equal(verifySm2(message, signature, pair.publicKey), true);
      assert.equal(verifier.verify({ utf8: `record ${i + 1}` }, signature), false);
    }
    const aliceVerifier = createSm2Verifier(pair.publicKey, { userId: "ALICE123@YAHOO.COM", windowSize: 8 });
    const aliceSignature = createSm2Signer(pair.privateKey, { userId: "ALICE123@YAHOO.COM" }).sign("00", {
      format: "raw",
    });
    assert.equal(aliceVerifier.verify("00", aliceSignature, { format: "raw" }), true);
    assert.equal(verifier.verify("00", aliceSignature, { format: "raw" }), false);
    throwsCode(() => createSm2Verifier(flip(pair.publicKey, 64)), "INVALID_KEY");
    throwsCode(() => createSm2Verifier(pair.publicKey, { windowSize: 20 }), "INVALID_INPUT");
  });

  it("signs and verifies precomputed digests; digest length is checked", () => {
    const e = hashSm2Message("abcd", pair.publicKey);
    const signature = signSm2Digest(e, pair.privateKey);
    assert.equal(verifySm2Digest(e, signature, pair.publicKey), true);
    assert.equal(verifySm2("abcd", signature, pair.publicKey), true);
    throwsCode(() => signSm2Digest(new Uint8Array(0), pair.privateKey), "INVALID_INPUT");
    throwsCode(() => signSm2Digest(new Uint8Array(65), pair.privateKey), "INVALID_INPUT");
  });

  it("throws INVALID_SIGNATURE for each malformed form", () => {
    const der = signSm2("01", pair.privateKey);
    const raw = sm2SignatureToRaw(der);
    const verify = (signature: string | Uint8Array, format?: "der" | "raw") =>
      verifySm2("01", signature, pair.publicKey, format ? { format } : {});
    throwsCode(() => verify(raw), "INVALID_SIGNATURE"); // raw given as DER
    throwsCode(() => verify(der, "raw"), "INVALID_SIGNATURE"); // DER given as raw
    throwsCode(() => verify(raw.subarray(0, 63), "raw"), "INVALID_SIGNATURE");
    throwsCode(() => verify(concatBytes(raw, Uint8Array.of(0)), "raw"), "INVALID_SIGNATURE");
    throwsCode(() => verify(concatBytes(der, Uint8Array.of(0))), "INVALID_SIGNATURE"); // trailing byte
    throwsCode(() => verify(der.subarray(0, der.length - 1)), "INVALID_SIGNATURE"); // truncated
    throwsCode(() => verify("3006020100020101"), "INVALID_SIGNATURE"); // r = 0
    throwsCode(() => verify("30060201010201ff"), "INVALID_SIGNATURE"); // s negative
    throwsCode(() => verify("3007020200010201ff"), "INVALID_SIGNATURE"); // r not minimal
    throwsCode(() => verify(`${hex32(N)}${hex32(1n)}`, "raw"), "INVALID_SIGNATURE"); // r = n
    throwsCode(() => verify(`${hex32(1n)}${hex32(0n)}`, "raw"), "INVALID_SIGNATURE"); // s = 0
    throwsCode(() => verify("3080020101020101"), "INVALID_SIGNATURE"); // indefinite length
    throwsCode(() => verify("not hex"), "INVALID_SIGNATURE");
    throwsCode(() => sm2SignatureToRaw(raw), "INVALID_SIGNATURE");
    throwsCode(() => sm2SignatureToDer(der), "INVALID_SIGNATURE");
    throwsCode(() => verifySm2("01", der, pair.publicKey, { format: "jws" as "der" }), "INVALID_INPUT");
  });

  it("refuses a signature whose s·G + t·P is the point at infinity (r ≡ e mod n), as OpenSSL does", () => {
    const e = new Uint8Array(32).fill(0x11);
    const raw = infinitySignature(e, pair.privateKey);
    // sm-crypto-v2 alone accepts it: the affine x of the point at infinity comes out as 0
    assert.equal(smCrypto.doVerifySignature(e, toHex(raw, false), toHex(pair.publicKey, false), { hash: false }), true);
    assert.equal(verifySm2Digest(e, raw, pair.publicKey, { format: "raw" }), false);
    assert.equal(verifySm2Digest(e, sm2SignatureToDer(raw), pair.publicKey), false);
    // over a message, through each way of verifying
    const message = utf8("处方 #2025-0007");
    const overMessage = infinitySignature(hashSm2Message(message, pair.publicKey), pair.privateKey);
    assert.equal(verifySm2(message, overMessage, pair.publicKey, { format: "raw" }), false);
    assert.equal(createSm2Verifier(pair.publicKey).verify(message, overMessage, { format: "raw" }), false);
    assert.equal(createSm2Verifier(pair.publicKey, { windowSize: 8 }).verify(message, overMessage, { format: "raw" }), false);
    // a 64-byte digest, whose value exceeds n: r is e reduced mod n
    const long = new Uint8Array(64).fill(0xee);
    assert.equal(verifySm2Digest(long, infinitySignature(long, pair.privateKey), pair.publicKey, { format: "raw" }), false);
    // genuine signatures over the same digests still verify
    assert.equal(verifySm2Digest(e, signSm2Digest(e, pair.privateKey), pair.publicKey), true);
    assert.equal(verifySm2Digest(long, signSm2Digest(long, pair.privateKey), pair.publicKey), true);
    assert.equal(verifySm2(message, signSm2(message, pair.privateKey), pair.publicKey), true);
  });

  it("refuses user ids and texts with lone surrogates, which TextEncoder would make collide", () => {
    const signature = signSm2("00", pair.privateKey);
    for (const userId of ["a\ud800", "a\udbff", "\udc00b", "x\ud800\ud800", "\ude00\ud83d"]) {
      throwsCode(() => signSm2("00", pair.privateKey, { userId }), "INVALID_INPUT");
      throwsCode(() => verifySm2("00", signature, pair.publicKey, { userId }), "INVALID_INPUT");
      throwsCode(() => computeSm2Z(pair.publicKey, { userId }), "INVALID_INPUT");
      throwsCode(() => hashSm2Message("00", pair.publicKey, { userId }), "INVALID_INPUT");
      throwsCode(() => createSm2Signer(pair.privateKey, { userId }), "INVALID_INPUT");
      throwsCode(() => createSm2Verifier(pair.publicKey, { userId }), "INVALID_INPUT");
    }
    throwsCode(() => signSm2({ utf8: "处方\ud800" }, pair.privateKey), "INVALID_INPUT");
    throwsCode(() => verifySm2({ utf8: "处方\ud800" }, signature, pair.publicKey), "INVALID_INPUT");
    throwsCode(() => createSm2Signer(pair.privateKey).sign({ utf8: "\udfff" }), "INVALID_INPUT");
    throwsCode(() => encryptSm2({ utf8: "\udfff" }, pair.publicKey), "INVALID_INPUT");
    // well-formed text, characters outside the BMP included, is taken as its UTF-8 bytes
    const userId = "设备-07-\u{1f600}";
    const signed = signSm2("00", pair.privateKey, { userId });
    assert.equal(verifySm2("00", signed, pair.publicKey, { userId }), true);
    assert.equal(verifySm2("00", signed, pair.publicKey, { userId: utf8(userId) }), true);
  });

  it("never verifies a tampered signature: every byte of r‖s flipped", () => {
    const raw = signSm2("02", pair.privateKey, { format: "raw" });
    const verifier = createSm2Verifier(pair.publicKey);
    for (let i = 0; i < raw.length; i++) {
      for (const mask of [0x01, 0x80]) {
        try {
          assert.equal(verifier.verify("02", flip(raw, i, mask), { format: "raw" }), false);
        } catch (error) {
          assert.ok(isPlatformError(error, "INVALID_SIGNATURE"), String(error)); // flipped out of range
        }
      }
    }
  });
});

describe("SM2 encryption", () => {
  const pair = generateSm2KeyPair();
  const text = new TextDecoder();

  it("round-trips in C1C3C2 (default), C1C2C3 and DER, and converts between them", () => {
    for (const format of ["c1c3c2", "c1c2c3", "der"] as const) {
      const ciphertext = encryptSm2({ utf8: "SM4 key: 0123456789abcdef" }, pair.publicKey, { format });
      assert.equal(text.decode(decryptSm2(ciphertext, pair.privateKey, { format })), "SM4 key: 0123456789abcdef");
      for (const to of ["c1c3c2", "c1c2c3", "der"] as const) {
        const converted = convertSm2Ciphertext(ciphertext, { from: format, to });
        assert.equal(text.decode(decryptSm2(converted, pair.privateKey, { format: to })), "SM4 key: 0123456789abcdef");
      }
    }
    // C1 may also arrive compressed (GM/T 0003.1 §4.2.9)
    const uncompressed = toBytes(annex.c1 + annex.c3 + annex.c2);
    const compressed = concatBytes(
      Uint8Array.of(2 + (uncompressed[64]! & 1)),
      uncompressed.subarray(1, 33),
      uncompressed.subarray(65),
    );
    assert.equal(text.decode(decryptSm2(compressed, annex.privateKey)), annex.encryptMessage);
    const defaultForm = encryptSm2("00ff", pair.publicKey);
    assert.equal(defaultForm.length, 65 + 32 + 2);
    assert.deepEqual(decryptSm2(defaultForm, pair.privateKey), Uint8Array.of(0, 0xff));
  });

  it("handles one byte and 64 KiB plaintexts; encryption is randomised", () => {
    assert.deepEqual(decryptSm2(encryptSm2("7f", pair.publicKey), pair.privateKey), Uint8Array.of(0x7f));
    const large = new Uint8Array(65536).map((_, i) => i * 31);
    assert.deepEqual(
      decryptSm2(encryptSm2(large, pair.publicKey, { format: "der" }), pair.privateKey, { format: "der" }),
      large,
    );
    assert.notDeepEqual(encryptSm2("01", pair.publicKey), encryptSm2("01", pair.publicKey));
  });

  it("decrypts every encoding of one ciphertext (C1 compressed too): documented, never deduplicate by bytes", () => {
    const plaintext = utf8("病历密钥");
    const ciphertext = encryptSm2(plaintext, pair.publicKey);
    const compressed = concatBytes(Uint8Array.of(2 + (ciphertext[64]! & 1)), ciphertext.subarray(1, 33), ciphertext.subarray(65));
    const encodings = [ciphertext, compressed];
    assert.notDeepEqual(compressed, ciphertext);
    for (const encoding of encodings) assert.deepEqual(decryptSm2(encoding, pair.privateKey), plaintext);
    // convertSm2Ciphertext writes C1 uncompressed: it normalises the encodings
    assert.deepEqual(convertSm2Ciphertext(compressed, { from: "c1c3c2", to: "c1c3c2" }), ciphertext);
    assert.match(sdkDoc(), /\*\*Never deduplicate ciphertexts by bytes\*\*/);
  });

  it("raises INVALID_INPUT for an empty plaintext and INVALID_KEY for bad keys", () => {
    throwsCode(() => encryptSm2(new Uint8Array(0), pair.publicKey), "INVALID_INPUT");
    throwsCode(() => encryptSm2("01", flip(pair.publicKey, 64)), "INVALID_KEY");
    throwsCode(() => decryptSm2(encryptSm2("01", pair.publicKey), new Uint8Array(32)), "INVALID_KEY");
  });

  it("raises INVALID_CIPHERTEXT for each malformed form", () => {
    const raw = encryptSm2("0102030405", pair.publicKey);
    const der = convertSm2Ciphertext(raw, { from: "c1c3c2", to: "der" });
    const decrypt = (ct: string | Uint8Array, format?: "c1c3c2" | "c1c2c3" | "der") =>
      decryptSm2(ct, pair.privateKey, format ? { format } : {});
    throwsCode(() => decrypt(raw.subarray(0, 97)), "INVALID_CIPHERTEXT"); // no C2
    throwsCode(() => decrypt(raw.subarray(1)), "INVALID_CIPHERTEXT"); // sm-crypto style, no 04
    throwsCode(() => decrypt(flip(raw, 64)), "INVALID_CIPHERTEXT"); // C1 off the curve
    throwsCode(() => decrypt(der), "INVALID_CIPHERTEXT"); // DER given as raw
    throwsCode(() => decrypt(raw, "der"), "INVALID_CIPHERTEXT"); // raw given as DER
    throwsCode(() => decrypt(concatBytes(der, Uint8Array.of(0)), "der"), "INVALID_CIPHERTEXT");
    throwsCode(() => decrypt(der.subarray(0, der.length - 1), "der"), "INVALID_CIPHERTEXT");
    throwsCode(() => decrypt("zz"), "INVALID_CIPHERTEXT");
    throwsCode(() => decrypt(new Uint8Array(0)), "INVALID_CIPHERTEXT");
    // DER with a 31-byte hash
    const shortHash = annex.der.replace("0420" + annex.c3, "041F" + annex.c3.slice(2)).replace("307C", "307B");
    throwsCode(() => decryptSm2(shortHash, annex.privateKey, { format: "der" }), "INVALID_CIPHERTEXT");
  });

  it("never decrypts a tampered ciphertext: every byte flipped, truncations, wrong key, wrong order", () => {
    for (const format of ["c1c3c2", "der"] as const) {
      const ciphertext = encryptSm2("0102030405", pair.publicKey, { format });
      for (let i = 0; i < ciphertext.length; i++) {
        assert.throws(
          () => decryptSm2(flip(ciphertext, i), pair.privateKey, { format }),
          (error: unknown) =>
            isPlatformError(error, "INTEGRITY_CHECK_FAILED") || isPlatformError(error, "INVALID_CIPHERTEXT"),
        );
      }
    }
    const ciphertext = encryptSm2("0102030405", pair.publicKey);
    throwsCode(() => decryptSm2(flip(ciphertext, 65), pair.privateKey), "INTEGRITY_CHECK_FAILED"); // C3
    throwsCode(() => decryptSm2(flip(ciphertext, ciphertext.length - 1), pair.privateKey), "INTEGRITY_CHECK_FAILED"); // C2
    throwsCode(
      () => decryptSm2(ciphertext.subarray(0, ciphertext.length - 1), pair.privateKey),
      "INTEGRITY_CHECK_FAILED",
    );
    throwsCode(() => decryptSm2(concatBytes(ciphertext, Uint8Array.of(0)), pair.privateKey), "INTEGRITY_CHECK_FAILED");
    throwsCode(() => decryptSm2(ciphertext, generateSm2KeyPair().privateKey), "INTEGRITY_CHECK_FAILED");
    throwsCode(() => decryptSm2(ciphertext, pair.privateKey, { format: "c1c2c3" }), "INTEGRITY_CHECK_FAILED");
  });
});

describe("SM2 limits, as docs/SDK.md states them", () => {
  it("says what is constant-time (scalar multiplication), what is not, and that OpenSSL remains the reference", () => {
    const doc = sdkDoc();
    assert.match(doc, /scalar multiplication \(k·G, d·C1\) is constant-time; the modular arithmetic around it is not/);
    assert.match(doc, /OpenSSL \(or a certified crypto module\) remains the reference/);
    assert.doesNotMatch(doc, /noble-based \(constant-time scalar multiplication\)/);
  });
});

describe("SM2 interoperability with the OpenSSL 3 CLI", () => {
  // OpenSSL 3 is a prerequisite of the test suite (.ci/run installs it): without it this fails, it is never skipped.
  it("has the OpenSSL 3 CLI to interoperate with", () => {
    const openssl = spawnSync("openssl", ["version"], { encoding: "utf8" });
    assert.equal(openssl.status, 0, "the openssl command is missing: apt-get install openssl");
    assert.match(openssl.stdout, /^OpenSSL 3\./);
  });

  // set up in before(), not at collection, so a filtered run leaves no temporary directory behind
  let dir = "";
  let fileCounter = 0;
  const file = (content: string | Uint8Array): string => {
    const path = join(dir, `f${fileCounter++}`);
    writeFileSync(path, content);
    return path;
  };
  const run = (args: string[]): { status: number | null; stdout: Buffer; stderr: string } => {
    const result = spawnSync("openssl", args);
    return { status: result.status, stdout: result.stdout, stderr: result.stderr.toString() };
  };
  const ok = (args: string[]): Uint8Array => {
    const result = run(args);
    assert.equal(result.status, 0, `openssl ${args.join(" ")}: ${result.stderr}`);
    return new Uint8Array(result.stdout);
  };
  const distid = `distid:${SM2_DEFAULT_USER_ID}`;

  const ours = generateSm2KeyPair();
  let ourKey = "";
  let ourPub = "";
  let theirKeyPem: Uint8Array = new Uint8Array(0);
  let theirKey = "";
  let theirPubPem: Uint8Array = new Uint8Array(0);
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "sm2-openssl-"));
    ourKey = file(sm2PrivateKeyToPem(ours.privateKey));
    ourPub = file(sm2PublicKeyToPem(ours.publicKey));
    theirKeyPem = ok(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2"]);
    theirKey = file(theirKeyPem);
    theirPubPem = ok(["pkey", "-in", theirKey, "-pubout"]);
  });
  after(() => {
    if (dir !== "") rmSync(dir, { recursive: true, force: true });
  });

  it("openssl reads our PKCS#8, SEC1 and SPKI keys and re-encodes them byte for byte", () => {
    const text = new TextDecoder();
    assert.equal(text.decode(ok(["pkey", "-in", ourKey])), sm2PrivateKeyToPem(ours.privateKey));
    // OpenSSL 3.0 writes DER private keys in the type-specific (SEC1) form
    assert.deepEqual(
      ok(["pkey", "-in", ourKey, "-outform", "DER"]),
      sm2PrivateKeyToDer(ours.privateKey, { format: "sec1" }),
    );
    assert.deepEqual(ok(["pkey", "-in", ourKey, "-pubout", "-outform", "DER"]), sm2PublicKeyToDer(ours.publicKey));
    assert.deepEqual(ok(["pkey", "-pubin", "-in", ourPub, "-outform", "DER"]), sm2PublicKeyToDer(ours.publicKey));
    const sec1 = file(sm2PrivateKeyToPem(ours.privateKey, { format: "sec1" }));
    assert.deepEqual(
      ok(["ec", "-in", sec1, "-outform", "DER"]),
      sm2PrivateKeyToDer(ours.privateKey, { format: "sec1" }),
    );
    assert.match(text.decode(ok(["pkey", "-in", sec1, "-text", "-noout"])), /ASN1 OID: SM2/);
  });

  it("openssl agrees on the edge keys d = 1 (public key G) and d = n − 2", () => {
    for (const d of [1n, N - 2n]) {
      const privateKey = hex32(d);
      const pem = file(sm2PrivateKeyToPem(privateKey));
      assert.deepEqual(
        ok(["pkey", "-in", pem, "-pubout", "-outform", "DER"]),
        sm2PublicKeyToDer(deriveSm2PublicKey(privateKey)),
      );
      assert.equal(new TextDecoder().decode(ok(["pkey", "-in", pem])), sm2PrivateKeyToPem(privateKey));
    }
    assert.equal(
      toHex(deriveSm2PublicKey(hex32(1n)), false).slice(2, 66),
      "32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7",
    );
  });

  it("signatures and ciphertexts cross both ways for 12 fresh key pairs", () => {
    for (let i = 0; i < 12; i++) {
      const pair = generateSm2KeyPair();
      const key = file(sm2PrivateKeyToPem(pair.privateKey, { format: i % 2 ? "sec1" : "pkcs8" }));
      const pub = file(sm2PublicKeyToPem(pair.publicKey));
      const message = new Uint8Array(8 + i * 7).map((_, j) => j * 13 + i);
      const messageFile = file(message);
      const theirs = ok([
        "pkeyutl",
        "-sign",
        "-inkey",
        key,
        "-rawin",
        "-digest",
        "sm3",
        "-pkeyopt",
        distid,
        "-in",
        messageFile,
      ]);
      assert.equal(verifySm2(message, theirs, pair.publicKey), true);
      const mine = file(signSm2(message, pair.privateKey));
      const verified = run([
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        pub,
        "-rawin",
        "-digest",
        "sm3",
        "-pkeyopt",
        distid,
        "-in",
        messageFile,
        "-sigfile",
        mine,
      ]);
      assert.equal(verified.status, 0, verified.stderr);
      const encrypted = ok(["pkeyutl", "-encrypt", "-pubin", "-inkey", pub, "-in", messageFile]);
      assert.deepEqual(decryptSm2(encrypted, pair.privateKey, { format: "der" }), message);
      assert.deepEqual(
        ok(["pkeyutl", "-decrypt", "-inkey", key, "-in", file(encryptSm2(message, pair.publicKey, { format: "der" }))]),
        message,
      );
    }
  });

  it("we read keys generated by openssl: PKCS#8, SEC1, ecparam output, SPKI", () => {
    const text = new TextDecoder();
    const privateKey = sm2PrivateKeyFromPem(text.decode(theirKeyPem));
    const publicKey = sm2PublicKeyFromPem(text.decode(theirPubPem));
    assert.deepEqual(deriveSm2PublicKey(privateKey), publicKey);
    assert.deepEqual(sm2PrivateKeyFromPem(text.decode(ok(["ec", "-in", theirKey]))), privateKey);
    assert.deepEqual(sm2PrivateKeyFromDer(ok(["pkey", "-in", theirKey, "-outform", "DER"])), privateKey);
    assert.deepEqual(sm2PublicKeyFromDer(ok(["pkey", "-in", theirKey, "-pubout", "-outform", "DER"])), publicKey);
    const withParameters = text.decode(ok(["ecparam", "-name", "SM2", "-genkey"]));
    assert.match(withParameters, /PARAMETERS-----/);
    assert.equal(sm2PrivateKeyFromPem(withParameters).length, 32);
  });

  it("we reject openssl's encrypted, P-256 and secp256k1 keys with INVALID_KEY", () => {
    const text = new TextDecoder();
    const encrypted = text.decode(
      ok(["pkcs8", "-topk8", "-in", theirKey, "-v2", "aes-256-cbc", "-passout", "pass:secret"]),
    );
    throwsCode(() => sm2PrivateKeyFromPem(encrypted), "INVALID_KEY");
    const legacyEncrypted = text.decode(ok(["ec", "-in", theirKey, "-aes256", "-passout", "pass:secret"]));
    assert.match(legacyEncrypted, /Proc-Type: 4,ENCRYPTED/);
    throwsCode(() => sm2PrivateKeyFromPem(legacyEncrypted), "INVALID_KEY");
    const explicit = file(ok(["ec", "-in", theirKey, "-param_enc", "explicit"]));
    throwsCode(() => sm2PrivateKeyFromPem(readFileSync(explicit, "utf8")), "INVALID_KEY");
    throwsCode(() => sm2PublicKeyFromDer(ok(["pkey", "-in", explicit, "-pubout", "-outform", "DER"])), "INVALID_KEY");
    const renamed = ok(["ec", "-in", explicit, "-param_enc", "named_curve"]); // the fix the error suggests
    assert.equal(sm2PrivateKeyFromPem(text.decode(renamed)).length, 32);
    for (const curve of ["P-256", "secp256k1"]) {
      const key = ok(["genpkey", "-algorithm", "EC", "-pkeyopt", `ec_paramgen_curve:${curve}`]);
      throwsCode(() => sm2PrivateKeyFromPem(text.decode(key)), "INVALID_KEY");
      throwsCode(
        () => sm2PublicKeyFromDer(ok(["pkey", "-in", file(key), "-pubout", "-outform", "DER"])),
        "INVALID_KEY",
      );
    }
  });

  it("openssl verifies our signatures with distid 1234567812345678 (and a custom id), and rejects tampered ones", () => {
    const message = file("处方 #2024-0001: amoxicillin 500 mg");
    const signature = signSm2(readFileSync(message), ours.privateKey);
    const verify = (sig: Uint8Array, id: string) =>
      run([
        "pkeyutl",
        "-verify",
        "-pubin",
        "-inkey",
        ourPub,
        "-rawin",
        "-digest",
        "sm3",
        "-pkeyopt",
        id,
        "-in",
        message,
        "-sigfile",
        file(sig),
      ]);
    const good = verify(signature, distid);
    assert.equal(good.status, 0, good.stderr);
    assert.match(good.stdout.toString(), /Signature Verified Successfully/);
    assert.notEqual(verify(sm2SignatureToDer(flip(sm2SignatureToRaw(signature), 40)), distid).status, 0);
    const custom = signSm2(readFileSync(message), ours.privateKey, { userId: "ALICE123@YAHOO.COM" });
    assert.equal(verify(custom, "distid:ALICE123@YAHOO.COM").status, 0);
    assert.notEqual(verify(custom, distid).status, 0);
  });

  it("openssl refuses the point-at-infinity signature as we do, and verifies a genuine one over the same digest", () => {
    const e = new Uint8Array(32).fill(0x11);
    const digest = file(e);
    const verify = (signature: Uint8Array) =>
      run(["pkeyutl", "-verify", "-pubin", "-inkey", ourPub, "-in", digest, "-sigfile", file(signature)]);
    const raw = infinitySignature(e, ours.privateKey);
    const refused = verify(sm2SignatureToDer(raw));
    assert.notEqual(refused.status, 0, "openssl accepted the point-at-infinity signature");
    assert.match(`${refused.stdout.toString()}${refused.stderr}`, /point at infinity/);
    assert.equal(verifySm2Digest(e, raw, ours.publicKey, { format: "raw" }), false);
    const genuine = signSm2Digest(e, ours.privateKey);
    const accepted = verify(genuine);
    assert.equal(accepted.status, 0, accepted.stderr);
    assert.equal(verifySm2Digest(e, genuine, ours.publicKey), true);
  });

  it("we verify openssl's signatures with the default id, and not with another id", () => {
    const message = file("检验报告 HbA1c 6.1%");
    const signature = ok([
      "pkeyutl",
      "-sign",
      "-inkey",
      theirKey,
      "-rawin",
      "-digest",
      "sm3",
      "-pkeyopt",
      distid,
      "-in",
      message,
    ]);
    const publicKey = sm2PublicKeyFromPem(new TextDecoder().decode(theirPubPem));
    assert.equal(verifySm2(readFileSync(message), signature, publicKey), true);
    assert.equal(createSm2Verifier(publicKey).verify(readFileSync(message), signature), true);
    assert.equal(verifySm2(readFileSync(message), signature, publicKey, { userId: "" }), false);
    assert.equal(verifySm2(utf8("检验报告 HbA1c 6.2%"), signature, publicKey), false);
  });

  it("Node's built-in SM2 signing uses an empty user id: it verifies here only with userId ''", () => {
    const message = utf8("node crypto");
    const signature = nodeSign(null, message, createPrivateKey(sm2PrivateKeyToPem(ours.privateKey)));
    assert.equal(verifySm2(message, signature, ours.publicKey, { userId: "" }), true);
    assert.equal(verifySm2(message, signature, ours.publicKey), false);
  });

  it("openssl decrypts our DER ciphertexts (also converted from C1C3C2), and we decrypt openssl's", () => {
    const plaintext = utf8("病历密钥 0123456789abcdef");
    const der = encryptSm2(plaintext, ours.publicKey, { format: "der" });
    assert.deepEqual(ok(["pkeyutl", "-decrypt", "-inkey", ourKey, "-in", file(der)]), plaintext);
    const converted = convertSm2Ciphertext(encryptSm2(plaintext, ours.publicKey), { from: "c1c3c2", to: "der" });
    assert.deepEqual(ok(["pkeyutl", "-decrypt", "-inkey", ourKey, "-in", file(converted)]), plaintext);
    assert.notEqual(run(["pkeyutl", "-decrypt", "-inkey", ourKey, "-in", file(flip(der, der.length - 1))]).status, 0);

    const theirs = ok(["pkeyutl", "-encrypt", "-pubin", "-inkey", ourPub, "-in", file(plaintext)]);
    assert.deepEqual(decryptSm2(theirs, ours.privateKey, { format: "der" }), plaintext);
    throwsCode(
      () => decryptSm2(flip(theirs, theirs.length - 1), ours.privateKey, { format: "der" }),
      "INTEGRITY_CHECK_FAILED",
    );
  });
});

describe("SM2 encryptor with a prepared recipient key", () => {
  const recipient = generateSm2KeyPair();
  const encryptor = createSm2Encryptor(recipient.publicKey);

  it("encrypts in every format to what decryptSm2 and sm-crypto-v2 open, with a fresh C1 each time", () => {
    const message = utf8("data key 数据密钥 0123");
    for (const format of ["c1c3c2", "c1c2c3", "der"] as const) {
      assert.deepEqual(decryptSm2(encryptor.encrypt(message, { format }), recipient.privateKey, { format }), message);
    }
    const a = encryptor.encrypt(message);
    const b = encryptor.encrypt(message);
    assert.notDeepEqual(a.subarray(0, 65), b.subarray(0, 65));
    const opened = smCrypto.doDecrypt(toHex(a, false).slice(2), toHex(recipient.privateKey, false), 1, { output: "array" });
    assert.deepEqual(Uint8Array.from(opened as ArrayLike<number>), message);
    assert.deepEqual(encryptor.publicKey, toBytes(toHex(encryptor.publicKey)));
  });

  it("refuses what encryptSm2 refuses: malformed keys, empty plaintexts, bad windows", () => {
    throwsCode(() => createSm2Encryptor(new Uint8Array(65)), "INVALID_KEY");
    throwsCode(() => encryptor.encrypt(new Uint8Array(0)), "INVALID_INPUT");
    throwsCode(() => createSm2Encryptor(recipient.publicKey, { windowSize: 9 }), "INVALID_INPUT");
  });
});

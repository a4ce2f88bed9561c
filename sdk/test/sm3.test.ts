import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { describe, it } from "node:test";
import { isPlatformError, type ErrorCode } from "../src/errors.ts";
import { toHex, utf8 } from "../src/bytes.ts";
import { SM3_IMPLEMENTATION, hmacSm3, hmacSm3Hex, sm3, sm3Hex, sm3Implementations, sm3Utf8 } from "../src/sm3.ts";
import * as esbuild from "esbuild";

const native = sm3Implementations.native;
const pure = sm3Implementations.pure;
const both = [native, pure].filter((impl) => impl !== undefined);
const hex = (bytes: Uint8Array) => toHex(bytes, false);
const openssl = (args: readonly string[], input: Uint8Array) => execFileSync("openssl", args, { input }).toString();
const rejects = (code: ErrorCode) => (error: unknown) => isPlatformError(error, code);

// GB/T 32905-2016 Appendix A.
const GBT_32905 = [
  { input: "abc", digest: "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0" },
  { input: "abcd".repeat(16), digest: "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732" },
];

// GM/T 0042-2015 Appendix D.3, as in OpenSSL's test/recipes/30-test_evp_data/evpmac_sm3.txt.
const GMT_0042 = [
  {
    key: "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
    data: utf8("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopqabcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    mac: "ca05e144ed05d1857840d1f318a4a8669e559fc8391f414485bfdf7bb408963a",
  },
  {
    key: "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425",
    data: new Uint8Array(50).fill(0xcd),
    mac: "220bf579ded555393f0159f66c99877822a3ecf610d1552154b41d44b94db3ae",
  },
  { key: "0b".repeat(32), data: utf8("Hi There"), mac: "c0ba18c68b90c88bc07de794bfc7d2c8d19ec31ed8773bc2b390c9604e0be11e" },
  { key: hex(utf8("Jefe Jeferson Jr")), data: utf8("what do ya want for nothing?"), mac: "ce791a34c59adef472997a249600f3f244d59e875be04055ba2ae12fc845e78c" },
];

describe("SM3 digest", () => {
  it("uses OpenSSL through node:crypto under Node", () => {
    assert.equal(SM3_IMPLEMENTATION, "node:crypto");
    assert.ok(native);
  });

  for (const impl of both) {
    it(`gives the GB/T 32905-2016 digests (${impl.name})`, () => {
      for (const { input, digest } of GBT_32905) {
        assert.equal(hex(impl.digest(utf8(input))), digest);
        assert.equal(impl.digestHex(utf8(input)), digest);
        assert.equal(hex(impl.digestUtf8(input)), digest);
        assert.equal(impl.digestUtf8Hex(input), digest);
      }
    });
  }

  it("gives the GB/T 32905-2016 digests through the public functions", () => {
    for (const { input, digest } of GBT_32905) {
      assert.equal(hex(sm3(utf8(input))), digest);
      assert.equal(hex(sm3Utf8(input)), digest);
      assert.equal(sm3Hex(utf8(input)), `0x${digest}`);
      assert.equal(sm3Hex(`0x${hex(utf8(input))}`), `0x${digest}`);
    }
  });

  it("reads a string argument of sm3() as hex, never as text", () => {
    assert.deepEqual(sm3("616263"), sm3Utf8("abc"));
    assert.deepEqual(sm3("0x616263"), sm3Utf8("abc"));
    assert.throws(() => sm3("abc"), rejects("INVALID_HEX"));
    assert.throws(() => sm3("0x6g"), rejects("INVALID_HEX"));
  });

  it("hashes the empty input", () => {
    const empty = "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b";
    assert.equal(openssl(["dgst", "-sm3", "-r"], new Uint8Array(0)).slice(0, 64), empty);
    assert.equal(hex(sm3(new Uint8Array(0))), empty);
    assert.equal(hex(sm3("0x")), empty);
    assert.equal(hex(sm3Utf8("")), empty);
  });

  it("hashes text as UTF-8 and refuses lone surrogates instead of replacing them", () => {
    const text = "居民健康档案 · résumé · 😀";
    assert.deepEqual(sm3Utf8(text), sm3(utf8(text)));
    for (const broken of ["a\ud800b", "\udfff", "\ud800", "x\udc00", "\ud800\ud800\udc00", "\ud83d\ude00\ude00"]) {
      assert.throws(() => sm3Utf8(broken), rejects("INVALID_INPUT"), JSON.stringify(broken));
    }
    assert.deepEqual(sm3Utf8("\ud83d\ude00"), sm3("f09f9880"));
    assert.throws(() => sm3Utf8(new Uint8Array(1) as unknown as string), rejects("INVALID_INPUT"));
  });

  it("returns plain Uint8Arrays of their own, never pooled Buffers", () => {
    const digest = sm3(utf8("abc"));
    assert.equal(digest.constructor, Uint8Array);
    assert.equal(digest.byteLength, 32);
    assert.equal(digest.buffer.byteLength, 32);
    assert.equal(hmacSm3("0b", utf8("x")).constructor, Uint8Array);
  });

  it("gives the same digests natively and in pure JS on random inputs of every length around the block size", () => {
    assert.ok(native);
    for (let length = 0; length <= 300; length++) {
      const data = randomBytes(length);
      assert.equal(hex(pure.digest(data)), hex(native.digest(data)), `length ${length}`);
    }
    for (const length of [1000, 1024, 4095, 4096, 65_537]) {
      const data = randomBytes(length);
      assert.equal(pure.digestHex(data), native.digestHex(data), `length ${length}`);
    }
    const text = "检验报告：空腹血糖 5.60 mmol/L 😀 Ⅻ ﬁ é";
    assert.equal(pure.digestUtf8Hex(text), native.digestUtf8Hex(text));
  });

  it("agrees with `openssl dgst -sm3` on random inputs", () => {
    for (const length of [1, 55, 56, 64, 1000, 10_000]) {
      const data = randomBytes(length);
      assert.equal(hex(sm3(data)), openssl(["dgst", "-sm3", "-r"], data).slice(0, 64), `length ${length}`);
    }
  });
});

describe("HMAC-SM3", () => {
  for (const impl of both) {
    it(`gives the GM/T 0042-2015 Appendix D.3 MACs (${impl.name})`, () => {
      for (const { key, data, mac } of GMT_0042) assert.equal(hex(impl.hmac(Buffer.from(key, "hex"), data)), mac);
    });
  }

  it("gives the GM/T 0042-2015 MACs through the public functions", () => {
    for (const { key, data, mac } of GMT_0042) {
      assert.equal(hex(hmacSm3(key, data)), mac);
      assert.equal(hmacSm3Hex(`0x${key}`, data), `0x${mac}`);
    }
  });

  it("gives the same MACs natively and in pure JS for keys shorter than, equal to and longer than a block", () => {
    assert.ok(native);
    for (const keyLength of [1, 16, 32, 63, 64, 65, 100, 200]) {
      for (const dataLength of [0, 1, 64, 1000]) {
        const key = randomBytes(keyLength);
        const data = randomBytes(dataLength);
        assert.equal(hex(pure.hmac(key, data)), hex(native.hmac(key, data)), `key ${keyLength}, data ${dataLength}`);
      }
    }
  });

  it("gives the same MACs under a key set up once as under the key given each time", () => {
    for (const impl of both) {
      const key = randomBytes(32);
      const mac = impl.hmacWithKey(key);
      for (const length of [0, 100, 5000]) {
        const data = randomBytes(length);
        assert.equal(hex(mac(data)), hex(impl.hmac(key, data)), `${impl.name} ${length}`);
      }
    }
  });

  it("agrees with `openssl dgst -sm3 -mac HMAC`", () => {
    for (const keyLength of [16, 32, 100]) {
      const key = randomBytes(keyLength);
      const data = randomBytes(777);
      const out = openssl(["dgst", "-sm3", "-mac", "HMAC", "-macopt", `hexkey:${hex(key)}`, "-r"], data);
      assert.equal(hex(hmacSm3(key, data)), out.slice(0, 64));
    }
  });

  it("refuses an empty key", () => {
    assert.throws(() => hmacSm3(new Uint8Array(0), utf8("x")), rejects("INVALID_KEY"));
    assert.throws(() => hmacSm3("0x", utf8("x")), rejects("INVALID_KEY"));
  });
});

describe("pure path outside Node", () => {
  it("is what the sdk takes when the runtime has no process.getBuiltinModule (as in a browser)", () => {
    const src = fileURLToPath(new URL("../src/", import.meta.url));
    const script = `
      delete process.getBuiltinModule;
      const { SM3_IMPLEMENTATION, sm3Hex, hmacSm3Hex } = await import(${JSON.stringify(`${src}sm3.ts`)});
      const { SM4_IMPLEMENTATION } = await import(${JSON.stringify(`${src}sm4.ts`)});
      console.log(JSON.stringify([SM3_IMPLEMENTATION, SM4_IMPLEMENTATION, sm3Hex("616263"), hmacSm3Hex("0b".repeat(32), "4869205468657265")]));
    `;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script]).toString();
    assert.deepEqual(JSON.parse(out), [
      "sm-crypto-v2",
      "sm-crypto-v2",
      `0x${GBT_32905[0]!.digest}`,
      `0x${GMT_0042[2]!.mac}`,
    ]);
  });

  it("bundles for the browser with no Node import, and runs where there is no process", async () => {
    const result = await esbuild.build({
      stdin: {
        contents: 'export * from "./sm3.ts"; export * from "./sm4.ts"; export * from "./fingerprint.ts"; export { toHex, utf8 } from "./bytes.ts";',
        resolveDir: fileURLToPath(new URL("../src/", import.meta.url)),
        loader: "ts",
      },
      bundle: true,
      platform: "browser",
      format: "iife",
      globalName: "sdk",
      write: false,
      logLevel: "silent",
    });
    assert.deepEqual(result.warnings, []);
    const code = result.outputFiles[0]!.text;
    assert.doesNotMatch(code, /\brequire\(|from\s*["']node:|import\(\s*["']node:/);

    // A fresh realm with only what a browser offers (no process, no Buffer): Web Crypto and a TextEncoder.
    const realm = vm.createContext({ crypto: globalThis.crypto });
    vm.runInContext(
      "globalThis.TextEncoder = class { encode(s) { const u = unescape(encodeURIComponent(s)); return Uint8Array.from(u, (c) => c.charCodeAt(0)); } };",
      realm,
    );
    vm.runInContext(code, realm);
    const record = { 姓名: "张三", value: "5.60", at: "2025-03-14T08:30:00.000Z" };
    const out = vm.runInContext(
      `(() => {
        const ring = sdk.createKeyRing([{ keyId: "k1", key: "00".repeat(16) }], "k1");
        const sealed = sdk.sealEnvelope(ring, sdk.utf8("体检报告"), { aad: sdk.utf8("rec-1") });
        return JSON.stringify([
          sdk.SM3_IMPLEMENTATION, sdk.SM4_IMPLEMENTATION,
          sdk.toHex(sdk.sm3Utf8("abc")), sdk.fingerprint(${JSON.stringify(record)}),
          sdk.toHex(sdk.openEnvelope(ring, sealed, { aad: sdk.utf8("rec-1") })),
          sdk.envelopeToText(sealed),
        ]);
      })()`,
      realm,
    ) as string;
    const [sm3Name, sm4Name, abc, fingerprintHex, opened, text] = JSON.parse(out) as string[];
    assert.equal(sm3Name, "sm-crypto-v2");
    assert.equal(sm4Name, "sm-crypto-v2");
    assert.equal(abc, `0x${GBT_32905[0]!.digest}`);
    const { fingerprint } = await import("../src/fingerprint.ts");
    assert.equal(fingerprintHex, fingerprint(record));
    assert.equal(opened, toHex(utf8("体检报告")));
    // …and what the browser sealed, Node opens.
    const { createKeyRing, envelopeFromText, openEnvelope } = await import("../src/sm4.ts");
    const ring = createKeyRing([{ keyId: "k1", key: "00".repeat(16) }], "k1");
    assert.deepEqual(openEnvelope(ring, envelopeFromText(text!), { aad: utf8("rec-1") }), utf8("体检报告"));
  });
});

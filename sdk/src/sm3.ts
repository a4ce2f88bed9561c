// SM3 hashing (GB/T 32905-2016) and HMAC-SM3 (GM/T 0042-2015, RFC 2104 construction).
//
// Under Node the work goes to OpenSSL through node:crypto; where that is missing (browsers, runtimes
// whose crypto lacks SM3) it goes to the pure implementation of sm-crypto-v2. Both give the same bytes;
// the tests run them against each other. node:crypto is reached with `process.getBuiltinModule`, a plain
// function call rather than an import, so bundlers (Vite, esbuild, webpack) have nothing to resolve or
// polyfill, and a browser, which has no `process`, simply takes the pure path.
import type * as NodeCrypto from "node:crypto";
import { sm3 as pureSm3 } from "sm-crypto-v2";
import type { Hex } from "viem";
import { type BytesLike, toBytes, toHex, utf8 } from "./bytes.ts";
import { platformError } from "./errors.ts";

/** Length of an SM3 digest in bytes. */
export const SM3_DIGEST_LENGTH = 32;

/** One way of computing SM3; the sdk picks one when it loads. @internal */
export interface Sm3Implementation {
  readonly name: "node:crypto" | "sm-crypto-v2";
  digest(data: Uint8Array): Uint8Array;
  /** Lower-case hex without 0x. */
  digestHex(data: Uint8Array): string;
  /** SM3 of the UTF-8 encoding of a well-formed string. */
  digestUtf8(text: string): Uint8Array;
  /** The same as lower-case hex without 0x. */
  digestUtf8Hex(text: string): string;
  hmac(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** HMAC under a key set up once, for keys used many times (the envelope's MAC keys). */
  hmacWithKey(key: Uint8Array): (data: Uint8Array) => Uint8Array;
}

type GetBuiltinModule = (id: string) => unknown;

/** node:crypto when the runtime offers it with SM3, else undefined. @internal */
export const nodeCrypto: typeof NodeCrypto | undefined = loadNodeCrypto();

function loadNodeCrypto(): typeof NodeCrypto | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: GetBuiltinModule } }).process;
  if (typeof proc?.getBuiltinModule !== "function") return undefined;
  try {
    const crypto = proc.getBuiltinModule("node:crypto") as typeof NodeCrypto | undefined;
    crypto?.createHash("sm3"); // throws where OpenSSL was built without SM3 (or it is BoringSSL)
    return crypto;
  } catch {
    return undefined;
  }
}

// A Buffer may be a view into Node's shared pool; hand out a plain array of its own.
const own = (buffer: Uint8Array): Uint8Array => new Uint8Array(buffer);

function nativeImplementation(crypto: typeof NodeCrypto): Sm3Implementation {
  // Node 24 spends ~9 µs turning raw key bytes into a key on every createHmac/createCipheriv call, and
  // ~0.6 µs in createSecretKey: so keys always go in as KeyObjects.
  const hmacWithKey = (key: Uint8Array) => {
    const secret = crypto.createSecretKey(key);
    return (data: Uint8Array) => own(crypto.createHmac("sm3", secret).update(data).digest());
  };
  return {
    name: "node:crypto",
    digest: (data) => own(crypto.createHash("sm3").update(data).digest()),
    digestHex: (data) => crypto.createHash("sm3").update(data).digest("hex"),
    digestUtf8: (text) => own(crypto.createHash("sm3").update(text, "utf8").digest()),
    // The one-shot crypto.hash() (Node ≥ 21.7) saves the Hash object: it matters for short texts
    // such as records.
    digestUtf8Hex:
      typeof crypto.hash === "function"
        ? (text) => crypto.hash("sm3", text, "hex")
        : (text) => crypto.createHash("sm3").update(text, "utf8").digest("hex"),
    hmac: (key, data) => hmacWithKey(key)(data),
    hmacWithKey,
  };
}

const pureImplementation: Sm3Implementation = {
  name: "sm-crypto-v2",
  digest: (data) => toBytes(pureSm3(data)),
  digestHex: (data) => pureSm3(data),
  digestUtf8: (text) => toBytes(pureSm3(utf8(text))),
  digestUtf8Hex: (text) => pureSm3(utf8(text)),
  hmac: (key, data) => toBytes(pureSm3(data, { key, mode: "hmac" })),
  hmacWithKey: (key) => {
    const copy = new Uint8Array(key);
    return (data) => toBytes(pureSm3(data, { key: copy, mode: "hmac" }));
  },
};

/** Both implementations, for the cross-tests and the benchmark; not part of the public surface. @internal */
export const sm3Implementations: {
  readonly native: Sm3Implementation | undefined;
  readonly pure: Sm3Implementation;
} = { native: nodeCrypto && nativeImplementation(nodeCrypto), pure: pureImplementation };

/** The implementation this runtime uses, for the sdk's own modules. @internal */
export const sm3Implementation: Sm3Implementation = sm3Implementations.native ?? pureImplementation;

// A high surrogate not followed by a low one, or a low one not preceded by a high one. (Not
// String#isWellFormed: ES2024, missing from the older WebViews many residents' phones still run.)
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?:[^\ud800-\udbff]|^)[\udc00-\udfff]/;

/** Whether a string is well-formed UTF-16, i.e. Unicode text with a UTF-8 encoding. @internal */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/** Which implementation this runtime uses: `"node:crypto"` (OpenSSL) or `"sm-crypto-v2"` (pure JS). */
export const SM3_IMPLEMENTATION: Sm3Implementation["name"] = sm3Implementation.name;

/**
 * SM3 digest (32 bytes) of bytes. A string argument is hex (with or without 0x), never text:
 * hash text with {@link sm3Utf8}.
 */
export function sm3(data: BytesLike): Uint8Array {
  return sm3Implementation.digest(toBytes(data, "data"));
}

/** SM3 digest of bytes as 0x-prefixed lower-case hex. A string argument is hex, as in {@link sm3}. */
export function sm3Hex(data: BytesLike): Hex {
  return `0x${sm3Implementation.digestHex(toBytes(data, "data"))}`;
}

/** SM3 digest (32 bytes) of the UTF-8 encoding of a text. Lone surrogates are refused, not replaced. */
export function sm3Utf8(text: string): Uint8Array {
  if (typeof text !== "string") {
    throw platformError("INVALID_INPUT", {
      details: { what: "text", type: typeof text },
      message: "sm3Utf8 hashes a string; for bytes or hex use sm3().",
      messageZh: "sm3Utf8 只接受字符串；字节或十六进制请用 sm3()。",
    });
  }
  if (!isWellFormedText(text)) {
    throw platformError("INVALID_INPUT", {
      details: { what: "text", reason: "lone-surrogate" },
      message: "The text contains a lone UTF-16 surrogate, which has no UTF-8 encoding. Repair the text before hashing it.",
      messageZh: "文本含有孤立的 UTF-16 代理项，无法编码为 UTF-8。请先修复文本再计算杂凑。",
    });
  }
  return sm3Implementation.digestUtf8(text);
}

/**
 * HMAC-SM3 (32 bytes) of bytes under a key, as GM/T 0042-2015 and RFC 2104 define it. Strings are hex.
 * An empty key is refused: it is always a configuration mistake.
 */
export function hmacSm3(key: BytesLike, data: BytesLike): Uint8Array {
  const keyBytes = toBytes(key, "key");
  if (keyBytes.length === 0) {
    throw platformError("INVALID_KEY", {
      details: { what: "HMAC-SM3 key", length: 0 },
      message: "The HMAC-SM3 key is empty. Pass the secret key bytes (32 random bytes are customary).",
      messageZh: "HMAC-SM3 密钥为空。请传入密钥字节（通常为 32 个随机字节）。",
    });
  }
  return sm3Implementation.hmac(keyBytes, toBytes(data, "data"));
}

/** HMAC-SM3 as 0x-prefixed lower-case hex. */
export function hmacSm3Hex(key: BytesLike, data: BytesLike): Hex {
  return toHex(hmacSm3(key, data)) as Hex;
}

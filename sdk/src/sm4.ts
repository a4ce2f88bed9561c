// SM4 (GB/T 32907-2016) and the v1 record envelope built on it.
//
// The cipher layer (ECB blocks, CTR, CBC) runs on OpenSSL through node:crypto when the runtime has it,
// else on sm-crypto-v2's pure implementation; both give the same bytes and the tests hold them to it.
// The envelope is what records at rest and shared-link payloads are stored as: SM4-CTR, then HMAC-SM3
// over everything (encrypt-then-MAC), keys found by key id in a key ring. Specification and rationale
// (why not SM4-GCM here): docs/ENVELOPE.md. Any change to the byte layout needs a new version number.
import { type BytesLike, concatBytes, constantTimeEqual, toBytes, utf8 } from "./bytes.ts";
import { isPlatformError, platformError } from "./errors.ts";
import { hmacSm3, nodeCrypto, sm3Implementation } from "./sm3.ts";
import { sm4 as pureSm4 } from "sm-crypto-v2";

/** SM4 key length in bytes. */
export const SM4_KEY_LENGTH = 16;
/** SM4 block (and IV) length in bytes. */
export const SM4_BLOCK_LENGTH = 16;

// ---------------------------------------------------------------------------------------------------
// Cipher layer

/** One way of running SM4; whole blocks only, padding is handled above it. @internal */
export interface Sm4Implementation {
  readonly name: "node:crypto" | "sm-crypto-v2";
  encryptEcb(key: Uint8Array, data: Uint8Array): Uint8Array;
  decryptEcb(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** CTR with the whole 16-byte IV as a big-endian counter (OpenSSL's and NIST SP 800-38A's rule). */
  ctr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  encryptCbc(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  decryptCbc(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array;
  /** CTR under a key set up once, for keys used many times (the envelope's encryption keys). */
  ctrWithKey(key: Uint8Array): (iv: Uint8Array, data: Uint8Array) => Uint8Array;
  /** Encrypts block after block under one key set up once (for the standard's 1,000,000-round vector). */
  blockEncryptor(key: Uint8Array): (block: Uint8Array) => Uint8Array;
}

type NodeCrypto = NonNullable<typeof nodeCrypto>;

function nativeImplementation(crypto: NodeCrypto): Sm4Implementation {
  type Secret = ReturnType<NodeCrypto["createSecretKey"]>;
  // Keys go in as KeyObjects: with raw bytes Node 24 spends ~9 µs per call preparing the key (see sm3.ts).
  const run = (cipher: string, decrypt: boolean, key: Uint8Array | Secret, iv: Uint8Array | null, data: Uint8Array) => {
    const secret = key instanceof Uint8Array ? crypto.createSecretKey(key) : key;
    const c = decrypt ? crypto.createDecipheriv(cipher, secret, iv) : crypto.createCipheriv(cipher, secret, iv);
    c.setAutoPadding(false);
    const head = c.update(data);
    const tail = c.final();
    return tail.length === 0 ? head : concatBytes(head, tail);
  };
  return {
    name: "node:crypto",
    encryptEcb: (key, data) => run("sm4-ecb", false, key, null, data),
    decryptEcb: (key, data) => run("sm4-ecb", true, key, null, data),
    ctr: (key, iv, data) => run("sm4-ctr", false, key, iv, data),
    encryptCbc: (key, iv, data) => run("sm4-cbc", false, key, iv, data),
    decryptCbc: (key, iv, data) => run("sm4-cbc", true, key, iv, data),
    ctrWithKey(key) {
      const secret = crypto.createSecretKey(key);
      return (iv, data) => run("sm4-ctr", false, secret, iv, data);
    },
    blockEncryptor(key) {
      const c = crypto.createCipheriv("sm4-ecb", key, null);
      c.setAutoPadding(false);
      return (block) => c.update(block);
    },
  };
}

const RAW = { padding: "none", output: "array" } as const;

const pureImplementation: Sm4Implementation = {
  name: "sm-crypto-v2",
  encryptEcb: (key, data) => pureSm4.encrypt(data, key, RAW),
  decryptEcb: (key, data) => pureSm4.decrypt(data, key, RAW),
  ctr(key, iv, data) {
    // The keystream is the ECB encryption of the successive counter blocks.
    const blocks = Math.ceil(data.length / SM4_BLOCK_LENGTH);
    const counters = new Uint8Array(blocks * SM4_BLOCK_LENGTH);
    const counter = new Uint8Array(iv); // a copy: Buffer#slice would be a view of the caller's IV
    for (let b = 0; b < blocks; b++) {
      counters.set(counter, b * SM4_BLOCK_LENGTH);
      for (let i = SM4_BLOCK_LENGTH - 1; i >= 0 && ++counter[i]! === 256; i--) counter[i] = 0;
    }
    const stream = pureSm4.encrypt(counters, key, RAW);
    const out = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ stream[i]!;
    return out;
  },
  encryptCbc: (key, iv, data) => pureSm4.encrypt(data, key, { ...RAW, mode: "cbc", iv }),
  decryptCbc: (key, iv, data) => pureSm4.decrypt(data, key, { ...RAW, mode: "cbc", iv }),
  ctrWithKey(key) {
    const copy = new Uint8Array(key);
    return (iv, data) => pureImplementation.ctr(copy, iv, data);
  },
  blockEncryptor: (key) => (block) => pureSm4.encrypt(block, key, RAW),
};

function hasNativeSm4(crypto: NodeCrypto | undefined): crypto is NodeCrypto {
  if (crypto === undefined) return false;
  const ciphers = new Set(crypto.getCiphers());
  return ["sm4-ecb", "sm4-ctr", "sm4-cbc"].every((name) => ciphers.has(name));
}

/** Both implementations, for the cross-tests and the benchmark; not part of the public surface. @internal */
export const sm4Implementations: {
  readonly native: Sm4Implementation | undefined;
  readonly pure: Sm4Implementation;
} = { native: hasNativeSm4(nodeCrypto) ? nativeImplementation(nodeCrypto) : undefined, pure: pureImplementation };

const active: Sm4Implementation = sm4Implementations.native ?? pureImplementation;

/** Which implementation this runtime uses: `"node:crypto"` (OpenSSL) or `"sm-crypto-v2"` (pure JS). */
export const SM4_IMPLEMENTATION: Sm4Implementation["name"] = active.name;

// A Buffer may be a view into Node's shared pool; hand out a plain array of its own.
const own = (bytes: Uint8Array): Uint8Array => (bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes));

function sm4Key(key: BytesLike): Uint8Array {
  const bytes = toBytes(key, "key");
  if (bytes.length !== SM4_KEY_LENGTH) {
    throw platformError("INVALID_KEY", {
      details: { what: "SM4 key", length: bytes.length, expected: SM4_KEY_LENGTH },
      message: `An SM4 key is 16 bytes; this one has ${bytes.length}.`,
      messageZh: `SM4 密钥应为 16 字节，此密钥为 ${bytes.length} 字节。`,
    });
  }
  return bytes;
}

function sm4Iv(iv: BytesLike): Uint8Array {
  const bytes = toBytes(iv, "iv");
  if (bytes.length !== SM4_BLOCK_LENGTH) {
    throw platformError("INVALID_INPUT", {
      details: { what: "SM4 IV", length: bytes.length, expected: SM4_BLOCK_LENGTH },
      message: `An SM4 IV is 16 bytes; this one has ${bytes.length}.`,
      messageZh: `SM4 初始向量应为 16 字节，此向量为 ${bytes.length} 字节。`,
    });
  }
  return bytes;
}

function wholeBlocks(data: BytesLike, what: string, code: "INVALID_INPUT" | "INVALID_CIPHERTEXT"): Uint8Array {
  const bytes = toBytes(data, what);
  if (bytes.length % SM4_BLOCK_LENGTH !== 0) {
    throw platformError(code, {
      details: { what, length: bytes.length, blockLength: SM4_BLOCK_LENGTH },
      message: `The ${what} must be a whole number of 16-byte SM4 blocks; it has ${bytes.length} bytes.`,
      messageZh: `${what} 长度必须是 16 字节 SM4 分组的整数倍，实际为 ${bytes.length} 字节。`,
    });
  }
  return bytes;
}

/**
 * SM4 encryption of whole 16-byte blocks, each on its own (ECB, no padding). For the standard's test
 * vectors and single-block uses; never for records: equal blocks give equal ciphertext.
 */
export function sm4EncryptEcb(key: BytesLike, data: BytesLike): Uint8Array {
  return own(active.encryptEcb(sm4Key(key), wholeBlocks(data, "data", "INVALID_INPUT")));
}

/** SM4 decryption of whole 16-byte blocks (ECB, no padding). */
export function sm4DecryptEcb(key: BytesLike, data: BytesLike): Uint8Array {
  return own(active.decryptEcb(sm4Key(key), wholeBlocks(data, "ciphertext", "INVALID_CIPHERTEXT")));
}

/**
 * SM4-CTR: encrypts or decrypts (the same operation) any length, with the 16-byte IV as the initial
 * counter block, incremented as one 128-bit big-endian number (as `openssl enc -sm4-ctr`).
 * Unauthenticated: never reuse a (key, IV) pair, and use {@link sealEnvelope} for stored data.
 */
export function sm4Ctr(key: BytesLike, iv: BytesLike, data: BytesLike): Uint8Array {
  return own(active.ctr(sm4Key(key), sm4Iv(iv), toBytes(data, "data")));
}

/** SM4-CBC encryption with PKCS#7 padding (as `openssl enc -sm4-cbc`). Unauthenticated: see {@link sealEnvelope}. */
export function sm4EncryptCbc(key: BytesLike, iv: BytesLike, plaintext: BytesLike): Uint8Array {
  const data = toBytes(plaintext, "plaintext");
  const pad = SM4_BLOCK_LENGTH - (data.length % SM4_BLOCK_LENGTH);
  const padded = new Uint8Array(data.length + pad).fill(pad);
  padded.set(data);
  return own(active.encryptCbc(sm4Key(key), sm4Iv(iv), padded));
}

/**
 * SM4-CBC decryption, removing PKCS#7 padding; bad length or padding → INVALID_CIPHERTEXT.
 *
 * The padding check reads all 16 last bytes whatever they hold and folds them into one flag with
 * bitwise operations, without an early exit or a branch on their values; only the final verdict
 * branches. That removes the obvious timing differences, not every one (JavaScript promises no
 * constant time), and the error itself tells bad padding apart: an unauthenticated CBC decryption
 * that answers an online attacker is a padding oracle (Vaudenay 2002) whatever the timing. So this is
 * for data from partners' systems and files, never for ciphertext an attacker can submit and
 * resubmit: that is what {@link openEnvelope} is for (MAC checked before anything is decrypted).
 */
export function sm4DecryptCbc(key: BytesLike, iv: BytesLike, ciphertext: BytesLike): Uint8Array {
  const data = wholeBlocks(ciphertext, "ciphertext", "INVALID_CIPHERTEXT");
  const padded = active.decryptCbc(sm4Key(key), sm4Iv(iv), data);
  const n = padded.length; // 0 or a multiple of 16: public
  const pad = n === 0 ? 0 : padded[n - 1]!;
  // Non-zero iff pad ∉ [1, 16]: (pad − 1) or (16 − pad) is then negative, and its sign bit is set.
  let bad = ((pad - 1) | (SM4_BLOCK_LENGTH - pad)) >>> 31;
  for (let i = 1; i <= SM4_BLOCK_LENGTH; i++) {
    const inPadding = ((i - pad - 1) >> 31) & 0xff; // 0xff when i ≤ pad, else 0
    bad |= ((padded[n - i] ?? 0) ^ pad) & inPadding;
  }
  if (bad !== 0) {
    throw platformError("INVALID_CIPHERTEXT", {
      details: { what: "SM4-CBC ciphertext", reason: "bad-padding", length: data.length },
      message: "The SM4-CBC ciphertext does not decrypt to valid PKCS#7 padding: wrong key or IV, or altered data.",
      messageZh: "SM4-CBC 密文解密后的 PKCS#7 填充无效：密钥或初始向量错误，或数据被篡改。",
    });
  }
  return own(padded.subarray(0, padded.length - pad));
}

// ---------------------------------------------------------------------------------------------------
// Envelope v1: "HC" ‖ version ‖ algorithm ‖ keyIdLength ‖ keyId ‖ IV ‖ ciphertext ‖ tag

/** The envelope version this sdk writes (and the only one it reads). */
export const ENVELOPE_VERSION = 1;
/** Algorithm id 1: SM4-CTR with a random 16-byte IV, then HMAC-SM3 (32-byte tag), keys by HKDF-SM3. */
export const ENVELOPE_ALGORITHM_SM4_CTR_HMAC_SM3 = 1;
/** Length of the envelope's IV in bytes. */
export const ENVELOPE_IV_LENGTH = 16;
/** Length of the envelope's tag (a full HMAC-SM3) in bytes. */
export const ENVELOPE_TAG_LENGTH = 32;
/** A key id: 1 to 64 ASCII letters, digits, `.`, `_`, `-`, starting with a letter or digit. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const MAGIC_0 = 0x48; // "H"
const MAGIC_1 = 0x43; // "C"
const FIXED_HEADER_LENGTH = 5;
const ENCRYPTION_KEY_INFO = utf8("health-chain/envelope/v1/sm4-ctr");
const MAC_KEY_INFO = utf8("health-chain/envelope/v1/hmac-sm3");
const DATA_KEY_LENGTHS: readonly number[] = [16, 32];

/** The two keys an envelope is made with, both derived from one data key. */
export interface EnvelopeKeys {
  /** 16-byte SM4-CTR key. */
  readonly encryptionKey: Uint8Array;
  /** 32-byte HMAC-SM3 key. */
  readonly macKey: Uint8Array;
}

/** HKDF (RFC 5869) with HMAC-SM3, empty salt, output of at most one block (32 bytes). */
function hkdfSm3(ikm: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const prk = hmacSm3(new Uint8Array(32), ikm);
  return hmacSm3(prk, concatBytes(info, Uint8Array.of(1))).slice(0, length);
}

/**
 * The SM4 and HMAC-SM3 keys of a data key (16 or 32 random bytes), by HKDF-SM3 with distinct labels,
 * so the two algorithms never share a key. Exposed for tooling and other implementations.
 */
export function deriveEnvelopeKeys(dataKey: BytesLike): EnvelopeKeys {
  const ikm = toBytes(dataKey, "data key");
  if (!DATA_KEY_LENGTHS.includes(ikm.length)) {
    throw platformError("INVALID_KEY", {
      details: { what: "envelope data key", length: ikm.length, expected: DATA_KEY_LENGTHS },
      message: `An envelope data key is 16 or 32 random bytes; this one has ${ikm.length}.`,
      messageZh: `信封数据密钥应为 16 或 32 个随机字节，此密钥为 ${ikm.length} 字节。`,
    });
  }
  return { encryptionKey: hkdfSm3(ikm, ENCRYPTION_KEY_INFO, 16), macKey: hkdfSm3(ikm, MAC_KEY_INFO, 32) };
}

/** A data key and the id the envelopes name it by. */
export interface KeyRingEntry {
  readonly keyId: string;
  readonly key: BytesLike;
}

/** The keys an application can seal and open with. It shows ids only; the key material stays inside. */
export interface KeyRing {
  /** The key new envelopes are sealed with. */
  readonly currentKeyId: string;
  readonly keyIds: readonly string[];
}

/** A key of a ring, set up once in the runtime's implementation. */
interface RingKey {
  readonly ctr: (iv: Uint8Array, data: Uint8Array) => Uint8Array;
  readonly mac: (input: Uint8Array) => Uint8Array;
}

const ringKeys = new WeakMap<KeyRing, ReadonlyMap<string, RingKey>>();

function checkKeyId(keyId: unknown): string {
  if (typeof keyId !== "string" || !KEY_ID_PATTERN.test(keyId)) {
    // The rejected value is not echoed: a malformed key id is sometimes a key given in the wrong field.
    throw platformError("INVALID_INPUT", {
      details:
        typeof keyId === "string"
          ? { what: "key id", reason: "pattern", length: keyId.length }
          : { what: "key id", reason: "not-a-string", type: keyId === null ? "null" : typeof keyId },
      message: "A key id is 1 to 64 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit.",
      messageZh: "密钥标识应为 1 至 64 个 ASCII 字母、数字、“.”、“_”或“-”，并以字母或数字开头。",
    });
  }
  return keyId;
}

/**
 * A key ring from data keys (16 or 32 random bytes each) and the id of the one to seal with. Rotate by
 * creating a ring whose current key is the new one and which still holds the old ones for opening.
 * The ring keeps only the derived keys, never the data keys.
 */
export function createKeyRing(entries: readonly KeyRingEntry[], currentKeyId: string): KeyRing {
  if (!Array.isArray(entries) || entries.length === 0) {
    throw platformError("INVALID_INPUT", {
      details: { what: "key ring entries" },
      message: "A key ring needs at least one { keyId, key } entry.",
      messageZh: "密钥环至少需要一个 { keyId, key } 条目。",
    });
  }
  const keys = new Map<string, RingKey>();
  for (const [index, entry] of entries.entries()) {
    const keyId = checkKeyId(entry?.keyId);
    if (keys.has(keyId)) {
      throw platformError("INVALID_INPUT", {
        details: { what: "key ring entries", keyId, reason: "duplicate-key-id" },
        message: `The key id "${keyId}" appears twice in the key ring; each key needs its own id.`,
        messageZh: `密钥标识“${keyId}”在密钥环中重复；每个密钥都需要唯一的标识。`,
      });
    }
    let derived: EnvelopeKeys;
    try {
      derived = deriveEnvelopeKeys(entry.key);
    } catch (error) {
      // Only the length and what was expected are passed on, and the inner error is not kept as the
      // cause: whatever it says about the key, this error must not carry the key.
      // (For a string that is not hex, `length` counts its characters, and the reason says where.)
      const inner: Readonly<Record<string, unknown>> = isPlatformError(error) ? error.details : {};
      const hex = isPlatformError(error, "INVALID_HEX");
      throw platformError("INVALID_KEY", {
        details: {
          what: "envelope data key",
          keyId,
          entry: index,
          ...(typeof inner.length === "number" ? { length: inner.length } : {}),
          expected: DATA_KEY_LENGTHS,
          ...(hex && typeof inner.reason === "string" ? { reason: inner.reason } : {}),
          ...(hex && typeof inner.index === "number" ? { index: inner.index } : {}),
        },
        message: `The data key of "${keyId}" is not 16 or 32 bytes (as Uint8Array or hex).`,
        messageZh: `密钥“${keyId}”的数据密钥不是 16 或 32 字节（Uint8Array 或十六进制）。`,
      });
    }
    keys.set(keyId, { ctr: active.ctrWithKey(derived.encryptionKey), mac: sm3Implementation.hmacWithKey(derived.macKey) });
    derived.encryptionKey.fill(0); // the implementations keep their own copies
    derived.macKey.fill(0);
  }
  if (!keys.has(currentKeyId)) {
    throw platformError("UNKNOWN_KEY_ID", {
      details: { keyId: currentKeyId, available: [...keys.keys()] },
      message: `The current key id "${String(currentKeyId)}" is not among the ring's keys.`,
      messageZh: `当前密钥标识“${String(currentKeyId)}”不在密钥环中。`,
    });
  }
  const ring: KeyRing = Object.freeze({ currentKeyId, keyIds: Object.freeze([...keys.keys()]) });
  ringKeys.set(ring, keys);
  return ring;
}

function keysOf(ring: KeyRing, keyId: string): RingKey {
  const keys = ringKeys.get(ring);
  if (keys === undefined) {
    throw platformError("INVALID_INPUT", {
      details: { what: "key ring" },
      message: "This is not a key ring made by createKeyRing().",
      messageZh: "这不是由 createKeyRing() 创建的密钥环。",
    });
  }
  const found = keys.get(keyId);
  if (found === undefined) {
    throw platformError("UNKNOWN_KEY_ID", { details: { keyId, available: ring.keyIds } });
  }
  return found;
}

/** The fields of an envelope, as read from its bytes (not yet authenticated). */
export interface EnvelopeParts {
  readonly version: number;
  readonly algorithm: number;
  readonly keyId: string;
  readonly iv: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly tag: Uint8Array;
}

function malformed(reason: string, length: number, en: string, zh: string): Error {
  return platformError("INVALID_CIPHERTEXT", { details: { what: "envelope", reason, length }, message: en, messageZh: zh });
}

/** Splits an envelope into views of its fields; throws on structure, knows nothing of keys. */
function splitEnvelope(bytes: Uint8Array): EnvelopeParts {
  const n = bytes.length;
  if (n < 4 || bytes[0] !== MAGIC_0 || bytes[1] !== MAGIC_1) {
    throw malformed(
      n < 4 ? "truncated" : "bad-magic",
      n,
      "This is not a health-chain envelope: it does not start with the bytes \"HC\".",
      "这不是健康链数据信封：开头不是字节“HC”。",
    );
  }
  const version = bytes[2]!;
  const algorithm = bytes[3]!;
  if (version !== ENVELOPE_VERSION || algorithm !== ENVELOPE_ALGORITHM_SM4_CTR_HMAC_SM3) {
    throw platformError("UNSUPPORTED_VERSION", {
      details: { version, algorithm, supported: [{ version: ENVELOPE_VERSION, algorithm: ENVELOPE_ALGORITHM_SM4_CTR_HMAC_SM3 }] },
      message: `Envelope version ${version} with algorithm ${algorithm} is not supported; this sdk reads version 1, algorithm 1. Upgrade the sdk if the envelope is newer.`,
      messageZh: `不支持版本 ${version}、算法 ${algorithm} 的信封；本 SDK 只读取版本 1、算法 1。若信封较新，请升级 SDK。`,
    });
  }
  const keyIdLength = bytes[4] ?? 0;
  const ivStart = FIXED_HEADER_LENGTH + keyIdLength;
  if (n < ivStart + ENVELOPE_IV_LENGTH + ENVELOPE_TAG_LENGTH) {
    throw malformed(
      "truncated",
      n,
      `The envelope is truncated: ${n} bytes, fewer than its header, IV and tag need.`,
      `信封被截断：仅 ${n} 字节，不足以容纳头部、初始向量和认证标签。`,
    );
  }
  let keyId = "";
  for (let i = FIXED_HEADER_LENGTH; i < ivStart; i++) keyId += String.fromCharCode(bytes[i]!);
  if (!KEY_ID_PATTERN.test(keyId)) {
    throw malformed("bad-key-id", n, "The envelope's key id is malformed.", "信封中的密钥标识格式错误。");
  }
  const ctStart = ivStart + ENVELOPE_IV_LENGTH;
  const tagStart = n - ENVELOPE_TAG_LENGTH;
  return {
    version,
    algorithm,
    keyId,
    iv: bytes.subarray(ivStart, ctStart),
    ciphertext: bytes.subarray(ctStart, tagStart),
    tag: bytes.subarray(tagStart),
  };
}

/** HMAC-SM3 over AAD ‖ envelope-before-tag ‖ AAD length in bits (64-bit big-endian), as JWE does. */
function envelopeTag(key: RingKey, aad: Uint8Array, body: Uint8Array): Uint8Array {
  const input = new Uint8Array(aad.length + body.length + 8);
  input.set(aad);
  input.set(body, aad.length);
  const bits = aad.length * 8;
  const view = new DataView(input.buffer, aad.length + body.length, 8);
  view.setUint32(0, Math.floor(bits / 2 ** 32));
  view.setUint32(4, bits >>> 0);
  return key.mac(input);
}

/** Options of sealing and opening. */
export interface EnvelopeOptions {
  /**
   * Associated data: authenticated, not encrypted, not stored in the envelope (e.g. `utf8(recordId)`),
   * so an envelope cannot be moved to another record. Opening must give the same bytes. Default empty.
   * Bytes only: a string is refused, not read as hex, since "0x20250314AB" would then be the same AAD
   * as "20250314ab" and an envelope sealed for one record id would open for another.
   */
  readonly aad?: Uint8Array;
}

function aadBytes(aad: unknown): Uint8Array {
  if (aad === undefined) return new Uint8Array(0);
  if (aad instanceof Uint8Array) return aad;
  throw platformError("INVALID_INPUT", {
    details: { what: "aad", type: aad === null ? "null" : typeof aad },
    message:
      typeof aad === "string"
        ? "The associated data (aad) must be bytes, not a string: pass utf8(recordId) (or the id's bytes), the same at sealing and opening."
        : "The associated data (aad) must be a Uint8Array, e.g. utf8(recordId).",
    messageZh:
      typeof aad === "string"
        ? "关联数据（aad）必须是字节而不是字符串：请传入 utf8(recordId)（或标识的字节），封装和打开时保持一致。"
        : "关联数据（aad）必须是 Uint8Array，例如 utf8(recordId)。",
  });
}

/** Reads the fields of an envelope without opening it (e.g. to see which key id it needs). Copies. */
export function parseEnvelope(envelope: BytesLike): EnvelopeParts {
  const parts = splitEnvelope(toBytes(envelope, "envelope"));
  return { ...parts, iv: new Uint8Array(parts.iv), ciphertext: new Uint8Array(parts.ciphertext), tag: new Uint8Array(parts.tag) };
}

/** Encrypts and authenticates data under the ring's current key, with a fresh random IV. */
export function sealEnvelope(ring: KeyRing, plaintext: BytesLike, options: EnvelopeOptions = {}): Uint8Array {
  const data = toBytes(plaintext, "plaintext");
  const aad = aadBytes(options.aad);
  const keyId = ring?.currentKeyId;
  const keys = keysOf(ring, keyId);
  const ivStart = FIXED_HEADER_LENGTH + keyId.length;
  const ctStart = ivStart + ENVELOPE_IV_LENGTH;
  const tagStart = ctStart + data.length;
  const out = new Uint8Array(tagStart + ENVELOPE_TAG_LENGTH);
  out.set([MAGIC_0, MAGIC_1, ENVELOPE_VERSION, ENVELOPE_ALGORITHM_SM4_CTR_HMAC_SM3, keyId.length]);
  for (let i = 0; i < keyId.length; i++) out[FIXED_HEADER_LENGTH + i] = keyId.charCodeAt(i);
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(ENVELOPE_IV_LENGTH));
  out.set(iv, ivStart);
  out.set(keys.ctr(iv, data), ctStart);
  out.set(envelopeTag(keys, aad, out.subarray(0, tagStart)), tagStart);
  return out;
}

/**
 * Checks and decrypts an envelope with the key it names. The tag is checked (in constant time) before
 * anything is decrypted: altered bytes or AAD → INTEGRITY_CHECK_FAILED; a key id the ring lacks →
 * UNKNOWN_KEY_ID; another version or algorithm → UNSUPPORTED_VERSION; bad structure → INVALID_CIPHERTEXT.
 */
export function openEnvelope(ring: KeyRing, envelope: BytesLike, options: EnvelopeOptions = {}): Uint8Array {
  const bytes = toBytes(envelope, "envelope");
  const aad = aadBytes(options.aad);
  const parts = splitEnvelope(bytes);
  const keys = keysOf(ring, parts.keyId);
  const expected = envelopeTag(keys, aad, bytes.subarray(0, bytes.length - ENVELOPE_TAG_LENGTH));
  if (!constantTimeEqual(expected, parts.tag)) {
    throw platformError("INTEGRITY_CHECK_FAILED", {
      details: { what: "envelope", keyId: parts.keyId, length: bytes.length, aadLength: aad.length },
      message:
        "The envelope failed its integrity check: it was altered, the associated data differs, or the key under this id is not the one it was sealed with. Nothing was decrypted.",
      messageZh: "信封完整性校验失败：信封被篡改、关联数据不一致，或该标识下的密钥并非加密所用密钥。未解密任何内容。",
    });
  }
  return own(keys.ctr(parts.iv, parts.ciphertext));
}

/**
 * Key rotation for stored data: opens an envelope with the key it names and seals it again under the
 * ring's current key. An envelope already under the current key is checked and returned as it is.
 */
export function resealEnvelope(ring: KeyRing, envelope: BytesLike, options: EnvelopeOptions = {}): Uint8Array {
  const bytes = toBytes(envelope, "envelope");
  const plaintext = openEnvelope(ring, bytes, options);
  if (splitEnvelope(bytes).keyId === ring.currentKeyId) return own(bytes);
  return sealEnvelope(ring, plaintext, options);
}

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const BASE64URL_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE64URL.length; i++) BASE64URL_VALUE[BASE64URL.charCodeAt(i)] = i;

/** The text form of an envelope, for links and JSON: base64url (RFC 4648 §5) without padding. */
export function envelopeToText(envelope: BytesLike): string {
  const bytes = toBytes(envelope, "envelope");
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += BASE64URL[n >> 18]! + BASE64URL[(n >> 12) & 63]! + BASE64URL[(n >> 6) & 63]! + BASE64URL[n & 63]!;
  }
  if (i < bytes.length) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8);
    out += BASE64URL[n >> 18]! + BASE64URL[(n >> 12) & 63]!;
    if (i + 1 < bytes.length) out += BASE64URL[(n >> 6) & 63]!;
  }
  return out;
}

/**
 * The bytes of an envelope's text form. Strict: only the base64url alphabet, no padding, no spaces,
 * unused trailing bits zero, so every envelope has exactly one text form.
 */
export function envelopeFromText(text: string): Uint8Array {
  const fail = (reason: string) =>
    platformError("INVALID_CIPHERTEXT", {
      details: { what: "envelope text", reason, length: typeof text === "string" ? text.length : typeof text },
      message: "The envelope text is not unpadded base64url. Copy the whole link or value again.",
      messageZh: "信封文本不是无填充的 base64url 编码。请重新完整复制链接或数值。",
    });
  if (typeof text !== "string") throw fail("not-a-string");
  if (text.length % 4 === 1) throw fail("bad-length");
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? BASE64URL_VALUE[c]! : -1;
    if (v < 0) throw fail("bad-character");
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) throw fail("non-canonical");
  return out;
}

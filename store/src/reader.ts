// Values sealed for one reader session. The gateway seals; the reader's app opens with the session's
// SM2 private key (its public key was registered at sign-in).
//
// Hybrid, so that SM2 is paid once per session rather than once per read (an SM2 encryption was a
// quarter of a read's CPU): a random 16-byte session key is SM2-encrypted once to the session's public
// key (a `ReaderSessionKey`, which the gateway keeps per session); each value gets a fresh data key,
// wrapped in an sdk envelope under the session key, and the value in an sdk envelope under the data key.
// Both envelopes are bound to the read's context; the data key's also to the exact SM2 ciphertext.
// Browser-safe on purpose: this file imports the sdk only (no node: modules), since apps bundle it.
import {
  canonicalBytes,
  createKeyRing,
  decryptSm2,
  encryptSm2,
  envelopeFromText,
  envelopeToText,
  isPlatformError,
  type KeyRing,
  openEnvelope,
  platformError,
  sealEnvelope,
  toHex,
  utf8,
} from "@health-chain/sdk";

/**
 * The one algorithm of sealed values: a session key SM2-encrypted (C1C3C2) to the session's public key,
 * a per-value data key in an sdk envelope v1 under it, the value in an sdk envelope v1 under that.
 */
export const READER_SEAL_ALGORITHM = "sm2-c1c3c2-session-key+hc-envelope-v2";

/** A value sealed for one reader session. Plain JSON: the gateway returns it as it is. */
export interface SealedForReader {
  readonly algorithm: typeof READER_SEAL_ALGORITHM;
  /**
   * The session key, SM2-encrypted to the session's public key: C1C3C2, 0x hex. The same for every
   * value a `ReaderSessionKey` seals (one per session and gateway process).
   */
  readonly wrappedSessionKey: string;
  /** The value's fresh 16-byte data key in an sdk envelope under the session key, text form (base64url). */
  readonly wrappedDataKey: string;
  /** The value's canonical JSON in an sdk envelope under the data key, text form (base64url). */
  readonly envelope: string;
}

/** A session key and its SM2 encryption to one session's public key, from {@link createReaderSessionKey}. */
export interface ReaderSessionKey {
  /** The session's SM2 public key, as given. */
  readonly sessionPublicKey: string;
  /** The session key, SM2-encrypted (C1C3C2, 0x hex) to `sessionPublicKey`. */
  readonly wrappedSessionKey: string;
}

/** Options of {@link createReaderSessionKey}. */
export interface ReaderSessionKeyOptions {
  /**
   * The SM2 encryption of the session key, in place of the sdk's
   * `toHex(encryptSm2(sessionKey, publicKey, { format: "c1c3c2" }))`. It must return exactly that
   * format (C1 = 04‖x1‖y1, C3, C2; 0x hex), reject a malformed key with INVALID_KEY, and neither keep
   * nor alter `sessionKey`.
   */
  readonly encrypt?: (sessionKey: Uint8Array, sessionPublicKeyHex: string) => string;
}

/** Options of sealing and opening for a reader. */
export interface ReaderSealOptions {
  /**
   * Context bound into both envelopes' associated data (e.g. `<institution>/<recordId>`); opening must
   * give the same. Default empty.
   */
  readonly context?: string;
}

const SESSION_KEY_ID = "session";
const DATA_KEY_ID = "reader";
const KEY_LENGTH = 16;
/** An SM2 C1C3C2 ciphertext of a 16-byte key: 65 + 32 + 16 bytes, 0x hex. */
const WRAPPED_SESSION_KEY = /^0x04[0-9a-f]{224}$/;

// The session keys' rings, outside the objects handed out: a ReaderSessionKey shows no key material.
const sessionRings = new WeakMap<ReaderSessionKey, KeyRing>();

function checkContext(context: unknown): string {
  if (context !== undefined && typeof context !== "string") {
    throw platformError("INVALID_INPUT", {
      details: { what: "reader seal context", type: context === null ? "null" : typeof context },
      message: "The context of a sealed value is a string.",
      messageZh: "密封值的上下文应为字符串。",
    });
  }
  return context ?? "";
}

const valueAad = (context: string) => utf8(`health-chain/store/v2/reader\n${context}`);
// The SM2 ciphertext first: it is hex (no newline), so the context after it cannot be shifted into it.
const dataKeyAad = (wrappedSessionKey: string, context: string) =>
  utf8(`health-chain/store/v2/reader-data-key\n${wrappedSessionKey}\n${context}`);

/**
 * A fresh random session key, SM2-encrypted (C1C3C2) to `sessionPublicKeyHex` (04‖x‖y hex or
 * compressed): one SM2 encryption, then any number of {@link sealForReader} calls at SM4 cost. Keep it
 * in memory only, for one session; a malformed public key → INVALID_KEY.
 */
export function createReaderSessionKey(sessionPublicKeyHex: string, options: ReaderSessionKeyOptions = {}): ReaderSessionKey {
  const sessionKey = globalThis.crypto.getRandomValues(new Uint8Array(KEY_LENGTH));
  try {
    const wrappedSessionKey = options.encrypt
      ? options.encrypt(sessionKey, sessionPublicKeyHex)
      : toHex(encryptSm2(sessionKey, sessionPublicKeyHex, { format: "c1c3c2" }));
    if (typeof wrappedSessionKey !== "string" || !WRAPPED_SESSION_KEY.test(wrappedSessionKey)) {
      throw platformError("INVALID_INPUT", {
        details: { what: "wrapped session key", reason: "not-c1c3c2-hex" },
        message: "The session key's SM2 encryption is not C1C3C2 (uncompressed C1) in lower-case 0x hex.",
        messageZh: "会话密钥的 SM2 密文不是 C1C3C2 格式（C1 未压缩）的小写 0x 十六进制。",
      });
    }
    const ring = createKeyRing([{ keyId: SESSION_KEY_ID, key: sessionKey }], SESSION_KEY_ID);
    const key: ReaderSessionKey = Object.freeze({ sessionPublicKey: sessionPublicKeyHex, wrappedSessionKey });
    sessionRings.set(key, ring);
    return key;
  } finally {
    sessionKey.fill(0);
  }
}

/**
 * Seals a JSON value for the holder of an SM2 session key: a fresh random data key wrapped under the
 * session key, and the value's canonical JSON sealed under the data key. `reader` is a
 * {@link ReaderSessionKey} (what a gateway passes: no SM2 work here) or the session's public key hex (a
 * session key made for this value alone). A malformed public key → INVALID_KEY; a value with no JSON
 * form → INVALID_RECORD.
 */
export function sealForReader(value: unknown, reader: ReaderSessionKey | string, options: ReaderSealOptions = {}): SealedForReader {
  const context = checkContext(options.context);
  const session = typeof reader === "string" ? createReaderSessionKey(reader) : reader;
  const sessionRing = sessionRings.get(session);
  if (sessionRing === undefined) {
    throw platformError("INVALID_INPUT", {
      details: { what: "reader session key" },
      message: "This is not a reader session key made by createReaderSessionKey(), nor a public key.",
      messageZh: "这不是由 createReaderSessionKey() 创建的读者会话密钥，也不是公钥。",
    });
  }
  const plaintext = canonicalBytes(value);
  const dataKey = globalThis.crypto.getRandomValues(new Uint8Array(KEY_LENGTH));
  try {
    const wrappedDataKey = envelopeToText(sealEnvelope(sessionRing, dataKey, { aad: dataKeyAad(session.wrappedSessionKey, context) }));
    const ring = createKeyRing([{ keyId: DATA_KEY_ID, key: dataKey }], DATA_KEY_ID);
    const envelope = envelopeToText(sealEnvelope(ring, plaintext, { aad: valueAad(context) }));
    return { algorithm: READER_SEAL_ALGORITHM, wrappedSessionKey: session.wrappedSessionKey, wrappedDataKey, envelope };
  } finally {
    dataKey.fill(0);
    plaintext.fill(0);
  }
}

function malformedSeal(reason: string): Error {
  return platformError("INVALID_INPUT", {
    details: { what: "sealed value", reason },
    message: "This is not a sealed value: it needs algorithm, wrappedSessionKey, wrappedDataKey and envelope strings.",
    messageZh: "这不是密封值：需要 algorithm、wrappedSessionKey、wrappedDataKey 和 envelope 字符串。",
  });
}

function notSealedWith(reason: string): Error {
  return platformError("INTEGRITY_CHECK_FAILED", {
    details: { what: "sealed value", reason },
    message: "The sealed value's envelopes were not sealed with its wrapped keys.",
    messageZh: "密封值的信封并非用其封装密钥加密。",
  });
}

/** Opens an envelope with a one-key ring; an envelope naming another key id is not ours: a wrong key. */
function openWith(ring: KeyRing, text: string, aad: Uint8Array, reason: string): Uint8Array {
  try {
    return openEnvelope(ring, envelopeFromText(text), { aad });
  } catch (error) {
    if (isPlatformError(error, "UNKNOWN_KEY_ID")) throw notSealedWith(reason);
    throw error;
  }
}

/** Session keys an opener has unwrapped, by SM2 ciphertext (a gateway process sends one per session). */
const OPENER_CACHE = 8;

/**
 * An opener for one session's private key (hex): it opens values sealed by {@link sealForReader} and
 * keeps the last few unwrapped session keys (by their SM2 ciphertext, in memory only), so reads of a
 * session cost SM4 only after the first. Another session's key, or any altered byte →
 * INTEGRITY_CHECK_FAILED; an unknown algorithm → UNSUPPORTED_VERSION; a malformed seal →
 * INVALID_INPUT / INVALID_CIPHERTEXT.
 */
export function createReaderOpener(sessionPrivateKeyHex: string): <T = unknown>(sealed: SealedForReader, options?: ReaderSealOptions) => T {
  const sessionRingsByCiphertext = new Map<string, KeyRing>();

  function sessionRingOf(wrappedSessionKey: string): KeyRing {
    const hit = sessionRingsByCiphertext.get(wrappedSessionKey);
    if (hit !== undefined) return hit;
    // An SM2 ciphertext re-encoded (upper case, compressed C1) still decrypts, but is not what was
    // sealed: the data key's associated data holds these exact characters, so refuse it up front.
    if (!WRAPPED_SESSION_KEY.test(wrappedSessionKey)) throw notSealedWith("session-key-encoding");
    let sessionKey: Uint8Array;
    try {
      sessionKey = decryptSm2(wrappedSessionKey, sessionPrivateKeyHex, { format: "c1c3c2" });
    } catch (error) {
      // Well-formed hex whose C1 is no curve point was altered: the same verdict as a failed C3.
      if (isPlatformError(error, "INVALID_CIPHERTEXT")) throw notSealedWith("session-key-c1");
      throw error;
    }
    try {
      // The pattern above fixes C2 at 16 bytes: the session key's length.
      const ring = createKeyRing([{ keyId: SESSION_KEY_ID, key: sessionKey }], SESSION_KEY_ID);
      if (sessionRingsByCiphertext.size >= OPENER_CACHE) {
        sessionRingsByCiphertext.delete(sessionRingsByCiphertext.keys().next().value!);
      }
      sessionRingsByCiphertext.set(wrappedSessionKey, ring);
      return ring;
    } finally {
      sessionKey.fill(0);
    }
  }

  return function open<T>(sealed: SealedForReader, options: ReaderSealOptions = {}): T {
    if (typeof sealed !== "object" || sealed === null) throw malformedSeal("not-an-object");
    const { algorithm, wrappedSessionKey, wrappedDataKey, envelope } = sealed as unknown as Record<string, unknown>;
    if (typeof algorithm !== "string") throw malformedSeal("missing-field");
    if (algorithm !== READER_SEAL_ALGORITHM) {
      throw platformError("UNSUPPORTED_VERSION", {
        details: { what: "sealed value", algorithm, supported: [READER_SEAL_ALGORITHM] },
        message: `Sealed values of algorithm "${algorithm}" are not supported; this sdk reads "${READER_SEAL_ALGORITHM}". Use a client of the gateway's version.`,
        messageZh: `不支持算法为“${algorithm}”的密封值；本 SDK 读取“${READER_SEAL_ALGORITHM}”。请使用与网关版本一致的客户端。`,
      });
    }
    if (typeof wrappedSessionKey !== "string" || typeof wrappedDataKey !== "string" || typeof envelope !== "string") {
      throw malformedSeal("missing-field");
    }
    const context = checkContext(options.context);
    const sessionRing = sessionRingOf(wrappedSessionKey);
    const dataKey = openWith(sessionRing, wrappedDataKey, dataKeyAad(wrappedSessionKey, context), "foreign-data-key");
    let plaintext: Uint8Array;
    try {
      if (dataKey.length !== KEY_LENGTH) {
        throw platformError("INVALID_CIPHERTEXT", {
          details: { what: "sealed value", reason: "data-key-length", length: dataKey.length, expected: KEY_LENGTH },
          message: "The sealed value's wrapped data key does not hold a 16-byte key.",
          messageZh: "密封值中的封装数据密钥不是 16 字节的密钥。",
        });
      }
      const ring = createKeyRing([{ keyId: DATA_KEY_ID, key: dataKey }], DATA_KEY_ID);
      plaintext = openWith(ring, envelope, valueAad(context), "foreign-envelope");
    } finally {
      dataKey.fill(0);
    }
    try {
      return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(plaintext)) as T;
    } finally {
      plaintext.fill(0);
    }
  };
}

/**
 * Opens a value sealed by {@link sealForReader} with the session's SM2 private key (hex): one SM2
 * decryption each time; {@link createReaderOpener} keeps the session key between reads. Another
 * session's key, or any altered byte → INTEGRITY_CHECK_FAILED; an unknown algorithm →
 * UNSUPPORTED_VERSION; a malformed seal → INVALID_INPUT / INVALID_CIPHERTEXT.
 */
export function openForReader<T = unknown>(sealed: SealedForReader, sessionPrivateKeyHex: string, options: ReaderSealOptions = {}): T {
  return createReaderOpener(sessionPrivateKeyHex)<T>(sealed, options);
}

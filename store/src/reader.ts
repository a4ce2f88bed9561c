// Values sealed for one reader session: a fresh data key, SM2-encrypted to the session's public key
// (registered at sign-in), and the value in an sdk envelope under that key. The gateway seals; the
// reader's app opens with the session's private key. Browser-safe on purpose: this file imports the sdk
// only (no node: modules), since apps bundle it.
import {
  canonicalBytes,
  createKeyRing,
  decryptSm2,
  encryptSm2,
  envelopeFromText,
  envelopeToText,
  isPlatformError,
  openEnvelope,
  platformError,
  sealEnvelope,
  toHex,
  utf8,
} from "@health-chain/sdk";

/** The one algorithm of sealed values: SM2 (C1C3C2) wrap of a 16-byte data key, sdk envelope v1. */
export const READER_SEAL_ALGORITHM = "sm2-c1c3c2+hc-envelope-v1";

/** A value sealed for one reader session. Plain JSON: the gateway returns it as it is. */
export interface SealedForReader {
  readonly algorithm: typeof READER_SEAL_ALGORITHM;
  /** The data key, SM2-encrypted to the session's public key: C1C3C2, 0x hex. */
  readonly wrappedKey: string;
  /** The value's canonical JSON in an sdk envelope under the data key, text form (base64url). */
  readonly envelope: string;
}

/** Options of sealing and opening for a reader. */
export interface ReaderSealOptions {
  /**
   * Context bound into the envelope's associated data (e.g. the request id); opening must give the
   * same. Default empty.
   */
  readonly context?: string;
  /**
   * Sealing only: the SM2 encryption of the data key to the session key, in place of the sdk's
   * `encryptSm2(dataKey, key, { format: "c1c3c2" })` — e.g. one that keeps a precomputed table per
   * session key (a gateway seals many values to one session). It must return exactly that format
   * (C1 = 04‖x1‖y1, C3, C2; 0x hex) and reject a malformed key with INVALID_KEY; it must not keep
   * or alter `dataKey`.
   */
  readonly wrapKey?: (dataKey: Uint8Array, sessionPublicKeyHex: string) => string;
}

const DATA_KEY_ID = "reader";
const DATA_KEY_LENGTH = 16;

function readerAad(context: unknown): Uint8Array {
  if (context !== undefined && typeof context !== "string") {
    throw platformError("INVALID_INPUT", {
      details: { what: "reader seal context", type: context === null ? "null" : typeof context },
      message: "The context of a sealed value is a string.",
      messageZh: "密封值的上下文应为字符串。",
    });
  }
  return utf8(`health-chain/store/v1/reader\n${context ?? ""}`);
}

/**
 * Seals a JSON value for the holder of an SM2 session key: a fresh random data key, SM2-encrypted to
 * `sessionPublicKeyHex` (an SM2 public key, 04‖x‖y hex or compressed), and the value's canonical JSON
 * sealed under it. A malformed public key → INVALID_KEY; a value with no JSON form → INVALID_RECORD.
 */
export function sealForReader(value: unknown, sessionPublicKeyHex: string, options: ReaderSealOptions = {}): SealedForReader {
  const aad = readerAad(options.context);
  const plaintext = canonicalBytes(value);
  const dataKey = globalThis.crypto.getRandomValues(new Uint8Array(DATA_KEY_LENGTH));
  try {
    const wrappedKey = options.wrapKey
      ? options.wrapKey(dataKey, sessionPublicKeyHex)
      : toHex(encryptSm2(dataKey, sessionPublicKeyHex, { format: "c1c3c2" }));
    const ring = createKeyRing([{ keyId: DATA_KEY_ID, key: dataKey }], DATA_KEY_ID);
    const envelope = envelopeToText(sealEnvelope(ring, plaintext, { aad }));
    return { algorithm: READER_SEAL_ALGORITHM, wrappedKey, envelope };
  } finally {
    dataKey.fill(0);
    plaintext.fill(0);
  }
}

function malformedSeal(reason: string): Error {
  return platformError("INVALID_INPUT", {
    details: { what: "sealed value", reason },
    message: "This is not a sealed value: it needs algorithm, wrappedKey and envelope strings.",
    messageZh: "这不是密封值：需要 algorithm、wrappedKey 和 envelope 字符串。",
  });
}

/**
 * Opens a value sealed by {@link sealForReader} with the session's SM2 private key (hex). Another
 * session's key, or any altered byte → INTEGRITY_CHECK_FAILED; an unknown algorithm →
 * UNSUPPORTED_VERSION; a malformed seal → INVALID_INPUT / INVALID_CIPHERTEXT.
 */
export function openForReader<T = unknown>(sealed: SealedForReader, sessionPrivateKeyHex: string, options: ReaderSealOptions = {}): T {
  if (typeof sealed !== "object" || sealed === null) throw malformedSeal("not-an-object");
  const { algorithm, wrappedKey, envelope } = sealed as unknown as Record<string, unknown>;
  if (typeof algorithm !== "string" || typeof wrappedKey !== "string" || typeof envelope !== "string") {
    throw malformedSeal("missing-field");
  }
  if (algorithm !== READER_SEAL_ALGORITHM) {
    throw platformError("UNSUPPORTED_VERSION", {
      details: { what: "sealed value", algorithm, supported: [READER_SEAL_ALGORITHM] },
      message: `Sealed values of algorithm "${algorithm}" are not supported; this sdk reads "${READER_SEAL_ALGORITHM}".`,
      messageZh: `不支持算法为“${algorithm}”的密封值；本 SDK 读取“${READER_SEAL_ALGORITHM}”。`,
    });
  }
  const aad = readerAad(options.context);
  const dataKey = decryptSm2(wrappedKey, sessionPrivateKeyHex, { format: "c1c3c2" });
  let plaintext: Uint8Array;
  try {
    if (dataKey.length !== DATA_KEY_LENGTH) {
      throw platformError("INVALID_CIPHERTEXT", {
        details: { what: "sealed value", reason: "data-key-length", length: dataKey.length, expected: DATA_KEY_LENGTH },
        message: "The sealed value's wrapped key does not hold a 16-byte data key.",
        messageZh: "密封值中的封装密钥不是 16 字节的数据密钥。",
      });
    }
    const ring = createKeyRing([{ keyId: DATA_KEY_ID, key: dataKey }], DATA_KEY_ID);
    plaintext = openEnvelope(ring, envelopeFromText(envelope), { aad });
  } catch (error) {
    // An envelope under another key id is not ours to open: the same verdict as a wrong key.
    if (isPlatformError(error, "UNKNOWN_KEY_ID")) {
      throw platformError("INTEGRITY_CHECK_FAILED", {
        details: { what: "sealed value", reason: "foreign-envelope" },
        message: "The sealed value's envelope was not sealed with its wrapped key.",
        messageZh: "密封值的信封并非用其封装密钥加密。",
      });
    }
    throw error;
  } finally {
    dataKey.fill(0);
  }
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(plaintext)) as T;
  } finally {
    plaintext.fill(0);
  }
}

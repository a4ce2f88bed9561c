// An institution's originals: each record sealed in an sdk envelope under its own random data key (DEK),
// the envelope stored in the content store (which so holds ciphertext only), the DEK wrapped under the
// institution's current key-encryption key. What the gateway keeps per record is the metadata:
// { cid, keyId, wrappedDataKey, contentHash }; what goes on chain is pointerHash = SM3(cid).
//
// Two envelopes, two bindings (associated data, docs/ENVELOPE.md):
// - the record envelope: AAD = label ‖ institution ‖ contentHash, known before the CID exists, so an
//   envelope moved to another institution or claimed for another record fails;
// - the wrapped DEK: an envelope under the KEK whose plaintext is DEK ‖ contentHash (48 bytes), with
//   AAD = label ‖ institution ‖ cid, so a wrapped key moved onto another object fails, and the content
//   hash travels authenticated with the key (reads without a contentHash still check the record).
import {
  canonicalBytes,
  createKeyRing,
  fingerprint,
  isPlatformError,
  KEY_ID_PATTERN,
  openEnvelope,
  parseEnvelope,
  platformError,
  resealEnvelope,
  sealEnvelope,
  toBytes,
  toHex,
  utf8,
} from "@health-chain/sdk";
import { type Hex, parseContentId, pointerHashOf } from "./cid.ts";
import type { ContentStore } from "./content-store.ts";
import { institutionAddress, type InstitutionKeyring } from "./keyring.ts";
import { type ReaderSealOptions, type ReaderSessionKey, type SealedForReader, sealForReader } from "./reader.ts";

/** What the gateway keeps to find and open an original (never stored in clear anywhere else). */
export interface OriginalMeta {
  readonly cid: string;
  /** The key-encryption key id the data key is wrapped under. */
  readonly keyId: string;
  /** The wrapped data key: an sdk envelope under the key-encryption key, 0x hex. */
  readonly wrappedDataKey: string;
  /** The record's fingerprint; when given, the original must match it. */
  readonly contentHash?: string;
}

/** The result of storing an original. */
export interface StoredOriginal {
  readonly cid: string;
  /** SM3 of the CID text: the only thing about the object anchored on chain. */
  readonly pointerHash: Hex;
  /** sdk fingerprint(record). */
  readonly contentHash: Hex;
  readonly keyId: string;
  readonly wrappedDataKey: Hex;
}

/** An institution's store of originals. */
export interface InstitutionStore {
  /** The institution's chain address, lower case. */
  readonly institution: string;
  /** Encrypts and stores a record (a JSON object); the content store receives ciphertext only. */
  putOriginal(record: object): Promise<StoredOriginal>;
  /** Fetches, checks and decrypts an original. */
  getOriginal<T = Record<string, unknown>>(meta: OriginalMeta): Promise<T>;
  /**
   * Removes an original's ciphertext from the content store (an anchor that failed, or an original whose
   * record was voided and whose retention ended). A missing object is not an error.
   */
  deleteOriginal(cid: string): Promise<void>;
  /** Rotation: the metadata with the data key rewrapped under the current key id; the object is not touched. */
  rewrap(meta: OriginalMeta): Promise<OriginalMeta & { readonly keyId: string; readonly wrappedDataKey: Hex }>;
  /**
   * Seals a value (e.g. a record's granted fields) for one reader session: its session key (kept per
   * session: no SM2 work per value) or its SM2 public key hex; see reader.ts.
   */
  sealForReader(value: object, reader: ReaderSessionKey | string, options?: ReaderSealOptions): SealedForReader;
}

const DATA_KEY_LENGTH = 16;
const CONTENT_HASH_LENGTH = 32;
const RECORD_KEY_ID = "dek";
const CONTENT_HASH = /^0x[0-9a-fA-F]{64}$/;

const recordAad = (institution: string, contentHash: string) =>
  utf8(`health-chain/store/v1/original\n${institution}\n${contentHash.toLowerCase()}`);
const dataKeyAad = (institution: string, cid: string) => utf8(`health-chain/store/v1/data-key\n${institution}\n${cid}`);

function badMeta(field: string, reason: string): Error {
  return platformError("INVALID_INPUT", {
    details: { what: "original metadata", field, reason },
    message: `The original's metadata is not valid: ${field} (${reason}).`,
    messageZh: `原始数据的元数据无效：${field}（${reason}）。`,
  });
}

interface CheckedMeta {
  readonly cid: string;
  readonly keyId: string;
  readonly wrapped: Uint8Array;
  readonly contentHash: string | undefined;
}

function checkMeta(meta: unknown): CheckedMeta {
  if (typeof meta !== "object" || meta === null) throw badMeta("meta", "not-an-object");
  const { cid, keyId, wrappedDataKey, contentHash } = meta as Record<string, unknown>;
  const parsed = parseContentId(cid).toString();
  if (typeof keyId !== "string" || !KEY_ID_PATTERN.test(keyId)) throw badMeta("keyId", "pattern");
  if (typeof wrappedDataKey !== "string") throw badMeta("wrappedDataKey", "not-a-string");
  const wrapped = toBytes(wrappedDataKey, "wrapped data key");
  // The envelope names its key id (covered by its tag); metadata that says otherwise was mixed up.
  if (parseEnvelope(wrapped).keyId !== keyId) throw badMeta("keyId", "does-not-match-wrapped-data-key");
  if (contentHash !== undefined && (typeof contentHash !== "string" || !CONTENT_HASH.test(contentHash))) {
    throw badMeta("contentHash", "not-bytes32-hex");
  }
  return { cid: parsed, keyId, wrapped, contentHash: contentHash?.toLowerCase() };
}

function integrity(cid: string, reason: string, en: string, zh: string): Error {
  return platformError("INTEGRITY_CHECK_FAILED", { details: { what: "original", cid, reason }, message: en, messageZh: zh });
}

/** The store of one institution's originals, over a content store and the institution's keyring. */
export function createInstitutionStore(options: {
  readonly institution: string;
  readonly keyring: InstitutionKeyring;
  readonly content: ContentStore;
}): InstitutionStore {
  const institution = institutionAddress(options.institution);
  const { keyring, content } = options;
  if (keyring?.institution !== institution) {
    throw platformError("INVALID_INPUT", {
      details: { what: "keyring", institution, keyringInstitution: keyring?.institution },
      message: "The keyring belongs to another institution.",
      messageZh: "该密钥环属于另一机构。",
    });
  }

  /** The DEK and content hash of a wrapped data key (the caller zeroises `dataKey`). */
  function unwrap(meta: CheckedMeta): { dataKey: Uint8Array; contentHash: Hex } {
    const plain = openEnvelope(keyring.ring, meta.wrapped, { aad: dataKeyAad(institution, meta.cid) });
    try {
      if (plain.length !== DATA_KEY_LENGTH + CONTENT_HASH_LENGTH) {
        throw integrity(meta.cid, "wrapped-key-length", "The wrapped data key has the wrong length.", "封装的数据密钥长度错误。");
      }
      return { dataKey: plain.slice(0, DATA_KEY_LENGTH), contentHash: toHex(plain.subarray(DATA_KEY_LENGTH)) as Hex };
    } finally {
      plain.fill(0);
    }
  }

  return {
    institution,

    async putOriginal(record) {
      if (typeof record !== "object" || record === null || Array.isArray(record)) {
        throw platformError("INVALID_INPUT", {
          details: { what: "record", type: record === null ? "null" : Array.isArray(record) ? "array" : typeof record },
          message: "An original is a JSON object.",
          messageZh: "原始数据应为 JSON 对象。",
        });
      }
      const contentHash = fingerprint(record); // INVALID_RECORD for values with no canonical form
      const plaintext = canonicalBytes(record);
      const dataKey = globalThis.crypto.getRandomValues(new Uint8Array(DATA_KEY_LENGTH));
      const keyPlain = new Uint8Array(DATA_KEY_LENGTH + CONTENT_HASH_LENGTH);
      try {
        const recordRing = createKeyRing([{ keyId: RECORD_KEY_ID, key: dataKey }], RECORD_KEY_ID);
        const sealed = sealEnvelope(recordRing, plaintext, { aad: recordAad(institution, contentHash) });
        const cid = await content.put(sealed);
        keyPlain.set(dataKey);
        keyPlain.set(toBytes(contentHash), DATA_KEY_LENGTH);
        const wrapped = sealEnvelope(keyring.ring, keyPlain, { aad: dataKeyAad(institution, cid) });
        return {
          cid,
          pointerHash: pointerHashOf(cid),
          contentHash,
          keyId: keyring.currentKeyId,
          wrappedDataKey: toHex(wrapped) as Hex,
        };
      } finally {
        dataKey.fill(0);
        keyPlain.fill(0);
        plaintext.fill(0);
      }
    },

    async getOriginal<T>(meta: OriginalMeta): Promise<T> {
      const checked = checkMeta(meta);
      const { dataKey, contentHash } = unwrap(checked);
      let plaintext: Uint8Array;
      try {
        if (checked.contentHash !== undefined && checked.contentHash !== contentHash) {
          throw integrity(
            checked.cid,
            "content-hash-mismatch",
            "The original is not the record of this content hash.",
            "原始数据与该内容哈希对应的记录不符。",
          );
        }
        const sealed = await content.get(checked.cid);
        const recordRing = createKeyRing([{ keyId: RECORD_KEY_ID, key: dataKey }], RECORD_KEY_ID);
        try {
          plaintext = openEnvelope(recordRing, sealed, { aad: recordAad(institution, contentHash) });
        } catch (error) {
          if (isPlatformError(error, "UNKNOWN_KEY_ID")) {
            throw integrity(checked.cid, "not-an-original", "The stored object is not an original.", "存储的对象不是原始数据。");
          }
          throw error;
        }
      } finally {
        dataKey.fill(0);
      }
      try {
        const record: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(plaintext));
        if (fingerprint(record) !== contentHash) {
          throw integrity(
            checked.cid,
            "fingerprint-mismatch",
            "The decrypted original does not have the fingerprint it was stored with.",
            "解密后的原始数据指纹与存储时不符。",
          );
        }
        return record as T;
      } finally {
        plaintext.fill(0);
      }
    },

    async deleteOriginal(cid) {
      await content.delete(parseContentId(cid).toString());
    },

    async rewrap(meta) {
      const checked = checkMeta(meta);
      const wrapped = resealEnvelope(keyring.ring, checked.wrapped, { aad: dataKeyAad(institution, checked.cid) });
      return { ...meta, keyId: keyring.currentKeyId, wrappedDataKey: toHex(wrapped) as Hex };
    },

    sealForReader(value, reader, sealOptions) {
      return sealForReader(value, reader, sealOptions);
    },
  };
}

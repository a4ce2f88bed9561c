// An institution's key-encryption keys (KEKs): the keys that wrap each original's data key. Rotated by
// key id: one current id wraps new data keys, the older ids stay to unwrap until every original has been
// rewrapped (InstitutionStore.rewrap), then they can be dropped from the key file. The keys live in an
// sdk key ring (sdk/src/sm4.ts), which keeps only keys derived from them and shows only ids.
import { readFile } from "node:fs/promises";
import { createKeyRing, KEY_ID_PATTERN, type KeyRing, platformError, sm3, toHex, utf8 } from "@health-chain/sdk";
import { z } from "zod";

/** The `format` value of a key file of this version. */
export const KEY_FILE_FORMAT = "health-chain/institution-keys/v1";

/** An institution's key-encryption keys: ids only are visible; the key material stays in `ring`. */
export interface InstitutionKeyring {
  /** The institution's chain address, lower case. */
  readonly institution: string;
  /** The key id new data keys are wrapped under. */
  readonly currentKeyId: string;
  /** Every key id the keyring can unwrap. */
  readonly keyIds: readonly string[];
  /** The sdk key ring holding the keys (wrapping is an sdk envelope under it). */
  readonly ring: KeyRing;
}

/** One key-encryption key: its id and 16 or 32 random bytes (hex, with or without 0x, or bytes). */
export interface KeyEncryptionKey {
  readonly keyId: string;
  readonly key: string | Uint8Array;
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const KEY_HEX = /^(0x)?([0-9a-fA-F]{32}|[0-9a-fA-F]{64})$/;

/** An institution address, checked and in lower case (the one spelling used in associated data). */
export function institutionAddress(institution: unknown): string {
  if (typeof institution !== "string" || !ADDRESS.test(institution)) {
    throw platformError("INVALID_INPUT", {
      details: { what: "institution", reason: typeof institution === "string" ? "not-an-address" : "not-a-string" },
      message: "An institution is named by its chain address (0x and 40 hex digits).",
      messageZh: "机构应以其链上地址表示（0x 加 40 位十六进制数字）。",
    });
  }
  return institution.toLowerCase();
}

/** A keyring from keys given in code or configuration; `currentKeyId` must be one of them. */
export function createInstitutionKeyring(options: {
  readonly institution: string;
  readonly currentKeyId: string;
  readonly keys: readonly KeyEncryptionKey[];
}): InstitutionKeyring {
  const institution = institutionAddress(options.institution);
  if (!Array.isArray(options.keys) || options.keys.length === 0) {
    throw platformError("INVALID_INPUT", {
      details: { what: "key-encryption keys", reason: "empty" },
      message: "An institution keyring needs at least one key.",
      messageZh: "机构密钥环至少需要一个密钥。",
    });
  }
  // createKeyRing checks ids (KEY_ID_PATTERN), duplicates, key lengths and the current id, without
  // ever echoing a key in its errors.
  const ring = createKeyRing(options.keys, options.currentKeyId);
  return Object.freeze({ institution, currentKeyId: ring.currentKeyId, keyIds: ring.keyIds, ring });
}

const keyFileSchema = z
  .object({
    format: z.literal(KEY_FILE_FORMAT),
    institution: z.string().regex(ADDRESS),
    currentKeyId: z.string().regex(KEY_ID_PATTERN),
    keys: z
      .array(z.object({ keyId: z.string().regex(KEY_ID_PATTERN), key: z.string().regex(KEY_HEX) }).strict())
      .min(1),
  })
  .strict();

/** The parsed form of a key file (format {@link KEY_FILE_FORMAT}); see store/README.md. */
export type KeyFile = z.infer<typeof keyFileSchema>;

/**
 * A keyring from the parsed JSON of a key file. A malformed file → INVALID_INPUT whose details list the
 * paths and kinds of the problems, never the values (a value may be a key).
 */
export function keyringFromKeyFile(json: unknown): InstitutionKeyring {
  const parsed = keyFileSchema.safeParse(json);
  if (!parsed.success) {
    throw platformError("INVALID_INPUT", {
      details: {
        what: "key file",
        format: KEY_FILE_FORMAT,
        issues: parsed.error.issues.map((issue) => ({ path: issue.path.join("."), code: issue.code })),
      },
      message: `The key file is not a valid ${KEY_FILE_FORMAT} file (see store/README.md).`,
      messageZh: `密钥文件不是有效的 ${KEY_FILE_FORMAT} 文件（见 store/README.md）。`,
    });
  }
  return createInstitutionKeyring(parsed.data);
}

/** Reads a key file (JSON, format {@link KEY_FILE_FORMAT}); keep it readable by the gateway's user only. */
export async function loadKeyFile(path: string): Promise<InstitutionKeyring> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw platformError("INVALID_INPUT", {
      details: { what: "key file", path, reason: "unreadable" },
      cause: error,
      message: `The key file ${path} cannot be read.`,
      messageZh: `无法读取密钥文件 ${path}。`,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // The parser's message quotes the text around the error, which may be a key: not kept.
    throw platformError("INVALID_INPUT", {
      details: { what: "key file", path, reason: "not-json" },
      message: `The key file ${path} is not JSON.`,
      messageZh: `密钥文件 ${path} 不是 JSON。`,
    });
  }
  return keyringFromKeyFile(json);
}

/** A fresh random key-encryption key (16 bytes) as hex, for a key file. */
export function generateKeyEncryptionKey(): string {
  const key = globalThis.crypto.getRandomValues(new Uint8Array(16));
  const hex = toHex(key, false);
  key.fill(0);
  return hex;
}

/**
 * FOR DEVELOPMENT AND TESTS ONLY — NEVER IN PRODUCTION: a keyring whose keys are derived from public
 * values (a fixed label, the seed, the institution and the key id), so anyone who reads this source
 * can compute them. Deterministic so that tests and dev runs reopen what they stored.
 * Key ids default to `["dev-1"]`; the current one defaults to the last.
 */
export function createDevKeyring(
  institution: string,
  options: { readonly keyIds?: readonly string[]; readonly currentKeyId?: string; readonly seed?: string } = {},
): InstitutionKeyring {
  const address = institutionAddress(institution);
  const keyIds = options.keyIds ?? ["dev-1"];
  const seed = options.seed ?? "health-chain-dev";
  const keys = keyIds.map((keyId) => ({
    keyId,
    key: sm3(utf8(`health-chain/store/dev-kek/v1\n${seed}\n${address}\n${keyId}`)).slice(0, 16),
  }));
  return createInstitutionKeyring({ institution: address, currentKeyId: options.currentKeyId ?? keyIds.at(-1) ?? "", keys });
}

// Where the secrets and keys a policy names come from. A policy holds only ids ("research-link",
// "share-2025"); the caller passes a provider that resolves them, from the environment, a key
// management system or a vault, so a policy can be published, versioned and shown to anyone.
import { type BytesLike, type KeyRing, type KeyRingEntry, createKeyRing, isPlatformError, platformError, toBytes } from "@health-chain/sdk";

/** Resolves the secret ids and key ids of a policy. */
export interface DeidSecrets {
  /** The bytes of an HMAC-SM3 secret (hash, pseudonym, personRef, date shift); unknown id → UNKNOWN_KEY_ID. */
  secret(secretId: string): Uint8Array;
  /** A key ring whose current key is `keyId` (what encrypt rules seal with); unknown id → UNKNOWN_KEY_ID. */
  keyRing(keyId: string): KeyRing;
}

/** Shortest secret accepted: a short one would let anyone who guesses it recompute every hash and shift. */
export const MIN_SECRET_LENGTH = 16;

function unknownSecret(what: "secret" | "key", id: string): Error {
  return platformError("UNKNOWN_KEY_ID", {
    details: { what: `de-identification ${what}`, id },
    message: `No de-identification ${what} with the id "${id}" was provided. Configure it (e.g. HIS_DEID_${what.toUpperCase()}_${deidSecretEnvName(id)}) before using this policy.`,
    messageZh: `未提供标识为“${id}”的脱敏${what === "secret" ? "密钥（盐）" : "加密密钥"}。请先配置（例如 HIS_DEID_${what.toUpperCase()}_${deidSecretEnvName(id)}）再使用此策略。`,
  });
}

function secretBytes(id: string, value: BytesLike): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = toBytes(value, `secret "${id}"`);
  } catch (error) {
    // The value is not passed on: whatever is wrong with it, it is still (close to) a secret.
    throw platformError("INVALID_KEY", {
      details: { what: "de-identification secret", id, reason: isPlatformError(error) ? error.details.reason ?? "not-hex" : "not-hex" },
      message: `The de-identification secret "${id}" is not bytes or hex.`,
      messageZh: `脱敏密钥（盐）“${id}”不是字节或十六进制。`,
    });
  }
  if (bytes.length < MIN_SECRET_LENGTH) {
    throw platformError("INVALID_KEY", {
      details: { what: "de-identification secret", id, length: bytes.length, minimum: MIN_SECRET_LENGTH },
      message: `The de-identification secret "${id}" has ${bytes.length} bytes; use at least ${MIN_SECRET_LENGTH} random bytes (32 are customary).`,
      messageZh: `脱敏密钥（盐）“${id}”只有 ${bytes.length} 字节；请至少使用 ${MIN_SECRET_LENGTH} 个随机字节（通常为 32 个）。`,
    });
  }
  return bytes;
}

/**
 * A provider from values in memory: HMAC secrets by id (16+ bytes, as bytes or hex) and SM4 data keys
 * (16 or 32 bytes). Every key ring it hands out holds all the keys, so data sealed under an older key
 * id still opens. Secrets and keys are checked here, once, not at first use.
 */
export function createDeidSecrets(input: { secrets?: Readonly<Record<string, BytesLike>>; keys?: readonly KeyRingEntry[] }): DeidSecrets {
  const secrets = new Map<string, Uint8Array>();
  for (const [id, value] of Object.entries(input.secrets ?? {})) secrets.set(id, secretBytes(id, value));
  const keys = input.keys ?? [];
  const rings = new Map<string, KeyRing>();
  for (const { keyId } of keys) rings.set(keyId, createKeyRing(keys, keyId));
  return {
    secret(secretId) {
      const found = secrets.get(secretId);
      if (found === undefined) throw unknownSecret("secret", secretId);
      return found;
    },
    keyRing(keyId) {
      const found = rings.get(keyId);
      if (found === undefined) throw unknownSecret("key", keyId);
      return found;
    },
  };
}

/** The environment variable suffix of an id: upper case, "-" and "." as "_" ("research-link" → RESEARCH_LINK). */
export function deidSecretEnvName(id: string): string {
  return id.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}

/**
 * A provider reading hex values from environment variables: `<prefix>SECRET_<ID>` for secrets and
 * `<prefix>KEY_<ID>` for SM4 data keys (prefix "HIS_DEID_"; ID as {@link deidSecretEnvName}). A ring from the
 * environment holds only the key it is asked for: opening data sealed under older keys is the key
 * holder's business, with a ring of their own.
 */
export function deidSecretsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env, prefix = "HIS_DEID_"): DeidSecrets {
  const read = (what: "SECRET" | "KEY", id: string): string | undefined => {
    const value = env[`${prefix}${what}_${deidSecretEnvName(id)}`];
    return value === undefined || value.trim() === "" ? undefined : value.trim();
  };
  return {
    secret(secretId) {
      const value = read("SECRET", secretId);
      if (value === undefined) throw unknownSecret("secret", secretId);
      return secretBytes(secretId, value);
    },
    keyRing(keyId) {
      const value = read("KEY", keyId);
      if (value === undefined) throw unknownSecret("key", keyId);
      return createKeyRing([{ keyId, key: value }], keyId);
    },
  };
}

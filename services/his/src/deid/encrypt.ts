// SM4 encryption of a value with the sdk's authenticated envelope (SM4-CTR + HMAC-SM3, key id in the
// envelope): the key holder opens it with openDeidValue. The value is sealed as its JSON, so a number
// comes back a number; the envelope is bound to where the value stood ("patient.idNumber") as
// associated data, so a ciphertext copied into another member does not open.
import {
  type KeyRing, envelopeFromText, envelopeToText, isPlatformError, openEnvelope, platformError, sealEnvelope, toBytes, toHex, utf8,
} from "@health-chain/sdk";
import type { CipherEncoding } from "./policy.ts";

/** The envelope of a value's JSON under the ring's current key, as text. */
export function encryptValue(ring: KeyRing, value: unknown, location: string, encoding: CipherEncoding): string {
  const envelope = sealEnvelope(ring, utf8(JSON.stringify(value)), { aad: utf8(location) });
  if (encoding === "hex") return toHex(envelope, false);
  const text = envelopeToText(envelope);
  if (encoding === "base64url") return text;
  const standard = text.replace(/-/g, "+").replace(/_/g, "/");
  return standard + "=".repeat((4 - (standard.length % 4)) % 4);
}

function envelopeBytes(text: string, encoding: CipherEncoding): Uint8Array {
  if (encoding === "hex") {
    try {
      return toBytes(text, "encrypted value");
    } catch (error) {
      throw platformError("INVALID_CIPHERTEXT", {
        details: { what: "encrypted value", encoding, reason: isPlatformError(error) ? error.details.reason : undefined },
        message: "The encrypted value is not hex; was it written in base64?",
        messageZh: "加密值不是十六进制；是否为 base64 编码？",
      });
    }
  }
  const url = encoding === "base64" ? text.replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_") : text;
  return envelopeFromText(url);
}

/**
 * Opens a value an encrypt rule wrote at `location` (the `member` of its applied entry, e.g.
 * "patient.idNumber"). A ring without the key id → UNKNOWN_KEY_ID; another key under that id, another
 * location or altered text → INTEGRITY_CHECK_FAILED; text that is not an envelope → INVALID_CIPHERTEXT.
 */
export function openDeidValue(ring: KeyRing, text: string, location: string, encoding: CipherEncoding = "base64url"): unknown {
  const plaintext = openEnvelope(ring, envelopeBytes(text, encoding), { aad: utf8(location) });
  return JSON.parse(new TextDecoder().decode(plaintext));
}

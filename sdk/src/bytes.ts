// Byte helpers shared by the cryptography and hashing modules. Inputs are `Uint8Array` or hex
// strings (with or without 0x); outputs are `Uint8Array` unless a function says hex.
import { platformError } from "./errors.ts";

/** Bytes, or a hex string with or without the 0x prefix. */
export type BytesLike = Uint8Array | string;

const HEX = /^(0x)?([0-9a-fA-F]{2})*$/;

/** Bytes of a hex string or a Uint8Array; `what` names the value in the error. */
export function toBytes(value: BytesLike, what = "value"): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value !== "string" || !HEX.test(value)) {
    throw platformError("INVALID_HEX", { details: { what, value: typeof value === "string" ? value.slice(0, 80) : typeof value } });
  }
  const hex = value.startsWith("0x") ? value.slice(2) : value;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Lower-case hex of bytes, 0x-prefixed unless `prefix` is false. */
export function toHex(bytes: Uint8Array, prefix = true): string {
  let hex = "";
  for (const b of bytes) hex += b.toString(16).padStart(2, "0");
  return prefix ? `0x${hex}` : hex;
}

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** The concatenation of byte arrays. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Equality in time independent of where the arrays differ (for MACs and tags). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

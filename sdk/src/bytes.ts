// Byte helpers shared by the cryptography and hashing modules. Inputs are `Uint8Array` or hex
// strings (with or without 0x); outputs are `Uint8Array` unless a function says hex.
import { platformError } from "./errors.ts";

/** Bytes, or a hex string with or without the 0x prefix. */
export type BytesLike = Uint8Array | string;

const HEX = /^(0x)?([0-9a-fA-F]{2})*$/;
const NON_HEX = /[^0-9a-fA-F]/;

/** Why a value given as hex is not hex (`details.reason` of INVALID_HEX). */
type InvalidHexReason = "not-a-string" | "odd-length" | "non-hex-character";

/**
 * The INVALID_HEX error of a rejected value. Its details say what was wrong and where, never what the
 * value was: the value is often a key, or plaintext a caller passed as text.
 */
function invalidHex(value: unknown, what: string): Error {
  if (typeof value !== "string") {
    return platformError("INVALID_HEX", {
      details: { what, reason: "not-a-string" satisfies InvalidHexReason, type: value === null ? "null" : typeof value },
      message: `The ${what} must be bytes (Uint8Array) or a hex string, not ${value === null ? "null" : typeof value}.`,
      messageZh: `${what} 应为字节（Uint8Array）或十六进制字符串。`,
    });
  }
  const start = value.startsWith("0x") ? 2 : 0;
  const found = NON_HEX.exec(value.slice(start));
  const details =
    found === null
      ? { what, reason: "odd-length" satisfies InvalidHexReason, length: value.length }
      : { what, reason: "non-hex-character" satisfies InvalidHexReason, length: value.length, index: start + found.index };
  return platformError("INVALID_HEX", {
    details,
    message:
      found === null
        ? `The ${what} is not valid hexadecimal: it has an odd number of digits (${value.length - start}).`
        : `The ${what} is not valid hexadecimal: the character at index ${details.index} is not a hex digit (white space or a newline?).`,
    messageZh:
      found === null
        ? `${what} 不是有效的十六进制：位数为奇数（${value.length - start}）。`
        : `${what} 不是有效的十六进制：索引 ${details.index} 处的字符不是十六进制数字（空白或换行？）。`,
  });
}

/**
 * Bytes of a hex string or a Uint8Array; `what` names the value in the error. A string that is not
 * hex raises INVALID_HEX whose details give its length and the reason (and where), never the string.
 */
export function toBytes(value: BytesLike, what = "value"): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value !== "string" || !HEX.test(value)) throw invalidHex(value, what);
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

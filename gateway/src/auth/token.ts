// Session tokens: compact, HMAC-SM3 signed, naming a session row and its expiry.
//
//   hc1.<sessionId>.<expires, unix seconds>.<HMAC-SM3(secret, "hc1.<sessionId>.<expires>"), base64url>
//
// The token proves the gateway issued it and until when it holds; the session row (checked on
// every request, briefly cached) says whether it was ended, so logout works across processes.
import { randomBytes } from "node:crypto";
import { constantTimeEqual, hmacSm3, utf8 } from "@health-chain/sdk";

const PREFIX = "hc1";
const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;
const TOKEN = /^hc1\.([A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

/** A new random session id (128 bits, base64url). */
export function newSessionId(): string {
  return randomBytes(16).toString("base64url");
}

function mac(secret: string, sessionId: string, expires: number): string {
  return Buffer.from(hmacSm3(utf8(secret), utf8(`${PREFIX}.${sessionId}.${expires}`))).toString("base64url");
}

/** The token of a session expiring at `expiresAt`. */
export function signSessionToken(secret: string, sessionId: string, expiresAt: Date): string {
  if (!SESSION_ID.test(sessionId)) throw new Error("malformed session id");
  const expires = Math.floor(expiresAt.getTime() / 1000);
  return `${PREFIX}.${sessionId}.${expires}.${mac(secret, sessionId, expires)}`;
}

/** The session id and expiry of a token the gateway signed, or undefined (malformed, forged or expired). */
export function verifySessionToken(secret: string, token: string, now: Date): { sessionId: string; expiresAt: Date } | undefined {
  const m = TOKEN.exec(token);
  if (!m) return undefined;
  const [, sessionId, expiresText, given] = m as unknown as [string, string, string, string];
  const expires = Number(expiresText);
  const expected = mac(secret, sessionId, expires);
  if (!constantTimeEqual(Buffer.from(given), Buffer.from(expected))) return undefined;
  if (expires * 1000 <= now.getTime()) return undefined;
  return { sessionId, expiresAt: new Date(expires * 1000) };
}

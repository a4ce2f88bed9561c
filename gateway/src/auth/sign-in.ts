// Sign-in: a single-use challenge (a row in the gateway database, consumed atomically, so it is
// single use across every gateway process), then either
//  - staff and institution systems: an SM2 signature (GM/T 0003, default user id) over the exact
//    challenge message with the SM2 key registered for the staff id in the configuration, or
//  - residents: an EIP-4361 (sign-in with Ethereum) message prepared by the gateway — domain,
//    address, statement, URI, version, chain id, nonce, issued-at, expiration — signed with the
//    wallet key (personal_sign), checked with viem.
// Either gives a session (sessions.ts). Every failure is the same 401 SIGN_IN_FAILED with a reason
// in the details, so a caller learns nothing about which staff ids exist.
import { randomBytes } from "node:crypto";
import { getAddress, isAddress, isHex, verifyMessage, type Address, type Hex } from "viem";
import { createSiweMessage, parseSiweMessage } from "viem/siwe";
import { platformError, toHex, validateSm2PublicKey, verifySm2 } from "@health-chain/sdk";
import type { GatewayDeps, Principal, Role } from "../context.ts";
import type { IssuedSession, SessionManager } from "./sessions.ts";

export interface IssuedChallenge {
  challengeId: string;
  kind: "sm2" | "siwe";
  message: string;
  expiresAt: Date;
}

type Deps = Pick<GatewayDeps, "db" | "config" | "clock"> & { chainId: number };

function failed(reason: string): Error {
  return platformError("SIGN_IN_FAILED", { details: { reason } });
}

/** The SM2 sign-in message for a staff id: what the staff member's key signs, byte for byte (UTF-8). */
export function sm2ChallengeMessage(fields: { domain: string; staffId: string; nonce: string; issuedAt: Date; expiresAt: Date }): string {
  return [
    `${fields.domain} staff sign-in / 工作人员登录`,
    `Staff ID: ${fields.staffId}`,
    `Nonce: ${fields.nonce}`,
    `Issued At: ${fields.issuedAt.toISOString()}`,
    `Expiration Time: ${fields.expiresAt.toISOString()}`,
  ].join("\n");
}

/** Issues a challenge for a staff id (SM2) or a wallet address (SIWE). */
export async function createChallenge(deps: Deps, subject: string): Promise<IssuedChallenge> {
  const { db, config, clock } = deps;
  const nonce = randomBytes(16).toString("hex");
  const issuedAt = clock.now();
  const expiresAt = new Date(issuedAt.getTime() + config.auth.challengeTtlSeconds * 1000);
  let kind: "sm2" | "siwe";
  let message: string;
  let stored: string;
  if (isAddress(subject, { strict: false })) {
    kind = "siwe";
    const address = getAddress(subject);
    stored = address;
    message = createSiweMessage({
      domain: config.auth.domain,
      address,
      statement: config.auth.statement,
      uri: config.auth.uri,
      version: "1",
      chainId: deps.chainId,
      nonce,
      issuedAt,
      expirationTime: expiresAt,
    });
  } else {
    kind = "sm2";
    stored = subject;
    message = sm2ChallengeMessage({ domain: config.auth.domain, staffId: subject, nonce, issuedAt, expiresAt });
  }
  await db.challenge.create({ data: { id: nonce, subject: stored, purpose: kind, message, createdAt: issuedAt, expiresAt } });
  return { challengeId: nonce, kind, message, expiresAt };
}

/** Marks a challenge used; false when it is unknown, of another kind or subject, used or expired. */
async function consume(deps: Deps, challengeId: string, purpose: "sm2" | "siwe", subject: string): Promise<string | undefined> {
  const now = deps.clock.now();
  const row = await deps.db.challenge.findUnique({ where: { id: challengeId } });
  if (!row || row.purpose !== purpose || row.subject !== subject) return undefined;
  const claimed = await deps.db.challenge.updateMany({
    where: { id: challengeId, usedAt: null, expiresAt: { gt: now } },
    data: { usedAt: now },
  });
  return claimed.count === 1 ? row.message : undefined;
}

function checkSessionKey(sessionPublicKey: string | undefined): Hex | undefined {
  if (sessionPublicKey === undefined) return undefined;
  try {
    return toHex(validateSm2PublicKey(sessionPublicKey)) as Hex;
  } catch {
    throw platformError("INVALID_INPUT", {
      message: "sessionPublicKey is not an SM2 public key.",
      messageZh: "sessionPublicKey 不是有效的 SM2 公钥。",
      details: { field: "sessionPublicKey" },
    });
  }
}

/** Staff (and institution systems) sign in with the SM2 key registered for them. */
export async function signInSm2(
  deps: Deps,
  sessions: SessionManager,
  input: { challengeId: string; staffId: string; signature: string; sessionPublicKey?: string },
): Promise<IssuedSession> {
  const sessionKey = checkSessionKey(input.sessionPublicKey);
  const message = await consume(deps, input.challengeId, "sm2", input.staffId);
  if (message === undefined) throw failed("challenge-unknown-used-or-expired");
  const staff = deps.config.staff.find((s) => s.id === input.staffId);
  if (!staff) throw failed("signature-does-not-verify");
  const signature = input.signature.startsWith("0x") ? input.signature.slice(2) : input.signature;
  let ok: boolean;
  try {
    ok = verifySm2({ utf8: message }, signature, staff.sm2PublicKey, { format: signature.length === 128 ? "raw" : "der" });
  } catch {
    ok = false; // malformed signature
  }
  if (!ok) throw failed("signature-does-not-verify");
  const roles = staff.roles as Role[];
  const draft: Omit<Principal, "sessionId" | "sessionPublicKey"> = {
    kind: roles.includes("institution-system") ? "system" : "staff",
    subject: staff.id,
    roles,
    institution: staff.institution,
    staffId: staff.id,
  };
  return sessions.create(draft, sessionKey);
}

/** Residents sign in with their wallet: the EIP-4361 message the challenge gave, signed. */
export async function signInSiwe(
  deps: Deps,
  sessions: SessionManager,
  input: { message: string; signature: string; sessionPublicKey?: string },
): Promise<IssuedSession> {
  const sessionKey = checkSessionKey(input.sessionPublicKey);
  let fields: ReturnType<typeof parseSiweMessage>;
  try {
    fields = parseSiweMessage(input.message);
  } catch {
    throw failed("message-not-eip-4361");
  }
  if (!fields.nonce || !fields.address || !isAddress(fields.address, { strict: false })) throw failed("message-not-eip-4361");
  const address: Address = getAddress(fields.address);
  const expected = await consume(deps, fields.nonce, "siwe", address);
  // The gateway wrote the message (domain, URI, chain id, times): only that exact text signs in.
  if (expected === undefined) throw failed("challenge-unknown-used-or-expired");
  if (expected !== input.message) throw failed("message-differs-from-challenge");
  if (!isHex(input.signature)) throw failed("signature-does-not-verify");
  let ok: boolean;
  try {
    ok = await verifyMessage({ address, message: input.message, signature: input.signature });
  } catch {
    ok = false; // malformed signature
  }
  if (!ok) throw failed("signature-does-not-verify");
  return sessions.create({ kind: "resident", subject: address, roles: ["resident"], wallet: address }, sessionKey);
}

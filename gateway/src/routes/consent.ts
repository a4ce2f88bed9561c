// /v1/consents (数据授权): the gateway relays what residents sign and files doctors' access requests.
//
// The app builds the EIP-712 message with the sdk (`consentTypedData`, the domain from
// `GET /v1/consents/domain`), the resident's wallet signs it, and the gateway checks it before it
// costs a transaction — the shape, the deadline, the window, and that the signature recovers to the
// signer the body names, who must be the signed-in wallet — then relays it through the platform's
// relayer (residents pay no gas) and answers with what the chain recorded.
//
// The first half of this file is the relay's domain logic as plain functions (parsing the JSON
// messages into the typed messages the contract takes, and checking them); the routes follow.
import { createRoute, z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import {
  ALL_PURPOSES_MASK,
  CONSENT_SCOPE_ALL,
  GRANTEE_KINDS,
  LIMITS,
  PURPOSES,
  consentDigest,
  consentRegistryAbi,
  grantIdOf,
  isPlatformError,
  platformError,
  recoverConsentSigner,
  sm3Hex,
  utf8,
  type ConsentDomain,
  type ConsentMessage,
  type ConsentPrimaryType,
  type PurposeName,
} from "@health-chain/sdk";
import {
  encodeAbiParameters,
  getAbiItem,
  getAddress,
  isAddressEqual,
  keccak256,
  pad,
  stringToBytes,
  type Address,
  type Hex,
} from "viem";
import { audited, recordAudit } from "../audit-log.ts";
import type { DecodedEvent } from "../chain.ts";
import type { GatewayDeps, GatewayEnv, Principal } from "../context.ts";
import type { GatewayTx } from "../db.ts";
import { errorResponses } from "../errors.ts";
import { principalOf } from "../middleware/auth.ts";
import { idempotent } from "../middleware/idempotency.ts";
import { hasRole, institutionOf, requirePermission } from "../middleware/rbac.ts";
import { notify } from "../notify.ts";
import { BEARER, createRouter } from "../router.ts";

// ---------------------------------------------------------------- JSON shapes of the messages

const HEX32 = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

export const bytes32Schema = z
  .string()
  .regex(HEX32, "a 32-byte 0x hex value")
  .openapi({ example: `0x${"ab".repeat(32)}` });
export const addressSchema = z
  .string()
  .regex(ADDRESS, "a 20-byte 0x address")
  .openapi({ example: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" });
/** uint64 / uint256 values travel as decimal strings (JSON numbers lose precision past 2^53). */
export const uintSchema = z
  .union([z.string().regex(/^[0-9]{1,78}$/, "a decimal integer"), z.number().int().nonnegative()])
  .openapi({ type: "string", example: "1767225600" });
const uint8Schema = z.number().int().min(0).max(255);
const scopeList = bytes32Schema.array().max(LIMITS.maxScopeItems);
export const signatureSchema = z
  .string()
  .regex(/^0x([0-9a-fA-F]{2})+$/, "hex bytes")
  .max(2 + 2 * 4096)
  .openapi({ example: `0x${"11".repeat(65)}` });

export const consentGrantSchema = z
  .object({
    resident: addressSchema,
    grantee: bytes32Schema,
    granteeKind: uint8Schema,
    categories: scopeList,
    recordIds: scopeList,
    fields: scopeList,
    purposes: uint8Schema,
    notBefore: uintSchema,
    notAfter: uintSchema,
    mayReshare: z.boolean(),
    nonce: uintSchema,
    deadline: uintSchema,
  })
  .openapi("ConsentGrantMessage");

export const consentNarrowingSchema = z
  .object({
    grantId: bytes32Schema,
    removeCategories: scopeList,
    removeRecordIds: scopeList,
    removeFields: scopeList,
    removePurposes: uint8Schema,
    notAfter: uintSchema,
    nonce: uintSchema,
    deadline: uintSchema,
  })
  .openapi("ConsentNarrowingMessage");

export const consentRevocationSchema = z
  .object({ grantId: bytes32Schema, nonce: uintSchema, deadline: uintSchema })
  .openapi("ConsentRevocationMessage");

export const requestAnswerSchema = z
  .object({
    requestId: bytes32Schema,
    requestHash: bytes32Schema,
    approve: z.boolean(),
    mode: uint8Schema,
    notBefore: uintSchema,
    notAfter: uintSchema,
    nonce: uintSchema,
    deadline: uintSchema,
  })
  .openapi("RequestAnswerMessage");

export const delegationSchema = z
  .object({
    resident: addressSchema,
    delegate: addressSchema,
    relation: uint8Schema,
    notAfter: uintSchema,
    nonce: uintSchema,
    deadline: uintSchema,
  })
  .openapi("DelegationMessage");

export const delegationRevocationSchema = z
  .object({
    resident: addressSchema,
    delegate: addressSchema,
    delegationId: bytes32Schema,
    nonce: uintSchema,
    deadline: uintSchema,
  })
  .openapi("DelegationRevocationMessage");

/** An access request exactly as filed (its content hash is what the resident's answer signs). */
export const accessRequestSchema = z
  .object({
    resident: addressSchema,
    grantee: bytes32Schema,
    granteeKind: uint8Schema,
    categories: scopeList,
    recordIds: scopeList,
    fields: scopeList,
    purposes: uint8Schema,
    validFor: uintSchema,
    answerBy: uintSchema,
    reasonHash: bytes32Schema,
  })
  .openapi("AccessRequest");

type Json<T extends z.ZodType> = z.infer<T>;

const big = (v: string | number): bigint => BigInt(v);
const hex = (v: string): Hex => v.toLowerCase() as Hex;
const hexList = (v: readonly string[]): Hex[] => v.map(hex);

/** The typed ConsentGrant of its JSON form. */
export function toGrant(m: Json<typeof consentGrantSchema>): ConsentMessage<"ConsentGrant"> {
  return {
    resident: getAddress(m.resident),
    grantee: hex(m.grantee),
    granteeKind: m.granteeKind,
    categories: hexList(m.categories),
    recordIds: hexList(m.recordIds),
    fields: hexList(m.fields),
    purposes: m.purposes,
    notBefore: big(m.notBefore),
    notAfter: big(m.notAfter),
    mayReshare: m.mayReshare,
    nonce: big(m.nonce),
    deadline: big(m.deadline),
  };
}

export function toNarrowing(m: Json<typeof consentNarrowingSchema>): ConsentMessage<"ConsentNarrowing"> {
  return {
    grantId: hex(m.grantId),
    removeCategories: hexList(m.removeCategories),
    removeRecordIds: hexList(m.removeRecordIds),
    removeFields: hexList(m.removeFields),
    removePurposes: m.removePurposes,
    notAfter: big(m.notAfter),
    nonce: big(m.nonce),
    deadline: big(m.deadline),
  };
}

export function toRevocation(m: Json<typeof consentRevocationSchema>): ConsentMessage<"ConsentRevocation"> {
  return { grantId: hex(m.grantId), nonce: big(m.nonce), deadline: big(m.deadline) };
}

export function toAnswer(m: Json<typeof requestAnswerSchema>): ConsentMessage<"RequestAnswer"> {
  return {
    requestId: hex(m.requestId),
    requestHash: hex(m.requestHash),
    approve: m.approve,
    mode: m.mode,
    notBefore: big(m.notBefore),
    notAfter: big(m.notAfter),
    nonce: big(m.nonce),
    deadline: big(m.deadline),
  };
}

export function toDelegation(m: Json<typeof delegationSchema>): ConsentMessage<"Delegation"> {
  return {
    resident: getAddress(m.resident),
    delegate: getAddress(m.delegate),
    relation: m.relation,
    notAfter: big(m.notAfter),
    nonce: big(m.nonce),
    deadline: big(m.deadline),
  };
}

export function toDelegationRevocation(m: Json<typeof delegationRevocationSchema>): ConsentMessage<"DelegationRevocation"> {
  return {
    resident: getAddress(m.resident),
    delegate: getAddress(m.delegate),
    delegationId: hex(m.delegationId),
    nonce: big(m.nonce),
    deadline: big(m.deadline),
  };
}

/** An access request as the contract takes it. */
export interface AccessRequest {
  readonly resident: Address;
  readonly grantee: Hex;
  readonly granteeKind: number;
  readonly categories: readonly Hex[];
  readonly recordIds: readonly Hex[];
  readonly fields: readonly Hex[];
  readonly purposes: number;
  readonly validFor: bigint;
  readonly answerBy: bigint;
  readonly reasonHash: Hex;
}

export function toAccessRequest(m: Json<typeof accessRequestSchema>): AccessRequest {
  return {
    resident: getAddress(m.resident),
    grantee: hex(m.grantee),
    granteeKind: m.granteeKind,
    categories: hexList(m.categories),
    recordIds: hexList(m.recordIds),
    fields: hexList(m.fields),
    purposes: m.purposes,
    validFor: big(m.validFor),
    answerBy: big(m.answerBy),
    reasonHash: hex(m.reasonHash),
  };
}

/** The JSON form of an access request (uints as decimal strings). */
export function accessRequestJson(r: AccessRequest): Json<typeof accessRequestSchema> {
  return {
    resident: r.resident,
    grantee: r.grantee,
    granteeKind: r.granteeKind,
    categories: [...r.categories],
    recordIds: [...r.recordIds],
    fields: [...r.fields],
    purposes: r.purposes,
    validFor: r.validFor.toString(),
    answerBy: r.answerBy.toString(),
    reasonHash: r.reasonHash,
  };
}

const REQUEST_PARAMETERS = getAbiItem({ abi: consentRegistryAbi, name: "requestContentHash" }).inputs;

/** `ConsentRegistry.requestContentHash(r)`: keccak256(abi.encode(r)), what an answer's requestHash must be. */
export function requestContentHash(r: AccessRequest): Hex {
  return keccak256(encodeAbiParameters(REQUEST_PARAMETERS, [r]));
}

/** SM3 of the reason text: only the digest goes on chain, the text stays with the parties. */
export function reasonHashOf(reason: string): Hex {
  return sm3Hex(utf8(reason));
}

// ---------------------------------------------------------------- checks before relaying

function invalid(what: string, problem: string, messageZh: string, details: Record<string, unknown> = {}): never {
  throw platformError("INVALID_INPUT", {
    message: `${what}: ${problem}.`,
    messageZh,
    details: { what, problem, ...details },
  });
}

/** Seconds since the epoch of a clock reading. */
export const unixSeconds = (d: Date): bigint => BigInt(Math.floor(d.getTime() / 1000));

function checkDeadline(deadline: bigint, now: bigint): void {
  if (deadline < now) {
    invalid("deadline", "the signature's deadline has passed", "签名已过期（deadline 已过），请重新签名。", {
      deadline: deadline.toString(),
      now: now.toString(),
    });
  }
}

function checkList(what: string, items: readonly Hex[]): void {
  if (items.length > LIMITS.maxScopeItems) invalid(what, `more than ${LIMITS.maxScopeItems} items`, `${what} 超过 ${LIMITS.maxScopeItems} 项。`);
  if (items.some((i) => /^0x0{64}$/.test(i))) invalid(what, "a zero item", `${what} 含有全零项。`);
  if (new Set(items).size !== items.length) invalid(what, "a repeated item", `${what} 含有重复项。`);
}

/** Scope, purposes and grantee of a grant or a request, as the contract will check them. */
export function checkScope(s: {
  categories: readonly Hex[];
  recordIds: readonly Hex[];
  fields: readonly Hex[];
  purposes: number;
  grantee: Hex;
  granteeKind: number;
}): void {
  checkList("categories", s.categories);
  checkList("recordIds", s.recordIds);
  checkList("fields", s.fields);
  if (s.categories.length + s.recordIds.length === 0) invalid("scope", "no category and no record id", "授权范围为空：至少需要一个类别或记录。");
  if (s.fields.length === 0) invalid("fields", "no field", "字段范围为空。");
  if (s.recordIds.includes(CONSENT_SCOPE_ALL)) invalid("recordIds", "the wildcard is not a record id", "记录范围不能使用通配符。");
  if (s.purposes === 0 || (s.purposes & ~ALL_PURPOSES_MASK) !== 0) {
    invalid("purposes", "not a mask of defined purposes", "用途掩码无效。", { purposes: s.purposes });
  }
  const isAccount = s.granteeKind === GRANTEE_KINDS.institution.code || s.granteeKind === GRANTEE_KINDS.doctor.code;
  const addressShaped = BigInt(s.grantee) >> 160n === 0n;
  if (BigInt(s.grantee) === 0n || s.granteeKind > GRANTEE_KINDS.project.code || isAccount !== addressShaped) {
    invalid("grantee", "does not fit its kind", "被授权方与其类型不符（机构、医生为账户地址，科研项目为项目标识）。", {
      granteeKind: s.granteeKind,
    });
  }
}

/** A ConsentGrant the contract would accept, as far as can be told off chain. */
export function checkGrant(g: ConsentMessage<"ConsentGrant">, now: bigint): void {
  checkDeadline(g.deadline, now);
  checkScope(g);
  if (g.notAfter <= g.notBefore) invalid("window", "notAfter is not after notBefore", "授权结束时间须晚于开始时间。");
  if (g.notAfter <= now) invalid("window", "the window has already ended", "授权有效期已结束。");
}

export function checkNarrowing(n: ConsentMessage<"ConsentNarrowing">, now: bigint): void {
  checkDeadline(n.deadline, now);
  checkList("removeCategories", n.removeCategories);
  checkList("removeRecordIds", n.removeRecordIds);
  checkList("removeFields", n.removeFields);
  if ((n.removePurposes & ~ALL_PURPOSES_MASK) !== 0) invalid("removePurposes", "undefined purposes", "用途掩码无效。");
  const removesSomething =
    n.removeCategories.length + n.removeRecordIds.length + n.removeFields.length > 0 || n.removePurposes !== 0 || n.notAfter !== 0n;
  if (!removesSomething) invalid("narrowing", "removes nothing", "收窄授权须至少移除一项或缩短期限。");
  if (n.notAfter !== 0n && n.notAfter < now) invalid("notAfter", "in the past", "新的结束时间已过去。");
}

export function checkRevocation(r: ConsentMessage<"ConsentRevocation">, now: bigint): void {
  checkDeadline(r.deadline, now);
}

export function checkAnswer(a: ConsentMessage<"RequestAnswer">, request: AccessRequest, now: bigint): void {
  checkDeadline(a.deadline, now);
  if (a.mode > 1) invalid("mode", "neither remote (0) nor on site (1)", "答复方式无效（0 远程，1 现场）。");
  if (a.requestHash !== requestContentHash(request)) {
    invalid("requestHash", "does not match the request's content", "答复签署的请求摘要与请求内容不符。");
  }
  if (a.approve) {
    if (a.notAfter <= a.notBefore) invalid("window", "notAfter is not after notBefore", "授权结束时间须晚于开始时间。");
    if (a.notAfter - a.notBefore > request.validFor) {
      invalid("window", "longer than the request asked", "授权期限超过了请求的期限。", { validFor: request.validFor.toString() });
    }
    if (a.notAfter <= now) invalid("window", "the window has already ended", "授权有效期已结束。");
  }
}

export function checkDelegation(d: ConsentMessage<"Delegation">, now: bigint): void {
  checkDeadline(d.deadline, now);
  if (isAddressEqual(d.delegate, d.resident) || BigInt(d.delegate) === 0n) invalid("delegate", "zero or the resident", "受托人不能为空或居民本人。");
  if (d.relation > 2) invalid("relation", "not a defined relation", "关系类型无效。");
  if (d.notAfter <= now) invalid("notAfter", "in the past", "委托结束时间已过去。");
}

export function checkDelegationRevocation(d: ConsentMessage<"DelegationRevocation">, now: bigint): void {
  checkDeadline(d.deadline, now);
}

/**
 * Checks that `signature` over the message recovers to `signer` and returns the message's digest
 * (for a grant-creating message, the grant id; for a delegation, the delegation id). Contract
 * wallets (ERC-1271) cannot be recovered off chain: the gateway relays wallets' (EOA) signatures.
 */
export async function checkSignature<T extends ConsentPrimaryType>(
  primaryType: T,
  message: ConsentMessage<T>,
  domain: ConsentDomain,
  signer: Address,
  signature: Hex,
): Promise<Hex> {
  let recovered: Address;
  try {
    recovered = await recoverConsentSigner(primaryType, message, domain, signature);
  } catch (error) {
    throw platformError("INVALID_SIGNATURE", {
      message: `The ${primaryType} signature is malformed.`,
      messageZh: "签名格式错误。",
      details: { primaryType, reason: error instanceof Error ? (error.message.split("\n")[0] ?? "") : "unrecoverable" },
    });
  }
  if (!isAddressEqual(recovered, signer)) {
    throw platformError("INVALID_SIGNATURE", {
      message: `The ${primaryType} signature was not made by the signer ${signer}.`,
      messageZh: "签名与所述签名人不符。",
      details: { primaryType, signer, recovered },
    });
  }
  return primaryType === "ConsentGrant" || primaryType === "RequestAnswer"
    ? grantIdOf(primaryType as "ConsentGrant", message as ConsentMessage<"ConsentGrant">, domain)
    : consentDigest(primaryType, message, domain);
}

/**
 * The on-chain account a doctor reads as. A doctor with a wallet of their own is that account; a
 * doctor known only by an SM2 staff key gets a stable account id derived from the institution and
 * the staff id (an address no key controls: it only names the grantee in requests, grants and
 * checks, which the contract allows for a doctor's account on no allowlist, vouched for by the
 * institution that files the request).
 */
export function doctorAccountOf(institution: Address, staffId: string, wallet?: Address): Address {
  if (wallet !== undefined) return getAddress(wallet);
  const digest = keccak256(stringToBytes(`health-chain:doctor:${getAddress(institution)}:${staffId}`));
  return getAddress(`0x${digest.slice(26)}`);
}

/** An account as a grantee id: the address left-padded to 32 bytes, lower case. */
export function accountAsGrantee(account: Address): Hex {
  return pad(account.toLowerCase() as Hex, { size: 32 });
}

/** The grantees a staff principal reads as, most specific first: its doctor account, then its institution. */
export function granteesOf(principal: Principal): Hex[] {
  const institution = institutionOf(principal);
  const out: Hex[] = [];
  if (hasRole(principal, "doctor")) out.push(accountAsGrantee(doctorAccountOf(institution, principal.staffId ?? principal.subject, principal.wallet)));
  out.push(accountAsGrantee(institution));
  return out;
}

// ---------------------------------------------------------------- routes

const RelayBodySchema = <T extends z.ZodType>(message: T, name: string) =>
  z
    .object({
      message,
      signer: addressSchema.openapi({ description: "Who signed: the resident, or a delegate (the signed-in wallet)." }),
      signature: signatureSchema,
    })
    .openapi(name);

const RelayResultSchema = z
  .object({
    grantId: bytes32Schema.optional(),
    delegationId: bytes32Schema.optional(),
    requestId: bytes32Schema.optional(),
    txHash: bytes32Schema,
    blockNumber: z.number().int(),
  })
  .openapi("ConsentRelayResult");

const DomainSchema = z
  .object({ name: z.string(), version: z.string(), chainId: z.number().int(), verifyingContract: addressSchema })
  .openapi("ConsentDomain");

const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().max(200).optional(),
});

const ListSchema = z
  .object({ items: z.array(z.record(z.string(), z.unknown())), nextCursor: z.string().optional() })
  .openapi("ConsentList");

const purposeNames = Object.keys(PURPOSES) as [PurposeName, ...PurposeName[]];

const AccessRequestInputSchema = z
  .object({
    resident: addressSchema.openapi({ description: "The resident's wallet address." }),
    granteeKind: z.enum(["doctor", "institution", "project"]).optional().openapi({
      description: "Who would read: the doctor (default for doctors), the institution (default for systems), or a project.",
    }),
    doctorStaffId: z.string().min(1).max(64).optional().openapi({ description: "A system filing for one of its doctors: the doctor's staff id." }),
    grantee: z
      .string()
      .regex(/^0x([0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/)
      .optional()
      .openapi({ description: "A doctor's own wallet account, or a project id (bytes32)." }),
    categories: scopeList.default([]),
    recordIds: scopeList.default([]),
    fields: scopeList.min(1),
    purposes: z.array(z.enum(purposeNames)).min(1),
    validFor: z
      .number()
      .int()
      .min(60)
      .max(366 * 24 * 3600)
      .openapi({ description: "Longest validity an approval may give, seconds." }),
    answerBy: z.number().int().min(1).optional().openapi({ description: "Unix seconds; default 7 days from now." }),
    reason: z.string().min(1).max(1000).openapi({ description: "Why (kept off chain; its SM3 digest goes on chain)." }),
  })
  .openapi("AccessRequestInput");

const AccessRequestFiledSchema = z
  .object({
    requestId: bytes32Schema,
    requestHash: bytes32Schema,
    request: accessRequestSchema,
    txHash: bytes32Schema,
    blockNumber: z.number().int(),
  })
  .openapi("AccessRequestFiled");

const AnswerBodySchema = z
  .object({
    message: requestAnswerSchema,
    signer: addressSchema,
    signature: signatureSchema,
    request: accessRequestSchema.optional().openapi({
      description: "The request exactly as filed (from the notification); looked up in the mirror when absent.",
    }),
  })
  .openapi("RequestAnswerRelay");

/** The request as filed, from the mirror's view of it (undefined when its answerBy cannot be shown). */
export function requestOfMirror(filed: Awaited<ReturnType<GatewayDeps["mirror"]["requests"]["byId"]>> & object): AccessRequest | undefined {
  if (filed.answerBy === null) return undefined;
  return {
    resident: filed.resident,
    grantee: filed.grantee,
    granteeKind: filed.granteeKind,
    categories: filed.scope.categories,
    recordIds: filed.scope.recordIds,
    fields: filed.scope.fields,
    purposes: filed.purposes,
    validFor: BigInt(filed.validFor),
    answerBy: BigInt(Date.parse(filed.answerBy) / 1000),
    reasonHash: filed.reasonHash,
  };
}

/** JSON-safe (bigint → decimal string) copy of a mirror answer. */
export function plain(value: unknown): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value ?? null, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v))) as Record<string, unknown>;
}

function assertSigner(principal: Principal, signer: string): Address {
  if (principal.wallet === undefined || !isAddressEqual(principal.wallet, signer as Address)) {
    throw platformError("FORBIDDEN", {
      message: "The gateway relays only what the signed-in wallet signed.",
      messageZh: "网关只转发当前登录钱包签署的消息。",
      details: { reason: "signer-is-not-session-wallet" },
    });
  }
  return getAddress(signer);
}

function eventArg(logs: readonly DecodedEvent[], eventName: string, arg: string): unknown {
  return logs.find((l) => l.eventName === eventName)?.args[arg];
}

/** Writes the route's rows, its audit row and its idempotent answer in one transaction. */
export async function commitAnswer<B extends Record<string, unknown>>(
  deps: GatewayDeps,
  c: Context<GatewayEnv>,
  status: number,
  body: B,
  facts: { target?: string; purpose?: string; details?: Record<string, unknown> },
  rows?: (tx: GatewayTx) => Promise<unknown>,
): Promise<B> {
  await deps.db.$transaction(async (tx) => {
    if (rows) await rows(tx);
    await recordAudit(tx, c, facts);
    await c.get("idempotency")?.save(tx, status, body);
  });
  return body;
}

/** The middleware of a write: permission, idempotency, business audit. */
export function writeMiddleware(deps: GatewayDeps, permission: string, action: string): MiddlewareHandler<GatewayEnv>[] {
  return [requirePermission(permission), idempotent(deps), audited(deps, action)];
}

/** Allows the request when the principal holds any of the permissions (ROLE_REQUIRED otherwise). */
function requireAnyPermission(...permissions: string[]): MiddlewareHandler<GatewayEnv> {
  const checks = permissions.map((p) => requirePermission(p));
  return async (c, next) => {
    let refusal: unknown;
    for (const check of checks) {
      let passed = false;
      try {
        await check(c, async () => {
          passed = true;
        });
      } catch (error) {
        if (!isPlatformError(error, "ROLE_REQUIRED")) throw error;
        refusal = error;
      }
      if (passed) return next();
    }
    throw refusal;
  };
}

const tags = ["consents"];
const relayed = { description: "Relayed and mined", content: { "application/json": { schema: RelayResultSchema } } };
const createdResponses = { 201: relayed, ...errorResponses(400, 401, 403, 409, 502) };
const relayedOk = { 200: relayed, ...errorResponses(400, 401, 403, 409, 502) };

export function consentsRoutes(deps: GatewayDeps) {
  const domain = () => deps.chain.contracts.consentDomain;
  const now = () => unixSeconds(deps.clock.now());
  const relayer = () => deps.chain.relayer;

  return createRouter()
    .openapi(
      createRoute({
        method: "get",
        path: "/domain",
        tags,
        summary: "The EIP-712 domain consent messages are signed in / 授权消息的签名域",
        responses: { 200: { description: "The domain", content: { "application/json": { schema: DomainSchema } } } },
      }),
      (c) => c.json({ ...domain() }, 200),
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/grants",
        tags,
        summary: "Relay a resident's signed consent grant / 转发居民签署的授权",
        security: BEARER,
        middleware: writeMiddleware(deps, "consents:relay", "consents.grant"),
        request: { body: { content: { "application/json": { schema: RelayBodySchema(consentGrantSchema, "ConsentGrantRelay") } }, required: true } },
        responses: createdResponses,
      }),
      async (c) => {
        const principal = principalOf(c);
        const { message, signer, signature } = c.req.valid("json");
        const g = toGrant(message);
        checkGrant(g, now());
        const from = assertSigner(principal, signer);
        const grantId = await checkSignature("ConsentGrant", g, domain(), from, signature as Hex);
        const sent = await deps.chain.send(relayer(), "ConsentRegistry", "grant", [g, from, signature as Hex]);
        const created = eventArg(sent.logs, "GrantCreated", "grantId") as Hex | undefined;
        const body = { grantId: (created ?? grantId).toLowerCase(), txHash: sent.txHash, blockNumber: sent.blockNumber };
        return c.json(await commitAnswer(deps, c, 201, body, { target: body.grantId, details: { txHash: sent.txHash } }), 201);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/narrowings",
        tags,
        summary: "Relay a signed narrowing of a grant / 转发收窄授权",
        security: BEARER,
        middleware: writeMiddleware(deps, "consents:relay", "consents.narrow"),
        request: {
          body: { content: { "application/json": { schema: RelayBodySchema(consentNarrowingSchema, "ConsentNarrowingRelay") } }, required: true },
        },
        responses: relayedOk,
      }),
      async (c) => {
        const principal = principalOf(c);
        const { message, signer, signature } = c.req.valid("json");
        const n = toNarrowing(message);
        checkNarrowing(n, now());
        const from = assertSigner(principal, signer);
        await checkSignature("ConsentNarrowing", n, domain(), from, signature as Hex);
        const sent = await deps.chain.send(relayer(), "ConsentRegistry", "narrow", [n, from, signature as Hex]);
        const body = { grantId: n.grantId, txHash: sent.txHash, blockNumber: sent.blockNumber };
        return c.json(await commitAnswer(deps, c, 200, body, { target: n.grantId, details: { txHash: sent.txHash } }), 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/revocations",
        tags,
        summary: "Relay a signed revocation of a grant / 转发撤销授权",
        security: BEARER,
        middleware: writeMiddleware(deps, "consents:relay", "consents.revoke"),
        request: {
          body: { content: { "application/json": { schema: RelayBodySchema(consentRevocationSchema, "ConsentRevocationRelay") } }, required: true },
        },
        responses: relayedOk,
      }),
      async (c) => {
        const principal = principalOf(c);
        const { message, signer, signature } = c.req.valid("json");
        const r = toRevocation(message);
        checkRevocation(r, now());
        const from = assertSigner(principal, signer);
        await checkSignature("ConsentRevocation", r, domain(), from, signature as Hex);
        const sent = await deps.chain.send(relayer(), "ConsentRegistry", "revoke", [r, from, signature as Hex]);
        const body = { grantId: r.grantId, txHash: sent.txHash, blockNumber: sent.blockNumber };
        return c.json(await commitAnswer(deps, c, 200, body, { target: r.grantId, details: { txHash: sent.txHash } }), 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/delegations",
        tags,
        summary: "Relay a resident's signed delegation to a guardian, family member or agent / 转发委托",
        security: BEARER,
        middleware: writeMiddleware(deps, "consents:relay", "consents.delegate"),
        request: { body: { content: { "application/json": { schema: RelayBodySchema(delegationSchema, "DelegationRelay") } }, required: true } },
        responses: createdResponses,
      }),
      async (c) => {
        const principal = principalOf(c);
        const { message, signer, signature } = c.req.valid("json");
        const d = toDelegation(message);
        checkDelegation(d, now());
        const from = assertSigner(principal, signer);
        if (!isAddressEqual(from, d.resident)) {
          throw platformError("FORBIDDEN", { message: "Only the resident delegates.", messageZh: "只有居民本人可以委托。", details: { reason: "delegate-cannot-delegate" } });
        }
        const delegationId = await checkSignature("Delegation", d, domain(), from, signature as Hex);
        const sent = await deps.chain.send(relayer(), "ConsentRegistry", "setDelegate", [d, signature as Hex]);
        const body = { delegationId, txHash: sent.txHash, blockNumber: sent.blockNumber };
        return c.json(await commitAnswer(deps, c, 201, body, { target: delegationId, details: { delegate: d.delegate, txHash: sent.txHash } }), 201);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/delegation-revocations",
        tags,
        summary: "Relay the resident's signed end of a delegation / 转发终止委托",
        security: BEARER,
        middleware: writeMiddleware(deps, "consents:relay", "consents.revoke-delegation"),
        request: {
          body: { content: { "application/json": { schema: RelayBodySchema(delegationRevocationSchema, "DelegationRevocationRelay") } }, required: true },
        },
        responses: relayedOk,
      }),
      async (c) => {
        const principal = principalOf(c);
        const { message, signer, signature } = c.req.valid("json");
        const d = toDelegationRevocation(message);
        checkDelegationRevocation(d, now());
        const from = assertSigner(principal, signer);
        if (!isAddressEqual(from, d.resident)) {
          throw platformError("FORBIDDEN", { message: "Only the resident ends a delegation.", messageZh: "只有居民本人可以终止委托。", details: { reason: "not-resident" } });
        }
        await checkSignature("DelegationRevocation", d, domain(), from, signature as Hex);
        const sent = await deps.chain.send(relayer(), "ConsentRegistry", "revokeDelegate", [d, signature as Hex]);
        const body = { delegationId: d.delegationId, txHash: sent.txHash, blockNumber: sent.blockNumber };
        return c.json(await commitAnswer(deps, c, 200, body, { target: d.delegationId, details: { txHash: sent.txHash } }), 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/grants",
        tags,
        summary: "Grants: a resident's own; a doctor's or institution's as grantee / 授权列表",
        security: BEARER,
        middleware: [requirePermission("consents:read")],
        request: {
          query: PageQuerySchema.extend({
            as: z.enum(["doctor", "institution"]).optional().openapi({
              description: "Staff: grants to me as a doctor (default for doctors) or to my institution.",
            }),
          }),
        },
        responses: {
          200: { description: "A page of grants (from the mirror)", content: { "application/json": { schema: ListSchema } } },
          ...errorResponses(400, 401, 403),
        },
      }),
      async (c) => {
        const principal = principalOf(c);
        const q = c.req.valid("query");
        const page = { limit: q.limit ?? 100, ...(q.cursor ? { cursor: q.cursor } : {}) };
        const mirror = deps.mirror;
        let result: { items: unknown[]; nextCursor?: string };
        if (principal.kind === "resident") {
          if (principal.wallet === undefined) throw platformError("FORBIDDEN", { details: { reason: "no-wallet" } });
          result = await mirror.grants.ofResident(principal.wallet, page);
        } else {
          const as = q.as ?? (hasRole(principal, "doctor") ? "doctor" : "institution");
          const institution = institutionOf(principal);
          const grantee =
            as === "doctor"
              ? accountAsGrantee(doctorAccountOf(institution, principal.staffId ?? principal.subject, principal.wallet))
              : accountAsGrantee(institution);
          result = await mirror.grants.forGrantee(grantee, page);
        }
        return c.json({ items: result.items.map(plain), ...(result.nextCursor ? { nextCursor: result.nextCursor } : {}) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/requests",
        tags,
        summary: "File a doctor's access request with the resident / 医生申请访问",
        description:
          "Filed on chain by the caller's institution (DATA_CONSUMER); the resident is notified with the request's content and content hash, which their answer signs.",
        security: BEARER,
        middleware: writeMiddleware(deps, "access:request", "consents.request"),
        request: { body: { content: { "application/json": { schema: AccessRequestInputSchema } }, required: true } },
        responses: {
          201: { description: "Filed and mined", content: { "application/json": { schema: AccessRequestFiledSchema } } },
          ...errorResponses(400, 401, 403, 409, 502),
        },
      }),
      async (c) => {
        const principal = principalOf(c);
        const input = c.req.valid("json");
        const institution = institutionOf(principal);
        const kind = input.granteeKind ?? (hasRole(principal, "doctor") ? "doctor" : "institution");
        let grantee: Hex;
        if (kind === "institution") {
          grantee = accountAsGrantee(institution);
        } else if (kind === "project") {
          if (input.grantee === undefined || input.grantee.length !== 66) {
            invalid("grantee", "a project request names the project id (bytes32)", "科研项目申请须提供项目标识（bytes32）。");
          }
          grantee = hex(input.grantee);
        } else if (input.grantee !== undefined) {
          if (input.grantee.length !== 42) invalid("grantee", "a doctor grantee is an account address", "医生被授权方应为账户地址。");
          grantee = accountAsGrantee(getAddress(input.grantee));
        } else if (input.doctorStaffId !== undefined) {
          grantee = accountAsGrantee(doctorAccountOf(institution, input.doctorStaffId));
        } else if (hasRole(principal, "doctor")) {
          grantee = accountAsGrantee(doctorAccountOf(institution, principal.staffId ?? principal.subject, principal.wallet));
        } else {
          invalid("grantee", "name the doctor (doctorStaffId or grantee)", "请指明医生（doctorStaffId 或 grantee）。");
        }
        const nowSeconds = now();
        const request: AccessRequest = {
          resident: getAddress(input.resident),
          grantee,
          granteeKind: GRANTEE_KINDS[kind].code,
          categories: hexList(input.categories),
          recordIds: hexList(input.recordIds),
          fields: hexList(input.fields),
          purposes: input.purposes.reduce((m, p) => m | PURPOSES[p].mask, 0),
          validFor: BigInt(input.validFor),
          answerBy: input.answerBy === undefined ? nowSeconds + 7n * 24n * 3600n : BigInt(input.answerBy),
          reasonHash: reasonHashOf(input.reason),
        };
        checkScope(request);
        if (request.answerBy <= nowSeconds || request.answerBy > nowSeconds + BigInt(LIMITS.maxRequestTtl)) {
          invalid("answerBy", `not within the next ${LIMITS.maxRequestTtl / 86400} days`, `答复截止时间须在今后 ${LIMITS.maxRequestTtl / 86400} 天之内。`);
        }
        const sent = await deps.chain.send(institution, "ConsentRegistry", "requestAccess", [request]);
        const requestId = (eventArg(sent.logs, "AccessRequested", "requestId") as Hex).toLowerCase() as Hex;
        const requestHash = requestContentHash(request);
        const body = { requestId, requestHash, request: accessRequestJson(request), txHash: sent.txHash, blockNumber: sent.blockNumber };
        await commitAnswer(deps, c, 201, body, { target: requestId, purpose: input.purposes.join(","), details: { txHash: sent.txHash } }, (tx) =>
          notify({ tx }, request.resident, "access-requested", {
            requestId,
            requestHash,
            request: body.request,
            institution,
            reason: input.reason,
            txHash: sent.txHash,
          }),
        );
        return c.json(body, 201);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/requests",
        tags,
        summary: "Access requests: a resident's; those an institution filed / 访问申请列表",
        security: BEARER,
        middleware: [requirePermission("consents:read")],
        request: { query: PageQuerySchema },
        responses: {
          200: { description: "A page of requests (from the mirror)", content: { "application/json": { schema: ListSchema } } },
          ...errorResponses(400, 401, 403),
        },
      }),
      async (c) => {
        const principal = principalOf(c);
        const q = c.req.valid("query");
        const page = { limit: q.limit ?? 100, ...(q.cursor ? { cursor: q.cursor } : {}) };
        const mirror = deps.mirror;
        const result =
          principal.kind === "resident"
            ? await mirror.requests.ofResident(principal.wallet ?? principal.subject, page)
            : await mirror.requests.byRequester(institutionOf(principal), page);
        // With the request as filed and its content hash: what the resident's answer signs.
        const items = result.items.map((r) => {
          const request = requestOfMirror(r);
          return { ...plain(r), ...(request ? { request: accessRequestJson(request), requestHash: requestContentHash(request) } : {}) };
        });
        return c.json({ items, ...(result.nextCursor ? { nextCursor: result.nextCursor } : {}) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/requests/{requestId}/answer",
        tags,
        summary: "Relay the resident's signed answer to an access request, remote or on site / 转发居民对访问申请的答复",
        description:
          "The resident relays their own answer (remote), or staff of the filing institution relay it on site (mode 1) from the resident's device signature.",
        security: BEARER,
        middleware: [requireAnyPermission("access:answer", "access:answer-on-site"), idempotent(deps), audited(deps, "consents.answer")],
        request: {
          params: z.object({ requestId: bytes32Schema }),
          body: { content: { "application/json": { schema: AnswerBodySchema } }, required: true },
        },
        responses: {
          200: { description: "Relayed and mined; grantId is set when approved", content: { "application/json": { schema: RelayResultSchema } } },
          ...errorResponses(400, 401, 403, 404, 409, 502),
        },
      }),
      async (c) => {
        const principal = principalOf(c);
        const { requestId } = c.req.valid("param");
        const { message, signer, signature, request: given } = c.req.valid("json");
        const a = toAnswer(message);
        if (a.requestId !== hex(requestId)) invalid("requestId", "the answer names another request", "答复所指的申请与路径不符。");
        const stored = await deps.chain.contracts.consentRegistry.read.getRequest([a.requestId]);
        if (stored.status === 0) throw platformError("NOT_FOUND", { details: { what: "access request", requestId } });
        let from: Address;
        if (principal.kind === "resident") {
          from = assertSigner(principal, signer);
        } else {
          // On site: the filing institution's staff relay the resident's device signature.
          if (a.mode !== 1 || !isAddressEqual(institutionOf(principal), stored.institution)) {
            throw platformError("FORBIDDEN", {
              message: "Staff relay only on-site answers to their own institution's requests.",
              messageZh: "工作人员只能转发本机构申请的现场答复。",
              details: { reason: "not-on-site-or-other-institution" },
            });
          }
          from = getAddress(signer);
        }
        let request: AccessRequest;
        if (given !== undefined) {
          request = toAccessRequest(given);
        } else {
          const filed = await deps.mirror.requests.byId(a.requestId);
          const fromMirror = filed === undefined ? undefined : requestOfMirror(filed);
          if (fromMirror === undefined) {
            throw platformError("NOT_FOUND", {
              message: "The request's content is not known yet; send it with the answer.",
              messageZh: "尚未获知该申请的内容，请随答复一并提交。",
              details: { what: "access request content", requestId },
            });
          }
          request = fromMirror;
        }
        checkAnswer(a, request, now());
        const digest = await checkSignature("RequestAnswer", a, domain(), from, signature as Hex);
        const sent = await deps.chain.send(relayer(), "ConsentRegistry", "answerRequest", [request, a, from, signature as Hex]);
        const body = { requestId: a.requestId, ...(a.approve ? { grantId: digest } : {}), txHash: sent.txHash, blockNumber: sent.blockNumber };
        return c.json(
          await commitAnswer(deps, c, 200, body, { target: a.requestId, details: { approved: a.approve, mode: a.mode, txHash: sent.txHash } }),
          200,
        );
      },
    );
}

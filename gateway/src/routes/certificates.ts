// /v1/certificates: an EQA centre's (or any CERT_ISSUER's) system issues certificates and reports —
// the document's SM3 hash, its SM2 signature by the issuing system (checked here against the key
// registered for it, kept on chain as evidence) and the block time as trusted timestamp — and
// revokes them; anyone verifies a certificate by id and document hash, without signing in.
import { createRoute, z } from "@hono/zod-openapi";
import { hexToBytes, pad, type Address, type Hex } from "viem";
import {
  CERTIFICATE_STATUS,
  DOCUMENT_TYPES,
  REVOCATION_REASONS,
  byCode,
  platformError,
  sm3Hex,
  toPlatformError,
  utf8,
  verifySm2,
} from "@health-chain/sdk";
import type { GatewayDeps } from "../context.ts";
import { audited, recordAudit } from "../audit-log.ts";
import { errorResponses } from "../errors.ts";
import { principalOf } from "../middleware/auth.ts";
import { idempotent } from "../middleware/idempotency.ts";
import { institutionOf, requirePermission } from "../middleware/rbac.ts";
import { BEARER, createRouter } from "../router.ts";
import { Bytes32Schema, HexSchema } from "../schemas/common.ts";

const DOCUMENT_TYPE_NAMES = Object.keys(DOCUMENT_TYPES) as [keyof typeof DOCUMENT_TYPES, ...(keyof typeof DOCUMENT_TYPES)[]];
const REVOCATION_REASON_NAMES = Object.keys(REVOCATION_REASONS) as [keyof typeof REVOCATION_REASONS, ...(keyof typeof REVOCATION_REASONS)[]];
const STATUS_NAMES = Object.keys(CERTIFICATE_STATUS) as [keyof typeof CERTIFICATE_STATUS, ...(keyof typeof CERTIFICATE_STATUS)[]];

const CodeLabel = z.object({ code: z.number().int(), name: z.string(), zh: z.string(), en: z.string() }).openapi("CodeLabel");

const IsoTime = z
  .string()
  .datetime({ offset: true })
  .openapi({ example: "2027-01-01T00:00:00Z" });

const IssueRequest = z
  .object({
    certificateNumber: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .openapi({ description: "The issuer's own certificate number; the certificate id is SM3(\"<issuer address, lower case>:<number>\")" }),
    certId: Bytes32Schema.optional().openapi({ description: "Or an id the issuer derived itself (exactly one of certificateNumber, certId)" }),
    documentType: z.enum(DOCUMENT_TYPE_NAMES),
    subject: z
      .string()
      .regex(/^0x([0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/, "an address or 32 bytes of 0x hex")
      .openapi({ description: "Whom the document is about: an institution's address or a salted reference (never personal data)" }),
    documentHash: Bytes32Schema.openapi({ description: "SM3 of the document" }),
    issuerSignature: HexSchema.openapi({ description: "SM2 signature (DER or raw r‖s) over the 32 bytes of documentHash, by the signed-in system's registered key" }),
    validFrom: IsoTime.optional(),
    validUntil: IsoTime.optional(),
  })
  .refine((v) => (v.certificateNumber === undefined) !== (v.certId === undefined), {
    message: "give exactly one of certificateNumber and certId",
    path: ["certId"],
  })
  .openapi("IssueCertificate");

const RevokeRequest = z.object({ reason: z.enum(REVOCATION_REASON_NAMES) }).openapi("RevokeCertificate");

const CertificateSchema = z
  .object({
    certId: z.string(),
    issuer: z.string(),
    issuerName: z.string().nullable(),
    subject: z.string(),
    documentType: CodeLabel,
    documentHash: z.string(),
    issuedAt: z.string().nullable(),
    validFrom: z.string().nullable(),
    validUntil: z.string().nullable(),
    issuerSignature: z.string(),
    /** Whether the signature verifies with a key registered for the issuer's systems (null: none registered here). */
    issuerSignatureValid: z.boolean().nullable(),
    txHash: z.string().nullable(),
    blockNumber: z.number().int().nullable(),
    revocation: z
      .object({ reason: CodeLabel, revokedAt: z.string().nullable(), txHash: z.string().nullable(), blockNumber: z.number().int().nullable() })
      .nullable(),
  })
  .openapi("Certificate");

const IssuedSchema = z
  .object({ certId: z.string(), issuer: z.string(), issuedAt: z.string().nullable(), txHash: z.string(), blockNumber: z.number().int() })
  .openapi("CertificateIssued");

const VerifySchema = z
  .object({
    certId: z.string(),
    documentHash: z.string(),
    status: CodeLabel.openapi({ description: "The chain's answer at the current block: unknown, valid, revoked, expired, hashMismatch, notYetValid" }),
    valid: z.boolean(),
    certificate: CertificateSchema.nullable(),
  })
  .openapi("CertificateVerification");

const CertIdParam = z.object({ certId: Bytes32Schema.openapi({ param: { name: "certId", in: "path" } }) });

const tags = ["certificates"];

/** A code of one of the sdk's code tables with its name and labels (unknown codes say so). */
export function label<T extends Record<string, { code: number; zh: string; en: string }>>(table: T, code: number) {
  const entry = byCode(table, code);
  return { code, name: String(entry?.name ?? "unknown"), zh: entry?.zh ?? "未知", en: entry?.en ?? "Unknown" };
}

function seconds(iso: string | undefined): bigint {
  return iso === undefined ? 0n : BigInt(Math.floor(Date.parse(iso) / 1000));
}

function isoOfSeconds(value: bigint): string | null {
  return value === 0n ? null : new Date(Number(value) * 1000).toISOString();
}

/** The certificate as CertificateRegistry holds it, or null when it has none with this id. */
export async function anchoredCertificate(deps: Pick<GatewayDeps, "chain">, certId: Hex) {
  try {
    return await deps.chain.contracts.certificateRegistry.read.getCertificate([certId]);
  } catch (error) {
    const e = toPlatformError(error);
    if (e.code === "CONTRACT_REVERTED" && e.details.errorName === "CertificateNotFound") return null;
    throw e;
  }
}

export function certificatesRoutes(deps: GatewayDeps) {
  /** Whether a signature over a document hash verifies with a key registered for the issuer's staff or systems. */
  function signatureValid(issuer: string, documentHash: Hex, signature: Hex): boolean | null {
    const keys = deps.config.staff.filter((s) => s.institution.toLowerCase() === issuer.toLowerCase()).map((s) => s.sm2PublicKey);
    if (keys.length === 0) return null;
    const sig = signature.slice(2);
    return keys.some((key) => {
      try {
        return verifySm2(hexToBytes(documentHash), sig, key, { format: sig.length === 128 ? "raw" : "der" });
      } catch {
        return false;
      }
    });
  }

  /** The certificate from the chain (authoritative), with its transactions from the mirror when indexed. */
  async function certificate(certId: Hex): Promise<z.infer<typeof CertificateSchema> | null> {
    const onChain = await anchoredCertificate(deps, certId);
    if (onChain === null) return null;
    const mirrored = await deps.mirror.certificates.byId(certId).catch(() => undefined);
    const issuer = onChain.issuer;
    return {
      certId,
      issuer,
      issuerName: deps.config.institutions.find((i) => i.address === issuer)?.name ?? null,
      subject: onChain.subject,
      documentType: label(DOCUMENT_TYPES, onChain.documentType),
      documentHash: onChain.documentHash,
      issuedAt: isoOfSeconds(onChain.issuedAt),
      validFrom: isoOfSeconds(onChain.validFrom),
      validUntil: isoOfSeconds(onChain.validUntil),
      issuerSignature: onChain.issuerSignature,
      issuerSignatureValid: signatureValid(issuer, onChain.documentHash, onChain.issuerSignature),
      txHash: mirrored?.issued.txHash ?? null,
      blockNumber: mirrored?.issued.blockNumber ?? null,
      revocation:
        onChain.revokedAt === 0n
          ? null
          : {
              reason: label(REVOCATION_REASONS, onChain.revocationReason),
              revokedAt: isoOfSeconds(onChain.revokedAt),
              txHash: mirrored?.revocation?.txHash ?? null,
              blockNumber: mirrored?.revocation?.blockNumber ?? null,
            },
    };
  }

  const issueRoute = createRoute({
    method: "post",
    path: "/",
    tags,
    summary: "Issue a certificate or report (anchor its hash and signature) / 签发证书（存证）",
    security: BEARER,
    middleware: [requirePermission("certificates:issue"), idempotent(deps), audited(deps, "certificates.issue")] as const,
    request: { body: { content: { "application/json": { schema: IssueRequest } }, required: true } },
    responses: {
      201: { description: "Anchored", content: { "application/json": { schema: IssuedSchema } } },
      ...errorResponses(400, 401, 403, 409, 502),
    },
  });

  const revokeRoute = createRoute({
    method: "post",
    path: "/{certId}/revoke",
    tags,
    summary: "Revoke a certificate of one's institution / 撤销证书",
    security: BEARER,
    middleware: [requirePermission("certificates:revoke"), idempotent(deps), audited(deps, "certificates.revoke", (c) => c.req.param("certId"))] as const,
    request: { params: CertIdParam, body: { content: { "application/json": { schema: RevokeRequest } }, required: true } },
    responses: {
      200: { description: "Revoked", content: { "application/json": { schema: z.object({ certId: z.string(), txHash: z.string(), blockNumber: z.number().int() }) } } },
      ...errorResponses(400, 401, 403, 404, 409, 502),
    },
  });

  const getRoute = createRoute({
    method: "get",
    path: "/{certId}",
    tags,
    summary: "A certificate as anchored (public) / 查询证书",
    request: { params: CertIdParam },
    responses: {
      200: { description: "The certificate", content: { "application/json": { schema: CertificateSchema } } },
      ...errorResponses(400, 404, 502),
    },
  });

  const verifyRoute = createRoute({
    method: "get",
    path: "/{certId}/verify",
    tags,
    summary: "Verify a document against its certificate (public) / 核验证书",
    request: {
      params: CertIdParam,
      query: z.object({ documentHash: Bytes32Schema.openapi({ param: { name: "documentHash", in: "query" }, description: "SM3 of the presented document" }) }),
    },
    responses: {
      200: { description: "The chain's answer", content: { "application/json": { schema: VerifySchema } } },
      ...errorResponses(400, 502),
    },
  });

  return createRouter()
    .openapi(issueRoute, async (c) => {
      const input = c.req.valid("json");
      const principal = principalOf(c);
      const issuer: Address = institutionOf(principal);
      const staff = deps.config.staff.find((s) => s.id === principal.staffId);
      const signature = input.issuerSignature as Hex;
      const sig = signature.slice(2);
      let signed: boolean;
      try {
        signed = staff !== undefined && verifySm2(hexToBytes(input.documentHash), sig, staff.sm2PublicKey, { format: sig.length === 128 ? "raw" : "der" });
      } catch {
        signed = false;
      }
      if (!signed) {
        throw platformError("INVALID_SIGNATURE", {
          message: "issuerSignature does not verify over documentHash with the SM2 key registered for you.",
          messageZh: "issuerSignature 无法用为您登记的 SM2 公钥对 documentHash 验证通过。",
          details: { field: "issuerSignature" },
        });
      }
      const certId = (input.certId ?? sm3Hex(utf8(`${issuer.toLowerCase()}:${input.certificateNumber as string}`))) as Hex;
      const subject = (input.subject.length === 42 ? pad(input.subject as Hex, { size: 32 }) : input.subject.toLowerCase()) as Hex;
      const sent = await deps.chain.send(issuer, "CertificateRegistry", "issue", [
        certId,
        DOCUMENT_TYPES[input.documentType].code,
        subject,
        input.documentHash,
        seconds(input.validFrom),
        seconds(input.validUntil),
        signature,
      ]);
      const event = sent.logs.find((l) => l.eventName === "CertificateIssued");
      const issuedAt = typeof event?.args.issuedAt === "bigint" ? isoOfSeconds(event.args.issuedAt) : null;
      const result = { certId, issuer, issuedAt, txHash: sent.txHash, blockNumber: sent.blockNumber };
      await deps.db.$transaction(async (tx) => {
        await recordAudit(tx, c, { target: certId, purpose: input.documentType, details: { txHash: sent.txHash, subject } });
        await c.get("idempotency")?.save(tx, 201, result);
      });
      return c.json(result, 201);
    })
    .openapi(revokeRoute, async (c) => {
      const { certId } = c.req.valid("param");
      const { reason } = c.req.valid("json");
      const principal = principalOf(c);
      const institution = institutionOf(principal);
      const existing = await certificate(certId);
      if (!existing) throw platformError("NOT_FOUND", { details: { certId } });
      if (existing.issuer.toLowerCase() !== institution.toLowerCase()) {
        throw platformError("FORBIDDEN", {
          message: "Only the issuing institution revokes its certificates.",
          messageZh: "只有签发机构可以撤销其证书。",
          details: { certId, issuer: existing.issuer },
        });
      }
      const sent = await deps.chain.send(institution, "CertificateRegistry", "revoke", [certId, REVOCATION_REASONS[reason].code]);
      const result = { certId, txHash: sent.txHash, blockNumber: sent.blockNumber };
      await deps.db.$transaction(async (tx) => {
        await recordAudit(tx, c, { target: certId, purpose: reason, details: { txHash: sent.txHash } });
        await c.get("idempotency")?.save(tx, 200, result);
      });
      return c.json(result, 200);
    })
    .openapi(getRoute, async (c) => {
      const { certId } = c.req.valid("param");
      const found = await certificate(certId);
      if (!found) throw platformError("NOT_FOUND", { details: { certId } });
      return c.json(found, 200);
    })
    .openapi(verifyRoute, async (c) => {
      const { certId } = c.req.valid("param");
      const { documentHash } = c.req.valid("query");
      let status: number;
      try {
        status = await deps.chain.contracts.certificateRegistry.read.verify([certId, documentHash]);
      } catch (error) {
        throw toPlatformError(error);
      }
      const found = status === CERTIFICATE_STATUS.unknown.code ? null : await certificate(certId);
      return c.json(
        { certId, documentHash, status: label(CERTIFICATE_STATUS, status), valid: status === CERTIFICATE_STATUS.valid.code, certificate: found },
        200,
      );
    });
}

export { STATUS_NAMES as CERTIFICATE_STATUS_NAMES };

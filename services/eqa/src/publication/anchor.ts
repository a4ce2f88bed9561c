// Anchoring the documents of a published round: every report, certificate and recognition
// statement the worker rendered waits as a `pending` Document row with its bytes and SM3 hash; this
// step signs the hash with the centre system's SM2 key and anchors it through the gateway's
// /v1/certificates (CertificateRegistry.issue: hash, signature, validity, block time as the trusted
// timestamp). The certificate id is derived from the document number (certificateIdOf), so it is
// known — and printed in the QR code — before anchoring, and a retry after a crash cannot anchor a
// document twice: the gateway refuses the second issue with CONFLICT and this step then checks that
// what the chain holds is this document's hash before marking it anchored.
import type { Hex } from "viem";
import { issueCertificateOnce, revertedWith, type CertificateAnchorer, type IssueInput } from "../../../../gateway/src/client.ts";

export { createGatewayCertificateAnchorer, type AnchoredView, type CertificateAnchorer, type IssueInput } from "../../../../gateway/src/client.ts";
import type { EqaDb } from "../db.ts";

/** CertificateRegistry document type of each kind of document (sdk DOCUMENT_TYPES names). */
export const DOCUMENT_TYPE_OF_KIND: Readonly<Record<string, IssueInput["documentType"]>> = {
  report: "proficiencyTestingReport",
  homogeneity: "proficiencyTestingReport",
  history: "proficiencyTestingReport",
  certificate: "eqaCertificate",
  truenessCertificate: "eqaCertificate",
  recognition: "eqaCertificate",
};

export interface AnchorPendingOptions {
  /** The centre system's SM2 private key (the one registered with the gateway for its staff id). */
  privateKey: string;
  /** Documents anchored at once (each waits for its block). */
  concurrency?: number;
  /** Most documents taken in one call. */
  limit?: number;
  /** Retry documents that failed before (default true). */
  retryFailed?: boolean;
}

export interface AnchorPendingResult {
  anchored: number;
  /** Recognition statements revoked on chain as superseded by a later round. */
  superseded: number;
  failed: { number: string; error: string }[];
}

/** Anchors pending (and, by default, failed) documents; returns what it did. Never throws for one document. */
export async function anchorPendingDocuments(db: EqaDb, anchorer: CertificateAnchorer, options: AnchorPendingOptions): Promise<AnchorPendingResult> {
  const statuses = options.retryFailed === false ? ["pending"] : ["pending", "failed"];
  const documents = await db.document.findMany({
    where: { status: { in: statuses }, certId: { not: null } },
    orderBy: [{ createdAt: "asc" }, { number: "asc" }],
    take: options.limit ?? 500,
    select: { id: true, kind: true, number: true, sm3: true, certId: true, subject: true, validFrom: true, validUntil: true },
  });
  const result: AnchorPendingResult = { anchored: 0, superseded: 0, failed: [] };
  let next = 0;
  const worker = async () => {
    for (;;) {
      const doc = documents[next++];
      if (doc === undefined) return;
      try {
        const anchored = await anchorOne(anchorer, doc, options.privateKey);
        await db.document.update({
          where: { id: doc.id },
          data: {
            status: "anchored",
            error: null,
            txHash: anchored.txHash,
            blockNumber: anchored.blockNumber,
            issuedAt: anchored.issuedAt === null ? null : new Date(anchored.issuedAt),
          },
        });
        result.anchored++;
      } catch (error) {
        const message = error instanceof Error ? `${(error as { code?: string }).code ?? error.name}: ${error.message}` : String(error);
        await db.document.update({ where: { id: doc.id }, data: { status: "failed", error: message.slice(0, 2000) } });
        result.failed.push({ number: doc.number, error: message });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  await revokeSuperseded(db, anchorer, result);
  return result;
}

/**
 * Recognition statements a later round of the same plan superseded (publish.ts marks them) are
 * revoked on chain with reason Superseded, so that the chain itself says until when they held.
 */
async function revokeSuperseded(db: EqaDb, anchorer: CertificateAnchorer, result: AnchorPendingResult): Promise<void> {
  const superseded = await db.document.findMany({ where: { status: "superseding", certId: { not: null } }, select: { id: true, number: true, certId: true }, take: 500 });
  for (const doc of superseded) {
    try {
      await anchorer.revoke(doc.certId as Hex, "superseded");
    } catch (error) {
      // Revoked by an earlier attempt whose answer was lost: the chain already says so.
      const already = revertedWith(error, "AlreadyRevoked");
      if (!already) {
        result.failed.push({ number: doc.number, error: error instanceof Error ? error.message : String(error) });
        continue;
      }
    }
    await db.document.update({ where: { id: doc.id }, data: { status: "revoked" } });
    result.superseded++;
  }
}

function anchorOne(
  anchorer: CertificateAnchorer,
  doc: { kind: string; number: string; sm3: string; certId: string | null; subject: string | null; validFrom: Date | null; validUntil: Date | null },
  privateKey: string,
): Promise<{ txHash: string | null; blockNumber: number | null; issuedAt: string | null }> {
  const documentType = DOCUMENT_TYPE_OF_KIND[doc.kind];
  if (documentType === undefined) throw new Error(`unknown document kind ${doc.kind}`);
  if (doc.subject === null) throw new Error(`document ${doc.number} has no subject`);
  return issueCertificateOnce(anchorer, {
    certificateNumber: doc.number,
    certId: doc.certId as Hex | null,
    documentType,
    subject: doc.subject,
    documentHash: doc.sm3 as Hex,
    ...(doc.validFrom ? { validFrom: doc.validFrom.toISOString() } : {}),
    ...(doc.validUntil ? { validUntil: doc.validUntil.toISOString() } : {}),
  }, privateKey);
}

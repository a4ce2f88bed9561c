// Anchoring built export packages: each package waits as `pending` with its SM3 hash; the worker
// signs the hash with the operator system's SM2 key and anchors it through the gateway's
// /v1/certificates (CertificateRegistry.issue, document type exportPackage, subject the project id,
// block time as the trusted timestamp). The certificate id is derived from the package id, so it is
// known before anchoring and a retry after a lost answer cannot anchor twice. Only then may the
// researcher download the package (the gateway checks the anchor state).
import type { Hex } from "viem";
import { issueCertificateOnce, type CertificateAnchorer } from "../../../../gateway/src/client.ts";
import type { AnalyticsDb } from "../db.ts";

export interface AnchorPackagesResult {
  anchored: number;
  failed: { packageId: string; error: string }[];
}

/** The number under which a package is issued: the certificate id is SM3("<operator>:export:<id>"). */
export const packageCertificateNumber = (packageId: string): string => `export:${packageId}`;

/** Anchors the pending packages (oldest first); one package's failure does not stop the others. */
export async function anchorPendingPackages(db: AnalyticsDb, anchorer: CertificateAnchorer, options: { privateKey: string; limit?: number }): Promise<AnchorPackagesResult> {
  const result: AnchorPackagesResult = { anchored: 0, failed: [] };
  // The least-tried first: packages that keep failing (their error is kept) never hold back new ones.
  const pending = await db.exportPackage.findMany({ where: { anchorState: "pending" }, orderBy: [{ anchorAttempts: "asc" }, { createdAt: "asc" }], take: options.limit ?? 50 });
  for (const pkg of pending) {
    try {
      const exportRow = await db.exportRequest.findUniqueOrThrow({ where: { id: pkg.exportId }, select: { projectId: true } });
      const issued = await issueCertificateOnce(
        anchorer,
        { certificateNumber: packageCertificateNumber(pkg.id), certId: pkg.certId as Hex, documentType: "exportPackage", subject: exportRow.projectId, documentHash: pkg.packageHash as Hex },
        options.privateKey,
      );
      await db.$transaction(async (tx) => {
        await tx.exportPackage.update({ where: { id: pkg.id }, data: { anchorState: "anchored", txHash: issued.txHash, blockNumber: issued.blockNumber, anchoredAt: issued.issuedAt === null ? new Date() : new Date(issued.issuedAt) } });
        await tx.exportRequest.update({ where: { id: pkg.exportId }, data: { status: "anchored" } });
      });
      result.anchored++;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      result.failed.push({ packageId: pkg.id, error: message });
      await db.exportPackage.update({ where: { id: pkg.id }, data: { anchorAttempts: { increment: 1 }, anchorError: message.slice(0, 2000) } });
    }
  }
  return result;
}

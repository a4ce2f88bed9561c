// Export packages on the gateway side: building one for an approved export request (the cohort from
// the topic databases, the records from the institutions' stores, consent from the chain, the
// pipeline of services/analytics), keeping it encrypted in the operator's store, handing it to the
// requester sealed for their session, and marking packages whose residents later revoked the
// consent they were built on.
import { randomUUID } from "node:crypto";
import { getAddress, type Address, type Hex } from "viem";
import { platformError, sm3Hex, utf8 } from "@health-chain/sdk";
import type { InstitutionStore } from "@health-chain/store";
import type { GatewayDeps } from "../context.ts";
import type { AnalyticsDb } from "../../../services/analytics/src/db.ts";
import { packagesAffectedByRevocation } from "../../../services/analytics/src/exports/revocation.ts";
import type { ExportMember } from "../../../services/analytics/src/exports/types.ts";
import { packageCertificateNumber } from "../../../services/analytics/src/worker/anchor.ts";

/** The certificate id of a package: SM3("<operator, lower case>:export:<package id>"), as POST /v1/certificates derives it. */
export function packageCertId(operator: string, packageId: string): Hex {
  return sm3Hex(utf8(`${operator.toLowerCase()}:${packageCertificateNumber(packageId)}`)) as Hex;
}

/** The store the packages are kept in: the operator institution's. */
export function operatorStore(deps: Pick<GatewayDeps, "stores" | "config">): { operator: Address; store: InstitutionStore } {
  const operator = getAddress(deps.config.analytics!.operator);
  const store = deps.stores.get(operator);
  if (store === undefined) {
    throw platformError("INTERNAL", {
      message: `The research operator ${operator} has no store configured on this gateway (stores).`,
      messageZh: `本网关未为科研运营机构 ${operator} 配置存储（stores）。`,
      details: { reason: "operator-store-missing", operator },
    });
  }
  return { operator, store };
}

/** Stores a built package encrypted and records it with its members, in one transaction. */
export async function savePackage(
  deps: Pick<GatewayDeps, "stores" | "config">,
  db: AnalyticsDb,
  input: {
    exportId: string;
    bytes: Uint8Array;
    packageHash: Hex;
    records: number;
    policy: { name: string; version: number; hash: string };
    members: readonly ExportMember[];
    reportJson: string;
  },
) {
  const { operator, store } = operatorStore(deps);
  const id = randomUUID();
  // The store encrypts the package as one JSON object (SM4 under a fresh data key wrapped with the
  // operator's key); the package's canonical bytes are recomputed by whoever opens it.
  const stored = await store.putOriginal(JSON.parse(new TextDecoder().decode(input.bytes)) as object);
  return db.$transaction(async (tx) => {
    const row = await tx.exportPackage.create({
      data: {
        id,
        exportId: input.exportId,
        packageHash: input.packageHash,
        bytes: input.bytes.length,
        records: input.records,
        residents: input.members.length,
        policyName: input.policy.name,
        policyVersion: input.policy.version,
        policyHash: input.policy.hash,
        storeInstitution: operator,
        cid: stored.cid,
        keyId: stored.keyId,
        wrappedDataKey: stored.wrappedDataKey,
        certId: packageCertId(operator, id),
      },
    });
    await tx.packageMember.createMany({
      data: input.members.map((m) => ({ packageId: id, residentRef: m.residentRef, resident: m.resident.toLowerCase(), grantIdsJson: JSON.stringify(m.grantIds) })),
    });
    await tx.exportRequest.update({ where: { id: input.exportId }, data: { status: "built", reportJson: input.reportJson } });
    return row;
  });
}

/**
 * Marks the packages among `packageIds` whose members revoked a grant the package was built on
 * (the mirror's GrantRevoked events; services/analytics decides which packages and residents they
 * touch): one PackageMark per revoked grant, the package's count of residents concerned and the
 * time it was first marked. Idempotent. A later export asks the chain again and leaves those
 * residents out by itself.
 */
export async function markRevocations(deps: Pick<GatewayDeps, "mirror">, db: AnalyticsDb, packageIds: readonly string[]): Promise<void> {
  if (packageIds.length === 0) return;
  const rows = await db.packageMember.findMany({ where: { packageId: { in: [...packageIds] } } });
  const known = new Set((await db.packageMark.findMany({ where: { packageId: { in: [...packageIds] } }, select: { packageId: true, grantId: true } })).map((m) => `${m.packageId}/${m.grantId}`));
  const packages = new Map<string, { resident: Address; grantIds: Hex[] }[]>();
  for (const row of rows) packages.set(row.packageId, [...(packages.get(row.packageId) ?? []), { resident: getAddress(row.resident), grantIds: JSON.parse(row.grantIdsJson) as Hex[] }]);
  // One query per 500 grants, not one per grant: a list of packages may hold tens of thousands.
  const revoked = await deps.mirror.grants.revocationsAmong(rows.flatMap((r) => JSON.parse(r.grantIdsJson) as Hex[]));
  if (revoked.size === 0) return;
  const revocations = new Map([...revoked].map(([grantId, event]) => [grantId, { at: new Date(event.at), txHash: event.txHash as string }]));
  const affected = packagesAffectedByRevocation(
    [...packages].map(([id, members]) => ({ id, members })),
    [...revocations.keys()],
  );
  const fresh = affected.flatMap((p) =>
    p.residents.flatMap((r) =>
      r.grantIds.filter((g) => !known.has(`${p.packageId}/${g}`)).map((grantId) => ({ packageId: p.packageId, resident: r.resident.toLowerCase(), grantId, revokedAt: revocations.get(grantId)!.at, txHash: revocations.get(grantId)!.txHash })),
    ),
  );
  if (fresh.length === 0) return;
  await db.$transaction(async (tx) => {
    for (const mark of fresh) await tx.packageMark.upsert({ where: { packageId_grantId: { packageId: mark.packageId, grantId: mark.grantId } }, create: mark, update: {} });
    for (const { packageId } of affected) {
      const residents = new Set((await tx.packageMark.findMany({ where: { packageId }, select: { resident: true } })).map((m) => m.resident));
      const current = await tx.exportPackage.findUniqueOrThrow({ where: { id: packageId }, select: { markedAt: true } });
      await tx.exportPackage.update({ where: { id: packageId }, data: { revokedMembers: residents.size, markedAt: current.markedAt ?? new Date() } });
    }
  });
}

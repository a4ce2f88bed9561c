// Consent revocation against past packages: which packages contained a resident whose grant was
// revoked. Pure: the gateway feeds it the mirror's GrantRevoked events and writes the marks. Future
// exports need nothing from here: the consent port answers "not allowed" for a revoked grant.
import type { Address, Hex } from "viem";
import { invalidExportInput, isAddressText, isBytes32 } from "./invalid.ts";

export interface PackageMembership {
  readonly id: string;
  readonly members: readonly { readonly resident: Address; readonly grantIds: readonly Hex[] }[];
}

export interface AffectedPackage {
  readonly packageId: string;
  /** The residents (wallets) whose grants were revoked, with those grants (lower case, sorted). */
  readonly residents: readonly { readonly resident: Address; readonly grantIds: readonly Hex[] }[];
}

function checkPackages(packages: unknown): asserts packages is readonly PackageMembership[] {
  if (!Array.isArray(packages)) {
    throw invalidExportInput({ what: "packages" }, "The packages must be an array.", "数据包必须是数组。");
  }
  packages.forEach((entry: Partial<PackageMembership> | null, index) => {
    const ok =
      typeof entry?.id === "string" &&
      entry.id !== "" &&
      Array.isArray(entry.members) &&
      entry.members.every((member) => isAddressText(member?.resident) && Array.isArray(member.grantIds) && member.grantIds.every(isBytes32));
    if (!ok) {
      throw invalidExportInput(
        { what: "packages", index },
        `Package ${index} must have an id and members { resident: address, grantIds: bytes32[] }.`,
        `第 ${index} 个数据包必须包含标识和成员 { resident: 地址, grantIds: bytes32 数组 }。`,
      );
    }
  });
}

/** Per package containing a revoked grant, in the order given: the residents concerned and the revoked grants. */
export function packagesAffectedByRevocation(packages: readonly PackageMembership[], revokedGrantIds: readonly Hex[]): AffectedPackage[] {
  checkPackages(packages);
  if (!Array.isArray(revokedGrantIds) || !revokedGrantIds.every(isBytes32)) {
    throw invalidExportInput({ what: "revokedGrantIds" }, "The revoked grant ids must be an array of bytes32.", "已撤销的授权标识必须是 bytes32 数组。");
  }
  const revoked = new Set(revokedGrantIds.map((id) => id.toLowerCase()));
  const affected: AffectedPackage[] = [];
  for (const entry of packages) {
    const residents = entry.members.flatMap((member) => {
      const hit = [...new Set(member.grantIds.map((id) => id.toLowerCase()))].filter((id) => revoked.has(id)).sort() as Hex[];
      return hit.length === 0 ? [] : [{ resident: member.resident, grantIds: hit }];
    });
    if (residents.length > 0) affected.push({ packageId: entry.id, residents });
  }
  return affected;
}

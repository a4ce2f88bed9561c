// De-identification of the consented records with a published his policy version. The resident's
// salted reference is the person key: it drives personRef and the per-person date shift, and never
// appears in the output itself.
import { compileDeidPolicy, type DeidPolicyVersion, type DeidRecordOutput, type DeidSecrets } from "@health-chain/his";
import type { ConsentedRecord } from "./consent.ts";
import type { ExportDeidMemberSummary, ExportDeidReport, PolicyRef } from "./types.ts";

export interface DeidentifiedRecord {
  /** Lower case; kept beside the output to group residents, never written into the package. */
  readonly residentRef: string;
  readonly record: DeidRecordOutput;
}

export interface DeidentifiedExport {
  readonly records: readonly DeidentifiedRecord[];
  readonly report: ExportDeidReport;
}

export function policyRef(version: DeidPolicyVersion): PolicyRef {
  return { name: version.name, version: version.version, hash: version.hash };
}

/** Applies the policy to every consented record; only the record fields a policy may name are passed. */
export function deidentifyConsented(
  records: readonly ConsentedRecord[],
  version: DeidPolicyVersion,
  secrets: DeidSecrets,
  referenceDate: string,
): DeidentifiedExport {
  const transform = compileDeidPolicy(version.value, { secrets, referenceDate });
  const summary: Record<string, ExportDeidMemberSummary> = {};
  let unusableCount = 0;
  const output = records.map((consented) => {
    // The on-chain record id and the resident's wallet are not offered to the policy: they would link
    // the package back to the chain's indexes.
    const input = { model: consented.model, content: consented.content, institution: consented.institution, sourceKey: consented.sourceKey };
    const { record, applied } = transform(input, { personKey: consented.residentRef, referenceDate });
    for (const entry of applied) {
      const counts = (summary[entry.member] ??= { action: entry.action, by: entry.by, done: 0, null: 0, unusable: 0 });
      counts[entry.outcome]++;
      if (entry.outcome === "unusable") unusableCount++;
    }
    return { residentRef: consented.residentRef, record };
  });
  return { records: output, report: { policy: policyRef(version), referenceDate, summary, unusableCount } };
}

// The access evidence of an export: every record read into a package is an access like a doctor's
// read — one access-log line per record (reader: the researcher who asked; accessor: the project the
// residents granted; the fields taken and the grants that allowed them; purpose research), which the
// evidence batcher anchors in AuditTrail, and one notification per resident, so their access trace
// shows the project, when, why and which fields. Written before the package is saved: the records
// were read whether or not saving succeeds.
import { randomUUID } from "node:crypto";
import { PURPOSES } from "@health-chain/sdk";
import type { Address, Hex } from "viem";
import type { GatewayDeps } from "../context.ts";
import { accessLine, accessLogRow } from "../evidence/line.ts";
import { notify } from "../notify.ts";
import { recordingTx, writeQueueOf, type Insert } from "../write-queue.ts";
import type { ExportAccess } from "../../../services/analytics/src/exports/types.ts";

export interface ExportEvidence {
  readonly exportId: string;
  readonly projectId: Hex;
  readonly projectCode: string;
  /** The researcher the package is for. */
  readonly reader: string;
  readonly requestId: string;
  /** When consent was asked and the records read. */
  readonly at: Date;
  readonly accessed: readonly ExportAccess[];
  /** The institution (address) holding each record, by lower-case record id. */
  readonly holderOf: ReadonlyMap<string, Address>;
}

/** Writes the lines and notifications (group commit); returns the number of lines. */
export async function recordExportAccess(deps: Pick<GatewayDeps, "db">, evidence: ExportEvidence): Promise<number> {
  const rows: Insert[] = [];
  const recording = recordingTx(rows);
  const byResident = new Map<Address, { records: number; fields: Set<Hex>; grantIds: Set<Hex>; lineIds: string[] }>();
  for (const access of evidence.accessed) {
    const line = accessLine({
      id: randomUUID(),
      requestId: evidence.requestId,
      reader: evidence.reader,
      accessor: evidence.projectId,
      institution: evidence.holderOf.get(access.recordId.toLowerCase())!,
      recordId: access.recordId,
      residentRef: access.residentRef,
      fields: access.fields,
      purpose: PURPOSES.research.code,
      grantIds: access.grantIds,
      outcome: "granted",
      reason: `research-export:${evidence.exportId}`,
      accessedAt: evidence.at,
    });
    rows.push({ model: "accessLogLine", data: accessLogRow(line) });
    const mine = byResident.get(access.resident) ?? { records: 0, fields: new Set(), grantIds: new Set(), lineIds: [] };
    mine.records++;
    access.fields.forEach((f) => mine.fields.add(f));
    access.grantIds.forEach((g) => mine.grantIds.add(g));
    mine.lineIds.push(line.id);
    byResident.set(access.resident, mine);
  }
  for (const [resident, mine] of byResident) {
    await notify({ tx: recording }, resident, "grant-used", {
      purpose: "research",
      project: { id: evidence.projectId, code: evidence.projectCode },
      exportId: evidence.exportId,
      records: mine.records,
      fields: [...mine.fields].sort(),
      grantIds: [...mine.grantIds].sort(),
      accessor: evidence.projectId,
      accessLineIds: mine.lineIds,
    });
  }
  await writeQueueOf(deps.db).enqueueInserts(rows);
  return evidence.accessed.length;
}

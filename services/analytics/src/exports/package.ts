// The package: canonical JSON (sdk canonicalize, RFC 8785 plus the platform's rules) of the export,
// records in a fixed order, so the same export gives the same bytes and the same SM3 anywhere.
import { canonicalize, sm3Hex, utf8 } from "@health-chain/sdk";
import type { Hex } from "viem";
import type { DeidentifiedRecord } from "./deid.ts";
import type { LocatedQuasiIdentifier } from "./quasi.ts";
import type { PolicyRef } from "./types.ts";

export const EXPORT_PACKAGE_FORMAT = "health-chain-research-export/1";

export interface ExportPackageInput {
  readonly exportId: string;
  readonly project: { readonly id: Hex; readonly title: string };
  readonly policy: PolicyRef;
  readonly createdAt: Date;
  readonly k: number;
  readonly quasiIdentifiers: readonly LocatedQuasiIdentifier[];
  readonly residents: number;
  readonly records: readonly DeidentifiedRecord[];
}

export interface ExportPackage {
  readonly bytes: Uint8Array;
  readonly packageHash: Hex;
  readonly recordsByModel: Readonly<Record<string, number>>;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Records by resident (personRef), then model, then record key, then their canonical text. */
function orderedRecords(records: readonly DeidentifiedRecord[]): unknown[] {
  const keyed = records.map(({ record }) => ({
    record,
    person: String(record.personRef ?? ""),
    key: String(record.recordKey ?? ""),
    text: canonicalize(record),
  }));
  keyed.sort((a, b) => compareText(a.person, b.person) || compareText(a.record.model, b.record.model) || compareText(a.key, b.key) || compareText(a.text, b.text));
  return keyed.map(({ record }) => record);
}

/** The package's bytes and SM3 hash (0x hex) of exactly those bytes. */
export function buildExportPackage(input: ExportPackageInput): ExportPackage {
  const recordsByModel: Record<string, number> = {};
  for (const { record } of input.records) recordsByModel[record.model] = (recordsByModel[record.model] ?? 0) + 1;
  const body = {
    format: EXPORT_PACKAGE_FORMAT,
    exportId: input.exportId,
    project: { id: input.project.id, title: input.project.title },
    policy: input.policy,
    createdAt: input.createdAt.toISOString(),
    k: input.k,
    quasiIdentifiers: input.quasiIdentifiers.map((qi) => ({ name: qi.name, rule: qi.rule })),
    counts: { residents: input.residents, records: input.records.length, recordsByModel },
    records: orderedRecords(input.records),
  };
  const bytes = utf8(canonicalize(body));
  return { bytes, packageHash: sm3Hex(bytes), recordsByModel };
}

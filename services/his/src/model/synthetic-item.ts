// A synthetic record as the source item an adapter would produce from it: the synthetic payload is
// the interchange vocabulary, so the item is the record without what a source would not send
// (`truth`). For tests, benchmarks and demonstrations that need items without running an adapter.
import type { SourceFormat, SourceItem, SourceValue } from "../adapters/types.ts";
import type { SyntheticRecord } from "../synthetic/records.ts";

export function itemOfSynthetic(record: SyntheticRecord, format: SourceFormat = "sql"): SourceItem {
  const { truth, ...sent } = record;
  void truth;
  return {
    itemKey: record.recordId,
    format,
    kind: record.kind,
    institutionCode: record.institutionCode,
    sourceKey: record.sourceKey,
    patientId: record.patientId,
    changedAt: record.changedAt,
    status: record.status,
    fields: record.payload as unknown as { readonly [member: string]: SourceValue },
    raw: JSON.stringify(sent),
  };
}

// The records of an export's cohort: every record the institutions' systems anchored for the
// cohort's residents (by residentRef, the key the topic databases and the index share), opened
// from the institutions' stores the way a consent-checked read opens them. The gateway holds the
// wallet each residentRef was linked to (Original.residentAddress), which the consent check needs;
// the record model comes from the category the record was anchored under (services/his standard
// model: one category per model).
import { getAddress, type Address, type Hex } from "viem";
import { platformError } from "@health-chain/sdk";
import { categoryIdOf } from "../../../services/his/src/collection/ids.ts";
import { loadStandard } from "../../../services/his/src/model/standard.ts";
import type { GatewayDeps } from "../context.ts";

/** One standard record of a cohort member, decrypted (services/analytics ExportSourceRecord). */
export interface CohortRecord {
  readonly institution: string;
  /** The institution (address) that anchored it and holds its original. */
  readonly holder: Address;
  readonly recordId: Hex;
  readonly residentRef: Hex;
  readonly resident: Address;
  readonly category: Hex;
  readonly model: string;
  readonly sourceKey: string;
  readonly content: Record<string, unknown>;
  readonly fields: Record<string, Hex>;
}

let modelsByCategory: ReadonlyMap<string, string> | undefined;

/** category id (lower case) → record model id, from the collection service's standard. */
function modelOfCategory(category: string): string | undefined {
  modelsByCategory ??= new Map([...loadStandard().models.values()].map((m) => [categoryIdOf(m.category).toLowerCase(), m.id]));
  return modelsByCategory.get(category.toLowerCase());
}

const REFS_PER_QUERY = 500;

/**
 * The cohort's records, institution by institution as stored. Refuses (before opening anything)
 * when they are more than `maxRecords`: an export is never cut short. Records of a category that
 * no standard model has, or held by an institution whose store this gateway cannot open, are
 * counted in `skipped` by reason — never silently left out.
 */
export async function cohortRecords(
  deps: Pick<GatewayDeps, "db" | "stores">,
  residentRefs: readonly string[],
  options: { readonly maxRecords: number },
): Promise<{ records: CohortRecord[]; skipped: Record<string, number> }> {
  const refs = [...new Set(residentRefs.map((r) => r.toLowerCase()))];
  const rows = [];
  for (let i = 0; i < refs.length; i += REFS_PER_QUERY) {
    rows.push(
      ...(await deps.db.original.findMany({
        where: { residentRef: { in: refs.slice(i, i + REFS_PER_QUERY) }, voidedAt: null },
        orderBy: [{ institution: "asc" }, { recordId: "asc" }],
      })),
    );
    if (rows.length > options.maxRecords) {
      throw platformError("CONFLICT", {
        message: `The cohort has more than ${options.maxRecords} records; an export is never cut short: narrow the criteria.`,
        messageZh: `该队列的记录超过 ${options.maxRecords} 条；导出不会被截断，请收窄检索条件。`,
        details: { reason: "export-too-large", maxRecords: options.maxRecords },
      });
    }
  }
  const skipped: Record<string, number> = {};
  const records: CohortRecord[] = [];
  for (const row of rows) {
    const model = modelOfCategory(row.category);
    const store = deps.stores.get(getAddress(row.institution));
    const reason = model === undefined ? "unknown-category" : store === undefined ? "store-not-reachable" : null;
    if (reason !== null) {
      skipped[reason] = (skipped[reason] ?? 0) + 1;
      continue;
    }
    const content = await store!.getOriginal<Record<string, unknown>>({ cid: row.cid, keyId: row.keyId, wrappedDataKey: row.wrappedDataKey, contentHash: row.contentHash });
    records.push({
      institution: typeof content.institutionCode === "string" ? content.institutionCode : row.institution,
      holder: getAddress(row.institution),
      recordId: row.recordId as Hex,
      residentRef: row.residentRef as Hex,
      resident: getAddress(row.residentAddress),
      category: row.category as Hex,
      model: model!,
      sourceKey: row.recordId,
      content,
      fields: JSON.parse(row.fieldsSchemaJson) as Record<string, Hex>,
    });
  }
  return { records, skipped };
}

// k-anonymity of an export over the policy's quasi-identifiers, one row per resident. The values are
// the de-identified outputs (age band, district, institution), already generalised by the his policy;
// src/privacy's checkKAnonymity groups them. A resident whose records disagree (two institutions, two
// addresses) carries the set of values: an observer who knows both can single them out, so the set is
// the value. A resident with no value (record or member withheld, value unusable) carries null, which
// is a value of its own.
import { coarsenDeidPolicy, deidQuasiIdentifiers, type DeidPolicy } from "@health-chain/his";
import { checkKAnonymity, type Bilingual, type ExportRow, type QuasiIdentifier } from "../privacy/index.ts";
import type { DeidentifiedRecord } from "./deid.ts";
import type { ExportClass, ExportKCheck, ExportPolicySuggestion, ExportQuasiIdentifier, PolicyRef } from "./types.ts";

/** A quasi-identifier with where to read it in an output record. */
export interface LocatedQuasiIdentifier extends ExportQuasiIdentifier {
  readonly model: string | null;
  readonly output: string;
}

export const NULL_NOTE: Bilingual = {
  en: "A resident whose quasi-identifier is unknown (withheld by consent, no such record, or a value the policy could not use) counts with null as a value of its own; a resident whose records disagree (e.g. two institutions) counts with the set of values.",
  zh: "准标识符未知的居民（因授权未提供、无此类记录或策略无法处理该值）以 null 作为单独取值计入；各记录取值不一致的居民（如在两家机构就诊）以取值集合计入。",
};

export function exportQuasiIdentifiers(policy: DeidPolicy): LocatedQuasiIdentifier[] {
  return deidQuasiIdentifiers(policy).map((qi) => ({
    name: `${qi.model ?? "record"}.${qi.output}`,
    rule: `${qi.model ?? "recordFields"}.${qi.member}`,
    in: qi.in,
    model: qi.model,
    output: qi.output,
  }));
}

function valueOf(record: DeidentifiedRecord["record"], qi: LocatedQuasiIdentifier): unknown {
  if (qi.in === "record") return record[qi.output];
  if (record.model !== qi.model || record.content === null) return undefined;
  return record.content[qi.output];
}

/** One row per resident (in the order of `residentRefs`): each quasi-identifier's value, set or null. */
export function residentQuasiRows(
  records: readonly DeidentifiedRecord[],
  qis: readonly LocatedQuasiIdentifier[],
  residentRefs: readonly string[],
): ExportRow[] {
  const seen = new Map<string, Map<string, unknown>[]>(residentRefs.map((ref) => [ref, qis.map(() => new Map())]));
  for (const { residentRef, record } of records) {
    const columns = seen.get(residentRef)!;
    qis.forEach((qi, index) => {
      const value = valueOf(record, qi);
      if (value !== undefined && value !== null) columns[index]!.set(JSON.stringify(value), value);
    });
  }
  return residentRefs.map((ref) =>
    Object.fromEntries(
      seen.get(ref)!.map((values, index) => {
        const sorted = [...values.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, value]) => value);
        return [qis[index]!.name, sorted.length === 0 ? null : sorted.length === 1 ? sorted[0] : sorted];
      }),
    ),
  );
}

const SURROGATE_EPOCH = Date.UTC(2000, 0, 1);
const DAY_MS = 86_400_000;

/**
 * The rows as checkKAnonymity takes them. Its hierarchies validate raw values of fixed kinds (an age
 * in years, a 6-digit region), while these values are already generalised by the policy ("40-44",
 * "上海市浦东新区"); only equality matters at level 0, so each distinct value gets a distinct
 * calendar day of kind "date" and null stays null.
 */
function surrogateRows(rows: readonly ExportRow[], names: readonly string[]): { rows: ExportRow[]; qis: QuasiIdentifier[] } {
  const codes = names.map(() => new Map<string, string>());
  const encoded = rows.map((row) =>
    Object.fromEntries(
      names.map((name, index) => {
        const value = row[name];
        if (value === null) return [`q${index}`, null];
        const key = JSON.stringify(value);
        let code = codes[index]!.get(key);
        if (code === undefined) {
          code = new Date(SURROGATE_EPOCH + codes[index]!.size * DAY_MS).toISOString().slice(0, 10);
          codes[index]!.set(key, code);
        }
        return [`q${index}`, code];
      }),
    ),
  );
  return { rows: encoded, qis: names.map((_, index) => ({ field: `q${index}`, kind: "date" })) };
}

function compareClasses(a: ExportClass, b: ExportClass): number {
  if (a.size !== b.size) return a.size - b.size;
  const [x, y] = [JSON.stringify(a.values), JSON.stringify(b.values)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The k-anonymity check of the rows; classes below k are listed by their values and sizes only. */
export function checkExportK(rows: readonly ExportRow[], qis: readonly LocatedQuasiIdentifier[], k: number, policy: PolicyRef): ExportKCheck {
  const names = qis.map((qi) => qi.name);
  const distinctValues: Record<string, number> = {};
  const nullResidents: Record<string, number> = {};
  for (const name of names) {
    distinctValues[name] = new Set(rows.map((row) => JSON.stringify(row[name]))).size;
    nullResidents[name] = rows.filter((row) => row[name] === null).length;
  }
  const base = { policy, residents: rows.length, distinctValues, nullResidents };
  if (names.length === 0) {
    // A policy without quasi-identifiers puts every resident in one class.
    const size = rows.length;
    const below = size > 0 && size < k;
    return { ...base, satisfied: !below, classCount: size === 0 ? 0 : 1, minClassSize: size === 0 ? null : size, classesBelowK: below ? [{ values: {}, size }] : [] };
  }
  const surrogate = surrogateRows(rows, names);
  const check = checkKAnonymity(surrogate.rows, surrogate.qis, k);
  const classesBelowK = check.classesBelowK
    .map((found) => ({ values: Object.fromEntries(names.map((name) => [name, rows[found.rows[0]!]![name]])), size: found.size }))
    .sort(compareClasses);
  return { ...base, satisfied: check.satisfied, classCount: check.classCount, minClassSize: check.minClassSize, classesBelowK };
}

/**
 * The policy one step coarser at the quasi-identifier with the most distinct values that has a
 * coarser step (ties: the policy's order), or null when none has. A quasi-identifier every resident
 * already shares (one distinct value) is never coarsened: it splits no class, so coarsening it would
 * only lose information.
 */
export function nextCoarserPolicy(policy: DeidPolicy, check: ExportKCheck, qis: readonly LocatedQuasiIdentifier[]): ExportPolicySuggestion | null {
  const order = qis.map((qi, index) => ({ qi, index })).sort((a, b) => (check.distinctValues[b.qi.name] ?? 0) - (check.distinctValues[a.qi.name] ?? 0) || a.index - b.index);
  for (const { qi } of order) {
    if ((check.distinctValues[qi.name] ?? 0) <= 1) continue;
    const coarser = coarsenDeidPolicy(policy, qi.rule);
    if (coarser !== null) return { coarsen: qi.rule, policy: coarser };
  }
  return null;
}

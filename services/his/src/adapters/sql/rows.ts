// One table row to one source item, or to one rejected item saying which columns could not be read
// and why (every problem of the row, not only the first), with the row kept verbatim as JSON.
import type { RejectedItem, SourceItem, SourceValue } from "../types.ts";
import type { ResolvedField, ResolvedTableMap } from "./column-map.ts";
import {
  type ReadValue, type SqlRejectReason, ValueProblem, readCode, readDate, readDatetime, readFlag, readInteger, readKey, readList,
  readNumber, readText,
} from "./values.ts";

/** A table row as the driver returns it, keyed by the database's column names. */
export type SqlRow = Readonly<Record<string, unknown>>;

/** One row read: exactly one of `item` and `rejected`. */
export type RowResult = { readonly item: SourceItem; readonly rejected?: undefined } | { readonly item?: undefined; readonly rejected: RejectedItem };

export interface RowProblem {
  readonly column: string;
  readonly member: string;
  readonly reason: SqlRejectReason;
  readonly value: SourceValue;
  readonly expected: string;
}

type Read = (value: unknown) => ReadValue;

function readerOf(field: ResolvedField, localOffset: string): Read {
  switch (field.shape) {
    case "text":
      return readText;
    case "number":
      return readNumber;
    case "integer":
      return readInteger;
    case "date":
      return readDate;
    case "datetime":
      return (value) => readDatetime(value, localOffset);
    case "flag":
      return (value) => readFlag(value, field.trueValues!, field.falseValues!);
    case "code":
      return (value) => readCode(value, field.codes!);
    case "list":
      return (value) => readList(value, field.separator!);
  }
}

/** A column value as JSON for the rejection's details. */
function asSourceValue(value: unknown): SourceValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "bigint") return String(value);
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  return String(value);
}

/** The row as JSON; the replacer (slow) only when a driver hands out 64-bit integers as bigint. */
function rowJson(row: SqlRow): string {
  try {
    return JSON.stringify(row);
  } catch {
    return JSON.stringify(row, (_key, value: unknown) => (typeof value === "bigint" ? String(value) : value));
  }
}

/**
 * Makes the reader of one table's rows. `columnOf` gives the row key of a configured column (the
 * database's own spelling, e.g. lower case on PostgreSQL).
 */
export function createRowReader(map: ResolvedTableMap, columnOf: (configured: string) => string, localOffset: string): (row: SqlRow) => RowResult {
  const keyColumns = {
    sequence: columnOf(map.sequence),
    institutionCode: columnOf(map.institutionCode),
    sourceKey: columnOf(map.sourceKey),
    patientId: columnOf(map.patientId),
    changedAt: columnOf(map.changedAt),
  };
  const statusColumn = map.status === null ? null : columnOf(map.status.column);
  const statusCodes = map.status?.codes ?? {};
  const fields = map.fields.map((field) => ({ member: field.member, column: columnOf(field.column), read: readerOf(field, localOffset) }));
  const readChangedAt = (value: unknown) => {
    const read = readDatetime(value, localOffset);
    return read === null ? readKey(null) : read;
  };

  return (row) => {
    const sequence = asSourceValue(row[keyColumns.sequence]);
    const itemKey = `${map.table}#${sequence}`;
    const problems: RowProblem[] = [];
    const take = (member: string, column: string, read: ReadValue): SourceValue => {
      if (!(read instanceof ValueProblem)) return read;
      problems.push({ column, member, reason: read.reason, value: asSourceValue(row[column]), expected: read.expected });
      return null;
    };
    const institutionCode = take("institutionCode", keyColumns.institutionCode, readKey(row[keyColumns.institutionCode]));
    const sourceKey = take("sourceKey", keyColumns.sourceKey, readKey(row[keyColumns.sourceKey]));
    const patientId = take("patientId", keyColumns.patientId, readKey(row[keyColumns.patientId]));
    const changedAt = take("changedAt", keyColumns.changedAt, readChangedAt(row[keyColumns.changedAt]));
    const status = statusColumn === null ? "final" : (take("status", statusColumn, readCode(row[statusColumn], statusCodes)) ?? "final");
    const values: Record<string, SourceValue> = {};
    for (const field of fields) values[field.member] = take(field.member, field.column, field.read(row[field.column]));

    if (problems.length > 0) return { rejected: rejection(itemKey, map.table, sequence, row, problems) };
    return {
      item: {
        itemKey,
        format: "sql",
        kind: map.kind,
        institutionCode: institutionCode as string,
        sourceKey: sourceKey as string,
        patientId: patientId as string,
        changedAt: changedAt as string,
        status: status as "final" | "corrected",
        fields: values,
        raw: rowJson(row),
      },
    };
  };
}

const REASON_ZH: Readonly<Record<SqlRejectReason, string>> = {
  "missing-key": "缺少标识字段",
  "invalid-date": "日期无效",
  "invalid-number": "数值无效",
  "unknown-code": "未知代码",
  "invalid-value": "取值无效",
};

function rejection(itemKey: string, table: string, sequence: SourceValue, row: SqlRow, problems: readonly RowProblem[]): RejectedItem {
  const [first] = problems as [RowProblem, ...RowProblem[]];
  const more = problems.length - 1;
  const value = JSON.stringify(first.value);
  const what =
    first.reason === "missing-key"
      ? `has no ${first.member} (column ${first.column} is empty)`
      : `column ${first.column} (${first.member}) holds ${value}, expected ${first.expected}`;
  const whatZh =
    first.reason === "missing-key"
      ? `缺少 ${first.member}（列 ${first.column} 为空）`
      : `列 ${first.column}（${first.member}）的值 ${value} ${REASON_ZH[first.reason]}`;
  return {
    itemKey,
    format: "sql",
    reason: first.reason,
    message: `Row ${itemKey} cannot be read: it ${what}${more > 0 ? `; ${more} more problem${more > 1 ? "s" : ""} in details` : ""}.`,
    messageZh: `无法读取记录 ${itemKey}：${whatZh}${more > 0 ? `；另有 ${more} 处问题见详情` : ""}。`,
    details: {
      table,
      sequence,
      problems: problems.map((p) => ({ column: p.column, member: p.member, reason: p.reason, value: p.value, expected: p.expected })),
    },
    raw: rowJson(row),
  };
}

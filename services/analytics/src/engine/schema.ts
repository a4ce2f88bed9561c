// The event model: one institution's de-identified, standardised data as the query engine sees it.
// Residents are pseudonymous (resident_ref), codes are the standard model's of services/his (sex
// GB/T 2261.1, diagnoses ICD-10, lab results LOINC, medications ATC); dates are calendar days.
import type { DuckDBAppender, DuckDBConnection } from "@duckdb/node-api";
import { DuckDBDateValue } from "@duckdb/node-api";
import { platformError } from "@health-chain/sdk";
import { isIsoDate } from "../criteria/schema.ts";

/** A resident: sex GB/T 2261.1 code ("1" male, "2" female, "9" not stated, "0" unknown). */
export interface ResidentRow {
  readonly resident_ref: string;
  readonly sex: string | null;
  readonly birth_date: string | null;
  readonly region: string | null;
}
export interface DiagnosisRow {
  readonly resident_ref: string;
  readonly code: string;
  readonly at: string;
}
export interface LabRow {
  readonly resident_ref: string;
  readonly loinc: string;
  readonly value: number | null;
  readonly unit: string | null;
  readonly at: string;
}
export interface MedicationRow {
  readonly resident_ref: string;
  readonly atc: string;
  readonly at: string;
}

/** The rows of each table, by table name. */
export interface EventTables {
  readonly residents: readonly ResidentRow[];
  readonly diagnoses: readonly DiagnosisRow[];
  readonly labs: readonly LabRow[];
  readonly medications: readonly MedicationRow[];
}
export type TableName = keyof EventTables;

type ColumnKind = "ref" | "text" | "text?" | "date" | "date?" | "double?";
// Column order is the DDL's: the appender fills columns by position. Names are quoted in SQL
// because `at` is a DuckDB keyword.
const COLUMNS: { readonly [T in TableName]: readonly (readonly [keyof EventTables[T][number] & string, ColumnKind])[] } = {
  residents: [["resident_ref", "ref"], ["sex", "text?"], ["birth_date", "date?"], ["region", "text?"]],
  diagnoses: [["resident_ref", "ref"], ["code", "text"], ["at", "date"]],
  labs: [["resident_ref", "ref"], ["loinc", "text"], ["value", "double?"], ["unit", "text?"], ["at", "date"]],
  medications: [["resident_ref", "ref"], ["atc", "text"], ["at", "date"]],
};

const SQL_TYPE: Readonly<Record<ColumnKind, string>> = {
  ref: "VARCHAR NOT NULL",
  text: "VARCHAR NOT NULL",
  "text?": "VARCHAR",
  date: "DATE NOT NULL",
  "date?": "DATE",
  "double?": "DOUBLE",
};

/** The DDL of the event model. Event dates are required: an undated event cannot meet a window or relation. */
export function schemaSql(): string {
  return (Object.keys(COLUMNS) as TableName[])
    .map((table) => `CREATE TABLE IF NOT EXISTS ${table} (${COLUMNS[table].map(([name, kind]) => `"${name}" ${SQL_TYPE[kind]}`).join(", ")});`)
    .join("\n");
}

/** Creates the four tables (idempotent). */
export async function createSchema(connection: DuckDBConnection): Promise<void> {
  await connection.run(schemaSql());
}

const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of an ISO date (the DuckDB DATE representation). */
export function epochDay(isoDate: string): number {
  return Date.parse(`${isoDate}T00:00:00Z`) / DAY_MS;
}

function badRow(table: string, index: number, column: string, expected: string, expectedZh: string): Error {
  return platformError("INVALID_INPUT", {
    details: { table, row: index, column },
    message: `Row ${index} of ${table}: ${column} must be ${expected}. Nothing was loaded.`,
    messageZh: `${table} 第 ${index} 行：${column} 必须是${expectedZh}。未加载任何数据。`,
  });
}

function checkCell(table: string, index: number, column: string, kind: ColumnKind, value: unknown): void {
  const optional = kind.endsWith("?");
  if (value === null && optional) return;
  const base = kind.replace("?", "");
  if (base === "double") {
    if (typeof value !== "number" || !Number.isFinite(value)) throw badRow(table, index, column, "a finite number or null", "有限数值或 null");
  } else if (base === "date") {
    if (typeof value !== "string" || !isIsoDate(value)) throw badRow(table, index, column, `a YYYY-MM-DD date${optional ? " or null" : ""}`, `YYYY-MM-DD 日期${optional ? "或 null" : ""}`);
  } else if (typeof value !== "string" || value.length === 0) {
    throw badRow(table, index, column, `a non-empty string${optional ? " or null" : ""}`, `非空字符串${optional ? "或 null" : ""}`);
  }
}

function appendCell(appender: DuckDBAppender, kind: ColumnKind, value: unknown): void {
  if (value === null) appender.appendNull();
  else if (kind.startsWith("date")) appender.appendDate(new DuckDBDateValue(epochDay(value as string)));
  else if (kind.startsWith("double")) appender.appendDouble(value as number);
  else appender.appendVarchar(value as string);
}

/**
 * Bulk-loads rows into one table with DuckDB's appender. Every row is checked first: a bad row
 * throws INVALID_INPUT (table, row index, column) and nothing is loaded. Returns the rows appended.
 */
export async function loadRows<T extends TableName>(
  connection: DuckDBConnection,
  table: T,
  rows: readonly EventTables[T][number][],
): Promise<number> {
  const columns = COLUMNS[table] as readonly (readonly [string, ColumnKind])[];
  if (!columns) throw badRow(String(table), -1, "table", "one of residents, diagnoses, labs, medications", "residents、diagnoses、labs、medications 之一");
  rows.forEach((row, index) => {
    for (const [column, kind] of columns) checkCell(table, index, column, kind, (row as unknown as Record<string, unknown>)[column]);
  });
  const appender = await connection.createAppender(table);
  try {
    for (const row of rows) {
      for (const [column, kind] of columns) appendCell(appender, kind, (row as unknown as Record<string, unknown>)[column]);
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
  return rows.length;
}

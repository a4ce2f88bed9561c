// The shape every report takes, whatever produced it: columns described once (bilingual header and a
// type), then plain rows. Dimension columns come first and measures after, rows in a stable order,
// so a chart can take the first column as its axis and the rest as series without guessing.
import type { Bilingual } from "../privacy/index.ts";

export type ColumnType = "string" | "number" | "date" | "percent";

export interface ReportColumn {
  readonly key: string;
  readonly zh: string;
  readonly en: string;
  /** "percent" values are fractions (0.953 = 95.3 %); "date" values are ISO dates or date-times. */
  readonly type: ColumnType;
  /** A label column in one language only (e.g. a chapter name): exports in the other language leave it out. */
  readonly lang?: "zh" | "en";
}

export type ReportCell = string | number | null;
export type ReportRow = Record<string, ReportCell>;

export interface ReportTable {
  readonly id: string;
  readonly title: Bilingual;
  readonly columns: readonly ReportColumn[];
  readonly rows: readonly ReportRow[];
  readonly notes: readonly Bilingual[];
  /** ISO date-time. */
  readonly generatedAt: string;
  readonly parameters: Readonly<Record<string, unknown>>;
}

/** The columns an export in `lang` shows. */
export function columnsFor(table: ReportTable, lang: "zh" | "en"): ReportColumn[] {
  return table.columns.filter((column) => column.lang === undefined || column.lang === lang);
}

/** Compares two cells for a stable order: numbers numerically, texts by code point, null last. */
export function compareCells(a: ReportCell, b: ReportCell): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  const [x, y] = [String(a), String(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Rows sorted by the given keys in turn. */
export function sortRows(rows: ReportRow[], keys: readonly string[]): ReportRow[] {
  return rows.sort((a, b) => {
    for (const key of keys) {
      const order = compareCells(a[key] ?? null, b[key] ?? null);
      if (order !== 0) return order;
    }
    return 0;
  });
}

/** The time stamp of a report: the caller's clock when given (tests, reproducible exports), else now. */
export function stamp(now?: Date): string {
  return (now ?? new Date()).toISOString();
}

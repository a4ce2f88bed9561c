// A report table as CSV for Excel and WPS: UTF-8 with a byte-order mark (so Chinese opens correctly),
// CRLF line ends and RFC 4180 quoting. A text starting with = + - @, a tab or a carriage return gets
// a leading apostrophe so no spreadsheet runs it as a formula (OWASP "CSV injection"); numbers stay
// numbers. The cell rule is the sdk's `csvCell`, as the audit log's export.
import { CSV_BOM, CSV_EOL, csvLine } from "@health-chain/sdk";
import { columnsFor, type ReportTable } from "./table.ts";

/** The table as CSV text in one language: header of the column names, then the rows. */
export function reportToCsv(table: ReportTable, lang: "zh" | "en"): string {
  const columns = columnsFor(table, lang);
  const lines = [csvLine(columns.map((c) => c[lang]))];
  for (const row of table.rows) lines.push(csvLine(columns.map((c) => row[c.key] ?? null)));
  return `${CSV_BOM}${lines.join(CSV_EOL)}${CSV_EOL}`;
}

// A report table as CSV for Excel and WPS: UTF-8 with a byte-order mark (so Chinese opens correctly),
// CRLF line ends and RFC 4180 quoting. A text starting with = + - @, a tab or a carriage return gets
// a leading apostrophe so no spreadsheet runs it as a formula (OWASP "CSV injection"); numbers stay
// numbers. The cell rule is the one of gateway/src/routes/audit.ts `csvCell`.
import { columnsFor, type ReportCell, type ReportTable } from "./table.ts";

function csvCell(value: ReportCell): string {
  if (value === null) return "";
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The table as CSV text in one language: header of the column names, then the rows. */
export function reportToCsv(table: ReportTable, lang: "zh" | "en"): string {
  const columns = columnsFor(table, lang);
  const lines = [columns.map((c) => csvCell(c[lang])).join(",")];
  for (const row of table.rows) lines.push(columns.map((c) => csvCell(row[c.key] ?? null)).join(","));
  return `\uFEFF${lines.join("\r\n")}\r\n`;
}

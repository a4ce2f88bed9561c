// CSV for spreadsheets (Excel, WPS), shared by every export the platform offers (the audit log,
// reports): RFC 4180 quoting, and a text starting with = + - @, a tab or a carriage return gets a
// leading apostrophe so no spreadsheet runs it as a formula (OWASP "CSV injection"); numbers stay
// numbers. Files are UTF-8 with a byte-order mark (so Chinese opens correctly) and CRLF line ends.

/** One CSV cell. */
export function csvCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV line (without its line end). */
export function csvLine(values: readonly (string | number | boolean | null | undefined)[]): string {
  return values.map(csvCell).join(",");
}

/** The byte-order mark and line end of the platform's CSV files. */
export const CSV_BOM = "\uFEFF";
export const CSV_EOL = "\r\n";

// Report tables as one Excel workbook (exceljs): one sheet per table with a bold, frozen header,
// numbers as numbers, percents formatted as such, dates as dates; then a sheet of what each table is
// (title, notes, parameters, when it was generated), so the data sheets stay plain grids for charts.
import ExcelJS from "exceljs";
import { columnsFor, type ReportColumn, type ReportTable } from "./table.ts";

const SHEET_NAME_MAX = 31;
const NOTES_SHEET = { zh: "说明", en: "Notes" } as const;

/** Excel's sheet-name rules: at most 31 characters, none of []:*?/\, unique within the workbook. */
function sheetName(title: string, used: Set<string>): string {
  const base = title.replace(/[[\]:*?/\\]/g, " ").trim().slice(0, SHEET_NAME_MAX) || "Sheet";
  let name = base;
  for (let n = 2; used.has(name.toLowerCase()); n++) name = `${base.slice(0, SHEET_NAME_MAX - String(n).length - 1)}~${n}`;
  used.add(name.toLowerCase());
  return name;
}

function cellValue(column: ReportColumn, value: string | number | null): string | number | Date | null {
  if (value === null) return null;
  if (column.type === "date" && typeof value === "string" && !Number.isNaN(Date.parse(value))) {
    return new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  }
  return value;
}

function numberFormat(column: ReportColumn, value: string | number | null): string | undefined {
  if (column.type === "percent") return "0.0%";
  if (column.type === "date" && typeof value === "string") return /^\d{4}-\d{2}-\d{2}$/.test(value) ? "yyyy-mm-dd" : "yyyy-mm-dd hh:mm:ss";
  return undefined;
}

function addTableSheet(workbook: ExcelJS.Workbook, table: ReportTable, lang: "zh" | "en", name: string): void {
  const columns = columnsFor(table, lang);
  const sheet = workbook.addWorksheet(name, { views: [{ state: "frozen", ySplit: 1 }] });
  sheet.columns = columns.map((c) => ({ header: c[lang], key: c.key, width: Math.min(50, Math.max(10, c[lang].length * (lang === "zh" ? 2 : 1) + 2)) }));
  sheet.getRow(1).font = { bold: true };
  for (const row of table.rows) {
    const added = sheet.addRow(Object.fromEntries(columns.map((c) => [c.key, cellValue(c, row[c.key] ?? null)])));
    columns.forEach((c, i) => {
      const format = numberFormat(c, row[c.key] ?? null);
      if (format) added.getCell(i + 1).numFmt = format;
    });
  }
}

function addNotesSheet(workbook: ExcelJS.Workbook, tables: readonly ReportTable[], names: readonly string[], lang: "zh" | "en", used: Set<string>): void {
  const sheet = workbook.addWorksheet(sheetName(NOTES_SHEET[lang], used), { views: [{ state: "frozen", ySplit: 1 }] });
  const header = lang === "zh" ? ["工作表", "报表", "生成时间", "说明", "参数"] : ["sheet", "report", "generated at", "notes", "parameters"];
  sheet.columns = header.map((h, i) => ({ header: h, width: [24, 40, 24, 80, 60][i] }));
  sheet.getRow(1).font = { bold: true };
  tables.forEach((table, i) => {
    sheet.addRow([names[i], table.title[lang], table.generatedAt, table.notes.map((n) => n[lang]).join("\n"), JSON.stringify(table.parameters)]);
  });
}

/** The tables as an .xlsx workbook in one language (one sheet per table, then the notes sheet). */
export async function reportsToXlsx(tables: readonly ReportTable[], lang: "zh" | "en"): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = "health-chain analytics";
  const used = new Set<string>([NOTES_SHEET[lang].toLowerCase()]);
  const names = tables.map((table) => sheetName(table.title[lang], used));
  tables.forEach((table, i) => addTableSheet(workbook, table, lang, names[i]!));
  used.delete(NOTES_SHEET[lang].toLowerCase());
  addNotesSheet(workbook, tables, names, lang, used);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

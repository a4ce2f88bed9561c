// CSV and Excel exports of report tables, read back independently; usage statistics.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import ExcelJS from "exceljs";
import { mulberry32 } from "../src/synthetic/index.ts";
import { reportToCsv, reportsToXlsx, usageReports, type ReportTable } from "../src/reports/index.ts";
import { assertInvalidInput } from "./helpers.ts";

/** RFC 4180: fields separated by commas, records by CRLF, quoted fields with "" for a quote. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
      if (c === '"') { quoted = false; i++; continue; }
      field += c; i++; continue;
    }
    if (c === '"' && field === "") { quoted = true; i++; continue; }
    if (c === ",") { record.push(field); field = ""; i++; continue; }
    if (c === "\r" && text[i + 1] === "\n") { record.push(field); records.push(record); record = []; field = ""; i += 2; continue; }
    assert.ok(c !== "\n" && c !== "\r", `bare line break at ${i}`);
    field += c; i++;
  }
  assert.equal(field, "", "the last record ends with CRLF");
  return records;
}

const table: ReportTable = {
  id: "t",
  title: { en: "Tricky cells", zh: "特殊单元格" },
  columns: [
    { key: "name", zh: "名称", en: "name", type: "string" },
    { key: "label_zh", zh: "中文名", en: "label", type: "string", lang: "zh" },
    { key: "label_en", zh: "中文名", en: "label", type: "string", lang: "en" },
    { key: "n", zh: "数量", en: "count", type: "number" },
    { key: "share", zh: "比例", en: "share", type: "percent" },
    { key: "at", zh: "日期", en: "date", type: "date" },
  ],
  rows: [
    { name: "=1+2", label_zh: "逗号,引号\"", label_en: "comma, \"quote\"", n: -3, share: 0.5, at: "2025-01-31" },
    { name: "+SUM(A1)", label_zh: "换行\r\n第二行", label_en: "line\nbreak", n: 0, share: null, at: "2025-02-01T08:30:00.000Z" },
    { name: "-x", label_zh: "@me", label_en: "\ttab", n: 12345.5, share: 1, at: null },
    { name: "@cmd", label_zh: "普通", label_en: "plain", n: null, share: 0.123, at: null },
  ],
  notes: [{ en: "a note", zh: "说明" }],
  generatedAt: "2026-01-01T00:00:00.000Z",
  parameters: { x: 1 },
};

describe("report exports", () => {
  it("writes CSV with a BOM, CRLF, RFC 4180 quoting and formula cells neutralised", () => {
    const csv = reportToCsv(table, "zh");
    assert.equal(csv.charCodeAt(0), 0xfeff);
    const records = parseCsv(csv.slice(1));
    assert.deepEqual(records[0], ["名称", "中文名", "数量", "比例", "日期"]);
    assert.deepEqual(records[1], ["'=1+2", "逗号,引号\"", "-3", "0.5", "2025-01-31"]);
    assert.deepEqual(records[2], ["'+SUM(A1)", "换行\r\n第二行", "0", "", "2025-02-01T08:30:00.000Z"]);
    assert.deepEqual(records[3], ["'-x", "'@me", "12345.5", "1", ""]);
    assert.deepEqual(records[4], ["'@cmd", "普通", "", "0.123", ""]);
    const en = parseCsv(reportToCsv(table, "en").slice(1));
    assert.deepEqual(en[0], ["name", "label", "count", "share", "date"]);
    assert.deepEqual(en.slice(1).map((r) => r[1]), ["comma, \"quote\"", "line\nbreak", "'\ttab", "plain"]);
  });

  it("writes one sheet per table with a bold frozen header and typed cells, read back with exceljs", async () => {
    const second: ReportTable = { ...table, id: "u", title: { en: "Tricky cells", zh: "特殊单元格" }, rows: table.rows.slice(0, 1) };
    const buffer = await reportsToXlsx([table, second], "en");
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
    assert.deepEqual(workbook.worksheets.map((s) => s.name), ["Tricky cells", "Tricky cells~2", "Notes"]);
    const sheet = workbook.worksheets[0]!;
    assert.deepEqual((sheet.getRow(1).values as unknown[]).slice(1), ["name", "label", "count", "share", "date"]);
    assert.equal(sheet.getRow(1).font?.bold, true);
    assert.equal(sheet.views[0]?.state, "frozen");
    assert.equal((sheet.views[0] as { ySplit?: number }).ySplit, 1);
    assert.equal(sheet.getCell("A2").value, "=1+2", "a text, not a formula");
    assert.equal(sheet.getCell("A2").type, ExcelJS.ValueType.String);
    assert.equal(sheet.getCell("C2").value, -3);
    assert.equal(sheet.getCell("C4").value, 12345.5);
    assert.equal(sheet.getCell("C5").value, null);
    assert.equal(sheet.getCell("D2").value, 0.5);
    assert.equal(sheet.getCell("D2").numFmt, "0.0%");
    assert.deepEqual(sheet.getCell("E2").value, new Date("2025-01-31T00:00:00Z"));
    assert.equal(sheet.getCell("B3").value, "line\nbreak");
    assert.equal(sheet.rowCount, 5);
    assert.equal(workbook.worksheets[1]!.rowCount, 2);
    const notes = workbook.getWorksheet("Notes")!;
    assert.equal(notes.getCell("A2").value, "Tricky cells");
    assert.equal(notes.getCell("D2").value, "a note");
    const zh = new ExcelJS.Workbook();
    await zh.xlsx.load((await reportsToXlsx([table], "zh")) as unknown as ArrayBuffer);
    assert.deepEqual(zh.worksheets.map((s) => s.name), ["特殊单元格", "说明"]);
    assert.equal(zh.worksheets[0]!.getCell("B2").value, "逗号,引号\"");
  });
});

describe("usage statistics", () => {
  const KINDS = ["query", "export", "download"] as const;
  const events = (() => {
    const rng = mulberry32(7);
    return Array.from({ length: 500 }, (_, i) => ({
      at: new Date(Date.UTC(2025, rng.int(12), 1 + rng.int(28), rng.int(24), rng.int(60))).toISOString(),
      kind: KINDS[rng.int(3)]!,
      institution: ["H01", "C02"][rng.int(2)]!,
      department: [null, "内科", "科研处"][rng.int(3)]!,
      person: `user${rng.int(6)}`,
      ...(i % 2 === 0 ? { requestId: `req-${i}` } : {}),
    }));
  })();
  const monthCst = (at: string) => new Date(Date.parse(at) + 8 * 3600_000).toISOString().slice(0, 7);

  it("counts queries, exports and downloads by institution, department, person and month", async () => {
    async function* stream() { yield* events; }
    const tables = await usageReports(stream(), { now: new Date("2026-01-01T00:00:00Z") });
    assert.deepEqual(tables.map((t) => t.id), ["usage-by-institution", "usage-by-department", "usage-by-person", "usage-by-month"]);
    const views: [number, (e: (typeof events)[number]) => (string | null)[]][] = [
      [0, (e) => [e.institution]], [1, (e) => [e.institution, e.department]], [2, (e) => [e.institution, e.department, e.person]], [3, (e) => [monthCst(e.at)]],
    ];
    for (const [v, keyOf] of views) {
      const t = tables[v]!;
      const dims = t.columns.slice(0, -4).map((c) => c.key);
      assert.deepEqual(t.columns.slice(-4).map((c) => c.key), ["queries", "exports", "downloads", "total"]);
      const expected = new Map<string, number[]>();
      for (const e of events) {
        const key = JSON.stringify(keyOf(e));
        const counts = expected.get(key) ?? [0, 0, 0];
        counts[KINDS.indexOf(e.kind)]!++;
        expected.set(key, counts);
      }
      assert.equal(t.rows.length, expected.size);
      for (const row of t.rows) {
        const counts = expected.get(JSON.stringify(dims.map((d) => row[d])))!;
        assert.deepEqual([row["queries"], row["exports"], row["downloads"], row["total"]], [...counts, counts[0]! + counts[1]! + counts[2]!]);
      }
      assert.equal(t.rows.reduce((n, r) => n + (r["total"] as number), 0), events.length);
    }
    const sync = await usageReports(events, { now: new Date("2026-01-01T00:00:00Z") });
    assert.deepEqual(sync, tables);
  });

  it("puts months in China Standard Time by default", async () => {
    const [, , , byMonth] = await usageReports([{ at: "2025-01-31T16:30:00Z", kind: "query", institution: "H01", department: null, person: "a" }]);
    assert.equal(byMonth!.rows[0]!["month"], "2025-02");
    const [, , , utc] = await usageReports([{ at: "2025-01-31T16:30:00Z", kind: "query", institution: "H01", department: null, person: "a" }], { utcOffsetMinutes: 0 });
    assert.equal(utc!.rows[0]!["month"], "2025-01");
  });

  it("refuses a bad event with its index, counting nothing", async () => {
    for (const bad of [{ ...events[0], kind: "print" }, { ...events[0], at: "yesterday" }, { ...events[0], person: "" }, { ...events[0], department: undefined }]) {
      const input = [events[1], bad];
      await assert.rejects(usageReports(input), (error: unknown) => {
        assertInvalidInput(() => { throw error; });
        assert.equal((error as { details: { index: number } }).details.index, 1);
        return true;
      });
    }
  });
});

// The per-lab report, checked through independent readers of the file: pdftotext for the text and
// pages, pdfinfo for the metadata, pdftoppm + zbarimg for the QR code.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isPlatformError } from "@health-chain/sdk";
import { renderLabReport } from "../src/reports/index.ts";
import type { LabReportData } from "../src/reports/index.ts";
import { VERIFY_URL, decodeQrCodes, labReport, pageTexts, pdfInfo } from "./reports-fixtures.ts";

const small = labReport({ analytes: 3, samples: 2, values: 200, specialRows: true });

/** "第 N 页 / 共 M 页  Page N of M" on page N of M. */
function assertPageNumbers(pages: readonly string[]): void {
  pages.forEach((text, i) => {
    assert.ok(text.includes(`第 ${i + 1} 页 / 共 ${pages.length} 页`), `page ${i + 1} lacks its Chinese page number`);
    assert.ok(text.includes(`Page ${i + 1} of ${pages.length}`), `page ${i + 1} lacks its English page number`);
  });
}

describe("lab report: content", () => {
  it("prints the lab, the analytes, the values with the analyte's decimals, the judgements and page numbers", async () => {
    const bytes = await renderLabReport(small);
    const pages = pageTexts(bytes);
    const text = pages.join("\n");
    assert.equal(pages.length, Number(pdfInfo(bytes)["Pages"]));
    for (const expected of ["第一人民医院检验科", "LAB-0427", "上海市临床检验中心", "常规化学", "2025 年第一次", "EQA-R-2025-1-LAB-0427"]) {
      assert.ok(text.includes(expected), `missing ${expected}`);
    }
    for (const analyte of small.analytes) {
      assert.ok(text.includes(`${analyte.code} 检测项目`) && text.includes(analyte.nameEn), `missing analyte ${analyte.code}`);
      for (const row of analyte.rows) {
        assert.ok(text.includes(row.result), `missing result ${row.result}`);
        // Assigned values are printed with 2 decimals (the analyte's setting), z with 2.
        if (row.assignedValue !== null) assert.ok(text.includes(row.assignedValue.toFixed(2)));
        if (row.score !== null) assert.ok(text.includes(`${row.score.toFixed(2)} ${row.judgementZh} ${row.judgementEn}`), `missing ${row.score} ${row.judgementEn}`);
      }
    }
    assert.ok(text.includes("u(x_pt) = 0.41 σpt > 0.3 σpt"), "the u(x_pt) warning is printed");
    assert.ok(text.includes("仪器故障"), "the report's notes are printed");
    assertPageNumbers(pages);
  });

  it("prints the reason, and no number, for a score that could not be computed", async () => {
    const pages = pageTexts(await renderLabReport(small));
    const row = small.analytes[0]!.rows[1]!;
    assert.equal(row.score, null);
    const line = pages.join("\n").split("\n").find((l) => l.trimStart().startsWith(row.sample) && l.includes(row.result));
    assert.ok(line !== undefined, "the not-computable row is printed");
    const rest = line.replace(row.sample, "").replace(row.result, "");
    assert.doesNotMatch(rest, /\d/, `no number beyond the sample code and the lab's own result: ${line}`);
    assert.match(rest, /不可计算/);
    assert.ok(pages.join("\n").includes("Not computable: too few results"), "the reason is printed");
  });

  it("leads with English when asked, and still prints both languages", async () => {
    const text = pageTexts(await renderLabReport(small, { language: "en" })).join("\n");
    assert.ok(text.includes("Analytes passed 合格项目"));
    assert.ok(text.includes("Page 1 of"));
  });
});

describe("lab report: a verifiable file", () => {
  it("is byte-identical for the same data, and carries the issue date as its creation date", async () => {
    const first = await renderLabReport(small);
    const second = await renderLabReport(structuredClone(small));
    assert.ok(Buffer.from(first).equals(Buffer.from(second)), "two renders of the same data differ");
    const info = pdfInfo(first);
    assert.equal(info["CreationDate"], "2025-06-30T02:00:00Z");
    assert.equal(info["ModDate"], "2025-06-30T02:00:00Z");
    const later = await renderLabReport({ ...small, document: { ...small.document, issuedAt: "2025-07-01T02:00:00Z" } });
    assert.ok(!Buffer.from(first).equals(Buffer.from(later)), "the issue date is part of the file");
  });

  it("has a QR code on page 1 that decodes to the verification page", async () => {
    assert.deepEqual(decodeQrCodes(await renderLabReport(small), 1), [VERIFY_URL]);
  });
});

describe("lab report: pagination", () => {
  it("keeps each of 50 analytes × 2 samples whole on one page, in order, with the same number per full page", async () => {
    const data = labReport({ analytes: 50, samples: 2, values: 2000 });
    const bytes = await renderLabReport(data);
    const pages = pageTexts(bytes);
    assert.equal(pages.length, Number(pdfInfo(bytes)["Pages"]));
    assertPageNumbers(pages);
    const perPage = pages.map((text) => data.analytes.filter((a) => text.includes(`${a.code} 检测项目`)).length);
    assert.equal(perPage.reduce((a, b) => a + b, 0), 50, "every analyte printed exactly once");
    // Every analyte's rows sit on its heading's page, so no row was printed off a page or split away.
    for (const analyte of data.analytes) {
      const page = pages.findIndex((text) => text.includes(`${analyte.code} 检测项目`));
      for (const row of analyte.rows) assert.ok(pages[page]!.includes(row.result), `${analyte.code} ${row.sample} not on page ${page + 1}`);
    }
    // Identical blocks: pages 2 … M−1 hold the same count, the last at most that many.
    const middle = perPage.slice(1, -1);
    assert.ok(middle.length > 0 && middle.every((n) => n === middle[0]), `uneven pages: ${perPage.join(",")}`);
    assert.ok(perPage.at(-1)! <= middle[0]! && perPage.at(-1)! > 0);
    assert.equal(pages.length, 1 + Math.ceil((50 - perPage[0]!) / middle[0]!));
  });

  it("splits a table longer than a page between rows, repeating the header, losing no row", async () => {
    // No distribution and a non-z score: the sample codes can only come from the table.
    const base = labReport({ analytes: 1, samples: 90, values: 0 });
    const data: LabReportData = { ...base, analytes: base.analytes.map((a) => ({ ...a, distribution: undefined, rows: a.rows.map((r, i) => ({ ...r, scoreKind: "allowedRange", sample: `S${String(i + 1).padStart(3, "0")}` })) })) };
    const pages = pageTexts(await renderLabReport(data));
    assert.ok(pages.length >= 3, `expected the table to span pages, got ${pages.length}`);
    assertPageNumbers(pages);
    const all = pages.join("\n");
    for (let i = 1; i <= 90; i += 1) {
      const sample = `S${String(i).padStart(3, "0")}`;
      assert.equal(all.split(sample).length - 1, 1, `row ${sample} printed once`);
    }
    pages.slice(1).forEach((text, i) => assert.ok(text.includes("样本 Sample"), `page ${i + 2} repeats the header`));
  });
});

describe("lab report: refusals", () => {
  it("refuses a missing font with a typed error naming the Debian package, in English and Chinese", async () => {
    await assert.rejects(renderLabReport(small, { fontPath: "/nonexistent/font.ttc" }), (error: unknown) => {
      assert.ok(isPlatformError(error, "INTERNAL"));
      assert.equal(error.details["reason"], "FONT_MISSING");
      assert.match(error.message, /fonts-wqy-microhei/);
      assert.match(error.messageZh, /fonts-wqy-microhei/);
      assert.match(error.messageZh, /字体/);
      return true;
    });
  });

  it("reads the font path from EQA_PDF_FONT when no option is given", async () => {
    const saved = process.env["EQA_PDF_FONT"];
    process.env["EQA_PDF_FONT"] = "/nonexistent/from-env.ttf";
    try {
      await assert.rejects(renderLabReport(small), (error: unknown) => isPlatformError(error, "INTERNAL") && error.details["fontPath"] === "/nonexistent/from-env.ttf");
    } finally {
      if (saved === undefined) delete process.env["EQA_PDF_FONT"];
      else process.env["EQA_PDF_FONT"] = saved;
    }
  });

  it("refuses a file that is not a font, naming it", async () => {
    await assert.rejects(renderLabReport(small, { fontPath: new URL(import.meta.url).pathname }), (error: unknown) => isPlatformError(error, "INTERNAL") && error.details["reason"] === "FONT_UNUSABLE");
  });

  it("refuses malformed data with INVALID_INPUT naming the field", async () => {
    const bad = structuredClone(small) as unknown as { analytes: { decimals: number; rows: { score: unknown }[] }[] };
    bad.analytes[1]!.decimals = -1;
    bad.analytes[0]!.rows[0]!.score = Number.NaN;
    await assert.rejects(renderLabReport(bad as unknown as LabReportData), (error: unknown) => {
      assert.ok(isPlatformError(error, "INVALID_INPUT"));
      assert.match(error.message, /analytes\[A02\]\.decimals/);
      assert.match(error.message, /analytes\[A01\]\.rows\[\d+\]\.score/);
      assert.match(error.messageZh, /数据无效/);
      return true;
    });
  });
});

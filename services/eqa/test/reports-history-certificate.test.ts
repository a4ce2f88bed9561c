// The history report and the certificates, read back with pdftotext, pdfinfo and zbarimg.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isPlatformError } from "@health-chain/sdk";
import { renderCertificate, renderHistoryReport } from "../src/reports/index.ts";
import type { CertificateData } from "../src/reports/index.ts";
import { VERIFY_URL, certificate, decodeQrCodes, historyReport, pageTexts, pdfInfo } from "./reports-fixtures.ts";

describe("history report", () => {
  it("shows the three rounds oldest to newest with each analyte's verdict and scores", async () => {
    const data = historyReport(); // rounds given newest first
    const pages = pageTexts(await renderHistoryReport(data));
    const text = pages.join("\n");
    const header = text.split("\n").find((line) => line.includes("项目 Analyte"));
    assert.ok(header !== undefined);
    assert.ok(header.indexOf("2024-1 轮") < header.indexOf("2024-2 轮") && header.indexOf("2024-2 轮") < header.indexOf("2025-1 轮"), header);
    // GLU: scores 0.4 + shift and −0.7 + shift for shifts 0, 0.5, 2.3; failed in the newest round.
    assert.ok(text.includes("0.40 / -0.70") && text.includes("0.90 / -0.20") && text.includes("2.70 / 1.60"));
    assert.ok(text.includes("不合格 Failed") && text.includes("合格 Passed"));
    // K's second score was not computable: the reason, not a number.
    assert.ok(text.includes("1.10 / 不可计算"));
    assert.ok(text.includes("100.0%") && text.includes("50.0%"));
    pages.forEach((page, i) => assert.ok(page.includes(`第 ${i + 1} 页 / 共 ${pages.length} 页`)));
  });

  it("is deterministic and its QR code decodes to the verification page", async () => {
    const first = await renderHistoryReport(historyReport());
    const second = await renderHistoryReport(historyReport());
    assert.ok(Buffer.from(first).equals(Buffer.from(second)));
    assert.deepEqual(decodeQrCodes(first, 1), [VERIFY_URL]);
  });

  it("marks an analyte missing from a round as not in that round", async () => {
    const data = historyReport();
    data.rounds[2]!.analytes = data.rounds[2]!.analytes.filter((a) => a.code !== "K");
    const text = pageTexts(await renderHistoryReport(data)).join("\n");
    assert.ok(text.includes("未参加 Not in round"));
  });

  it("refuses more than three rounds", async () => {
    const data = historyReport();
    data.rounds.push(data.rounds[0]!);
    await assert.rejects(renderHistoryReport(data), (error: unknown) => isPlatformError(error, "INVALID_INPUT") && /rounds/.test(error.message));
  });
});

describe("certificates", () => {
  for (const kind of ["general", "trueness"] as const) {
    it(`${kind}: one page with the lab, every analyte, validity, number, signatory and how to verify`, async () => {
      const data = certificate(kind, 50);
      const bytes = await renderCertificate(data);
      assert.equal(pdfInfo(bytes)["Pages"], "1");
      const text = pageTexts(bytes).join("\n");
      for (const expected of ["第一人民医院检验科", "LAB-0427", data.document.number, "张医生 Dr Zhang", "2025-07-01", "2026-06-30", "SM3", kind === "general" ? "室间质评合格证书" : "正确度验证合格证书"]) {
        assert.ok(text.includes(expected), `missing ${expected}`);
      }
      for (const analyte of data.analytes) {
        assert.ok(text.includes(`${analyte.code} 检测项目`), `missing ${analyte.code}`);
        if (analyte.detail !== undefined) assert.ok(text.includes(analyte.detail), `missing ${analyte.detail}`);
      }
    });
  }

  it("is deterministic and its QR code decodes to the verification page", async () => {
    const first = await renderCertificate(certificate("general"));
    assert.ok(Buffer.from(first).equals(Buffer.from(await renderCertificate(certificate("general")))));
    assert.deepEqual(decodeQrCodes(first, 1), [VERIFY_URL]);
  });

  it("refuses a list of analytes too long for one page rather than printing a second page", async () => {
    await assert.rejects(renderCertificate(certificate("trueness", 400)), (error: unknown) => isPlatformError(error, "INVALID_INPUT") && error.details["field"] === "analytes");
  });

  it("refuses a validity that ends before it starts", async () => {
    const data: CertificateData = { ...certificate("general"), validFrom: "2026-07-01", validUntil: "2025-06-30" };
    await assert.rejects(renderCertificate(data), (error: unknown) => isPlatformError(error, "INVALID_INPUT") && /validUntil/.test(error.message));
  });
});

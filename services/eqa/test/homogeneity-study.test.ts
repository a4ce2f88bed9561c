// The homogeneity/stability study: evaluation, refusal of bad input, and the PDF report read back
// with pdftotext and zbarimg. Expected values derived by hand in the comments, the Welch figures
// cross-checked with SciPy 1.17 (scipy.stats.ttest_ind(..., equal_var=False)).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isPlatformError } from "@health-chain/sdk";
import { evaluateStudy } from "../src/homogeneity/index.ts";
import type { HomogeneityStudyInput } from "../src/homogeneity/index.ts";
import { renderHomogeneityReport } from "../src/reports/index.ts";
import type { HomogeneityReportData } from "../src/reports/index.ts";
import { assertClose, assertInvalidInput } from "./helpers.ts";
import { VERIFY_URL, decodeQrCodes, pageTexts } from "./reports-fixtures.ts";

// Homogeneity, 3 tubes × 2 replicates:
//   T01 10.0 10.2 → mean 10.1, s² = (0.1² + 0.1²)/1 = 0.02
//   T02 10.4 10.4 → mean 10.4, s² = 0
//   T03  9.9 10.3 → mean 10.1, s² = (0.2² + 0.2²)/1 = 0.08
//   x̿ = 10.2; s_x² = (0.01 + 0.04 + 0.01)/2 = 0.03 → s_x = 0.173205
//   s_w² = (0.02 + 0 + 0.08)/3 = 0.033333 → s_w = 0.182574
//   s_s² = 0.03 − 0.033333/2 = 0.013333 → s_s = 0.115470
//   F = m s_x² / s_w² = 0.06 / 0.033333 = 1.8
//   σpt = 0.5 → 0.3σpt = 0.15 ≥ 0.1155: homogeneous. With σpt = 0.3 → 0.09 < 0.1155: not.
// Stability: before 10.0 10.2 10.4 (x̄ = 10.2, s² = 0.04), after 10.0 10.1 10.2 (ȳ = 10.1, s² = 0.01)
//   |x̄ − ȳ| = 0.1 ≤ 0.15: stable. Welch: t = 0.1 / sqrt(0.04/3 + 0.01/3) = 0.774597,
//   df = (0.016667)² / ((0.013333)²/2 + (0.003333)²/2) = 2.941176, p = 0.496055 (SciPy).
function study(): HomogeneityStudyInput {
  return {
    round: { code: "2025-1", name: "2025 年第 1 次" },
    analytes: [
      {
        code: "GLU",
        name: "葡萄糖",
        nameEn: "Glucose",
        unit: "mmol/L",
        sigmaPt: { value: 0.5, basis: "fitnessPercent 5% of x_pt" },
        homogeneity: {
          samples: [
            { sample: "T01", replicates: [10.0, 10.2] },
            { sample: "T02", replicates: [10.4, 10.4] },
            { sample: "T03", replicates: [9.9, 10.3] },
          ],
          measuredAt: "2025-03-01",
        },
        stability: {
          before: { measuredAt: "2025-03-01", values: [10.0, 10.2, 10.4] },
          after: { measuredAt: "2025-03-20", values: [10.0, 10.1, 10.2] },
          storage: "2–8 °C, 19 days",
        },
      },
    ],
  };
}

function reportData(input: HomogeneityStudyInput = study()): HomogeneityReportData {
  return {
    centre: { name: "上海市临床检验中心", nameEn: "Shanghai Centre for Clinical Laboratory" },
    document: { number: "HS-2025-1-001", issuedAt: "2025-03-25T10:00:00+08:00", verifyUrl: VERIFY_URL },
    study: input,
    preparedBy: "李技师 Li",
  };
}

describe("evaluateStudy", () => {
  it("computes the ANOVA homogeneity figures, the stability criterion and the Welch t-test of the worked example", () => {
    const result = evaluateStudy(study());
    const glu = result.analytes[0]!;
    const h = glu.homogeneity!;
    assert.equal(h.samples, 3);
    assert.equal(h.replicates, 2);
    assertClose(h.grandMean, 10.2, 1e-12);
    assertClose(h.sx, Math.sqrt(0.03), 1e-12);
    assertClose(h.sw, Math.sqrt(0.1 / 3), 1e-12);
    assertClose(h.ss, 0.1154701, 1e-7);
    assert.ok(h.f.computable);
    assertClose(h.f.value, 1.8, 1e-9);
    assertClose(h.limit, 0.15, 1e-12);
    assert.equal(h.homogeneous, true);
    assert.equal(h.ssClippedToZero, false);
    const s = glu.stability!;
    assertClose(s.difference, 0.1, 1e-12);
    assert.equal(s.stable, true);
    assert.ok(s.tTest.computable);
    assertClose(s.tTest.t, 0.7745967, 1e-6);
    assertClose(s.tTest.df, 2.941176, 1e-6);
    assertClose(s.tTest.pValue, 0.4960554, 1e-4);
    assert.equal(glu.conclusion.acceptable, true);
    assert.equal(result.overall.acceptable, true);
    assert.match(result.overall.sentences.en.join(" "), /The samples of the analyte are adequately homogeneous and stable/);
    assert.match(result.overall.sentences.zh.join(""), /均匀性和稳定性均符合要求/);
  });

  it("fails the round when one analyte's s_s exceeds 0.3σpt, and names what was not studied", () => {
    const input = study();
    const glu = input.analytes[0]!;
    input.analytes = [
      { ...glu, sigmaPt: { value: 0.3, basis: "fixed" } }, // 0.3σpt = 0.09 < s_s = 0.115; |x̄ − ȳ| = 0.1 > 0.09
      { code: "K", name: "钾", sigmaPt: { value: 0.2, basis: "fixed" }, homogeneity: glu.homogeneity! }, // no stability
    ];
    const result = evaluateStudy(input);
    assert.equal(result.analytes[0]!.homogeneity!.homogeneous, false);
    assert.equal(result.analytes[0]!.stability!.stable, false);
    assert.equal(result.analytes[1]!.stability, undefined);
    assert.equal(result.overall.acceptable, false);
    assert.deepEqual(result.overall.notHomogeneous, ["GLU", "K"]); // K: 0.06 < 0.115
    assert.deepEqual(result.overall.notStable, ["GLU"]);
    assert.deepEqual(result.overall.stabilityNotStudied, ["K"]);
    assert.match(result.overall.sentences.en.join(" "), /Stability not studied for: K/);
  });

  it("reports F and the t-test as not computable, with reasons, when the variances are zero", () => {
    const input = study();
    const glu = input.analytes[0]!;
    glu.homogeneity = { samples: [{ sample: "A", replicates: [5, 5] }, { sample: "B", replicates: [5, 5] }] };
    glu.stability = { ...glu.stability!, before: { measuredAt: "2025-03-01", values: [5, 5] }, after: { measuredAt: "2025-03-02", values: [5, 5] } };
    const result = evaluateStudy(input).analytes[0]!;
    const f = result.homogeneity!.f;
    assert.equal(f.computable, false);
    assert.ok(!f.computable && /within-sample variance is 0/.test(f.reason.en) && /方差为 0/.test(f.reason.zh));
    assert.equal("value" in f, false);
    assert.equal(result.stability!.tTest.computable, false);
    assert.equal(result.homogeneity!.homogeneous, true); // s_s = 0 ≤ 0.15
  });

  it("flags a negative between-sample variance estimate clipped to s_s = 0", () => {
    // means 11 12 13 → s_x² = 1; pairs differ by 2 → s_w² = 2; s_x² − s_w²/2 = 0 is not < 0; make it negative:
    // pairs differ by 4 → s_t² = 8, s_w² = 8; 1 − 8/2 = −3 < 0 → s_s = 0.
    const input = study();
    input.analytes[0]!.homogeneity = { samples: [{ sample: "A", replicates: [9, 13] }, { sample: "B", replicates: [10, 14] }, { sample: "C", replicates: [11, 15] }] };
    const h = evaluateStudy(input).analytes[0]!.homogeneity!;
    assert.equal(h.ss, 0);
    assert.equal(h.ssClippedToZero, true);
  });

  it("refuses bad input with INVALID_INPUT naming the fields", () => {
    const cases: [string, (s: HomogeneityStudyInput) => void, RegExp][] = [
      ["unequal replicates", (s) => s.analytes[0]!.homogeneity!.samples[1]!.replicates.push(10.3), /analytes\[GLU\]\.homogeneity\.samples\[T02\]\.replicates/],
      ["one sample", (s) => s.analytes[0]!.homogeneity!.samples.splice(1), /analytes\[GLU\]\.homogeneity\.samples/],
      ["non-positive σpt", (s) => (s.analytes[0]!.sigmaPt.value = 0), /analytes\[GLU\]\.sigmaPt\.value/],
      ["one stability value", (s) => s.analytes[0]!.stability!.after.values.splice(1), /analytes\[GLU\]\.stability\.after\.values/],
      ["after dated before before", (s) => (s.analytes[0]!.stability!.after.measuredAt = "2025-02-01"), /analytes\[GLU\]\.stability\.after\.measuredAt/],
      ["no data at all", (s) => { delete s.analytes[0]!.homogeneity; delete s.analytes[0]!.stability; }, /analytes\[GLU\]\.homogeneity/],
      ["duplicate tube", (s) => (s.analytes[0]!.homogeneity!.samples[2]!.sample = "T01"), /duplicate sample id T01/],
      ["NaN measurement", (s) => (s.analytes[0]!.homogeneity!.samples[0]!.replicates[0] = Number.NaN), /samples\[T01\]\.replicates\[0\]/],
    ];
    for (const [name, mutate, field] of cases) {
      const input = study();
      mutate(input);
      assertInvalidInput(() => evaluateStudy(input));
      assert.throws(() => evaluateStudy(input), (error: unknown) => isPlatformError(error, "INVALID_INPUT") && field.test(error.message), name);
    }
  });
});

describe("renderHomogeneityReport", () => {
  it("is deterministic, and its QR code decodes to the verification page", async () => {
    const first = await renderHomogeneityReport(reportData());
    const second = await renderHomogeneityReport(reportData());
    assert.ok(Buffer.from(first).equals(Buffer.from(second)));
    assert.deepEqual(decodeQrCodes(first, 1), [VERIFY_URL]);
  });

  it("prints the tables' figures, the verdicts, the conclusions, page numbers and the signature line", async () => {
    const pages = pageTexts(await renderHomogeneityReport(reportData()));
    const text = pages.join("\n");
    // Worked example at four significant figures: s_x 0.1732, s_w 0.1826, s_s 0.1155, F 1.80, t 0.775, df 2.9, p 0.496.
    for (const expected of ["10.200", "0.1732", "0.1826", "0.1155", "0.1500", "1.80", "0.775", "2.9", "0.496", "10.100", "符合要求 Adequate", "差异不显著"]) {
      assert.ok(text.includes(expected), `missing ${expected}`);
    }
    assert.match(text, /样品均匀性符合要求/);
    assert.match(text, /The samples are adequately stable/);
    assert.match(text, /总体结论 Overall conclusion/);
    assert.match(text, /全部 1 个项目的样品均匀性和稳定性均符合要求/);
    assert.match(text, /编制 Prepared by:.*李技师 Li/);
    assert.ok(text.includes("fitnessPercent 5% of x_pt") && text.includes("2–8 °C, 19 days"));
    pages.forEach((page, i) => assert.ok(page.includes(`第 ${i + 1} 页 / 共 ${pages.length} 页`)));
  });

  it("prints a not-computable statistic as text with its reason, never a number", async () => {
    const input = study();
    input.analytes[0]!.homogeneity = { samples: [{ sample: "A", replicates: [5, 5] }, { sample: "B", replicates: [5, 5] }] };
    input.analytes[0]!.stability!.before.values = [5, 5];
    input.analytes[0]!.stability!.after.values = [5, 5];
    const text = pageTexts(await renderHomogeneityReport(reportData(input))).join("\n");
    assert.ok(text.includes("不可计算 not computable: F 值不可计算"));
    assert.ok(text.includes("不可计算 not computable: 无法进行 t 检验"));
    assert.ok(!/Infinity|NaN/.test(text));
  });

  it("prints a failed verdict in the overall conclusion", async () => {
    const input = study();
    input.analytes[0]!.sigmaPt.value = 0.3;
    const text = pageTexts(await renderHomogeneityReport(reportData(input))).join("\n");
    assert.ok(text.includes("不符合要求 Not adequate"));
    assert.match(text, /均匀性不符合要求：GLU/);
  });

  it("refuses bad report data with the field named", async () => {
    const data = reportData();
    data.document = { ...data.document, verifyUrl: "not a url" };
    await assert.rejects(renderHomogeneityReport(data), (error: unknown) => isPlatformError(error, "INVALID_INPUT") && /document\.verifyUrl/.test(error.message));
  });
});

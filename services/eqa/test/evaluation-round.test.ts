// Round-level behaviour: scheme provenance, collusion, consistency, determinism, the Excel export and
// refusal of bad input.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import ExcelJS from "exceljs";
import { collusionCheck, consistencyCheck, evaluateRound, exportSummariesXlsx, resolveSchemes } from "../src/evaluation/index.ts";
import type { RoundInput } from "../src/evaluation/index.ts";
import type { EvaluationScheme } from "../src/types.ts";
import { assertInvalidInput } from "./helpers.ts";
import { labsOf, MEDIAN_MADE, quantitative, quantitativeAnalyte, round } from "./evaluation-fixtures.ts";

describe("resolveSchemes", () => {
  const defined = quantitativeAnalyte("GLU", MEDIAN_MADE);
  const other = quantitativeAnalyte("K", MEDIAN_MADE);
  const third = quantitativeAnalyte("NA", MEDIAN_MADE);
  const previous: EvaluationScheme = { ...MEDIAN_MADE, score: "allowedRange", allowed: { percent: 10 } };
  const override: EvaluationScheme = { ...MEDIAN_MADE, sigma: "niqr" };

  it("reuses the previous round's scheme, and an override wins and is recorded", () => {
    const resolved = resolveSchemes([third, other, defined], { GLU: previous, K: previous }, [
      { analyte: "K", scheme: override, reason: "新批号", actor: "qc-admin", at: "2024-06-01T08:00:00Z" },
    ]);
    assert.deepEqual(resolved.provenance, { GLU: "previousRound", K: "override", NA: "definition" });
    assert.deepEqual(resolved.schemes.GLU, previous);
    assert.equal(resolved.schemes.K?.sigma, "niqr");
    assert.equal(resolved.overrides[0]?.actor, "qc-admin");
  });

  it("refuses an override without a reason or of an unknown analyte", () => {
    assertInvalidInput(() => resolveSchemes([defined], undefined, [{ analyte: "GLU", scheme: override, reason: " ", actor: "a", at: "2024-06-01" }]));
    assertInvalidInput(() => resolveSchemes([defined], undefined, [{ analyte: "X", scheme: override, reason: "r", actor: "a", at: "2024-06-01" }]));
  });
});

describe("collusion check", () => {
  it("flags labs with identical complete result sets of ≥ 5 quantitative results", () => {
    const set = (lab: string, values: number[]) => values.map((v, i) => quantitative(lab, `A${i}`, "S1", v));
    const results = [
      ...set("L1", [1, 2, 3, 4, 5]),
      ...set("L7", [1, 2, 3, 4, 5]),
      ...set("L3", [1, 2, 3, 4, 5]),
      ...set("L4", [1, 2, 3, 4, 6]), // one value differs
      ...set("L5", [1, 2, 3, 4]), // identical pair with only 4 results: not flagged
      ...set("L6", [1, 2, 3, 4]),
    ];
    assert.deepEqual(collusionCheck(results), [{ labCodes: ["L1", "L3", "L7"], identicalResults: 5 }]);
  });
});

describe("consistency check", () => {
  it("is green when submitted, stored and reported counts agree, red with the differences otherwise", () => {
    const counts = { labs: 3, results: 10 };
    assert.equal(consistencyCheck({ submitted: counts, stored: counts, reported: counts }).status, "green");
    const red = consistencyCheck({ submitted: counts, stored: { labs: 3, results: 12 }, reported: counts });
    assert.deepEqual([red.status, red.differences], ["red", [{ what: "results", submitted: 10, stored: 12, reported: 10 }]]);
  });

  it("counts only submitted labs' results as stored: a draft of a lab that has not submitted stays out and green", () => {
    const results = [1, 2, 3, 4].map((v, i) => quantitative(`L${i}`, "GLU", "S1", v));
    const input = round({ analytes: [quantitativeAnalyte("GLU", MEDIAN_MADE)], results });
    assert.equal(evaluateRound(input).consistency.status, "green");
    const draft = { ...input, labs: input.labs.map((lab) => (lab.code === "L3" ? { ...lab, submitted: false } : lab)) };
    const evaluation = evaluateRound(draft);
    // L3's result is a draft: submitted 3 labs / 3 results, stored (submitted labs) 3 / 3, reported 3 / 3.
    assert.equal(evaluation.consistency.status, "green");
    assert.deepEqual(evaluation.consistency.stored, { labs: 3, results: 3 });
    assert.deepEqual(evaluation.summaries.nonSubmission.map((l) => l.labCode), ["L3"]);
  });

  it("takes the submitted side from the declared counts: a result declared but missing from the input turns it red", () => {
    const results = [1, 2, 3, 4].map((v, i) => quantitative(`L${i}`, "GLU", "S1", v));
    const input = round({ analytes: [quantitativeAnalyte("GLU", MEDIAN_MADE)], results });
    assert.equal(evaluateRound({ ...input, declared: { labs: 4, results: 4 } }).consistency.status, "green");
    // Labs declared 5 results on submission; 4 reached the evaluation → red, results 5 / 4 / 4.
    const lost = evaluateRound({ ...input, declared: { labs: 4, results: 5 } }).consistency;
    assert.equal(lost.status, "red");
    assert.deepEqual(lost.differences, [{ what: "results", submitted: 5, stored: 4, reported: 4 }]);
    assertInvalidInput(() => evaluateRound({ ...input, declared: { labs: 4, results: -1 } }));
  });
});

/** A seeded round of 40 labs × 3 analytes × 2 samples with two instruments (mulberry32). */
function seededRound(): RoundInput {
  let a = 7;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const scheme: EvaluationScheme = {
    assignedValue: "algorithmA",
    sigma: "robustS",
    outliers: { test: "grubbsIterated", alpha: 0.05 },
    score: "z",
    peerGroups: { by: ["instrument"], minSize: 15 },
  };
  const analytes = ["A", "B", "C"].map((code) => quantitativeAnalyte(code, scheme));
  const results = [];
  for (let lab = 0; lab < 40; lab++) {
    for (const analyte of analytes) {
      for (const sample of ["S1", "S2"]) {
        results.push(quantitative(`L${lab}`, analyte.code, sample, Math.round((10 + random() * 2 + (random() < 0.05 ? 5 : 0)) * 100) / 100, { instrument: lab % 4 === 0 ? "X" : "Y" }));
      }
    }
  }
  return round({ analytes, results, labs: labsOf(Array.from({ length: 41 }, (_, i) => `L${i}`)).map((l) => (l.code === "L40" ? { ...l, submitted: false } : l)) });
}

describe("determinism", () => {
  it("gives a deep-equal evaluation for the same round given in another order", () => {
    const input = seededRound();
    const shuffled: RoundInput = { ...input, results: [...input.results].reverse(), labs: [...input.labs].reverse(), analytes: [...input.analytes].reverse() };
    const first = evaluateRound(input);
    assert.deepEqual(evaluateRound(shuffled), first);
    assert.deepEqual(JSON.parse(JSON.stringify(first)), first); // JSON-serialisable as it is
    // instrument X has 10 labs < minSize 15: its labs fall back to all methods
    assert.ok(first.scores.filter((s) => s.fallback !== undefined).length === 60);
  });
});

describe("Excel export", () => {
  it("writes one sheet per summary with Chinese and English headers and numeric cells", async () => {
    const input = seededRound();
    const evaluation = evaluateRound(input);
    const buffer = await exportSummariesXlsx(evaluation, { analytes: input.analytes, labs: input.labs.map((l) => ({ code: l.code, name: `实验室${l.code}` })) });
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
    assert.equal(workbook.worksheets.length, 8);
    const cv = workbook.getWorksheet("CV表 CV table");
    assert.ok(cv);
    assert.equal(cv.getCell("A1").value, "项目代码");
    assert.equal(cv.getCell("A2").value, "Analyte code");
    const row = evaluation.summaries.cvTable[0];
    assert.equal(cv.getCell("E3").value, row?.n);
    assert.equal(cv.getCell("F3").value, row?.mean);
    assert.equal(cv.getCell("F3").numFmt, "0.00"); // the analyte's 2 decimals
    const missing = workbook.getWorksheet("未回报 Non-submission");
    assert.equal(missing?.getCell("B3").value, "实验室L40");
  });
});

describe("bad input", () => {
  it("refuses duplicate results, unknown labs and a missing fitness σ with INVALID_INPUT", () => {
    const input = round({ analytes: [quantitativeAnalyte("GLU", MEDIAN_MADE)], results: [1, 2, 3].map((v, i) => quantitative(`L${i}`, "GLU", "S1", v)) });
    assertInvalidInput(() => evaluateRound({ ...input, results: [...input.results, quantitative("L0", "GLU", "S1", 9)] }));
    assertInvalidInput(() => evaluateRound({ ...input, results: [...input.results, quantitative("LX", "GLU", "S1", 9)] }));
    assertInvalidInput(() => evaluateRound({ ...input, schemes: { GLU: { ...MEDIAN_MADE, sigma: "fitnessPercent" } } }));
  });
});

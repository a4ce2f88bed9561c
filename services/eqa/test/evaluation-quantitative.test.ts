// Quantitative evaluation on hand-derived rounds. Sources: ISO 13528:2015 (7.7.3 u(x_pt), 9.2 the 0.3 σpt
// check, 9.4–9.7 scores), Grubbs (1969) two-sided critical value table (n = 6, α = 0.05: 1.887); the
// reticulocyte allowed range as the issue states the Chinese national scheme's rule.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluateRound } from "../src/evaluation/index.ts";
import type { RoundEvaluation, Score } from "../src/evaluation/index.ts";
import type { EvaluationScheme } from "../src/types.ts";
import { assertClose } from "./helpers.ts";
import { MEDIAN_MADE, quantitative, quantitativeAnalyte, round } from "./evaluation-fixtures.ts";

function scoreOf(evaluation: RoundEvaluation, lab: string, sample = "S1", analyte = "GLU"): Score {
  const score = evaluation.scores.find((s) => s.labCode === lab && s.sampleCode === sample && s.analyteCode === analyte);
  assert.ok(score, `score of ${lab} ${analyte} ${sample}`);
  return score;
}

describe("quantitative cells and z scores", () => {
  it("median / MADe assigned value and σpt, z judgements and the u(x_pt) ≤ 0.3 σpt warning", () => {
    const values = { L1: 9.8, L2: 10.0, L3: 10.1, L4: 10.2, L5: 12.0 };
    const evaluation = evaluateRound(
      round({
        analytes: [quantitativeAnalyte("GLU", MEDIAN_MADE)],
        results: Object.entries(values).map(([lab, v]) => quantitative(lab, "GLU", "S1", v)),
      }),
    );
    const cell = evaluation.cells[0];
    assert.ok(cell?.statistics);
    // median 10.1; |x − 10.1| = 0.3 0.1 0 0.1 1.9 → MAD 0.1 → MADe 0.1483
    assertClose(cell.statistics.assignedValue.value, 10.1, 1e-12);
    assertClose(cell.statistics.sigmaPt?.value ?? NaN, 0.1483, 1e-12);
    // u = 1.25 × 0.1483 / √5 = 0.082900 > 0.3 × 0.1483 = 0.04449 → warning printed
    assertClose(cell.statistics.uncertainty.value ?? NaN, (1.25 * 0.1483) / Math.sqrt(5), 1e-12);
    assert.equal(cell.statistics.uncertainty.check?.ok, false);
    assert.match(cell.statistics.uncertainty.check?.warning?.zh ?? "", /0\.3 σpt/);
    // z(12.0) = 1.9 / 0.1483 = 12.81; z(9.8) = −0.3 / 0.1483 = −2.023; z(10.0) = −0.674
    assert.equal(scoreOf(evaluation, "L5").judgement, "unsatisfactory");
    assertClose(scoreOf(evaluation, "L2").score ?? NaN, -0.1 / 0.1483, 1e-9);
    assert.equal(scoreOf(evaluation, "L1").judgement, "questionable");
    assert.equal(scoreOf(evaluation, "L1").acceptable, false);
    assert.equal(scoreOf(evaluation, "L2").judgement, "satisfactory");
    // plain mean 52.1/5 = 10.42
    assertClose(cell.statistics.plain.mean, 10.42, 1e-12);
  });

  it("removes a Grubbs outlier before the consensus, reports why, and still scores the removed lab", () => {
    const scheme: EvaluationScheme = { ...MEDIAN_MADE, outliers: { test: "grubbsIterated", alpha: 0.05 }, minResults: 5 };
    const values = [10.0, 10.1, 9.9, 10.2, 9.8, 15.0];
    const evaluation = evaluateRound(
      round({ analytes: [quantitativeAnalyte("GLU", scheme)], results: values.map((v, i) => quantitative(`L${i + 1}`, "GLU", "S1", v)) }),
    );
    const cell = evaluation.cells[0];
    assert.ok(cell?.statistics);
    // mean 10.8333, s = 2.04614, G = 4.1667 / 2.04614 = 2.0364 > G_crit(6, 0.05) = 1.887 (Grubbs 1969 table)
    assert.equal(cell.screening.removed.length, 1);
    const removed = cell.screening.removed[0];
    assert.equal(removed?.labCode, "L6");
    assert.equal(removed?.value, 15);
    assertClose(removed?.statistic ?? NaN, 2.0364, 5e-4);
    assertClose(removed?.critical ?? NaN, 1.887, 5e-4);
    assert.match(removed?.reason.zh ?? "", /离群/);
    // the rest 9.8..10.2: median 10.0, MAD 0.1 → MADe 0.1483; z(15) = 5 / 0.1483
    assert.deepEqual(cell.values, [9.8, 9.9, 10.0, 10.1, 10.2]);
    const outlier = scoreOf(evaluation, "L6");
    assert.equal(outlier.outlier, true);
    assertClose(outlier.score ?? NaN, 5 / 0.1483, 1e-9);
    assert.equal(outlier.judgement, "unsatisfactory");
  });

  it("a peer group below minSize falls back to all methods, recorded per score", () => {
    const scheme: EvaluationScheme = { ...MEDIAN_MADE, peerGroups: { by: ["instrument"], minSize: 3 } };
    const results = [
      quantitative("L1", "GLU", "S1", 10.0, { instrument: "A" }),
      quantitative("L2", "GLU", "S1", 10.2, { instrument: "A" }),
      quantitative("L3", "GLU", "S1", 10.4, { instrument: "A" }),
      quantitative("L4", "GLU", "S1", 10.6, { instrument: "A" }),
      quantitative("L5", "GLU", "S1", 11.0, { instrument: "B" }),
      quantitative("L6", "GLU", "S1", 11.4, { instrument: "B" }),
      quantitative("L7", "GLU", "S1", 10.5, {}),
    ];
    const evaluation = evaluateRound(round({ analytes: [quantitativeAnalyte("GLU", scheme)], results }));
    assert.deepEqual(
      evaluation.cells.map((c) => c.group),
      ["all", "instrument=A", "instrument=B"],
    );
    assert.equal(evaluation.cells[2]?.notComputable?.code, "groupTooSmall");
    assert.equal(evaluation.cells[2]?.statistics, null);
    // group A: median 10.3, |dev| 0.3 0.1 0.1 0.3 → MAD 0.2 → MADe 0.2966; z(10.6) = 0.3 / 0.2966
    const l4 = scoreOf(evaluation, "L4");
    assert.equal(l4.group, "instrument=A");
    assertClose(l4.score ?? NaN, 0.3 / 0.2966, 1e-9);
    // all 7: median 10.5, |dev| 0.5 0.3 0.1 0.1 0.5 0.9 0 → MAD 0.3 → MADe 0.4449; z(11.4) = 0.9 / 0.4449
    const l6 = scoreOf(evaluation, "L6");
    assert.equal(l6.group, "all");
    assert.equal(l6.fallback?.from, "instrument=B");
    assertClose(l6.score ?? NaN, 0.9 / 0.4449, 1e-9);
    const l7 = scoreOf(evaluation, "L7");
    assert.equal(l7.group, "all");
    assert.equal(l7.fallback?.from, "(unspecified)");
  });

  it("reports too few results and zero spread as not computable, never as numbers", () => {
    const algorithmA: EvaluationScheme = { assignedValue: "algorithmA", sigma: "robustS", outliers: { test: "none", alpha: 0.05 }, score: "z" };
    const few = evaluateRound(
      round({ analytes: [quantitativeAnalyte("GLU", algorithmA)], results: [1, 2, 3, 4, 5].map((v, i) => quantitative(`L${i}`, "GLU", "S1", v)) }),
    );
    // default minimum for algorithm A is 12 (ISO 13528): 5 results are too few
    assert.equal(few.cells[0]?.notComputable?.code, "tooFewResults");
    assert.equal(few.cells[0]?.statistics, null);
    assert.ok(few.scores.every((s) => s.judgement === "notEvaluated" && s.score === null && s.notEvaluated?.code === "cellNotComputable"));
    assert.equal(few.summaries.cvTable[0]?.mean, null);
    assert.equal(few.labAnalytes[0]?.status, "notEvaluated");

    const flat = evaluateRound(
      round({ analytes: [quantitativeAnalyte("GLU", MEDIAN_MADE)], results: [5, 5, 5, 5, 6].map((v, i) => quantitative(`L${i}`, "GLU", "S1", v)) }),
    );
    // median 5, |dev| 0 0 0 0 1 → MAD 0 → σpt 0
    assert.equal(flat.cells[0]?.notComputable?.code, "zeroSpread");
    assert.match(flat.cells[0]?.notComputable?.messageZh ?? "", /无法计算/);
  });
});

describe("other quantitative scores", () => {
  const reference = (scheme: Partial<EvaluationScheme>): EvaluationScheme => ({
    assignedValue: "reference",
    sigma: "fitnessAbsolute",
    sigmaValue: 0.6,
    outliers: { test: "grubbs", alpha: 0.05 },
    score: "z",
    ...scheme,
  });

  it("allowedRange: |x − x_pt| ≤ max(percent × |x_pt|, absolute), boundary included", () => {
    const scheme = reference({ score: "allowedRange", allowed: { percent: 10, absolute: 0.3 } });
    const evaluation = evaluateRound(
      round({
        analytes: [quantitativeAnalyte("GLU", scheme)],
        samples: [{ code: "S1", expected: { GLU: { type: "quantitative", value: 4.0 } } }],
        results: [quantitative("L1", "GLU", "S1", 4.4), quantitative("L2", "GLU", "S1", 4.41), quantitative("L3", "GLU", "S1", 3.6)],
      }),
    );
    // half-width max(0.4, 0.3) = 0.4 → range 3.6 .. 4.4
    assert.equal(scoreOf(evaluation, "L1").judgement, "pass");
    assertClose(scoreOf(evaluation, "L1").biasPercent ?? NaN, 10, 1e-9);
    assert.equal(scoreOf(evaluation, "L2").judgement, "fail");
    assert.equal(scoreOf(evaluation, "L3").judgement, "pass");
    assertClose(scoreOf(evaluation, "L3").allowed?.halfWidth ?? NaN, 0.4, 1e-12);
    // a reference value: no outlier screening (not a consensus)
    assert.equal(evaluation.cells[0]?.screening.applied, false);
  });

  it("zeta and En use the lab's uncertainty; without it the result is not evaluated", () => {
    const expected = { GLU: { type: "quantitative" as const, value: 10, uncertainty: 0.3 } };
    const run = (score: EvaluationScheme["score"]) =>
      evaluateRound(
        round({
          analytes: [quantitativeAnalyte("GLU", reference({ score }))],
          samples: [{ code: "S1", expected }],
          results: [quantitative("L1", "GLU", "S1", 10.8, {}, 0.4), quantitative("L2", "GLU", "S1", 10.8)],
        }),
      );
    // ζ = 0.8 / √(0.4² + 0.3²) = 1.6; En = 0.8 / √(0.8² + 0.6²) = 0.8 (k = 2)
    assertClose(scoreOf(run("zeta"), "L1").score ?? NaN, 1.6, 1e-12);
    assertClose(scoreOf(run("En"), "L1").score ?? NaN, 0.8, 1e-12);
    assert.equal(scoreOf(run("En"), "L1").judgement, "satisfactory");
    assert.equal(scoreOf(run("zeta"), "L2").notEvaluated?.code, "noUncertainty");
    // u(x_pt) from the reference: 0.3 ≤ 0.3 × σpt? σpt = 0.6 / 3 = 0.2 → 0.3 > 0.06: warning
    assert.equal(run("z").cells[0]?.statistics?.uncertainty.check?.ok, false);
  });

  it("log10 schemes evaluate log10(value) and refuse values ≤ 0", () => {
    const scheme = reference({ sigmaValue: 0.3, log10: true });
    const evaluation = evaluateRound(
      round({
        analytes: [quantitativeAnalyte("HBV", scheme)],
        samples: [{ code: "S1", expected: { HBV: { type: "quantitative", value: 1000 } } }],
        results: [quantitative("L1", "HBV", "S1", 2000), quantitative("L2", "HBV", "S1", 0)],
      }),
    );
    // x_pt = log10 1000 = 3, σpt = 0.3 / 3 = 0.1; z = (log10 2000 − 3) / 0.1 = 3.0103
    const l1 = scoreOf(evaluation, "L1", "S1", "HBV");
    assertClose(l1.value ?? NaN, Math.log10(2000), 1e-12);
    assertClose(l1.score ?? NaN, 3.0103, 1e-4);
    assert.equal(l1.judgement, "unsatisfactory");
    assert.equal(scoreOf(evaluation, "L2", "S1", "HBV").notEvaluated?.code, "nonPositiveForLog");
  });

  it("pairedDifference pairs consecutive samples: each result's z and the pair's difference against σpt", () => {
    const scheme = reference({ score: "pairedDifference" });
    const ten = { GLU: { type: "quantitative" as const, value: 10 } };
    const evaluation = evaluateRound(
      round({
        analytes: [quantitativeAnalyte("GLU", scheme)],
        samples: [
          { code: "S1", expected: ten },
          { code: "S2", expected: ten },
          { code: "S3", expected: ten },
        ],
        results: [
          quantitative("L1", "GLU", "S1", 10.2),
          quantitative("L1", "GLU", "S2", 9.8),
          quantitative("L1", "GLU", "S3", 10),
          quantitative("L2", "GLU", "S1", 10.5),
          quantitative("L2", "GLU", "S2", 9.9),
          quantitative("L3", "GLU", "S1", 10),
        ],
      }),
    );
    // σpt = 0.6 / 3 = 0.2 for both samples, x_pt 10 for both (Δx_pt = 0).
    // L1: z = 0.2/0.2 = 1 and −1; pair D = 0.4/√2 = 0.28284 → 1.4142σ: all satisfactory.
    assertClose(scoreOf(evaluation, "L1", "S1").score ?? NaN, 1, 1e-9);
    assertClose(scoreOf(evaluation, "L1", "S2").score ?? NaN, -1, 1e-9);
    assertClose(scoreOf(evaluation, "L1", "S1").pair?.score ?? NaN, Math.SQRT2, 1e-9);
    assertClose(scoreOf(evaluation, "L1", "S2").pair?.score ?? NaN, -Math.SQRT2, 1e-9);
    assert.equal(scoreOf(evaluation, "L1", "S1").judgement, "satisfactory");
    // L2: z(S2) = −0.1/0.2 = −0.5 but the pair D = 0.6/√2 = 0.42426 → 2.1213σ questionable → S2 questionable.
    assertClose(scoreOf(evaluation, "L2", "S2").pair?.score ?? NaN, -0.6 / Math.SQRT2 / 0.2, 1e-9);
    assert.equal(scoreOf(evaluation, "L2", "S2").judgement, "questionable");
    assert.equal(scoreOf(evaluation, "L1", "S3").notEvaluated?.code, "noPair");
    assert.equal(scoreOf(evaluation, "L3", "S1").notEvaluated?.code, "pairIncomplete");
    assert.equal(scoreOf(evaluation, "L3", "S2").notEvaluated?.code, "notReported");
  });

  it("reticulocyte: x_pt = mean %, allowed ±√(t(100 − t)/1000)", () => {
    const scheme: EvaluationScheme = { assignedValue: "algorithmA", sigma: "robustS", outliers: { test: "none", alpha: 0.05 }, score: "allowedRange", allowed: { percent: 1 } };
    const evaluation = evaluateRound(
      round({
        analytes: [quantitativeAnalyte("RET", scheme, { special: "reticulocyte", unit: "%" })],
        results: [1.0, 1.2, 1.4, 1.6, 1.8].map((v, i) => quantitative(`L${i + 1}`, "RET", "S1", v)),
      }),
    );
    // t = 7.0 / 5 = 1.4; √(1.4 × 98.6 / 1000) = √0.13804 = 0.371538
    const stats = evaluation.cells[0]?.statistics;
    assertClose(stats?.assignedValue.value ?? NaN, 1.4, 1e-12);
    assertClose(stats?.allowedHalfWidth ?? NaN, 0.371538, 1e-6);
    assert.equal(scoreOf(evaluation, "L1", "S1", "RET").judgement, "fail"); // |1.0 − 1.4| = 0.4 > 0.3715
    assert.equal(scoreOf(evaluation, "L2", "S1", "RET").judgement, "pass"); // 0.2
    assert.equal(scoreOf(evaluation, "L5", "S1", "RET").judgement, "fail");
    assert.equal(scoreOf(evaluation, "L2", "S1", "RET").kind, "reticulocyte");
  });
});

// Regression tests of an independent review of the round evaluation: paired samples judge bias too,
// a standing needs enough evaluated samples, allowedRange does not need σpt, log10 schemes take no
// percentages, the trueness slope method, and the consistency record's inputs. Figures by hand.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluateRound } from "../src/evaluation/index.ts";
import type { LabAnalyte, RoundEvaluation, RoundResult, Score } from "../src/evaluation/index.ts";
import type { AnalyteDefinition, EvaluationScheme } from "../src/types.ts";
import { assertClose, assertInvalidInput } from "./helpers.ts";
import { MEDIAN_MADE, quantitative, quantitativeAnalyte, round } from "./evaluation-fixtures.ts";

function scoreOf(evaluation: RoundEvaluation, lab: string, sample: string, analyte: string): Score {
  const score = evaluation.scores.find((s) => s.labCode === lab && s.sampleCode === sample && s.analyteCode === analyte);
  assert.ok(score, `score of ${lab} ${analyte} ${sample}`);
  return score;
}

function standingOf(evaluation: RoundEvaluation, lab: string, analyte: string): LabAnalyte {
  const standing = evaluation.labAnalytes.find((s) => s.labCode === lab && s.analyteCode === analyte);
  assert.ok(standing, `standing of ${lab} ${analyte}`);
  return standing;
}

const expectedQ = (value: number) => ({ GLU: { type: "quantitative" as const, value } });

describe("pairedDifference judges each result's bias and the pair's difference", () => {
  const scheme: EvaluationScheme = { assignedValue: "reference", sigma: "fitnessAbsolute", sigmaValue: 0.6, outliers: { test: "none", alpha: 0.05 }, score: "pairedDifference" };

  it("fails a lab at 9.0 / 9.0 against assigned values 5.0 / 5.0 although its difference is 0", () => {
    const evaluation = evaluateRound(
      round({
        analytes: [quantitativeAnalyte("GLU", scheme)],
        samples: [{ code: "S1", expected: expectedQ(5) }, { code: "S2", expected: expectedQ(5) }],
        results: [quantitative("L1", "GLU", "S1", 9), quantitative("L1", "GLU", "S2", 9)],
      }),
    );
    // σpt = 0.6 / 3 = 0.2; z = (9 − 5) / 0.2 = 20 → unsatisfactory; D = ((9 − 9) − (5 − 5))/√2 = 0 → satisfactory.
    for (const sample of ["S1", "S2"]) {
      const score = scoreOf(evaluation, "L1", sample, "GLU");
      assertClose(score.score ?? NaN, 20, 1e-9);
      assert.equal(score.pair?.score, 0);
      assert.equal(score.pair?.judgement, "satisfactory");
      assert.equal(score.judgement, "unsatisfactory");
      assert.equal(score.acceptable, false);
    }
    assert.equal(standingOf(evaluation, "L1", "GLU").status, "failed");
  });

  it("pairs two concentrations by the difference corrected for x_pt,1 − x_pt,2", () => {
    const evaluation = evaluateRound(
      round({
        analytes: [quantitativeAnalyte("GLU", scheme)],
        samples: [{ code: "S1", expected: expectedQ(10) }, { code: "S2", expected: expectedQ(20) }],
        results: [quantitative("L1", "GLU", "S1", 10.2), quantitative("L1", "GLU", "S2", 19.8), quantitative("L2", "GLU", "S1", 10.5), quantitative("L2", "GLU", "S2", 20.0)],
      }),
    );
    // L1: z = 0.2/0.2 = 1 and −0.2/0.2 = −1; D = ((10.2 − 19.8) − (10 − 20))/√2 = 0.4/√2 = 0.28284,
    // σ = √((0.2² + 0.2²)/2) = 0.2 → 1.41421 satisfactory (the uncorrected |x₁ − x₂|/√2 = 6.79 would be 33.9σ).
    const l1 = scoreOf(evaluation, "L1", "S1", "GLU");
    assertClose(l1.pair?.difference ?? NaN, 0.4 / Math.SQRT2, 1e-9);
    assertClose(l1.pair?.score ?? NaN, Math.SQRT2, 1e-9);
    assert.equal(l1.pair?.partnerSampleCode, "S2");
    assert.equal(l1.judgement, "satisfactory");
    assert.equal(scoreOf(evaluation, "L1", "S2", "GLU").judgement, "satisfactory");
    // L2: z(S1) = 0.5/0.2 = 2.5 questionable, z(S2) = 0; D = (−9.5 + 10)/√2 = 0.35355 → 1.7678σ satisfactory:
    // S1 questionable by its own bias, S2 satisfactory.
    assert.equal(scoreOf(evaluation, "L2", "S1", "GLU").judgement, "questionable");
    assertClose(scoreOf(evaluation, "L2", "S1", "GLU").pair?.score ?? NaN, 0.5 / Math.SQRT2 / 0.2, 1e-9);
    assert.equal(scoreOf(evaluation, "L2", "S2", "GLU").judgement, "satisfactory");
  });
});

describe("a standing needs ⌈passThreshold × samples⌉ evaluated samples", () => {
  // S1 has 4 results (median 10.05, MADe 0.1483: L1 z = −0.05/0.1483 = −0.34 acceptable); S2..S5 only
  // L1's and L2's (2 < minResults 3 → tooFewResults → cellNotComputable). L1 has 1 evaluated of 5.
  const samples = ["S1", "S2", "S3", "S4", "S5"];
  const results: RoundResult[] = [
    ...[10.0, 10.1, 9.9, 10.2].map((v, i) => quantitative(`L${i + 1}`, "GLU", "S1", v)),
    ...samples.slice(1).flatMap((s) => [quantitative("L1", "GLU", s, 10), quantitative("L2", "GLU", s, 10.1)]),
  ];
  const input = round({ analytes: [quantitativeAnalyte("GLU", MEDIAN_MADE)], samples: samples.map((code) => ({ code })), results });

  it("does not pass an analyte on 1 evaluable sample of 5 (⌈0.8 × 5⌉ = 4 needed): notEvaluated, not counted", () => {
    const evaluation = evaluateRound(input);
    assert.equal(scoreOf(evaluation, "L1", "S1", "GLU").acceptable, true);
    assert.equal(scoreOf(evaluation, "L1", "S2", "GLU").notEvaluated?.code, "cellNotComputable");
    const standing = standingOf(evaluation, "L1", "GLU");
    assert.deepEqual([standing.status, standing.passed, standing.evaluated, standing.acceptable], ["notEvaluated", false, 1, 1]);
    assert.match(standing.reason.en, /too few samples could be evaluated/i);
    assert.match(standing.reason.zh, /可评价的样本过少/);
    assert.equal(evaluation.labs.find((l) => l.labCode === "L1")?.analytesTotal, 0);
  });

  it("passes with passThreshold 0.2: ⌈0.2 × 5⌉ = 1 evaluated sample suffices", () => {
    const evaluation = evaluateRound({ ...input, round: { ...input.round, passThreshold: 0.2 } });
    assert.equal(standingOf(evaluation, "L1", "GLU").status, "passed");
  });

  it("keeps the strict scheme's rule: every evaluated sample acceptable", () => {
    const strict = { ...input, analytes: [quantitativeAnalyte("GLU", MEDIAN_MADE, { special: "strict" })] };
    assert.equal(standingOf(evaluateRound(strict), "L1", "GLU").status, "passed");
  });
});

describe("allowedRange scoring needs the assigned value only", () => {
  // 0 decimals: 5, 5, 5, 6, 4 → median 5, |x − 5| = 0 0 0 1 1 → MAD 0: Algorithm A has no scale.
  const values = [5, 5, 5, 6, 4];
  const robust: EvaluationScheme = { assignedValue: "algorithmA", sigma: "robustS", outliers: { test: "none", alpha: 0.05 }, score: "allowedRange", allowed: { percent: 10 }, minResults: 3 };
  const evaluate = (scheme: EvaluationScheme) =>
    evaluateRound(round({ analytes: [quantitativeAnalyte("GLU", scheme, { decimals: 0 })], results: values.map((v, i) => quantitative(`L${i + 1}`, "GLU", "S1", v)) }));

  it("judges every lab against x_pt = 5 ± 10 % when MADe = 0, with σpt null", () => {
    const evaluation = evaluate(robust);
    const stats = evaluation.cells[0]?.statistics;
    assert.ok(stats);
    assert.equal(stats.assignedValue.value, 5);
    assert.equal(stats.sigmaPt, null);
    // allowed 5 ± 0.5: 5 passes, 6 and 4 (|1| > 0.5) fail
    assert.deepEqual(["L1", "L4", "L5"].map((lab) => scoreOf(evaluation, lab, "S1", "GLU").judgement), ["pass", "fail", "fail"]);
    assert.equal(scoreOf(evaluation, "L1", "S1", "GLU").allowed?.halfWidth, 0.5);
    // MADe as σpt (0 here) does not block it either
    assert.equal(scoreOf(evaluate({ ...MEDIAN_MADE, score: "allowedRange", allowed: { percent: 10 } }), "L4", "S1", "GLU").judgement, "fail");
  });

  it("still refuses a z score without σpt: zeroSpread → cellNotComputable", () => {
    const evaluation = evaluate({ ...robust, score: "z", allowed: undefined });
    assert.equal(evaluation.cells[0]?.notComputable?.code, "zeroSpread");
    assert.equal(scoreOf(evaluation, "L1", "S1", "GLU").notEvaluated?.code, "cellNotComputable");
  });
});

const truenessAnalyte = (scheme: EvaluationScheme): AnalyteDefinition => ({
  code: "TRU",
  name: "正确度",
  nameEn: "Trueness",
  unit: "IU/mL",
  decimals: 2,
  resultType: "trueness",
  trueness: { days: 1, replicates: 2 },
  scheme,
});

function trueness(labCode: string, sampleCode: string, replicates: number[]): RoundResult {
  return { labCode, analyteCode: "TRU", sampleCode, value: { type: "trueness", replicates: [replicates], mean: replicates.reduce((a, b) => a + b, 0) / replicates.length }, method: {} };
}

describe("log10 schemes: absolute limits in log10 units, no bias %", () => {
  const log10Allowed: EvaluationScheme = { assignedValue: "reference", sigma: "fitnessAbsolute", sigmaValue: 0.5, outliers: { test: "none", alpha: 0.05 }, score: "allowedRange", allowed: { absolute: 0.5 }, log10: true };

  it("prints no bias % for a log10 quantitative result", () => {
    const evaluation = evaluateRound(
      round({ analytes: [quantitativeAnalyte("GLU", log10Allowed)], samples: [{ code: "S1", expected: expectedQ(1000) }], results: [quantitative("L1", "GLU", "S1", 2000)] }),
    );
    // log10 2000 − log10 1000 = 0.30103 ≤ 0.5 → pass; no percentage of a logarithm
    const score = scoreOf(evaluation, "L1", "S1", "GLU");
    assert.equal(score.judgement, "pass");
    assertClose(score.score ?? NaN, Math.log10(2) / 0.5, 1e-12);
    assert.equal(score.biasPercent, undefined);
  });

  it("refuses allowed.percent and fitnessPercent with log10 in the round input", () => {
    const base = round({ analytes: [quantitativeAnalyte("GLU", log10Allowed)], samples: [{ code: "S1", expected: expectedQ(1000) }], results: [quantitative("L1", "GLU", "S1", 2000)] });
    assertInvalidInput(() => evaluateRound({ ...base, schemes: { GLU: { ...log10Allowed, allowed: { percent: 10 } } } }));
    assertInvalidInput(() => evaluateRound({ ...base, schemes: { GLU: { ...log10Allowed, sigma: "fitnessPercent", sigmaValue: 10 } } }));
  });

  it("evaluates a log10 trueness result as the mean of the log10 replicates", () => {
    const scheme: EvaluationScheme = { ...log10Allowed, allowed: { absolute: 0.2 } };
    const evaluation = evaluateRound(
      round({
        analytes: [truenessAnalyte(scheme)],
        samples: [{ code: "S1", expected: { TRU: { type: "trueness", value: 10 ** 3.5 } } }],
        results: [trueness("L1", "S1", [1000, 10000]), trueness("L2", "S1", [1000, -1])],
      }),
    );
    // mean of logs (3 + 4)/2 = 3.5 = log10 x_ref → difference 0, pass. The log10 of the arithmetic
    // mean, log10 5500 = 3.7404, would be 0.24 > 0.2 away and fail.
    const score = scoreOf(evaluation, "L1", "S1", "TRU");
    assertClose(score.value ?? NaN, 3.5, 1e-12);
    assertClose(score.assignedValue ?? NaN, 3.5, 1e-12);
    assert.equal(score.judgement, "pass");
    assert.equal(score.biasPercent, undefined);
    assert.equal(scoreOf(evaluation, "L2", "S1", "TRU").notEvaluated?.code, "nonPositiveForLog");
  });
});

describe("trueness slope method on the lab's standing", () => {
  const scheme: EvaluationScheme = { assignedValue: "reference", sigma: "robustS", outliers: { test: "none", alpha: 0.05 }, score: "allowedRange", allowed: { percent: 10 } };
  const samples = [10, 20, 30].map((value, i) => ({ code: `S${i + 1}`, expected: { TRU: { type: "trueness" as const, value } } }));
  const results = [
    // L1 means 10.9, 21.8, 32.7: +9 % each, within ± 10 %, but y = 1.09 x exactly (proportional bias).
    trueness("L1", "S1", [10.8, 11.0]),
    trueness("L1", "S2", [21.7, 21.9]),
    trueness("L1", "S3", [32.6, 32.8]),
    // L2 means 10.1, 19.8, 30.2.
    trueness("L2", "S1", [10.0, 10.2]),
    trueness("L2", "S2", [19.7, 19.9]),
    trueness("L2", "S3", [30.1, 30.3]),
  ];
  const evaluation = evaluateRound(round({ analytes: [truenessAnalyte(scheme)], samples, results }));

  it("fails a lab whose every sample is within the allowed bias when the slope CI excludes 1", () => {
    assert.deepEqual(["S1", "S2", "S3"].map((s) => scoreOf(evaluation, "L1", s, "TRU").judgement), ["pass", "pass", "pass"]);
    const standing = standingOf(evaluation, "L1", "TRU");
    const slope = standing.slope;
    assert.ok(slope && slope.notComputable === null);
    // residuals 0 → CI [1.09, 1.09] (up to rounding), which excludes 1
    assertClose(slope.slope, 1.09, 1e-9);
    assert.equal(slope.acceptable, false);
    assert.deepEqual([standing.status, standing.passed], ["failed", false]);
    assert.match(standing.reason.en, /proportional bias/);
  });

  it("passes a lab whose slope CI includes 1 and intercept CI includes 0", () => {
    // x̄ = 20, ȳ = 20.0333; Sxx = 200, Sxy = (−10)(−9.9333) + 10(10.1667) = 201 → b = 1.005,
    // a = 20.0333 − 1.005 × 20 = −0.06667; residuals 0.11667, −0.23333, 0.11667 → SSE = 0.081667,
    // s = 0.285774, SE(b) = s/√200 = 0.020207; t(0.975, 1) = 12.7062 → b ∈ [0.74824, 1.26176].
    const standing = standingOf(evaluation, "L2", "TRU");
    const slope = standing.slope;
    assert.ok(slope && slope.notComputable === null);
    assertClose(slope.slope, 1.005, 1e-9);
    assertClose(slope.intercept, -0.2 / 3, 1e-9);
    assertClose(slope.slopeCi[0], 0.74824, 1e-4);
    assertClose(slope.slopeCi[1], 1.26176, 1e-4);
    assert.equal(slope.confidence, 0.95);
    assert.deepEqual([slope.acceptable, standing.status], [true, "passed"]);
  });

  it("is absent when fewer than 3 samples carry reference values", () => {
    const two = evaluateRound(round({ analytes: [truenessAnalyte(scheme)], samples: samples.slice(0, 2), results: results.filter((r) => r.sampleCode !== "S3") }));
    assert.equal(standingOf(two, "L1", "TRU").slope, undefined);
    assert.equal(standingOf(two, "L1", "TRU").status, "passed");
  });
});

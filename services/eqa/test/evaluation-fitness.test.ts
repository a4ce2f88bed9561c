// Fitness-for-purpose σpt (ISO 13528:2015 8.2, σpt = TEa / 3) and the allowed range, through the
// statistics library; a zero allowed error (a percentage of x_pt = 0) is reported, not scored.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluateRound, FITNESS_DIVISOR } from "../src/evaluation/index.ts";
import type { EvaluationScheme } from "../src/types.ts";
import { assertClose } from "./helpers.ts";
import { quantitative, quantitativeAnalyte, round } from "./evaluation-fixtures.ts";

const REFERENCE: EvaluationScheme = { assignedValue: "reference", sigma: "fitnessPercent", sigmaValue: 6, outliers: { test: "none", alpha: 0.05 }, score: "z" };

function evaluateAt(reference: number, scheme: EvaluationScheme, value: number) {
  return evaluateRound(
    round({
      analytes: [quantitativeAnalyte("GLU", scheme)],
      samples: [{ code: "S1", expected: { GLU: { type: "quantitative", value: reference } } }],
      results: [quantitative("L1", "GLU", "S1", value)],
    }),
  );
}

describe("fitness-for-purpose σpt and allowed range from src/statistics", () => {
  it("FITNESS_DIVISOR is the library's default coverage 3", () => {
    assert.equal(FITNESS_DIVISOR, 3);
  });

  it("fitnessPercent: σpt = sigmaValue % × |x_pt| / 3", () => {
    // x_pt = 4.0, TEa = 6 % × 4.0 = 0.24, σpt = 0.08; z(4.2) = 0.2 / 0.08 = 2.5 → questionable
    const evaluation = evaluateAt(4.0, REFERENCE, 4.2);
    assertClose(evaluation.cells[0]?.statistics?.sigmaPt?.value ?? NaN, 0.08, 1e-12);
    assertClose(evaluation.scores[0]?.score ?? NaN, 2.5, 1e-9);
    assert.equal(evaluation.scores[0]?.judgement, "questionable");
  });

  it("fitnessPercent of an assigned value 0 is not computable (zeroAllowedError), not a σpt of 0", () => {
    const evaluation = evaluateAt(0, REFERENCE, 0.1);
    assert.equal(evaluation.cells[0]?.statistics, null);
    assert.equal(evaluation.cells[0]?.notComputable?.code, "zeroAllowedError");
    assert.match(evaluation.cells[0]?.notComputable?.messageZh ?? "", /允许总误差为 0/);
    assert.equal(evaluation.scores[0]?.judgement, "notEvaluated");
    assert.equal(evaluation.scores[0]?.score, null);
  });

  it("allowedRange with only a percentage and x_pt = 0 is not evaluated; with an absolute limb it is", () => {
    const percentOnly = evaluateAt(0, { ...REFERENCE, sigma: "fitnessAbsolute", sigmaValue: 1, score: "allowedRange", allowed: { percent: 10 } }, 0);
    assert.equal(percentOnly.scores[0]?.judgement, "notEvaluated");
    assert.equal(percentOnly.scores[0]?.notEvaluated?.code, "zeroAllowedError");
    // max(10 % × 0, 0.2) = 0.2: 0.15 passes, score 0.15 / 0.2 = 0.75
    const both = evaluateAt(0, { ...REFERENCE, sigma: "fitnessAbsolute", sigmaValue: 1, score: "allowedRange", allowed: { percent: 10, absolute: 0.2 } }, 0.15);
    assert.equal(both.scores[0]?.judgement, "pass");
    assertClose(both.scores[0]?.score ?? NaN, 0.75, 1e-12);
    assertClose(both.scores[0]?.allowed?.halfWidth ?? NaN, 0.2, 1e-12);
  });
});

// Dixon screening of a consensus cell through the statistics library's iterated test. Critical values:
// Rorabacher (1991) as tabulated in src/statistics/dixon-tables.ts (r21, α = 0.05: n = 11 → 0.625,
// n = 12 → 0.592; r10, α = 0.05, n = 4 → 0.829). Ratios derived by hand below.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluateRound } from "../src/evaluation/index.ts";
import type { RoundEvaluation } from "../src/evaluation/index.ts";
import type { EvaluationScheme } from "../src/types.ts";
import { assertClose } from "./helpers.ts";
import { MEDIAN_MADE, quantitative, quantitativeAnalyte, round } from "./evaluation-fixtures.ts";

const DIXON: EvaluationScheme = { ...MEDIAN_MADE, outliers: { test: "dixon", alpha: 0.05 }, minResults: 3 };

function evaluate(values: readonly number[]): RoundEvaluation {
  return evaluateRound(round({ analytes: [quantitativeAnalyte("GLU", DIXON)], results: values.map((v, i) => quantitative(`L${i + 1}`, "GLU", "S1", v)) }));
}

describe("Dixon outlier screening (src/statistics dixonIterated)", () => {
  it("n = 12 uses r21: removes the high outlier, then stops when the r21 test of the remaining 11 is not significant", () => {
    // 10.0, 10.1, ..., 11.0 (11 values) and 13.0. Sorted x1..x12; x2 = 10.1, x10 = 10.9, x11 = 11.0, x12 = 13.0.
    // high r21 = (x12 − x10)/(x12 − x2) = 2.1/2.9 = 0.724138; low r21 = (x3 − x1)/(x11 − x1) = 0.2/1.0 = 0.2
    // 0.724138 > r21 critical(12, 0.05) = 0.592 → 13.0 removed.
    // Remaining 10.0..11.0: high = (11.0 − 10.8)/(11.0 − 10.1) = 0.2/0.9 = 0.2222 = low < critical(11) = 0.625 → stop.
    const values = [10.4, 10.0, 13.0, 10.1, 10.2, 10.3, 10.5, 10.6, 10.7, 10.8, 10.9, 11.0];
    const evaluation = evaluate(values);
    const cell = evaluation.cells[0];
    assert.ok(cell);
    assert.equal(cell.screening.applied, true);
    assert.equal(cell.screening.removed.length, 1);
    const removed = cell.screening.removed[0];
    assert.equal(removed?.labCode, "L3");
    assert.equal(removed?.value, 13.0);
    assert.equal(removed?.test, "dixon");
    assert.equal(removed?.ratio, "r21");
    assertClose(removed?.statistic ?? NaN, 2.1 / 2.9, 1e-9);
    assert.equal(removed?.critical, 0.592);
    assert.match(removed?.reason.en ?? "", /r21/);
    assert.match(removed?.reason.zh ?? "", /r21/);
    // stopped by a non-significant test: no size note
    assert.equal(cell.screening.note, undefined);
    assert.equal(cell.values.length, 11);
    assert.equal(evaluation.scores.find((s) => s.labCode === "L3")?.outlier, true);
    // the rest: median of 10.0..11.0 = 10.5
    assertClose(cell.statistics?.assignedValue.value ?? NaN, 10.5, 1e-12);
  });

  it("records why the iteration stopped when too few distinct values remain", () => {
    // 1, 1, 1, 5: r10 high = (5 − 1)/(5 − 1) = 1 > critical(4, 0.05) = 0.829 → 5 removed; 1, 1, 1 are all equal.
    const cell = evaluate([1, 5, 1, 1]).cells[0];
    assert.equal(cell?.screening.removed[0]?.ratio, "r10");
    assert.equal(cell?.screening.removed[0]?.labCode, "L2");
    assert.match(cell?.screening.note?.en ?? "", /3 values remain/);
    assert.match(cell?.screening.note?.zh ?? "", /剩余 3 个/);
  });

  it("is not applied beyond n = 30, with a bilingual note, and removes nothing", () => {
    const values = Array.from({ length: 31 }, (_, i) => 10 + i / 10);
    values[30] = 100;
    const cell = evaluate(values).cells[0];
    assert.equal(cell?.screening.applied, false);
    assert.equal(cell?.screening.removed.length, 0);
    assert.equal(cell?.values.length, 31);
    assert.match(cell?.screening.note?.en ?? "", /3 to 30 results \(n = 31\)/);
    assert.match(cell?.screening.note?.zh ?? "", /3 至 30/);
  });
});

// Fitness-for-purpose σpt and allowed range, the stability t-test, the slope method and the
// homogeneity/stability conclusion. Expected values derived by hand in the comments (the p value and
// t quantiles with scipy 1.17: stats.ttest_ind(equal_var=False), stats.t.ppf); the same functions
// are checked against scipy on random data in statistics-independent.test.ts. No published worked
// example was found for these; ISO 13528 Annex B / IUPAC harmonized protocol example data were not
// available in the sources searched.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  allowedRange,
  fitnessForPurposeSigma,
  homogeneity,
  homogeneityStabilityConclusion,
  judgeZ,
  slopeMethod,
  stability,
  zScore,
} from "../src/index.ts";
import { assertClose, assertInvalidInput } from "./helpers.ts";

describe("fitness-for-purpose σpt and allowed range (TEa)", () => {
  it("takes the larger of ±% and ±absolute, as in '±10% 或 ±0.2'", () => {
    // x_pt 5: 10 % → 0.5 > 0.2 → [4.5, 5.5]; x_pt 1.2: 10 % → 0.12 < 0.2 → [1.0, 1.4]
    assert.deepEqual(allowedRange({ assignedValue: 5, percent: 10, absolute: 0.2 }), { lower: 4.5, upper: 5.5, halfWidth: 0.5, basis: "percent" });
    const low = allowedRange({ assignedValue: 1.2, percent: 10, absolute: 0.2 });
    assert.equal(low.basis, "absolute");
    assertClose(low.lower, 1.0, 1e-12);
    assertClose(low.upper, 1.4, 1e-12);
    // a negative assigned value (e.g. a base excess) uses |x_pt|: 5 % of 3 = 0.15
    assertClose(allowedRange({ assignedValue: -3, percent: 5 }).halfWidth, 0.15, 1e-12);
  });

  it("σpt = TEa / 3 so that |z| ≥ 3 exactly when a result leaves the allowed range", () => {
    const { sigmaPt, allowedError, coverage } = fitnessForPurposeSigma({ assignedValue: 5, percent: 10, absolute: 0.2 });
    assertClose(sigmaPt, 0.5 / 3, 1e-12);
    assert.equal(allowedError, 0.5);
    assert.equal(coverage, 3);
    assert.equal(judgeZ(zScore(5.5, 5, sigmaPt)).judgement, "unsatisfactory"); // on the limit: z = 3
    assert.equal(judgeZ(zScore(5.49, 5, sigmaPt)).judgement, "questionable"); // just inside: z = 2.94
    assertClose(fitnessForPurposeSigma({ assignedValue: 5, percent: 10, coverage: 2 }).sigmaPt, 0.25, 1e-12);
  });

  it("refuses no limb, negative limbs, a zero TEa and a bad coverage", () => {
    assertInvalidInput(() => allowedRange({ assignedValue: 5 }));
    assertInvalidInput(() => allowedRange({ assignedValue: 5, percent: -1 }));
    assertInvalidInput(() => allowedRange({ assignedValue: Number.NaN, absolute: 1 }));
    assertInvalidInput(() => allowedRange({ assignedValue: 0, percent: 10 })); // 10 % of 0
    assertInvalidInput(() => fitnessForPurposeSigma({ assignedValue: 5, percent: 10, coverage: 0 }));
  });
});

describe("stability: |x̄ − ȳ| ≤ 0.3 σpt and the Welch t-test", () => {
  // before 10 10.2 10.4: mean 10.2, s² 0.04 → s²/n = 0.013333; after 9.9 10.1: mean 10.0, s² 0.02 → 0.01
  // t = 0.2 / sqrt(0.023333) = 1.309307; df = 0.023333² / (0.013333²/2 + 0.01²/1) = 2.882353; p = 0.285023
  it("reports t, df and p beside the criterion, keeping the existing fields", () => {
    const result = stability([10, 10.2, 10.4], [9.9, 10.1], 1);
    assertClose(result.difference, 0.2, 1e-12);
    assert.equal(result.stable, true);
    assert.equal(result.tTest.computable, true);
    if (!result.tTest.computable) return;
    assertClose(result.tTest.t, 1.3093073, 1e-6);
    assertClose(result.tTest.df, 2.8823529, 1e-6);
    assertClose(result.tTest.pValue, 0.2850228, 1e-6);
    assert.equal(result.tTest.significantDifference, false);
    assert.equal(result.tTest.stable, true);
  });

  it("a small but consistent drift fails the t-test while passing 0.3 σpt", () => {
    // Δ = 0.1 ≤ 0.3 × 1 but the replicates are tight (s = 0.01) → t = 0.1 / sqrt(2 × 0.0001 / 3) ≈ 12.2
    const result = stability([10.0, 10.01, 9.99], [9.9, 9.91, 9.89], 1);
    assert.equal(result.stable, true);
    assert.equal(result.tTest.computable && result.tTest.significantDifference, true);
  });

  it("says why the t-test cannot be computed instead of printing a number", () => {
    const single = stability([10], [10, 10.2], 1).tTest;
    assert.equal(single.computable, false);
    if (!single.computable) assert.match(single.reason.zh, /至少 2 个/);
    const flat = stability([10, 10], [10.1, 10.1], 1).tTest;
    assert.equal(flat.computable, false);
    if (!flat.computable) assert.match(flat.reason.en, /zero variance/);
  });

  it("refuses a bad significance level", () => {
    assertInvalidInput(() => stability([1, 2], [1, 2], 1, { alpha: 0 }));
  });
});

describe("slope method (trueness rounds)", () => {
  // x 1 2 3 4, y 1.1 1.9 3.1 3.9: Sxx 5, Sxy 4.8 → b 0.96, a 0.1; residuals 0.04 −0.12 0.12 −0.04, SSE 0.032,
  // s = sqrt(0.016) = 0.126491; SE(b) = s/√5 = 0.056569; SE(a) = s × sqrt(1/4 + 2.5²/5) = 0.154919;
  // t(0.975, 2) = 4.302653 → b ∈ [0.716603, 1.203397], a ∈ [−0.566563, 0.766563]; r = 4.8/sqrt(5 × 4.64) = 0.996546
  it("computes b, a, their SEs and 95 % CIs and accepts when the CIs contain 1 and 0", () => {
    const result = slopeMethod([1, 2, 3, 4], [1.1, 1.9, 3.1, 3.9]);
    assertClose(result.slope, 0.96, 1e-12);
    assertClose(result.intercept, 0.1, 1e-12);
    assertClose(result.slopeSe, 0.0565685, 1e-6);
    assertClose(result.interceptSe, 0.1549193, 1e-6);
    assertClose(result.slopeCi[0], 0.716603, 1e-5);
    assertClose(result.interceptCi[1], 0.766563, 1e-5);
    assertClose(result.r ?? 0, 0.996546, 1e-6);
    assert.equal(result.df, 2);
    assert.equal(result.acceptable, true);
    assert.match(result.verdict.zh, /正确度符合要求/);
  });

  it("detects a proportional bias, which a tolerance on |b − 1| can accept", () => {
    // y = 1.1 x + noise: b = 1.098, 95 % CI [1.08698, 1.10902] excludes 1; a CI [−0.0306, 0.0426] contains 0
    const reference = [1, 2, 3, 4, 5];
    const measured = [1.11, 2.19, 3.3, 4.41, 5.49];
    const strict = slopeMethod(reference, measured);
    assert.equal(strict.slopeCiIncludesOne, false);
    assert.equal(strict.interceptCiIncludesZero, true);
    assert.equal(strict.acceptable, false);
    assert.match(strict.verdict.en, /proportional bias/);
    const tolerant = slopeMethod(reference, measured, { slopeTolerance: 0.1 });
    assert.equal(tolerant.slopeWithinTolerance, true);
    assert.equal(tolerant.acceptable, true);
    assert.equal(slopeMethod(reference, measured, { slopeTolerance: 0.05 }).acceptable, false);
  });

  it("gives r as null, not a number, when every measured value is equal", () => {
    assert.equal(slopeMethod([1, 2, 3], [2, 2, 2]).r, null);
  });

  it("refuses unpaired data, fewer than 3 pairs and a single reference level", () => {
    assertInvalidInput(() => slopeMethod([1, 2, 3], [1, 2]));
    assertInvalidInput(() => slopeMethod([1, 2], [1, 2]));
    assertInvalidInput(() => slopeMethod([2, 2, 2], [1, 2, 3]));
    assertInvalidInput(() => slopeMethod([1, 2, 3], [1, 2, 3], { slopeTolerance: -1 }));
  });
});

describe("homogeneity/stability conclusion", () => {
  // s_s = 0.3872983 (statistics-homogeneity.test.ts), σpt 1.5 → limit 0.45
  const h = homogeneity([[10.0, 10.2], [10.4, 10.6], [10.8, 11.0]], 1.5);
  const s = stability([10, 10.2, 10.4], [9.9, 10.1], 1.5);

  it("states each criterion with its figures in Chinese and English", () => {
    const conclusion = homogeneityStabilityConclusion({ homogeneity: h, stability: s });
    assert.equal(conclusion.acceptable, true);
    assert.equal(conclusion.sentences.zh[0], "样品均匀性符合要求（s_s = 0.387 ≤ 0.3σpt = 0.45；3 个样品 × 2 次重复）。");
    assert.equal(conclusion.sentences.en[1], "The samples are adequately stable (|x̄ − ȳ| = 0.2 ≤ 0.3σpt = 0.45).");
    assert.match(conclusion.sentences.zh[2] ?? "", /t 检验显示前后差异无统计学意义（t = 1.31, df = 2.88, p = 0.285/);
  });

  it("fails when one check fails, and accepts a single check", () => {
    const failing = homogeneityStabilityConclusion({ homogeneity: homogeneity([[10.0, 10.2], [10.4, 10.6], [10.8, 11.0]], 1) });
    assert.equal(failing.acceptable, false);
    assert.equal(failing.homogeneous, false);
    assert.match(failing.sentences.zh[0] ?? "", /不符合要求（s_s = 0.387 > 0.3σpt = 0.3/);
    assert.equal(homogeneityStabilityConclusion({ stability: s }).acceptable, true);
  });

  it("refuses an empty request", () => {
    assertInvalidInput(() => homogeneityStabilityConclusion({}));
  });
});

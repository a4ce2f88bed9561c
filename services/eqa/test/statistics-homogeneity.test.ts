// Expected values derived by hand in the comments; source: ISO 13528:2015 Annex B.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { homogeneity, stability } from "../src/index.ts";
import { assertClose, assertInvalidInput } from "./helpers.ts";

describe("homogeneity (one-way ANOVA)", () => {
  // means 10.1 10.5 10.9 → s_x² = (0.16 + 0 + 0.16) / 2 = 0.16; each pair differs by 0.2 → s_t² = 0.02,
  // s_w² = 0.02; s_s² = 0.16 − 0.02 / 2 = 0.15 → s_s = 0.3872983; MS_between = 2 × 0.16 = 0.32, F = 16.
  const samples = [
    [10.0, 10.2],
    [10.4, 10.6],
    [10.8, 11.0],
  ];

  it("passes when s_s ≤ 0.3 σpt", () => {
    const result = homogeneity(samples, 1.5); // limit 0.45
    assertClose(result.ss, 0.3872983, 1e-7);
    assertClose(result.sx, 0.4, 1e-12);
    assertClose(result.sw, Math.sqrt(0.02), 1e-12);
    assertClose(result.f, 16, 1e-9);
    assertClose(result.grandMean, 10.5, 1e-12);
    assert.equal(result.homogeneous, true);
  });

  it("fails when s_s > 0.3 σpt", () => {
    assert.equal(homogeneity(samples, 1).homogeneous, false); // limit 0.3 < 0.387
  });

  it("clips a negative between-sample variance to 0", () => {
    // means 11 12 13 → s_x² = 1; each pair differs by 2 → s_w² = 2; 1 − 2 / 2 = 0 → s_s = 0
    assert.equal(homogeneity([[10, 12], [11, 13], [12, 14]], 1).ss, 0);
  });

  it("refuses one sample, single replicates, unequal replicates and bad σpt", () => {
    assertInvalidInput(() => homogeneity([[1, 2]], 1));
    assertInvalidInput(() => homogeneity([[1], [2]], 1));
    assertInvalidInput(() => homogeneity([[1, 2], [1, 2, 3]], 1));
    assertInvalidInput(() => homogeneity([[1, 2], [1, Number.NaN]], 1));
    assertInvalidInput(() => homogeneity([[1, 2], [1, 2]], 0));
  });
});

describe("stability", () => {
  // before mean (10 + 10.2 + 10.4) / 3 = 10.2, after (9.9 + 10.1) / 2 = 10.0 → |Δ| = 0.2
  it("passes when |x̄ − ȳ| ≤ 0.3 σpt and fails above", () => {
    const pass = stability([10, 10.2, 10.4], [9.9, 10.1], 1); // limit 0.3
    assertClose(pass.difference, 0.2, 1e-12);
    assert.equal(pass.stable, true);
    assert.equal(stability([10, 10.2, 10.4], [9.9, 10.1], 0.5).stable, false); // limit 0.15
  });

  it("refuses empty data", () => {
    assertInvalidInput(() => stability([], [1], 1));
  });
});

// Expected values are derived by hand in the comments; sources: ISO 13528:2015 Annex C; the
// algorithm A worked example of ISO 13528:2015 Annex E.3 as reproduced by S. Subramanian, "The
// Algorithm A in Detail" (slides, 2025), https://slideorbit.com/slide/the-algorithm-a-in-detail-powerpoint-ppt-presentation/291515
// (the standard's own text was not available; the slides give the data, the starting values and the
// first two iterations, not the converged values).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { algorithmA, mad, madE, median, nIQR, quantile } from "../src/index.ts";
import { assertClose, assertInvalidInput } from "./helpers.ts";

describe("median, MAD, MADe, nIQR", () => {
  it("median takes the middle value, or the mean of the two middle values", () => {
    assert.equal(median([3, 1, 2]), 2);
    // sorted 1 2 3 4 → (2 + 3) / 2
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  it("MAD and MADe ignore a wild value", () => {
    // median 3; |x − 3| = 2 1 0 1 97 → sorted 0 1 1 2 97 → MAD 1; MADe = 1.483
    assert.equal(mad([1, 2, 3, 4, 100]), 1);
    assertClose(madE([1, 2, 3, 4, 100]), 1.483, 1e-12);
  });

  it("nIQR uses type-7 quartiles (spreadsheet QUARTILE.INC)", () => {
    // 1..8: Q1 at h = 7 × 0.25 = 1.75 → 2 + 0.75 = 2.75; Q3 at h = 5.25 → 6.25; IQR 3.5; × 0.7413 = 2.59455
    assertClose(quantile([8, 7, 6, 5, 4, 3, 2, 1], 0.25), 2.75, 1e-12);
    assertClose(quantile([1, 2, 3, 4, 5, 6, 7, 8], 0.75), 6.25, 1e-12);
    assertClose(nIQR([1, 2, 3, 4, 5, 6, 7, 8]), 2.59455, 1e-9);
  });

  it("refuses empty or non-finite data", () => {
    assertInvalidInput(() => median([]));
    assertInvalidInput(() => mad([1, Number.NaN, 3]));
    assertInvalidInput(() => nIQR([1, Number.POSITIVE_INFINITY]));
  });
});

describe("Algorithm A (ISO 13528:2015 C.3)", () => {
  it("on clean data, where nothing is winsorised, gives the mean and 1.134 × SD", () => {
    // 8..12: median 10, MAD 1, s* = 1.483, δ = 2.2245 → nothing cut; x* = 10,
    // SD = sqrt(10 / 4) = 1.5811388, s* = 1.134 × 1.5811388 = 1.7930114.
    // Next δ = 2.69 → still nothing cut → same x*, s* → converged at the 2nd step.
    const result = algorithmA([8, 9, 10, 11, 12]);
    assertClose(result.mean, 10, 1e-12);
    assertClose(result.sd, 1.7930114, 1e-6);
    assert.equal(result.iterations, 2);
    assert.equal(result.converged, true);
  });

  it("converges to the hand-derived fixed point when a value is winsorised", () => {
    // 9 10 10 11 20, at the fixed point only 20 is cut, to x* + 1.5 s*:
    //   x* = (40 + x* + 1.5 s*) / 5  →  x* = 10 + 0.375 s*
    //   Σ(xᵢ* − x*)² = (1 + d)² + 2d² + (1 − d)² + 2.25 s² = 2 + 2.8125 s²   (d = 0.375 s*)
    //   s*² = 1.134² (2 + 2.8125 s*²) / 4  →  s*² = 0.642978 / 0.095812 = 6.71083, s* = 2.590527
    //   x* = 10.971448; 9 stays inside x* − 1.5 s* = 7.09.
    const exact = algorithmA([9, 10, 10, 11, 20], { tolerance: 1e-12 });
    assertClose(exact.mean, 10.971448, 1e-5);
    assertClose(exact.sd, 2.590527, 1e-5);
    assert.equal(exact.converged, true);
    // The standard's third-significant-figure rule stops earlier, near the same point.
    const iso = algorithmA([9, 10, 10, 11, 20]);
    assert.equal(iso.converged, true);
    assertClose(iso.mean, 10.971448, 0.1);
  });

  it("moves the robust mean far less than the plain mean when one wild result is added", () => {
    const clean = [9.8, 9.9, 10.0, 10.0, 10.1, 10.2, 9.95, 10.05, 10.15, 9.85, 10.0, 9.9, 10.1, 10.0, 9.95];
    const plainShift = Math.abs(
      (clean.reduce((a, b) => a + b, 0) + 1000) / (clean.length + 1) - clean.reduce((a, b) => a + b, 0) / clean.length,
    );
    const robustShift = Math.abs(algorithmA([...clean, 1000]).mean - algorithmA(clean).mean);
    // Plain mean shifts by about (1000 − 10) / 16 ≈ 62; the winsorised value pulls x* by at most δ/p.
    assert.ok(plainShift > 60);
    assert.ok(robustShift < 0.05, `robust shift ${robustShift}`);
  });

  it("reproduces the published iterations of the ISO 13528:2015 E.3 example", () => {
    // 12 results; published: start x* = 1.510, s* = 0.3559; iteration 1: 1.475, 0.4072; iteration 2: 1.460, 0.4486.
    const data = [1.69, 0.74, 2.05, 1.14, 2.19, 1.39, 1.52, 1.5, 1.58, 0.8, 1.21, 1.63];
    assertClose(median(data), 1.51, 1e-12);
    assertClose(madE(data), 0.3559, 5e-5);
    const one = algorithmA(data, { maxIterations: 1 });
    assertClose(one.mean, 1.475, 5e-4);
    assertClose(one.sd, 0.4072, 5e-5);
    const two = algorithmA(data, { maxIterations: 2 });
    assertClose(two.mean, 1.46, 5e-4);
    assertClose(two.sd, 0.4486, 5e-5);
  });

  it("stops on the third figure of s* and the same decimal of x*, not on x*'s own third figure (regression)", () => {
    // median 999.34, MAD 1.74 → s* = 2.580; the first step gives x* = 998.72, s* = 2.580. Comparing x*
    // at its own 3rd significant figure ("999" both times) stopped here, 28 % away from the fixed
    // point. At s*'s 3rd figure (0.01) x* has moved, so the iteration continues to the fixed point
    // x* = 998.268, s* = 3.5676 (from scripts/statistics-fixtures.py's independent fixed-point run).
    const data = [993.2, 999.34, 1000.3, 1001.08, 997.42];
    const result = algorithmA(data);
    assert.ok(result.iterations > 1);
    assertClose(result.mean, 998.268, 0.005);
    assertClose(result.sd, 3.5676, 0.005);
  });

  it("reports non-convergence when the iteration budget runs out", () => {
    const result = algorithmA([9, 10, 10, 11, 20], { maxIterations: 1 });
    assert.equal(result.converged, false);
    assert.equal(result.iterations, 1);
  });

  it("refuses fewer than 3 values, non-finite values and zero spread", () => {
    assertInvalidInput(() => algorithmA([1, 2]));
    assertInvalidInput(() => algorithmA([1, 2, Number.NaN]));
    assertInvalidInput(() => algorithmA([1, 2, "3" as unknown as number]));
    // median 5, |x − 5| = 0 0 0 1 → MAD 0
    assertInvalidInput(() => algorithmA([5, 5, 5, 6]));
  });
});

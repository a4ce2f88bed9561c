// Sources: Grubbs (1969) Technometrics 11:1–21, two-sided critical values as tabulated in
// ISO 5725-2:1994 Table 5 (n = 8: 2.126, 9: 2.215, 10: 2.290, 20: 2.709 at α = 0.05);
// Rorabacher (1991) Anal. Chem. 63:139–146; the Dixon example is the one reproduced from it in
// textbooks and the Wikipedia article "Dixon's Q test". No worked example with data was found for
// Grubbs' small-sample test (NIST/SEMATECH e-Handbook 1.3.5.17 uses a 100-point data set) nor for
// Dixon's r11/r21/r22: those cases are derived by hand below and checked against an independent
// program in statistics-independent.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dixonCritical, dixonIterated, dixonTest, grubbsCritical, grubbsIterated, grubbsTest } from "../src/index.ts";
import { assertClose, assertInvalidInput } from "./helpers.ts";

describe("Grubbs", () => {
  it("critical values agree with the published table", () => {
    assertClose(grubbsCritical(8), 2.126, 0.0015);
    assertClose(grubbsCritical(9), 2.215, 0.0015);
    assertClose(grubbsCritical(10, 0.05), 2.29, 0.0015);
    assertClose(grubbsCritical(20, 0.05), 2.709, 0.0015);
  });

  it("removes an obvious outlier and then stops", () => {
    // 9 9 10 10 10 10 11 11 19: mean 11, Σ(x − 11)² = 4+4+1+1+1+1+0+0+64 = 76,
    // s = sqrt(76 / 8) = 3.0822070, G = 8 / 3.0822070 = 2.5955 > 2.215 → 19 removed.
    // Rest: mean 10, Σ = 4, s = sqrt(4 / 7) = 0.7559289, G = 1 / 0.7559289 = 1.3229 < 2.126 → stop.
    const data = [9, 19, 9, 10, 10, 10, 10, 11, 11];
    const result = grubbsIterated(data);
    assert.equal(result.removed.length, 1);
    const [removal] = result.removed;
    assert.equal(removal?.value, 19);
    assert.equal(removal?.index, 1);
    assertClose(removal?.g ?? 0, 2.5955, 1e-4);
    assertClose(removal?.gCritical ?? 0, 2.215, 0.0015);
    assert.match(removal?.reason.en ?? "", /G > G_crit/);
    assert.equal(result.steps.length, 2);
    assertClose(result.steps[1]?.g ?? 0, 1.3229, 1e-4);
    assert.deepEqual(result.kept, [9, 9, 10, 10, 10, 10, 11, 11]);
  });

  it("iterates through two outliers the single test would leave", () => {
    const data = [10, 10.1, 9.9, 10.05, 9.95, 10.02, 9.98, 10.0, 30, 50];
    const single = grubbsTest(data);
    const iterated = grubbsIterated(data);
    assert.deepEqual(single.removed.map((step) => step.value), [50]);
    assert.deepEqual(iterated.removed.map((step) => step.value), [50, 30]);
  });

  it("removes nothing from clean data", () => {
    // 2 4 4 4 5 5 7 9: mean 5, s = sqrt(32 / 7) = 2.138, G = 4 / 2.138 = 1.871 < 2.126
    const result = grubbsIterated([2, 4, 4, 4, 5, 5, 7, 9]);
    assert.deepEqual(result.removed, []);
    assertClose(result.steps[0]?.g ?? 0, 1.8708, 1e-4);
  });

  it("refuses too few values and a bad significance level", () => {
    assertInvalidInput(() => grubbsTest([1, 2]));
    assertInvalidInput(() => grubbsTest([1, 2, 3], 0));
    assertInvalidInput(() => grubbsCritical(2));
  });
});

describe("Dixon", () => {
  const textbook = [0.189, 0.167, 0.187, 0.183, 0.186, 0.182, 0.181, 0.184, 0.181, 0.177];

  it("keeps the textbook suspect at 95 % and rejects it at 90 % with the r10 (Q) ratio", () => {
    // low suspect 0.167: Q = (0.177 − 0.167) / (0.189 − 0.167) = 0.010 / 0.022 = 0.4545
    // Q_crit(n = 10): 0.466 at α = 0.05, 0.412 at α = 0.10
    const at95 = dixonTest(textbook, { alpha: 0.05, statistic: "r10" });
    assert.equal(at95.suspect, 0.167);
    assert.equal(at95.side, "low");
    assertClose(at95.q, 0.4545, 1e-4);
    assert.equal(at95.significant, false);
    assert.deepEqual(at95.removed, []);
    const at90 = dixonTest(textbook, { alpha: 0.1, statistic: "r10" });
    assert.equal(at90.significant, true);
    assert.deepEqual(at90.removed, [0.167]);
    assert.equal(at90.kept.length, 9);
  });

  it("removes an obvious high value", () => {
    // 10 10.1 10.2 10.3 14: Q = (14 − 10.3) / (14 − 10) = 0.925 > 0.710 (n = 5, α = 0.05)
    const result = dixonTest([10, 14, 10.1, 10.2, 10.3]);
    assert.equal(result.side, "high");
    assertClose(result.q, 0.925, 1e-12);
    assert.deepEqual(result.removed, [14]);
    assert.match(result.reason.zh, /离群值/);
  });

  it("uses r11 for n = 8..10 by default and reports it", () => {
    // sorted 0.167 0.177 0.181 0.181 0.182 0.183 0.184 0.186 0.187 0.189
    // low r11 = (0.177 − 0.167) / (0.187 − 0.167) = 0.5; high r11 = (0.189 − 0.187) / (0.189 − 0.177) = 0.1667
    // critical r11(n = 10): 0.534 at α = 0.05, 0.477 at α = 0.10 (Rorabacher 1991)
    const at95 = dixonTest(textbook);
    assert.equal(at95.statistic, "r11");
    assertClose(at95.q, 0.5, 1e-9);
    assert.equal(at95.qCritical, 0.534);
    assert.equal(at95.significant, false);
    assert.equal(dixonTest(textbook, 0.1).significant, true);
    assert.match(at95.reason.en, /r11 = 0\.500/);
  });

  it("r21 (n = 11..13) sees through a pair of high values that would mask each other", () => {
    // sorted 10.0 10.1 10.2 10.2 10.3 10.3 10.4 10.5 10.6 12.9 13.0
    // high r21 = (13.0 − 10.6) / (13.0 − 10.1) = 2.4 / 2.9 = 0.8276 > 0.625 (n = 11, α = 0.05)
    // (r10 would give (13.0 − 12.9) / 3.0 = 0.033: masked)
    const data = [10.3, 12.9, 10.0, 10.2, 10.1, 13.0, 10.4, 10.2, 10.5, 10.3, 10.6];
    const result = dixonTest(data);
    assert.equal(result.statistic, "r21");
    assertClose(result.q, 2.4 / 2.9, 1e-9);
    assert.deepEqual(result.removed, [13]);
    assert.equal(dixonTest(data, { statistic: "r10" }).significant, false);
  });

  it("r22 (n = 14..30) flags a low value", () => {
    // sorted 2.0 9.8 9.9 10.0 10.0 10.1 10.1 10.2 10.2 10.3 10.3 10.4 10.5 10.6
    // low r22 = (x₃ − x₁) / (x₁₂ − x₁) = (9.9 − 2.0) / (10.4 − 2.0) = 0.9405 > 0.590 (n = 14, α = 0.05)
    const data = [10.0, 9.8, 10.1, 2.0, 10.2, 10.3, 9.9, 10.0, 10.1, 10.2, 10.3, 10.4, 10.5, 10.6];
    const result = dixonTest(data);
    assert.equal(result.statistic, "r22");
    assert.equal(result.side, "low");
    assertClose(result.q, 7.9 / 8.4, 1e-9);
    assert.deepEqual(result.removed, [2]);
  });

  it("iterates, re-choosing the ratio as n shrinks, and reports each removal with its reason", () => {
    // 11 values → r21 removes 13.0 (above); 10 values → r11 high = (12.9 − 10.6) / (12.9 − 10.1)
    // = 0.8214 > 0.534 removes 12.9; 9 values → r11 = 0.1 / 0.5 = 0.2 < 0.570 → stop.
    const data = [10.3, 12.9, 10.0, 10.2, 10.1, 13.0, 10.4, 10.2, 10.5, 10.3, 10.6];
    const result = dixonIterated(data);
    assert.deepEqual(result.removed.map((step) => [step.suspect, step.index, step.statistic]), [[13, 5, "r21"], [12.9, 1, "r11"]]);
    assertClose(result.removed[1]?.q ?? 0, 2.3 / 2.8, 1e-9);
    assert.equal(result.steps.length, 3);
    assert.equal(result.steps[2]?.significant, false);
    assert.equal(result.kept.length, 9);
    assert.match(result.removed[0]?.reason.zh ?? "", /离群值 13/);
    assert.match(result.stoppedBecause.en, /not significant/);
  });

  it("stops iterating when too few values remain for the ratio", () => {
    // 1 1.1 50 100: r10 high = 50/99 = 0.505 < 0.829 → nothing; but 1 1.01 1.02 9 at r10: (9 − 1.02)/8 = 0.9975 > 0.970
    // (n = 3 after removal: 1 1.01 1.02 → 0.01/0.02 = 0.5 < 0.970 → stop)
    const result = dixonIterated([1, 1.01, 1.02, 9]);
    assert.deepEqual(result.removed.map((step) => step.suspect), [9]);
    assert.equal(result.steps.length, 2);
  });

  it("refuses sizes outside the tables, a zero range, an untabulated alpha and an unknown ratio", () => {
    assert.equal(dixonCritical(3, 0.01), 0.994);
    assert.equal(dixonCritical(30, 0.05), 0.414); // r22, n = 30 (Rorabacher 1991)
    assertInvalidInput(() => dixonTest(Array.from({ length: 31 }, (_, i) => i)));
    assertInvalidInput(() => dixonTest([1, 2, 3, 4, 5], { statistic: "r22" }));
    assertInvalidInput(() => dixonTest([1, 2, 3], { statistic: "r99" as "r10" }));
    assertInvalidInput(() => dixonIterated([1, 2]));
    assertInvalidInput(() => dixonTest([2, 2, 2]));
    assertInvalidInput(() => dixonTest([1, 2, 3], 0.2 as 0.05));
  });
});

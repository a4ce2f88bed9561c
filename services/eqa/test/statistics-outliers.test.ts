// Sources: Grubbs (1969) Technometrics 11:1–21, two-sided critical values as tabulated in
// ISO 5725-2:1994 Table 5 (n = 8: 2.126, 9: 2.215, 10: 2.290, 20: 2.709 at α = 0.05);
// Rorabacher (1991) Anal. Chem. 63:139–146; the Dixon example is the one reproduced from it in
// textbooks and the Wikipedia article "Dixon's Q test".
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dixonCritical, dixonTest, grubbsCritical, grubbsIterated, grubbsTest } from "../src/index.ts";
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

describe("Dixon Q (r10)", () => {
  const textbook = [0.189, 0.167, 0.187, 0.183, 0.186, 0.182, 0.181, 0.184, 0.181, 0.177];

  it("keeps the textbook suspect at 95 % and rejects it at 90 %", () => {
    // low suspect 0.167: Q = (0.177 − 0.167) / (0.189 − 0.167) = 0.010 / 0.022 = 0.4545
    // Q_crit(n = 10): 0.466 at α = 0.05, 0.412 at α = 0.10
    const at95 = dixonTest(textbook, 0.05);
    assert.equal(at95.suspect, 0.167);
    assert.equal(at95.side, "low");
    assertClose(at95.q, 0.4545, 1e-4);
    assert.equal(at95.significant, false);
    assert.deepEqual(at95.removed, []);
    const at90 = dixonTest(textbook, 0.1);
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

  it("refuses sizes outside the table, a zero range and an untabulated alpha", () => {
    assert.equal(dixonCritical(3, 0.01), 0.994);
    assertInvalidInput(() => dixonTest([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
    assertInvalidInput(() => dixonTest([2, 2, 2]));
    assertInvalidInput(() => dixonTest([1, 2, 3], 0.2 as 0.05));
  });
});

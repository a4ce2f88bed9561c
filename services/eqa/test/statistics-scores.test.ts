// Expected values derived by hand in the comments; sources: ISO 13528:2015 7.7.3, 9.2, 9.4–9.7.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  checkAssignedValueUncertainty,
  enNumber,
  judgeEn,
  judgeZ,
  pairedDifference,
  uncertaintyOfAssignedValue,
  zetaScore,
  zPrimeScore,
  zScore,
} from "../src/index.ts";
import { assertClose, assertInvalidInput } from "./helpers.ts";

describe("performance scores", () => {
  it("z = (x − xpt) / σpt", () => {
    assert.equal(zScore(12, 10, 1), 2); // 2 / 1
    assert.equal(zScore(8.5, 10, 0.5), -3); // −1.5 / 0.5
  });

  it("z′ widens the denominator by u(xpt)", () => {
    assertClose(zPrimeScore(12, 10, 3, 4), 0.4, 1e-12); // 2 / sqrt(9 + 16) = 2 / 5
  });

  it("ζ and En use the combined uncertainties", () => {
    assertClose(zetaScore(12, 10, 0.6, 0.8), 2, 1e-12); // 2 / sqrt(0.36 + 0.64)
    assertClose(enNumber(11, 10, 0.6, 0.8), 1, 1e-12); // 1 / 1
  });

  it("refuses a zero or non-finite denominator", () => {
    assertInvalidInput(() => zScore(1, 1, 0));
    assertInvalidInput(() => zPrimeScore(1, 1, 1, -1));
    assertInvalidInput(() => zetaScore(1, 1, 0, 0));
    assertInvalidInput(() => enNumber(Number.NaN, 1, 1, 1));
  });
});

describe("judgements", () => {
  it("judges z at the 2 and 3 boundaries with English and Chinese labels", () => {
    assert.deepEqual(judgeZ(2), { judgement: "satisfactory", en: "Satisfactory", zh: "满意" });
    assert.equal(judgeZ(-2.01).judgement, "questionable");
    assert.equal(judgeZ(2.999).judgement, "questionable");
    assert.deepEqual(judgeZ(-3), { judgement: "unsatisfactory", en: "Unsatisfactory", zh: "不满意" });
  });

  it("judges En at 1", () => {
    assert.equal(judgeEn(1).judgement, "satisfactory");
    assert.equal(judgeEn(-1.01).judgement, "unsatisfactory");
  });
});

describe("paired samples and the uncertainty of the assigned value", () => {
  it("|x1 − x2| / √2", () => {
    assertClose(pairedDifference(10, 12), 1.4142135624, 1e-9); // 2 / 1.41421356
    assert.equal(pairedDifference(12, 10), pairedDifference(10, 12));
  });

  it("u(xpt) = 1.25 s* / √p", () => {
    assertClose(uncertaintyOfAssignedValue(2, 25), 0.5, 1e-12); // 1.25 × 2 / 5
    assertInvalidInput(() => uncertaintyOfAssignedValue(2, 0));
    assertInvalidInput(() => uncertaintyOfAssignedValue(2, 2.5));
  });

  it("passes u ≤ 0.3 σpt and warns, in both languages, above it", () => {
    assert.deepEqual(checkAssignedValueUncertainty(0.5, 2), { ok: true, ratio: 0.25 }); // limit 0.6
    const failed = checkAssignedValueUncertainty(0.5, 1); // limit 0.3
    assert.equal(failed.ok, false);
    assert.match(failed.warning?.en ?? "", /0\.3 σpt/);
    assert.match(failed.warning?.zh ?? "", /不确定度/);
  });
});

// LOINC's mod 10 check digit (LOINC Users' Guide), worked by hand: 2345 → digits from the right
// 5·2=10→1, 4, 3·2=6, 2 → 1+4+6+2 = 13 → check 7 (2345-7, glucose); 718 → 8·2=16→7, 1, 7·2=14→5
// → 13 → 7 (718-7, haemoglobin); 14771 → 1·2=2, 7, 7·2=14→5, 4, 1·2=2 → 20 → 0.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LOINC_PATTERN, isValidLoinc, loincCheckDigit } from "../src/index.ts";

describe("LOINC codes", () => {
  it("computes the check digit", () => {
    assert.deepEqual(["2345", "718", "14771"].map(loincCheckDigit), [7, 7, 0]);
  });
  it("accepts a code with its check digit and refuses a wrong digit, a missing one, or a leading zero", () => {
    assert.equal(isValidLoinc("2345-7"), true);
    assert.equal(isValidLoinc("2345-6"), false);
    assert.equal(isValidLoinc("2345"), false);
    assert.equal(isValidLoinc("02345-7"), false);
    assert.equal(LOINC_PATTERN.test("12345678-0"), false, "at most 7 digits");
  });
});

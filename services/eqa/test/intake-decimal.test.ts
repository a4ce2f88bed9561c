// Parsing numbers as typed (E notation, full-width digits) and rounding by GB/T 8170-2008 clause
// 3.2 (四舍六入五成双). Sources: the standard's own examples (3.2.1–3.2.5) where cited; the rest
// worked by hand from the rule, each in its comment.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseDecimal, roundDecimal, toNumber } from "../src/intake/index.ts";

function round(text: string, decimals: number): string {
  const parsed = parseDecimal(text);
  assert.ok(parsed.ok, `${text} should parse`);
  return roundDecimal(parsed.value, decimals);
}

describe("GB/T 8170 rounding", () => {
  it("drops a first discarded digit below 5 (3.2.1: 12.1498 → 12.1 and → 12)", () => {
    assert.equal(round("12.1498", 1), "12.1");
    assert.equal(round("12.1498", 0), "12");
  });
  it("rounds up above 5, and on 5 followed by a non-zero digit (3.2.3: 10.5002 → 11)", () => {
    assert.equal(round("10.5002", 0), "11");
    assert.equal(round("5.626", 2), "5.63");
    assert.equal(round("5.6251", 2), "5.63");
  });
  it("rounds an exact 5 to the even neighbour (3.2.4: 1.050 → 1.0, 0.35 → 0.4)", () => {
    assert.equal(round("1.050", 1), "1.0");
    assert.equal(round("0.35", 1), "0.4");
    // 5.625 → kept 5.62, discarded exactly 5, last kept 2 is even → 5.62; 5.635 → 3 odd → 5.64.
    assert.equal(round("5.625", 2), "5.62");
    assert.equal(round("5.635", 2), "5.64");
    // 2500 and 3500 to thousands are the standard's example; at 0 decimals: 2.5 → 2, 3.5 → 4.
    assert.equal(round("2.5", 0), "2");
    assert.equal(round("3.5", 0), "4");
  });
  it("rounds the absolute value of a negative number and restores the sign (3.2.5: -0.0365 → -0.036)", () => {
    assert.equal(round("-0.0365", 3), "-0.036");
    // -3.55 → |3.55| → 3.6 (5 exact, 5 odd → up) → -3.6; -3.25 → 3.2 → -3.2 (the standard's -355, -325 to tens, scaled).
    assert.equal(round("-3.55", 1), "-3.6");
    assert.equal(round("-3.25", 1), "-3.2");
  });
  it("works on the decimal digits, not on binary floats (2.675 → 2.68 where toFixed gives 2.67)", () => {
    assert.equal((2.675).toFixed(2), "2.67"); // the binary float 2.67499999… the rule must not see
    assert.equal(round("2.675", 2), "2.68"); // 7 odd → up
    assert.equal(round("1.005", 2), "1.00"); // 0 even → kept
  });
  it("carries into a new integer digit and pads to the decimals", () => {
    assert.equal(round("9.995", 2), "10.00"); // 9 odd → up, carry
    assert.equal(round("99.96", 1), "100.0");
    assert.equal(round("5.6", 2), "5.60");
    assert.equal(round("7", 3), "7.000");
  });
  it("never produces a negative zero", () => {
    assert.equal(round("-0.004", 2), "0.00");
    assert.equal(round("-0.005", 2), "0.00"); // exact 5, kept 0 even → 0.00
  });
});

describe("parsing numbers as typed", () => {
  it("converts E notation exactly (1.2E5 = 120000, 1.2e-3 = 0.0012)", () => {
    assert.equal(round("1.2E5", 0), "120000");
    assert.equal(round("1.2e-3", 4), "0.0012");
    assert.equal(round("1.25E-3", 4), "0.0012"); // 0.00125: 5 exact, 2 even → down
    assert.equal(round("1.35E-3", 4), "0.0014"); // 0.00135: 3 odd → up
    assert.equal(round("3.456E+2", 1), "345.6");
    const parsed = parseDecimal("1.2E5");
    assert.ok(parsed.ok);
    assert.equal(toNumber(parsed.value), 120000);
  });
  it("accepts full-width digits, point and minus from Chinese input methods", () => {
    assert.equal(round("５．６２", 2), "5.62");
    assert.equal(round("－５．６２", 2), "-5.62");
    assert.equal(round("\u22125.62", 2), "-5.62"); // U+2212 minus sign
    assert.equal(round(" 1.2Ｅ3 ", 0), "1200");
    assert.equal(round(".5", 1), "0.5");
  });
  it("refuses censored values, decimal commas, ×10^ notation, huge exponents and text, with the reason", () => {
    const reason = (text: string) => {
      const p = parseDecimal(text);
      return p.ok ? "ok" : p.reason;
    };
    assert.equal(reason("<0.5"), "censored");
    assert.equal(reason("＞1000"), "censored");
    assert.equal(reason("≤0.25"), "censored");
    assert.equal(reason("5,62"), "decimalComma");
    assert.equal(reason("1.2×10^5"), "notANumber");
    assert.equal(reason("1E31"), "exponentTooLarge");
    assert.equal(reason("1E30"), "ok");
    assert.equal(reason(""), "empty");
    assert.equal(reason("阳性"), "notANumber");
    assert.equal(reason("5.6.2"), "notANumber");
    assert.equal(reason("1e"), "notANumber");
  });
});

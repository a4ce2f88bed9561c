import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LAB_ANALYTES, convertLabValue } from "../src/criteria/index.ts";
import { assertClose, assertInvalidInput } from "./helpers.ts";
import { isValidLoinc } from "@health-chain/sdk";

describe("lab unit conversion", () => {
  it("HbA1c: IFCC = (NGSP − 2.15) × 10.929 — 7 % = 4.85 × 10.929 = 53.00565 mmol/mol, and back", () => {
    assertClose(convertLabValue("4548-4", 7, "%", "mmol/mol"), 53.00565, 1e-9);
    // 48 mmol/mol: 48 / 10.929 + 2.15 = 4.39198... + 2.15 = 6.54198 %
    assertClose(convertLabValue("59261-8", 48, "mmol/mol", "%"), 6.541985, 1e-6);
  });
  it("glucose: 7.0 mmol/L × 18.016 = 126.112 mg/dL; 100 mg/dL ÷ 18.016 = 5.55062 mmol/L", () => {
    assertClose(convertLabValue("14749-6", 7, "mmol/L", "mg/dL"), 126.112, 1e-9);
    assertClose(convertLabValue("1558-6", 100, "mg/dL", "mmol/L"), 5.550622, 1e-6);
  });
  it("creatinine: 1.2 mg/dL × 88.4 = 106.08 µmol/L; 'umol/L' is the same unit", () => {
    assertClose(convertLabValue("2160-0", 1.2, "mg/dL", "µmol/L"), 106.08, 1e-9);
    assertClose(convertLabValue("14682-9", 106.08, "umol/L", "mg/dL"), 1.2, 1e-12);
  });
  it("cholesterol (total, LDL, HDL): 5.2 mmol/L × 38.67 = 201.084 mg/dL", () => {
    for (const loinc of ["14647-2", "22748-8", "14646-4"]) assertClose(convertLabValue(loinc, 5.2, "mmol/L", "mg/dL"), 201.084, 1e-9);
  });
  it("a value converted to its own unit is unchanged", () => assert.equal(convertLabValue("4548-4", 6.5, "%", "%"), 6.5));
  it("refuses an analyte without a table, an unknown unit and a non-finite value", () => {
    assertInvalidInput(() => convertLabValue("3016-3", 1, "mIU/L", "mIU/L"));
    assertInvalidInput(() => convertLabValue("4548-4", 7, "%", "mg/dL"));
    assertInvalidInput(() => convertLabValue("4548-4", Number.NaN, "%", "mmol/mol"));
  });
  it("every LOINC code of the table carries a valid check digit and belongs to one analyte only", () => {
    const all = LAB_ANALYTES.flatMap((a) => a.loinc);
    for (const code of all) assert.ok(isValidLoinc(code), code);
    assert.equal(new Set(all).size, all.length);
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isPlatformError } from "@health-chain/sdk";
import { parseCriteria } from "../src/criteria/index.ts";
import { assertInvalidInput } from "./helpers.ts";

/** Asserts parseCriteria refuses `tree` with INVALID_INPUT (en + zh) naming `path` and `reason`. */
function assertRefused(tree: unknown, path: string, reason: string): void {
  assertInvalidInput(() => parseCriteria(tree));
  assert.throws(
    () => parseCriteria(tree),
    (error: unknown) => {
      assert.ok(isPlatformError(error, "INVALID_INPUT"));
      const details = error.details as { path: string; reason: string };
      assert.equal(details.path, path);
      assert.equal(details.reason, reason);
      assert.ok(error.message.includes(path === "" ? "the root" : path));
      return true;
    },
  );
}

const dm = { type: "diagnosis", id: "dm", codes: ["E11"] };
const hba1c = { type: "lab", loinc: "4548-4", comparator: ">", value: 7, unit: "%" };
const and = (...children: unknown[]) => ({ type: "and", children });

describe("criteria grammar", () => {
  it("accepts the issue's example, HbA1c > 7 % within 90 days after a diabetes diagnosis, defaulting the anchor to the first diagnosis", () => {
    const tree = parseCriteria(and(dm, { ...hba1c, within: { days: 90, after: "dm" } }));
    assert.equal(tree.type, "and");
    const lab = tree.type === "and" ? tree.children[1] : undefined;
    assert.equal(lab?.type === "lab" ? lab.within?.anchor : undefined, "first");
  });

  it("refuses an unknown node type at that node", () => assertRefused(and(dm, { type: "procedure" }), "/children/1/type", "unknown-node-type"));
  it("refuses and/or without children", () => {
    assertRefused({ type: "and", children: [] }, "/children", "too-few");
    assertRefused(and({ type: "or", children: [] }), "/children/0/children", "too-few");
  });
  it("refuses not without its one child, and not with a list", () => {
    assertRefused({ type: "not" }, "/child", "wrong-type");
    assertRefused({ type: "not", child: [dm] }, "/child", "wrong-type");
  });
  it("refuses unknown fields (a misspelt key must not be ignored)", () => assertRefused(and({ ...dm, widnow: {} }), "/children/0", "unknown-key"));
  it("refuses malformed ICD-10 codes, naming the code", () => {
    assertRefused(and({ ...dm, codes: ["E11", "e11"] }), "/children/0/codes/1", "icd10");
    assertRefused(and({ ...dm, codes: ["E1"] }), "/children/0/codes/0", "icd10");
    assertRefused(and({ ...dm, codes: [] }), "/children/0/codes", "too-few");
  });
  it("refuses malformed ATC codes", () => {
    assertRefused({ type: "medication", codes: ["A10B0"] }, "/codes/0", "atc");
    assertRefused({ type: "medication", codes: ["X10"] }, "/codes/0", "atc");
  });
  it("refuses a LOINC code with a wrong check digit", () => assertRefused({ ...hba1c, loinc: "4548-5" }, "/loinc", "loinc"));
  it("refuses a LOINC analyte without a conversion table", () => assertRefused({ ...hba1c, loinc: "3016-3", unit: "mIU/L" }, "/loinc", "analyte-without-conversion"));
  it("refuses a unit not known for the analyte", () => {
    assertRefused({ ...hba1c, unit: "mg/dL" }, "/unit", "unknown-unit");
    assertRefused({ ...hba1c, loinc: "2345-7", unit: "mmol/mol" }, "/unit", "unknown-unit");
  });
  it("refuses an unknown comparator and a missing or misplaced value", () => {
    assertRefused({ ...hba1c, comparator: "≥" }, "/comparator", "not-allowed");
    assertRefused({ type: "lab", loinc: "4548-4", comparator: ">", unit: "%" }, "", "comparator-needs-value");
    assertRefused({ ...hba1c, comparator: "between" }, "", "between-needs-low-high");
    assertRefused({ ...hba1c, value: undefined, comparator: "between", low: 9, high: 7 }, "/low", "empty-range");
    assertRefused({ ...hba1c, value: "7" }, "/value", "wrong-type");
  });
  it("refuses impossible or reversed windows", () => {
    assertRefused({ ...dm, window: { from: "2023-02-29" } }, "/window/from", "date");
    assertRefused({ ...dm, window: { from: "2024-02-01", to: "2024-01-01" } }, "/window", "empty-range");
  });
  it("refuses an empty demographic, an empty age range and an unknown sex code", () => {
    assertRefused({ type: "demographic" }, "", "empty-demographic");
    assertRefused({ type: "demographic", age: {} }, "/age", "empty-age");
    assertRefused({ type: "demographic", age: { min: 70, max: 60 } }, "/age", "empty-range");
    assertRefused({ type: "demographic", age: { min: 1.5 } }, "/age/min", "wrong-type");
    assertRefused({ type: "demographic", sex: ["M"] }, "/sex/0", "not-allowed");
  });
  it("refuses windows and temporal relations on demographic leaves (residents' attributes have no event date)", () => {
    assertRefused({ type: "demographic", sex: ["1"], window: { from: "2024-01-01" } }, "", "unknown-key");
  });
  it("refuses duplicate ids, unknown references and references to a demographic leaf", () => {
    assertRefused(and(dm, { ...hba1c, id: "dm" }), "/children/1/id", "duplicate-id");
    assertRefused(and(dm, { ...hba1c, within: { days: 90, after: "t2d" } }), "/children/1/within/after", "unknown-reference");
    assertRefused(
      and({ type: "demographic", id: "old", age: { min: 65 } }, { ...hba1c, within: { days: 90, after: "old" } }),
      "/children/1/within/after",
      "reference-without-dates",
    );
  });
  it("refuses cyclic temporal references, including a leaf referring to itself", () => {
    assertRefused({ ...dm, within: { days: 1, after: "dm" } }, "/within/after", "cyclic-reference");
    assertRefused(
      and({ ...dm, within: { days: 1, after: "a1c" } }, { type: "not", child: { ...hba1c, id: "a1c", within: { days: 90, after: "dm" } } }),
      "/children/0/within/after",
      "cyclic-reference",
    );
  });
  it("accepts a chain of relations (a → b → c) that is not a cycle", () => {
    const tree = and(dm, { ...hba1c, id: "a1c", within: { days: 90, after: "dm" } }, { type: "medication", codes: ["A10BA02"], within: { days: 30, after: "a1c", anchor: "any" } });
    assert.doesNotThrow(() => parseCriteria(tree));
  });
  it("refuses a negative or fractional day count", () => {
    assertRefused(and(dm, { ...hba1c, within: { days: -1, after: "dm" } }), "/children/1/within/days", "too-small");
    assertRefused(and(dm, { ...hba1c, within: { days: 1.5, after: "dm" } }), "/children/1/within/days", "wrong-type");
  });
});

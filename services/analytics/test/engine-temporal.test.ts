import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { compileCount, countResidents, createSchema, loadRows, referenceCount, type EventTables } from "../src/engine/index.ts";

// Five residents worked by hand for "HbA1c > 7 % within 90 days after the first diabetes diagnosis":
//  a: E11.9 on 2024-01-01, HbA1c 7.5 % on 2024-03-31 (day 90)              → counts
//  b: E11 on 2024-01-01, HbA1c 60 mmol/mol (= 7.65 %) on 2024-02-01          → counts (unit converted)
//  c: E11 on 2024-01-01, HbA1c 7.5 % on 2024-04-01 (day 91)                 → not (outside 90 days)
//  d: E11 on 2024-01-01 and 2024-06-01, HbA1c 8 % on 2024-07-01              → not with anchor "first", yes with "any"
//  e: HbA1c 9 % on 2023-12-01, E11 on 2024-01-01 (result before diagnosis)   → not
//  f: E10 (type 1) on 2024-01-01, HbA1c 9 % on 2024-01-15                   → not (other diagnosis)
//  g: E11 on 2024-01-01, HbA1c 53 mmol/mol (= 6.9994 %) on 2024-01-10         → not (53 < 53.00565)
const data: EventTables = {
  residents: ["a", "b", "c", "d", "e", "f", "g"].map((ref) => ({ resident_ref: ref, sex: "1", birth_date: "1960-01-01", region: "330102" })),
  diagnoses: [
    { resident_ref: "a", code: "E11.9", at: "2024-01-01" },
    { resident_ref: "b", code: "E11", at: "2024-01-01" },
    { resident_ref: "c", code: "E11", at: "2024-01-01" },
    { resident_ref: "d", code: "E11", at: "2024-01-01" },
    { resident_ref: "d", code: "E11", at: "2024-06-01" },
    { resident_ref: "e", code: "E11", at: "2024-01-01" },
    { resident_ref: "f", code: "E10", at: "2024-01-01" },
    { resident_ref: "g", code: "E11", at: "2024-01-01" },
  ],
  labs: [
    { resident_ref: "a", loinc: "4548-4", value: 7.5, unit: "%", at: "2024-03-31" },
    { resident_ref: "b", loinc: "59261-8", value: 60, unit: "mmol/mol", at: "2024-02-01" },
    { resident_ref: "c", loinc: "4548-4", value: 7.5, unit: "%", at: "2024-04-01" },
    { resident_ref: "d", loinc: "4548-4", value: 8, unit: "%", at: "2024-07-01" },
    { resident_ref: "e", loinc: "4548-4", value: 9, unit: "%", at: "2023-12-01" },
    { resident_ref: "f", loinc: "4548-4", value: 9, unit: "%", at: "2024-01-15" },
    { resident_ref: "g", loinc: "59261-8", value: 53, unit: "mmol/mol", at: "2024-01-10" },
  ],
  medications: [],
};
const options = { indexDate: "2024-12-31" };
const example = (anchor: "first" | "any") => ({
  type: "and",
  children: [
    { type: "diagnosis", id: "t2dm", codes: ["E11"] },
    { type: "lab", loinc: "4548-4", comparator: ">", value: 7, unit: "%", within: { days: 90, after: "t2dm", anchor } },
  ],
});

let connection: DuckDBConnection;
before(async () => {
  connection = await (await DuckDBInstance.create(":memory:")).connect();
  await createSchema(connection);
  for (const table of ["residents", "diagnoses", "labs", "medications"] as const) await loadRows(connection, table, data[table]);
});
after(() => connection.closeSync());

describe("temporal relation, worked by hand", () => {
  it("counts a and b (day 0–90 after the first E11, threshold converted to mmol/mol) and no one else", async () => {
    assert.equal(await countResidents(connection, example("first"), options), 2);
    assert.equal(referenceCount(data, example("first"), options), 2);
  });
  it("with anchor 'any', d's second diagnosis anchors its result too", async () => {
    assert.equal(await countResidents(connection, example("any"), options), 3);
    assert.equal(referenceCount(data, example("any"), options), 3);
  });
  it("exclusion by not: diabetics (E11, 6 residents) without an HbA1c > 7 % ever (a, b, c, d, e) → g only", async () => {
    const tree = { type: "and", children: [{ type: "diagnosis", codes: ["E11"] }, { type: "not", child: { type: "lab", loinc: "59261-8", comparator: ">", value: 53.00565, unit: "mmol/mol" } }] };
    assert.equal(await countResidents(connection, tree, options), 1);
  });
  it("binds every value: none of the tree's codes, thresholds, dates or day counts appear in the SQL text", () => {
    const tree = {
      type: "and",
      children: [
        { type: "diagnosis", id: "t2dm", codes: ["E11.9"], window: { from: "2021-03-04", to: "2023-05-06" } },
        { type: "lab", loinc: "2160-0", comparator: "between", low: 1.37, high: 2.71, unit: "mg/dL", within: { days: 137, after: "t2dm" } },
        { type: "medication", codes: ["A10BA02"] },
        { type: "demographic", sex: ["2"], region: ["330106"], age: { min: 41, max: 59 } },
      ],
    };
    const { sql, params } = compileCount(tree, options);
    for (const literal of ["E11", "2021-03-04", "2023-05-06", "2160-0", "1.37", "2.71", "mg/dL", "137", "A10BA02", "330106", "'2'", "41", "59"]) {
      assert.ok(!sql.replace(/\$\d+/g, "$").includes(literal), `literal ${literal} found in SQL`);
    }
    assert.ok(params.includes("A10BA02") && params.includes(137) && params.includes("2021-03-04"));
    // 1.37 mg/dL × 88.4 = 121.108 µmol/L is bound for the µmol/L results.
    assert.ok(params.some((p) => typeof p === "number" && Math.abs(p - 121.108) < 1e-9));
  });
  it("a sponsor string that looks like SQL is compared as a value, never executed", async () => {
    const tree = { type: "demographic", region: ["330102' OR '1'='1"] };
    assert.equal(await countResidents(connection, tree, options), 0);
    assert.equal(await countResidents(connection, { type: "demographic", region: ["330102"] }, options), 7);
  });
  it("loadRows refuses a bad row and loads nothing", async () => {
    const before = Number((await connection.runAndReadAll("SELECT count(*) AS n FROM labs")).getRowObjects()[0]!["n"]);
    await assert.rejects(
      loadRows(connection, "labs", [
        { resident_ref: "z", loinc: "4548-4", value: 7, unit: "%", at: "2024-01-01" },
        { resident_ref: "z", loinc: "4548-4", value: Number.NaN, unit: "%", at: "2024-01-01" },
      ]),
      (error: Error & { code?: string; details?: { row?: number } }) => error.code === "INVALID_INPUT" && error.details?.row === 1,
    );
    const afterCount = Number((await connection.runAndReadAll("SELECT count(*) AS n FROM labs")).getRowObjects()[0]!["n"]);
    assert.equal(afterCount, before);
  });
});

// DuckDB's counts against the reference evaluator on seeded random data and seeded random trees:
// the two are written independently (SQL set operations and joins vs. TypeScript sets and loops), so
// agreement on hundreds of residents and many trees exercises every node type, comparator, unit,
// window and temporal anchor.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { countResidents, createSchema, funnel, loadRows, referenceCount, referenceFunnel, type EventTables } from "../src/engine/index.ts";
import { parseCriteria } from "../src/criteria/index.ts";
import { mulberry32 as mulberry32Rng } from "../src/synthetic/random.ts";

/** The seeded PRNG of the synthetic district (mulberry32): a failure is reproducible from its seed. */
const prng = (seed: number): (() => number) => mulberry32Rng(seed).next;

const DX = ["E11", "E11.9", "E11.900", "E10.1", "I10", "I10.x01", "N18.3", "E110"];
const ATC = ["A10BA02", "A10BB01", "C09AA02", "C10AA05", "A10AE04"];
// [loinc, unit, low, high] of results as the district reports them, including units not in the table.
const LABS: [string, string, number, number][] = [
  ["4548-4", "%", 4.5, 11],
  ["59261-8", "mmol/mol", 25, 100],
  ["14771-0", "mmol/L", 3.5, 15],
  ["1558-6", "mg/dL", 60, 270],
  ["14682-9", "µmol/L", 40, 300],
  ["2160-0", "mg/dL", 0.4, 3.4],
  ["2093-3", "mg/dL", 120, 320],
  ["14647-2", "mmol/L", 3, 8.5],
  ["4548-4", "mmol/mol", 25, 100], // a result filed under the % code but in mmol/mol: still converted
  ["4548-4", "g/L", 1, 2], // a unit the table does not know: never matches a threshold
];
const REGIONS = ["330102", "330105", "330106"];

function randomDate(rand: () => number, fromYear = 2019, years = 6): string {
  const day = Date.UTC(fromYear, 0, 1) / 86_400_000 + Math.floor(rand() * 365 * years);
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

function randomData(seed: number, residents: number): EventTables {
  const rand = prng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const data = { residents: [], diagnoses: [], labs: [], medications: [] } as { [K in keyof EventTables]: EventTables[K][number][] };
  for (let i = 0; i < residents; i++) {
    const ref = `R${String(i).padStart(5, "0")}`;
    data.residents.push({
      resident_ref: ref,
      sex: rand() < 0.05 ? null : pick(["1", "2", "9"]),
      birth_date: rand() < 0.05 ? null : rand() < 0.05 ? pick(["1960-02-29", "1964-02-29"]) : randomDate(rand, 1930, 90),
      region: rand() < 0.05 ? null : pick(REGIONS),
    });
    for (let k = Math.floor(rand() * 4); k > 0; k--) data.diagnoses.push({ resident_ref: ref, code: pick(DX), at: randomDate(rand) });
    for (let k = Math.floor(rand() * 5); k > 0; k--) {
      const [loinc, unit, low, high] = pick(LABS);
      // Some values sit exactly on the thresholds the trees use, to exercise >= versus >.
      const value = rand() < 0.1 ? pick([7, 53, 126, 7.0, 88.4, 200]) : Math.round((low + rand() * (high - low)) * 100) / 100;
      data.labs.push({ resident_ref: ref, loinc, value: rand() < 0.03 ? null : value, unit: rand() < 0.03 ? null : unit, at: randomDate(rand) });
    }
    for (let k = Math.floor(rand() * 3); k > 0; k--) data.medications.push({ resident_ref: ref, atc: pick(ATC), at: randomDate(rand) });
  }
  // Events of a resident missing from the residents table are outside the institution's population.
  data.diagnoses.push({ resident_ref: "ORPHAN", code: "E11", at: "2022-01-01" });
  return data;
}

function randomTree(rand: () => number): unknown {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const ids: string[] = [];
  const leaf = (): Record<string, unknown> => {
    const kind = pick(["diagnosis", "lab", "lab", "medication", "demographic"]);
    if (kind === "demographic") {
      const node: Record<string, unknown> = { type: "demographic" };
      if (rand() < 0.5) node["sex"] = [pick(["1", "2", "9"])];
      if (rand() < 0.5 || !node["sex"]) node["age"] = rand() < 0.5 ? { min: Math.floor(rand() * 70) } : { min: 20, max: 20 + Math.floor(rand() * 60) };
      if (rand() < 0.3) node["region"] = [pick(REGIONS)];
      return node;
    }
    const node: Record<string, unknown> =
      kind === "diagnosis"
        ? { type: "diagnosis", codes: [pick(["E11", "E11.9", "E10", "I10", "N18.3"]), ...(rand() < 0.3 ? ["I10"] : [])] }
        : kind === "medication"
          ? { type: "medication", codes: [pick(["A10", "A10B", "A10BA02", "C", "C10AA05"])] }
          : pick([
              { type: "lab", loinc: "4548-4", comparator: pick([">", ">=", "<", "<=", "="]), value: 7, unit: pick(["%", "mmol/mol"]) },
              { type: "lab", loinc: "59261-8", comparator: ">=", value: 53, unit: "mmol/mol" },
              { type: "lab", loinc: "14771-0", comparator: pick([">=", "<"]), value: 7, unit: "mmol/L" },
              { type: "lab", loinc: "1558-6", comparator: "between", low: 100, high: 126, unit: "mg/dL" },
              { type: "lab", loinc: "2160-0", comparator: ">", value: 1, unit: "mg/dL" },
              { type: "lab", loinc: "14682-9", comparator: "<=", value: 88.4, unit: "µmol/L" },
              { type: "lab", loinc: "2093-3", comparator: ">=", value: 200, unit: "mg/dL" },
            ]);
    if (rand() < 0.3) node["window"] = rand() < 0.5 ? { from: randomDate(rand) } : { from: "2020-01-01", to: randomDate(rand, 2021, 3) };
    if (ids.length > 0 && rand() < 0.4) node["within"] = { days: pick([0, 30, 90, 365]), after: pick(ids), anchor: pick(["first", "last", "any"]) };
    if (rand() < 0.6) {
      node["id"] = `l${ids.length}`;
      ids.push(node["id"] as string);
    }
    return node;
  };
  const node = (depth: number): unknown => {
    const r = rand();
    if (depth >= 3 || r < 0.4) return leaf();
    if (r < 0.55) return { type: "not", child: node(depth + 1) };
    const children = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => node(depth + 1));
    return { type: r < 0.8 ? "and" : "or", children };
  };
  // A top-level `and` of inclusions and exclusions, as a screening request is usually written.
  const children = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => (rand() < 0.3 ? { type: "not", child: node(1) } : node(1)));
  return { type: "and", children };
}

const SEED = 20_240_817;
const data = randomData(SEED, 400);
const options = { indexDate: "2025-03-01" };
let connection: DuckDBConnection;

before(async () => {
  connection = await (await DuckDBInstance.create(":memory:")).connect();
  await createSchema(connection);
  for (const table of ["residents", "diagnoses", "labs", "medications"] as const) await loadRows(connection, table, data[table]);
});
after(() => connection.closeSync());

describe("DuckDB against the reference evaluator, seeded random data and trees", () => {
  it("counts agree on 150 random trees over 400 residents, and the trees are not trivial", async () => {
    const rand = prng(SEED + 1);
    const counts: number[] = [];
    for (let i = 0; i < 150; i++) {
      const tree = randomTree(rand);
      parseCriteria(tree); // a generator bug must fail loudly, not be skipped
      const expected = referenceCount(data, tree, options);
      assert.equal(await countResidents(connection, tree, options), expected, `tree ${i}: ${JSON.stringify(tree)}`);
      counts.push(expected);
    }
    // Guard against a vacuous comparison: the trees must select varied, non-empty, non-full cohorts.
    assert.ok(counts.filter((n) => n > 0 && n < 400).length >= 50, `too few informative trees: ${counts.join(",")}`);
    assert.ok(new Set(counts).size >= 20);
  });

  it("funnels agree with the reference, never grow, and end at the tree's count", async () => {
    const rand = prng(SEED + 2);
    for (let i = 0; i < 40; i++) {
      const tree = randomTree(rand);
      const steps = await funnel(connection, tree, options);
      assert.deepEqual(steps, referenceFunnel(data, tree, options), `tree ${i}`);
      assert.equal(steps[0]!.residents, 400);
      for (let s = 1; s < steps.length; s++) assert.ok(steps[s]!.residents <= steps[s - 1]!.residents, `funnel grows at step ${s} of tree ${i}`);
      assert.equal(steps.at(-1)!.residents, await countResidents(connection, tree, options));
    }
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkKAnonymity, generalise, generaliseValue, type ExportRow, type QuasiIdentifier } from "../src/privacy/index.ts";
import { assertClose, assertInvalidInput } from "./helpers.ts";
import { mulberry32 as mulberry32Rng } from "../src/synthetic/random.ts";

const QIS: QuasiIdentifier[] = [
  { field: "age", kind: "age" },
  { field: "sex", kind: "sex" },
  { field: "region", kind: "region" },
];
// Six residents; every QI combination is unique at level 0.
const ROWS: ExportRow[] = [
  { id: "r0", age: 31, sex: "1", region: "330106" },
  { id: "r1", age: 33, sex: "1", region: "330108" },
  { id: "r2", age: 36, sex: "2", region: "330102" },
  { id: "r3", age: 38, sex: "2", region: "330105" },
  { id: "r4", age: 52, sex: "1", region: "330106" },
  { id: "r5", age: 54, sex: "1", region: "330183" },
];
const levelsOf = (outcome: ReturnType<typeof generalise>) => outcome.report.levels.map((level) => level.level);

/** The seeded PRNG of the synthetic district (mulberry32): a failure is reproducible from its seed. */
const mulberry32 = (seed: number): (() => number) => mulberry32Rng(seed).next;

describe("checkKAnonymity", () => {
  it("lists the classes below k and the smallest class", () => {
    const check = checkKAnonymity(ROWS, QIS, 2);
    assert.equal(check.satisfied, false);
    assert.equal(check.classCount, 6);
    assert.equal(check.minClassSize, 1);
    assert.deepEqual(check.classesBelowK.map((found) => found.rows), [[0], [1], [2], [3], [4], [5]]);
  });

  it("is satisfied when every combination has k rows", () => {
    const rows = [...ROWS.slice(0, 2), ...ROWS.slice(0, 2)]; // r0, r1 twice each
    const check = checkKAnonymity(rows, QIS, 2);
    assert.deepEqual([check.satisfied, check.classCount, check.minClassSize], [true, 2, 2]);
  });
});

describe("generalise", () => {
  it("finds the lowest lattice node by hand: age 5-year bands and region to the city", () => {
    // Height 1: (1,0,0) regions still unique; (0,1,0) ages unique; (0,0,1) ages unique.
    // Height 2: (2,0,0), (1,1,0), (0,0,2) regions or ages unique; (0,1,1) ages unique;
    //   (1,0,1): {30-34,1,330100} = r0 r1, {35-39,2,330100} = r2 r3, {50-54,1,330100} = r4 r5 → k = 2.
    const outcome = generalise(ROWS, QIS, 2);
    assert.equal(outcome.outcome, "k-anonymous");
    assert.deepEqual(levelsOf(outcome), [1, 0, 1]);
    assert.deepEqual(
      outcome.report.classes.map((found) => [found.values, found.size]),
      [
        [{ age: "30-34", sex: "1", region: "330100" }, 2],
        [{ age: "35-39", sex: "2", region: "330100" }, 2],
        [{ age: "50-54", sex: "1", region: "330100" }, 2],
      ],
    );
    // Prec = 1 − (1/4 + 0/1 + 1/3) / 3 = 1 − 7/36 = 29/36.
    assertClose(outcome.report.precision, 29 / 36, 1e-12);
    assertClose(outcome.report.informationLoss, 7 / 36, 1e-12);
    assert.deepEqual(outcome.report.suppressedRows, []);
    if (outcome.outcome !== "k-anonymous") return;
    assert.deepEqual(outcome.rows[0], { id: "r0", age: "30-34", sex: "1", region: "330100" });
  });

  it("breaks ties at equal height by precision, then by the order of the quasi-identifiers", () => {
    // region, sex: (1,0) gives classes by sex within 330100, Prec 1 − (1/3)/2 = 5/6;
    // (0,1) gives classes by region with sex *, Prec 1 − (1/1)/2 = 1/2 → (1,0) wins on precision.
    const rows = [
      { region: "330106", sex: "1" },
      { region: "330106", sex: "2" },
      { region: "330107", sex: "1" },
      { region: "330107", sex: "2" },
    ];
    const byPrecision = generalise(rows, [{ field: "region", kind: "region" }, { field: "sex", kind: "sex" }], 2);
    assert.deepEqual(levelsOf(byPrecision), [1, 0]);
    // Two dates with equal hierarchies: (1,0) and (0,1) both work with equal precision; the first QI
    // given is kept exact → (0,1).
    const dates = [
      { d1: "2024-01-05", d2: "2024-02-10" },
      { d1: "2024-01-20", d2: "2024-02-10" },
      { d1: "2024-01-05", d2: "2024-02-20" },
      { d1: "2024-01-20", d2: "2024-02-20" },
    ];
    const byOrder = generalise(dates, [{ field: "d1", kind: "date" }, { field: "d2", kind: "date" }], 2);
    assert.deepEqual(levelsOf(byOrder), [0, 1]);
  });

  it("generalises further rather than dropping an outlier by default, and drops it only when allowed", () => {
    // r6 (90, female, Beijing) differs from all others: it groups only with region "*" and age "*",
    // then sex splits {r2,r3,r6} and {r0,r1,r4,r5} → (4,0,3), the only node of height 7 that works
    // ((3,1,3): age 80-99 alone; (4,1,2): 110000 alone).
    const rows = [...ROWS, { id: "r6", age: 90, sex: "2", region: "110101" }];
    const strict = generalise(rows, QIS, 2);
    assert.equal(strict.outcome, "k-anonymous");
    assert.deepEqual(levelsOf(strict), [4, 0, 3]);
    assert.equal(strict.outcome === "k-anonymous" && strict.rows.length, 7);
    // With one suppression allowed, (1,0,1) of the previous case works with r6 removed.
    const lenient = generalise(rows, QIS, 2, { maxSuppressedRows: 1 });
    assert.deepEqual(levelsOf(lenient), [1, 0, 1]);
    assert.deepEqual(lenient.report.suppressedRows, [6]);
    assert.equal(lenient.outcome === "k-anonymous" && lenient.rows.length, 6);
  });

  it("refuses, with the reason and the report, when k cannot be reached within the limits", () => {
    // Sex and region may not be generalised. Even with age at "*", only r0 and r4 (male, 330106) share
    // a class; r1, r2, r3, r5 are alone, and no row may be dropped → refused, reporting those four.
    const limited = QIS.map((qi) => (qi.kind === "age" ? qi : { ...qi, maxLevel: 0 }));
    const outcome = generalise(ROWS, limited, 2);
    assert.equal(outcome.outcome, "refused");
    if (outcome.outcome !== "refused") return;
    assert.match(outcome.reason.zh, /拒绝/);
    assert.deepEqual(levelsOf(outcome), [4, 0, 0]);
    assert.deepEqual(outcome.report.suppressedRows, [1, 2, 3, 5]);
    // Fewer rows than k can never be k-anonymous without dropping all of them.
    assert.equal(generalise(ROWS.slice(0, 3), QIS, 5, { maxSuppressedRows: 3 }).outcome, "refused");
  });

  it("makes every seeded random table k-anonymous without dropping a row unless allowed", () => {
    const random = mulberry32(2024);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
    const qis: QuasiIdentifier[] = [
      { field: "age", kind: "age" },
      { field: "sex", kind: "sex" },
      { field: "region", kind: "region" },
      { field: "admitted", kind: "date" },
    ];
    for (let round = 0; round < 40; round++) {
      const n = 5 + Math.floor(random() * 60);
      const k = 2 + Math.floor(random() * 4);
      const maxSuppressedRows = round % 2 === 0 ? 0 : Math.floor(random() * 4);
      const rows = Array.from({ length: n }, (_, id) => ({
        id,
        age: Math.floor(random() * 100),
        sex: pick(["1", "2", "9"]),
        region: pick(["330106", "330108", "330183", "110101", "110105", "440305"]),
        admitted: `202${Math.floor(random() * 3)}-${String(1 + Math.floor(random() * 12)).padStart(2, "0")}-15`,
      }));
      const outcome = generalise(rows, qis, k, { maxSuppressedRows });
      if (n < k) {
        assert.equal(outcome.outcome, "refused");
        continue;
      }
      // With "*" at the top of every hierarchy, n ≥ k rows always reach k.
      assert.equal(outcome.outcome, "k-anonymous", `round ${round}`);
      if (outcome.outcome !== "k-anonymous") continue;
      const sizes = new Map<string, number>();
      for (const row of outcome.rows) {
        const key = JSON.stringify(qis.map((qi) => row[qi.field]));
        sizes.set(key, (sizes.get(key) ?? 0) + 1);
      }
      assert.ok([...sizes.values()].every((size) => size >= k), `round ${round}: a class below ${k}`);
      assert.ok(outcome.report.suppressedRows.length <= maxSuppressedRows);
      assert.equal(outcome.rows.length, n - outcome.report.suppressedRows.length);
      const kept = new Set(outcome.rows.map((row) => row.id));
      assert.ok(outcome.report.suppressedRows.every((index) => !kept.has(index)));
    }
  });
});

describe("hierarchies", () => {
  it("maps each level as the issue specifies", () => {
    // age 47: 45-49 → 40-49 → 40-59 → *; region 330106 → 330100 → 330000 → *;
    // birth date → month → year → *; event date 2024-08-15 → 2024-08 → Q3 (months 7-9) → 2024 → *.
    const ladder = (kind: QuasiIdentifier["kind"], value: unknown, levels: number) =>
      Array.from({ length: levels }, (_, level) => generaliseValue(kind, value, level));
    assert.deepEqual(ladder("age", 47, 5), [47, "45-49", "40-49", "40-59", "*"]);
    assert.deepEqual(ladder("region", "330106", 4), ["330106", "330100", "330000", "*"]);
    assert.deepEqual(ladder("birth-date", "1980-03-09", 4), ["1980-03-09", "1980-03", "1980", "*"]);
    assert.deepEqual(ladder("date", "2024-08-15", 5), ["2024-08-15", "2024-08", "2024-Q3", "2024", "*"]);
    assert.deepEqual(ladder("sex", "2", 2), ["2", "*"]);
    assert.equal(generaliseValue("age", null, 3), null);
  });
});

describe("bad input", () => {
  it("refuses bad k, quasi-identifiers and values", () => {
    assertInvalidInput(() => checkKAnonymity(ROWS, QIS, 1));
    assertInvalidInput(() => generalise(ROWS, [], 2));
    assertInvalidInput(() => generalise(ROWS, [{ field: "age", kind: "height" as "age" }], 2));
    assertInvalidInput(() => generalise(ROWS, [QIS[0]!, QIS[0]!], 2));
    assertInvalidInput(() => generalise(ROWS, [{ field: "age", kind: "age", maxLevel: 9 }], 2));
    assertInvalidInput(() => generalise([{ age: -3, sex: "1", region: "330106" }], QIS, 2));
    assertInvalidInput(() => generalise([{ age: 30, sex: "M", region: "330106" }], QIS, 2));
    assertInvalidInput(() => generalise([{ age: 30, sex: "1", region: "3301" }], QIS, 2));
    assertInvalidInput(() => generalise([{ age: 30, sex: "1" }], QIS, 2));
    assertInvalidInput(() => generalise([{ d: "2024-02-30" }], [{ field: "d", kind: "date" }], 2));
    assertInvalidInput(() => generalise(ROWS, QIS, 2, { maxSuppressedRows: -1 }));
  });
});

// Configurable reports against an independent count in TypeScript over the same seeded rows.
import assert from "node:assert/strict";
import { describe, it, before, after } from "node:test";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { isPlatformError } from "@health-chain/sdk";
import { createSchema, loadRows, type DiagnosisRow, type LabRow, type MedicationRow, type ResidentRow } from "../src/engine/index.ts";
import { mulberry32 } from "../src/synthetic/index.ts";
import { REPORT_PRESETS, annualReportDefinitions, icd10ChapterOf, runReport, type ReportDefinitionInput } from "../src/reports/index.ts";

// Codes with the chapter a person reads off the ICD-10 volume 1 table of contents.
const CODES: readonly (readonly [string, string | null])[] = [
  ["E11.9", "IV"], ["E11", "IV"], ["I10", "IX"], ["J06.9", "X"], ["D49.1", null], ["H59.0", "VII"], ["H60.1", "VIII"],
  ["U07.1", "XXII"], ["T14.0", "XIX"], ["C50.9", "II"], ["D48.1", "II"], ["D50.0", "III"], ["Z00.0", "XXI"], ["V01", "XX"], ["A09", "I"],
];
const SEXES = ["1", "2", "9", null] as const;
const DEPARTMENTS = ["内科", "外科", "儿科", null] as const;
const TYPES = ["outpatient", "inpatient"] as const;

interface Encounter { resident_ref: string; type: string; department: string | null; at: string }
interface Inst {
  code: string;
  residents: ResidentRow[];
  diagnoses: DiagnosisRow[];
  labs: LabRow[];
  medications: MedicationRow[];
  encounters: Encounter[] | null;
  instance: DuckDBInstance;
  connection: DuckDBConnection;
}

const pad = (n: number) => String(n).padStart(2, "0");
function dateOf(rng: ReturnType<typeof mulberry32>, fromYear: number, years: number): string {
  const y = fromYear + rng.int(years);
  const m = 1 + rng.int(12);
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
  return `${y}-${pad(m)}-${pad(1 + rng.int(days))}`;
}

async function makeInstitution(code: string, seed: number, withEncounters: boolean): Promise<Inst> {
  const rng = mulberry32(seed);
  const residents: ResidentRow[] = [];
  const diagnoses: DiagnosisRow[] = [];
  const labs: LabRow[] = [];
  const medications: MedicationRow[] = [];
  const encounters: Encounter[] = [];
  const n = 150 + rng.int(100);
  for (let i = 0; i < n; i++) {
    const ref = `${code}-R${i}`;
    const birth = rng.chance(0.05) ? null : rng.chance(0.01) ? "2000-02-29" : dateOf(rng, 1925, 100);
    residents.push({ resident_ref: ref, sex: SEXES[rng.int(SEXES.length)]!, birth_date: birth, region: "440303" });
    for (let k = rng.int(6); k > 0; k--) diagnoses.push({ resident_ref: ref, code: CODES[rng.int(CODES.length)]![0], at: dateOf(rng, 2023, 3) });
    for (let k = rng.int(4); k > 0; k--) labs.push({ resident_ref: ref, loinc: "4548-4", value: 6 + rng.next() * 3, unit: "%", at: dateOf(rng, 2023, 3) });
    for (let k = rng.int(4); k > 0; k--) medications.push({ resident_ref: ref, atc: "A10BA02", at: dateOf(rng, 2023, 3) });
    for (let k = rng.int(5); k > 0; k--) encounters.push({ resident_ref: ref, type: TYPES[rng.int(2)]!, department: DEPARTMENTS[rng.int(DEPARTMENTS.length)]!, at: dateOf(rng, 2023, 3) });
  }
  // Birthdays on the reference dates of the tests (a band's first day) and the day after.
  for (const [i, birth] of ["1985-06-30", "1985-07-01", "2004-02-29", "2019-03-01", "2025-06-30", "2025-07-01"].entries()) {
    residents.push({ resident_ref: `${code}-B${i}`, sex: "2", birth_date: birth, region: "440303" });
    diagnoses.push({ resident_ref: `${code}-B${i}`, code: "I10", at: "2025-01-15" });
  }
  // Events of a resident missing from the residents table still count (unknown sex and age).
  diagnoses.push({ resident_ref: `${code}-ghost`, code: "I10", at: "2024-05-05" });
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  await createSchema(connection);
  await loadRows(connection, "residents", residents);
  await loadRows(connection, "diagnoses", diagnoses);
  await loadRows(connection, "labs", labs);
  await loadRows(connection, "medications", medications);
  if (withEncounters) {
    await connection.run(`CREATE TABLE encounters (resident_ref VARCHAR NOT NULL, type VARCHAR, department VARCHAR, "at" DATE NOT NULL)`);
    for (const e of encounters) await connection.run(`INSERT INTO encounters VALUES ($1, $2, $3, CAST($4 AS DATE))`, [e.resident_ref, e.type, e.department, e.at] as never);
  }
  return { code, residents, diagnoses, labs, medications, encounters: withEncounters ? encounters : null, instance, connection };
}

// ---- the independent count
type Dim = NonNullable<Exclude<ReportDefinitionInput["dimensions"], undefined>>[number];
function completedYears(birth: string, at: string): number {
  const [by, bm, bd] = birth.split("-").map(Number) as [number, number, number];
  const [y, m, d] = at.split("-").map(Number) as [number, number, number];
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}
function referenceValue(dim: Dim, inst: Inst, event: { at?: string; code?: string; department?: string | null }, resident: ResidentRow | undefined): string | null {
  switch (dim.by) {
    case "institution": return inst.code;
    case "time": {
      const at = event.at!;
      if (dim.grain === "month") return at.slice(0, 7);
      if (dim.grain === "quarter") return `${at.slice(0, 4)}-Q${Math.floor((Number(at.slice(5, 7)) - 1) / 3) + 1}`;
      return at.slice(0, 4);
    }
    case "department": return event.department ?? null;
    case "disease": return (dim.level ?? "chapter") === "chapter" ? (CODES.find(([c]) => c === event.code)![1]) : event.code!.slice(0, 3);
    case "sex": return resident?.sex ?? null;
    case "age-band": {
      if (!resident?.birth_date || resident.birth_date > dim.at) return null;
      const width = dim.width ?? 10;
      const top = dim.top ?? 90;
      const age = completedYears(resident.birth_date, dim.at);
      return age >= top ? `${top}+` : `${Math.floor(age / width) * width}-${Math.floor(age / width) * width + width - 1}`;
    }
  }
}
const EVENTS = { diagnoses: "diagnoses", "lab-results": "labs", prescriptions: "medications", encounters: "encounters" } as const;
function referenceGroups(inst: Inst, def: ReportDefinitionInput): Map<string, number> {
  const dims = def.dimensions ?? [];
  const f = def.filters ?? {};
  const byRef = new Map(inst.residents.map((r) => [r.resident_ref, r]));
  const sets = new Map<string, Set<string> | number>();
  const distinct = def.measure.startsWith("residents");
  const measure = def.measure.replace(/^residents-with-/, "");
  const table = def.measure === "residents" ? null : ({ diagnosis: "diagnoses", "lab-result": "labs", prescription: "medications", encounter: "encounters" } as Record<string, keyof typeof EVENTS | string>)[measure] ?? EVENTS[def.measure as keyof typeof EVENTS];
  const rows: { resident_ref: string; at?: string; code?: string; department?: string | null }[] =
    table === null ? inst.residents : (inst as unknown as Record<string, typeof rows>)[table]!;
  for (const row of rows) {
    const resident = byRef.get(row.resident_ref);
    if (f.from && row.at! < f.from) continue;
    if (f.to && row.at! > f.to) continue;
    if (f.sex && !f.sex.includes(resident?.sex as never)) continue;
    if (f.icd10 && !f.icd10.some((p) => row.code!.startsWith(p))) continue;
    const key = JSON.stringify(dims.map((d) => referenceValue(d, inst, row, resident)));
    if (distinct) {
      const set = (sets.get(key) as Set<string> | undefined) ?? new Set<string>();
      set.add(row.resident_ref);
      sets.set(key, set);
    } else sets.set(key, ((sets.get(key) as number | undefined) ?? 0) + 1);
  }
  return new Map([...sets].map(([k, v]) => [k, typeof v === "number" ? v : v.size]));
}
/** Published district rows: per-institution cells below the threshold hidden; a sum with a hidden part hidden. */
function referenceReport(insts: readonly Inst[], def: ReportDefinitionInput, threshold = 5): Map<string, number | null> {
  const out = new Map<string, number | null>();
  for (const inst of insts) {
    for (const [key, count] of referenceGroups(inst, def)) {
      const shown = count > 0 && count < threshold ? null : count;
      const current = out.get(key);
      out.set(key, current === undefined ? shown : current === null || shown === null ? null : current + shown);
    }
  }
  return out;
}
const PRIMARY: Record<Dim["by"], (d: Dim) => string> = {
  institution: () => "institution", time: () => "period", department: () => "department", sex: () => "sex", "age-band": () => "age_band",
  disease: (d) => ((d as { level?: string }).level === "category" ? "icd10_category" : "icd10_chapter"),
};
function actualReport(rows: readonly Record<string, string | number | null>[], def: ReportDefinitionInput): Map<string, number | null> {
  const dims = def.dimensions ?? [];
  return new Map(rows.map((row) => [JSON.stringify(dims.map((d) => row[PRIMARY[d.by](d)] ?? null)), row["count"] as number | null]));
}

describe("configurable reports", () => {
  let insts: Inst[];
  let both: Inst[];
  const conns = () => insts.map((i) => ({ code: i.code, connection: i.connection }));
  before(async () => {
    insts = [await makeInstitution("H01", 11, true), await makeInstitution("C02", 22, true), await makeInstitution("C03", 33, true)];
    both = [...insts, await makeInstitution("X04", 44, false)];
  });
  after(() => {
    for (const i of both) i.connection.closeSync();
  });

  it("knows the ICD-10 chapter of every test code", () => {
    for (const [code, chapter] of CODES) assert.equal(icd10ChapterOf(code)?.chapter ?? null, chapter, code);
  });

  const AT = "2025-06-30";
  const measures = ["residents", "diagnoses", "lab-results", "prescriptions", "encounters", "residents-with-diagnosis", "residents-with-lab-result", "residents-with-prescription", "residents-with-encounter"] as const;
  const dimsFor = (m: string): Dim[] => {
    const out: Dim[] = [{ by: "institution" }, { by: "sex" }, { by: "age-band", at: AT }, { by: "age-band", at: "2024-02-29", width: 5, top: 80 }];
    if (m !== "residents") out.push({ by: "time", grain: "month" }, { by: "time", grain: "quarter" }, { by: "time", grain: "year" });
    if (m.includes("diagnos")) out.push({ by: "disease", level: "chapter" }, { by: "disease", level: "category" });
    if (m.includes("encounter")) out.push({ by: "department" });
    return out;
  };
  for (const measure of measures) {
    it(`counts ${measure} by every dimension it allows, and in total`, async () => {
      for (const dim of [null, ...dimsFor(measure)]) {
        const def: ReportDefinitionInput = { measure, dimensions: dim ? [dim] : [] };
        const table = await runReport(conns(), def);
        const expected = referenceReport(insts, def);
        assert.ok([...expected.values()].some((v) => v !== null && v > 0), "something to count");
        assert.deepEqual(actualReport(table.rows, def), expected, JSON.stringify(def));
      }
    });
  }

  it("combines dimensions and filters (date range, institutions, ICD-10 prefixes, sex)", async () => {
    const defs: ReportDefinitionInput[] = [
      { measure: "diagnoses", dimensions: [{ by: "time", grain: "month" }, { by: "disease" }, { by: "sex" }], filters: { from: "2024-01-01", to: "2024-12-31" } },
      { measure: "residents-with-diagnosis", dimensions: [{ by: "institution" }, { by: "age-band", at: AT, width: 20, top: 60 }], filters: { icd10: ["E11", "I"], sex: ["2", "9"] } },
      { measure: "encounters", dimensions: [{ by: "department" }, { by: "institution" }, { by: "time", grain: "year" }], filters: { institutions: ["C02", "H01"], from: "2023-03-01" } },
      { measure: "residents", dimensions: [{ by: "sex" }, { by: "institution" }], filters: { sex: ["1"] } },
      { measure: "lab-results", dimensions: [{ by: "institution" }], smallCells: { threshold: 50 } },
    ];
    for (const def of defs) {
      const table = await runReport(conns(), def);
      const chosen = def.filters?.institutions ? insts.filter((i) => def.filters!.institutions!.includes(i.code)) : insts;
      assert.deepEqual(actualReport(table.rows, def), referenceReport(chosen, def, def.smallCells?.threshold ?? 5), JSON.stringify(def));
    }
  });

  it("suppresses small cells and says which, with the threshold configurable", async () => {
    const def: ReportDefinitionInput = { measure: "residents-with-diagnosis", dimensions: [{ by: "institution" }, { by: "disease", level: "category" }, { by: "sex" }], smallCells: { threshold: 8 } };
    const table = await runReport(conns(), def);
    const expected = referenceReport(insts, def, 8);
    const hidden = [...expected].filter(([, v]) => v === null);
    assert.ok(hidden.length > 0 && hidden.length < expected.size, "the seeded data has small and large cells");
    assert.deepEqual(actualReport(table.rows, def), expected);
    const note = table.notes.find((n) => n.en.includes("suppressed (shown empty)"));
    assert.ok(note, "a note lists the suppressed cells");
    assert.match(note.en, new RegExp(`^${hidden.length} cell`));
    const listed = table.rows.filter((r) => r["count"] === null).slice(0, 50).map((r) => [r["institution"], r["icd10_category"], r["sex"] ?? "—"].join(" · "));
    for (const cell of listed) assert.ok(note.en.includes(cell), cell);
    assert.match(note.zh, /已隐藏/);
    assert.equal((table.parameters["policy"] as { threshold: number }).threshold, 8);
  });

  it("puts dimension columns first, measures last, rows in a stable order", async () => {
    const def = REPORT_PRESETS["monthly-diagnoses-by-chapter"]({ from: "2023-01-01", to: "2025-12-31" });
    const table = await runReport(conns(), def, { now: new Date("2026-01-01T00:00:00Z") });
    assert.deepEqual(table.columns.map((c) => c.key), ["period", "icd10_chapter", "icd10_chapter_zh", "icd10_chapter_en", "count"]);
    assert.equal(table.generatedAt, "2026-01-01T00:00:00.000Z");
    const order = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV", "XV", "XVI", "XVII", "XVIII", "XIX", "XX", "XXI", "XXII"];
    for (let i = 1; i < table.rows.length; i++) {
      const [a, b] = [table.rows[i - 1]!, table.rows[i]!];
      const rank = (r: typeof a) => (r["icd10_chapter"] === null ? 99 : order.indexOf(r["icd10_chapter"] as string));
      assert.ok(String(a["period"]) < String(b["period"]) || (a["period"] === b["period"] && rank(a) < rank(b)), `row ${i} in order`);
    }
    const nine = table.rows.find((r) => r["icd10_chapter"] === "IX")!;
    assert.equal(nine["icd10_chapter_zh"], "循环系统疾病");
    const again = await runReport(conns(), def, { now: new Date("2026-01-01T00:00:00Z") });
    assert.deepEqual(again, table);
  });

  it("runs the presets and the annual report definitions", async () => {
    for (const def of annualReportDefinitions(2024)) {
      const table = await runReport(conns(), def);
      assert.deepEqual(actualReport(table.rows, def), referenceReport(insts, def), String(def.id));
    }
  });

  const refused = async (def: unknown, reason: string, institutions = conns()) => {
    await assert.rejects(runReport(institutions, def), (error: unknown) => {
      assert.ok(isPlatformError(error, "INVALID_INPUT"), String(error));
      assert.match(error.messageZh, /[\u4e00-\u9fff]/);
      assert.equal(error.details["reason"] ?? error.details["code"], reason, error.message);
      return true;
    });
  };
  it("refuses an unknown dimension or measure, bad dates and impossible combinations", async () => {
    await refused({ measure: "diagnoses", dimensions: [{ by: "ward" }] }, "invalid_union");
    await refused({ measure: "visits" }, "invalid_value");
    await refused({ measure: "diagnoses", filters: { from: "2024-02-30" } }, "custom");
    await refused({ measure: "diagnoses", filters: { from: "2024-05-01", to: "2024-04-30" } }, "reversed-range");
    await refused({ measure: "residents", dimensions: [{ by: "time", grain: "month" }] }, "time-without-events");
    await refused({ measure: "residents", filters: { from: "2024-01-01" } }, "dates-without-events");
    await refused({ measure: "lab-results", dimensions: [{ by: "disease" }] }, "disease-without-diagnoses");
    await refused({ measure: "diagnoses", dimensions: [{ by: "department" }] }, "department-without-encounters");
    await refused({ measure: "lab-results", filters: { icd10: ["E11"] } }, "icd10-without-diagnoses");
    await refused({ measure: "diagnoses", dimensions: [{ by: "sex" }, { by: "sex" }] }, "duplicate-dimension");
    await refused({ measure: "diagnoses", dimensions: [{ by: "age-band", at: AT, width: 10, top: 85 }] }, "top-not-a-band");
    await refused({ measure: "diagnoses", filters: { institutions: ["NOPE"] } }, "unknown-institution");
    await refused({ measure: "diagnoses", smallCells: { threshold: 1 } }, "too_small");
    await refused({ measure: "diagnoses", smallCells: { mode: "perturb" } }, "perturbation-context");
  });

  it("refuses a department (or encounters) on a database without encounters, before running anything", async () => {
    const all = both.map((i) => ({ code: i.code, connection: i.connection }));
    await refused({ measure: "encounters", dimensions: [{ by: "department" }] }, "no-encounters", all);
    await refused({ measure: "residents-with-encounter" }, "no-encounters", all);
    const table = await runReport(all, { measure: "diagnoses", dimensions: [{ by: "institution" }] });
    assert.deepEqual(actualReport(table.rows, { measure: "diagnoses", dimensions: [{ by: "institution" }] }), referenceReport(both, { measure: "diagnoses", dimensions: [{ by: "institution" }] }));
  });

  it("binds every value: nothing from the definition appears in the SQL text", async () => {
    const { compileReport, parseReportDefinition } = await import("../src/reports/index.ts");
    const compiled = compileReport(parseReportDefinition({ measure: "residents-with-diagnosis", dimensions: [{ by: "disease" }, { by: "age-band", at: "2019-07-14" }], filters: { from: "2011-11-11", icd10: ["Q99"], sex: ["9"] } }));
    for (const value of ["2019-07-14", "2011-11-11", "Q99", "'9'", "A00", "2009-07-14"]) assert.ok(!compiled.sql.includes(value), value);
    assert.ok(compiled.params.includes("Q99") && compiled.params.includes("2011-11-11"));
  });
});

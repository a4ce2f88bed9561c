import assert from "node:assert/strict";
import { test } from "node:test";
import { epochDay } from "../src/engine/index.ts";
import { INDEX_DATE, closeDistrict, generateDistrict, loadDistrict, mulberry32, type DistrictOptions, type LoadedDistrict } from "../src/synthetic/index.ts";
import { assertClose, assertInvalidInput } from "./helpers.ts";

interface Collected {
  sex: Map<string, string>;
  birth: Map<string, number>;
  region: Map<string, string>;
  diagnoses: { ref: string; code: string; day: number }[];
  labs: { inst: number; ref: string; loinc: string; value: number; unit: string; day: number }[];
  medications: number;
}

function collect(options: DistrictOptions): Collected {
  const c: Collected = { sex: new Map(), birth: new Map(), region: new Map(), diagnoses: [], labs: [], medications: 0 };
  generateDistrict(options, {
    resident: (_i, ref, sex, birthDay, region) => (c.sex.set(ref, sex), c.birth.set(ref, birthDay), c.region.set(ref, region)),
    diagnosis: (_i, ref, code, day) => c.diagnoses.push({ ref, code, day }),
    lab: (inst, ref, loinc, value, unit, day) => c.labs.push({ inst, ref, loinc, value, unit, day }),
    medication: () => c.medications++,
  });
  return c;
}

const END = epochDay(INDEX_DATE);
// Completed years on the index date (calendar arithmetic, independent of the generator's day count).
function age(birthDay: number): number {
  const b = new Date(birthDay * 86_400_000);
  const e = new Date(END * 86_400_000);
  return e.getUTCFullYear() - b.getUTCFullYear() - (e.getUTCMonth() < b.getUTCMonth() || (e.getUTCMonth() === b.getUTCMonth() && e.getUTCDate() < b.getUTCDate()) ? 1 : 0);
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const hba1cPct = (l: { value: number; unit: string }): number => (l.unit === "%" ? l.value : l.value / 10.929 + 2.15);

const district = collect({ residents: 20_000, events: 400_000, seed: 42 });
const adults = [...district.birth].filter(([, b]) => age(b) >= 18).map(([ref]) => ref);
const withCode = (prefix: string): Set<string> => new Set(district.diagnoses.filter((d) => d.code === prefix || d.code.startsWith(`${prefix}.`)).map((d) => d.ref));

test("mulberry32 is reproducible, seed-dependent, in [0, 1) and uniform in mean", () => {
  const a = mulberry32(123);
  const b = mulberry32(123);
  const xs = Array.from({ length: 1000 }, () => a.next());
  assert.deepEqual(xs, Array.from({ length: 1000 }, () => b.next()));
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.notDeepEqual(xs.slice(0, 10), Array.from({ length: 10 }, mulberry32(124).next));
  // Uniformity: mean of 1000 U(0,1) is 0.5 ± 4 × 0.289/√1000 ≈ 0.037.
  assertClose(xs.reduce((s, x) => s + x, 0) / xs.length, 0.5, 0.037);
});

test("every resident of the district has a GB/T 2261.1 sex code 1/2, a 6-digit region and an age 0–100", () => {
  assert.equal(district.sex.size, 20_000);
  for (const sex of district.sex.values()) assert.ok(sex === "1" || sex === "2");
  for (const region of district.region.values()) assert.match(region, /^\d{6}$/);
  const ages = [...district.birth.values()].map(age);
  assert.ok(Math.min(...ages) >= 0 && Math.max(...ages) <= 100);
  // Pyramid: 65+ = half of 60–69 (11 %) + 6 + 2.5 + 0.5 = 14.5 %; SE at n = 20,000 is 0.25 pp, tolerance 4 SE.
  assertClose(ages.filter((a) => a >= 65).length / ages.length, 0.145, 0.01);
});

test("type 2 diabetes and hypertension prevalences among adults are the designed ones", () => {
  // Expected by hand from the age tables over the pyramid (adults: 18–19 = 2.2 of band 10–19; weight 80.2):
  // E11: (14.2×.02 + 15×.04 + 15×.08 + 16×.14 + 11×.19 + 9×.20) / 80.2 = 8.214 / 80.2 = 10.24 %;
  // I10: (14.2×.04 + 15×.10 + 15×.20 + 16×.33 + 11×.45 + 9×.55) / 80.2 = 20.248 / 80.2 = 25.25 %.
  // n ≈ 16,000 adults: SE 0.24 pp and 0.34 pp; tolerance ≈ 4 SE.
  const e11 = withCode("E11");
  const i10 = withCode("I10");
  assertClose(adults.filter((r) => e11.has(r)).length / adults.length, 0.1024, 0.01);
  assertClose(adults.filter((r) => i10.has(r)).length / adults.length, 0.2525, 0.014);
  // Children are not given either condition.
  assert.ok([...e11, ...i10].every((r) => age(district.birth.get(r)!) >= 18));
});

test("diabetics' HbA1c is mostly above 7 % and non-diabetics' below 6.5 %, in either reported unit", () => {
  const e11 = withCode("E11");
  const a1c = district.labs.filter((l) => l.loinc === "4548-4" || l.loinc === "59261-8");
  assert.ok(a1c.some((l) => l.unit === "%" && l.loinc === "4548-4") && a1c.some((l) => l.unit === "mmol/mol" && l.loinc === "59261-8"));
  const diabetic = a1c.filter((l) => e11.has(l.ref)).map(hba1cPct);
  assert.ok(diabetic.filter((x) => x > 7).length / diabetic.length > 0.5);
  // 6.4 % is the generator's cap for non-diabetics; IFCC rounding to whole mmol/mol moves it < 0.05 %.
  assert.ok(a1c.filter((l) => !e11.has(l.ref)).every((l) => hba1cPct(l) < 6.5));
  // Most diabetics have an HbA1c within 90 days after their first diagnosis (designed: 90 % tested in
  // 0–80 days, less those diagnosed in the period's last weeks ≈ 86 %).
  const firstDx = new Map<string, number>();
  for (const d of district.diagnoses) if (d.code === "E11" || d.code.startsWith("E11.")) firstDx.set(d.ref, Math.min(firstDx.get(d.ref) ?? Infinity, d.day));
  const early = new Set(a1c.filter((l) => e11.has(l.ref) && l.day >= firstDx.get(l.ref)! && l.day <= firstDx.get(l.ref)! + 90).map((l) => l.ref));
  assert.ok(early.size / e11.size > 0.7);
});

test("glucose and creatinine are reported in mmol/L / µmol/L and in mg/dL, with consistent values", () => {
  const glucose = district.labs.filter((l) => l.loinc === "2345-7");
  const creat = district.labs.filter((l) => l.loinc === "2160-0");
  const gMmol = glucose.filter((l) => l.unit === "mmol/L").map((l) => l.value);
  const gMg = glucose.filter((l) => l.unit === "mg/dL").map((l) => l.value / 18.016);
  const cUmol = creat.filter((l) => l.unit === "µmol/L" || l.unit === "umol/L").map((l) => l.value);
  const cMg = creat.filter((l) => l.unit === "mg/dL").map((l) => l.value * 88.4);
  assert.ok(gMmol.length > 100 && gMg.length > 100 && cUmol.length > 100 && cMg.length > 100);
  // Same population, different laboratories: medians agree once converted (within 5 %).
  assertClose(median(gMg), median(gMmol), 0.05 * median(gMmol));
  assertClose(median(cMg), median(cUmol), 0.05 * median(cUmol));
  assert.ok(new Set(creat.map((l) => l.unit)).size === 3);
});

test("the event total lands within 1 % of the requested target, and events never precede birth", () => {
  const total = district.diagnoses.length + district.labs.length + district.medications;
  assertClose(total, 400_000, 4_000);
  assert.ok(district.diagnoses.every((d) => d.day >= district.birth.get(d.ref)! && d.day <= END));
  assert.ok(district.labs.every((l) => l.day >= district.birth.get(l.ref)! && l.day <= END));
});

async function fingerprintOf(loaded: LoadedDistrict): Promise<string[]> {
  const out: string[] = [];
  for (const inst of loaded.institutions) {
    const row = (
      await inst.connection.runAndReadAll(
        `SELECT (SELECT count(*) FROM residents) r, (SELECT count(*) FROM diagnoses) d, (SELECT count(*) FROM labs) l,
                (SELECT count(*) FROM medications) m, (SELECT sum(value) FROM labs) v, (SELECT sum(epoch("at")) FROM diagnoses) t`,
      )
    ).getRowObjects()[0]!;
    out.push(`${inst.code}:${Object.values(row).map(String).join("/")}`);
  }
  return out;
}

test("same seed → identical databases; another seed → different; the loader loses no row", async () => {
  const options = { residents: 3_000, events: 60_000, seed: 7 };
  const a = await loadDistrict(options);
  const b = await loadDistrict(options);
  const c = await loadDistrict({ ...options, seed: 8 });
  try {
    const fa = await fingerprintOf(a);
    assert.deepEqual(fa, await fingerprintOf(b));
    assert.notDeepEqual(fa, await fingerprintOf(c));
    assert.equal(a.institutions.length, 25);
    // Rows loaded across the 25 databases = rows the generator emitted.
    const loadedEvents = fa.map((f) => f.split(":")[1]!.split("/").slice(1, 4).map(Number)).reduce((s, [d, l, m]) => s + d! + l! + m!, 0);
    assert.equal(loadedEvents, a.summary.events);
    // Each resident is at home and possibly one other institution: between N and 2N rows.
    const residentRows = fa.reduce((s, f) => s + Number(f.split(":")[1]!.split("/")[0]), 0);
    assert.ok(residentRows >= options.residents && residentRows <= 2 * options.residents);
  } finally {
    for (const d of [a, b, c]) closeDistrict(d.institutions);
  }
});

test("invalid options are refused with INVALID_INPUT before anything is generated", () => {
  let rows = 0;
  const sink = { resident: () => rows++, diagnosis: () => rows++, lab: () => rows++, medication: () => rows++ };
  for (const bad of [
    { residents: 0, events: 10, seed: 1 },
    { residents: 1.5, events: 10, seed: 1 },
    { residents: 10, events: -1, seed: 1 },
    { residents: 10, events: 10, seed: -1 },
    { residents: 10, events: 10, seed: 2 ** 32 },
    { residents: 10, events: Number.NaN, seed: 1 },
  ]) assertInvalidInput(() => generateDistrict(bad, sink));
  assert.equal(rows, 0);
});

import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { isPlatformError } from "@health-chain/sdk";
import { LAB_TESTS } from "../src/index.ts";
import {
  DEFAULT_STANDARD_DIR, MAX_MEMBERS, type StandardConfig, canonicalDate, canonicalDateTime, isValidLoinc, loadStandard, loincCheckDigit,
  parseFormat, validateStandard,
} from "../src/model/index.ts";

const standard = loadStandard();
const config = (): StandardConfig => structuredClone(standard.config) as StandardConfig;
const dir = mkdtempSync(join(tmpdir(), "his-model-standard-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The problems of the INVALID_INPUT error `fn` throws. */
function problemsOf(fn: () => unknown): { path: string; problem: string; problemZh: string }[] {
  try {
    fn();
  } catch (error) {
    assert.ok(isPlatformError(error, "INVALID_INPUT"), `expected INVALID_INPUT, got ${String(error)}`);
    assert.match(error.messageZh, /无效/);
    return error.details.problems as { path: string; problem: string; problemZh: string }[];
  }
  assert.fail("expected an INVALID_INPUT error");
}

const model = (c: StandardConfig, id: string) => c.models.find((m) => m.id === id)!;

test("the shipped standard: seven record models, each within one consent scope, WS identifiers only where the standard defines them", () => {
  assert.deepEqual([...standard.models.keys()].sort(), ["diagnosis", "discharge-summary", "encounter", "lab-result", "patient", "physical-exam", "prescription"]);
  for (const m of standard.models.values()) {
    assert.ok(m.members.length <= MAX_MEMBERS, m.id);
    assert.ok(m.version >= 1);
    for (const member of m.members) assert.ok(standard.elements.has(member.element), `${m.id}.${member.name}`);
  }
  assert.equal(model(standard.config, "lab-result").category, "LAB_REPORT");
  assert.equal(standard.elements.get("DE02.01.039.00")?.nameZh, "姓名");
  for (const element of standard.elements.values()) {
    assert.equal(element.id.startsWith("HC."), element.standard === "local", element.id);
  }
});

test("LOINC check digits: every catalogue code verifies, a wrong check digit does not", () => {
  const codes = new Set(LAB_TESTS.flatMap((t) => t.units.map((u) => u.loinc)));
  assert.ok(codes.size >= 20);
  for (const code of codes) assert.ok(isValidLoinc(code), code);
  assert.equal(loincCheckDigit("2345"), 7);
  assert.equal(isValidLoinc("2345-7"), true);
  assert.equal(isValidLoinc("2345-6"), false);
  assert.equal(isValidLoinc("2345"), false);
});

test("WS/T 303 formats: lengths, decimals and the data type they belong to", () => {
  assert.deepEqual(parseFormat("N", "N..5,1"), { type: "N", charset: "N", minLength: null, maxLength: 5, decimals: 1 });
  assert.deepEqual(parseFormat("N", "N2..3"), { type: "N", charset: "N", minLength: 2, maxLength: 3, decimals: 0 });
  assert.deepEqual(parseFormat("S3", "N1"), { type: "S3", charset: "N", minLength: 1, maxLength: 1, decimals: null });
  assert.deepEqual(parseFormat("S1", "AN..18"), { type: "S1", charset: "AN", minLength: null, maxLength: 18, decimals: null });
  for (const [type, format] of [["D", "DT15"], ["DT", "D8"], ["L", "N1"], ["S1", "N..5,1"], ["N", "A..5"], ["S1", "A"]] as const) {
    assert.ok("en" in parseFormat(type, format), `${type} ${format}`);
  }
  const height = standard.checkers.get("DE04.10.167.00")!;
  assert.equal(height(172.5), null);
  assert.equal(height(172.55)?.reason, "invalid-format");
  assert.equal(height("172.5")?.reason, "invalid-format");
  assert.equal(height(20)?.reason, "out-of-range");
  const sex = standard.checkers.get("DE02.01.040.00")!;
  assert.equal(sex("1"), null);
  assert.equal(sex("3")?.reason, "out-of-domain");
  assert.equal(sex("12")?.reason, "out-of-domain");
  assert.equal(sex(1)?.reason, "out-of-domain");
});

test("dates and date-times become ISO 8601 in China Standard Time", () => {
  assert.equal(canonicalDateTime("2024-03-05T09:02:03+08:00"), "2024-03-05T09:02:03+08:00");
  assert.equal(canonicalDateTime("2024-03-05T01:02:03Z"), "2024-03-05T09:02:03+08:00");
  assert.equal(canonicalDateTime("2024-03-04T20:30:00-05:00"), "2024-03-05T09:30:00+08:00");
  assert.equal(canonicalDateTime("2024-03-05 08:00"), "2024-03-05T08:00:00+08:00");
  assert.equal(canonicalDateTime("20240305123000"), "2024-03-05T12:30:00+08:00");
  assert.equal(canonicalDateTime("20240305123000+0000"), "2024-03-05T20:30:00+08:00");
  assert.equal(canonicalDateTime("2023-02-29T10:00:00+08:00"), null);
  assert.equal(canonicalDateTime("2024-03-05"), null);
  assert.equal(canonicalDate("19800229"), "1980-02-29");
  assert.equal(canonicalDate("1981-02-29"), null);
  assert.equal(canonicalDate("2024-03-04T20:30:00Z"), "2024-03-05");
});

test("a model member naming an unknown data element is an INVALID_INPUT naming the member", () => {
  const c = config();
  model(c, "lab-result").members.find((m) => m.name === "value")!.element = "DE04.30.999.00";
  const problems = problemsOf(() => validateStandard(c));
  assert.deepEqual(problems.map((p) => p.path), ["models[lab-result].members[value].element"]);
  assert.match(problems[0]!.problem, /unknown data element DE04\.30\.999\.00/);
});

test("an element naming an unknown value domain is an INVALID_INPUT naming the element", () => {
  const c = config();
  c.elements.find((e) => e.id === "DE02.01.040.00")!.domain = "GB/T 9999";
  const problems = problemsOf(() => validateStandard(c));
  assert.deepEqual(problems.map((p) => p.path), ["elements[DE02.01.040.00].domain"]);
  assert.match(problems[0]!.problemZh, /值域 GB\/T 9999 不存在/);
});

test("a member defined twice is an INVALID_INPUT", () => {
  const c = config();
  const patient = model(c, "patient");
  patient.members.push({ ...patient.members[2]! });
  const problems = problemsOf(() => validateStandard(c));
  assert.deepEqual(problems.map((p) => p.path), ["models[patient].members[name]"]);
});

test("a model version below 1 is an INVALID_INPUT at the model's version", () => {
  const c = config();
  model(c, "patient").version = 0;
  const problems = problemsOf(() => validateStandard(c));
  assert.deepEqual(problems.map((p) => p.path), ["models[patient].version"]);
});

test("every problem of a standard is reported at once", () => {
  const c = config();
  const icd = c.domains.find((d) => d.id === "HCV.ICD10")!;
  if (icd.kind === "pattern") icd.pattern = "[A-Z][0-9]{2}";
  c.elements.push({ ...c.elements[0]! });
  const codes = c.domains.find((d) => d.id === "GB/T 2261.1")!;
  if (codes.kind === "code-list") codes.codes.push({ code: "10", nameZh: "测试", nameEn: "Test" });
  c.elements.find((e) => e.id === "HC.06.001")!.domain = null;
  const encounter = model(c, "encounter");
  for (let i = 0; encounter.members.length <= MAX_MEMBERS; i++) encounter.members.push({ name: `extra${i}`, element: "HC.04.007", required: false, field: "encounter" });
  const paths = problemsOf(() => validateStandard(c)).map((p) => p.path).sort();
  assert.deepEqual(paths, [
    "domains[HCV.ICD10].pattern",
    "elements[DE02.01.040.00].domain",
    "elements[HC.01.001]",
    "elements[HC.06.001].domain",
    "models[encounter].members",
  ]);
});

test("a structural error names the entry by its id", () => {
  const c = config() as unknown as { elements: Record<string, unknown>[] };
  c.elements[3]!.type = "X";
  delete c.elements[4]!.nameEn;
  const problems = problemsOf(() => validateStandard(c));
  assert.deepEqual(problems.map((p) => p.path), [`elements[${String(c.elements[3]!.id)}].type`, `elements[${String(c.elements[4]!.id)}].nameEn`]);
});

test("loadStandard reads a directory; a broken file is an INVALID_INPUT naming the file", () => {
  const copy = join(dir, "standard");
  cpSync(DEFAULT_STANDARD_DIR, copy, { recursive: true });
  assert.equal(loadStandard(copy).models.size, standard.models.size);
  writeFileSync(join(copy, "models", "broken.json"), "{ not json");
  const problems = problemsOf(() => loadStandard(copy));
  assert.match(problems[0]!.path, /broken\.json$/);
  const empty = join(dir, "empty");
  mkdirSync(empty);
  assert.ok(problemsOf(() => loadStandard(empty)).length === 1);
});

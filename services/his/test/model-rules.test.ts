import assert from "node:assert/strict";
import { test } from "node:test";
import { isPlatformError } from "@health-chain/sdk";
import type { SourceFormat, SourceItem, SourceValue } from "../src/adapters/types.ts";
import { type MappingRules, compileRules, loadMappingRules, loadStandard, mapToStandard } from "../src/model/index.ts";

const standard = loadStandard();
const SOURCES = ["sql", "fhir-r4", "hl7v2"] as const;
const rulesOf = Object.fromEntries(SOURCES.map((s) => [s, loadMappingRules(s)])) as Record<(typeof SOURCES)[number], MappingRules>;
const compiled = Object.fromEntries(SOURCES.map((s) => [s, compileRules(standard, rulesOf[s])])) as Record<(typeof SOURCES)[number], ReturnType<typeof compileRules>>;

function pathsOfError(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(isPlatformError(error, "INVALID_INPUT"), String(error));
    return (error.details.problems as { path: string }[]).map((p) => p.path);
  }
  assert.fail("expected an INVALID_INPUT error");
}

const rules = (source: (typeof SOURCES)[number] = "sql") => structuredClone(rulesOf[source]) as MappingRules;

function patientItem(format: SourceFormat, fields: Record<string, SourceValue>): SourceItem {
  return {
    itemKey: `t-${Math.random()}`, format, kind: "patient", institutionCode: "PD-CHC-01", sourceKey: "S010000001", patientId: "S010000001",
    changedAt: "2024-03-05T09:00:00+08:00", status: "final",
    fields: { name: "王小明", sex: "male", birthDate: "1980-02-29", idNumber: null, phone: null, address: null, ...fields },
    raw: "{}",
  };
}

function prescriptionItem(format: SourceFormat, route: string): SourceItem {
  return {
    itemKey: `t-${Math.random()}`, format, kind: "prescription", institutionCode: "PD-SH-01", sourceKey: "2000001-M001-R1", patientId: "2000001",
    changedAt: "2024-03-05T10:00:00+08:00", status: "final",
    fields: {
      encounterKey: "2000001-M001", drugName: "苯磺酸氨氯地平片", atc: "C08CA01", specification: "5mg×28片", dose: "5mg", route,
      frequency: "qd", days: 28, forDiagnosis: "I10", prescribedAt: "2024-03-05T09:40:00+08:00",
    },
    raw: "{}",
  };
}

test("the shipped rules of sql, fhir-r4 and hl7v2 compile against the standard for all seven kinds", () => {
  for (const source of SOURCES) {
    assert.equal(compiled[source].source, source);
    assert.deepEqual([...compiled[source].kinds.keys()].sort(), ["diagnosis", "discharge-summary", "encounter", "lab-result", "patient", "physical-exam", "prescription"]);
  }
});

test("value maps per source: each source's own spellings map to the standard code", () => {
  const sex = (source: (typeof SOURCES)[number], value: string) => {
    const result = mapToStandard(patientItem(source, { sex: value }), { standard, rules: compiled[source] });
    return result.ok ? result.record.content.sex : result.problems.map((p) => `${p.reason}:${String(p.value)}`).join();
  };
  assert.equal(sex("sql", "男"), "1");
  assert.equal(sex("sql", " Female "), "2");
  assert.equal(sex("hl7v2", "M"), "1");
  assert.equal(sex("hl7v2", "U"), "0");
  assert.equal(sex("fhir-r4", "unknown"), "0");
  // Not a FHIR spelling: it passes through and is not a code of GB/T 2261.1.
  assert.equal(sex("fhir-r4", "男"), "out-of-domain:男");
  assert.equal(sex("fhir-r4", "3"), "out-of-domain:3");

  const route = (source: (typeof SOURCES)[number], value: string) => {
    const result = mapToStandard(prescriptionItem(source, value), { standard, rules: compiled[source] });
    return result.ok ? result.record.content.route : result.problems.map((p) => `${p.reason}:${String(p.value)}`).join();
  };
  assert.equal(route("sql", "口服"), "1");
  assert.equal(route("hl7v2", "PO"), "1");
  assert.equal(route("sql", "PO"), "out-of-domain:PO");
  assert.equal(route("fhir-r4", "26643006"), "1");
  assert.equal(route("fhir-r4", "吸入"), "5");
});

test("a rule for an unknown model, a stale model version or a member the model lacks is refused", () => {
  const r = rules();
  r.kinds["patient"]!.model = "person";
  r.kinds["encounter"]!.modelVersion = 2;
  r.kinds["diagnosis"]!.members["severity"] = { transform: "trim", from: "fields.severity" };
  assert.deepEqual(pathsOfError(() => compileRules(standard, r)).sort(), ["kinds.diagnosis.members.severity", "kinds.encounter.modelVersion", "kinds.patient.model"]);
});

test("a required member without a rule is refused; an optional one is simply absent", () => {
  const r = rules();
  delete r.kinds["patient"]!.members["name"];
  assert.deepEqual(pathsOfError(() => compileRules(standard, r)), ["kinds.patient.members.name"]);
  const optional = rules();
  delete optional.kinds["patient"]!.members["phone"];
  const result = mapToStandard(patientItem("sql", { phone: "13800000000" }), { standard, rules: compileRules(standard, optional) });
  assert.ok(result.ok);
  assert.equal(result.record.content.phone, undefined);
  assert.deepEqual(result.notes.filter((n) => n.kind === "absent-optional").map((n) => n.member).sort(), ["address", "idNumber", "phone"]);
});

test("a transform that cannot produce the element's data type is refused", () => {
  const r = rules();
  r.kinds["physical-exam"]!.members["heightCm"] = { transform: "date", from: "fields.heightCm" };
  r.kinds["patient"]!.members["sex"] = { transform: "dictionary", code: "fields.sex", name: "fields.sex" };
  r.kinds["discharge-summary"]!.members["dischargeDiagnoses"] = { transform: "join", from: "fields.dischargeDiagnoses", separator: "," };
  assert.deepEqual(pathsOfError(() => compileRules(standard, r)).sort(), [
    "kinds.discharge-summary.members.dischargeDiagnoses.transform",
    "kinds.patient.members.sex.transform",
    "kinds.physical-exam.members.heightCm.transform",
  ]);
});

test("value maps are checked against the domain they feed; an unknown map or a bad constant is refused", () => {
  const r = rules();
  r.valueMaps["sex"]!["X"] = "3";
  r.valueMaps["route"]!["Po"] = "1";
  r.valueMaps["route"]!["PO"] = "2";
  r.kinds["encounter"]!.members["type"] = { transform: "code", from: "fields.type", values: "visitTypes" };
  r.kinds["diagnosis"]!.members["diagnosisType"] = { transform: "constant", value: "7" };
  assert.deepEqual(pathsOfError(() => compileRules(standard, r)).sort(), [
    "kinds.diagnosis.members.diagnosisType.value",
    "kinds.encounter.members.type.values",
    "valueMaps.route.PO",
    "valueMaps.sex.X",
  ]);
});

test("rules with the wrong shape name the bad entry; a rules file is checked to hold its source", () => {
  const r = rules() as unknown as { kinds: { patient: { members: Record<string, unknown> } } };
  r.kinds.patient.members["name"] = { transform: "uppercase", from: "fields.name" };
  assert.deepEqual(pathsOfError(() => compileRules(standard, r)), ["kinds.patient.members.name.transform"]);
  assert.deepEqual(pathsOfError(() => loadMappingRules("../sql")), ["source"]);
});

test("rules compiled against one standard are refused with another", () => {
  const other = loadStandard();
  assert.throws(() => mapToStandard(patientItem("sql", {}), { standard: other, rules: compiled.sql }), (error) => isPlatformError(error, "INVALID_INPUT"));
  // Rules given as JSON are compiled for the standard in use, once.
  const result = mapToStandard(patientItem("sql", {}), { standard: other, rules: rulesOf.sql });
  assert.ok(result.ok);
});

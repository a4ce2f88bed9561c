import assert from "node:assert/strict";
import { test } from "node:test";
import { fingerprint } from "@health-chain/sdk";
import type { SourceItem, SourceValue } from "../src/adapters/types.ts";
import {
  CodeMapper, DecisionLog, ReviewQueue, type SyntheticRecord, districtInstitutions, standardLabDictionary, syntheticRecords,
} from "../src/index.ts";
import { compileRules, itemOfSynthetic, loadMappingRules, loadStandard, type MapFailure, type MapResult, mapToStandard } from "../src/model/index.ts";

const SEED = 7;
const standard = loadStandard();
const SOURCES = ["sql", "fhir-r4", "hl7v2"] as const;
const rules = Object.fromEntries(SOURCES.map((s) => [s, compileRules(standard, loadMappingRules(s))])) as Record<(typeof SOURCES)[number], ReturnType<typeof compileRules>>;
const dictionary = standardLabDictionary();
const records: SyntheticRecord[] = [...syntheticRecords({ seed: SEED, residents: 200 })];

/** A mapper whose decision log confirms every local lab code of the district (as reviewers would). */
function reviewedMapper(): CodeMapper {
  const decisions = new DecisionLog();
  for (const institution of districtInstitutions(SEED)) {
    for (const entry of institution.labDictionary) {
      decisions.record({
        institution: institution.code, localCode: entry.localCode, code: entry.loinc, action: "accept-code", reviewer: "dr.test",
        decidedAt: "2024-01-01T00:00:00+08:00", note: "", proposedCode: null, proposedScore: 0, dictionaryVersion: dictionary.version,
      });
    }
  }
  return new CodeMapper(dictionary, { decisions });
}

const failed = (result: MapResult): MapFailure => {
  assert.equal(result.ok, false, "expected problems");
  return result as MapFailure;
};

function withFields(item: SourceItem, fields: Record<string, SourceValue>): SourceItem {
  return { ...item, fields: { ...item.fields, ...fields } };
}

const first = (kind: SyntheticRecord["kind"], where: (r: SyntheticRecord) => boolean = () => true) => {
  const record = records.find((r) => r.kind === kind && r.truth.missingField === null && where(r));
  assert.ok(record, `a ${kind} record`);
  return itemOfSynthetic(record);
};

test("every synthetic record of every kind maps and validates, through each source's rules", () => {
  const codeMapper = reviewedMapper();
  const kinds = new Set<string>();
  for (const source of SOURCES) {
    for (const record of records) {
      const result = mapToStandard(itemOfSynthetic(record, source), { standard, rules: rules[source], codeMapper });
      assert.ok(result.ok, `${source} ${record.kind} ${record.recordId}: ${result.ok ? "" : result.problems.map((p) => p.message).join(" ")}`);
      kinds.add(record.kind);
      const model = standard.models.get(result.record.model)!;
      assert.equal(result.record.modelVersion, model.version);
      assert.equal(result.record.category, model.category);
      // Only the model's members, each with its consent field.
      const fieldOf = new Map(model.members.map((m) => [m.name, m.field]));
      assert.deepEqual(Object.keys(result.record.fields).sort(), Object.keys(result.record.content).sort());
      for (const [member, field] of Object.entries(result.record.fields)) assert.equal(field, fieldOf.get(member));
      // An optional member the source left empty is omitted and noted.
      if (record.truth.missingField !== null) {
        const member = record.kind === "diagnosis" && record.truth.missingField === "nameZh" ? "diagnosisName"
          : record.kind === "lab-result" && record.truth.missingField === "unit" ? "unit"
          : record.truth.missingField;
        assert.ok(result.notes.some((n) => n.kind === "absent-optional" && n.member === member), `${record.kind} ${record.truth.missingField}`);
      }
      if (record.kind === "lab-result") assert.equal(result.record.content.testCode, record.truth.loinc);
    }
  }
  assert.equal(kinds.size, 7);
});

test("a standard record's content is canonical: codes, ISO 8601 times in +08:00, numbers, lists", () => {
  const codeMapper = reviewedMapper();
  const map = (item: SourceItem) => {
    const result = mapToStandard(item, { standard, rules: rules.sql, codeMapper });
    assert.ok(result.ok);
    return result.record;
  };
  const patient = records.find((r) => r.kind === "patient")!;
  const p = map(itemOfSynthetic(patient));
  assert.equal(p.category, "PATIENT_PROFILE");
  assert.equal(p.content.sex, patient.payload.sex === "male" ? "1" : "2");
  assert.equal(p.fields.name, "identity.name");
  const summary = records.find((r) => r.kind === "discharge-summary")!;
  const d = map(itemOfSynthetic(summary));
  assert.deepEqual(d.content.dischargeDiagnoses, summary.payload.dischargeDiagnoses);
  assert.equal(d.content.outcome, summary.payload.outcome === "治愈" ? "1" : "2");
  const exam = first("physical-exam", (r) => r.kind === "physical-exam" && r.payload.findings.length > 1);
  const e = map(exam);
  assert.equal(e.content.findings, (exam.fields.findings as string[]).join("；"));
  const diagnosis = first("diagnosis", (r) => r.kind === "diagnosis" && !r.payload.primary);
  assert.equal(map(diagnosis).content.diagnosisType, "2");
  // Another offset and a compact HL7 time become China Standard Time.
  const visit = first("encounter");
  const shifted = map(withFields(visit, { start: "2024-03-05T01:02:03Z", end: "20240306083000" }));
  assert.equal(shifted.content.start, "2024-03-05T09:02:03+08:00");
  assert.equal(shifted.content.end, "2024-03-06T08:30:00+08:00");
});

test("a duplicate transmission maps to the same content, so its fingerprint equals the original's", () => {
  const codeMapper = reviewedMapper();
  const byId = new Map(records.map((r) => [r.recordId, r]));
  const duplicates = records.filter((r) => r.truth.duplicateOf !== null);
  assert.ok(duplicates.length > 5);
  for (const duplicate of duplicates) {
    const original = byId.get(duplicate.truth.duplicateOf!)!;
    const a = mapToStandard(itemOfSynthetic(original), { standard, rules: rules.sql, codeMapper });
    const b = mapToStandard(itemOfSynthetic(duplicate), { standard, rules: rules.sql, codeMapper });
    assert.ok(a.ok && b.ok);
    assert.notEqual(original.changedAt, duplicate.changedAt);
    assert.equal(fingerprint(a.record.content), fingerprint(b.record.content));
  }
});

test("a missing required member is a problem naming the member and its data element", () => {
  const item = withFields(first("patient"), { name: "  ", birthDate: null });
  const { problems, model, present } = failed(mapToStandard(item, { standard, rules: rules.sql }));
  assert.equal(model, "patient");
  assert.ok(!present!.includes("name"));
  assert.deepEqual(problems.map((p) => [p.stage, p.reason, p.member, p.element]), [
    ["validate", "missing-required", "name", "DE02.01.039.00"],
    ["validate", "missing-required", "birthDate", "DE02.01.005.01"],
  ]);
  assert.match(problems[0]!.messageZh, /姓名/);
});

test("an ID number with a wrong check character is an invalid-checksum problem", () => {
  const patient = first("patient", (r) => r.kind === "patient" && r.payload.idNumber !== null);
  const id = patient.fields.idNumber as string;
  const wrong = id.slice(0, 17) + (id[17] === "0" ? "1" : "0");
  const { problems } = failed(mapToStandard(withFields(patient, { idNumber: wrong }), { standard, rules: rules.sql }));
  assert.deepEqual(problems.map((p) => [p.stage, p.reason, p.member, p.value]), [["validate", "invalid-checksum", "idNumber", wrong]]);
  const short = failed(mapToStandard(withFields(patient, { idNumber: id.slice(0, 15) }), { standard, rules: rules.sql }));
  assert.equal(short.problems[0]!.reason, "out-of-domain");
});

test("an unknown lab code is a code problem; a code under review is one too, with the candidates", () => {
  const codeMapper = new CodeMapper(dictionary, { decisions: new DecisionLog() });
  const lab = first("lab-result");
  const unknown = failed(mapToStandard(withFields(lab, { localCode: "ZZ-999", localName: "外周血涂片形态学描述" }), { standard, rules: rules.sql, codeMapper }));
  assert.deepEqual(unknown.problems.map((p) => [p.stage, p.reason, p.member, p.value]), [["code", "unknown-code", "testCode", "ZZ-999"]]);

  let review: MapFailure | undefined;
  for (const record of records) {
    if (record.kind !== "lab-result") continue;
    const result = mapToStandard(itemOfSynthetic(record), { standard, rules: rules.sql, codeMapper });
    if (!result.ok) {
      review = result;
      break;
    }
    assert.ok(result.notes.some((n) => n.kind === "code-mapping" && n.status === "auto" && n.code === record.truth.loinc));
  }
  assert.ok(review, "some local codes need a reviewer");
  const problem = review.problems[0]!;
  assert.equal(problem.reason, "code-under-review");
  assert.equal(problem.stage, "code");
  assert.ok(Array.isArray(problem.details?.candidates) && problem.details.candidates.length > 0);

  const missing = failed(mapToStandard(lab, { standard, rules: rules.sql }));
  assert.deepEqual(missing.problems.map((p) => p.reason), ["dictionary-unavailable"]);
});

test("after a reviewer's decision, the cached code mapping gives way to the decision", () => {
  const codeMapper = new CodeMapper(dictionary, { decisions: new DecisionLog() });
  const queue = new ReviewQueue(codeMapper);
  const context = { standard, rules: rules.sql, codeMapper };
  for (const record of records) {
    if (record.kind !== "lab-result") continue;
    const item = itemOfSynthetic(record);
    const before = mapToStandard(item, context);
    if (before.ok) continue;
    assert.equal(before.problems[0]!.reason, "code-under-review");
    const reviewItem = queue.submit(codeMapper.propose({ institution: item.institutionCode, localCode: record.payload.localCode, localName: record.payload.localName, localUnit: record.payload.unit }));
    queue.accept(reviewItem!.id, { reviewer: "dr.li", code: record.truth.loinc! });
    const after = mapToStandard(item, context);
    assert.ok(after.ok);
    assert.equal(after.record.content.testCode, record.truth.loinc);
    assert.ok(after.notes.some((n) => n.kind === "code-mapping" && n.status === "confirmed"));
    return;
  }
  assert.fail("no lab record under review");
});

test("every problem of an item is reported at once, each with its stage and reason", () => {
  const exam = first("physical-exam");
  const { problems } = failed(mapToStandard(withFields(exam, { examDate: "2024-02-30", heightCm: "一米七", systolicMmHg: 400, bmi: 22.345 }), { standard, rules: rules.sql }));
  assert.deepEqual(problems.map((p) => [p.stage, p.reason, p.member]), [
    ["map", "invalid-format", "examDate"],
    ["map", "invalid-format", "heightCm"],
    ["validate", "invalid-format", "bmi"],
    ["validate", "out-of-range", "systolicMmHg"],
  ]);
  for (const p of problems) assert.ok(p.message.length > 0 && p.messageZh.length > 0);
});

test("an item of a kind the rules do not map is an unmapped-kind problem", () => {
  const only = structuredClone(rules.sql.rules);
  delete only.kinds["prescription"];
  const result = failed(mapToStandard(first("prescription"), { standard, rules: compileRules(standard, only) }));
  assert.deepEqual(result.problems.map((p) => [p.stage, p.reason, p.value]), [["map", "unmapped-kind", "prescription"]]);
  assert.equal(result.model, undefined);
});

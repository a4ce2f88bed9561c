import assert from "node:assert/strict";
import { test } from "node:test";
import type { SourceItem, SourceValue } from "../src/adapters/types.ts";
import { CodeMapper, DecisionLog, makeIdNumber, standardLabDictionary } from "../src/index.ts";
import { compileRules, createQualityTally, loadMappingRules, loadStandard, mapToStandard } from "../src/model/index.ts";

const standard = loadStandard();
const rulesJson = loadMappingRules("sql");
delete rulesJson.kinds["prescription"];
const rules = compileRules(standard, rulesJson);
const dictionary = standardLabDictionary();
const decisions = new DecisionLog();
decisions.record({
  institution: "PD-CHC-01", localCode: "X-HB", code: "718-7", action: "accept-code", reviewer: "dr.test", decidedAt: "2024-01-01T00:00:00+08:00",
  note: "", proposedCode: null, proposedScore: 0, dictionaryVersion: dictionary.version,
});
const codeMapper = new CodeMapper(dictionary, { decisions });

let n = 0;
function item(kind: SourceItem["kind"], fields: Record<string, SourceValue>): SourceItem {
  n++;
  return {
    itemKey: `item-${n}`, format: "sql", kind, institutionCode: "PD-CHC-01", sourceKey: `K${n}`, patientId: "S010000001",
    changedAt: "2024-03-05T09:00:00+08:00", status: "final", fields, raw: JSON.stringify(fields),
  };
}

const id = makeIdNumber("310115", "1980-02-29", "male", 11);
const person = { name: "王小明", sex: "male", birthDate: "1980-02-29", idNumber: id, phone: "13800000000", address: "上海市浦东新区花木路1号" };
const lab = (localCode: string, localName: string, unit: string) => item("lab-result", {
  encounterKey: "S010000001-M001", localCode, localName, value: 5.2, unit, referenceRange: "3.9-6.1", abnormalFlag: "N",
  collectedAt: "2024-03-05T08:10:00+08:00", reportedAt: "2024-03-05T11:00:00+08:00",
});

const patients = [
  item("patient", person),
  item("patient", { ...person, phone: null, address: null }),
  item("patient", { ...person, name: null }),
  item("patient", { ...person, idNumber: id.slice(0, 17) + (id[17] === "0" ? "1" : "0") }),
];
const labs = [lab("L-GLU", "空腹血糖", "mmol/L"), lab("X-HB", "HB定量", "g/L"), lab("L-SMEAR", "外周血涂片形态学描述", ""), lab("L-BG", "血糖", "mmol/L")];
const unmapped = item("prescription", { drugName: "阿司匹林肠溶片" });

test("the crafted lab codes map as the tally expects (auto, confirmed, unknown, review)", () => {
  const statuses = labs.map((l) => codeMapper.propose({ institution: l.institutionCode, localCode: String(l.fields.localCode), localName: String(l.fields.localName), localUnit: String(l.fields.unit) }).status);
  assert.deepEqual(statuses, ["auto", "confirmed", "unmapped", "review"]);
});

function run(order: readonly SourceItem[]) {
  const tally = createQualityTally({ rules });
  for (const one of order) tally.add(mapToStandard(one, { standard, rules, codeMapper }), one);
  tally.duplicate(labs[0]!);
  return tally.report();
}

test("the quality report counts completeness, validity, duplicates and code-mapping coverage per model", () => {
  const report = run([...patients, ...labs, unmapped]);
  const patient = report.models["patient"]!;
  assert.deepEqual([patient.seen, patient.accepted, patient.quarantined, patient.duplicates], [4, 2, 2, 0]);
  assert.deepEqual(patient.completeness["name"], { present: 3, required: true, share: 0.75 });
  assert.deepEqual(patient.completeness["phone"], { present: 3, required: false, share: 0.75 });
  assert.deepEqual(patient.completeness["idNumber"], { present: 4, required: false, share: 1 });
  // 8 + 6 + 7 + 8 values present; one of them (the ID number with the wrong check character) invalid.
  assert.deepEqual(patient.validity, { byReason: { "invalid-checksum": 1, "missing-required": 1 }, checked: 29, share: 0.9655, valid: 28 });
  assert.equal(patient.codeMapping, undefined);

  const labResult = report.models["lab-result"]!;
  assert.deepEqual([labResult.seen, labResult.accepted, labResult.quarantined, labResult.duplicates], [4, 2, 2, 1]);
  assert.deepEqual(labResult.codeMapping, { auto: 1, confirmed: 1, coverage: 0.5, review: 1, unknown: 1 });
  assert.deepEqual(labResult.completeness["testCode"], { present: 4, required: true, share: 1 });
  // 12 + 12 + 11 (no unit) + 12 values present; the two unmapped test codes invalid.
  assert.deepEqual(labResult.completeness["unit"], { present: 3, required: false, share: 0.75 });
  assert.deepEqual(labResult.validity, { byReason: { "code-under-review": 1, "unknown-code": 1 }, checked: 47, share: 0.9574, valid: 45 });

  assert.deepEqual(report.unmappedKinds, { prescription: 1 });
  assert.deepEqual(report.totals, {
    accepted: 4, acceptedShare: 0.4444, byReason: { "code-under-review": 1, "invalid-checksum": 1, "missing-required": 1, "unknown-code": 1, "unmapped-kind": 1 },
    duplicateShare: 0.1, duplicates: 1, quarantined: 5, received: 10, seen: 9,
  });
});

test("the report is deterministic: the same items in another order give byte-identical JSON with sorted keys", () => {
  const forward = JSON.stringify(run([...patients, ...labs, unmapped]));
  const backward = JSON.stringify(run([unmapped, ...labs, ...patients].reverse()));
  assert.equal(forward, backward);
  const keys = Object.keys(JSON.parse(forward).models.patient.completeness as object);
  assert.deepEqual(keys, [...keys].sort());
});

test("without the rules, duplicates of a kind never mapped in the run are counted by kind", () => {
  const tally = createQualityTally();
  tally.duplicate(labs[0]!);
  tally.add(mapToStandard(patients[0]!, { standard, rules, codeMapper }), patients[0]!);
  tally.duplicate(patients[0]!);
  const report = tally.report();
  assert.deepEqual(report.duplicatesByKind, { "lab-result": 1 });
  assert.equal(report.models["patient"]!.duplicates, 1);
  assert.equal(report.totals.duplicates, 2);
  // Without the standard a member's being required is unknown unless the run showed it missing.
  assert.equal(report.models["patient"]!.completeness["name"]!.required, null);
});

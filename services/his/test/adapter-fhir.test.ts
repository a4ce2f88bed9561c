import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { isPlatformError } from "@health-chain/sdk";
import { syntheticRecords } from "../src/synthetic/index.ts";
import type { SyntheticRecord } from "../src/synthetic/records.ts";
import type { SourceItem } from "../src/adapters/types.ts";
import { fhirBundleOf, fhirR4Errors, parseFhirBundle, readFhirBundle } from "../src/adapters/fhir/index.ts";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/fhir/${name}`, import.meta.url), "utf8");
const byKey = (items: readonly SourceItem[]) => new Map(items.map((item) => [item.itemKey, item]));

test("lab report Bundle: Patient with Chinese name and ID card, Encounter, DiagnosticReport grouping three Observations", () => {
  const { items, rejected } = parseFhirBundle(fixture("lab-report.transaction.json"));
  assert.deepEqual(rejected, []);
  // The DiagnosticReport gives no item of its own: it is the context of its results.
  assert.deepEqual(items.map((item) => item.kind), ["patient", "encounter", "lab-result", "lab-result", "lab-result"]);
  const items_ = byKey(items);

  const patient = items_.get("Patient/zy0012876/_history/3")!;
  assert.equal(patient.format, "fhir-r4");
  assert.equal(patient.institutionCode, "PD-TH-01");
  assert.equal(patient.sourceKey, "ZY0012876");
  assert.equal(patient.patientId, "ZY0012876");
  assert.equal(patient.changedAt, "2024-03-15T08:05:12+08:00");
  assert.deepEqual(patient.fields, {
    name: "王秀英", sex: "female", birthDate: "1958-03-07", idNumber: "310115195803070623",
    // The mobile number is preferred to the home landline.
    phone: "13916203348", address: "上海市浦东新区洋泾街道浦东大道1288弄12号502室",
  });
  assert.equal(JSON.parse(patient.raw).id, "zy0012876");

  const encounter = items_.get("Encounter/mz20240315-0457/_history/1")!;
  assert.equal(encounter.patientId, "ZY0012876", "subject resolved through the Bundle's fullUrl");
  assert.deepEqual(encounter.fields, { type: "outpatient", department: "内分泌科", start: "2024-03-15T08:12:00+08:00", end: null });

  const glucose = items_.get("Observation/lis-20240315-0457-01/_history/1")!;
  assert.equal(glucose.sourceKey, "L20240315-0457-GLU");
  assert.equal(glucose.status, "final");
  assert.deepEqual(glucose.fields, {
    encounterKey: "MZ20240315-0457", localCode: "GLU-F", localName: "空腹血糖", value: 7.82, unit: "mmol/L",
    referenceRange: "3.9-6.1", abnormalFlag: "H", collectedAt: "2024-03-15T08:40:00+08:00", reportedAt: "2024-03-15T10:21:07+08:00",
  });

  const cholesterol = items_.get("Observation/lis-20240315-0457-02/_history/2")!;
  assert.equal(cholesterol.status, "corrected", "Observation.status corrected");
  assert.equal(cholesterol.fields.referenceRange, "3.1-5.2");

  // No category, encounter, effective or issued of its own: all from its DiagnosticReport; subject as Patient/id.
  const creatinine = items_.get("Observation/lis-20240315-0457-03/_history/1")!;
  assert.equal(creatinine.patientId, "ZY0012876");
  assert.deepEqual(
    [creatinine.fields.encounterKey, creatinine.fields.collectedAt, creatinine.fields.reportedAt, creatinine.fields.referenceRange, creatinine.fields.unit],
    ["MZ20240315-0457", "2024-03-15T08:40:00+08:00", "2024-03-15T10:28:31+08:00", "45-84", "µmol/L"],
  );
});

test("discharge summary Bundle: inpatient Encounter, Conditions (Chinese and WHO ICD-10), MedicationRequest, DocumentReference with JSON content", () => {
  const { items, rejected } = parseFhirBundle(fixture("discharge-summary.transaction.json"));
  assert.deepEqual(rejected, []);
  assert.ok(items.every((item) => item.institutionCode === "PD-TH-02" && item.patientId === "EY0230977"));
  const [encounter, primary, secondary, prescription, summary] = items;
  assert.deepEqual(encounter!.fields, { type: "inpatient", department: "神经内科", start: "2024-03-02T15:20:00+08:00", end: "2024-03-12T10:00:00+08:00" });
  assert.deepEqual(primary!.fields, { encounterKey: "ZY20240302-0118", icd10: "I63.9", nameZh: "脑梗死", primary: true, diagnosedAt: "2024-03-02T16:05:00+08:00" });
  assert.deepEqual([secondary!.fields.icd10, secondary!.fields.nameZh, secondary!.fields.primary, secondary!.fields.encounterKey], ["I10", "原发性高血压", false, "ZY20240302-0118"]);
  assert.equal(prescription!.kind, "prescription");
  assert.deepEqual(prescription!.fields, {
    encounterKey: "ZY20240302-0118", drugName: "硫酸氢氯吡格雷片", atc: "B01AC04", specification: "75mg×7片", dose: "75mg", route: "口服",
    // boundsDuration 4 wk
    frequency: "qd", days: 28, forDiagnosis: "I63.9", prescribedAt: "2024-03-12T09:40:00+08:00",
  });
  assert.equal(summary!.kind, "discharge-summary");
  assert.equal(summary!.sourceKey, "ZY20240302-0118-CY");
  assert.equal(summary!.fields.lengthOfStayDays, 10);
  assert.deepEqual(summary!.fields.dischargeDiagnoses, ["I63.9", "I10", "E78.5"]);
  assert.equal(summary!.fields.outcome, "好转");
  assert.match(summary!.fields.course as string, /^患者因“左侧肢体无力/);
});

test("a collection without institution identifiers reads through the institution's channel; text content fills the conclusion", () => {
  const anonymous = parseFhirBundle(fixture("physical-exam.collection.json"));
  assert.deepEqual(anonymous.items, []);
  assert.deepEqual(anonymous.rejected.map((r) => r.reason), ["missing-institution", "missing-institution", "missing-institution"]);

  const { items, rejected } = parseFhirBundle(fixture("physical-exam.collection.json"), { institutionCode: "PD-CHC-03" });
  assert.deepEqual(rejected, []);
  const [encounter, patient, report] = items;
  assert.equal(encounter!.fields.type, "physical-exam", "AMB with SNOMED CT 185349003 is a physical examination");
  assert.equal(patient!.fields.name, "欧阳建国", "compound surname + given name");
  assert.equal(patient!.fields.address, "上海市浦东新区金桥镇金桥路1501弄8号201室", "municipality named once");
  // Without meta.versionId the key is the id and a digest of the content.
  assert.match(encounter!.itemKey, /^Encounter\/tj20240514-0031#[0-9a-f]{32}$/);
  assert.equal(report!.kind, "physical-exam");
  assert.equal(report!.patientId, "S030417");
  assert.equal(report!.fields.examDate, "2024-05-14");
  assert.equal(report!.fields.encounterKey, "TJ20240514-0031");
  assert.match(report!.fields.conclusion as string, /血压146\/92mmHg/);
  assert.equal(report!.fields.heightCm, null);
});

test("a resource failing R4 validation is rejected with the validator's path; the rest of the Bundle proceeds", () => {
  const missingStatus = parseFhirBundle(fixture("observation-missing-status.transaction.json"));
  assert.deepEqual(missingStatus.items.map((item) => item.sourceKey), ["L0402-0088-CREA"]);
  const [refused] = missingStatus.rejected;
  assert.equal(refused!.reason, "invalid-resource");
  assert.equal(refused!.itemKey, "Observation/sh05-l0402-0088-k/_history/1");
  assert.deepEqual(refused!.details, { issues: [{ path: "Observation.status", problem: "Missing required property" }] });
  assert.match(refused!.messageZh, /不符合 FHIR R4/);
  assert.equal(JSON.parse(refused!.raw).id, "sh05-l0402-0088-k", "the resource is kept for replay");

  const badDate = parseFhirBundle(fixture("bad-date.transaction.json"));
  assert.deepEqual(badDate.items.map((item) => item.kind), ["encounter"]);
  assert.equal(badDate.rejected[0]!.reason, "invalid-resource");
  assert.deepEqual(badDate.rejected[0]!.details, { issues: [{ path: "Patient.birthDate", problem: "Invalid date format" }] });
});

test("unsupported resource types and DELETE entries are rejected, supported ones read", () => {
  const { items, rejected } = parseFhirBundle(fixture("unsupported-resource.batch.json"));
  assert.deepEqual(items.map((item) => [item.kind, item.institutionCode, item.patientId, item.fields.encounterKey]), [["diagnosis", "PD-CHC-07", "S070233", "S070233-M004"]]);
  assert.deepEqual(rejected.map((r) => [r.reason, r.itemKey.replace(/#[0-9a-f]{32}/, "#…")]), [
    ["unsupported-resource-type", "AllergyIntolerance/gm-s070233-1/_history/1"],
    ["unsupported-operation", "Bundle#…#entry[2]"],
  ]);
  assert.deepEqual(rejected[0]!.details, { resourceType: "AllergyIntolerance" });
});

test("a message that is not JSON, or not a Bundle, is one rejection carrying the message verbatim", () => {
  const notJson = fixture("not-json.txt");
  const broken = parseFhirBundle(notJson);
  assert.deepEqual(broken.items, []);
  assert.equal(broken.rejected.length, 1);
  assert.equal(broken.rejected[0]!.reason, "malformed-message");
  assert.equal(broken.rejected[0]!.raw, notJson);
  assert.match(broken.rejected[0]!.itemKey, /^Bundle#[0-9a-f]{32}$/);

  const patient = parseFhirBundle(fixture("not-a-bundle.json"));
  assert.deepEqual([patient.rejected[0]!.reason, patient.rejected[0]!.details], ["not-a-bundle", { resourceType: "Patient" }]);

  const history = parseFhirBundle({ resourceType: "Bundle", type: "history", entry: [] });
  assert.deepEqual([history.rejected[0]!.reason, history.rejected[0]!.details], ["unsupported-bundle-type", { type: "history" }]);
  assert.equal(parseFhirBundle({ resourceType: "Bundle", type: "batch", entry: "x" }).rejected[0]!.reason, "not-a-bundle");
  assert.deepEqual(parseFhirBundle({ resourceType: "Bundle", type: "searchset" }), { items: [], rejected: [] });
  const badTimestamp = parseFhirBundle({ resourceType: "Bundle", type: "collection", timestamp: "yesterday", entry: [] });
  assert.deepEqual([badTimestamp.rejected[0]!.reason, badTimestamp.rejected[0]!.details], ["invalid-resource", { issues: [{ path: "Bundle.timestamp", problem: "Invalid instant format" }] }]);
});

test("mapping refusals: non-laboratory Observation, non-numeric value, preliminary status, unknown document type, missing patient", () => {
  const observation = (extra: object) => ({
    resourceType: "Observation", id: "o1", meta: { versionId: "1", lastUpdated: "2024-01-02T03:04:05+08:00" },
    identifier: [{ value: "K1" }], status: "final",
    category: [{ coding: [{ system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "laboratory" }] }],
    code: { coding: [{ code: "K", display: "钾" }] }, subject: { identifier: { value: "P1" } }, valueQuantity: { value: 4.2, unit: "mmol/L" },
    ...extra,
  });
  const bundleOf = (...resources: object[]) => ({ resourceType: "Bundle", type: "collection", entry: resources.map((resource) => ({ resource })) });
  const reasons = (...resources: object[]) => parseFhirBundle(bundleOf(...resources), { institutionCode: "PD-SH-01" }).rejected.map((r) => r.reason);

  assert.deepEqual(reasons(observation({})), []);
  assert.deepEqual(reasons(observation({ category: [{ coding: [{ code: "vital-signs" }] }] })), ["unsupported-observation-category"]);
  assert.deepEqual(reasons(observation({ valueQuantity: undefined, valueString: "阴性" })), ["unsupported-value-type"]);
  assert.deepEqual(reasons(observation({ status: "preliminary" })), ["unsupported-status"]);
  assert.deepEqual(reasons(observation({ subject: { reference: "Patient/elsewhere" } })), ["missing-patient"]);
  assert.deepEqual(reasons(observation({ meta: undefined })), ["missing-change-time"]);
  assert.deepEqual(reasons({
    resourceType: "DocumentReference", id: "d1", meta: { lastUpdated: "2024-01-02T03:04:05+08:00" }, identifier: [{ value: "D1" }], status: "current",
    type: { coding: [{ system: "http://loinc.org", code: "11506-3" }] }, subject: { identifier: { value: "P1" } },
    content: [{ attachment: { contentType: "application/json", data: Buffer.from("{}").toString("base64") } }],
  }), ["unsupported-document-type"]);
  assert.deepEqual(reasons({
    resourceType: "DocumentReference", id: "d2", meta: { lastUpdated: "2024-01-02T03:04:05+08:00" }, identifier: [{ value: "D2" }], status: "current",
    type: { coding: [{ system: "http://loinc.org", code: "18842-5" }] }, subject: { identifier: { value: "P1" } },
    content: [{ attachment: { contentType: "application/json", data: Buffer.from("[1,2]").toString("base64") } }],
  }), ["invalid-attachment"]);
});

function expectRoundTrip(records: readonly SyntheticRecord[], items: readonly SourceItem[]): void {
  assert.equal(items.length, records.length);
  records.forEach((record, i) => {
    const item = items[i]!;
    const envelope = { kind: record.kind, institutionCode: record.institutionCode, sourceKey: record.sourceKey, patientId: record.patientId, changedAt: record.changedAt, status: record.status };
    assert.deepEqual(
      { kind: item.kind, institutionCode: item.institutionCode, sourceKey: item.sourceKey, patientId: item.patientId, changedAt: item.changedAt, status: item.status },
      envelope,
      `${record.recordId} envelope`,
    );
    assert.deepEqual(item.fields, record.payload, `${record.recordId} payload`);
    assert.equal(item.itemKey.endsWith(`/_history/${record.recordId}`), true, "one item key per transmission");
  });
}

test("render → parse round trip over every record of 50 synthetic residents (duplicates, corrections and missing fields included)", () => {
  const records = [...syntheticRecords({ seed: 4242, residents: 50 })];
  assert.ok(records.length > 500);
  for (const kind of ["patient", "encounter", "diagnosis", "lab-result", "prescription", "physical-exam", "discharge-summary"]) {
    assert.ok(records.some((record) => record.kind === kind), `the sample has ${kind}`);
  }
  assert.ok(records.some((record) => record.status === "corrected"), "the sample has a correction");
  assert.ok(records.some((record) => record.truth.missingField !== null), "the sample has a missing field");

  const bundle = fhirBundleOf(records);
  assert.equal(bundle.type, "transaction");
  const { items, rejected } = parseFhirBundle(JSON.stringify(bundle));
  assert.deepEqual(rejected, [], "every rendered resource is valid R4 and maps");
  expectRoundTrip(records, items);
  const keys = new Set(items.map((item) => item.itemKey));
  assert.equal(keys.size, items.length, "item keys are unique");
});

test("rendering is deterministic and every rendered resource, DiagnosticReports included, conforms to R4", () => {
  const records = [...syntheticRecords({ seed: 7, residents: 8 })];
  const once = fhirBundleOf(records, { type: "collection" });
  assert.deepEqual(fhirBundleOf(records, { type: "collection" }), once);
  assert.ok(once.entry!.every((entry) => entry.request === undefined));
  const reports = once.entry!.filter((entry) => entry.resource!.resourceType === "DiagnosticReport");
  assert.ok(reports.length > 0);
  for (const entry of once.entry!) assert.deepEqual(fhirR4Errors(entry.resource!), [], entry.resource!.resourceType);
  expectRoundTrip(records, parseFhirBundle(once).items);
  const reading = readFhirBundle(once);
  assert.ok(!("rejected" in reading));
  assert.equal(reading.entries.length, records.length + reports.length);
});

test("fhirBundleOf refuses a Bundle type it cannot render", () => {
  assert.throws(
    () => fhirBundleOf([], { type: "history" as "batch" }),
    (error: unknown) => isPlatformError(error, "INVALID_INPUT"),
  );
});

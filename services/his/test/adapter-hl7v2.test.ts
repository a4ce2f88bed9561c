import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { Hl7Context, Hl7Message } from "@medplum/core";
import { isPlatformError } from "@health-chain/sdk";
import { syntheticRecords } from "../src/synthetic/index.ts";
import type { LabResultRecord, PatientRecord } from "../src/synthetic/records.ts";
import {
  decodeHl7Text, encodeHl7Text, hl7DateTimeToIso, isoToHl7DateTime, oruR01Of, parseOruR01,
} from "../src/adapters/hl7v2/index.ts";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/hl7v2/${name}`, import.meta.url), "utf8");

/** The ACK's segments by name, fields split (MSH shifted so that index n is MSH-n). */
function ackOf(text: string): { msa: string[]; errs: string[][]; msh: string[] } {
  const segments = text.split("\r").map((line) => line.split("|"));
  const msh = ["MSH", "|", ...segments.find((s) => s[0] === "MSH")!.slice(1)];
  return { msh, msa: segments.find((s) => s[0] === "MSA")!, errs: segments.filter((s) => s[0] === "ERR") };
}

test("ORU^R01 from a hospital LIS (LF separators, UTF-8 Chinese): the patient and five results, AA", () => {
  const text = fixture("oru-r01-biochem.hl7");
  const { items, rejected, ack } = parseOruR01(text);
  assert.deepEqual(rejected, []);
  assert.deepEqual(items.map((item) => item.itemKey), ["LIS202403150457#PID", ...[1, 2, 3, 4, 5].map((n) => `LIS202403150457#${n}`)]);
  const [patient, glucose, , , , creatinine] = items;
  assert.deepEqual(
    [patient!.kind, patient!.format, patient!.institutionCode, patient!.sourceKey, patient!.patientId, patient!.changedAt],
    ["patient", "hl7v2", "PD-TH-01", "ZY0012876", "ZY0012876", "2024-03-15T10:28:31+08:00"],
  );
  assert.deepEqual(patient!.fields, {
    name: "王秀英", sex: "female", birthDate: "1958-03-07", idNumber: "310115195803070623",
    phone: "13916203348", address: "上海市浦东新区洋泾街道浦东大道1288弄12号502室",
  });
  assert.equal(glucose!.kind, "lab-result");
  assert.equal(glucose!.sourceKey, "L20240315-0457-GLU-F", "filler order number + local code");
  assert.equal(glucose!.changedAt, "2024-03-15T10:28:31+08:00", "OBR-22");
  assert.deepEqual(glucose!.fields, {
    encounterKey: "MZ20240315-0457", localCode: "GLU-F", localName: "空腹血糖", value: 7.82, unit: "mmol/L", referenceRange: "3.9-6.1",
    abnormalFlag: "H", collectedAt: "2024-03-15T08:40:00+08:00", reportedAt: "2024-03-15T10:21:07+08:00",
  });
  // No OBX-14/OBX-19: the OBR's collection and report times.
  assert.deepEqual([creatinine!.fields.value, creatinine!.fields.unit, creatinine!.fields.collectedAt, creatinine!.fields.reportedAt], [78, "µmol/L", "2024-03-15T08:40:00+08:00", "2024-03-15T10:28:31+08:00"]);
  assert.equal(glucose!.raw, text, "the message is kept verbatim");

  const { msh, msa, errs } = ackOf(ack);
  assert.deepEqual(msa.slice(0, 3), ["MSA", "AA", "LIS202403150457"]);
  assert.deepEqual(errs, []);
  assert.deepEqual([msh[3], msh[4], msh[5], msh[6], msh[9], msh[12]], ["HIS", "PD-RHIP", "LIS", "PD-TH-01^^L", "ACK^R01^ACK", "2.5.1"]);
  assert.match(msh[7]!, /^\d{14}\+0000$/);
});

test("CR, LF and CRLF segment separators and MLLP framing read the same", () => {
  const lf = fixture("oru-r01-biochem.hl7");
  const strip = (result: ReturnType<typeof parseOruR01>) => result.items.map((item) => ({ ...item, raw: "" }));
  const expected = strip(parseOruR01(lf));
  assert.deepEqual(strip(parseOruR01(lf.replace(/\n/g, "\r"))), expected);
  assert.deepEqual(strip(parseOruR01(lf.replace(/\n/g, "\r\n"))), expected);
  assert.deepEqual(strip(parseOruR01(`\u000b${lf.replace(/\n/g, "\r")}\u001c\r`)), expected);
});

test("a corrected result (OBX-11 C, CRLF file) carries the source key of the result it corrects", () => {
  const original = parseOruR01(fixture("oru-r01-biochem.hl7")).items.find((item) => item.fields.localCode === "T-CHO")!;
  const { items, rejected } = parseOruR01(fixture("oru-r01-corrected.hl7"));
  assert.deepEqual(rejected, []);
  const correction = items.find((item) => item.kind === "lab-result")!;
  assert.equal(correction.status, "corrected");
  assert.equal(correction.sourceKey, original.sourceKey);
  assert.notEqual(correction.itemKey, original.itemKey);
  assert.deepEqual([correction.fields.value, correction.changedAt, correction.fields.encounterKey], [5.49, "2024-03-18T09:14:55+08:00", "MZ20240315-0457"]);
  assert.equal(items[0]!.fields.address, "上海市金桥路1501弄8号201室", "province and city from XAD-4/3, named once");
});

test("non-numeric and preliminary results are refused with ERR segments (AE) while the others proceed; escapes decoded; v2.4 without offsets", () => {
  const { items, rejected, ack } = parseOruR01(fixture("oru-r01-mixed.hl7"));
  assert.deepEqual(items.map((item) => item.itemKey), ["SH03LIS0611000187#PID", ...[1, 2, 3, 4, 6].map((n) => `SH03LIS0611000187#${n}`)]);
  const wbc = items[1]!;
  assert.equal(wbc.fields.unit, "10^9/L", "\\S\\ decoded to the component separator");
  assert.equal(wbc.fields.collectedAt, "2024-06-11T09:15:00+08:00", "no offset: China Standard Time");
  assert.equal(wbc.sourceKey, "H0611-0088-WBC");
  const crp = items[5]!;
  assert.deepEqual([crp.fields.value, crp.sourceKey], [8.6, "H0611-0089-CRP"], "SN ^8.6 is a plain number under the second OBR");
  assert.equal(items[0]!.fields.name, "陈静");
  assert.equal(items[0]!.fields.idNumber, null);

  assert.deepEqual(rejected.map((r) => [r.itemKey, r.reason, r.details]), [
    ["SH03LIS0611000187#5", "unsupported-value-type", { segment: "OBX", sequence: 5, field: 2, segmentText: "OBX|5|ST|HBsAg^乙肝表面抗原^L||阴性||阴性|N|||F" }],
    ["SH03LIS0611000187#7", "unsupported-result-status", { segment: "OBX", sequence: 7, field: 11, segmentText: "OBX|7|NM|ESR^红细胞沉降率^L||28|mm/h|0-20|H|||P" }],
  ]);
  assert.ok(rejected.every((r) => r.format === "hl7v2" && r.messageZh.length > 0 && r.raw.startsWith("MSH|")));

  const { msa, errs, msh } = ackOf(ack);
  assert.deepEqual(msa.slice(0, 2), ["MSA", "AE"]);
  assert.equal(msh[12], "2.4");
  assert.deepEqual(errs.map((err) => [err[2], err[3], err[4], err[5]]), [
    ["OBX^5^2", "102^Data type error^HL70357", "E", "unsupported-value-type^^L"],
    ["OBX^7^11", "103^Table value not found^HL70357", "E", "unsupported-result-status^^L"],
  ]);
  assert.match(errs[0]![8]!, /只采集数值型结果/);
});

test("a message without MSH and an ADT message are refused as a whole with AR", () => {
  const noMsh = fixture("no-msh.hl7");
  const broken = parseOruR01(noMsh);
  assert.deepEqual(broken.items, []);
  assert.deepEqual([broken.rejected[0]!.reason, broken.rejected[0]!.raw], ["malformed-message", noMsh]);
  assert.match(broken.rejected[0]!.itemKey, /^sm3:[0-9a-f]{32}$/);
  assert.deepEqual(ackOf(broken.ack).msa.slice(0, 3), ["MSA", "AR", ""]);

  const adt = parseOruR01(fixture("adt-a01.hl7"));
  assert.deepEqual(adt.items, []);
  assert.deepEqual([adt.rejected[0]!.itemKey, adt.rejected[0]!.reason], ["HIS20240601000231", "unsupported-message-type"]);
  const { msa, errs, msh } = ackOf(adt.ack);
  assert.deepEqual(msa.slice(0, 3), ["MSA", "AR", "HIS20240601000231"]);
  assert.equal(msh[9], "ACK^A01^ACK");
  assert.equal(errs[0]![3], "200^Unsupported message type^HL70357");
});

test("message-level content problems: unsupported version (AR), no patient number, no order, bad times (AE)", () => {
  const base = fixture("oru-r01-biochem.hl7").replace(/\n/g, "\r");
  const code = (text: string) => ackOf(parseOruR01(text).ack).msa[1];
  const reasons = (text: string) => parseOruR01(text).rejected.map((r) => r.reason);

  assert.equal(code(base.replace("|P|2.5.1|", "|P|2.3|")), "AR");
  assert.deepEqual(reasons(base.replace("|P|2.5.1|", "|P|2.3|")), ["unsupported-version"]);
  const noPatientNumber = base.replace("ZY0012876^^^PD-TH-01^PI~", "");
  assert.deepEqual(reasons(noPatientNumber), ["missing-patient", ...Array(5).fill("missing-patient")]);
  assert.equal(code(noPatientNumber), "AE");
  const noOrder = base.replace(/\rORC[^\r]*\rOBR[^\r]*/, "");
  assert.deepEqual(reasons(noOrder), Array(5).fill("missing-order"));
  assert.deepEqual(parseOruR01(noOrder).items.map((item) => item.kind), ["patient"]);
  assert.deepEqual(reasons(base.replace("20240315102107+0800", "20241315102107+0800")), ["invalid-timestamp"]);
  assert.deepEqual(reasons(base.replace("|19580307|", "|19580230|")), ["invalid-timestamp"], "a birth date that is not a real day refuses the patient item only");
  assert.deepEqual(reasons(base.replace("|F|||上海市", "|F|||上海市").replace("||7.82|", "||7,82|")), ["invalid-value"]);
  assert.deepEqual(reasons(base.replace("|PD-TH-01^^L|", "||")), ["missing-institution"]);
  assert.deepEqual(reasons(base.replace("|20240315102831+0800||ORU", "|yesterday||ORU")), ["invalid-timestamp"]);
});

test("OBX set ids that restart under each OBR still key every result uniquely", () => {
  const text = fixture("oru-r01-mixed.hl7").replace(/\n/g, "\r").replace("OBX|5|", "OBX|1|").replace("OBX|6|", "OBX|2|").replace("OBX|7|", "OBX|3|");
  const keys = [...parseOruR01(text).items, ...parseOruR01(text).rejected].map((item) => item.itemKey);
  assert.equal(new Set(keys).size, 8);
  assert.ok(keys.includes("SH03LIS0611000187#2.2"), "OBR occurrence . OBX-1");
});

test("render → parse round trip: every lab result and registration of 50 synthetic residents, one ORU^R01 per visit", () => {
  const records = [...syntheticRecords({ seed: 4242, residents: 50 })];
  const patients = new Map<string, PatientRecord>();
  const visits = new Map<string, LabResultRecord[]>();
  for (const record of records) {
    if (record.kind === "patient") patients.set(`${record.institutionCode}|${record.patientId}`, record);
    if (record.kind === "lab-result") {
      const key = `${record.institutionCode}|${record.patientId}|${record.payload.encounterKey}`;
      visits.set(key, [...(visits.get(key) ?? []), record]);
    }
  }
  let results = 0;
  let corrections = 0;
  const itemKeys = new Set<string>();
  for (const [key, labs] of visits) {
    const patient = patients.get(key.split("|").slice(0, 2).join("|"))!;
    const message = oruR01Of(patient, labs);
    const { items, rejected, ack } = parseOruR01(message);
    assert.deepEqual(rejected, []);
    assert.equal(ackOf(ack).msa[1], "AA");
    const [patientItem, ...labItems] = items;
    assert.deepEqual(patientItem!.fields, patient.payload);
    assert.deepEqual([patientItem!.institutionCode, patientItem!.patientId], [patient.institutionCode, patient.patientId]);
    assert.equal(labItems.length, labs.length);
    labs.forEach((record, i) => {
      const item = labItems[i]!;
      assert.deepEqual(item.fields, record.payload, record.recordId);
      assert.deepEqual([item.sourceKey, item.patientId, item.institutionCode, item.status, item.changedAt], [record.sourceKey, record.patientId, record.institutionCode, record.status, record.changedAt]);
      if (record.status === "corrected") corrections++;
    });
    for (const item of items) itemKeys.add(item.itemKey);
    results += labItems.length;
  }
  assert.ok(results > 300, `${results} results`);
  assert.ok(corrections > 0, "the sample has corrections");
  assert.equal(itemKeys.size, results + visits.size, "item keys unique across messages");
});

test("oruR01Of refuses results of another patient or of several visits", () => {
  const records = [...syntheticRecords({ seed: 4242, residents: 5 })];
  const patient = records.find((r): r is PatientRecord => r.kind === "patient")!;
  const labs = records.filter((r): r is LabResultRecord => r.kind === "lab-result");
  const other = labs.find((r) => r.patientId !== patient.patientId)!;
  const invalid = (error: unknown) => isPlatformError(error, "INVALID_INPUT");
  assert.throws(() => oruR01Of(patient, []), invalid);
  assert.throws(() => oruR01Of(patient, [other]), invalid);
  const own = labs.filter((r) => r.patientId === patient.patientId && r.institutionCode === patient.institutionCode);
  const twoVisits = own.filter((r, i, all) => all.findIndex((x) => x.payload.encounterKey === r.payload.encounterKey) === i).slice(0, 2);
  if (twoVisits.length === 2) assert.throws(() => oruR01Of(patient, twoVisits), invalid);
});

test("escape sequences round trip through the message's own delimiters; DTM keeps the sender's offset", () => {
  const context = new Hl7Context();
  const text = "A|B^C&D~E\\F\r\n谷丙";
  assert.equal(encodeHl7Text(text, context), "A\\F\\B\\S\\C\\T\\D\\R\\E\\E\\F\\X0D\\\\X0A\\谷丙");
  assert.equal(decodeHl7Text(encodeHl7Text(text, context), context), text);
  assert.equal(decodeHl7Text("\\H\\阳性\\N\\\\.br\\复查\\Zxyz\\", context), "阳性\n复查\\Zxyz\\");
  // A message declaring other delimiters decodes with them.
  const custom = Hl7Message.parse("MSH#*@!$#LIS#H\rOBX#1#NM#X*a!b");
  assert.equal(custom.context.escapeCharacter, "!");
  assert.equal(decodeHl7Text("10!S!9/L", custom.context), "10*9/L");

  assert.equal(hl7DateTimeToIso("20240229235959.123-0500"), "2024-02-29T23:59:59.123-05:00");
  assert.equal(hl7DateTimeToIso("202406110915"), "2024-06-11T09:15:00+08:00");
  assert.equal(hl7DateTimeToIso("20240611"), "2024-06-11");
  assert.equal(hl7DateTimeToIso("20230229"), null);
  assert.equal(hl7DateTimeToIso("202406"), null);
  assert.equal(hl7DateTimeToIso("20240611246000"), null);
  assert.equal(isoToHl7DateTime("2024-06-11T09:15:00+08:00"), "20240611091500+0800");
  assert.equal(isoToHl7DateTime("2024-06-11T01:15:00Z"), "20240611011500+0000");
  assert.equal(isoToHl7DateTime("2024-06-11"), "20240611");
  assert.equal(isoToHl7DateTime("11/06/2024"), null);
});

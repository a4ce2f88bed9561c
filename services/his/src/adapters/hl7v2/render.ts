// Synthetic lab results as a Chinese hospital LIS sends them: one ORU^R01 (v2.5.1, UTF-8) per patient
// visit, PID with the patient number and the resident identity card, PV1 with the visit number, and an
// OBR per report time with its numeric OBX. parseOruR01 gives back the records' payloads.
import { Hl7Context, Hl7Message, Hl7Segment } from "@medplum/core";
import { platformError } from "@health-chain/sdk";
import type { LabResultRecord, PatientRecord } from "../../synthetic/records.ts";
import { RESIDENT_ID_CARD_OID } from "./parse.ts";
import { encodeHl7Text } from "./text.ts";
import { isoToHl7DateTime } from "./timestamp.ts";

export interface OruRenderOptions {
  /** MSH-10; default: the first result's transmission id (unique per transmission). */
  readonly controlId?: string;
  /** MSH-3 (default `LIS`). */
  readonly sendingApplication?: string;
  /** MSH-5 (default `HEALTH-CHAIN`). */
  readonly receivingApplication?: string;
  /** MSH-6 (default `PD-RHIP`, the regional health information platform). */
  readonly receivingFacility?: string;
  /** MSH-12 (default 2.5.1). */
  readonly version?: "2.4" | "2.5" | "2.5.1";
}

const invalid = (message: string, messageZh: string, key: string, value: unknown) =>
  platformError("INVALID_INPUT", { message, messageZh, details: { problems: [{ key, problem: message, value }] } });

/** Builds segments from field lists (index = field number), escaping every text value. */
function segmentOf(name: string, fields: Readonly<Partial<Record<number, string | readonly string[]>>>, context: Hl7Context): Hl7Segment {
  const last = Math.max(0, ...Object.keys(fields).map(Number));
  const values: string[] = [name];
  for (let i = 1; i <= last; i++) {
    const value = fields[i];
    values.push(value === undefined ? "" : typeof value === "string" ? encodeHl7Text(value, context) : value.map((c) => encodeHl7Text(c, context)).join(context.componentSeparator));
  }
  return new Hl7Segment(values, context);
}

function dtm(value: string, key: string): string {
  const converted = isoToHl7DateTime(value);
  if (converted === null) throw invalid(`${key} must be an ISO 8601 date or date-time, got ${JSON.stringify(value)}.`, `${key} 须为 ISO 8601 日期或日期时间。`, key, value);
  return converted;
}

/** One ORU^R01 message with the lab results of one patient's visit at one institution. */
export function oruR01Of(patient: PatientRecord, labResults: readonly LabResultRecord[], options: OruRenderOptions = {}): string {
  const first = labResults[0];
  if (first === undefined) throw invalid("An ORU^R01 message carries at least one lab result.", "ORU^R01 消息至少包含一条检验结果。", "labResults", []);
  for (const result of labResults) {
    if (result.institutionCode !== patient.institutionCode || result.patientId !== patient.patientId) {
      throw invalid("Every lab result must be the patient's, at the patient's institution.", "所有检验结果须属于该患者、该机构。", "labResults", result.recordId);
    }
    if (result.payload.encounterKey !== first.payload.encounterKey) {
      throw invalid("One message carries the results of one visit (one encounterKey).", "一条消息只包含一次就诊（同一 encounterKey）的结果。", "labResults", result.recordId);
    }
  }
  const context = new Hl7Context("\r");
  const c = context.componentSeparator;
  const s = context.subcomponentSeparator;
  const messageTime = [patient, ...labResults].reduce((max, record) => (record.changedAt > max ? record.changedAt : max), patient.changedAt);
  const { name, sex, birthDate, idNumber, phone, address } = patient.payload;
  const encounterKey = first.payload.encounterKey;

  const segments: Hl7Segment[] = [
    new Hl7Segment([
      "MSH", context.getMsh2(), encodeHl7Text(options.sendingApplication ?? "LIS", context), encodeHl7Text(patient.institutionCode, context),
      encodeHl7Text(options.receivingApplication ?? "HEALTH-CHAIN", context), encodeHl7Text(options.receivingFacility ?? "PD-RHIP", context),
      dtm(messageTime, "changedAt"), "", ["ORU", "R01", "ORU_R01"].join(c), encodeHl7Text(options.controlId ?? first.recordId, context), "P",
      options.version ?? "2.5.1", "", "", "AL", "NE", "CHN", "UNICODE UTF-8",
    ], context),
  ];
  // PID-3: the patient number (PI, assigned by the institution) and the resident identity card (NNCHN, WS/T 500 OID).
  const identifiers = [
    [encodeHl7Text(patient.patientId, context), "", "", encodeHl7Text(patient.institutionCode, context), "PI"].join(c),
    ...(idNumber === null ? [] : [[encodeHl7Text(idNumber, context), "", "", ["", RESIDENT_ID_CARD_OID, "ISO"].join(s), "NNCHN"].join(c)]),
  ].join(context.repetitionSeparator);
  const pid = segmentOf("PID", {
    1: "1",
    5: name ?? "",
    7: birthDate === null ? "" : dtm(birthDate, "birthDate"),
    8: sex === "male" ? "M" : sex === "female" ? "F" : "U",
    ...(address === null ? {} : { 11: [address, "", "", "", "", "", "H"] }),
    ...(phone === null ? {} : { 13: [phone, "PRN", "CP"] }),
  }, context);
  pid.setField(3, identifiers);
  segments.push(pid);
  // Patient class U: a lab result does not say whether the visit was outpatient or inpatient.
  segments.push(segmentOf("PV1", { 1: "1", 2: "U", 19: encounterKey }, context));

  // One OBR per (collection time, report change time): OBR-22 is when its results last changed.
  const orders = new Map<string, LabResultRecord[]>();
  for (const result of labResults) {
    const key = `${result.payload.collectedAt}|${result.changedAt}`;
    orders.set(key, [...(orders.get(key) ?? []), result]);
  }
  let obrSetId = 0;
  let obxSetId = 0;
  for (const results of orders.values()) {
    const head = results[0]!;
    segments.push(segmentOf("OBR", {
      1: String(++obrSetId),
      2: encounterKey,
      3: encounterKey,
      4: ["LAB", "检验申请", "L"],
      7: dtm(head.payload.collectedAt, "collectedAt"),
      22: dtm(head.changedAt, "changedAt"),
      25: results.some((r) => r.status === "corrected") ? "C" : "F",
    }, context));
    for (const result of results) {
      const r = result.payload;
      segments.push(segmentOf("OBX", {
        // Set ids run through the message so that MSH-10#OBX-1 keys each result.
        1: String(++obxSetId),
        2: "NM",
        3: [r.localCode, r.localName, "L"],
        5: String(r.value),
        6: r.unit ?? "",
        7: r.referenceRange ?? "",
        8: r.abnormalFlag,
        11: result.status === "corrected" ? "C" : "F",
        14: dtm(r.collectedAt, "collectedAt"),
        19: dtm(r.reportedAt, "reportedAt"),
      }, context));
    }
  }
  return new Hl7Message(segments, context).toString();
}

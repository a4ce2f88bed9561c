// Reading an HL7 v2 ORU^R01 (v2.4 to 2.5.1) lab results message with medplum's Hl7Message: the patient
// from PID, one lab result per numeric OBX (under its OBR, in the visit of PV1), and the ACK to send
// back. A refused OBX is quarantined with its reason while the other results of the message proceed.
import { Hl7Message, type Hl7Segment } from "@medplum/core";
import { sm3Hex, utf8 } from "@health-chain/sdk";
import type { ParseResult, RejectedItem, SourceItem, SourceValue } from "../types.ts";
import { type AckCode, type AckError, type Hl7Location, buildAck } from "./ack.ts";
import { hl7Repetitions, hl7Subcomponent, hl7Text } from "./text.ts";
import { DEFAULT_HL7_OFFSET, hl7DateTimeToIso } from "./timestamp.ts";

export interface OruParseOptions {
  /** The offset of times written without one (default +08:00, China Standard Time). */
  readonly defaultOffset?: string;
}

export type Hl7RejectionReason =
  | "malformed-message"
  | "unsupported-message-type"
  | "unsupported-version"
  | "missing-institution"
  | "invalid-timestamp"
  | "missing-patient"
  | "multiple-patients"
  | "missing-order"
  | "missing-order-number"
  | "missing-code"
  | "unsupported-value-type"
  | "invalid-value"
  | "unsupported-result-status";

export const SUPPORTED_HL7_VERSIONS = ["2.4", "2.5", "2.5.1"] as const;
/** 居民身份证号 (WS/T 500 OID) as the assigning authority of a PID-3 repetition. */
export const RESIDENT_ID_CARD_OID = "2.16.156.10011.1.3";
const ID_CARD_TYPES = new Set(["NNCHN", "NI", "ID"]);
const PATIENT_NUMBER_TYPES = ["PI", "MR", "PT"];

interface Refusal extends AckError {
  readonly reason: Hl7RejectionReason;
}

const refusal = (
  reason: Hl7RejectionReason, hl7Code: AckError["hl7Code"], message: string, messageZh: string, location?: Hl7Location,
): Refusal => (location ? { reason, hl7Code, message, messageZh, location } : { reason, hl7Code, message, messageZh });

const digestKey = (text: string) => `sm3:${sm3Hex(utf8(text)).slice(2, 34)}`;

function rejected(itemKey: string, refused: Refusal, raw: string, details: { [member: string]: SourceValue } = {}): RejectedItem {
  const location: { [member: string]: SourceValue } = refused.location
    ? { segment: refused.location.segment, sequence: refused.location.sequence, field: refused.location.field }
    : {};
  return { itemKey, format: "hl7v2", reason: refused.reason, message: refused.message, messageZh: refused.messageZh, details: { ...location, ...details }, raw };
}

/** The whole message refused: one rejection, and an ACK with `code`. */
function refuseMessage(message: Hl7Message | null, itemKey: string, code: AckCode, refused: Refusal, raw: string): ParseResult & { ack: string } {
  return { items: [], rejected: [rejected(itemKey, refused, raw)], ack: buildAck(message, code, [refused]) };
}

/** The message text without MLLP framing, byte-order mark or blank lines before MSH. */
const VT = String.fromCharCode(0x0b);
const FS = String.fromCharCode(0x1c);
function messageText(text: string): string {
  let start = 0;
  while (start < text.length && (text[start] === "\uFEFF" || text[start] === VT || /\s/.test(text[start]!))) start++;
  let end = text.length;
  while (end > start && (text[end - 1] === FS || /\s/.test(text[end - 1]!))) end--;
  return text.slice(start, end);
}

/**
 * Parses one ORU^R01 message: a "patient" item from PID (key `MSH-10#PID`), a "lab-result" item per
 * numeric OBX (key `MSH-10#OBX-1`), rejections for the rest, and the ACK to return (AA, AE, AR).
 */
export function parseOruR01(text: string, options: OruParseOptions = {}): ParseResult & { ack: string } {
  const raw = messageText(text);
  if (!raw.startsWith("MSH")) {
    return refuseMessage(null, digestKey(text), "AR", refusal(
      "malformed-message", 100, "The message does not begin with an MSH segment.", "消息不以 MSH 段开头。",
    ), text);
  }
  let message: Hl7Message;
  try {
    message = Hl7Message.parse(raw);
  } catch (error) {
    return refuseMessage(null, digestKey(text), "AR", refusal("malformed-message", 100, `The message cannot be parsed: ${String(error)}`, "消息无法解析。"), text);
  }
  // The quarantine keeps what was received, framing and separators included.
  return readOruR01(message, text, options);
}

/** Reads an already parsed message (the MLLP listener receives Hl7Message objects); `raw` is kept for the quarantine. */
export function readOruR01(message: Hl7Message, raw: string, options: OruParseOptions = {}): ParseResult & { ack: string } {
  const offset = options.defaultOffset ?? DEFAULT_HL7_OFFSET;
  const msh = message.header;
  const controlId = hl7Text(msh, 10);
  const messageKey = controlId || digestKey(raw);
  const messageType = hl7Text(msh, 9, 1);
  const trigger = hl7Text(msh, 9, 2);
  if (messageType !== "ORU" || trigger !== "R01") {
    return refuseMessage(message, messageKey, "AR", refusal(
      "unsupported-message-type", 200,
      `Only ORU^R01 lab results messages are read; this is ${messageType || "?"}^${trigger || "?"}.`,
      `只接收 ORU^R01 检验结果消息；该消息为 ${messageType || "?"}^${trigger || "?"}。`,
      { segment: "MSH", sequence: 1, field: 9 },
    ), raw);
  }
  const version = hl7Text(msh, 12);
  if (!(SUPPORTED_HL7_VERSIONS as readonly string[]).includes(version)) {
    return refuseMessage(message, messageKey, "AR", refusal(
      "unsupported-version", 203,
      `HL7 v2 versions ${SUPPORTED_HL7_VERSIONS.join(", ")} are read; this message is ${version || "unversioned"}.`,
      `支持 HL7 v2 ${SUPPORTED_HL7_VERSIONS.join("、")} 版本；该消息为 ${version || "未标明版本"}。`,
      { segment: "MSH", sequence: 1, field: 12 },
    ), raw);
  }
  if (!controlId) {
    return refuseMessage(message, messageKey, "AR", refusal(
      "malformed-message", 101, "MSH-10 (message control id) is empty: the message's results could not be keyed.", "MSH-10（消息控制号）为空，无法为结果编键。",
      { segment: "MSH", sequence: 1, field: 10 },
    ), raw);
  }
  // Content errors from here on: AE, the sender fixes and resends.
  const institutionCode = hl7Text(msh, 4, 1);
  if (!institutionCode) {
    return refuseMessage(message, messageKey, "AE", refusal(
      "missing-institution", 101, "MSH-4 (sending facility) is empty: the institution is unknown.", "MSH-4（发送机构）为空，无法确定机构。",
      { segment: "MSH", sequence: 1, field: 4 },
    ), raw);
  }
  const messageTime = hl7DateTimeToIso(hl7Text(msh, 7), offset);
  if (messageTime === null || !messageTime.includes("T")) {
    return refuseMessage(message, messageKey, "AE", refusal(
      "invalid-timestamp", 102, `MSH-7 (message date/time) is not a date-time: ${JSON.stringify(hl7Text(msh, 7))}.`, "MSH-7（消息时间）不是有效的日期时间。",
      { segment: "MSH", sequence: 1, field: 7 },
    ), raw);
  }
  const reader = new OruReader(message, raw, { controlId, institutionCode, messageTime, offset });
  return reader.read();
}

interface MessageFacts {
  readonly controlId: string;
  readonly institutionCode: string;
  readonly messageTime: string;
  readonly offset: string;
}

interface PatientFacts {
  readonly patientId: string;
}

/** Walks the segments in order, keeping the current PID, PV1 and OBR. */
class OruReader {
  private readonly message: Hl7Message;
  private readonly raw: string;
  private readonly facts: MessageFacts;
  private readonly items: SourceItem[] = [];
  private readonly rejections: RejectedItem[] = [];
  private readonly errors: AckError[] = [];
  private readonly occurrences = new Map<string, number>();

  constructor(message: Hl7Message, raw: string, facts: MessageFacts) {
    this.message = message;
    this.raw = raw;
    this.facts = facts;
  }

  read(): ParseResult & { ack: string } {
    const { controlId } = this.facts;
    const pids = this.message.getAllSegments("PID");
    const patient = pids.length > 0 ? this.readPatient(pids[0]!) : null;
    if (pids.length === 0) {
      this.refuse(`${controlId}#PID`, refusal("missing-patient", 100, "The message has no PID segment.", "消息中没有 PID 段。", { segment: "PID", sequence: 1, field: 0 }));
    }
    // OBX-1 keys the results when the set ids are unique in the message; else OBR occurrence.OBX-1 for all.
    const setIds = this.message.getAllSegments("OBX").map((obx) => hl7Text(obx, 1));
    const uniqueSetIds = setIds.every((id) => id !== "") && new Set(setIds).size === setIds.length;

    let visit: Hl7Segment | undefined;
    let order: Hl7Segment | undefined;
    let orderSequence = 0;
    let pidSeen = 0;
    for (const segment of this.message.segments) {
      const sequence = this.count(segment.name);
      if (segment.name === "PID") pidSeen++;
      else if (segment.name === "PV1") visit = segment;
      else if (segment.name === "OBR") {
        order = segment;
        orderSequence++;
      } else if (segment.name === "OBX") {
        const setId = hl7Text(segment, 1);
        const itemKey = uniqueSetIds ? `${controlId}#${setId}` : `${controlId}#${orderSequence}.${setId || sequence}`;
        const where = (field: number): Hl7Location => ({ segment: "OBX", sequence, field });
        if (pidSeen > 1) {
          this.refuse(itemKey, refusal("multiple-patients", 100, "Results of a second patient in one message are not read; send one patient per message.", "不读取同一消息中第二位患者的结果；请每条消息只发送一位患者。", where(0)), segment);
        } else if (patient === null) {
          this.refuse(itemKey, refusal("missing-patient", 101, "The result's patient cannot be told: PID-3 has no patient number.", "无法确定结果所属患者：PID-3 中没有患者编号。", where(0)), segment);
        } else if (order === undefined) {
          this.refuse(itemKey, refusal("missing-order", 100, "An OBX before any OBR: the result has no order.", "OBX 位于任何 OBR 之前，结果没有所属申请。", where(0)), segment);
        } else {
          this.readResult(segment, itemKey, where, patient, order, orderSequence, visit);
        }
      }
    }
    const code: AckCode = this.rejections.length === 0 ? "AA" : "AE";
    return { items: this.items, rejected: this.rejections, ack: buildAck(this.message, code, this.errors) };
  }

  private count(name: string): number {
    const n = (this.occurrences.get(name) ?? 0) + 1;
    this.occurrences.set(name, n);
    return n;
  }

  private refuse(itemKey: string, refused: Refusal, segment?: Hl7Segment): void {
    // The whole message stays the raw of every rejection: a fixed message is replayed as a whole.
    this.rejections.push(rejected(itemKey, refused, this.raw, segment ? { segmentText: segment.toString() } : {}));
    this.errors.push(refused);
  }

  private readPatient(pid: Hl7Segment): PatientFacts | null {
    const { controlId, institutionCode, messageTime, offset } = this.facts;
    const repetitions = hl7Repetitions(pid, 3);
    const ids: { value: string; type: string; authority: string }[] = [];
    for (let r = 0; r < repetitions; r++) {
      ids.push({ value: hl7Text(pid, 3, 1, r), type: hl7Text(pid, 3, 5, r).toUpperCase(), authority: hl7Subcomponent(pid, 3, 4, 2, r) });
    }
    const isIdCard = (id: { type: string; authority: string }) => ID_CARD_TYPES.has(id.type) || id.authority === RESIDENT_ID_CARD_OID;
    const idNumber = ids.find((id) => id.value && isIdCard(id))?.value ?? "";
    const patientId = PATIENT_NUMBER_TYPES.map((type) => ids.find((id) => id.value && id.type === type)).find(Boolean)?.value
      ?? ids.find((id) => id.value && !isIdCard(id))?.value ?? "";
    const itemKey = `${controlId}#PID`;
    if (!patientId) {
      this.refuse(itemKey, refusal("missing-patient", 101, "PID-3 has no patient number (a repetition of type PI or MR).", "PID-3 中没有患者编号（类型为 PI 或 MR 的重复项）。", { segment: "PID", sequence: 1, field: 3 }), pid);
      return null;
    }
    const birth = hl7Text(pid, 7);
    const birthDate = birth === "" ? null : hl7DateTimeToIso(birth.slice(0, 8), offset);
    if (birthDate === null && birth !== "") {
      this.refuse(itemKey, refusal("invalid-timestamp", 102, `PID-7 (date of birth) is not a date: ${JSON.stringify(birth)}.`, "PID-7（出生日期）不是有效日期。", { segment: "PID", sequence: 1, field: 7 }), pid);
      return { patientId };
    }
    this.items.push({
      itemKey, format: "hl7v2", kind: "patient", institutionCode, sourceKey: patientId, patientId, changedAt: messageTime, status: "final",
      fields: {
        name: nameOf(pid),
        sex: sexOf(hl7Text(pid, 8)),
        birthDate,
        idNumber: idNumber || null,
        phone: phoneOf(pid),
        address: addressOf(pid),
      },
      raw: this.raw,
    });
    return { patientId };
  }

  private readResult(
    obx: Hl7Segment, itemKey: string, where: (field: number) => Hl7Location, patient: PatientFacts, obr: Hl7Segment, orderSequence: number, pv1: Hl7Segment | undefined,
  ): void {
    const { institutionCode, messageTime, offset } = this.facts;
    const reject = (reason: Hl7RejectionReason, code: AckError["hl7Code"], field: number, message: string, messageZh: string) =>
      this.refuse(itemKey, refusal(reason, code, message, messageZh, where(field)), obx);

    const valueType = hl7Text(obx, 2).toUpperCase();
    if (valueType !== "NM" && valueType !== "SN") {
      return reject("unsupported-value-type", 102, 2, `Only numeric results (OBX-2 NM or SN) are collected; this one is ${valueType || "untyped"}.`, `只采集数值型结果（OBX-2 为 NM 或 SN），该结果为 ${valueType || "未标明类型"}。`);
    }
    const localCode = hl7Text(obx, 3, 1);
    if (!localCode) return reject("missing-code", 101, 3, "OBX-3 (observation identifier) has no code.", "OBX-3（检验项目标识）没有代码。");
    const value = numericValue(obx, valueType);
    if (value === null) {
      const given = obx.getField(5)?.toString() ?? "";
      return reject("invalid-value", 102, 5, `OBX-5 is not a plain number: ${JSON.stringify(given)}.`, `OBX-5 不是单一数值：${JSON.stringify(given)}。`);
    }
    const resultStatus = hl7Text(obx, 11).toUpperCase();
    if (resultStatus !== "F" && resultStatus !== "C") {
      return reject("unsupported-result-status", 103, 11, `Only final (F) and corrected (C) results are collected; OBX-11 is ${JSON.stringify(resultStatus)}.`, `只采集最终（F）和更正（C）结果；OBX-11 为 ${JSON.stringify(resultStatus)}。`);
    }
    const orderNumber = hl7Text(obr, 3, 1) || hl7Text(obr, 2, 1);
    if (!orderNumber) return reject("missing-order-number", 101, 3, "Neither OBR-3 (filler) nor OBR-2 (placer order number) is given: the result cannot be keyed in the LIS.", "OBR-3（检验方申请号）与 OBR-2（申请方申请号）均为空，无法确定结果在 LIS 中的编号。");
    // Each time from the OBX when it has one, else from its OBR; the first unreadable one refuses the result.
    const sources: [Hl7Location, Hl7Location | null][] = [
      [where(14), { segment: "OBR", sequence: orderSequence, field: 7 }],
      [where(19), { segment: "OBR", sequence: orderSequence, field: 22 }],
      [{ segment: "OBR", sequence: orderSequence, field: 22 }, null],
    ];
    const iso: (string | null)[] = [];
    for (const [own, fallback] of sources) {
      const location = hl7Text(own.segment === "OBX" ? obx : obr, own.field) !== "" || fallback === null ? own : fallback;
      const text = hl7Text(location.segment === "OBX" ? obx : obr, location.field);
      const converted = text === "" ? null : hl7DateTimeToIso(text, offset);
      if (text !== "" && converted === null) {
        const name = `${location.segment}-${location.field}`;
        this.refuse(itemKey, refusal("invalid-timestamp", 102, `${name} is not a date-time: ${JSON.stringify(text)}.`, `${name} 不是有效的日期时间。`, location), obx);
        return;
      }
      iso.push(converted);
    }
    const [collectedAt, reportedAt, statusChangedAt] = iso;
    const subId = hl7Text(obx, 4);
    const unit = hl7Text(obx, 6, 1) || hl7Text(obx, 6, 2);
    const range = hl7Text(obx, 7);
    const flag = hl7Text(obx, 8);
    this.items.push({
      itemKey, format: "hl7v2", kind: "lab-result", institutionCode,
      sourceKey: `${orderNumber}-${localCode}${subId ? `-${subId}` : ""}`,
      patientId: patient.patientId,
      changedAt: statusChangedAt ?? messageTime,
      status: resultStatus === "C" ? "corrected" : "final",
      fields: {
        encounterKey: hl7Text(pv1, 19, 1) || null,
        localCode,
        localName: hl7Text(obx, 3, 2) || null,
        value,
        unit: unit || null,
        referenceRange: range || null,
        abnormalFlag: flag || null,
        collectedAt: collectedAt ?? null,
        reportedAt: reportedAt ?? null,
      },
      raw: this.raw,
    });
  }
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)$/;

/** NM: a decimal; SN: `[=]^number` with no second number (a comparator or a ratio is not a plain value). */
function numericValue(obx: Hl7Segment, valueType: string): number | null {
  if (hl7Repetitions(obx, 5) > 1) return null;
  if (valueType === "NM") {
    const text = hl7Text(obx, 5);
    return DECIMAL.test(text) ? Number(text) : null;
  }
  const comparator = hl7Text(obx, 5, 1);
  const number = hl7Text(obx, 5, 2);
  const separator = hl7Text(obx, 5, 3);
  if ((comparator !== "" && comparator !== "=") || separator !== "" || hl7Text(obx, 5, 4) !== "") return null;
  return DECIMAL.test(number) ? Number(number) : null;
}

const CJK = /[\u3400-\u9fff]/;

/** XPN family + given: Chinese names run together (张三), others given first (John Smith). */
function nameOf(pid: Hl7Segment): string | null {
  const family = hl7Text(pid, 5, 1);
  const given = hl7Text(pid, 5, 2);
  if (!family && !given) return null;
  return CJK.test(family + given) ? family + given : [given, family].filter(Boolean).join(" ");
}

function sexOf(code: string): string | null {
  switch (code.toUpperCase()) {
    case "M":
      return "male";
    case "F":
      return "female";
    case "":
    case "U":
      return null;
    default:
      return code;
  }
}

/** XTN: the number in XTN-1, else the unformatted XTN-12, else area code + local number. */
function phoneOf(pid: Hl7Segment): string | null {
  return hl7Text(pid, 13, 1) || hl7Text(pid, 13, 12) || (hl7Text(pid, 13, 6) + hl7Text(pid, 13, 7)) || null;
}

/**
 * XAD in Chinese order: province (XAD-4), city (XAD-3), street address (XAD-1), other designation (XAD-2).
 * Chinese LIS usually write the whole address in XAD-1; a province or city it already names is not repeated.
 */
function addressOf(pid: Hl7Segment): string | null {
  let address = [1, 2, 3].map((subcomponent) => hl7Subcomponent(pid, 11, 1, subcomponent)).join("");
  for (const part of [hl7Text(pid, 11, 3), hl7Text(pid, 11, 4)]) if (part && !address.includes(part)) address = part + address;
  return address + hl7Text(pid, 11, 2) || null;
}

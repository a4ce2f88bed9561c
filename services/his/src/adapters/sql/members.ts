// The interchange vocabulary at run time: the payload members of each record kind and the shape of
// their values, so that a column map can be checked against it and each column read the right way.
// Typed against `../../synthetic/records.ts`: a member added there fails to compile here until listed.
import type { RecordKind, SyntheticRecord } from "../../synthetic/records.ts";

/**
 * How a member's value is written in the interchange vocabulary:
 * - `text`: a string; `number`, `integer`: a JS number;
 * - `date`: `YYYY-MM-DD`; `datetime`: ISO 8601 with offset (`2024-02-02T12:12:00+08:00`);
 * - `flag`: a boolean; `code`: one value of a closed set (sex, encounter type, …);
 * - `list`: an array of strings (kept in one column, separated).
 */
export type MemberShape = "text" | "number" | "integer" | "date" | "datetime" | "flag" | "code" | "list";

type PayloadOf<K extends RecordKind> = Extract<SyntheticRecord, { kind: K }>["payload"];

export const RECORD_KINDS = [
  "patient", "encounter", "diagnosis", "lab-result", "prescription", "physical-exam", "discharge-summary",
] as const satisfies readonly RecordKind[];

/** Every payload member of every kind, with its shape. */
export const PAYLOAD_MEMBERS = {
  patient: { name: "text", sex: "code", birthDate: "date", idNumber: "text", phone: "text", address: "text" },
  encounter: { type: "code", department: "text", start: "datetime", end: "datetime" },
  diagnosis: { encounterKey: "text", icd10: "text", nameZh: "text", primary: "flag", diagnosedAt: "datetime" },
  "lab-result": {
    encounterKey: "text", localCode: "text", localName: "text", value: "number", unit: "text", referenceRange: "text",
    abnormalFlag: "code", collectedAt: "datetime", reportedAt: "datetime",
  },
  prescription: {
    encounterKey: "text", drugName: "text", atc: "text", specification: "text", dose: "text", route: "text",
    frequency: "text", days: "integer", forDiagnosis: "text", prescribedAt: "datetime",
  },
  "physical-exam": {
    encounterKey: "text", examDate: "date", heightCm: "number", weightKg: "number", bmi: "number", systolicMmHg: "integer",
    diastolicMmHg: "integer", findings: "list", conclusion: "text", advice: "text",
  },
  "discharge-summary": {
    encounterKey: "text", admittedAt: "datetime", dischargedAt: "datetime", lengthOfStayDays: "integer",
    admissionDiagnosis: "text", dischargeDiagnoses: "list", course: "text", outcome: "code", dischargeAdvice: "text",
  },
} as const satisfies { readonly [K in RecordKind]: { readonly [M in keyof PayloadOf<K>]-?: MemberShape } };

export function isRecordKind(value: unknown): value is RecordKind {
  return typeof value === "string" && (RECORD_KINDS as readonly string[]).includes(value);
}

/** The shape of `member` in payloads of `kind`, or undefined when the kind has no such member. */
export function memberShape(kind: RecordKind, member: string): MemberShape | undefined {
  const members: Readonly<Record<string, MemberShape>> = PAYLOAD_MEMBERS[kind];
  return Object.hasOwn(members, member) ? members[member] : undefined;
}

/** The values each `code` member takes in the interchange vocabulary (a code domain maps onto these). */
export const CODE_MEMBER_VALUES = {
  patient: { sex: ["male", "female"] },
  encounter: { type: ["outpatient", "inpatient", "physical-exam"] },
  "lab-result": { abnormalFlag: ["N", "H", "L"] },
  "discharge-summary": { outcome: ["治愈", "好转"] },
} as const satisfies {
  readonly patient: { readonly sex: readonly PayloadOf<"patient">["sex"][] };
  readonly encounter: { readonly type: readonly PayloadOf<"encounter">["type"][] };
  readonly "lab-result": { readonly abnormalFlag: readonly PayloadOf<"lab-result">["abnormalFlag"][] };
  readonly "discharge-summary": { readonly outcome: readonly PayloadOf<"discharge-summary">["outcome"][] };
};

/** The values of a record's status. */
export const STATUS_VALUES = ["final", "corrected"] as const satisfies readonly SyntheticRecord["status"][];

/** The interchange values of a code member, or undefined when `member` is not a code member of `kind`. */
export function codeMemberValues(kind: RecordKind, member: string): readonly string[] | undefined {
  const members: Readonly<Record<string, readonly string[]>> = (CODE_MEMBER_VALUES as Partial<Record<RecordKind, Record<string, readonly string[]>>>)[kind] ?? {};
  return Object.hasOwn(members, member) ? members[member] : undefined;
}

// The records an institution sends, as plain objects the adapters (SQL intermediate tables, FHIR R4,
// HL7 v2) serialise. A field the source left empty is null. `truth` is what the generator knows and
// a real source would not send: who the person really is and which dirt was put in; tests and
// quality evaluations read it, adapters drop it.
import type { DiagnosisCode } from "./catalog.ts";

export type Sex = "male" | "female";
export type EncounterType = "outpatient" | "inpatient" | "physical-exam";
export type RegistrationVariant = "name-typo" | "phone-missing" | "phone-different";

export interface GroundTruth {
  /** The real person behind the record, the same at every institution. */
  readonly personId: string;
  /** The recordId this record is a second transmission of. */
  readonly duplicateOf: string | null;
  /** The field the source left empty. */
  readonly missingField: string | null;
  /** How this registration differs from the person's true identity. */
  readonly registrationVariant: RegistrationVariant | null;
  /** For lab results: the LOINC code of the test in the reported unit. */
  readonly loinc: string | null;
  /** For lab results: the catalogue test. */
  readonly testKey: string | null;
}

interface RecordOf<K extends string, P> {
  /** Unique per transmission: a duplicate has its own recordId and the same sourceKey. */
  readonly recordId: string;
  readonly kind: K;
  readonly institutionCode: string;
  /** The record's key in the institution's own system. */
  readonly sourceKey: string;
  /** The institution's own patient number. */
  readonly patientId: string;
  /** When the record was created or changed at the source, China Standard Time (ISO 8601, +08:00). */
  readonly changedAt: string;
  readonly status: "final" | "corrected";
  /** The recordId of the record this one corrects. */
  readonly corrects: string | null;
  readonly payload: P;
  readonly truth: GroundTruth;
}

export interface PatientRegistration {
  readonly name: string;
  readonly sex: Sex;
  /** YYYY-MM-DD */
  readonly birthDate: string;
  readonly idNumber: string | null;
  readonly phone: string | null;
  readonly address: string | null;
}

export interface Encounter {
  readonly type: EncounterType;
  readonly department: string | null;
  readonly start: string;
  /** Discharge time of an inpatient stay; null for visits. */
  readonly end: string | null;
}

export interface DiagnosisEntry {
  readonly encounterKey: string;
  readonly icd10: DiagnosisCode;
  readonly nameZh: string | null;
  readonly primary: boolean;
  readonly diagnosedAt: string;
}

export interface LabResult {
  readonly encounterKey: string;
  readonly localCode: string;
  readonly localName: string;
  readonly value: number;
  readonly unit: string | null;
  /** "low-high" in the reported unit. */
  readonly referenceRange: string | null;
  readonly abnormalFlag: "N" | "H" | "L";
  readonly collectedAt: string;
  readonly reportedAt: string;
}

export interface Prescription {
  readonly encounterKey: string;
  readonly drugName: string;
  readonly atc: string;
  readonly specification: string;
  readonly dose: string;
  readonly route: string;
  readonly frequency: string | null;
  readonly days: number;
  readonly forDiagnosis: DiagnosisCode;
  readonly prescribedAt: string;
}

export interface PhysicalExamReport {
  readonly encounterKey: string;
  readonly examDate: string;
  readonly heightCm: number;
  readonly weightKg: number | null;
  readonly bmi: number;
  readonly systolicMmHg: number;
  readonly diastolicMmHg: number;
  readonly findings: readonly string[];
  readonly conclusion: string;
  readonly advice: string | null;
}

export interface DischargeSummary {
  readonly encounterKey: string;
  readonly admittedAt: string;
  readonly dischargedAt: string;
  readonly lengthOfStayDays: number;
  readonly admissionDiagnosis: DiagnosisCode;
  readonly dischargeDiagnoses: readonly DiagnosisCode[];
  readonly course: string;
  readonly outcome: "治愈" | "好转";
  readonly dischargeAdvice: string | null;
}

export type PatientRecord = RecordOf<"patient", PatientRegistration>;
export type EncounterRecord = RecordOf<"encounter", Encounter>;
export type DiagnosisRecord = RecordOf<"diagnosis", DiagnosisEntry>;
export type LabResultRecord = RecordOf<"lab-result", LabResult>;
export type PrescriptionRecord = RecordOf<"prescription", Prescription>;
export type PhysicalExamRecord = RecordOf<"physical-exam", PhysicalExamReport>;
export type DischargeSummaryRecord = RecordOf<"discharge-summary", DischargeSummary>;

export type SyntheticRecord =
  | PatientRecord
  | EncounterRecord
  | DiagnosisRecord
  | LabResultRecord
  | PrescriptionRecord
  | PhysicalExamRecord
  | DischargeSummaryRecord;

export type RecordKind = SyntheticRecord["kind"];

/** Fields a source may leave empty, per kind (the missing-field dirt picks one). */
export const OPTIONAL_FIELDS = {
  patient: ["idNumber", "phone", "address"],
  encounter: ["department"],
  diagnosis: ["nameZh"],
  "lab-result": ["unit", "referenceRange"],
  prescription: ["frequency"],
  "physical-exam": ["weightKg", "advice"],
  "discharge-summary": ["dischargeAdvice"],
} as const satisfies Record<RecordKind, readonly string[]>;

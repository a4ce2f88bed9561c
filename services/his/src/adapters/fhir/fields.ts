// Each supported resource, once valid R4, brought to the interchange vocabulary: the payload members
// of its record kind (../../synthetic/records.ts), values as the source gave them. Whether a value is
// acceptable (a known ICD-10 code, a sex of the value domain) is decided after, by the standard model.
import type {
  Attachment, CodeableConcept, Coding, Condition, DocumentReference, Encounter, Extension, MedicationRequest,
  Observation, Patient, Reference,
} from "./r4.ts";
import type { DischargeSummary, PhysicalExamReport, RecordKind } from "../../synthetic/records.ts";
import type { SourceValue } from "../types.ts";
import { type ReadContext, encounterKeyOf, isResidentIdCard } from "./identity.ts";
import { type Rejection, rejection } from "./rejection.ts";
import {
  ATC_SYSTEM, DISCHARGE_SUMMARY_DOCUMENT_CODE, DISCHARGE_SUMMARY_LOINC, DOCUMENT_TYPE_SYSTEM, DRUG_SPECIFICATION_EXTENSION,
  ENCOUNTER_TYPE_SYSTEM, INTERPRETATION_SYSTEM, LOINC_SYSTEM, OBSERVATION_CATEGORY_SYSTEM, PHYSICAL_EXAM_DOCUMENT_CODE,
  PHYSICAL_EXAM_ENCOUNTER_CODE, PRIMARY_DIAGNOSIS_EXTENSION, RECORD_STATUS_SYSTEM, SNOMED_SYSTEM, isIcd10System,
} from "./systems.ts";

type Fields = { [member: string]: SourceValue };

/** A resource read into a record kind: its payload members, the subject it belongs to, whether it corrects. */
export interface Reading {
  readonly kind: RecordKind;
  readonly fields: Fields;
  /** The patient reference (absent for Patient itself). */
  readonly subject?: Reference;
  readonly corrected: boolean;
}

const taggedCorrected = (resource: { meta?: { tag?: Coding[] } }) =>
  resource.meta?.tag?.some((tag) => tag.system === RECORD_STATUS_SYSTEM && tag.code === "corrected") ?? false;

const refused = (what: string, status: string, whatZh: string): Rejection =>
  rejection("unsupported-status", `A ${what} with status "${status}" is not a record to collect.`, `状态为“${status}”的${whatZh}不予采集。`, { status });

const codingOf = (concept: CodeableConcept | undefined, accept: (system: string | undefined) => boolean) =>
  concept?.coding?.find((coding) => accept(coding.system) && coding.code);

const textOf = (concept: CodeableConcept | undefined): string | null => concept?.text ?? concept?.coding?.find((c) => c.display)?.display ?? null;

const extensionOf = (extensions: Extension[] | undefined, url: string) => extensions?.find((extension) => extension.url === url);

/** Family + given: run together for Chinese names (欧阳建国), given first for others (John Smith). */
function nameFromParts(family: string, given: readonly string[]): string | null {
  if (!family && given.length === 0) return null;
  return /[\u3400-\u9fff]/.test(family + given.join("")) ? family + given.join("") : [...given, family].filter(Boolean).join(" ");
}

export function readPatient(patient: Patient): Reading {
  const name = patient.name?.find((n) => n.use === "official") ?? patient.name?.[0];
  const nameText = name ? (name.text ?? nameFromParts(name.family ?? "", name.given ?? [])) : null;
  const phones = patient.telecom?.filter((point) => point.system === "phone" && point.value) ?? [];
  const address = patient.address?.find((a) => a.use === "home") ?? patient.address?.[0];
  const addressText = address
    ? (address.text ?? ([address.state, address.city, address.district, ...(address.line ?? [])]
      // Municipalities (上海市) are their own province and city: say it once.
      .filter((part, i, parts) => part && part !== parts[i - 1]).join("") || null))
    : null;
  return {
    kind: "patient",
    corrected: taggedCorrected(patient),
    fields: {
      name: nameText,
      sex: patient.gender ?? null,
      birthDate: patient.birthDate ?? null,
      idNumber: patient.identifier?.find(isResidentIdCard)?.value ?? null,
      phone: (phones.find((point) => point.use === "mobile") ?? phones[0])?.value ?? null,
      address: addressText,
    },
  };
}

/** Encounter.class AMB/IMP; a check-up type (SNOMED CT 185349003) makes an ambulatory encounter a physical examination. */
export function readEncounter(encounter: Encounter): Reading | Rejection {
  if (encounter.status === "entered-in-error" || encounter.status === "cancelled") return refused("encounter", encounter.status, "就诊记录");
  const checkUp = encounter.type?.some((type) =>
    type.coding?.some((coding) =>
      (coding.system === SNOMED_SYSTEM && coding.code === PHYSICAL_EXAM_ENCOUNTER_CODE) || (coding.system === ENCOUNTER_TYPE_SYSTEM && coding.code === "physical-exam"),
    ),
  );
  const classCode = encounter.class.code ?? null;
  const type = checkUp ? "physical-exam" : classCode === "IMP" || classCode === "ACUTE" || classCode === "NONAC" ? "inpatient" : classCode === "AMB" ? "outpatient" : classCode;
  return {
    kind: "encounter",
    subject: encounter.subject,
    corrected: taggedCorrected(encounter),
    fields: {
      type,
      department: textOf(encounter.serviceType),
      start: encounter.period?.start ?? null,
      end: encounter.period?.end ?? null,
    },
  };
}

export function readCondition(condition: Condition, context: ReadContext): Reading | Rejection {
  const verification = condition.verificationStatus?.coding?.[0]?.code;
  if (verification === "entered-in-error" || verification === "refuted") return refused("diagnosis", verification, "诊断");
  const icd10 = codingOf(condition.code, isIcd10System);
  const primary = extensionOf(condition.extension, PRIMARY_DIAGNOSIS_EXTENSION)?.valueBoolean;
  return {
    kind: "diagnosis",
    subject: condition.subject,
    corrected: taggedCorrected(condition),
    fields: {
      encounterKey: encounterKeyOf(condition.encounter, context),
      icd10: icd10?.code ?? null,
      nameZh: icd10?.display ?? condition.code?.text ?? null,
      primary: primary ?? null,
      diagnosedAt: condition.recordedDate ?? condition.onsetDateTime ?? null,
    },
  };
}

/** `low-high` as the interchange writes a reference range; one-sided ranges as `<high` / `>low`. */
function referenceRangeText(observation: Observation): string | null {
  const range = observation.referenceRange?.[0];
  if (!range) return null;
  if (range.text) return range.text;
  const low = range.low?.value;
  const high = range.high?.value;
  if (low !== undefined && high !== undefined) return `${low}-${high}`;
  if (high !== undefined) return `<${high}`;
  return low !== undefined ? `>${low}` : null;
}

/** A laboratory Observation (category laboratory, or a result of a DiagnosticReport in the Bundle) with a quantity. */
export function readObservation(observation: Observation, context: ReadContext): Reading | Rejection {
  const status = observation.status;
  if (status !== "final" && status !== "corrected" && status !== "amended") return refused("lab result", status, "检验结果");
  const report = context.reportOf(observation);
  const laboratory = observation.category?.some((category) =>
    category.coding?.some((coding) => coding.code === "laboratory" && (coding.system === undefined || coding.system === OBSERVATION_CATEGORY_SYSTEM)),
  );
  if (!laboratory && !report) {
    return rejection(
      "unsupported-observation-category",
      "Only laboratory Observations are collected (category laboratory, or a result of a DiagnosticReport).",
      "只采集检验类观察（category 为 laboratory，或为检验报告的结果）。",
      { category: observation.category?.flatMap((category) => category.coding?.map((coding) => coding.code ?? "") ?? []) ?? [] },
    );
  }
  const quantity = observation.valueQuantity;
  if (quantity?.value === undefined) {
    const valueType = Object.keys(observation).find((member) => member.startsWith("value")) ?? "none";
    return rejection(
      "unsupported-value-type",
      `Only numeric lab results (valueQuantity) are collected; this one has ${valueType}.`,
      `只采集数值型检验结果（valueQuantity），该结果为 ${valueType}。`,
      { valueType },
    );
  }
  // The institution's own code first: LOINC, when present beside it, is what mapping will derive anyway.
  const local = codingOf(observation.code, (system) => system !== LOINC_SYSTEM) ?? codingOf(observation.code, () => true);
  const interpretation = observation.interpretation?.[0]?.coding?.find((c) => c.system === INTERPRETATION_SYSTEM || c.system === undefined)?.code;
  return {
    kind: "lab-result",
    subject: observation.subject ?? report?.subject,
    corrected: status !== "final",
    fields: {
      encounterKey: encounterKeyOf(observation.encounter ?? report?.encounter, context),
      localCode: local?.code ?? null,
      localName: local?.display ?? observation.code.text ?? null,
      value: quantity.value,
      unit: quantity.unit ?? quantity.code ?? null,
      referenceRange: referenceRangeText(observation),
      abnormalFlag: interpretation ?? null,
      collectedAt: observation.effectiveDateTime ?? observation.effectivePeriod?.start ?? report?.effectiveDateTime ?? report?.effectivePeriod?.start ?? null,
      reportedAt: observation.issued ?? report?.issued ?? null,
    },
  };
}

/** Days of a Duration (d or wk); null for units a day count cannot be told from. */
function durationDays(duration: { value?: number; code?: string; unit?: string } | undefined): number | null {
  if (duration?.value === undefined) return null;
  const unit = duration.code ?? duration.unit;
  if (unit === "d" || unit === "day" || unit === "days" || unit === "天") return duration.value;
  if (unit === "wk" || unit === "week" || unit === "weeks" || unit === "周") return duration.value * 7;
  return null;
}

export function readMedicationRequest(request: MedicationRequest, context: ReadContext): Reading | Rejection {
  if (request.status === "entered-in-error" || request.status === "cancelled" || request.status === "draft") {
    return refused("prescription", request.status, "处方");
  }
  const drug = request.medicationCodeableConcept;
  const atc = codingOf(drug, (system) => system === ATC_SYSTEM);
  const dosage = request.dosageInstruction?.[0];
  const dose = dosage?.doseAndRate?.[0]?.doseQuantity;
  const reason = request.reasonCode?.map((concept) => codingOf(concept, isIcd10System)).find((coding) => coding !== undefined);
  return {
    kind: "prescription",
    subject: request.subject,
    corrected: taggedCorrected(request),
    fields: {
      encounterKey: encounterKeyOf(request.encounter, context),
      drugName: drug?.text ?? atc?.display ?? null,
      atc: atc?.code ?? null,
      specification: extensionOf(request.extension, DRUG_SPECIFICATION_EXTENSION)?.valueString ?? null,
      // A dose without a quantity is the free-text sig, as the source wrote it.
      dose: dose?.value !== undefined ? `${dose.value}${dose.unit ?? dose.code ?? ""}` : (dosage?.text ?? null),
      route: textOf(dosage?.route),
      frequency: dosage?.timing?.code?.text ?? dosage?.timing?.code?.coding?.[0]?.code ?? null,
      days: durationDays(dosage?.timing?.repeat?.boundsDuration) ?? durationDays(request.dispenseRequest?.expectedSupplyDuration),
      forDiagnosis: reason?.code ?? null,
      prescribedAt: request.authoredOn ?? null,
    },
  };
}

const PHYSICAL_EXAM_MEMBERS = [
  "encounterKey", "examDate", "heightCm", "weightKg", "bmi", "systolicMmHg", "diastolicMmHg", "findings", "conclusion", "advice",
] as const satisfies readonly (keyof PhysicalExamReport)[];
const DISCHARGE_SUMMARY_MEMBERS = [
  "encounterKey", "admittedAt", "dischargedAt", "lengthOfStayDays", "admissionDiagnosis", "dischargeDiagnoses", "course", "outcome", "dischargeAdvice",
] as const satisfies readonly (keyof DischargeSummary)[];
// Compile-time proof that the member lists cover the payload types: a new payload member fails here.
const coversPayloads: [Exclude<keyof PhysicalExamReport, (typeof PHYSICAL_EXAM_MEMBERS)[number]>, Exclude<keyof DischargeSummary, (typeof DISCHARGE_SUMMARY_MEMBERS)[number]>] extends [never, never]
  ? true
  : false = true;
void coversPayloads;

function documentKindOf(document: DocumentReference): "physical-exam" | "discharge-summary" | null {
  for (const coding of document.type?.coding ?? []) {
    if (coding.system === DOCUMENT_TYPE_SYSTEM && coding.code === PHYSICAL_EXAM_DOCUMENT_CODE) return "physical-exam";
    if (coding.system === DOCUMENT_TYPE_SYSTEM && coding.code === DISCHARGE_SUMMARY_DOCUMENT_CODE) return "discharge-summary";
    if (coding.system === LOINC_SYSTEM && coding.code === DISCHARGE_SUMMARY_LOINC) return "discharge-summary";
  }
  return null;
}

/** The attachment's content as text, or why it cannot be read. */
function attachmentText(attachment: Attachment): string | Rejection {
  if (attachment.data === undefined) {
    return rejection(
      "unsupported-attachment",
      "The document's content must be inline (attachment.data); referenced content (attachment.url) is not fetched.",
      "文档内容须内嵌（attachment.data）；不抓取外部链接（attachment.url）的内容。",
      { url: attachment.url ?? null },
    );
  }
  return Buffer.from(attachment.data, "base64").toString("utf8");
}

/** Physical-exam reports and discharge summaries: the structured report (JSON) or its text, with the document's context. */
export function readDocumentReference(document: DocumentReference, context: ReadContext): Reading | Rejection {
  if (document.status === "entered-in-error") return refused("document", document.status, "文档");
  if (document.docStatus === "preliminary" || document.docStatus === "entered-in-error") return refused("document", document.docStatus, "文档");
  const kind = documentKindOf(document);
  if (kind === null) {
    return rejection(
      "unsupported-document-type",
      "Only physical-examination reports and discharge summaries are collected (document type code).",
      "只采集健康体检报告和出院小结（按文档类型代码）。",
      { type: document.type?.coding?.map((coding) => `${coding.system ?? ""}|${coding.code ?? ""}`) ?? [] },
    );
  }
  const attachment = document.content[0]!.attachment;
  const contentType = (attachment.contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (contentType !== "application/json" && contentType !== "text/plain") {
    return rejection(
      "unsupported-attachment",
      `The document's content must be application/json or text/plain, not ${contentType || "unspecified"}.`,
      `文档内容须为 application/json 或 text/plain，实际为 ${contentType || "未声明"}。`,
      { contentType },
    );
  }
  const text = attachmentText(attachment);
  if (typeof text !== "string") return text;
  const members = kind === "physical-exam" ? PHYSICAL_EXAM_MEMBERS : DISCHARGE_SUMMARY_MEMBERS;
  const fields: Fields = Object.fromEntries(members.map((member) => [member, null]));
  if (contentType === "application/json") {
    let report: unknown;
    try {
      report = JSON.parse(text);
    } catch {
      report = undefined;
    }
    if (typeof report !== "object" || report === null || Array.isArray(report)) {
      return rejection("invalid-attachment", "The document's JSON content is not a JSON object.", "文档的 JSON 内容不是 JSON 对象。");
    }
    for (const member of members) if (member in report) fields[member] = (report as Fields)[member]!;
  } else {
    fields[kind === "physical-exam" ? "conclusion" : "course"] = text;
  }
  // The document's own context fills what the content leaves empty.
  const period = document.context?.period;
  fields.encounterKey ??= encounterKeyOf(document.context?.encounter?.[0], context);
  if (kind === "physical-exam") {
    fields.examDate ??= period?.start?.slice(0, 10) ?? null;
  } else {
    fields.admittedAt ??= period?.start ?? null;
    fields.dischargedAt ??= period?.end ?? null;
  }
  return { kind, subject: document.subject, corrected: document.docStatus === "amended" || taggedCorrected(document), fields };
}

// Synthetic records as an institution's FHIR facade would send them: one R4 Bundle (a transaction by
// default) with a resource per record, lab results grouped under DiagnosticReports, every record keyed
// by the institution's identifier. The fixture generator and the end-to-end tests push what this renders;
// parseFhirBundle gives back the records' payloads.
import type {
  Bundle, BundleEntry, CodeableConcept, Condition, DiagnosticReport, DocumentReference, Encounter, Identifier, MedicationRequest,
  Meta, Observation, Patient, Reference,
} from "./r4.ts";
import { platformError, sm3Hex, utf8 } from "@health-chain/sdk";
import type {
  DiagnosisRecord, DischargeSummaryRecord, EncounterRecord, LabResultRecord, PatientRecord, PhysicalExamRecord, PrescriptionRecord,
  SyntheticRecord,
} from "../../synthetic/records.ts";
import {
  ACT_CODE_SYSTEM, ATC_SYSTEM, CONDITION_CATEGORY_SYSTEM, CONDITION_CLINICAL_SYSTEM, CONDITION_VERIFICATION_SYSTEM, DISCHARGE_SUMMARY_DOCUMENT_CODE,
  DISCHARGE_SUMMARY_LOINC, DOCUMENT_TYPE_SYSTEM, DRUG_SPECIFICATION_EXTENSION, ICD10_WHO_SYSTEM, INSTITUTION_CODE_SYSTEM, INTERPRETATION_SYSTEM,
  LAB_REPORT_LOINC, LOINC_SYSTEM, OBSERVATION_CATEGORY_SYSTEM, PHYSICAL_EXAM_DOCUMENT_CODE, PHYSICAL_EXAM_ENCOUNTER_CODE, PRIMARY_DIAGNOSIS_EXTENSION,
  RECORD_STATUS_SYSTEM, RESIDENT_ID_CARD_SYSTEM, SNOMED_SYSTEM, UCUM_SYSTEM, V2_0074_SYSTEM, V2_0203_SYSTEM, labDictionarySystem, recordKeySystem,
} from "./systems.ts";

export interface FhirRenderOptions {
  /** transaction (default; PUT per resource), batch, or collection (no requests). */
  readonly type?: "transaction" | "batch" | "collection";
  /** Bundle.timestamp; default: the latest change time among the records. */
  readonly timestamp?: string;
}

type Rendered = Patient | Encounter | Condition | Observation | MedicationRequest | DocumentReference | DiagnosticReport;

/**
 * The records as one valid R4 Bundle. Two transmissions of one record (a duplicate, a correction) are
 * two versions of one resource, told apart by meta.versionId (the record's transmission id), as bdl-7
 * allows; a strict FHIR server would process them as two transactions, the platform reads them in order.
 */
export function fhirBundleOf(records: readonly SyntheticRecord[], options: FhirRenderOptions = {}): Bundle {
  const type = options.type ?? "transaction";
  if (!["transaction", "batch", "collection"].includes(type)) {
    throw platformError("INVALID_INPUT", {
      message: `The Bundle type must be transaction, batch or collection, got ${JSON.stringify(type)}.`,
      messageZh: "Bundle 类型须为 transaction、batch 或 collection。",
      details: { problems: [{ key: "type", problem: "transaction, batch or collection", value: type }] },
    });
  }
  const inBundle = new Set<string>();
  for (const record of records) {
    if (record.kind === "patient") inBundle.add(`patient|${record.institutionCode}|${record.patientId}`);
    if (record.kind === "encounter") inBundle.add(`encounter|${record.institutionCode}|${record.sourceKey}`);
  }
  const renderer = new RecordRenderer(inBundle);
  const entries: BundleEntry[] = [];
  const reports = new Map<string, LabResultRecord[]>();
  for (const record of records) {
    entries.push(entryOf(renderer.render(record), record.recordId, type));
    if (record.kind === "lab-result") {
      // One report per order: the results of an encounter collected together, in one transmission state.
      const group = `${record.institutionCode}|${record.patientId}|${record.payload.encounterKey}|${record.payload.collectedAt}|${record.status}`;
      reports.set(group, [...(reports.get(group) ?? []), record]);
    }
  }
  for (const results of reports.values()) entries.push(entryOf(renderer.report(results), `${results[0]!.recordId}-report`, type));
  const latest = records.reduce((max, record) => (record.changedAt > max ? record.changedAt : max), "");
  const timestamp = options.timestamp ?? (latest || undefined);
  return { resourceType: "Bundle", type, ...(timestamp ? { timestamp } : {}), entry: entries };
}

/** A stable urn:uuid (RFC 9562 version 8) for a transmission, so that rendering twice gives the same Bundle. */
function uuidOf(text: string): string {
  const hex = sm3Hex(utf8(text)).slice(2, 34).split("");
  hex[12] = "8";
  hex[16] = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const h = hex.join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The resource id of an institution's record: opaque, valid for any local key (FHIR ids allow [A-Za-z0-9.-] only). */
export function fhirResourceIdOf(resourceType: string, institutionCode: string, sourceKey: string): string {
  return sm3Hex(utf8(`${resourceType}|${institutionCode}|${sourceKey}`)).slice(2, 34);
}

function entryOf(resource: Rendered, transmissionId: string, type: NonNullable<FhirRenderOptions["type"]>): BundleEntry {
  const entry: BundleEntry = { fullUrl: `urn:uuid:${uuidOf(transmissionId)}`, resource };
  return type === "collection" ? entry : { ...entry, request: { method: "PUT", url: `${resource.resourceType}/${resource.id}` } };
}

const institution = (code: string) => ({ identifier: { system: INSTITUTION_CODE_SYSTEM, value: code } });

function recordIdentifier(resourceType: string, institutionCode: string, sourceKey: string): Identifier {
  return {
    use: "official",
    ...(resourceType === "Patient" ? { type: { coding: [{ system: V2_0203_SYSTEM, code: "MR", display: "Medical record number" }] } } : {}),
    system: recordKeySystem(institutionCode, resourceType),
    value: sourceKey,
    assigner: institution(institutionCode),
  };
}

const coded = (system: string, code: string, display?: string | null): CodeableConcept => ({
  coding: [{ system, code, ...(display ? { display } : {}) }],
});

/** `low-high` with numbers on both sides, as the interchange writes reference ranges. */
const RANGE = /^(-?\d+(?:\.\d+)?)-(-?\d+(?:\.\d+)?)$/;
/** A dose written number + unit (`0.5g`, `18μg`) that prints back exactly. */
const DOSE = /^(\d+(?:\.\d+)?)([^\d\s.][^\d]*)$/;

class RecordRenderer {
  private readonly inBundle: ReadonlySet<string>;

  constructor(inBundle: ReadonlySet<string>) {
    this.inBundle = inBundle;
  }

  render(record: SyntheticRecord): Rendered {
    switch (record.kind) {
      case "patient":
        return this.patient(record);
      case "encounter":
        return this.encounter(record);
      case "diagnosis":
        return this.condition(record);
      case "lab-result":
        return this.observation(record);
      case "prescription":
        return this.medicationRequest(record);
      case "physical-exam":
      case "discharge-summary":
        return this.documentReference(record);
    }
  }

  private base(resourceType: Rendered["resourceType"], record: SyntheticRecord, statusTag = record.status === "corrected") {
    const meta: Meta = {
      versionId: record.recordId,
      lastUpdated: record.changedAt,
      ...(statusTag ? { tag: [{ system: RECORD_STATUS_SYSTEM, code: "corrected", display: "更正" }] } : {}),
    };
    return {
      id: fhirResourceIdOf(resourceType, record.institutionCode, record.sourceKey),
      meta,
      identifier: [recordIdentifier(resourceType, record.institutionCode, record.sourceKey)],
    };
  }

  /** Logical reference (identifier) always; literal reference only to a resource in the same Bundle. */
  private subject(record: SyntheticRecord): Reference {
    const present = this.inBundle.has(`patient|${record.institutionCode}|${record.patientId}`);
    return {
      ...(present ? { reference: `Patient/${fhirResourceIdOf("Patient", record.institutionCode, record.patientId)}` } : {}),
      type: "Patient",
      identifier: recordIdentifier("Patient", record.institutionCode, record.patientId),
    };
  }

  private encounterOf(record: SyntheticRecord, encounterKey: string): Reference {
    const present = this.inBundle.has(`encounter|${record.institutionCode}|${encounterKey}`);
    return {
      ...(present ? { reference: `Encounter/${fhirResourceIdOf("Encounter", record.institutionCode, encounterKey)}` } : {}),
      type: "Encounter",
      identifier: { system: recordKeySystem(record.institutionCode, "Encounter"), value: encounterKey },
    };
  }

  private patient(record: PatientRecord): Patient {
    const { name, sex, birthDate, idNumber, phone, address } = record.payload;
    const base = this.base("Patient", record);
    return {
      resourceType: "Patient",
      ...base,
      identifier: [
        ...base.identifier,
        ...(idNumber === null
          ? []
          : [{ use: "official" as const, type: { coding: [{ system: V2_0203_SYSTEM, code: "NI", display: "National unique individual identifier" }], text: "居民身份证" }, system: RESIDENT_ID_CARD_SYSTEM, value: idNumber }]),
      ],
      ...(name === null ? {} : { name: [{ use: "official" as const, text: name }] }),
      gender: sex,
      birthDate,
      ...(phone === null ? {} : { telecom: [{ system: "phone" as const, value: phone, use: "mobile" as const }] }),
      ...(address === null ? {} : { address: [{ use: "home" as const, text: address }] }),
      managingOrganization: institution(record.institutionCode),
    };
  }

  private encounter(record: EncounterRecord): Encounter {
    const { type, department, start, end } = record.payload;
    return {
      resourceType: "Encounter",
      ...this.base("Encounter", record),
      status: "finished",
      class: type === "inpatient"
        ? { system: ACT_CODE_SYSTEM, code: "IMP", display: "inpatient encounter" }
        : { system: ACT_CODE_SYSTEM, code: "AMB", display: "ambulatory" },
      ...(type === "physical-exam" ? { type: [{ ...coded(SNOMED_SYSTEM, PHYSICAL_EXAM_ENCOUNTER_CODE, "Encounter for check up"), text: "健康体检" }] } : {}),
      ...(department === null ? {} : { serviceType: { text: department } }),
      subject: this.subject(record),
      period: { start, ...(end === null ? {} : { end }) },
      serviceProvider: institution(record.institutionCode),
    };
  }

  private condition(record: DiagnosisRecord): Condition {
    const { encounterKey, icd10, nameZh, primary, diagnosedAt } = record.payload;
    return {
      resourceType: "Condition",
      ...this.base("Condition", record),
      extension: [{ url: PRIMARY_DIAGNOSIS_EXTENSION, valueBoolean: primary }],
      clinicalStatus: coded(CONDITION_CLINICAL_SYSTEM, "active"),
      verificationStatus: coded(CONDITION_VERIFICATION_SYSTEM, "confirmed"),
      category: [coded(CONDITION_CATEGORY_SYSTEM, "encounter-diagnosis", "Encounter Diagnosis")],
      code: { ...coded(ICD10_WHO_SYSTEM, icd10, nameZh), ...(nameZh === null ? {} : { text: nameZh }) },
      subject: this.subject(record),
      encounter: this.encounterOf(record, encounterKey),
      recordedDate: diagnosedAt,
    };
  }

  private observation(record: LabResultRecord): Observation {
    const { encounterKey, localCode, localName, value, unit, referenceRange, abnormalFlag, collectedAt, reportedAt } = record.payload;
    const quantity = (n: number) => ({ value: n, ...(unit === null ? {} : { unit }) });
    const range = referenceRange === null ? null : RANGE.exec(referenceRange);
    return {
      resourceType: "Observation",
      // Observation has a status of its own for corrections; no tag needed.
      ...this.base("Observation", record, false),
      status: record.status === "corrected" ? "corrected" : "final",
      category: [coded(OBSERVATION_CATEGORY_SYSTEM, "laboratory", "Laboratory")],
      code: { ...coded(labDictionarySystem(record.institutionCode), localCode, localName), text: localName },
      subject: this.subject(record),
      encounter: this.encounterOf(record, encounterKey),
      effectiveDateTime: collectedAt,
      issued: reportedAt,
      valueQuantity: quantity(value),
      interpretation: [coded(INTERPRETATION_SYSTEM, abnormalFlag)],
      ...(referenceRange === null
        ? {}
        : { referenceRange: [{ ...(range ? { low: quantity(Number(range[1])), high: quantity(Number(range[2])) } : {}), text: referenceRange }] }),
    };
  }

  report(results: readonly LabResultRecord[]): DiagnosticReport {
    const first = results[0]!;
    const issued = results.reduce((max, r) => (r.payload.reportedAt > max ? r.payload.reportedAt : max), first.payload.reportedAt);
    const changedAt = results.reduce((max, r) => (r.changedAt > max ? r.changedAt : max), first.changedAt);
    const reportKey = `${first.payload.encounterKey}@${first.payload.collectedAt}`;
    return {
      resourceType: "DiagnosticReport",
      id: fhirResourceIdOf("DiagnosticReport", first.institutionCode, reportKey),
      meta: { versionId: `${first.recordId}-report`, lastUpdated: changedAt },
      identifier: [recordIdentifier("DiagnosticReport", first.institutionCode, reportKey)],
      status: first.status === "corrected" ? "corrected" : "final",
      category: [coded(V2_0074_SYSTEM, "LAB", "Laboratory")],
      code: { ...coded(LOINC_SYSTEM, LAB_REPORT_LOINC, "Laboratory report"), text: "检验报告" },
      subject: this.subject(first),
      encounter: this.encounterOf(first, first.payload.encounterKey),
      effectiveDateTime: first.payload.collectedAt,
      issued,
      result: results.map((r) => ({ reference: `Observation/${fhirResourceIdOf("Observation", r.institutionCode, r.sourceKey)}` })),
    };
  }

  private medicationRequest(record: PrescriptionRecord): MedicationRequest {
    const { encounterKey, drugName, atc, specification, dose, route, frequency, days, forDiagnosis, prescribedAt } = record.payload;
    const quantity = DOSE.exec(dose);
    const exactQuantity = quantity !== null && `${Number(quantity[1])}${quantity[2]}` === dose;
    return {
      resourceType: "MedicationRequest",
      ...this.base("MedicationRequest", record),
      extension: [{ url: DRUG_SPECIFICATION_EXTENSION, valueString: specification }],
      status: "active",
      intent: "order",
      medicationCodeableConcept: { ...coded(ATC_SYSTEM, atc, drugName), text: drugName },
      subject: this.subject(record),
      encounter: this.encounterOf(record, encounterKey),
      authoredOn: prescribedAt,
      reasonCode: [coded(ICD10_WHO_SYSTEM, forDiagnosis)],
      dosageInstruction: [{
        ...(exactQuantity ? {} : { text: dose }),
        timing: {
          ...(frequency === null ? {} : { code: { text: frequency } }),
          repeat: { boundsDuration: { value: days, unit: "d", system: UCUM_SYSTEM, code: "d" } },
        },
        route: { text: route },
        ...(exactQuantity ? { doseAndRate: [{ doseQuantity: { value: Number(quantity[1]), unit: quantity[2] } }] } : {}),
      }],
    };
  }

  private documentReference(record: PhysicalExamRecord | DischargeSummaryRecord): DocumentReference {
    const exam = record.kind === "physical-exam";
    const payload = record.payload;
    const period = record.kind === "physical-exam"
      ? { start: record.payload.examDate }
      : { start: record.payload.admittedAt, end: record.payload.dischargedAt };
    return {
      resourceType: "DocumentReference",
      // docStatus "amended" says it is a correction.
      ...this.base("DocumentReference", record, false),
      status: "current",
      docStatus: record.status === "corrected" ? "amended" : "final",
      type: exam
        ? { ...coded(DOCUMENT_TYPE_SYSTEM, PHYSICAL_EXAM_DOCUMENT_CODE, "健康体检报告"), text: "健康体检报告" }
        : { coding: [{ system: LOINC_SYSTEM, code: DISCHARGE_SUMMARY_LOINC, display: "Discharge summary" }, { system: DOCUMENT_TYPE_SYSTEM, code: DISCHARGE_SUMMARY_DOCUMENT_CODE, display: "出院小结" }], text: "出院小结" },
      subject: this.subject(record),
      date: record.changedAt,
      custodian: institution(record.institutionCode),
      content: [{
        attachment: {
          contentType: "application/json",
          data: Buffer.from(JSON.stringify(payload), "utf8").toString("base64"),
          title: exam ? "健康体检报告" : "出院小结",
        },
      }],
      context: { encounter: [this.encounterOf(record, payload.encounterKey)], period },
    };
  }
}

// The URIs the FHIR R4 adapter reads and writes: international code systems where one exists, the
// Chinese national OIDs (WS/T 500 shared-document conventions) for the resident identity card and the
// national ICD-10, and the consortium's own namespace for what neither covers (institution codes,
// local record keys, two extensions). Everything the parser recognises is named here, once.

/**
 * The consortium's namespace for identifier systems, code systems and extensions it defines.
 * `.example` (RFC 2606) marks it as a placeholder until the consortium registers its canonical base;
 * it is written into every rendered resource, so change it before the first production exchange.
 */
export const CONSORTIUM_FHIR_BASE = "https://fhir.health-chain.example";

/** The district's institution codes (e.g. `PD-TH-01`): `Identifier.assigner.identifier.system`. */
export const INSTITUTION_CODE_SYSTEM = `${CONSORTIUM_FHIR_BASE}/sid/institution-code`;

/** 居民身份证号: the OID WS/T 500 CDA documents use for the patient's resident identity card number. */
export const RESIDENT_ID_CARD_SYSTEM = "urn:oid:2.16.156.10011.1.3";

export const ICD10_WHO_SYSTEM = "http://hl7.org/fhir/sid/icd-10";
/** 疾病分类与代码 (GB/T 14396, ICD-10 national edition) in WS/T 500; `.3` etc. are its clinical editions. */
export const ICD10_CHINA_SYSTEM = "urn:oid:2.16.156.10011.2.3.3.11";

export const ATC_SYSTEM = "http://www.whocc.no/atc";
export const LOINC_SYSTEM = "http://loinc.org";
export const SNOMED_SYSTEM = "http://snomed.info/sct";
export const UCUM_SYSTEM = "http://unitsofmeasure.org";
export const V2_0203_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0203";
export const V2_0074_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0074";
export const ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
export const OBSERVATION_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category";
export const INTERPRETATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";
export const CONDITION_CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-category";
export const CONDITION_CLINICAL_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-clinical";
export const CONDITION_VERIFICATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-ver-status";

/** SNOMED CT 185349003 "Encounter for check up": how a physical-examination (体检) encounter is told apart. */
export const PHYSICAL_EXAM_ENCOUNTER_CODE = "185349003";
/** LOINC 18842-5 "Discharge summary". */
export const DISCHARGE_SUMMARY_LOINC = "18842-5";
/** LOINC 11502-2 "Laboratory report": the code of a rendered lab DiagnosticReport. */
export const LAB_REPORT_LOINC = "11502-2";

/** Document types with no exact LOINC counterpart (健康体检报告), and the one that has (出院小结). */
export const DOCUMENT_TYPE_SYSTEM = `${CONSORTIUM_FHIR_BASE}/CodeSystem/document-type`;
export const PHYSICAL_EXAM_DOCUMENT_CODE = "physical-exam-report";
export const DISCHARGE_SUMMARY_DOCUMENT_CODE = "discharge-summary";

/** Encounter.type code of a physical examination in the consortium's system (accepted besides SNOMED CT). */
export const ENCOUNTER_TYPE_SYSTEM = `${CONSORTIUM_FHIR_BASE}/CodeSystem/encounter-type`;

/** `meta.tag` marking a resource without a status of its own (Patient, Encounter, …) as a correction. */
export const RECORD_STATUS_SYSTEM = `${CONSORTIUM_FHIR_BASE}/CodeSystem/record-status`;

/** Condition extension (valueBoolean): the encounter's primary diagnosis (主要诊断); R4 has no element for it. */
export const PRIMARY_DIAGNOSIS_EXTENSION = `${CONSORTIUM_FHIR_BASE}/StructureDefinition/primary-diagnosis`;
/** MedicationRequest extension (valueString): the drug's package specification (规格), e.g. `5mg×28片`. */
export const DRUG_SPECIFICATION_EXTENSION = `${CONSORTIUM_FHIR_BASE}/StructureDefinition/drug-specification`;

/** The system of an institution's own record keys of one resource type (patient numbers: `patient-number`). */
export function recordKeySystem(institutionCode: string, resourceType: string): string {
  const segment = resourceType === "Patient" ? "patient-number" : resourceType.replace(/[A-Z]/g, (c, i: number) => (i > 0 ? "-" : "") + c.toLowerCase());
  return `${CONSORTIUM_FHIR_BASE}/sid/institution/${encodeURIComponent(institutionCode)}/${segment}`;
}

/** The code system of an institution's LIS dictionary (local lab item codes). */
export function labDictionarySystem(institutionCode: string): string {
  return `${CONSORTIUM_FHIR_BASE}/CodeSystem/institution/${encodeURIComponent(institutionCode)}/lab-item`;
}

/** Whether a Coding.system is ICD-10 (WHO or the Chinese national editions). */
export function isIcd10System(system: string | undefined): boolean {
  return system === ICD10_WHO_SYSTEM || system === ICD10_CHINA_SYSTEM || (system?.startsWith(`${ICD10_CHINA_SYSTEM}.`) ?? false);
}

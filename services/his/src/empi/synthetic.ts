// The synthetic district's patient records as EMPI registrations (for tests, benchmarks and the
// demo seed). The ground truth stays with the record: the matcher never sees it.
import type { PatientRecord } from "../synthetic/records.ts";
import type { EmpiRegistration } from "./registration.ts";

export function registrationOfRecord(record: PatientRecord): EmpiRegistration {
  return { institution: record.institutionCode, patientId: record.patientId, ...record.payload };
}

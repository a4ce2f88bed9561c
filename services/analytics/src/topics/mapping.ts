// From one standard-model record of services/his (CollectedRecord) to a row of the engine's tables.
// A record that cannot become a row is not dropped silently: the mapping names the reason, and the
// build report counts it per institution.
import { isValidLoinc } from "@health-chain/sdk";
import { ATC_CRITERION_PATTERN } from "../criteria/codes.ts";
import type { DiagnosisRow, LabRow, MedicationRow, ResidentRow } from "../engine/schema.ts";
import { localDate } from "./dates.ts";
import { subDistrictOf } from "./region.ts";

/** The columns of CollectedRecord a topic build reads. */
export interface StandardRecord {
  readonly recordId: string;
  readonly institution: string;
  readonly model: string;
  readonly residentRef: string;
  readonly contentJson: string;
  readonly updatedAt: Date;
  readonly anchorState: string;
}

/** An encounter (就诊): the extra table reports by department need. */
export interface EncounterRow {
  readonly resident_ref: string;
  readonly type: string | null;
  readonly department: string | null;
  readonly at: string;
}

/** Why a record did not become a row. */
export const SKIP_REASONS = [
  "anchor-rejected",
  "unreadable-content",
  "missing-resident",
  "missing-code",
  "not-loinc",
  "not-atc",
  "missing-date",
  "model-not-in-topics",
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export type MappedRecord =
  | { readonly table: "residents"; readonly row: ResidentRow }
  | { readonly table: "diagnoses"; readonly row: DiagnosisRow }
  | { readonly table: "labs"; readonly row: LabRow }
  | { readonly table: "medications"; readonly row: MedicationRow }
  | { readonly table: "encounters"; readonly row: EncounterRow }
  | { readonly table: null; readonly skipped: SkipReason };

type Content = Readonly<Record<string, unknown>>;

const skip = (skipped: SkipReason): MappedRecord => ({ table: null, skipped });

function text(value: unknown): string | null {
  if (typeof value !== "string") return null;
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
}

// Results such as "<0.5" or "阴性" have no numeric value; the row is kept with a null value.
function numeric(value: unknown): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "string" && /^[+-]?\d+(\.\d+)?$/.test(value.trim())) return Number(value.trim());
  return null;
}

function parseContent(json: string): Content | null {
  try {
    const value: unknown = JSON.parse(json);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Content) : null;
  } catch {
    return null;
  }
}

function mapPatient(ref: string, c: Content): MappedRecord {
  const birth = localDate(c["birthDate"]);
  return { table: "residents", row: { resident_ref: ref, sex: text(c["sex"]), birth_date: birth, region: subDistrictOf(c["address"]) } };
}

function mapDiagnosis(ref: string, c: Content): MappedRecord {
  const code = text(c["diagnosisCode"]);
  if (code === null) return skip("missing-code");
  const at = localDate(c["diagnosedAt"]);
  return at === null ? skip("missing-date") : { table: "diagnoses", row: { resident_ref: ref, code, at } };
}

function mapLab(ref: string, c: Content): MappedRecord {
  const loinc = text(c["testCode"]);
  if (loinc === null) return skip("missing-code");
  if (!isValidLoinc(loinc)) return skip("not-loinc");
  const at = localDate(c["collectedAt"]);
  if (at === null) return skip("missing-date");
  return { table: "labs", row: { resident_ref: ref, loinc, value: numeric(c["value"]), unit: text(c["unit"]), at } };
}

function mapPrescription(ref: string, c: Content): MappedRecord {
  const atc = text(c["atc"]);
  if (atc === null) return skip("missing-code");
  if (!ATC_CRITERION_PATTERN.test(atc)) return skip("not-atc");
  const at = localDate(c["prescribedAt"]);
  return at === null ? skip("missing-date") : { table: "medications", row: { resident_ref: ref, atc, at } };
}

function mapEncounter(ref: string, c: Content): MappedRecord {
  const at = localDate(c["start"]);
  if (at === null) return skip("missing-date");
  return { table: "encounters", row: { resident_ref: ref, type: text(c["type"]), department: text(c["department"]), at } };
}

const MAPPERS: Readonly<Record<string, (ref: string, c: Content) => MappedRecord>> = {
  patient: mapPatient,
  diagnosis: mapDiagnosis,
  "lab-result": mapLab,
  prescription: mapPrescription,
  encounter: mapEncounter,
};

/** The models a topic maps to rows; the others (physical-exam, discharge-summary, …) are counted as not in topics. */
export const TOPIC_MODELS: readonly string[] = Object.keys(MAPPERS);

/**
 * The row a standard record becomes, or why it becomes none. Records the gateway refused to anchor
 * are left out: their content was not accepted as the institution's record.
 */
export function mapStandardRecord(record: Pick<StandardRecord, "model" | "residentRef" | "contentJson" | "anchorState">): MappedRecord {
  const mapper = MAPPERS[record.model];
  if (!mapper) return skip("model-not-in-topics");
  if (record.anchorState === "rejected") return skip("anchor-rejected");
  const ref = text(record.residentRef);
  if (ref === null) return skip("missing-resident");
  const content = parseContent(record.contentJson);
  return content === null ? skip("unreadable-content") : mapper(ref, content);
}

// The tables of a topic build. A scratch DuckDB (in memory, spilling to the staging directory)
// holds every institution's patient demographics and, one institution at a time, its event tables;
// the institution's topic file receives the cohort's rows of the engine's four tables and of the
// encounters table that reports by department need.
import { DuckDBDateValue, type DuckDBConnection } from "@duckdb/node-api";
import { createSchema, epochDay, loadRows, type DiagnosisRow, type LabRow, type MedicationRow, type ResidentRow } from "../engine/schema.ts";
import type { EncounterRow } from "./mapping.ts";

/** The tables of a topic file, in the order their rows are hashed. */
export const TOPIC_TABLES = ["residents", "diagnoses", "labs", "medications", "encounters"] as const;
export type TopicTable = (typeof TOPIC_TABLES)[number];

const ENCOUNTERS_SQL = `CREATE TABLE IF NOT EXISTS encounters ("resident_ref" VARCHAR NOT NULL, "type" VARCHAR, "department" VARCHAR, "at" DATE NOT NULL);`;
const PATIENTS_SQL =
  `CREATE TABLE patients (institution VARCHAR NOT NULL, resident_ref VARCHAR NOT NULL, sex VARCHAR, birth_date DATE, region VARCHAR, ` +
  `updated_at VARCHAR NOT NULL, record_id VARCHAR NOT NULL);`;

/** The topic file's tables: the engine's schema and encounters. */
export async function createTopicSchema(connection: DuckDBConnection): Promise<void> {
  await createSchema(connection);
  await connection.run(ENCOUNTERS_SQL);
}

/** The scratch database's tables. */
export async function createScratchSchema(connection: DuckDBConnection): Promise<void> {
  await createTopicSchema(connection);
  await connection.run(PATIENTS_SQL);
  await connection.run("CREATE TABLE cohort (resident_ref VARCHAR NOT NULL);");
}

/** Empties the per-institution tables of the scratch database. */
export async function resetInstitutionTables(connection: DuckDBConnection): Promise<void> {
  for (const table of [...TOPIC_TABLES, "cohort"]) await connection.run(`DELETE FROM ${table};`);
}

/** A patient record's demographics, with what decides between two records of one resident. */
export interface PatientRow extends ResidentRow {
  readonly institution: string;
  readonly updated_at: string;
  readonly record_id: string;
}

function appendText(appender: { appendVarchar(v: string): void; appendNull(): void }, value: string | null): void {
  if (value === null) appender.appendNull();
  else appender.appendVarchar(value);
}

function appendDate(appender: { appendDate(v: DuckDBDateValue): void; appendNull(): void }, value: string | null): void {
  if (value === null) appender.appendNull();
  else appender.appendDate(new DuckDBDateValue(epochDay(value)));
}

export async function appendPatients(connection: DuckDBConnection, rows: readonly PatientRow[]): Promise<void> {
  const appender = await connection.createAppender("patients");
  try {
    for (const row of rows) {
      appender.appendVarchar(row.institution);
      appender.appendVarchar(row.resident_ref);
      appendText(appender, row.sex);
      appendDate(appender, row.birth_date);
      appendText(appender, row.region);
      appender.appendVarchar(row.updated_at);
      appender.appendVarchar(row.record_id);
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

async function appendEncounters(connection: DuckDBConnection, rows: readonly EncounterRow[]): Promise<void> {
  const appender = await connection.createAppender("encounters");
  try {
    for (const row of rows) {
      appender.appendVarchar(row.resident_ref);
      appendText(appender, row.type);
      appendText(appender, row.department);
      appendDate(appender, row.at);
      appender.endRow();
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/** One page of mapped event rows. */
export interface EventRows {
  diagnoses: DiagnosisRow[];
  labs: LabRow[];
  medications: MedicationRow[];
  encounters: EncounterRow[];
}

export function emptyEventRows(): EventRows {
  return { diagnoses: [], labs: [], medications: [], encounters: [] };
}

export async function appendEventRows(connection: DuckDBConnection, rows: EventRows): Promise<void> {
  if (rows.diagnoses.length > 0) await loadRows(connection, "diagnoses", rows.diagnoses);
  if (rows.labs.length > 0) await loadRows(connection, "labs", rows.labs);
  if (rows.medications.length > 0) await loadRows(connection, "medications", rows.medications);
  if (rows.encounters.length > 0) await appendEncounters(connection, rows.encounters);
}

/**
 * Fills the residents table: everyone with a patient record or an event at the institution, with
 * the demographics of their patient record there, else of their latest-updated patient record at
 * another institution (the EMPI links them by resident_ref), else nulls.
 */
export async function fillResidents(connection: DuckDBConnection, institution: string): Promise<void> {
  await connection.run(
    `INSERT INTO residents
     WITH here AS (
       SELECT resident_ref FROM patients WHERE institution = $1
       UNION SELECT resident_ref FROM diagnoses UNION SELECT resident_ref FROM labs
       UNION SELECT resident_ref FROM medications UNION SELECT resident_ref FROM encounters),
     chosen AS (
       SELECT resident_ref, sex, birth_date, region FROM patients WHERE resident_ref IN (SELECT resident_ref FROM here)
       QUALIFY row_number() OVER (PARTITION BY resident_ref ORDER BY institution = $1 DESC, updated_at DESC, institution, record_id DESC) = 1)
     SELECT here.resident_ref, chosen.sex, chosen.birth_date, chosen.region FROM here LEFT JOIN chosen USING (resident_ref)`,
    [institution],
  );
}

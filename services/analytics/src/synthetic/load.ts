// Writes a generated district into one DuckDB database per institution, as the design has it: each
// institution's node holds and evaluates its own data. Rows go straight from the generator to DuckDB
// appenders (no intermediate arrays), so 20 million events load with flat memory.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DuckDBDateValue, DuckDBInstance, type DuckDBAppender, type DuckDBConnection } from "@duckdb/node-api";
import { createSchema } from "../engine/schema.ts";
import { INSTITUTIONS } from "./district.ts";
import { checkDistrictOptions, generateDistrict, type DistrictOptions, type DistrictSummary } from "./generate.ts";

/** One institution's database. */
export interface InstitutionDatabase {
  readonly code: string;
  /** The database file, or ":memory:". */
  readonly path: string;
  readonly instance: DuckDBInstance;
  readonly connection: DuckDBConnection;
}

export interface LoadedDistrict {
  readonly institutions: readonly InstitutionDatabase[];
  readonly summary: DistrictSummary;
  /** Wall-clock seconds to generate and load (including the final flush). */
  readonly seconds: number;
}

/** Opens an institution's database (file or in-memory) with the event schema. */
export async function openInstitution(code: string, path: string): Promise<InstitutionDatabase> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  await createSchema(connection);
  return { code, path, instance, connection };
}

/** Closes every institution's connection and database. */
export function closeDistrict(institutions: readonly InstitutionDatabase[]): void {
  for (const inst of institutions) {
    inst.connection.closeSync();
    inst.instance.closeSync();
  }
}

/** The file of an institution's database in a directory. */
export function institutionFile(directory: string, code: string): string {
  return join(directory, `${code}.duckdb`);
}

/**
 * Generates the district and loads it: one database per institution, in `directory` (files
 * `INST01.duckdb` …; the directory must not already hold them) or in memory when it is omitted.
 * Invalid options throw INVALID_INPUT before anything is created.
 */
export async function loadDistrict(options: DistrictOptions, directory?: string): Promise<LoadedDistrict> {
  checkDistrictOptions(options);
  if (directory !== undefined) mkdirSync(directory, { recursive: true });
  const started = performance.now();
  const institutions: InstitutionDatabase[] = [];
  for (const inst of INSTITUTIONS) institutions.push(await openInstitution(inst.code, directory === undefined ? ":memory:" : institutionFile(directory, inst.code)));
  const appenders: { residents: DuckDBAppender; diagnoses: DuckDBAppender; labs: DuckDBAppender; medications: DuckDBAppender }[] = [];
  for (const inst of institutions) {
    appenders.push({
      residents: await inst.connection.createAppender("residents"),
      diagnoses: await inst.connection.createAppender("diagnoses"),
      labs: await inst.connection.createAppender("labs"),
      medications: await inst.connection.createAppender("medications"),
    });
  }
  // Column order is the DDL's (schema.ts): the appender fills by position.
  const summary = generateDistrict(options, {
    resident(i, ref, sex, birthDay, region) {
      const a = appenders[i]!.residents;
      a.appendVarchar(ref);
      a.appendVarchar(sex);
      a.appendDate(new DuckDBDateValue(birthDay));
      a.appendVarchar(region);
      a.endRow();
    },
    diagnosis(i, ref, code, day) {
      const a = appenders[i]!.diagnoses;
      a.appendVarchar(ref);
      a.appendVarchar(code);
      a.appendDate(new DuckDBDateValue(day));
      a.endRow();
    },
    lab(i, ref, loinc, value, unit, day) {
      const a = appenders[i]!.labs;
      a.appendVarchar(ref);
      a.appendVarchar(loinc);
      a.appendDouble(value);
      a.appendVarchar(unit);
      a.appendDate(new DuckDBDateValue(day));
      a.endRow();
    },
    medication(i, ref, atc, day) {
      const a = appenders[i]!.medications;
      a.appendVarchar(ref);
      a.appendVarchar(atc);
      a.appendDate(new DuckDBDateValue(day));
      a.endRow();
    },
  });
  for (const set of appenders) {
    for (const a of [set.residents, set.diagnoses, set.labs, set.medications]) {
      a.flushSync();
      a.closeSync();
    }
  }
  if (directory !== undefined) for (const inst of institutions) await inst.connection.run("CHECKPOINT");
  return { institutions, summary, seconds: (performance.now() - started) / 1000 };
}

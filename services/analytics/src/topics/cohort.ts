// The residents of a topic at one institution: those meeting its criteria there, selected with the
// engine's cohort statement — the one its counts count — so a topic holds exactly the residents a
// screening count over the same data finds.
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Criteria } from "../criteria/schema.ts";
import { compileCohort } from "../engine/compile.ts";

/** Fills the scratch table `cohort` with the institution's residents meeting the criteria (all of them for null). */
export async function selectCohort(connection: DuckDBConnection, criteria: Criteria | null, indexDate: string): Promise<void> {
  if (criteria === null) {
    await connection.run("INSERT INTO cohort SELECT DISTINCT resident_ref FROM residents");
    return;
  }
  const { sql, params } = compileCohort(criteria, { indexDate });
  await connection.run(`INSERT INTO cohort SELECT resident_ref FROM (${sql}) selected`, params);
}

/**
 * The resident_refs meeting the criteria on a topic file's connection (read-only is enough), sorted.
 * Throws INVALID_INPUT for an invalid index date.
 */
export async function topicCohort(connection: DuckDBConnection, criteria: Criteria, indexDate: string): Promise<string[]> {
  const { sql, params } = compileCohort(criteria, { indexDate });
  const rows = (await connection.runAndReadAll(`SELECT resident_ref FROM (${sql}) selected ORDER BY resident_ref`, params)).getRowsJson();
  return rows.map((row) => String(row[0]));
}

// The residents of a topic at one institution: those meeting its criteria there, selected with the
// very statement the engine counts with (compileCount), so a topic holds exactly the residents a
// screening count over the same data finds.
import type { DuckDBConnection } from "@duckdb/node-api";
import { platformError } from "@health-chain/sdk";
import type { Criteria } from "../criteria/schema.ts";
import { compileCount } from "../engine/compile.ts";

// compileCount's last line; the cohort it counts is selected instead.
const COUNT_TAIL = /\nSELECT count\(\*\) AS residents FROM (\(SELECT resident_ref FROM \w+ INTERSECT SELECT resident_ref FROM residents\)) cohort$/;

/** The statement selecting the distinct resident_refs meeting the criteria, and its parameters. */
export function compileCohort(criteria: Criteria, indexDate: string): { sql: string; params: (string | number)[] } {
  const { sql, params } = compileCount(criteria, { indexDate });
  if (!COUNT_TAIL.test(sql)) {
    throw platformError("INTERNAL", {
      message: "The engine's count statement no longer ends as topics expect; update src/topics/cohort.ts.",
      messageZh: "引擎计数语句的结尾已变化，请更新 src/topics/cohort.ts。",
    });
  }
  return { sql: sql.replace(COUNT_TAIL, "\nSELECT resident_ref FROM $1 cohort"), params };
}

/** Fills the scratch table `cohort` with the institution's residents meeting the criteria (all of them for null). */
export async function selectCohort(connection: DuckDBConnection, criteria: Criteria | null, indexDate: string): Promise<void> {
  if (criteria === null) {
    await connection.run("INSERT INTO cohort SELECT DISTINCT resident_ref FROM residents");
    return;
  }
  const { sql, params } = compileCohort(criteria, indexDate);
  await connection.run(`INSERT INTO cohort SELECT resident_ref FROM (${sql}) selected`, params);
}

/**
 * The resident_refs meeting the criteria on a topic file's connection (read-only is enough), sorted.
 * Throws INVALID_INPUT for an invalid index date.
 */
export async function topicCohort(connection: DuckDBConnection, criteria: Criteria, indexDate: string): Promise<string[]> {
  const { sql, params } = compileCohort(criteria, indexDate);
  const rows = (await connection.runAndReadAll(`SELECT resident_ref FROM (${sql}) selected ORDER BY resident_ref`, params)).getRowsJson();
  return rows.map((row) => String(row[0]));
}

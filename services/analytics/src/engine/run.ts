// Runs compiled criteria on an institution's DuckDB connection: counts only leave this function.
import type { DuckDBConnection } from "@duckdb/node-api";
import { parseCriteria } from "../criteria/parse.ts";
import { compileCount, compileFunnel, funnelPlan, type FunnelStep } from "./compile.ts";
import type { EvaluationOptions } from "./resolve.ts";

/** The number of distinct residents meeting the criteria. Throws INVALID_INPUT for an invalid tree. */
export async function countResidents(connection: DuckDBConnection, criteria: unknown, options: EvaluationOptions): Promise<number> {
  const { sql, params } = compileCount(criteria, options);
  const rows = (await connection.runAndReadAll(sql, params)).getRowObjects();
  return Number(rows[0]!["residents"]);
}

/** The screening funnel (see compileFunnel), evaluated in one statement. */
export async function funnel(connection: DuckDBConnection, criteria: unknown, options: EvaluationOptions): Promise<FunnelStep[]> {
  const plan = funnelPlan(parseCriteria(criteria));
  const { sql, params } = compileFunnel(criteria, options);
  const rows = (await connection.runAndReadAll(sql, params)).getRowObjects();
  return plan.map((step, i) => ({ ...step, residents: Number(rows[i]!["residents"]) }));
}

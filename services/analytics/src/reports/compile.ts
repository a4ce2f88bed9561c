// A report definition as ONE parameterised DuckDB statement per institution: every value (dates,
// codes, sexes, band bounds, chapter ranges) is a `$n` parameter, never text in the SQL. The
// statement groups by the dimensions evaluated inside the institution's database; the institution
// itself is known to the caller and added when the results are merged.
import { yearsBefore } from "../engine/resolve.ts";
import { eventKindOf, type ReportDefinition, type ReportDimension } from "./definition.ts";
import { ICD10_CHAPTERS } from "./icd10.ts";
import { Params } from "../engine/compile.ts";

export interface CompiledReport {
  readonly sql: string;
  readonly params: (string | number)[];
  /** The dimension of each output column d0, d1, … in order (the institution is not among them). */
  readonly dimensions: readonly ReportDimension[];
  /** Whether the statement reads the encounters table (absent from some databases). */
  readonly needsEncounters: boolean;
}

const EVENT_TABLE = { diagnosis: "diagnoses", "lab-result": "labs", prescription: "medications", encounter: "encounters" } as const;

/** ICD-10 chapter of `e.code` by its category ranges, all bound. */
function chapterSql(p: Params): string {
  const category = "upper(left(e.code, 3))";
  const cases = ICD10_CHAPTERS.map((c) => `WHEN ${category} BETWEEN ${p.bind(c.from)} AND ${p.bind(c.to)} THEN ${p.bind(c.chapter)}`);
  return `CASE ${cases.join(" ")} ELSE NULL END`;
}

/**
 * Lower bound of the age band on the reference date, as the engine counts completed years: age ≥ a
 * ⇔ born on or before the date a years earlier (29 February → 28 February in common years).
 * Unknown or future birth dates have no band.
 */
function ageBandSql(p: Params, dimension: Extract<ReportDimension, { by: "age-band" }>): string {
  const cases: string[] = [];
  for (let low = dimension.top; low >= 0; low -= dimension.width) {
    cases.push(`WHEN r.birth_date <= ${p.date(yearsBefore(dimension.at, low))} THEN ${p.bind(low)}`);
  }
  return `CAST(CASE ${cases.join(" ")} ELSE NULL END AS INTEGER)`;
}

function dimensionSql(p: Params, dimension: ReportDimension): string {
  switch (dimension.by) {
    case "time":
      if (dimension.grain === "month") return `strftime(e."at", '%Y-%m')`;
      if (dimension.grain === "quarter") return `concat(year(e."at"), '-Q', quarter(e."at"))`;
      return `CAST(year(e."at") AS VARCHAR)`;
    case "department":
      return "e.department";
    case "disease":
      return dimension.level === "chapter" ? chapterSql(p) : "upper(left(e.code, 3))";
    case "sex":
      return "r.sex";
    case "age-band":
      return ageBandSql(p, dimension);
    case "institution":
      throw new Error("the institution is not a column of an institution's database");
  }
}

function filterSql(p: Params, definition: ReportDefinition, onEvents: boolean): string[] {
  const { from, to, icd10, sex } = definition.filters;
  const conditions: string[] = [];
  if (onEvents && from !== undefined) conditions.push(`e."at" >= ${p.date(from)}`);
  if (onEvents && to !== undefined) conditions.push(`e."at" <= ${p.date(to)}`);
  if (icd10 !== undefined) conditions.push(`(${icd10.map((prefix) => `starts_with(upper(e.code), ${p.bind(prefix)})`).join(" OR ")})`);
  if (sex !== undefined) conditions.push(`r.sex IN (${sex.map((code) => p.bind(code)).join(", ")})`);
  return conditions;
}

/** The statement one institution runs for the definition (already validated by parseReportDefinition). */
export function compileReport(definition: ReportDefinition): CompiledReport {
  const p = new Params();
  const kind = eventKindOf(definition.measure);
  const dimensions = definition.dimensions.filter((d) => d.by !== "institution");
  const select = dimensions.map((d, i) => `${dimensionSql(p, d)} AS d${i}`);
  const where = filterSql(p, definition, kind !== null);
  const needsResidents = kind !== null && (definition.filters.sex !== undefined || dimensions.some((d) => d.by === "sex" || d.by === "age-band"));
  let from: string;
  let count: string;
  if (kind === null) {
    from = "residents r";
    count = "count(DISTINCT r.resident_ref)";
  } else {
    from = `${EVENT_TABLE[kind]} e${needsResidents ? " LEFT JOIN residents r ON r.resident_ref = e.resident_ref" : ""}`;
    count = definition.measure.startsWith("residents-with-") ? "count(DISTINCT e.resident_ref)" : "count(*)";
  }
  const sql = [
    `SELECT ${[...select, `${count} AS n`].join(", ")}`,
    `FROM ${from}`,
    where.length > 0 ? `WHERE ${where.join(" AND ")}` : "",
    select.length > 0 ? "GROUP BY ALL" : "",
  ].filter((line) => line !== "").join("\n");
  return { sql, params: p.values, dimensions, needsEncounters: kind === "encounter" };
}

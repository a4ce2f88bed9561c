// Which table holds which record kind and which column holds which key and payload member. Real
// platforms name their tables and columns differently, so this is configuration: the default
// describes `./schema.ts`, a deployment passes its own, and a map that does not fit the interchange
// vocabulary is refused when the adapter is created (INVALID_INPUT naming every problem).
import { platformError } from "@health-chain/sdk";
import type { RecordKind } from "../../synthetic/records.ts";
import { type MemberShape, RECORD_KINDS, STATUS_VALUES, codeMemberValues, isRecordKind, memberShape } from "./members.ts";
import { COMMON_COLUMNS, CORRECTION_CODES, type CodeDomain, INTERMEDIATE_TABLES } from "./schema.ts";
import { FALSE_VALUES, TRUE_VALUES } from "./values.ts";

/**
 * A column, by name (read the member's default way: the default code domain of a code member, the
 * default separator of a list), or with the options of the member's shape.
 */
export type ColumnSpec =
  | string
  | {
      readonly column: string;
      /** Code members and `status`: source code → interchange value (null: the source states none). */
      readonly codes?: CodeDomain;
      /** List members: what separates the items. */
      readonly separator?: string;
      /** Flag members: the spellings of yes and no. */
      readonly trueValues?: readonly string[];
      readonly falseValues?: readonly string[];
    };

/** How one table of the intermediate database reads as source items. */
export interface SqlTableMap {
  readonly kind: RecordKind;
  /** The change sequence shared by every table (one global, strictly increasing sequence). */
  readonly sequence: string;
  /** When the row was created or last changed at the source. */
  readonly changedAt: string;
  readonly institutionCode: string;
  /** The record's key in the institution's system (a correction repeats it). */
  readonly sourceKey: string;
  readonly patientId: string;
  /** The correction flag; absent: every row is an original (`final`). An empty flag reads as `final`. */
  readonly status?: ColumnSpec;
  /** Payload member → column. A member without a column is absent from the items. */
  readonly fields: { readonly [member: string]: ColumnSpec };
}

/** Table name (optionally `schema.table` on PostgreSQL) → how it reads. */
export type SqlColumnMap = { readonly [table: string]: SqlTableMap };

/** A member's column with every option resolved. */
export interface ResolvedField {
  readonly member: string;
  readonly column: string;
  readonly shape: MemberShape;
  readonly codes?: CodeDomain;
  readonly separator?: string;
  readonly trueValues?: readonly string[];
  readonly falseValues?: readonly string[];
}

/** A table's map, checked, with defaults filled in. */
export interface ResolvedTableMap {
  readonly table: string;
  readonly kind: RecordKind;
  readonly sequence: string;
  readonly changedAt: string;
  readonly institutionCode: string;
  readonly sourceKey: string;
  readonly patientId: string;
  readonly status: { readonly column: string; readonly codes: CodeDomain } | null;
  readonly fields: readonly ResolvedField[];
}

const defaultCodesOf = new Map<string, CodeDomain>();
const defaultSeparatorOf = new Map<string, string>();
for (const table of INTERMEDIATE_TABLES) {
  for (const column of table.payload) {
    if (column.codes !== undefined) defaultCodesOf.set(`${table.kind}.${column.member}`, column.codes);
    if (column.separator !== undefined) defaultSeparatorOf.set(`${table.kind}.${column.member}`, column.separator);
  }
}

/** The map of the default intermediate database (`./schema.ts`), column names as its DDL writes them. */
export const DEFAULT_SQL_COLUMN_MAP: SqlColumnMap = Object.fromEntries(
  INTERMEDIATE_TABLES.map((table): [string, SqlTableMap] => [
    table.name,
    {
      kind: table.kind,
      sequence: COMMON_COLUMNS.sequence.column,
      changedAt: COMMON_COLUMNS.changedAt.column,
      institutionCode: COMMON_COLUMNS.institutionCode.column,
      sourceKey: table.sourceKey?.column ?? COMMON_COLUMNS.patientId.column,
      patientId: COMMON_COLUMNS.patientId.column,
      status: COMMON_COLUMNS.status.column,
      fields: Object.fromEntries(table.payload.map((column) => [column.member, column.column])),
    },
  ]),
);

/** A table or column name the adapter will quote: letters (any script), digits, `_`, `$`; at most 63 characters (PostgreSQL's limit). */
const IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_$]{0,62}$/u;

export function isIdentifier(value: unknown): value is string {
  return typeof value === "string" && IDENTIFIER.test(value);
}

/** A table name: an identifier, or `schema.table`. */
export function isTableName(value: unknown): value is string {
  return typeof value === "string" && value.split(".").length <= 2 && value.split(".").every((part) => IDENTIFIER.test(part));
}

interface Problem {
  readonly path: string;
  readonly problem: string;
  readonly value: unknown;
}

const TABLE_MAP_KEYS = new Set(["kind", "sequence", "changedAt", "institutionCode", "sourceKey", "patientId", "status", "fields"]);
const SPEC_KEYS = new Set(["column", "codes", "separator", "trueValues", "falseValues"]);
const KEY_COLUMNS = ["sequence", "changedAt", "institutionCode", "sourceKey", "patientId"] as const;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** JSON-safe echo of a configuration value for error details (functions and cycles do not survive). */
function echo(value: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(value ?? null)) as unknown;
  } catch {
    return String(value);
  }
}

function checkCodes(codes: unknown, allowed: readonly string[], allowNull: boolean, path: string, problems: Problem[]): codes is CodeDomain {
  if (!isObject(codes) || Object.keys(codes).length === 0) {
    problems.push({ path, problem: "a non-empty object of source code → interchange value", value: echo(codes) });
    return false;
  }
  let ok = true;
  for (const [code, meaning] of Object.entries(codes)) {
    if (code.trim() === "" || code !== code.trim()) {
      problems.push({ path: `${path}.${JSON.stringify(code)}`, problem: "a code without surrounding blanks", value: code });
      ok = false;
    }
    if (!((meaning === null && allowNull) || (typeof meaning === "string" && allowed.includes(meaning)))) {
      problems.push({ path: `${path}.${code}`, problem: `one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}${allowNull ? " or null" : ""}`, value: echo(meaning) });
      ok = false;
    }
  }
  return ok;
}

function checkSpellings(values: unknown, path: string, problems: Problem[]): values is readonly string[] {
  if (Array.isArray(values) && values.length > 0 && values.every((v) => typeof v === "string" && v.trim() !== "" && v === v.trim())) return true;
  problems.push({ path, problem: "a non-empty list of non-blank strings", value: echo(values) });
  return false;
}

function resolveField(kind: RecordKind, member: string, spec: unknown, path: string, problems: Problem[]): ResolvedField | undefined {
  const shape = memberShape(kind, member);
  if (shape === undefined) {
    problems.push({ path, problem: `a payload member of ${kind}`, value: member });
    return undefined;
  }
  const options = typeof spec === "string" ? { column: spec } : spec;
  if (!isObject(options)) {
    problems.push({ path, problem: "a column name or { column, … }", value: echo(spec) });
    return undefined;
  }
  let ok = true;
  for (const key of Object.keys(options)) {
    if (!SPEC_KEYS.has(key)) {
      problems.push({ path: `${path}.${key}`, problem: `one of ${[...SPEC_KEYS].join(", ")}`, value: key });
      ok = false;
    }
  }
  if (!isIdentifier(options.column)) {
    problems.push({ path: `${path}.column`, problem: "a column name (letters, digits, _ or $; at most 63 characters)", value: echo(options.column) });
    ok = false;
  }
  const onlyFor = (key: string, wanted: MemberShape) => {
    if (options[key] !== undefined && shape !== wanted) {
      problems.push({ path: `${path}.${key}`, problem: `only for ${wanted} members (${member} is ${shape})`, value: echo(options[key]) });
      ok = false;
    }
  };
  onlyFor("codes", "code");
  onlyFor("separator", "list");
  onlyFor("trueValues", "flag");
  onlyFor("falseValues", "flag");
  const field: { -readonly [K in keyof ResolvedField]: ResolvedField[K] } = { member, column: options.column as string, shape };
  if (shape === "code") {
    const codes = options.codes ?? defaultCodesOf.get(`${kind}.${member}`);
    if (checkCodes(codes, codeMemberValues(kind, member) ?? [], true, `${path}.codes`, problems)) field.codes = codes;
    else ok = false;
  } else if (shape === "list") {
    const separator = options.separator ?? defaultSeparatorOf.get(`${kind}.${member}`);
    if (typeof separator === "string" && separator !== "") field.separator = separator;
    else {
      problems.push({ path: `${path}.separator`, problem: "a non-empty string", value: echo(separator) });
      ok = false;
    }
  } else if (shape === "flag") {
    const trueValues = options.trueValues ?? TRUE_VALUES;
    const falseValues = options.falseValues ?? FALSE_VALUES;
    if (checkSpellings(trueValues, `${path}.trueValues`, problems) && checkSpellings(falseValues, `${path}.falseValues`, problems)) {
      const both = trueValues.filter((v) => falseValues.includes(v));
      if (both.length > 0) {
        problems.push({ path: `${path}.falseValues`, problem: "spellings not also listed as trueValues", value: both });
        ok = false;
      }
      field.trueValues = trueValues;
      field.falseValues = falseValues;
    } else ok = false;
  }
  return ok ? field : undefined;
}

function resolveTable(table: string, entry: unknown, problems: Problem[]): ResolvedTableMap | undefined {
  const path = table;
  const before = problems.length;
  if (!isTableName(table)) problems.push({ path, problem: "a table name (identifier or schema.table)", value: table });
  if (!isObject(entry)) {
    problems.push({ path, problem: "an object { kind, sequence, changedAt, institutionCode, sourceKey, patientId, status?, fields }", value: echo(entry) });
    return undefined;
  }
  for (const key of Object.keys(entry)) {
    if (!TABLE_MAP_KEYS.has(key)) problems.push({ path: `${path}.${key}`, problem: `one of ${[...TABLE_MAP_KEYS].join(", ")}`, value: key });
  }
  const kind = entry.kind;
  if (!isRecordKind(kind)) {
    problems.push({ path: `${path}.kind`, problem: `one of ${RECORD_KINDS.join(", ")}`, value: echo(kind) });
    return undefined;
  }
  for (const key of KEY_COLUMNS) {
    if (!isIdentifier(entry[key])) problems.push({ path: `${path}.${key}`, problem: "a column name", value: echo(entry[key]) });
  }
  let status: ResolvedTableMap["status"] = null;
  if (entry.status !== undefined) {
    const spec = typeof entry.status === "string" ? { column: entry.status } : entry.status;
    if (!isObject(spec) || !isIdentifier(spec.column) || Object.keys(spec).some((key) => key !== "column" && key !== "codes")) {
      problems.push({ path: `${path}.status`, problem: "a column name or { column, codes? }", value: echo(entry.status) });
    } else {
      const codes = spec.codes ?? CORRECTION_CODES;
      if (checkCodes(codes, STATUS_VALUES, false, `${path}.status.codes`, problems)) status = { column: spec.column, codes };
    }
  }
  const fields: ResolvedField[] = [];
  if (!isObject(entry.fields)) {
    problems.push({ path: `${path}.fields`, problem: "an object of payload member → column", value: echo(entry.fields) });
  } else {
    for (const [member, spec] of Object.entries(entry.fields)) {
      const field = resolveField(kind, member, spec, `${path}.fields.${member}`, problems);
      if (field !== undefined) fields.push(field);
    }
  }
  if (problems.length > before) return undefined;
  const keys = entry as unknown as SqlTableMap;
  return {
    table, kind, status, fields,
    sequence: keys.sequence, changedAt: keys.changedAt, institutionCode: keys.institutionCode, sourceKey: keys.sourceKey, patientId: keys.patientId,
  };
}

function invalidMap(problems: readonly Problem[]): Error {
  const shown = problems.slice(0, 5).map((p) => `${p.path} must be ${p.problem}`).join("; ");
  const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : "";
  return platformError("INVALID_INPUT", {
    message: `Invalid SQL column map: ${shown}${more}.`,
    messageZh: `SQL 列映射配置无效：${problems.slice(0, 5).map((p) => p.path).join("、")}${problems.length > 5 ? ` 等 ${problems.length} 处` : ""}。`,
    details: { what: "sql column map", problems },
  });
}

/**
 * Checks a column map (and the tables chosen from it) against the interchange vocabulary and fills
 * in the defaults. Throws INVALID_INPUT naming every problem.
 */
export function resolveColumnMap(map: unknown, tables?: unknown): ResolvedTableMap[] {
  const problems: Problem[] = [];
  if (!isObject(map) || Object.keys(map).length === 0) {
    throw invalidMap([{ path: "columnMap", problem: "an object of table name → table map, with at least one table", value: echo(map) }]);
  }
  let chosen = Object.keys(map);
  if (tables !== undefined) {
    if (!Array.isArray(tables) || tables.length === 0 || !tables.every((t) => typeof t === "string")) {
      throw invalidMap([{ path: "tables", problem: "a non-empty list of table names of the column map", value: echo(tables) }]);
    }
    for (const table of tables as string[]) {
      if (!Object.hasOwn(map, table)) problems.push({ path: `tables.${table}`, problem: "a table of the column map", value: table });
    }
    if (new Set(tables).size !== tables.length) problems.push({ path: "tables", problem: "a list without repetitions", value: echo(tables) });
    chosen = tables as string[];
  }
  // Names that differ only in case are one table to a case-insensitive database: it would be read twice.
  const seen = new Map<string, string>();
  for (const table of new Set(chosen)) {
    const folded = table.toLowerCase();
    if (seen.has(folded)) problems.push({ path: table, problem: `a table other than ${seen.get(folded)} (names differ only in case)`, value: table });
    seen.set(folded, table);
  }
  const resolved: ResolvedTableMap[] = [];
  for (const table of new Set(chosen)) {
    if (!Object.hasOwn(map, table)) continue;
    const entry = resolveTable(table, map[table], problems);
    if (entry !== undefined) resolved.push(entry);
  }
  if (problems.length > 0) throw invalidMap(problems);
  return resolved;
}

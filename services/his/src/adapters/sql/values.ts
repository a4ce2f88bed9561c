// Column values to interchange values and back. Reading is a pure format conversion (dates to ISO,
// codes to their interchange names, separated lists to arrays); a value that cannot be converted is
// a `ValueProblem`, which makes the row a rejected item. Writing (the synthetic source database) is
// the exact inverse, so a record written and read back is the record.
import type { SourceValue } from "../types.ts";
import type { CodeDomain } from "./schema.ts";

/** Why a row could not be read: the stable reason codes of the SQL adapter's rejected items. */
export type SqlRejectReason = "missing-key" | "invalid-date" | "invalid-number" | "unknown-code" | "invalid-value";

/** A column value that cannot be read; `expected` says what would have been readable. */
export class ValueProblem {
  readonly reason: SqlRejectReason;
  readonly expected: string;
  readonly expectedZh: string;

  constructor(reason: SqlRejectReason, expected: string, expectedZh: string) {
    this.reason = reason;
    this.expected = expected;
    this.expectedZh = expectedZh;
  }
}

export type ReadValue = SourceValue | ValueProblem;

/** An offset `±HH:MM` as minutes east of UTC, or undefined when it is not one (at most ±14:00). */
export function offsetMinutes(offset: string): number | undefined {
  const match = /^([+-])(\d{2}):(\d{2})$/.exec(offset);
  if (match === null) return undefined;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  if (Number(match[3]) > 59 || minutes > 14 * 60) return undefined;
  return match[1] === "-" ? -minutes : minutes;
}

const isBlank = (value: string) => value.trim() === "";

const TEXT_PROBLEM = new ValueProblem("invalid-value", "text", "文本");
const NUMBER_PROBLEM = new ValueProblem("invalid-number", "a number", "数值");
const INTEGER_PROBLEM = new ValueProblem("invalid-number", "a whole number", "整数");
const DATE_PROBLEM = new ValueProblem("invalid-date", "a date (YYYYMMDD or YYYY-MM-DD)", "日期（YYYYMMDD 或 YYYY-MM-DD）");
const DATETIME_PROBLEM = new ValueProblem(
  "invalid-date", "a date and time (YYYY-MM-DD HH:MM:SS, optionally with an offset)", "日期时间（YYYY-MM-DD HH:MM:SS，可带时区偏移）",
);
const LIST_PROBLEM = new ValueProblem("invalid-value", "text with separated items", "以分隔符分隔的文本");

/** Free text; an empty or blank value is null (left empty). Numbers become their decimal text (a phone kept as INTEGER). */
export function readText(value: unknown): ReadValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return isBlank(value) ? null : value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "bigint") return String(value);
  return TEXT_PROBLEM;
}

/** A key column: trimmed (CHAR columns pad with blanks); empty is a missing key. */
export function readKey(value: unknown): ReadValue {
  const text = readText(value);
  if (text === null) return new ValueProblem("missing-key", "a value (this column is part of the record's identity)", "非空值（该列属于记录标识）");
  return typeof text === "string" ? text.trim() : text;
}

const NUMERIC = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A number column; PostgreSQL NUMERIC arrives as text. */
export function readNumber(value: unknown): ReadValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return Number.isFinite(value) ? value : NUMBER_PROBLEM;
  if (typeof value === "bigint") return Number(value);
  if (typeof value === "string") {
    const text = value.trim();
    if (text === "") return null;
    return NUMERIC.test(text) ? Number(text) : NUMBER_PROBLEM;
  }
  return NUMBER_PROBLEM;
}

export function readInteger(value: unknown): ReadValue {
  const number = readNumber(value);
  if (typeof number === "number" && !Number.isSafeInteger(number)) return INTEGER_PROBLEM;
  return number === NUMBER_PROBLEM ? INTEGER_PROBLEM : number;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function isCalendarDay(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!);
}

// YYYYMMDD (WS 363 D8), YYYY-MM-DD, YYYY/MM/DD; optionally followed by a midnight time (a DATE
// exported through a DATETIME column).
const DATE = /^(\d{4})(?:(\d{2})(\d{2})|([-/])(\d{2})\4(\d{2}))(?:[T ]00:00(?::00(?:\.0+)?)?)?$/;

/** A date column, as `YYYY-MM-DD`. */
export function readDate(value: unknown): ReadValue {
  if (value === null || value === undefined) return null;
  if (typeof value !== "string") return DATE_PROBLEM;
  const text = value.trim();
  if (text === "") return null;
  const match = DATE.exec(text);
  if (match === null) return DATE_PROBLEM;
  const [year, month, day] = [match[1]!, match[2] ?? match[5]!, match[3] ?? match[6]!];
  if (!isCalendarDay(Number(year), Number(month), Number(day))) return DATE_PROBLEM;
  return `${year}-${month}-${day}`;
}

// YYYY-MM-DD HH:MM[:SS[.fff]] (or T, or / between date parts) with an optional offset (Z, ±HH,
// ±HHMM, ±HH:MM), and the compact YYYYMMDDHHMMSS some platforms use.
const DATETIME = /^(\d{4})([-/])(\d{2})\2(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/;
const COMPACT_DATETIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;

/**
 * A date-time column, as ISO 8601 with offset (`2024-02-02T12:12:00+08:00`). A value without an
 * offset is local time at `localOffset` (China Standard Time on the platform); a value with one
 * keeps it. Non-zero fractions of a second are kept.
 */
export function readDatetime(value: unknown, localOffset: string): ReadValue {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? DATETIME_PROBLEM : formatInstant(value.getTime(), localOffset);
  if (typeof value !== "string") return DATETIME_PROBLEM;
  const text = value.trim();
  if (text === "") return null;
  let year: string, month: string, day: string, hour: string, minute: string, second: string;
  let fraction = "";
  let offset: string | undefined;
  const match = DATETIME.exec(text);
  if (match !== null) {
    [year, month, day, hour, minute, second] = [match[1]!, match[3]!, match[4]!, match[5]!, match[6]!, match[7] ?? "00"];
    fraction = (match[8] ?? "").replace(/0+$/, "");
    offset = match[9];
  } else {
    const compact = COMPACT_DATETIME.exec(text);
    if (compact === null) return DATETIME_PROBLEM;
    [year, month, day, hour, minute, second] = [compact[1]!, compact[2]!, compact[3]!, compact[4]!, compact[5]!, compact[6]!];
  }
  if (!isCalendarDay(Number(year), Number(month), Number(day)) || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) {
    return DATETIME_PROBLEM;
  }
  let zone = localOffset;
  if (offset !== undefined && offset !== "Z") {
    const digits = offset.replace(":", "");
    zone = `${digits.slice(0, 3)}:${digits.length > 3 ? digits.slice(3) : "00"}`;
    if (offsetMinutes(zone) === undefined) return DATETIME_PROBLEM;
  } else if (offset === "Z") {
    zone = "Z";
  }
  return `${year}-${month}-${day}T${hour}:${minute}:${second}${fraction === "" ? "" : `.${fraction}`}${zone}`;
}

/** An instant as local time at `offset`, ISO 8601 with that offset. */
function formatInstant(epochMs: number, offset: string): string {
  const local = new Date(epochMs + (offsetMinutes(offset) ?? 0) * 60_000);
  const ms = local.getUTCMilliseconds();
  return `${local.toISOString().slice(0, 19)}${ms === 0 ? "" : `.${String(ms).padStart(3, "0").replace(/0+$/, "")}`}${offset}`;
}

/** Default spellings of a yes/no column. */
export const TRUE_VALUES: readonly string[] = ["1", "Y", "y", "T", "t", "true", "是"];
export const FALSE_VALUES: readonly string[] = ["0", "N", "n", "F", "f", "false", "否"];

/** A yes/no column (PostgreSQL boolean, or a coded character). */
export function readFlag(value: unknown, trueValues: readonly string[], falseValues: readonly string[]): ReadValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "boolean") return value;
  const text = typeof value === "number" || typeof value === "bigint" ? String(value) : typeof value === "string" ? value.trim() : undefined;
  if (text === "") return null;
  if (text !== undefined && trueValues.includes(text)) return true;
  if (text !== undefined && falseValues.includes(text)) return false;
  return new ValueProblem("invalid-value", `one of ${[...trueValues, ...falseValues].join(", ")}`, `以下之一：${[...trueValues, ...falseValues].join("、")}`);
}

/** A coded column, as the interchange value its code stands for. */
export function readCode(value: unknown, codes: CodeDomain): ReadValue {
  if (value === null || value === undefined) return null;
  const text = typeof value === "number" || typeof value === "bigint" ? String(value) : typeof value === "string" ? value.trim() : undefined;
  if (text === "") return null;
  if (text !== undefined && Object.hasOwn(codes, text)) return codes[text]!;
  return new ValueProblem("unknown-code", `one of the codes ${Object.keys(codes).join(", ")}`, `以下代码之一：${Object.keys(codes).join("、")}`);
}

/** Items kept in one column: an empty text is an empty list, NULL is null (left empty). */
export function readList(value: unknown, separator: string): ReadValue {
  if (value === null || value === undefined) return null;
  if (typeof value !== "string") return LIST_PROBLEM;
  const items: string[] = [];
  for (const item of value.split(separator)) {
    const trimmed = item.trim();
    if (trimmed !== "") items.push(trimmed);
  }
  return items;
}

// ---- writing: interchange values to the columns of the synthetic source database ----

/** `YYYY-MM-DD` as WS 363 D8 (`YYYYMMDD`). */
export function writeDate(value: string | null): string | null {
  return value === null ? null : value.replaceAll("-", "");
}

const ISO_DATETIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** ISO 8601 with offset as the platform's local `YYYY-MM-DD HH:MM:SS` at `localOffset`, or undefined when it is not ISO. */
export function writeDatetime(value: string, localOffset: string): string | undefined {
  const match = ISO_DATETIME.exec(value);
  if (match === null) return undefined;
  const [, date, time, fraction = "", offset] = match;
  if (offset === localOffset) return `${date} ${time}${fraction}`;
  const epochMs = Date.parse(value);
  if (Number.isNaN(epochMs)) return undefined;
  const local = formatInstant(epochMs, localOffset);
  return `${local.slice(0, 10)} ${local.slice(11, local.length - localOffset.length)}`;
}

/** The first code of `codes` that stands for `value`, or undefined when none does. */
export function codeOf(codes: CodeDomain, value: string): string | undefined {
  for (const [code, meaning] of Object.entries(codes)) if (meaning === value) return code;
  return undefined;
}

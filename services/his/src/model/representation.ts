// WS/T 303 representation formats (A..50, AN..18, N1, N2..3, N..5,1, D8, DT15, T/F) and the
// canonical JSON form of each data type in a standard record: S text as a string, N as a JSON
// number, D as "YYYY-MM-DD", DT as "YYYY-MM-DDThh:mm:ss+08:00" (ISO 8601 in China Standard Time;
// the exchange forms D8 and DT15 carry the same information), L as a boolean.
import type { SourceValue } from "../adapters/types.ts";
import type { DataType } from "./schema.ts";

export interface Representation {
  readonly type: DataType;
  /** Characters of a text: A any, N digits only, AN any (letters and digits). */
  readonly charset: "A" | "N" | "AN" | null;
  readonly minLength: number | null;
  readonly maxLength: number | null;
  /** Most digits after the decimal point of a number (0: integers only); null: not limited. */
  readonly decimals: number | null;
}

export interface FormatFailure {
  readonly en: string;
  readonly zh: string;
}

/** Parses a format for a data type, or says why it does not fit. */
export function parseFormat(type: DataType, format: string): Representation | FormatFailure {
  const mismatch = (expected: string): FormatFailure => ({
    en: `format "${format}" does not fit data type ${type} (expected ${expected})`,
    zh: `表示格式“${format}”与数据类型 ${type} 不符（应为 ${expected}）`,
  });
  switch (type) {
    case "L":
      return format === "T/F" ? { type, charset: null, minLength: null, maxLength: null, decimals: null } : mismatch("T/F");
    case "D":
      return format === "D8" ? { type, charset: null, minLength: null, maxLength: null, decimals: null } : mismatch("D8");
    case "DT":
      return format === "DT15" ? { type, charset: null, minLength: null, maxLength: null, decimals: null } : mismatch("DT15");
    case "N": {
      const m = /^N(\d+)?(?:\.\.(\d+))?(?:,(\d+))?$/.exec(format);
      if (!m) return mismatch("N, Nn, N..n, Nm..n, with ,d for decimals");
      const [min, max] = lengths(m[1], m[2]);
      const decimals = m[3] !== undefined ? Number(m[3]) : max === null ? null : 0;
      if ((min !== null && max !== null && min > max) || (decimals !== null && max !== null && decimals >= max)) return mismatch("consistent lengths");
      return { type, charset: "N", minLength: min, maxLength: max, decimals };
    }
    default: {
      const m = /^(AN|A|N)(\d+)?(?:\.\.(\d+))?$/.exec(format);
      if (!m || (m[2] === undefined && m[3] === undefined)) return mismatch("A..n, AN..n, Nn or N..n");
      const [min, max] = lengths(m[2], m[3]);
      if (min !== null && max !== null && min > max) return mismatch("consistent lengths");
      return { type, charset: m[1] as "A" | "N" | "AN", minLength: min, maxLength: max, decimals: null };
    }
  }
}

/** "N5" is exactly 5, "N2..3" 2 to 3, "N..5" at most 5. */
function lengths(first: string | undefined, upTo: string | undefined): [number | null, number | null] {
  if (upTo !== undefined) return [first === undefined ? null : Number(first), Number(upTo)];
  if (first !== undefined) return [Number(first), Number(first)];
  return [null, null];
}

export function isFormatFailure(value: Representation | FormatFailure): value is FormatFailure {
  return (value as FormatFailure).en !== undefined;
}

const DIGITS = /^[0-9]+$/;
const CANONICAL_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const CANONICAL_DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\+08:00$/;

/** A checker of canonical values of a representation: null when the value fits, else why not. */
export function representationChecker(rep: Representation): (value: SourceValue) => FormatFailure | null {
  switch (rep.type) {
    case "L":
      return (value) => (typeof value === "boolean" ? null : { en: "expected true or false", zh: "应为布尔值" });
    case "D":
      return (value) => (typeof value === "string" && isCanonicalDate(value) ? null : { en: "expected a date YYYY-MM-DD", zh: "应为日期 YYYY-MM-DD" });
    case "DT":
      return (value) => (typeof value === "string" && isCanonicalDateTime(value)
        ? null
        : { en: "expected a date-time YYYY-MM-DDThh:mm:ss+08:00", zh: "应为日期时间 YYYY-MM-DDThh:mm:ss+08:00" });
    case "N":
      return (value) => checkNumber(rep, value);
    default:
      return (value) => checkText(rep, value);
  }
}

function checkText(rep: Representation, value: SourceValue): FormatFailure | null {
  if (typeof value !== "string") return { en: "expected text", zh: "应为文本" };
  const { minLength, maxLength } = rep;
  if ((minLength !== null && value.length < minLength) || (maxLength !== null && value.length > maxLength)) {
    const range = minLength === maxLength ? `${maxLength}` : `${minLength ?? 1}–${maxLength ?? "∞"}`;
    return { en: `expected ${range} characters, got ${value.length}`, zh: `长度应为 ${range} 个字符，实际 ${value.length} 个` };
  }
  if (rep.charset === "N" && !DIGITS.test(value)) return { en: "expected digits only", zh: "应只含数字" };
  return null;
}

function checkNumber(rep: Representation, value: SourceValue): FormatFailure | null {
  if (typeof value !== "number" || !Number.isFinite(value)) return { en: "expected a number", zh: "应为数值" };
  if (rep.maxLength === null && rep.minLength === null && rep.decimals === null) return null;
  const text = String(Math.abs(value));
  if (text.includes("e")) return { en: "number out of the representable range", zh: "数值超出可表示范围" };
  const dot = text.indexOf(".");
  const fraction = dot < 0 ? 0 : text.length - dot - 1;
  const digits = (dot < 0 ? text.length : dot) + fraction;
  if (rep.decimals !== null && fraction > rep.decimals) {
    return { en: `expected at most ${rep.decimals} decimal places, got ${fraction}`, zh: `小数位数最多 ${rep.decimals} 位，实际 ${fraction} 位` };
  }
  if ((rep.maxLength !== null && digits > rep.maxLength) || (rep.minLength !== null && digits < rep.minLength)) {
    return { en: `expected ${rep.minLength ?? 1}–${rep.maxLength ?? "∞"} digits, got ${digits}`, zh: `数字位数应为 ${rep.minLength ?? 1}–${rep.maxLength ?? "∞"} 位，实际 ${digits} 位` };
  }
  return null;
}

function isValidDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const days = month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  return day <= days;
}

export function isCanonicalDate(value: string): boolean {
  const m = CANONICAL_DATE.exec(value);
  return m !== null && isValidDay(Number(m[1]), Number(m[2]), Number(m[3]));
}

export function isCanonicalDateTime(value: string): boolean {
  const m = CANONICAL_DATETIME.exec(value);
  return m !== null && isValidDay(Number(m[1]), Number(m[2]), Number(m[3])) && Number(m[4]) < 24 && Number(m[5]) < 60 && Number(m[6]) < 60;
}

const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);
const CST_OFFSET_MINUTES = 480;

/** ISO 8601 with or without offset (without: China Standard Time), "YYYY-MM-DD hh:mm[:ss]", or HL7 "YYYYMMDDhhmm[ss][±zzzz]". */
const LOOSE_DATETIME = /^(\d{4})-?(\d{2})-?(\d{2})[T ]?(\d{2}):?(\d{2})(?::?(\d{2})(?:[.,]\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * The canonical date-time ("YYYY-MM-DDThh:mm:ss+08:00") of a source value, or null when it is not
 * a date-time. A value with another offset is converted to China Standard Time; fractions of a
 * second are dropped (DT15 resolution).
 */
export function canonicalDateTime(value: SourceValue): string | null {
  if (typeof value !== "string") return null;
  if (isCanonicalDateTime(value)) return value;
  const m = LOOSE_DATETIME.exec(value.trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? "0"].map(Number) as [number, number, number, number, number, number];
  if (!isValidDay(year, month, day) || hour > 23 || minute > 59 || second > 59) return null;
  const zone = m[7];
  let offset = CST_OFFSET_MINUTES;
  if (zone === "Z") offset = 0;
  else if (zone !== undefined) {
    const digits = zone.replace(":", "");
    offset = (digits[0] === "-" ? -1 : 1) * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  }
  if (offset === CST_OFFSET_MINUTES) return `${year}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:${two(second)}+08:00`;
  const cst = new Date(Date.UTC(year, month - 1, day, hour, minute, second) + (CST_OFFSET_MINUTES - offset) * 60_000);
  return `${cst.getUTCFullYear()}-${two(cst.getUTCMonth() + 1)}-${two(cst.getUTCDate())}T${two(cst.getUTCHours())}:${two(cst.getUTCMinutes())}:${two(cst.getUTCSeconds())}+08:00`;
}

const LOOSE_DATE = /^(\d{4})[-/]?(\d{2})[-/]?(\d{2})$/;

/** The canonical date ("YYYY-MM-DD") of "YYYY-MM-DD", "YYYYMMDD", "YYYY/MM/DD" or of a date-time (its day in China Standard Time). */
export function canonicalDate(value: SourceValue): string | null {
  if (typeof value !== "string") return null;
  if (isCanonicalDate(value)) return value;
  const m = LOOSE_DATE.exec(value.trim());
  if (m) return isValidDay(Number(m[1]), Number(m[2]), Number(m[3])) ? `${m[1]}-${m[2]}-${m[3]}` : null;
  const dateTime = canonicalDateTime(value);
  return dateTime === null ? null : dateTime.slice(0, 10);
}

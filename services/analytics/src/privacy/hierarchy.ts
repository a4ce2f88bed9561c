// Generalisation hierarchies of the quasi-identifiers of an export (Samarati 2001, Sweeney 2002:
// each level maps a value to a coarser one; the last level "*" hides it). Levels nest, so two values
// equal at one level stay equal at every higher level, which the k-anonymity search relies on.
import { invalidPrivacyInput } from "./invalid.ts";

/** The kinds of quasi-identifier with a built-in hierarchy. */
export type QuasiIdentifierKind = "age" | "birth-date" | "sex" | "region" | "date";

export const QUASI_IDENTIFIER_KINDS: readonly QuasiIdentifierKind[] = ["age", "birth-date", "sex", "region", "date"];

/** The names of the levels of each hierarchy, level 0 first (the value as it is). */
export const HIERARCHY_LEVELS: Readonly<Record<QuasiIdentifierKind, readonly string[]>> = {
  age: ["exact", "5-year band", "10-year band", "20-year band", "suppressed"],
  "birth-date": ["exact", "month", "year", "suppressed"],
  sex: ["exact", "suppressed"],
  // GB/T 2260: 6 digits county/district, 4 prefecture/city, 2 province.
  region: ["county (6 digits)", "city (4 digits)", "province (2 digits)", "suppressed"],
  date: ["exact", "month", "quarter", "year", "suppressed"],
};

export const SUPPRESSED_VALUE = "*";

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const REGION = /^\d{6}$/;
// GB/T 2261.1-2003: 0 unknown, 1 male, 2 female, 9 not stated.
const SEX_CODES = new Set(["0", "1", "2", "9"]);
const MAX_AGE = 150;

function isCalendarDate(text: string): boolean {
  const match = ISO_DATE.exec(text);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function band(age: number, width: number): string {
  const low = Math.floor(age / width) * width;
  return `${low}-${low + width - 1}`;
}

/** Refuses a value the hierarchy cannot place; null (missing) is allowed and stays null at every level. */
export function validateQuasiValue(kind: QuasiIdentifierKind, value: unknown, where: Readonly<Record<string, unknown>>): void {
  if (value === null) return;
  const ok =
    kind === "age"
      ? typeof value === "number" && Number.isFinite(value) && value >= 0 && value <= MAX_AGE
      : kind === "sex"
        ? typeof value === "string" && SEX_CODES.has(value)
        : kind === "region"
          ? typeof value === "string" && REGION.test(value)
          : typeof value === "string" && isCalendarDate(value);
  if (ok) return;
  const expected: Record<QuasiIdentifierKind, [string, string]> = {
    age: [`an age in years from 0 to ${MAX_AGE}`, `0 到 ${MAX_AGE} 之间的年龄（岁）`],
    sex: ["a GB/T 2261.1 sex code (0, 1, 2 or 9)", "GB/T 2261.1 性别代码（0、1、2 或 9）"],
    region: ["a 6-digit GB/T 2260 administrative division code", "6 位 GB/T 2260 行政区划代码"],
    "birth-date": ["a date YYYY-MM-DD", "YYYY-MM-DD 格式的日期"],
    date: ["a date YYYY-MM-DD", "YYYY-MM-DD 格式的日期"],
  };
  const [en, zh] = expected[kind];
  throw invalidPrivacyInput(
    { ...where, kind },
    `The quasi-identifier ${String(where.field)} of row ${String(where.row)} must be ${en} or null.`,
    `第 ${String(where.row)} 行的准标识符 ${String(where.field)} 必须是${zh}或 null。`,
  );
}

/** The value at a level of its hierarchy; level 0 returns it unchanged. Assumes a validated value. */
export function generaliseValue(kind: QuasiIdentifierKind, value: unknown, level: number): unknown {
  if (value === null || level === 0) return value;
  if (level >= HIERARCHY_LEVELS[kind].length - 1) return SUPPRESSED_VALUE;
  switch (kind) {
    case "age":
      return band(value as number, [0, 5, 10, 20][level]!);
    case "sex":
      return SUPPRESSED_VALUE;
    case "region": {
      const code = value as string;
      return level === 1 ? `${code.slice(0, 4)}00` : `${code.slice(0, 2)}0000`;
    }
    case "birth-date":
      return level === 1 ? (value as string).slice(0, 7) : (value as string).slice(0, 4);
    case "date": {
      const text = value as string;
      if (level === 1) return text.slice(0, 7);
      if (level === 2) return `${text.slice(0, 4)}-Q${Math.ceil(Number(text.slice(5, 7)) / 3)}`;
      return text.slice(0, 4);
    }
  }
}

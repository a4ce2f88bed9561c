// Dates as records write them: a day "YYYY-MM-DD", or a local date-time beginning with one
// ("2024-06-10T13:40:00+08:00", "2024-06-10 13:40"). Shifting and truncating work on the calendar day
// as written and leave the rest (time of day, offset) as it is: the day a clinician recorded is the
// one that matters, and China has no daylight saving to move it.

const DAY = /^(\d{4})-(\d{2})-(\d{2})/;
const TIME_REST = /^(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const MS_PER_DAY = 86_400_000;
/** Day numbers of 0000-01-01 and 9999-12-31: a shifted date stays writable as four digits. */
const FIRST_DAY = utcDay(0, 1, 1);
const LAST_DAY = utcDay(9999, 12, 31);

/** A parsed date: its day number (days since 1970-01-01), its parts, and what followed the day. */
export interface ParsedDate {
  readonly day: number;
  readonly year: number;
  readonly month: number;
  readonly date: number;
  readonly rest: string;
}

function utcDay(year: number, month: number, date: number): number {
  const at = new Date(0);
  at.setUTCFullYear(year, month - 1, date); // setUTCFullYear, unlike Date.UTC, does not map 0-99 to 1900-1999
  return at.getTime() / MS_PER_DAY;
}

/** Parses a date or date-time string; null when it is not one (or names a day that does not exist). */
export function parseDate(text: string): ParsedDate | null {
  const match = DAY.exec(text);
  if (match === null) return null;
  const rest = text.slice(10);
  if (rest !== "" && !TIME_REST.test(rest)) return null;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const date = Number(match[3]);
  if (month < 1 || month > 12 || date < 1 || date > 31) return null;
  const day = utcDay(year, month, date);
  // 2023-02-30 rolls over to March: refuse it rather than shift a day that never was.
  if (formatDay(day) !== text.slice(0, 10)) return null;
  return { day, year, month, date, rest };
}

/** Whether `text` is exactly a day "YYYY-MM-DD" that exists. */
export function isDay(text: unknown): text is string {
  return typeof text === "string" && text.length === 10 && parseDate(text) !== null;
}

/** "YYYY-MM-DD" of a day number. */
export function formatDay(day: number): string {
  const at = new Date(day * MS_PER_DAY);
  const year = at.getUTCFullYear();
  const month = at.getUTCMonth() + 1;
  const date = at.getUTCDate();
  return `${String(year).padStart(4, "0")}-${month < 10 ? "0" : ""}${month}-${date < 10 ? "0" : ""}${date}`;
}

/** The date moved by `days`, written as it was (same time of day and offset); null when not a date or out of 0000-9999. */
export function shiftDate(text: string, days: number): string | null {
  const parsed = parseDate(text);
  if (parsed === null) return null;
  const day = parsed.day + days;
  if (day < FIRST_DAY || day > LAST_DAY) return null;
  return formatDay(day) + parsed.rest;
}

/** "YYYY-MM" or "YYYY" of a date; null when not a date. */
export function truncateDate(text: string, to: "month" | "year"): string | null {
  const parsed = parseDate(text);
  if (parsed === null) return null;
  return to === "year" ? text.slice(0, 4) : text.slice(0, 7);
}

/** Age in whole years on `reference` of someone born on `birth` (both parsed dates). */
export function ageOn(birth: ParsedDate, reference: ParsedDate): number {
  const before = reference.month < birth.month || (reference.month === birth.month && reference.date < birth.date);
  return reference.year - birth.year - (before ? 1 : 0);
}

/** Today's date in China Standard Time (UTC+8), "YYYY-MM-DD". */
export function todayInChina(now: number = Date.now()): string {
  return formatDay(Math.floor((now + 8 * 3_600_000) / MS_PER_DAY));
}

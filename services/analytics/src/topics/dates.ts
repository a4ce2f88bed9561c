// The calendar day of a standard-model timestamp in the district's time zone (Asia/Shanghai, UTC+8
// all year: China has had no daylight saving time since 1991). services/his writes timestamps with
// +08:00, whose date is the date as written; any other offset is converted, so an event at
// 2026-10-19T20:00:00Z is a 2026-10-20 event for the district.
import { isIsoDate } from "../criteria/schema.ts";

const SHANGHAI_OFFSET_MINUTES = 8 * 60;
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

function offsetMinutes(zone: string): number {
  if (zone === "Z") return 0;
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
}

/**
 * The Asia/Shanghai calendar date (YYYY-MM-DD) of an ISO 8601 date or timestamp, or null when the
 * text is not one. A timestamp without an offset is taken as local time, as HIS systems write it.
 */
export function localDate(text: unknown): string | null {
  if (typeof text !== "string") return null;
  const match = TIMESTAMP.exec(text.trim());
  if (!match) return null;
  const [, day, hours, minutes, seconds, zone] = match as unknown as [string, string, string?, string?, string?, string?];
  if (!isIsoDate(day)) return null;
  if (hours === undefined) return day;
  if (Number(hours) > 23 || Number(minutes) > 59 || Number(seconds ?? 0) > 59) return null;
  if (zone === undefined) return day;
  const offset = offsetMinutes(zone);
  if (offset === SHANGHAI_OFFSET_MINUTES) return day;
  const utcMinutes = Date.parse(`${day}T00:00:00Z`) / 60_000 + Number(hours) * 60 + Number(minutes) - offset;
  return new Date((utcMinutes + SHANGHAI_OFFSET_MINUTES) * 60_000).toISOString().slice(0, 10);
}

/** The Asia/Shanghai calendar date of an instant. */
export function shanghaiDate(instant: Date): string {
  return new Date(instant.getTime() + SHANGHAI_OFFSET_MINUTES * 60_000).toISOString().slice(0, 10);
}

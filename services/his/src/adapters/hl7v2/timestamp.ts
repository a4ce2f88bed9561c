// HL7 v2 date/times (DTM: YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]) to ISO 8601 and back, keeping
// the offset the sender meant. medplum's parseHl7DateTime normalises to UTC and rolls invalid parts
// over (month 13 becomes January), and formatHl7DateTime drops the offset; records need the local
// time with its offset and a refused value when it is not a real instant.

const DTM = /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(\.\d{1,4})?)?)?)?)?)?([+-]\d{4})?$/;

/** China Standard Time: what a Chinese LIS means by a time without an offset. */
export const DEFAULT_HL7_OFFSET = "+08:00";

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * An ISO 8601 date (`YYYY-MM-DD`, for values without a time) or date-time with seconds and offset;
 * null when the value is not a real date/time. Values less precise than a day are refused.
 */
export function hl7DateTimeToIso(value: string, defaultOffset = DEFAULT_HL7_OFFSET): string | null {
  const match = DTM.exec(value.trim());
  if (!match) return null;
  const [, year, month, day, hour, minute, second, fraction, offset] = match;
  if (month === undefined || day === undefined) return null;
  const y = Number(year);
  const m = Number(month);
  const d = Number(day);
  if (m < 1 || m > 12 || d < 1 || d > daysIn(y, m)) return null;
  const date = `${year}-${month}-${day}`;
  if (hour === undefined) return offset === undefined ? date : null;
  if (Number(hour) > 23 || (minute !== undefined && Number(minute) > 59) || (second !== undefined && Number(second) > 59)) return null;
  if (offset !== undefined && (Number(offset.slice(1, 3)) > 14 || Number(offset.slice(3)) > 59)) return null;
  const zone = offset === undefined ? defaultOffset : `${offset.slice(0, 3)}:${offset.slice(3)}`;
  return `${date}T${hour}:${minute ?? "00"}:${second ?? "00"}${fraction ?? ""}${zone}`;
}

/** The HL7 DTM of an ISO 8601 date or date-time (offset kept as written); null when it is neither. */
export function isoToHl7DateTime(value: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(value);
  if (!match) return null;
  const [, year, month, day, hour, minute, second, fraction, zone] = match;
  if (hour === undefined) return `${year}${month}${day}`;
  const offset = zone === undefined ? "" : zone === "Z" ? "+0000" : zone.replace(":", "");
  return `${year}${month}${day}${hour}${minute}${second ?? "00"}${fraction?.slice(0, 5) ?? ""}${offset}`;
}

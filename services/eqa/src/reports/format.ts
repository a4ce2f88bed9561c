// How numbers and dates are printed. Pure functions: the same value always prints the same way,
// whatever the machine's locale or time zone (the PDF's bytes must not depend on either).

/**
 * `value` rounded to `decimals` places by GB/T 8170-2008 (数值修约规则: round half to even,
 * "四舍六入五成双"). The product is first rounded to 15 significant digits so that binary noise
 * (2.675 is stored as 2.67499999…) does not decide the rounding of a decimal five.
 */
export function formatNumber(value: number, decimals: number): string {
  const scale = 10 ** decimals;
  const scaled = Number((Math.abs(value) * scale).toPrecision(15));
  const floor = Math.floor(scaled);
  const fraction = scaled - floor;
  const rounded = fraction > 0.5 || (fraction === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
  const digits = (rounded / scale).toFixed(decimals);
  return value < 0 && rounded !== 0 ? `-${digits}` : digits;
}

/** Scores (z, z′, ζ, En) are printed with two decimals, as ISO 13528 reports show them. */
export function formatScore(score: number): string {
  return formatNumber(score, 2);
}

const BEIJING_OFFSET_MS = 8 * 3_600_000;

/** The calendar date of an ISO instant in China Standard Time (UTC+8, no daylight saving): `2025-06-30`. */
export function formatDate(iso: string): string {
  return new Date(Date.parse(iso) + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}

/** Date and minute in China Standard Time: `2025-06-30 16:00`. */
export function formatDateTime(iso: string): string {
  return new Date(Date.parse(iso) + BEIJING_OFFSET_MS).toISOString().slice(0, 16).replace("T", " ");
}

// A number as typed by a laboratory, parsed exactly (as decimal digits, not as a binary float) and
// rounded to the analyte's decimal places by GB/T 8170-2008 《数值修约规则与极限数值的表示和判定》
// clause 3.2 (四舍六入五成双):
//   - the first discarded digit < 5: drop it (3.2.1);  > 5, or 5 followed by a non-zero digit: add
//     one to the last kept digit (3.2.2, 3.2.3);
//   - exactly 5 (nothing or only zeros after it): add one if the last kept digit is odd, keep it
//     if even — so 5 is rounded to the even neighbour (3.2.4);
//   - a negative number: round its absolute value, then restore the sign (3.2.5);
//   - round once, from the value as typed, never step by step (3.3.1: 不允许连续修约).
// Working on the digits avoids the binary-float trap of 2.675 → 2.67 under toFixed.

/** A decimal number: ±digits × 10^-scale, from what was typed. */
export interface ParsedDecimal {
  negative: boolean;
  /** Digits without leading zeros ("0" for zero). */
  digits: string;
  /** Position of the decimal point from the left of `digits` (may be ≤ 0 or > digits.length). */
  point: number;
}

export type ParseFailure = "empty" | "censored" | "decimalComma" | "notANumber" | "exponentTooLarge";

/** Largest |exponent| accepted in E notation: far beyond any clinical quantity (copies/mL reach 1E10). */
const MAX_EXPONENT = 30;

/** Full-width digits, signs, point and E (ＦＵＬＬ-ＷＩＤＴＨ from Chinese input methods) and the
 * minus sign (U+2212) become ASCII; surrounding spaces go. */
export function normaliseNumberText(text: string): string {
  return text.normalize("NFKC").replace(/[\u2212\u2012\u2013\uFE63\uFF0D]/g, "-").trim();
}

/** Parses "5.62", "-0.5", "1.2E5", "1.2e-3", ".5", "５．６２"; refuses "<0.5", "5,62", "1.2×10^5". */
export function parseDecimal(typed: string): { ok: true; value: ParsedDecimal } | { ok: false; reason: ParseFailure } {
  const text = normaliseNumberText(typed);
  if (text === "") return { ok: false, reason: "empty" };
  if (/^[<>≤≥]/.test(text) || /^(less|more|greater)/i.test(text)) return { ok: false, reason: "censored" };
  if (/^[+-]?\d+,\d+$/.test(text)) return { ok: false, reason: "decimalComma" };
  const m = /^([+-])?(?:(\d+)(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return { ok: false, reason: "notANumber" };
  const intPart = m[2] ?? "";
  const fracPart = m[3] ?? m[4] ?? "";
  const exponent = m[5] === undefined ? 0 : Number(m[5]);
  if (Math.abs(exponent) > MAX_EXPONENT) return { ok: false, reason: "exponentTooLarge" };
  let digits = intPart + fracPart;
  let point = intPart.length + exponent;
  const lead = /^0*/.exec(digits)?.[0].length ?? 0;
  digits = digits.slice(lead);
  point -= lead;
  if (digits === "") return { ok: true, value: { negative: false, digits: "0", point: 1 } };
  return { ok: true, value: { negative: m[1] === "-", digits, point } };
}

/** Rounds to `decimals` places by GB/T 8170 (see the header); the result as a plain decimal string. */
export function roundDecimal(x: ParsedDecimal, decimals: number): string {
  // Make the kept part start at or before the point: pad leading zeros when |x| < 1.
  let digits = x.digits;
  let point = x.point;
  if (point < 1) {
    digits = "0".repeat(1 - point) + digits;
    point = 1;
  }
  const keep = point + decimals;
  let kept = digits.slice(0, keep).padEnd(keep, "0");
  const discarded = digits.slice(keep);
  const first = discarded === "" ? 0 : Number(discarded[0]);
  const restNonZero = /[1-9]/.test(discarded.slice(1));
  const lastKept = Number(kept[kept.length - 1]);
  const roundUp = first > 5 || (first === 5 && (restNonZero || lastKept % 2 === 1));
  if (roundUp) kept = (BigInt(kept) + 1n).toString().padStart(keep, "0");
  // A carry may add a digit at the left (9.96 → 10.0).
  const intLength = kept.length - decimals;
  const intDigits = kept.slice(0, intLength).replace(/^0+(?=\d)/, "");
  const fracDigits = kept.slice(intLength);
  const body = decimals > 0 ? `${intDigits}.${fracDigits}` : intDigits;
  const zero = /^[0.]*$/.test(body);
  return x.negative && !zero ? `-${body}` : body;
}

/** The exact value of a parsed decimal as the nearest double. */
export function toNumber(x: ParsedDecimal): number {
  return Number(`${x.negative ? "-" : ""}0.${x.digits}e${x.point}`);
}

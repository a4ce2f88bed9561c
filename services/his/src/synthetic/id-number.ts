// Resident identity numbers (公民身份号码) by GB 11643-1999: six-digit region code, birth date
// YYYYMMDD, a three-digit sequence whose last digit is odd for men and even for women, and a
// check character by ISO 7064 MOD 11-2 over the first seventeen digits ('X' stands for 10).

/** 2^(17-i) mod 11 for positions i = 0..16: the MOD 11-2 weights. */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
/** Check character for each value of (weighted sum mod 11). */
const CHECK_CHARS = "10X98765432";

/** The check character of the first seventeen digits; throws on anything but 17 ASCII digits. */
export function idNumberCheckChar(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new RangeError(`expected 17 digits, got ${JSON.stringify(first17)}`);
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11]!;
}

export interface IdNumberFacts {
  readonly regionCode: string;
  /** YYYY-MM-DD */
  readonly birthDate: string;
  readonly sex: "male" | "female";
}

/** Why an identity number is invalid, or its facts when it is valid. */
export type IdNumberCheck =
  | ({ readonly valid: true } & IdNumberFacts)
  | { readonly valid: false; readonly reason: "format" | "birth-date" | "check-character" };

/** Validates an 18-character identity number: format, a real calendar birth date, check character. */
export function checkIdNumber(id: string): IdNumberCheck {
  if (!/^\d{17}[\dX]$/.test(id)) return { valid: false, reason: "format" };
  const year = Number(id.slice(6, 10));
  const month = Number(id.slice(10, 12));
  const day = Number(id.slice(12, 14));
  const date = new Date(Date.UTC(year, month - 1, day));
  if (year < 1800 || date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return { valid: false, reason: "birth-date" };
  }
  if (idNumberCheckChar(id.slice(0, 17)) !== id[17]) return { valid: false, reason: "check-character" };
  return {
    valid: true,
    regionCode: id.slice(0, 6),
    birthDate: `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`,
    sex: (id.charCodeAt(16) - 48) % 2 === 1 ? "male" : "female",
  };
}

/** Builds a valid identity number; `sequence` (0..999) has its parity adjusted to the sex. */
export function makeIdNumber(regionCode: string, birthDate: string, sex: "male" | "female", sequence: number): string {
  let seq = sequence % 1000;
  if ((seq % 2 === 1) !== (sex === "male")) seq = seq === 999 ? 998 : seq + 1;
  const first17 = `${regionCode}${birthDate.replaceAll("-", "")}${String(seq).padStart(3, "0")}`;
  return first17 + idNumberCheckChar(first17);
}

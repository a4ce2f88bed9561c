// Check-character algorithms a pattern domain can require after its regular expression.
import { checkIdNumber } from "../synthetic/id-number.ts";
import type { DomainCheck } from "./schema.ts";

/**
 * LOINC's check digit: the mod 10 algorithm of the LOINC Users' Guide (Luhn: from the right, every
 * other digit starting with the rightmost doubled, digits of the products summed; the check digit
 * brings the sum to a multiple of 10). `2345-7`, `718-7`, `14771-0` are valid.
 */
export function loincCheckDigit(body: string): number {
  let sum = 0;
  for (let i = body.length - 1, double = true; i >= 0; i--, double = !double) {
    let d = body.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return (10 - (sum % 10)) % 10;
}

/** Whether a code written `<digits>-<check digit>` carries the right LOINC check digit. */
export function isValidLoinc(code: string): boolean {
  const m = /^(\d{1,7})-(\d)$/.exec(code);
  return m !== null && loincCheckDigit(m[1]!) === Number(m[2]);
}

/** The checks by name; each answers whether a value that already matched the domain's pattern is valid. */
export const CHECKS: Readonly<Record<DomainCheck, (value: string) => boolean>> = {
  // GB 11643-1999: a real birth date and the ISO 7064 MOD 11-2 check character.
  gb11643: (value) => checkIdNumber(value).valid,
  "loinc-mod10": isValidLoinc,
};

// LOINC codes, the laboratory test codes the platform maps local codes to (services/his) and
// matches EQA analytes by (services/eqa): `<digits>-<check digit>`.

/** The shape of a LOINC code: 1–7 digits without a leading zero, a hyphen, one check digit. */
export const LOINC_PATTERN = /^[1-9]\d{0,6}-\d$/;

/**
 * LOINC's check digit of the digits before the hyphen: the mod 10 algorithm of the LOINC Users'
 * Guide (Luhn: from the rightmost digit, every other digit is doubled, the digits of the products
 * are summed with the rest; the check digit brings the sum to a multiple of 10).
 * E.g. 2345 → 7 (2345-7, glucose), 718 → 7 (718-7, haemoglobin), 14771 → 0.
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

/** Whether `code` has the LOINC shape and carries the right check digit. */
export function isValidLoinc(code: string): boolean {
  if (!LOINC_PATTERN.test(code)) return false;
  const [body, check] = code.split("-") as [string, string];
  return loincCheckDigit(body) === Number(check);
}

// The bilingual wording of each field error, in one place.
import type { ParseFailure } from "./decimal.ts";
import type { FieldError, FieldErrorCode } from "./types.ts";

export type FieldErrorSink = (field: string, code: FieldErrorCode, message: string, messageZh: string) => void;

/** A sink collecting errors of one entry (analyte × sample). */
export function collector(analyte: string, sample: string, into: FieldError[]): FieldErrorSink {
  return (field, code, message, messageZh) => into.push({ analyte, sample, field, code, message, messageZh });
}

/** Why a typed number was refused, in words. */
export function parseFailureText(typed: string, reason: ParseFailure): { message: string; messageZh: string } {
  switch (reason) {
    case "empty":
      return { message: "Enter a number.", messageZh: "请输入数值。" };
    case "censored":
      return {
        message: `"${typed}" is a censored value (< or >): report the measured number; a result below the detection limit cannot be evaluated.`,
        messageZh: `“${typed}”是删失值（< 或 >）：请报告测得的数值；低于检出限的结果无法评价。`,
      };
    case "decimalComma":
      return { message: `"${typed}": use a point as the decimal separator (5.62, not 5,62).`, messageZh: `“${typed}”：小数点请用“.”（如 5.62，而非 5,62）。` };
    case "exponentTooLarge":
      return { message: `"${typed}": the exponent is implausibly large.`, messageZh: `“${typed}”：指数大得不合理。` };
    case "notANumber":
      return {
        message: `"${typed}" is not a number; write powers of ten with E (1.2E5 for 1.2×10⁵).`,
        messageZh: `“${typed}”不是数值；10 的幂次请用 E 表示（1.2×10⁵ 写作 1.2E5）。`,
      };
  }
}

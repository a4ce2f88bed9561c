// Check-character algorithms a pattern domain can require after its regular expression.
import { checkIdNumber } from "../synthetic/id-number.ts";
import { isValidLoinc } from "@health-chain/sdk";
import type { DomainCheck } from "./schema.ts";

export { isValidLoinc, loincCheckDigit } from "@health-chain/sdk";

/** The checks by name; each answers whether a value that already matched the domain's pattern is valid. */
export const CHECKS: Readonly<Record<DomainCheck, (value: string) => boolean>> = {
  // GB 11643-1999: a real birth date and the ISO 7064 MOD 11-2 check character.
  gb11643: (value) => checkIdNumber(value).valid,
  "loinc-mod10": isValidLoinc,
};

// Code formats accepted in criteria, as codes or prefixes (a criterion on "E11" means every type 2
// diabetes code). The full-code patterns are those of services/his (config/standard/value-domains.json,
// HCV.ICD10 and HCV.ATC); a criterion may also stop at a higher level of the hierarchy.

/**
 * ICD-10 category ("E11") or subcategory with the Chinese national extension digits ("E11.9",
 * "E11.900"), as in HCV.ICD10 (ICD-10, GB/T 14396).
 */
export const ICD10_CRITERION_PATTERN = /^[A-Z][0-9][0-9A-Z](\.[0-9A-Za-z]{1,7})?$/;

/**
 * ATC code at any of its five levels (WHO Collaborating Centre, "Guidelines for ATC classification",
 * structure: anatomical main group 1 letter, therapeutic 2 digits, pharmacological 1 letter, chemical
 * 1 letter, substance 2 digits): "A", "A10", "A10B", "A10BA", "A10BA02".
 */
export const ATC_CRITERION_PATTERN = /^[ABCDGHJLMNPRSV]([0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?)?$/;

/**
 * How a recorded code is matched by a criterion code, as the two strings both evaluators test:
 * `code = exact OR code starts with prefix`. A bare category "E11" must not match "E110" (not a code)
 * but must match "E11" and "E11.x", so its prefix carries the dot; a dotted code is its own prefix.
 */
export function icd10Match(criterion: string): { readonly exact: string; readonly prefix: string } {
  return { exact: criterion, prefix: criterion.includes(".") ? criterion : `${criterion}.` };
}

// The criteria tree as submitted by a sponsor: JSON validated with zod, types derived from the schema.
// Structure only here (shapes, types, unknown keys, formats of single values); cross-node rules
// (ids, references, cycles, units of the analyte) are in validate.ts.
import { isValidLoinc } from "@health-chain/sdk";
import { z } from "zod";
import { ATC_CRITERION_PATTERN, ICD10_CRITERION_PATTERN } from "./codes.ts";

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Whether a text is a real calendar date written YYYY-MM-DD (2023-02-29 is not). */
export function isIsoDate(text: string): boolean {
  if (!ISO_DATE.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

// `params.reason` names the rule for the bilingual messages of parse.ts.
const isoDate = z.string().refine(isIsoDate, { params: { reason: "date" } });
const leafId = z.string().refine((id) => /^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(id), { params: { reason: "id" } });

/** A time window on the events of a leaf: both ends inclusive. */
export const TimeWindowSchema = z.strictObject({ from: isoDate.optional(), to: isoDate.optional() });

/**
 * A temporal relation: the leaf's event falls 0 to `days` days (inclusive) after the anchor event of
 * the leaf `after` — its first, last or any qualifying event.
 */
export const WithinSchema = z.strictObject({
  days: z.int().min(0).max(36_600),
  after: leafId,
  anchor: z.enum(["first", "last", "any"]).default("first"),
});

const eventLeaf = {
  id: leafId.optional(),
  window: TimeWindowSchema.optional(),
  within: WithinSchema.optional(),
};

export const DiagnosisSchema = z.strictObject({
  type: z.literal("diagnosis"),
  codes: z.array(z.string().refine((c) => ICD10_CRITERION_PATTERN.test(c), { params: { reason: "icd10" } })).min(1),
  ...eventLeaf,
});

export const MedicationSchema = z.strictObject({
  type: z.literal("medication"),
  codes: z.array(z.string().refine((c) => ATC_CRITERION_PATTERN.test(c), { params: { reason: "atc" } })).min(1),
  ...eventLeaf,
});

/** `value` for > >= < <= =, `low` and `high` (both inclusive) for between. */
export const LabSchema = z.strictObject({
  type: z.literal("lab"),
  loinc: z.string().refine(isValidLoinc, { params: { reason: "loinc" } }),
  comparator: z.enum([">", ">=", "<", "<=", "=", "between"]),
  value: z.number().optional(),
  low: z.number().optional(),
  high: z.number().optional(),
  unit: z.string(),
  ...eventLeaf,
});

/** Residents' attributes; age in completed years at the evaluation's index date, both ends inclusive. */
export const DemographicSchema = z.strictObject({
  type: z.literal("demographic"),
  id: leafId.optional(),
  // GB/T 2261.1-2003: 0 unknown, 1 male, 2 female, 9 not stated.
  sex: z.array(z.enum(["0", "1", "2", "9"])).min(1).optional(),
  age: z.strictObject({ min: z.int().min(0).max(150).optional(), max: z.int().min(0).max(150).optional() }).optional(),
  region: z.array(z.string().min(1)).min(1).optional(),
});

export const AndSchema = z.strictObject({
  type: z.literal("and"),
  get children() {
    return z.array(CriteriaSchema).min(1);
  },
});

export const OrSchema = z.strictObject({
  type: z.literal("or"),
  get children() {
    return z.array(CriteriaSchema).min(1);
  },
});

export const NotSchema = z.strictObject({
  type: z.literal("not"),
  get child() {
    return CriteriaSchema;
  },
});

export const CriteriaSchema = z.discriminatedUnion("type", [
  AndSchema,
  OrSchema,
  NotSchema,
  DiagnosisSchema,
  LabSchema,
  MedicationSchema,
  DemographicSchema,
]);

export type TimeWindow = z.infer<typeof TimeWindowSchema>;
export type Within = z.infer<typeof WithinSchema>;
export type DiagnosisCriterion = z.infer<typeof DiagnosisSchema>;
export type LabCriterion = z.infer<typeof LabSchema>;
export type MedicationCriterion = z.infer<typeof MedicationSchema>;
export type DemographicCriterion = z.infer<typeof DemographicSchema>;
export type Criteria = z.infer<typeof CriteriaSchema>;
/** A leaf with dated events (diagnoses, lab results, medications): may carry a window and a relation. */
export type EventCriterion = DiagnosisCriterion | LabCriterion | MedicationCriterion;
export type LeafCriterion = EventCriterion | DemographicCriterion;

// The shapes of the standard-model configuration (data elements, value domains, record models) and of
// a source's mapping rules, declared once with zod; the TypeScript types are derived from them. These
// schemas check structure only; references between entries are checked in standard.ts and rules.ts.
import { z } from "zod";
import { OPTIONAL_FIELDS, type RecordKind } from "../synthetic/records.ts";

/** A WS 363 data element identifier (DEss.gg.nnn.vv), or a local extension (HC.gg.nnn). */
export const ELEMENT_ID = /^(DE\d{2}\.\d{2}\.\d{3}\.\d{2}|HC\.\d{2}\.\d{3})$/;
/** A value domain identifier: a standard's table id (CV06.00.102, GB/T 2261.1, HL7-0078) or a local one (HCV.…). */
export const DOMAIN_ID = /^[A-Z][A-Za-z0-9./ _-]{1,39}$/;
export const MODEL_ID = /^[a-z][a-z0-9-]{0,39}$/;
/** A member is the JSON key in the standard record: camelCase. */
export const MEMBER_NAME = /^[a-z][A-Za-z0-9]{0,39}$/;
/** A category name; the on-chain category id is keccak256("category:" + name). */
export const CATEGORY_NAME = /^[A-Z][A-Z0-9_]{0,39}$/;
/** A consent field name; the on-chain field id is keccak256("field:" + name). */
export const FIELD_NAME = /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$/;
/** Most members per record model: a record's field list must fit one consent scope (LIMITS.maxScopeItems). */
export const MAX_MEMBERS = 32;

const text = (max: number) => z.string().trim().min(1).max(max);

/** WS/T 303 data types: S1 free text, S2 enumerated (≤ 3 values), S3 coded, N number, D date, DT date-time, L boolean. */
export const DATA_TYPES = ["S1", "S2", "S3", "N", "D", "DT", "L"] as const;
export type DataType = (typeof DATA_TYPES)[number];

export const dataElementSchema = z.strictObject({
  id: z.string().regex(ELEMENT_ID),
  /** The standard that defines it ("WS 363.3-2011", …) or "local" for an extension of this platform. */
  standard: text(60),
  nameZh: text(60),
  nameEn: text(120),
  definition: text(500).optional(),
  type: z.enum(DATA_TYPES),
  /** WS/T 303 representation format: A..50, AN..18, N1, N2..3, N..5,1, D8, DT15, T/F. */
  format: text(20),
  /** The value domain the values must belong to, or null. */
  domain: z.string().regex(DOMAIN_ID).nullable(),
  /** The fixed unit of a measurement (UCUM where it has one), or null. */
  unit: text(20).nullable(),
});
export type DataElement = z.infer<typeof dataElementSchema>;

const domainBase = {
  id: z.string().regex(DOMAIN_ID),
  standard: text(60),
  nameZh: text(60),
  nameEn: text(120),
};

/** Checks a pattern domain may add after its regular expression. */
export const DOMAIN_CHECKS = ["gb11643", "loinc-mod10"] as const;
export type DomainCheck = (typeof DOMAIN_CHECKS)[number];

const codeListDomain = z.strictObject({
  ...domainBase,
  kind: z.literal("code-list"),
  codes: z.array(z.strictObject({ code: text(20), nameZh: text(60), nameEn: text(120) })).min(1),
});
const patternDomain = z.strictObject({
  ...domainBase,
  kind: z.literal("pattern"),
  /** An ECMAScript regular expression the whole value must match (anchor it with ^…$). */
  pattern: text(300),
  check: z.enum(DOMAIN_CHECKS).nullable(),
});
const rangeDomain = z.strictObject({
  ...domainBase,
  kind: z.literal("range"),
  min: z.number().nullable(),
  max: z.number().nullable(),
});
const dictionaryDomain = z.strictObject({
  ...domainBase,
  kind: z.literal("dictionary"),
  /** The standard dictionary the code-mapping service maps local codes into. */
  dictionary: text(60),
  /** Its code system URI (http://loinc.org). */
  system: text(200),
  /** What every code of the dictionary looks like, checked on the mapped code. */
  pattern: text(300),
  check: z.enum(DOMAIN_CHECKS).nullable(),
});
export const valueDomainSchema = z.discriminatedUnion("kind", [codeListDomain, patternDomain, rangeDomain, dictionaryDomain]);
export type ValueDomain = z.infer<typeof valueDomainSchema>;
export type CodeListDomain = z.infer<typeof codeListDomain>;
export type PatternDomain = z.infer<typeof patternDomain>;
export type RangeDomain = z.infer<typeof rangeDomain>;
export type DictionaryDomain = z.infer<typeof dictionaryDomain>;

export const modelMemberSchema = z.strictObject({
  /** The JSON key in the standard record. */
  name: z.string().regex(MEMBER_NAME),
  element: z.string().regex(ELEMENT_ID),
  required: z.boolean(),
  /** A list of values of the element (e.g. the discharge diagnoses); absent when empty. */
  many: z.boolean().optional(),
  /** The consent field the member belongs to. */
  field: z.string().regex(FIELD_NAME).max(60),
});
export type ModelMember = z.infer<typeof modelMemberSchema>;

export const recordModelSchema = z.strictObject({
  id: z.string().regex(MODEL_ID),
  /** From 1; it is the record's schemaVersion on chain. */
  version: z.int().min(1),
  nameZh: text(60),
  nameEn: text(120),
  category: z.string().regex(CATEGORY_NAME),
  description: text(1000).optional(),
  members: z.array(modelMemberSchema).min(1),
});
export type RecordModel = z.infer<typeof recordModelSchema>;

/** The standard as configuration: what loadStandard reads from config/standard/ and validateStandard checks. */
export const standardSchema = z.strictObject({
  elements: z.array(dataElementSchema).min(1),
  domains: z.array(valueDomainSchema),
  models: z.array(recordModelSchema).min(1),
});
export type StandardConfig = z.infer<typeof standardSchema>;

// ---------------------------------------------------------------- mapping rules

/** Where a value comes from in a SourceItem: an envelope member or `fields.<member>` of the payload. */
export const ENVELOPE_PATHS = ["institutionCode", "sourceKey", "patientId", "changedAt"] as const;
const sourcePath = z.union([z.enum(ENVELOPE_PATHS), z.string().regex(/^fields\.[A-Za-z][A-Za-z0-9_]{0,63}$/)]);
export type SourcePath = z.infer<typeof sourcePath>;

const scalar = z.union([z.string(), z.number(), z.boolean()]);

/** The closed set of transforms a rule may apply. */
export const TRANSFORMS = ["copy", "trim", "date", "datetime", "decimal", "integer", "code", "dictionary", "constant", "join"] as const;
export type TransformName = (typeof TRANSFORMS)[number];

export const memberRuleSchema = z.discriminatedUnion("transform", [
  z.strictObject({ transform: z.enum(["copy", "trim", "date", "datetime", "decimal", "integer"]), from: sourcePath }),
  /** Through the rules' value map `values` (source spelling → standard code). */
  z.strictObject({ transform: z.literal("code"), from: sourcePath, values: text(40) }),
  /** Local lab code, name and unit → standard code through the code-mapping service (institution from the envelope). */
  z.strictObject({ transform: z.literal("dictionary"), code: sourcePath, name: sourcePath, unit: sourcePath.optional() }),
  z.strictObject({ transform: z.literal("constant"), value: scalar }),
  z.strictObject({ transform: z.literal("join"), from: z.union([sourcePath, z.array(sourcePath).min(1)]), separator: z.string().max(10) }),
]);
export type MemberRule = z.infer<typeof memberRuleSchema>;

export const kindRuleSchema = z.strictObject({
  model: z.string().regex(MODEL_ID),
  modelVersion: z.int().min(1),
  /** Member → where it comes from; an optional member without a rule is always absent. */
  members: z.record(z.string().regex(MEMBER_NAME), memberRuleSchema),
});
export type KindRule = z.infer<typeof kindRuleSchema>;

/** The record kinds of the interchange vocabulary. */
export const RECORD_KINDS = Object.keys(OPTIONAL_FIELDS) as [RecordKind, ...RecordKind[]];

export const mappingRulesSchema = z.strictObject({
  /** The source format the rules are for ("sql", "fhir-r4", "hl7v2"); also the configuration's name. */
  source: z.string().regex(/^[a-z][a-z0-9-]{0,39}$/),
  description: text(1000).optional(),
  /** Named value maps: source spelling → standard code (keys compared trimmed and case-insensitively). */
  valueMaps: z.record(text(40), z.record(z.string(), z.string().min(1))),
  kinds: z.partialRecord(z.enum(RECORD_KINDS), kindRuleSchema),
});
export type MappingRules = z.infer<typeof mappingRulesSchema>;

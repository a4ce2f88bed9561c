// A policy compiled into one function over records: each rule turned once into a closure with its
// secret or key already resolved, so that a whole export costs a map lookup and the action per member.
// A value an action cannot handle (a date that is not one, an address without a province) becomes
// null and is reported as "unusable": it is never passed through as it was.
import { platformError } from "@health-chain/sdk";
import { truncateAddress } from "./address.ts";
import { type ParsedDate, ageOn, parseDate, shiftDate, todayInChina, truncateDate } from "./dates.ts";
import { encryptValue } from "./encrypt.ts";
import { type KeyedHmac, dateShiftDays, hashValue, keyedHmac, personRefOf, pseudonymOf, valueText } from "./keyed.ts";
import { maskText } from "./mask.ts";
import { boundsBand, roundToStep, widthBand } from "./numbers.ts";
import {
  DEFAULT_AGE_BAND_TOP, DEFAULT_AGE_BAND_WIDTH, DEFAULT_HASH_LENGTH, DEFAULT_MASK_CHAR, DEFAULT_PERSON_KEY_FIELD, DEFAULT_PSEUDONYM_LENGTH,
  type DeidPolicy, type DeidRule, type DeidRuleObject, type GeneraliseRule, PERSON_REF_FIELD,
} from "./policy.ts";
import type { DeidSecrets } from "./secrets.ts";
import { validateDeidPolicy } from "./validate.ts";

/** A record in the standard model: its model, its content, and fields of its own (personId, institution, …). */
export interface DeidRecordInput {
  readonly model: string;
  readonly content: Readonly<Record<string, unknown>> | null;
  readonly [field: string]: unknown;
}

/** A de-identified record: the model, the content as the policy made it, `personRef` when the policy adds it. */
export interface DeidRecordOutput {
  model: string;
  content: Record<string, unknown> | null;
  [field: string]: unknown;
}

/** Per call: whose record it is and the day ages are computed at. */
export interface DeidContext {
  /** The person's key (EMPI person id); overrides the record's `personKeyField`. null: none known. */
  readonly personKey?: string | null;
  /** YYYY-MM-DD; overrides the compile-time reference date for age bands. */
  readonly referenceDate?: string;
}

export type DeidOutcome = "done" | "null" | "unusable";

/** Why a value could not be de-identified (it became null). */
export type DeidUnusableReason =
  | "not-text"
  | "not-a-date"
  | "not-a-number"
  | "address-unrecognised"
  | "no-person-key"
  | "birth-after-reference";

/** What happened to one member of one record. Entries are shared between records: do not change them. */
export interface DeidApplied {
  /** Where: "patient.idNumber" (content), "record.institution" (record field), "personRef". */
  readonly member: string;
  /** The output member name; null when dropped. */
  readonly output: string | null;
  /** "keep", "drop", "mask", "replace", "hash", "encrypt", or "generalise:<method>". */
  readonly action: string;
  /** A rule of the policy, or the default for members no rule names. */
  readonly by: "rule" | "default";
  readonly outcome: DeidOutcome;
  readonly reason?: DeidUnusableReason;
}

export interface DeidResult {
  readonly record: DeidRecordOutput;
  readonly applied: readonly DeidApplied[];
}

export type DeidTransform = (record: DeidRecordInput, context?: DeidContext) => DeidResult;

export interface CompileDeidOptions {
  /** Resolves the policy's secret ids and key ids; required when it names any. */
  readonly secrets?: DeidSecrets;
  /** YYYY-MM-DD ages are computed at when neither the rule nor the context says; default today (UTC+8). */
  readonly referenceDate?: string;
}

// ---- per-record state ----

class Unusable {
  readonly reason: DeidUnusableReason;
  constructor(reason: DeidUnusableReason) {
    this.reason = reason;
  }
}

const UNUSABLE: Readonly<Record<DeidUnusableReason, Unusable>> = {
  "not-text": new Unusable("not-text"),
  "not-a-date": new Unusable("not-a-date"),
  "not-a-number": new Unusable("not-a-number"),
  "address-unrecognised": new Unusable("address-unrecognised"),
  "no-person-key": new Unusable("no-person-key"),
  "birth-after-reference": new Unusable("birth-after-reference"),
};

interface RecordState {
  readonly personKey: string | null;
  readonly reference: ParsedDate;
  /** The person's date offset, computed at the first date-shift of the record. */
  shift: number | undefined;
}

type Apply = (value: unknown, state: RecordState) => unknown;

interface CompiledRule {
  readonly output: string | null;
  readonly apply: Apply;
  readonly done: DeidApplied;
  readonly nulled: DeidApplied;
  readonly unusable: Readonly<Record<DeidUnusableReason, DeidApplied>>;
}

interface CompiledModel {
  readonly rules: ReadonlyMap<string, CompiledRule>;
  /** Output names rules write: a member kept by default never overwrites one. */
  readonly outputs: ReadonlySet<string>;
  readonly defaultKeep: boolean;
  readonly defaults: Map<string, DeidApplied>;
}

const REASONS = Object.keys(UNUSABLE) as DeidUnusableReason[];

function entries(member: string, output: string | null, action: string, by: "rule" | "default"): Pick<CompiledRule, "done" | "nulled" | "unusable"> {
  const base = { member, output, action, by };
  const unusable = Object.fromEntries(REASONS.map((reason) => [reason, Object.freeze({ ...base, outcome: "unusable" as const, reason })]));
  return {
    done: Object.freeze({ ...base, outcome: "done" as const }),
    nulled: Object.freeze({ ...base, outcome: "null" as const }),
    unusable: unusable as Record<DeidUnusableReason, DeidApplied>,
  };
}

const NUMERIC = /^\s*-?(?:\d+\.?\d*|\.\d+)\s*$/;

function numberOf(value: unknown): number | Unusable {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string" && NUMERIC.test(value)) return Number(value);
  return UNUSABLE["not-a-number"];
}

const textOf = (value: unknown): string | Unusable =>
  typeof value === "string" ? value : typeof value === "number" && Number.isFinite(value) ? String(value) : UNUSABLE["not-text"];

// ---- compiling ----

interface Resolved {
  readonly secrets: DeidSecrets | undefined;
  readonly policy: DeidPolicy;
  /** Keyed HMACs by secret id, each set up once. */
  readonly hmacs: Map<string, KeyedHmac>;
  readonly personCache: Map<string, number>;
}

function needSecrets(resolved: Pick<Resolved, "secrets" | "policy">, what: string): DeidSecrets {
  if (resolved.secrets !== undefined) return resolved.secrets;
  throw platformError("INVALID_INPUT", {
    details: { policy: resolved.policy.name, needs: what },
    message: `The policy "${resolved.policy.name}" uses ${what}: pass a DeidSecrets provider (secrets) to resolve it.`,
    messageZh: `策略“${resolved.policy.name}”使用了 ${what}：请传入 DeidSecrets 密钥提供者（secrets）以解析它。`,
  });
}

function hmacOf(resolved: Resolved, secretId: string): KeyedHmac {
  let hmac = resolved.hmacs.get(secretId);
  if (hmac === undefined) {
    hmac = keyedHmac(needSecrets(resolved, `the secret "${secretId}"`).secret(secretId));
    resolved.hmacs.set(secretId, hmac);
  }
  return hmac;
}

/**
 * Bound on every per-value cache: an export of millions of persons must not keep them all. Records of
 * one person and one encounter come together in an export, so a small cache catches most repeats.
 */
const CACHE_LIMIT = 10_000;

/** `derive` memoised per value: keys (persons, encounters, ID numbers) repeat across an export's records. */
function memo(derive: (text: string) => string): (text: string) => string {
  const cache = new Map<string, string>();
  return (text) => {
    let result = cache.get(text);
    if (result === undefined) {
      if (cache.size >= CACHE_LIMIT) cache.clear();
      result = derive(text);
      cache.set(text, result);
    }
    return result;
  };
}

function personShift(resolved: Resolved, personKey: string): number {
  let shift = resolved.personCache.get(personKey);
  if (shift === undefined) {
    if (resolved.personCache.size >= CACHE_LIMIT) resolved.personCache.clear();
    shift = dateShiftDays(hmacOf(resolved, resolved.policy.dateShift!.secretId), personKey, resolved.policy.dateShift!.maxDays);
    resolved.personCache.set(personKey, shift);
  }
  return shift;
}

function generaliser(rule: GeneraliseRule, resolved: Resolved): Apply {
  switch (rule.method) {
    case "age-band": {
      const width = rule.width ?? DEFAULT_AGE_BAND_WIDTH;
      const top = rule.top ?? DEFAULT_AGE_BAND_TOP;
      const fixed = rule.referenceDate === undefined ? null : parseDate(rule.referenceDate);
      return (value, state) => {
        if (typeof value !== "string") return UNUSABLE["not-a-date"];
        const birth = parseDate(value);
        if (birth === null) return UNUSABLE["not-a-date"];
        const age = ageOn(birth, fixed ?? state.reference);
        if (age < 0) return UNUSABLE["birth-after-reference"];
        if (age >= top) return `${top}+`;
        const lo = Math.floor(age / width) * width;
        const hi = Math.min(lo + width - 1, top - 1);
        return lo === hi ? `${lo}` : `${lo}-${hi}`;
      };
    }
    case "date-shift":
      return (value, state) => {
        if (typeof value !== "string") return UNUSABLE["not-a-date"];
        if (state.personKey === null) return parseDate(value) === null ? UNUSABLE["not-a-date"] : UNUSABLE["no-person-key"];
        state.shift ??= personShift(resolved, state.personKey);
        return shiftDate(value, state.shift) ?? UNUSABLE["not-a-date"];
      };
    case "date-truncate": {
      const to = rule.to;
      return (value) => (typeof value === "string" ? truncateDate(value, to) ?? UNUSABLE["not-a-date"] : UNUSABLE["not-a-date"]);
    }
    case "address-truncate": {
      const level = rule.level;
      return (value) => (typeof value === "string" ? truncateAddress(value, level) ?? UNUSABLE["address-unrecognised"] : UNUSABLE["not-text"]);
    }
    case "number-round": {
      const step = rule.step;
      return (value) => {
        const n = numberOf(value);
        return n instanceof Unusable ? n : roundToStep(n, step);
      };
    }
    case "number-range": {
      if ("width" in rule) {
        const width = rule.width;
        return (value) => {
          const n = numberOf(value);
          return n instanceof Unusable ? n : widthBand(n, width);
        };
      }
      const { bounds, labels } = rule;
      return (value) => {
        const n = numberOf(value);
        return n instanceof Unusable ? n : boundsBand(n, bounds, labels);
      };
    }
  }
}

function actionLabel(rule: DeidRuleObject): string {
  return rule.action === "generalise" ? `generalise:${rule.method}` : rule.action;
}

function compileRule(rule: DeidRule, location: string, member: string, resolved: Resolved): CompiledRule {
  const object: DeidRuleObject = typeof rule === "string" ? { action: rule } : rule;
  const output = object.action === "drop" ? null : (object.as ?? member);
  const apply = ((): Apply => {
    switch (object.action) {
      case "keep":
      case "drop":
        return (value) => value;
      case "mask": {
        const first = object.keepFirst ?? 0;
        const last = object.keepLast ?? 0;
        const char = object.char ?? DEFAULT_MASK_CHAR;
        return (value) => {
          const text = textOf(value);
          return text instanceof Unusable ? text : maskText(text, first, last, char);
        };
      }
      case "replace": {
        if ("value" in object) {
          const constant = object.value;
          return () => constant;
        }
        const spec = object.pseudonym;
        const hmac = hmacOf(resolved, spec.secretId);
        const prefix = spec.prefix ?? "";
        const length = spec.length ?? DEFAULT_PSEUDONYM_LENGTH;
        const derive = memo((text) => pseudonymOf(hmac, text, prefix, length));
        return (value) => derive(valueText(value));
      }
      case "generalise":
        return generaliser(object, resolved);
      case "hash": {
        const hmac = hmacOf(resolved, object.secretId);
        const length = object.length ?? DEFAULT_HASH_LENGTH;
        const normalise = object.normalise ?? "trim";
        const derive = memo((text) => hashValue(hmac, text, normalise, length));
        return (value) => derive(valueText(value));
      }
      case "encrypt": {
        const ring = needSecrets(resolved, `the key "${object.keyId}"`).keyRing(object.keyId);
        if (ring.currentKeyId !== object.keyId) {
          throw platformError("INVALID_INPUT", {
            details: { keyId: object.keyId, currentKeyId: ring.currentKeyId },
            message: `The key ring given for "${object.keyId}" seals with "${ring.currentKeyId}"; its current key must be the one the policy names.`,
            messageZh: `为“${object.keyId}”提供的密钥环当前密钥为“${ring.currentKeyId}”；其当前密钥必须是策略指定的密钥。`,
          });
        }
        const encoding = object.encoding ?? "base64url";
        return (value) => encryptValue(ring, value, location, encoding);
      }
    }
  })();
  return { output, apply, ...entries(location, output, actionLabel(object), "rule") };
}

function compileModel(model: string, rules: Readonly<Record<string, DeidRule>> | undefined, resolved: Resolved): CompiledModel {
  const compiled = new Map<string, CompiledRule>();
  const outputs = new Set<string>();
  for (const [member, rule] of Object.entries(rules ?? {})) {
    if (member === "*") continue;
    const one = compileRule(rule, `${model}.${member}`, member, resolved);
    compiled.set(member, one);
    if (one.output !== null) outputs.add(one.output);
  }
  const wildcard = rules?.["*"];
  const defaultKeep = (wildcard ?? resolved.policy.defaultAction ?? "drop") === "keep";
  return { rules: compiled, outputs, defaultKeep, defaults: new Map() };
}

const DEFAULT_ENTRY_CACHE_LIMIT = 1_000;

function defaultEntry(model: CompiledModel, location: string, keep: boolean, output: string): DeidApplied {
  let entry = model.defaults.get(location);
  if (entry === undefined) {
    entry = Object.freeze({ member: location, output: keep ? output : null, action: keep ? "keep" : "drop", by: "default" as const, outcome: "done" as const });
    // Member names come from the data: bound the cache against a source that invents them.
    if (model.defaults.size < DEFAULT_ENTRY_CACHE_LIMIT) model.defaults.set(location, entry);
  }
  return entry;
}

function checkRecord(record: unknown): asserts record is DeidRecordInput {
  const r = typeof record === "object" && record !== null ? (record as Partial<DeidRecordInput>) : null;
  const content = r?.content;
  const ok = r !== null && typeof r.model === "string" && r.model !== "" && (content === null || (typeof content === "object" && !Array.isArray(content)));
  if (!ok) {
    throw platformError("INVALID_INPUT", {
      details: { what: "record", reason: "shape" },
      message: "A record to de-identify is an object { model: string, content: object | null, … }.",
      messageZh: "待脱敏记录应为对象 { model: 字符串, content: 对象或 null, … }。",
    });
  }
}

function referenceOf(text: string, what: string): ParsedDate {
  const parsed = text.length === 10 ? parseDate(text) : null;
  if (parsed === null) {
    throw platformError("INVALID_INPUT", {
      details: { what, value: text },
      message: `The ${what} must be a day written YYYY-MM-DD.`,
      messageZh: `${what === "referenceDate" ? "参考日期" : what}应为 YYYY-MM-DD 格式的日期。`,
    });
  }
  return parsed;
}

/**
 * Compiles a policy (validated here; INVALID_INPUT naming the rule when it is not) into a function
 * from a record to its de-identified form and what was applied to each member. Every secret and key
 * the policy names is resolved now: a missing one fails here, before any record is touched.
 */
export function compileDeidPolicy(policyInput: unknown, options: CompileDeidOptions = {}): DeidTransform {
  const policy = validateDeidPolicy(policyInput);
  const resolved: Resolved = { secrets: options.secrets, policy, hmacs: new Map(), personCache: new Map() };
  // Resolved now, not at the first dated record: a missing secret fails before anything is done.
  if (policy.dateShift !== undefined) hmacOf(resolved, policy.dateShift.secretId);
  const defaultReference = referenceOf(options.referenceDate ?? todayInChina(), "referenceDate");
  let lastReference: { text: string; parsed: ParsedDate } | null = null;

  const models = new Map<string, CompiledModel>();
  for (const [model, rules] of Object.entries(policy.rules)) models.set(model, compileModel(model, rules, resolved));
  const modelOf = (name: string): CompiledModel => {
    let found = models.get(name);
    if (found === undefined) {
      found = compileModel(name, undefined, resolved);
      if (models.size < DEFAULT_ENTRY_CACHE_LIMIT) models.set(name, found);
    }
    return found;
  };
  const fields = compileModel("record", policy.recordFields, resolved);
  const personKeyField = policy.personKeyField ?? DEFAULT_PERSON_KEY_FIELD;
  let refOf: ((personKey: string) => string) | undefined;
  if (policy.personRef !== undefined) {
    const hmac = hmacOf(resolved, policy.personRef.secretId);
    const length = policy.personRef.length ?? DEFAULT_PSEUDONYM_LENGTH;
    refOf = memo((personKey) => personRefOf(hmac, personKey, length));
  }
  const refEntries = entries(PERSON_REF_FIELD, PERSON_REF_FIELD, "hash", "rule");

  const run = (rule: CompiledRule, value: unknown, state: RecordState, applied: DeidApplied[]): unknown => {
    if (rule.output === null) {
      applied.push(rule.done);
      return undefined;
    }
    if (value === null) {
      applied.push(rule.nulled);
      return null;
    }
    const result = rule.apply(value, state);
    if (result instanceof Unusable) {
      applied.push(rule.unusable[result.reason]);
      return null;
    }
    applied.push(rule.done);
    return result;
  };

  return (record, context = {}) => {
    checkRecord(record);
    let reference = defaultReference;
    if (context.referenceDate !== undefined) {
      if (lastReference?.text !== context.referenceDate) lastReference = { text: context.referenceDate, parsed: referenceOf(context.referenceDate, "referenceDate") };
      reference = lastReference.parsed;
    }
    const rawKey = context.personKey !== undefined ? context.personKey : record[personKeyField];
    const personKey = typeof rawKey === "string" && rawKey !== "" ? rawKey : typeof rawKey === "number" ? String(rawKey) : null;
    const state: RecordState = { personKey, reference, shift: undefined };
    const applied: DeidApplied[] = [];
    const out: DeidRecordOutput = { model: record.model, content: null };

    for (const field of Object.keys(record)) {
      if (field === "model" || field === "content") continue;
      const rule = fields.rules.get(field);
      if (rule === undefined) {
        applied.push(defaultEntry(fields, `record.${field}`, false, field));
        continue;
      }
      const value = run(rule, record[field], state, applied);
      if (rule.output !== null) out[rule.output] = value;
    }

    const model = modelOf(record.model);
    const content = record.content;
    if (content !== null) {
      const result: Record<string, unknown> = {};
      for (const member of Object.keys(content)) {
        const value = content[member];
        if (value === undefined) continue;
        const rule = model.rules.get(member);
        if (rule === undefined) {
          // "__proto__" (an own member after JSON.parse) would set the output's prototype: never kept.
          const keep = model.defaultKeep && !model.outputs.has(member) && member !== "__proto__";
          applied.push(defaultEntry(model, `${record.model}.${member}`, keep, member));
          if (keep) result[member] = value;
          continue;
        }
        const transformed = run(rule, value, state, applied);
        if (rule.output !== null) result[rule.output] = transformed;
      }
      out.content = result;
    }

    if (refOf !== undefined) {
      if (personKey === null) {
        applied.push(refEntries.unusable["no-person-key"]);
        out[PERSON_REF_FIELD] = null;
      } else {
        applied.push(refEntries.done);
        out[PERSON_REF_FIELD] = refOf(personKey);
      }
    }
    return { record: out, applied };
  };
}

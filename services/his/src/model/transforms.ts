// The closed set of transforms a mapping rule may apply (copy, trim, date, datetime, decimal,
// integer, code, dictionary, constant, join), each compiled once into a closure over the rule so
// that mapping a record reads no JSON configuration.
import type { SourceItem, SourceValue } from "../adapters/types.ts";
import type { CodeMapper } from "../mapping/index.ts";
import { proposeCached } from "./dictionary-cache.ts";
import { canonicalDate, canonicalDateTime } from "./representation.ts";
import type { MapNote, ProblemReason, ProblemStage } from "./result.ts";
import type { MemberRule, SourcePath } from "./schema.ts";

/** The member has no value (null, undefined, an empty string or list). */
export const ABSENT: unique symbol = Symbol("absent");

const FAILED: unique symbol = Symbol("failed");

export interface TransformFailure {
  readonly [FAILED]: true;
  readonly stage: ProblemStage;
  readonly reason: ProblemReason;
  readonly en: string;
  readonly zh: string;
  readonly value: SourceValue | undefined;
  readonly details?: { readonly [key: string]: SourceValue };
}

export type Outcome = SourceValue | typeof ABSENT | TransformFailure;

export function isFailure(outcome: Outcome): outcome is TransformFailure {
  return typeof outcome === "object" && outcome !== null && (outcome as Partial<TransformFailure>)[FAILED] === true;
}

function failure(reason: ProblemReason, en: string, zh: string, value: SourceValue | undefined, stage: ProblemStage = "map", details?: TransformFailure["details"]): TransformFailure {
  return { [FAILED]: true, stage, reason, en, zh, value, ...(details === undefined ? {} : { details }) };
}

/** What a transform may use besides the item: the code mapper and the record's notes. */
export interface TransformEnv {
  readonly codeMapper: CodeMapper | undefined;
  readonly notes: MapNote[];
}

export type Transform = (item: SourceItem, env: TransformEnv) => Outcome;
/** A transform of one value (what a `many` member applies to each of its values). */
export type ValueTransform = (raw: SourceValue | undefined) => Outcome;

type Reader = (item: SourceItem) => SourceValue | undefined;

export function reader(path: SourcePath): Reader {
  if (path.startsWith("fields.")) {
    const key = path.slice(7);
    return (item) => item.fields[key];
  }
  const key = path as "institutionCode" | "sourceKey" | "patientId" | "changedAt";
  return (item) => item[key];
}

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/;

const isScalar = (value: SourceValue): value is string | number | boolean => typeof value !== "object" || value === null;

export type ValueTransformName = "copy" | "trim" | "date" | "datetime" | "decimal" | "integer" | "code";

/** One-value transforms: the per-value part of copy, trim, date, datetime, decimal, integer and code. */
/** `valueMap` (for code) has its keys trimmed and in lower case. */
export function valueTransform(transform: ValueTransformName, valueMap?: ReadonlyMap<string, string>): ValueTransform {
  switch (transform) {
    case "copy":
      return (raw) => (raw === undefined || raw === null || raw === "" ? ABSENT : raw);
    case "trim":
      return (raw) => {
        if (raw === undefined || raw === null) return ABSENT;
        if (!isScalar(raw)) return failure("invalid-format", "expected text, got a structure", "应为文本，实际为结构化数据", raw);
        const text = String(raw).trim();
        return text === "" ? ABSENT : text;
      };
    case "date":
      return (raw) => {
        if (raw === undefined || raw === null || (typeof raw === "string" && raw.trim() === "")) return ABSENT;
        return canonicalDate(raw) ?? failure("invalid-format", "not a date (YYYY-MM-DD, YYYYMMDD or an ISO 8601 date-time)", "不是有效日期（YYYY-MM-DD、YYYYMMDD 或 ISO 8601 日期时间）", raw);
      };
    case "datetime":
      return (raw) => {
        if (raw === undefined || raw === null || (typeof raw === "string" && raw.trim() === "")) return ABSENT;
        return canonicalDateTime(raw) ?? failure("invalid-format", "not a date-time (ISO 8601, or YYYYMMDDhhmm[ss])", "不是有效日期时间（ISO 8601 或 YYYYMMDDhhmm[ss]）", raw);
      };
    case "decimal":
    case "integer": {
      const integer = transform === "integer";
      const what = integer ? { en: "an integer", zh: "整数" } : { en: "a number", zh: "数值" };
      return (raw) => {
        if (raw === undefined || raw === null) return ABSENT;
        let value: number;
        if (typeof raw === "number") value = raw;
        else if (typeof raw === "string") {
          const text = raw.trim();
          if (text === "") return ABSENT;
          if (!DECIMAL.test(text)) return failure("invalid-format", `not ${what.en}`, `不是${what.zh}`, raw);
          value = Number(text);
        } else return failure("invalid-format", `not ${what.en}`, `不是${what.zh}`, raw);
        if (!Number.isFinite(value) || (integer && !Number.isInteger(value))) return failure("invalid-format", `not ${what.en}`, `不是${what.zh}`, raw);
        return value;
      };
    }
    case "code": {
      const map = valueMap ?? new Map<string, string>();
      return (raw) => {
        if (raw === undefined || raw === null) return ABSENT;
        if (!isScalar(raw)) return failure("invalid-format", "expected a code, got a structure", "应为代码，实际为结构化数据", raw);
        const key = String(raw).trim();
        if (key === "") return ABSENT;
        // Unknown spellings pass through: a source may already send the standard code, and a
        // value outside the domain is reported by validation with the value the source sent.
        return map.get(key.toLowerCase()) ?? key;
      };
    }
  }
}

/** A whole-member transform for a single-valued member. */
export function memberTransform(rule: MemberRule, member: string, valueMap?: ReadonlyMap<string, string>): Transform {
  switch (rule.transform) {
    case "constant": {
      const value = rule.value;
      return () => value;
    }
    case "join": {
      const paths = typeof rule.from === "string" ? [rule.from] : rule.from;
      const readers = paths.map(reader);
      const separator = rule.separator;
      return (item) => {
        const parts: string[] = [];
        for (const read of readers) collectText(read(item), parts);
        return parts.length === 0 ? ABSENT : parts.join(separator);
      };
    }
    case "dictionary":
      return dictionaryTransform(rule, member);
    default: {
      const read = reader(rule.from);
      const apply = valueTransform(rule.transform, valueMap);
      return (item) => apply(read(item));
    }
  }
}

function collectText(value: SourceValue | undefined, into: string[]): void {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    for (const part of value as readonly SourceValue[]) collectText(part, into);
    return;
  }
  if (typeof value === "object") return;
  const text = String(value).trim();
  if (text !== "") into.push(text);
}

/** A transform for a `many` member: each value of the source list (or the single value) through `apply`. */
export function manyTransform(from: SourcePath, apply: ValueTransform): Transform {
  const read = reader(from);
  return (item) => {
    const raw = read(item);
    if (raw === undefined || raw === null) return ABSENT;
    const list: readonly SourceValue[] = Array.isArray(raw) ? (raw as readonly SourceValue[]) : [raw];
    const out: SourceValue[] = [];
    for (const value of list) {
      const outcome = apply(value);
      if (isFailure(outcome)) return outcome;
      if (outcome !== ABSENT) out.push(outcome);
    }
    return out.length === 0 ? ABSENT : out;
  };
}

function dictionaryTransform(rule: Extract<MemberRule, { transform: "dictionary" }>, member: string): Transform {
  const readCode = reader(rule.code);
  const readName = reader(rule.name);
  const readUnit = rule.unit === undefined ? () => undefined : reader(rule.unit);
  return (item, env) => {
    const rawCode = readCode(item);
    if (rawCode === undefined || rawCode === null || !isScalar(rawCode) || String(rawCode).trim() === "") return ABSENT;
    const localCode = String(rawCode).trim();
    const rawName = readName(item);
    const localName = rawName === undefined || rawName === null || !isScalar(rawName) ? "" : String(rawName).trim();
    const rawUnit = readUnit(item);
    const localUnit = rawUnit === undefined || rawUnit === null || !isScalar(rawUnit) ? "" : String(rawUnit).trim();
    if (env.codeMapper === undefined) {
      return failure("dictionary-unavailable", "no code-mapping service is configured for this run", "本次运行未配置字典对码服务", localCode, "code");
    }
    if (localName === "") {
      return failure("unknown-code", `local code ${localCode} comes without a local name to map by`, `本地代码 ${localCode} 缺少本地名称，无法对码`, localCode, "code");
    }
    let proposal;
    try {
      proposal = proposeCached(env.codeMapper, { institution: item.institutionCode, localCode, localName, localUnit });
    } catch {
      return failure("unknown-code", `local entry ${localCode} "${localName}" cannot be mapped`, `本地条目 ${localCode}“${localName}”无法对码`, localCode, "code");
    }
    if ((proposal.status === "auto" || proposal.status === "confirmed") && proposal.code !== null) {
      env.notes.push({
        kind: "code-mapping", member, status: proposal.status, localCode, code: proposal.code,
        method: proposal.method, score: proposal.score, dictionaryVersion: proposal.dictionaryVersion,
      });
      return proposal.code;
    }
    const details = {
      status: proposal.status,
      localCode,
      localName,
      localUnit,
      dictionaryVersion: proposal.dictionaryVersion,
      candidates: proposal.candidates.slice(0, 3).map((c) => ({ code: c.code, nameZh: c.nameZh, score: c.score })),
    };
    const why = proposal.reason;
    return proposal.status === "review"
      ? failure("code-under-review", `local code ${localCode} "${localName}" awaits a reviewer's decision${why ? `: ${why.en}` : ""}`, `本地代码 ${localCode}“${localName}”待人工复核${why ? `：${why.zh}` : ""}`, localCode, "code", details)
      : failure("unknown-code", `local code ${localCode} "${localName}" has no standard code${why ? `: ${why.en}` : ""}`, `本地代码 ${localCode}“${localName}”无对应标准代码${why ? `：${why.zh}` : ""}`, localCode, "code", details);
  };
}

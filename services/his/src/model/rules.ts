// A source's mapping rules (config/mapping-rules/<source>.json): for each record kind, the record
// model and version it maps to and, for each member, where its value comes from in the source item
// and which transform applies. Compiled once against a standard into closures; every reference is
// checked then, so a record is never mapped by rules that do not fit the standard.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { RecordKind } from "../synthetic/records.ts";
import { type ConfigProblem, schemaProblems, throwConfigProblems } from "./config-problems.ts";
import type { ElementChecker, Standard } from "./standard.ts";
import {
  type DataElement, type DataType, type MappingRules, type MemberRule, mappingRulesSchema, type RecordModel,
} from "./schema.ts";
import { manyTransform, memberTransform, type Transform, valueTransform, type ValueTransformName } from "./transforms.ts";

/** The rules' files: config/mapping-rules/<source>.json. */
export const DEFAULT_RULES_DIR = resolve(import.meta.dirname, "..", "..", "config", "mapping-rules");

export interface CompiledMember {
  readonly name: string;
  readonly element: DataElement;
  readonly required: boolean;
  readonly many: boolean;
  readonly field: string;
  /** Null for an optional member the rules do not fill (always absent). */
  readonly transform: Transform | null;
  readonly check: ElementChecker;
}

export interface CompiledKind {
  readonly kind: RecordKind;
  readonly model: RecordModel;
  readonly members: readonly CompiledMember[];
}

export interface CompiledRules {
  readonly source: string;
  readonly rules: MappingRules;
  /** The standard the rules were compiled against. */
  readonly standard: Standard;
  readonly kinds: ReadonlyMap<string, CompiledKind>;
}

const what = (source: string) => ({ en: `mapping rules of source "${source}"`, zh: `数据源“${source}”的映射规则` });

/** Checks the shape of mapping rules given as JSON (references are checked by compileRules). */
export function parseMappingRules(value: unknown): MappingRules {
  const parsed = mappingRulesSchema.safeParse(value);
  if (!parsed.success) {
    const source = value !== null && typeof value === "object" && typeof (value as { source?: unknown }).source === "string" ? (value as { source: string }).source : "?";
    throwConfigProblems(what(source), schemaProblems(value, parsed.error));
  }
  return parsed.data;
}

/** Reads config/mapping-rules/<source>.json (or from `dir`) and checks its shape. */
export function loadMappingRules(source: string, dir: string = DEFAULT_RULES_DIR): MappingRules {
  if (!/^[a-z][a-z0-9-]{0,39}$/.test(source)) {
    throwConfigProblems(what(source), [{ path: "source", problem: "not a source name", problemZh: "不是有效的数据源名称", value: source }]);
  }
  const path = join(dir, `${source}.json`);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8")) as unknown;
  } catch (error) {
    throwConfigProblems(what(source), [{ path, problem: `cannot read the rules: ${(error as Error).message}`, problemZh: "无法读取映射规则文件" }]);
  }
  const rules = parseMappingRules(value);
  if (rules.source !== source) {
    throwConfigProblems(what(source), [{ path: "source", problem: `the file ${source}.json holds the rules of "${rules.source}"`, problemZh: `文件 ${source}.json 中的规则属于“${rules.source}”`, value: rules.source }]);
  }
  return rules;
}

/** Which data types each transform produces. */
const PRODUCES: Readonly<Record<Exclude<MemberRule["transform"], "copy" | "constant">, readonly DataType[]>> = {
  trim: ["S1", "S2", "S3"],
  code: ["S1", "S2", "S3"],
  join: ["S1"],
  dictionary: ["S1", "S3"],
  date: ["D"],
  datetime: ["DT"],
  decimal: ["N"],
  integer: ["N"],
};

const VALUE_TRANSFORMS: readonly string[] = ["copy", "trim", "date", "datetime", "decimal", "integer", "code"];

/** Compiles mapping rules (JSON or parsed) against a standard; throws INVALID_INPUT naming every bad rule. */
export function compileRules(standard: Standard, value: unknown): CompiledRules {
  const rules = parseMappingRules(value);
  const problems: ConfigProblem[] = [];
  const add = (path: string, en: string, zh: string, bad?: unknown) => problems.push({ path, problem: en, problemZh: zh, ...(bad === undefined ? {} : { value: bad }) });

  // Value maps compare source spellings trimmed and case-insensitively ("M", "m", " male ").
  const valueMaps = new Map<string, Map<string, string>>();
  for (const [name, entries] of Object.entries(rules.valueMaps)) {
    const map = new Map<string, string>();
    for (const [from, to] of Object.entries(entries)) {
      const key = from.trim().toLowerCase();
      const earlier = map.get(key);
      if (earlier !== undefined && earlier !== to) add(`valueMaps.${name}.${from}`, `"${from}" maps to both ${earlier} and ${to} (keys are compared case-insensitively)`, `“${from}”同时映射到 ${earlier} 和 ${to}（键不区分大小写）`);
      map.set(key, to);
    }
    valueMaps.set(name, map);
  }
  // Each value map's targets are checked once per element it feeds, named by the key as written.
  const checkTargets = (name: string, check: ElementChecker, element: DataElement) => {
    for (const [from, to] of Object.entries(rules.valueMaps[name] ?? {})) {
      const failure = check(to);
      if (failure) add(`valueMaps.${name}.${from}`, `maps to ${to}, not a valid ${element.id}: ${failure.en}`, `映射到 ${to}，不是有效的 ${element.id}：${failure.zh}`, to);
    }
  };

  const kinds = new Map<string, CompiledKind>();
  for (const [kind, kindRule] of Object.entries(rules.kinds)) {
    if (kindRule === undefined) continue;
    const at = `kinds.${kind}`;
    const model = standard.models.get(kindRule.model);
    if (model === undefined) {
      add(`${at}.model`, `unknown record model ${kindRule.model}`, `记录模型 ${kindRule.model} 不存在`, kindRule.model);
      continue;
    }
    if (model.version !== kindRule.modelVersion) {
      add(`${at}.modelVersion`, `the rules are for ${model.id} version ${kindRule.modelVersion}, the standard has version ${model.version}`, `规则针对 ${model.id} 第 ${kindRule.modelVersion} 版，标准中为第 ${model.version} 版`, kindRule.modelVersion);
    }
    const memberNames = new Set(model.members.map((m) => m.name));
    for (const name of Object.keys(kindRule.members)) {
      if (!memberNames.has(name)) add(`${at}.members.${name}`, `${model.id} has no member ${name}`, `记录模型 ${model.id} 没有成员 ${name}`);
    }
    const members: CompiledMember[] = [];
    for (const member of model.members) {
      const element = standard.elements.get(member.element)!;
      const check = standard.checkers.get(member.element)!;
      const rule = kindRule.members[member.name];
      const many = member.many === true;
      if (rule === undefined) {
        if (member.required) add(`${at}.members.${member.name}`, `the required member ${member.name} has no rule`, `必填成员 ${member.name} 缺少映射规则`);
        members.push({ name: member.name, element, required: member.required, many, field: member.field, transform: null, check });
        continue;
      }
      const domainKind = element.domain === null ? null : standard.domains.get(element.domain)?.kind ?? null;
      const transform = compileMember(rule, { at: `${at}.members.${member.name}`, member: member.name, element, many, check, domainKind, valueMaps, add, checkTargets });
      members.push({ name: member.name, element, required: member.required, many, field: member.field, transform, check });
    }
    kinds.set(kind, { kind: kind as RecordKind, model, members });
  }
  if (problems.length > 0) throwConfigProblems(what(rules.source), problems);
  return { source: rules.source, rules, standard, kinds };
}

interface MemberContext {
  readonly at: string;
  readonly member: string;
  readonly element: DataElement;
  readonly many: boolean;
  readonly check: ElementChecker;
  readonly domainKind: string | null;
  readonly valueMaps: ReadonlyMap<string, ReadonlyMap<string, string>>;
  readonly add: (path: string, en: string, zh: string, bad?: unknown) => void;
  readonly checkTargets: (valueMap: string, check: ElementChecker, element: DataElement) => void;
}

function compileMember(rule: MemberRule, ctx: MemberContext): Transform | null {
  const { at, element, add } = ctx;
  const produces = rule.transform === "copy" || rule.transform === "constant" ? null : PRODUCES[rule.transform];
  if (produces !== null && !produces.includes(element.type)) {
    add(`${at}.transform`, `${rule.transform} does not produce data type ${element.type} of ${element.id}`, `转换 ${rule.transform} 不能生成数据元 ${element.id} 的类型 ${element.type}`, rule.transform);
    return null;
  }
  if (ctx.many && !VALUE_TRANSFORMS.includes(rule.transform)) {
    add(`${at}.transform`, `a list member takes one of ${VALUE_TRANSFORMS.join(", ")}`, `多值成员只能使用 ${VALUE_TRANSFORMS.join("、")} 转换`, rule.transform);
    return null;
  }
  if (rule.transform === "dictionary" && ctx.domainKind !== "dictionary") {
    add(`${at}.transform`, `dictionary needs an element with a dictionary value domain; ${element.id} has ${element.domain ?? "none"}`, `字典转换要求数据元引用字典值域；${element.id} 的值域为 ${element.domain ?? "无"}`, rule.transform);
    return null;
  }
  switch (rule.transform) {
    case "constant": {
      const failure = ctx.check(rule.value);
      if (failure) add(`${at}.value`, `the constant is not a valid ${element.id}: ${failure.en}`, `常量不是有效的 ${element.id}：${failure.zh}`, rule.value);
      break;
    }
    case "code": {
      const map = ctx.valueMaps.get(rule.values);
      if (map === undefined) {
        add(`${at}.values`, `unknown value map ${rule.values}`, `值映射表 ${rule.values} 不存在`, rule.values);
        return null;
      }
      ctx.checkTargets(rule.values, ctx.check, element);
      break;
    }
  }
  if (ctx.many && "from" in rule && typeof rule.from === "string") {
    const map = rule.transform === "code" ? ctx.valueMaps.get(rule.values) : undefined;
    return manyTransform(rule.from, valueTransform(rule.transform as ValueTransformName, map));
  }
  return memberTransform(rule, ctx.member, rule.transform === "code" ? ctx.valueMaps.get(rule.values) : undefined);
}

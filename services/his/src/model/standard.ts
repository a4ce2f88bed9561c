// The standard (数据标准): data elements, value domains and record models, read from JSON files under
// config/standard/ and validated as a whole (structure by zod, then every reference between
// entries), then indexed with a compiled checker per data element.
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { SourceValue } from "../adapters/types.ts";
import { type ConfigProblem, schemaProblems, throwConfigProblems } from "./config-problems.ts";
import { type DomainChecker, type DomainReason, domainChecker } from "./domains.ts";
import { isFormatFailure, parseFormat, type Representation, representationChecker } from "./representation.ts";
import {
  type DataElement, MAX_MEMBERS, type RecordModel, type StandardConfig, standardSchema, type ValueDomain,
} from "./schema.ts";

/** The standard's files: config/standard/{elements.json, value-domains.json, models/<id>.json}. */
export const DEFAULT_STANDARD_DIR = resolve(import.meta.dirname, "..", "..", "config", "standard");

export type ValueReason = "invalid-format" | DomainReason;

export interface ValueFailure {
  readonly reason: ValueReason;
  readonly en: string;
  readonly zh: string;
}

/** Checks one canonical value of an element: its representation, then its value domain. */
export type ElementChecker = (value: SourceValue) => ValueFailure | null;

export interface Standard {
  /** The configuration it was built from. */
  readonly config: StandardConfig;
  readonly elements: ReadonlyMap<string, DataElement>;
  readonly domains: ReadonlyMap<string, ValueDomain>;
  readonly models: ReadonlyMap<string, RecordModel>;
  readonly checkers: ReadonlyMap<string, ElementChecker>;
}

const WHAT = { en: "standard (data elements, value domains, record models)", zh: "数据标准（数据元、值域、记录模型）" };

const problem = (path: string, en: string, zh: string, value?: unknown): ConfigProblem => ({ path, problem: en, problemZh: zh, ...(value === undefined ? {} : { value }) });

/** Validates a standard given as JSON and indexes it; throws INVALID_INPUT naming every bad entry. */
export function validateStandard(value: unknown): Standard {
  const parsed = standardSchema.safeParse(value);
  if (!parsed.success) throwConfigProblems(WHAT, schemaProblems(value, parsed.error));
  const config = parsed.data;
  const problems: ConfigProblem[] = [];

  const domains = uniqueById(config.domains, "domains", problems);
  const elements = uniqueById(config.elements, "elements", problems);
  const models = uniqueById(config.models, "models", problems);

  for (const domain of config.domains) checkDomain(domain, problems);
  const representations = new Map<string, Representation>();
  for (const element of config.elements) {
    const rep = checkElement(element, domains, problems);
    if (rep) representations.set(element.id, rep);
  }
  for (const model of config.models) checkModel(model, elements, problems);
  if (problems.length > 0) throwConfigProblems(WHAT, problems);

  const checkers = new Map<string, ElementChecker>();
  for (const element of config.elements) {
    const domain = element.domain === null ? undefined : domains.get(element.domain);
    // A code list's codes were checked against the format above, so membership says it all (and
    // "not a code of the list" is what the reviewer of an unmapped source code needs to hear).
    checkers.set(element.id, domain?.kind === "code-list" ? domainChecker(domain) : elementChecker(representations.get(element.id)!, domain === undefined ? null : domainChecker(domain)));
  }
  return { config, elements, domains, models, checkers };
}

function uniqueById<T extends { id: string }>(entries: readonly T[], section: string, problems: ConfigProblem[]): Map<string, T> {
  const byId = new Map<string, T>();
  for (const entry of entries) {
    if (byId.has(entry.id)) problems.push(problem(`${section}[${entry.id}]`, `the id ${entry.id} is defined twice`, `标识 ${entry.id} 重复定义`));
    else byId.set(entry.id, entry);
  }
  return byId;
}

function checkDomain(domain: ValueDomain, problems: ConfigProblem[]): void {
  const at = `domains[${domain.id}]`;
  switch (domain.kind) {
    case "code-list": {
      const seen = new Set<string>();
      for (const { code } of domain.codes) {
        if (seen.has(code)) problems.push(problem(`${at}.codes[${code}]`, `the code ${code} is listed twice`, `代码 ${code} 重复`));
        seen.add(code);
      }
      break;
    }
    case "range":
      if (domain.min === null && domain.max === null) problems.push(problem(at, "a range needs a min or a max", "范围值域须有下限或上限"));
      else if (domain.min !== null && domain.max !== null && domain.min > domain.max) {
        problems.push(problem(at, `min ${domain.min} is above max ${domain.max}`, `下限 ${domain.min} 大于上限 ${domain.max}`));
      }
      break;
    case "pattern":
    case "dictionary":
      if (!domain.pattern.startsWith("^") || !domain.pattern.endsWith("$")) {
        problems.push(problem(`${at}.pattern`, "the pattern must be anchored (^…$) so that it matches the whole value", "格式正则须以 ^ 开头、$ 结尾，匹配整个值", domain.pattern));
      }
      try {
        new RegExp(domain.pattern, "u");
      } catch (error) {
        problems.push(problem(`${at}.pattern`, `not a valid regular expression: ${(error as Error).message}`, "不是有效的正则表达式", domain.pattern));
      }
      break;
  }
}

/** Data types a kind of value domain fits. */
const DOMAIN_TYPES: Readonly<Record<ValueDomain["kind"], readonly string[]>> = {
  "code-list": ["S1", "S2", "S3"],
  pattern: ["S1", "S2", "S3"],
  dictionary: ["S1", "S3"],
  range: ["N"],
};

function checkElement(element: DataElement, domains: ReadonlyMap<string, ValueDomain>, problems: ConfigProblem[]): Representation | null {
  const at = `elements[${element.id}]`;
  const local = element.id.startsWith("HC.");
  if (local !== (element.standard === "local")) {
    problems.push(problem(`${at}.standard`, 'a local extension (HC.…) has standard "local", and only it does', "本地扩展数据元（HC.…）的标准须为“local”，其他数据元不得为“local”", element.standard));
  }
  const rep = parseFormat(element.type, element.format);
  if (isFormatFailure(rep)) {
    problems.push(problem(`${at}.format`, rep.en, rep.zh, element.format));
    return null;
  }
  if (element.unit !== null && element.type !== "N") problems.push(problem(`${at}.unit`, "only a number (N) has a unit", "只有数值型（N）数据元有计量单位", element.unit));
  if (element.domain === null) {
    if (element.type === "S2" || element.type === "S3") problems.push(problem(`${at}.domain`, `a coded element (${element.type}) needs a value domain`, `代码型数据元（${element.type}）须引用值域`));
    return rep;
  }
  const domain = domains.get(element.domain);
  if (domain === undefined) {
    problems.push(problem(`${at}.domain`, `unknown value domain ${element.domain}`, `引用的值域 ${element.domain} 不存在`, element.domain));
    return rep;
  }
  if (!DOMAIN_TYPES[domain.kind].includes(element.type)) {
    problems.push(problem(`${at}.domain`, `a ${domain.kind} domain does not fit data type ${element.type}`, `${domain.kind} 类值域与数据类型 ${element.type} 不符`, element.domain));
  } else if (domain.kind === "code-list") {
    // Every code of the list must itself be a valid value of the element.
    const check = representationChecker(rep);
    for (const { code } of domain.codes) {
      const failure = check(code);
      if (failure) problems.push(problem(`${at}.domain`, `code ${code} of ${domain.id} does not fit format ${element.format}: ${failure.en}`, `值域 ${domain.id} 的代码 ${code} 不符合表示格式 ${element.format}`, code));
    }
    if (element.type === "S2" && domain.codes.length > 3) problems.push(problem(`${at}.type`, "S2 is for at most 3 enumerated values; use S3", "S2 仅用于不超过 3 个枚举值，请改用 S3"));
  }
  return rep;
}

function checkModel(model: RecordModel, elements: ReadonlyMap<string, DataElement>, problems: ConfigProblem[]): void {
  const at = `models[${model.id}]`;
  if (model.members.length > MAX_MEMBERS) {
    problems.push(problem(`${at}.members`, `at most ${MAX_MEMBERS} members (a record's fields must fit one consent scope), got ${model.members.length}`, `成员最多 ${MAX_MEMBERS} 个，实际 ${model.members.length} 个`));
  }
  if (!model.members.some((m) => m.required)) problems.push(problem(`${at}.members`, "a model needs at least one required member", "记录模型至少须有一个必填成员"));
  const seen = new Set<string>();
  for (const member of model.members) {
    if (seen.has(member.name)) problems.push(problem(`${at}.members[${member.name}]`, `the member ${member.name} is defined twice`, `成员 ${member.name} 重复定义`));
    seen.add(member.name);
    if (!elements.has(member.element)) {
      problems.push(problem(`${at}.members[${member.name}].element`, `unknown data element ${member.element}`, `引用的数据元 ${member.element} 不存在`, member.element));
    }
  }
}

function elementChecker(rep: Representation, domain: DomainChecker | null): ElementChecker {
  const format = representationChecker(rep);
  return (value) => {
    const failure = format(value);
    if (failure) return { reason: "invalid-format", en: failure.en, zh: failure.zh };
    return domain === null ? null : domain(value);
  };
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throwConfigProblems(WHAT, [problem(path, `cannot read the file: ${(error as Error).message}`, "无法读取文件")]);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throwConfigProblems(WHAT, [problem(path, `not valid JSON: ${(error as Error).message}`, "不是有效的 JSON")]);
  }
}

function section(path: string, key: string): unknown {
  const value = readJson(path);
  if (value === null || typeof value !== "object" || !(key in value)) {
    throwConfigProblems(WHAT, [problem(path, `expected an object with "${key}"`, `应为包含“${key}”的对象`)]);
  }
  return (value as Record<string, unknown>)[key];
}

/** Reads and validates the standard in `dir`: elements.json {elements}, value-domains.json {domains}, models/*.json (one model each). */
export function loadStandard(dir: string = DEFAULT_STANDARD_DIR): Standard {
  const modelsDir = join(dir, "models");
  let modelFiles: string[];
  try {
    modelFiles = readdirSync(modelsDir).filter((name) => name.endsWith(".json")).sort();
  } catch (error) {
    throwConfigProblems(WHAT, [problem(modelsDir, `cannot list the models: ${(error as Error).message}`, "无法读取记录模型目录")]);
  }
  return validateStandard({
    elements: section(join(dir, "elements.json"), "elements"),
    domains: section(join(dir, "value-domains.json"), "domains"),
    models: modelFiles.map((name) => readJson(join(modelsDir, name))),
  });
}

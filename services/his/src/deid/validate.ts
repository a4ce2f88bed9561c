// Validation of a de-identification policy: every problem is collected with the rule it is in
// ("lab-result.collectedAt", "personRef", "dateShift") and reported at once, in English and Chinese,
// as one INVALID_INPUT error. Unknown properties are refused too: a misspelt "keepfirst" would
// otherwise silently mask nothing.
import { KEY_ID_PATTERN, platformError } from "@health-chain/sdk";
import { isDay } from "./dates.ts";
import {
  ADDRESS_LEVELS, CIPHER_ENCODINGS, DEID_ACTIONS, type DeidPolicy, GENERALISE_METHODS, HASH_NORMALISE, PERSON_REF_FIELD,
} from "./policy.ts";

/** One thing wrong with a policy, and where. */
export interface DeidPolicyProblem {
  /** The rule or section: "patient.phone", "recordFields.institution", "personRef", "name". */
  readonly rule: string;
  readonly en: string;
  readonly zh: string;
}

const NAME = /^[a-z0-9][a-z0-9-]{0,63}$/;
const MAX_MEMBER_LENGTH = 128;

type Report = (en: string, zh: string) => void;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const isInteger = (value: unknown, min: number, max: number): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;

const isFinitePositive = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value) && value > 0;

function checkKeys(object: Record<string, unknown>, allowed: readonly string[], report: Report): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) report(`unknown property "${key}" (allowed: ${allowed.join(", ")})`, `未知属性“${key}”（可用：${allowed.join("、")}）`);
  }
}

function checkId(value: unknown, field: string, report: Report): void {
  if (typeof value !== "string" || !KEY_ID_PATTERN.test(value)) {
    report(
      `${field} must be an id of 1 to 64 ASCII letters, digits, ".", "_" or "-" (the id of a secret or key, never its value)`,
      `${field} 应为 1 至 64 个 ASCII 字母、数字、“.”、“_”或“-”组成的标识（密钥的标识，而不是密钥本身）`,
    );
  }
}

function checkOptionalInteger(rule: Record<string, unknown>, field: string, min: number, max: number, report: Report): void {
  if (rule[field] !== undefined && !isInteger(rule[field], min, max)) {
    report(`${field} must be an integer from ${min} to ${max}`, `${field} 应为 ${min} 至 ${max} 的整数`);
  }
}

function checkOneOf(rule: Record<string, unknown>, field: string, values: readonly string[], report: Report, required = false): void {
  const value = rule[field];
  if ((value === undefined && !required) || values.includes(value as string)) return;
  report(`${field} must be one of ${values.join(", ")}`, `${field} 应为以下之一：${values.join("、")}`);
}

const BASE = ["action", "as", "quasiIdentifier"];

function checkGeneralise(rule: Record<string, unknown>, report: Report, hasDateShift: boolean): void {
  const method = rule.method;
  if (!GENERALISE_METHODS.includes(method as never)) {
    report(`generalise needs a method: one of ${GENERALISE_METHODS.join(", ")}`, `generalise 需要 method，取值为：${GENERALISE_METHODS.join("、")}`);
    return;
  }
  const keys = [...BASE, "method"];
  switch (method) {
    case "age-band":
      checkKeys(rule, [...keys, "width", "top", "referenceDate"], report);
      checkOptionalInteger(rule, "width", 1, 50, report);
      checkOptionalInteger(rule, "top", 1, 150, report);
      if (rule.referenceDate !== undefined && !isDay(rule.referenceDate)) {
        report("referenceDate must be a day written YYYY-MM-DD", "referenceDate 应为 YYYY-MM-DD 格式的日期");
      }
      break;
    case "date-shift":
      checkKeys(rule, keys, report);
      if (!hasDateShift) {
        report(
          'date-shift needs the policy\'s "dateShift": { secretId, maxDays }, shared by all its date-shift rules so that one person\'s dates move together',
          "date-shift 需要策略级的“dateShift”：{ secretId, maxDays }，所有日期偏移规则共用，以保证同一人的日期同步偏移",
        );
      }
      break;
    case "date-truncate":
      checkKeys(rule, [...keys, "to"], report);
      checkOneOf(rule, "to", ["month", "year"], report, true);
      break;
    case "address-truncate":
      checkKeys(rule, [...keys, "level"], report);
      checkOneOf(rule, "level", ADDRESS_LEVELS, report, true);
      break;
    case "number-round":
      checkKeys(rule, [...keys, "step"], report);
      if (!isFinitePositive(rule.step)) report("step must be a positive number", "step 应为正数");
      break;
    case "number-range":
      checkKeys(rule, [...keys, "width", "bounds", "labels"], report);
      if ((rule.width === undefined) === (rule.bounds === undefined)) {
        report("number-range needs either width or bounds (one of them)", "number-range 需要 width 或 bounds（二者之一）");
      } else if (rule.width !== undefined) {
        if (!isFinitePositive(rule.width)) report("width must be a positive number", "width 应为正数");
        if (rule.labels !== undefined) report("labels go with bounds, not with width", "labels 只能与 bounds 一起使用，不能与 width 一起使用");
      } else {
        const bounds = rule.bounds;
        const ok =
          Array.isArray(bounds) && bounds.length >= 1 && bounds.length <= 100 &&
          bounds.every((b, i) => typeof b === "number" && Number.isFinite(b) && (i === 0 || b > (bounds[i - 1] as number)));
        if (!ok) report("bounds must be 1 to 100 finite numbers in strictly ascending order", "bounds 应为 1 至 100 个严格递增的有限数值");
        else if (rule.labels !== undefined) {
          const labels = rule.labels;
          if (!Array.isArray(labels) || labels.length !== bounds.length + 1 || !labels.every((l) => typeof l === "string" && l !== "")) {
            report(`labels must be ${bounds.length + 1} non-empty strings (one more than the bounds)`, `labels 应为 ${bounds.length + 1} 个非空字符串（比 bounds 多一个）`);
          }
        }
      }
      break;
  }
}

function checkRuleObject(rule: Record<string, unknown>, report: Report, hasDateShift: boolean): void {
  const action = rule.action;
  if (!DEID_ACTIONS.includes(action as never)) {
    report(`action must be one of ${DEID_ACTIONS.join(", ")}`, `action 应为以下之一：${DEID_ACTIONS.join("、")}`);
    return;
  }
  if (rule.as !== undefined && !(typeof rule.as === "string" && rule.as !== "" && rule.as !== "*" && rule.as.length <= MAX_MEMBER_LENGTH)) {
    report('as must be a member name (not empty, not "*")', "as 应为成员名（不能为空或“*”）");
  }
  if (rule.quasiIdentifier !== undefined && typeof rule.quasiIdentifier !== "boolean") {
    report("quasiIdentifier must be true or false", "quasiIdentifier 应为 true 或 false");
  }
  switch (action) {
    case "keep":
      checkKeys(rule, BASE, report);
      break;
    case "drop":
      checkKeys(rule, ["action"], report);
      break;
    case "mask":
      checkKeys(rule, [...BASE, "keepFirst", "keepLast", "char"], report);
      checkOptionalInteger(rule, "keepFirst", 0, 64, report);
      checkOptionalInteger(rule, "keepLast", 0, 64, report);
      if (rule.char !== undefined && !(typeof rule.char === "string" && Array.from(rule.char).length === 1)) {
        report("char must be exactly one character", "char 应为恰好一个字符");
      }
      break;
    case "replace": {
      checkKeys(rule, [...BASE, "value", "pseudonym"], report);
      const hasValue = "value" in rule;
      const hasPseudonym = rule.pseudonym !== undefined;
      if (hasValue === hasPseudonym) {
        report("replace needs either value (a constant) or pseudonym (one of them)", "replace 需要 value（常量）或 pseudonym（假名）之一");
      } else if (hasValue) {
        const v = rule.value;
        if (!(v === null || typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v)))) {
          report("value must be a string, a finite number, a boolean or null", "value 应为字符串、有限数值、布尔值或 null");
        }
      } else if (!isObject(rule.pseudonym)) {
        report("pseudonym must be an object { secretId, prefix?, length? }", "pseudonym 应为对象 { secretId, prefix?, length? }");
      } else {
        const p = rule.pseudonym;
        checkKeys(p, ["secretId", "prefix", "length"], report);
        checkId(p.secretId, "pseudonym.secretId", report);
        if (p.prefix !== undefined && !(typeof p.prefix === "string" && p.prefix.length <= 16)) {
          report("pseudonym.prefix must be a string of at most 16 characters", "pseudonym.prefix 应为不超过 16 个字符的字符串");
        }
        checkOptionalInteger(p, "length", 8, 64, report);
      }
      break;
    }
    case "generalise":
      checkGeneralise(rule, report, hasDateShift);
      break;
    case "hash":
      checkKeys(rule, [...BASE, "secretId", "length", "normalise"], report);
      checkId(rule.secretId, "secretId", report);
      checkOptionalInteger(rule, "length", 16, 64, report);
      checkOneOf(rule, "normalise", HASH_NORMALISE, report);
      break;
    case "encrypt":
      checkKeys(rule, [...BASE, "keyId", "encoding"], report);
      checkId(rule.keyId, "keyId", report);
      checkOneOf(rule, "encoding", CIPHER_ENCODINGS, report);
      break;
  }
}

function checkRules(
  rules: unknown,
  section: string,
  problems: DeidPolicyProblem[],
  options: { hasDateShift: boolean; reserved: readonly string[]; wildcard: boolean },
): void {
  const at = (rule: string): Report => (en, zh) => problems.push({ rule, en, zh });
  if (!isObject(rules)) {
    at(section)("must be an object of member → rule", "应为“成员 → 规则”的对象");
    return;
  }
  const outputs = new Map<string, string>();
  for (const [member, rule] of Object.entries(rules)) {
    const name = `${section}.${member}`;
    const report = at(name);
    if (member === "" || member.length > MAX_MEMBER_LENGTH) report("the member name must be 1 to 128 characters", "成员名应为 1 至 128 个字符");
    if (options.reserved.includes(member) || member === "__proto__") report(`"${member}" is not a member a rule can name here`, `此处规则不能指定“${member}”`);
    if (member === "*") {
      if (!options.wildcard) report('"*" is not allowed here: fields no rule names are dropped', "此处不允许“*”：未指定规则的字段一律删除");
      else if (rule !== "keep" && rule !== "drop") report('the default rule "*" must be "keep" or "drop"', "默认规则“*”只能是“keep”或“drop”");
      continue;
    }
    if (rule === "keep" || rule === "drop") {
      if (rule === "keep") claim(outputs, member, member, report);
      continue;
    }
    if (!isObject(rule)) {
      report('a rule is "keep", "drop" or an object with an action', "规则应为“keep”、“drop”或带 action 的对象");
      continue;
    }
    checkRuleObject(rule, report, options.hasDateShift);
    if (rule.action !== "drop") {
      const output = typeof rule.as === "string" ? rule.as : member;
      if (options.reserved.includes(output) || output === "__proto__") report(`the output name "${output}" is reserved`, `输出名“${output}”为保留名`);
      claim(outputs, output, member, report);
    }
  }
}

// Two rules writing the same output member would let one silently overwrite the other.
function claim(outputs: Map<string, string>, output: string, member: string, report: Report): void {
  const other = outputs.get(output);
  if (other !== undefined) report(`writes the output member "${output}", as "${other}" already does`, `输出成员“${output}”与“${other}”的输出重名`);
  else outputs.set(output, member);
}

/** The problems of a policy; empty when it is valid. */
export function deidPolicyProblems(policy: unknown): DeidPolicyProblem[] {
  const problems: DeidPolicyProblem[] = [];
  const at = (rule: string): Report => (en, zh) => problems.push({ rule, en, zh });
  if (!isObject(policy)) {
    at("policy")("a policy is a JSON object", "策略应为 JSON 对象");
    return problems;
  }
  checkKeys(policy, ["name", "description", "defaultAction", "rules", "recordFields", "personKeyField", "personRef", "dateShift"], at("policy"));
  if (typeof policy.name !== "string" || !NAME.test(policy.name)) {
    at("name")("name must be 1 to 64 lower-case letters, digits or \"-\", starting with a letter or digit", "name 应为 1 至 64 个小写字母、数字或“-”，并以字母或数字开头");
  }
  const description = policy.description;
  if (!isObject(description) || typeof description.zh !== "string" || description.zh.trim() === "" || typeof description.en !== "string" || description.en.trim() === "") {
    at("description")("description needs non-empty zh and en texts", "description 需要非空的 zh 和 en 文本");
  } else {
    checkKeys(description, ["zh", "en"], at("description"));
  }
  checkOneOf(policy, "defaultAction", ["keep", "drop"], at("defaultAction"));
  if (policy.personKeyField !== undefined && !(typeof policy.personKeyField === "string" && policy.personKeyField !== "")) {
    at("personKeyField")("personKeyField must be a non-empty field name", "personKeyField 应为非空字段名");
  }
  if (policy.personRef !== undefined) {
    const report = at("personRef");
    if (!isObject(policy.personRef)) report("personRef must be an object { secretId, length? }", "personRef 应为对象 { secretId, length? }");
    else {
      checkKeys(policy.personRef, ["secretId", "length"], report);
      checkId(policy.personRef.secretId, "secretId", report);
      checkOptionalInteger(policy.personRef, "length", 16, 64, report);
    }
  }
  const hasDateShift = policy.dateShift !== undefined;
  if (hasDateShift) {
    const report = at("dateShift");
    if (!isObject(policy.dateShift)) report("dateShift must be an object { secretId, maxDays }", "dateShift 应为对象 { secretId, maxDays }");
    else {
      checkKeys(policy.dateShift, ["secretId", "maxDays"], report);
      checkId(policy.dateShift.secretId, "secretId", report);
      if (!isInteger(policy.dateShift.maxDays, 1, 3650)) report("maxDays must be an integer from 1 to 3650", "maxDays 应为 1 至 3650 的整数");
    }
  }
  if (!isObject(policy.rules)) {
    at("rules")("rules must be an object of record model → member rules", "rules 应为“记录模型 → 成员规则”的对象");
  } else {
    for (const [model, rules] of Object.entries(policy.rules)) {
      if (model === "") at("rules")("a record model name cannot be empty", "记录模型名不能为空");
      checkRules(rules, model, problems, { hasDateShift, reserved: [], wildcard: true });
    }
  }
  if (policy.recordFields !== undefined) {
    checkRules(policy.recordFields, "recordFields", problems, { hasDateShift, reserved: ["model", "content", PERSON_REF_FIELD], wildcard: false });
  }
  return problems;
}

/**
 * Checks a policy and returns it typed; refuses it with INVALID_INPUT naming the offending rules
 * (details.problems: [{ rule, en, zh }], details.rule: the first) when anything is wrong.
 */
export function validateDeidPolicy(policy: unknown): DeidPolicy {
  const problems = deidPolicyProblems(policy);
  if (problems.length === 0) return policy as DeidPolicy;
  const name = isObject(policy) && typeof policy.name === "string" ? policy.name : "(unnamed)";
  const first = problems[0]!;
  const more = problems.length - 1;
  throw platformError("INVALID_INPUT", {
    message: `The de-identification policy "${name}" is not valid: rule ${first.rule}: ${first.en}${more > 0 ? ` (and ${more} more problem${more > 1 ? "s" : ""})` : ""}.`,
    messageZh: `脱敏策略“${name}”无效：规则 ${first.rule}：${first.zh}${more > 0 ? `（另有 ${more} 个问题）` : ""}。`,
    details: { policy: name, rule: first.rule, problems },
  });
}

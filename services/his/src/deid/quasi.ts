// For the research export (issue 8): which outputs are quasi-identifiers, to check k-anonymity over,
// and one step coarser of a rule, to generalise further when the check fails (age bands of 5 → 10 →
// 20 years, district → city → province, month → year, …). A coarser policy is a new policy value:
// publish it as a new version so that the use records which one was applied.
import { platformError } from "@health-chain/sdk";
import { ADDRESS_LEVELS, DEFAULT_AGE_BAND_WIDTH, type DeidPolicy, type DeidRule, type DeidRuleObject } from "./policy.ts";
import { validateDeidPolicy } from "./validate.ts";

/** A quasi-identifier of a policy and where its value lands in an output record. */
export interface DeidQuasiIdentifier {
  /** The record model, or null for a record field (every model has it). */
  readonly model: string | null;
  /** The source member or field. */
  readonly member: string;
  /** The output name: `record.content[output]`, or `record[output]` for a record field. */
  readonly output: string;
  readonly in: "content" | "record";
  readonly rule: DeidRuleObject;
}

/** The rules marked `quasiIdentifier: true`, in policy order. */
export function deidQuasiIdentifiers(policy: DeidPolicy): DeidQuasiIdentifier[] {
  const found: DeidQuasiIdentifier[] = [];
  const collect = (model: string | null, rules: Readonly<Record<string, DeidRule>>, where: "content" | "record") => {
    for (const [member, rule] of Object.entries(rules)) {
      if (typeof rule === "string" || rule.action === "drop" || rule.quasiIdentifier !== true) continue;
      found.push({ model, member, output: rule.as ?? member, in: where, rule });
    }
  };
  for (const [model, rules] of Object.entries(policy.rules)) collect(model, rules, "content");
  if (policy.recordFields !== undefined) collect(null, policy.recordFields, "record");
  return found;
}

const MAX_AGE_BAND_WIDTH = 50;

/** The rule one step coarser, or null when there is no coarser step of the same kind. */
export function coarsenDeidRule(rule: DeidRule): DeidRuleObject | null {
  if (typeof rule === "string") return null;
  switch (rule.action) {
    case "mask": {
      const first = rule.keepFirst ?? 0;
      const last = rule.keepLast ?? 0;
      if (first + last === 0) return null;
      return last > 0 ? { ...rule, keepLast: last - 1 } : { ...rule, keepFirst: first - 1 };
    }
    case "generalise":
      switch (rule.method) {
        case "age-band": {
          const width = (rule.width ?? DEFAULT_AGE_BAND_WIDTH) * 2;
          return width > MAX_AGE_BAND_WIDTH ? null : { ...rule, width };
        }
        case "date-truncate":
          return rule.to === "month" ? { ...rule, to: "year" } : null;
        case "address-truncate": {
          const index = ADDRESS_LEVELS.indexOf(rule.level);
          return index > 0 ? { ...rule, level: ADDRESS_LEVELS[index - 1]! } : null;
        }
        case "number-round":
          return { ...rule, step: rule.step * 2 };
        case "number-range": {
          if ("width" in rule) return { ...rule, width: rule.width * 2 };
          if (rule.bounds.length <= 1) return null;
          // Every other bound goes: each new band is two old ones, their labels joined.
          const bounds = rule.bounds.filter((_, i) => i % 2 === 0);
          const { labels, ...rest } = rule;
          if (labels === undefined) return { ...rest, bounds };
          // Band 0 stays; band j (between bounds) is old bands 2j-1 and 2j; the last takes the rest.
          const merged = [labels[0]!];
          for (let j = 1; j < bounds.length; j++) merged.push(labels.slice(2 * j - 1, 2 * j + 1).join("/"));
          merged.push(labels.slice(2 * bounds.length - 1).join("/"));
          return { ...rest, bounds, labels: merged };
        }
        case "date-shift":
          // Truncating real dates is not coarser than shifting them: there is no next step.
          return null;
      }
      return null;
    default:
      return null;
  }
}

/**
 * The policy with the rule at `model.member` (or `recordFields.field`) one step coarser; null when
 * that rule has no coarser step. NOT_FOUND when the policy has no such rule.
 */
export function coarsenDeidPolicy(policy: DeidPolicy, location: string): DeidPolicy | null {
  const valid = validateDeidPolicy(policy);
  const dot = location.indexOf(".");
  const section = location.slice(0, dot);
  const member = location.slice(dot + 1);
  const rules = section === "recordFields" ? valid.recordFields : valid.rules[section];
  const rule = dot > 0 ? rules?.[member] : undefined;
  if (rule === undefined || member === "*") {
    throw platformError("NOT_FOUND", {
      details: { policy: valid.name, location },
      message: `The policy "${valid.name}" has no rule at "${location}" (write model.member or recordFields.field).`,
      messageZh: `策略“${valid.name}”在“${location}”处没有规则（写作 模型.成员 或 recordFields.字段）。`,
    });
  }
  const coarser = coarsenDeidRule(rule);
  if (coarser === null) return null;
  if (section === "recordFields") return { ...valid, recordFields: { ...valid.recordFields, [member]: coarser } };
  return { ...valid, rules: { ...valid.rules, [section]: { ...rules, [member]: coarser } } };
}

// parseCriteria: the one entry point from untrusted JSON to a criteria tree both evaluators accept.
// Structure is checked by zod (schema.ts), then the rules that span nodes: a refused tree changes
// nothing and names the node at fault (JSON Pointer) with the reason in English and Chinese.
import type { HealthChainError } from "@health-chain/sdk";
import type { z } from "zod";
import { LAB_ANALYTES, analyteOfLoinc, unitOfAnalyte } from "./units.ts";
import { criteriaRefusal, toPointer, type NodePath } from "./refuse.ts";
import { CriteriaSchema, type Criteria, type LeafCriterion } from "./schema.ts";

const CUSTOM_REASONS: Readonly<Record<string, readonly [string, string]>> = {
  date: ["not a calendar date written YYYY-MM-DD.", "不是 YYYY-MM-DD 格式的有效日期。"],
  id: [
    "an id starts with a letter and has at most 64 letters, digits, '_' or '-'.",
    "标识须以字母开头，最多 64 个字母、数字、“_”或“-”。",
  ],
  icd10: [
    "not an ICD-10 code or category (e.g. \"E11\" or \"E11.9\"; upper-case letter, two characters, optional dot and subdivision).",
    "不是 ICD-10 编码或类目（如“E11”或“E11.9”：大写字母加两位字符，可带小数点和细分）。",
  ],
  atc: [
    "not an ATC code at one of its five levels (e.g. \"A10\", \"A10BA02\").",
    "不是五级之一的 ATC 编码（如“A10”“A10BA02”）。",
  ],
  loinc: [
    "not a LOINC code with a correct check digit (e.g. \"4548-4\").",
    "不是校验位正确的 LOINC 编码（如“4548-4”）。",
  ],
};

function describeIssue(issue: z.core.$ZodIssue): readonly [string, string, string] {
  switch (issue.code) {
    case "custom": {
      const reason = String((issue.params as { reason?: string } | undefined)?.reason ?? "custom");
      const [en, zh] = CUSTOM_REASONS[reason] ?? ["invalid value.", "取值无效。"];
      return [reason, en, zh];
    }
    case "invalid_union":
      if ("discriminator" in issue && issue.discriminator) {
        const options = (issue as { options?: unknown[] }).options?.join(", ") ?? "";
        return ["unknown-node-type", `the node type must be one of ${options}.`, `节点类型必须是 ${options} 之一。`];
      }
      return ["invalid-node", "the node matches no node type.", "节点不符合任何节点类型。"];
    case "invalid_type":
      return [
        "wrong-type",
        `expected ${issue.expected}${issue.input === undefined ? " (the field is required)" : ""}.`,
        `应为 ${issue.expected} 类型${issue.input === undefined ? "（必填字段）" : ""}。`,
      ];
    case "unrecognized_keys":
      return ["unknown-key", `unknown field(s) ${issue.keys.join(", ")}.`, `未知字段 ${issue.keys.join("、")}。`];
    case "invalid_value":
      return [
        "not-allowed",
        `must be one of ${issue.values.map(String).join(", ")}.`,
        `必须是 ${issue.values.map(String).join("、")} 之一。`,
      ];
    case "too_small":
      return issue.origin === "array"
        ? ["too-few", `needs at least ${String(issue.minimum)} element(s).`, `至少需要 ${String(issue.minimum)} 个元素。`]
        : ["too-small", `must be at least ${String(issue.minimum)}.`, `不得小于 ${String(issue.minimum)}。`];
    case "too_big":
      return issue.origin === "array"
        ? ["too-many", `has more than ${String(issue.maximum)} element(s).`, `元素多于 ${String(issue.maximum)} 个。`]
        : ["too-big", `must be at most ${String(issue.maximum)}.`, `不得大于 ${String(issue.maximum)}。`];
    default:
      return ["invalid", issue.message, "取值无效。"];
  }
}

/** Every leaf of a tree with its path, in document order (depth first). */
export function leavesOf(tree: Criteria, path: NodePath = []): { leaf: LeafCriterion; path: NodePath }[] {
  switch (tree.type) {
    case "and":
    case "or":
      return tree.children.flatMap((child, index) => leavesOf(child, [...path, "children", index]));
    case "not":
      return leavesOf(tree.child, [...path, "child"]);
    default:
      return [{ leaf: tree, path }];
  }
}

function checkLeaf(leaf: LeafCriterion, path: NodePath): HealthChainError | undefined {
  if (leaf.type === "demographic") {
    if (leaf.sex === undefined && leaf.age === undefined && leaf.region === undefined) {
      return criteriaRefusal(path, "empty-demographic", "a demographic criterion needs sex, age or region.", "人口学条件至少需要性别、年龄或地区之一。");
    }
    if (leaf.age && leaf.age.min === undefined && leaf.age.max === undefined) {
      return criteriaRefusal([...path, "age"], "empty-age", "an age range needs min, max or both.", "年龄范围至少需要 min 或 max。");
    }
    if (leaf.age?.min !== undefined && leaf.age.max !== undefined && leaf.age.min > leaf.age.max) {
      return criteriaRefusal([...path, "age"], "empty-range", "age min is above age max.", "年龄下限大于上限。");
    }
    return undefined;
  }
  if (leaf.window?.from !== undefined && leaf.window.to !== undefined && leaf.window.from > leaf.window.to) {
    return criteriaRefusal([...path, "window"], "empty-range", "the window starts after it ends.", "时间窗口的开始晚于结束。");
  }
  if (leaf.type !== "lab") return undefined;
  const analyte = analyteOfLoinc(leaf.loinc);
  if (!analyte) {
    return criteriaRefusal(
      [...path, "loinc"],
      "analyte-without-conversion",
      `LOINC ${leaf.loinc} is not an analyte with a unit conversion table (${LAB_ANALYTES.map((a) => a.analyte).join(", ")}).`,
      `LOINC ${leaf.loinc} 不属于有单位换算表的检验项目（${LAB_ANALYTES.map((a) => a.analyte).join("、")}）。`,
      { loinc: leaf.loinc },
    );
  }
  if (!unitOfAnalyte(analyte, leaf.unit)) {
    const known = analyte.units.map((u) => u.unit);
    return criteriaRefusal(
      [...path, "unit"],
      "unknown-unit",
      `unit "${leaf.unit}" is not a unit of ${analyte.nameEn}; use one of ${known.join(", ")}.`,
      `单位“${leaf.unit}”不是${analyte.nameZh}的单位；请使用 ${known.join("、")} 之一。`,
      { unit: leaf.unit, knownUnits: known },
    );
  }
  if (leaf.comparator === "between") {
    if (leaf.low === undefined || leaf.high === undefined || leaf.value !== undefined) {
      return criteriaRefusal(path, "between-needs-low-high", "\"between\" takes low and high, not value.", "“between”需要 low 和 high，而非 value。");
    }
    if (leaf.low > leaf.high) {
      return criteriaRefusal([...path, "low"], "empty-range", "low is above high.", "下限大于上限。");
    }
  } else if (leaf.value === undefined || leaf.low !== undefined || leaf.high !== undefined) {
    return criteriaRefusal(
      path,
      "comparator-needs-value",
      `"${leaf.comparator}" takes value, not low/high.`,
      `“${leaf.comparator}”需要 value，而非 low/high。`,
    );
  }
  return undefined;
}

function checkReferences(tree: Criteria): HealthChainError | undefined {
  const leaves = leavesOf(tree);
  const byId = new Map<string, { leaf: LeafCriterion; path: NodePath }>();
  for (const entry of leaves) {
    const id = entry.leaf.id;
    if (id === undefined) continue;
    if (byId.has(id)) {
      return criteriaRefusal([...entry.path, "id"], "duplicate-id", `id "${id}" is used twice.`, `标识“${id}”重复使用。`, { id });
    }
    byId.set(id, entry);
  }
  for (const { leaf, path } of leaves) {
    if (leaf.type === "demographic" || !leaf.within) continue;
    const target = byId.get(leaf.within.after);
    const at = [...path, "within", "after"];
    if (!target) {
      return criteriaRefusal(at, "unknown-reference", `no leaf has id "${leaf.within.after}".`, `没有标识为“${leaf.within.after}”的条件。`);
    }
    if (target.leaf.type === "demographic") {
      return criteriaRefusal(at, "reference-without-dates", "a demographic criterion has no event dates to anchor to.", "人口学条件没有事件日期，不能作为时间锚点。");
    }
  }
  // Follow each chain of `within.after`: reaching a leaf already on the chain is a cycle.
  for (const { leaf, path } of leaves) {
    const onChain = new Set<LeafCriterion>();
    let current: LeafCriterion | undefined = leaf;
    while (current && current.type !== "demographic" && current.within) {
      onChain.add(current);
      const next: LeafCriterion | undefined = byId.get(current.within.after)?.leaf;
      if (next && onChain.has(next)) {
        const id = current.within.after;
        return criteriaRefusal([...path, "within", "after"], "cyclic-reference", `the temporal references through "${id}" form a cycle.`, `经由“${id}”的时间引用形成循环。`, { id });
      }
      current = next;
    }
  }
  return undefined;
}

/**
 * Validates untrusted JSON as a criteria tree. Throws INVALID_INPUT naming the node (`details.path`,
 * a JSON Pointer), the rule (`details.reason`) and, for structural errors, every problem found
 * (`details.problems`).
 */
export function parseCriteria(input: unknown): Criteria {
  const parsed = CriteriaSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const [reason, en, zh] = describeIssue(issue);
      return { path: issue.path.filter((p): p is string | number => typeof p !== "symbol"), reason, en, zh };
    });
    const first = problems[0]!;
    throw criteriaRefusal(first.path, first.reason, first.en, first.zh, {
      problems: problems.map((p) => ({ path: toPointer(p.path), reason: p.reason })),
    });
  }
  const tree = parsed.data;
  for (const { leaf, path } of leavesOf(tree)) {
    const problem = checkLeaf(leaf, path);
    if (problem) throw problem;
  }
  const problem = checkReferences(tree);
  if (problem) throw problem;
  return tree;
}

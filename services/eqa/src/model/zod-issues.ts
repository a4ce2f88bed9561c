// zod's issues as the model's bilingual InputIssues: zod words its messages in English only, so
// the Chinese message is built from the issue's code and limits.
import type { z } from "zod";
import type { InputIssue } from "./errors.ts";

/** `["analytes", 2, "scheme", "sigma"]` → `analytes[2].scheme.sigma`. */
export function pathText(path: readonly PropertyKey[], prefix = ""): string {
  let text = prefix;
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else text += text === "" ? String(key) : `.${String(key)}`;
  }
  return text;
}

function chinese(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return `类型错误，应为 ${issue.expected}`;
    case "too_big":
      return issue.origin === "string" || issue.origin === "array" ? `过长（最多 ${String(issue.maximum)}）` : `过大（最大 ${String(issue.maximum)}）`;
    case "too_small":
      return issue.origin === "string" || issue.origin === "array" ? `过短（至少 ${String(issue.minimum)}）` : `过小（最小 ${String(issue.minimum)}）`;
    case "unrecognized_keys":
      return `未知字段：${issue.keys.join("、")}`;
    case "invalid_value":
      return `取值无效，可选：${issue.values.map(String).join("、")}`;
    case "invalid_format":
      return "格式无效";
    case "not_multiple_of":
      return "应为整数";
    default:
      return "无效";
  }
}

export function zodIssues(error: z.ZodError, prefix = ""): InputIssue[] {
  return error.issues.map((issue) => ({
    path: pathText(issue.path, prefix),
    message: issue.message,
    messageZh: chinese(issue),
  }));
}

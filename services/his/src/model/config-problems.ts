// Problems found in a piece of configuration, each naming the bad entry, collected so that one
// INVALID_INPUT error reports all of them at once (an operator fixes a file in one go, not one
// error per attempt).
import { platformError } from "@health-chain/sdk";
import type { z } from "zod";

export interface ConfigProblem {
  /** Where: `models[lab-result].members[value].element`, entries named by their id or name. */
  readonly path: string;
  readonly problem: string;
  readonly problemZh: string;
  readonly value?: unknown;
}

/** `a.b[id].c` for a zod issue path, naming array entries by their `id` or `name` where they have one. */
export function describePath(root: unknown, path: readonly PropertyKey[]): string {
  let out = "";
  let node: unknown = root;
  for (const key of path) {
    if (typeof key === "number") {
      const entry = Array.isArray(node) ? (node[key] as unknown) : undefined;
      const label = entry !== null && typeof entry === "object"
        ? ((entry as { id?: unknown }).id ?? (entry as { name?: unknown }).name)
        : undefined;
      out += typeof label === "string" ? `[${label}]` : `[${key}]`;
      node = entry;
    } else {
      out += out === "" ? String(key) : `.${String(key)}`;
      node = node !== null && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[key] : undefined;
    }
  }
  return out === "" ? "(root)" : out;
}

/** The problems of a failed zod parse, with paths naming the entries. */
export function schemaProblems(root: unknown, error: z.ZodError): ConfigProblem[] {
  return error.issues.map((issue) => ({
    path: describePath(root, issue.path),
    problem: issue.message,
    problemZh: `结构不符合要求（${issue.message}）`,
  }));
}

/** Throws INVALID_INPUT listing the problems (the first few in the message, all in details). */
export function throwConfigProblems(what: { en: string; zh: string }, problems: readonly ConfigProblem[]): never {
  const shown = problems.slice(0, 5);
  const more = problems.length - shown.length;
  throw platformError("INVALID_INPUT", {
    message: `Invalid ${what.en}: ${shown.map((p) => `${p.path}: ${p.problem}`).join("; ")}${more > 0 ? `; and ${more} more` : ""}.`,
    messageZh: `${what.zh}无效：${shown.map((p) => `${p.path}：${p.problemZh}`).join("；")}${more > 0 ? `；另有 ${more} 处` : ""}。`,
    details: { problems: problems.map((p) => ({ path: p.path, problem: p.problem, problemZh: p.problemZh, ...(p.value === undefined ? {} : { value: p.value }) })) },
  });
}

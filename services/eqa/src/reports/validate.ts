// Input checking at the renderers' edge: one INVALID_INPUT error listing every problem with its
// path (analytes[GLU].rows[1].score), so a caller fixes its mapping in one go.
import { platformError } from "@health-chain/sdk";
import type { z } from "zod";

/** `a.b[code].c`, naming array entries by their `code` or `sample` where they have one. */
function describePath(root: unknown, path: readonly PropertyKey[]): string {
  let out = "";
  let node: unknown = root;
  for (const key of path) {
    if (typeof key === "number") {
      const entry = Array.isArray(node) ? (node[key] as unknown) : undefined;
      const label =
        entry !== null && typeof entry === "object"
          ? ((entry as { code?: unknown }).code ?? (entry as { sample?: unknown }).sample)
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

/** Parses `data` with `schema` or throws INVALID_INPUT naming every bad field (the first five in the message). */
export function parseReportInput<T>(schema: z.ZodType<T>, data: unknown, what: { en: string; zh: string }): T {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => ({ path: describePath(data, issue.path), problem: issue.message }));
  const shown = problems.slice(0, 5);
  const more = problems.length - shown.length;
  throw platformError("INVALID_INPUT", {
    message: `Invalid ${what.en}: ${shown.map((p) => `${p.path}: ${p.problem}`).join("; ")}${more > 0 ? `; and ${more} more` : ""}.`,
    messageZh: `${what.zh}数据无效：${shown.map((p) => `${p.path}：${p.problem}`).join("；")}${more > 0 ? `；另有 ${more} 处` : ""}。`,
    details: { problems },
  });
}

// Every refusal of a criteria tree is the platform's INVALID_INPUT error naming the node: a JSON
// Pointer (RFC 6901) into the submitted tree, so a sponsor's editor can highlight the faulty node.
import { platformError, type HealthChainError } from "@health-chain/sdk";

/** A path inside the submitted tree, as keys and array indexes. */
export type NodePath = readonly (string | number)[];

/** RFC 6901 JSON Pointer of a path: `["children", 1, "codes", 0]` → `/children/1/codes/0`. */
export function toPointer(path: NodePath): string {
  if (path.length === 0) return "";
  return path.map((part) => "/" + String(part).replaceAll("~", "~0").replaceAll("/", "~1")).join("");
}

/** The INVALID_INPUT error for one node of a criteria tree, with its reason in English and Chinese. */
export function criteriaRefusal(
  path: NodePath,
  reason: string,
  en: string,
  zh: string,
  details: Record<string, unknown> = {},
): HealthChainError {
  const pointer = toPointer(path);
  const where = pointer === "" ? "the root" : pointer;
  const whereZh = pointer === "" ? "根节点" : pointer;
  return platformError("INVALID_INPUT", {
    details: { path: pointer, reason, ...details },
    message: `Invalid screening criteria at ${where}: ${en}`,
    messageZh: `检索条件在 ${whereZh} 处无效：${zh}`,
  });
}

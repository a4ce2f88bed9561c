import type { EvaluationScheme, MethodInfo } from "../types.ts";

/** The group every result belongs to (the all-method group, 全部方法组). */
export const ALL_GROUP = "all";

/**
 * A result's peer group key from its method information, e.g. "instrument=XN-1000|reagent=R1", in the
 * scheme's attribute order; null when an attribute is missing (the result is then judged against all).
 */
export function peerGroupKey(method: MethodInfo, peerGroups: NonNullable<EvaluationScheme["peerGroups"]>): string | null {
  const parts: string[] = [];
  for (const attribute of peerGroups.by) {
    const value = method[attribute];
    if (value === undefined || value.trim() === "") return null;
    parts.push(`${attribute}=${value.trim()}`);
  }
  return parts.join("|");
}

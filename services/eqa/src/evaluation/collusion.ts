import { compare } from "./resolve-schemes.ts";
import type { CollusionGroup, RoundResult } from "./types.ts";

/** Fewest quantitative results two labs must share, all identical, before identity is suspicious. */
export const COLLUSION_MIN_RESULTS = 5;

/**
 * Labs whose complete quantitative result sets are identical (same analyte, sample and value on every
 * result, at least 5 results) are flagged together: copying a neighbour's results is the collusion an
 * EQA centre must detect. Each lab's set is reduced to one canonical string and grouped in a hash map,
 * so the check is linear in the number of results (plus a sort of each lab's own few results), never
 * pairwise. Qualitative results are ignored: with few choices, identical answers are expected.
 */
export function collusionCheck(results: readonly RoundResult[]): CollusionGroup[] {
  const perLab = new Map<string, string[]>();
  for (const result of results) {
    if (result.value.type !== "quantitative") continue;
    const entry = `${result.analyteCode}\u0000${result.sampleCode}\u0000${result.value.value}`;
    const list = perLab.get(result.labCode);
    if (list === undefined) perLab.set(result.labCode, [entry]);
    else list.push(entry);
  }
  const bySignature = new Map<string, { labs: string[]; count: number }>();
  for (const [lab, entries] of perLab) {
    if (entries.length < COLLUSION_MIN_RESULTS) continue;
    const signature = entries.sort(compare).join("\u0001");
    const group = bySignature.get(signature);
    if (group === undefined) bySignature.set(signature, { labs: [lab], count: entries.length });
    else group.labs.push(lab);
  }
  const groups: CollusionGroup[] = [];
  for (const { labs, count } of bySignature.values()) {
    if (labs.length > 1) groups.push({ labCodes: labs.sort(compare), identicalResults: count });
  }
  return groups.sort((a, b) => compare(a.labCodes[0] as string, b.labCodes[0] as string));
}

// The reference evaluator: the criteria semantics computed in plain TypeScript over in-memory rows,
// written independently of the SQL compiler (only resolve.ts is shared: code match strings, converted
// thresholds, age cutoffs) so the tests can compare DuckDB's counts against it.
import { parseCriteria } from "../criteria/parse.ts";
import { funnelPlan, type FunnelStep } from "./compile.ts";
import { resolveCriteria, type EvaluationOptions, type ResolvedLeaf, type ResolvedNode } from "./resolve.ts";
import { epochDay, type EventTables } from "./schema.ts";

type Events = ReadonlyMap<string, readonly string[]>; // resident → qualifying event dates

function compare(comparator: string, value: number, low: number, high: number): boolean {
  switch (comparator) {
    case ">":
      return value > low;
    case ">=":
      return value >= low;
    case "<":
      return value < low;
    case "<=":
      return value <= low;
    case "=":
      return value === low;
    default:
      return value >= low && value <= high;
  }
}

function eventMatches(leaf: Exclude<ResolvedLeaf, { kind: "demographic" }>, row: Record<string, unknown>): boolean {
  switch (leaf.kind) {
    case "diagnosis": {
      const code = row["code"] as string;
      return leaf.codes.some((c) => code === c.exact || code.startsWith(c.prefix));
    }
    case "medication":
      return leaf.prefixes.some((prefix) => (row["atc"] as string).startsWith(prefix));
    case "lab": {
      if (!leaf.loinc.includes(row["loinc"] as string)) return false;
      const value = row["value"] as number | null;
      const band = leaf.bands.find((b) => b.unit === row["unit"]);
      return value !== null && band !== undefined && compare(band.comparator, value, band.value, band.high);
    }
  }
}

function anchorDates(dates: readonly string[], anchor: "first" | "last" | "any"): readonly string[] {
  if (anchor === "any" || dates.length === 0) return dates;
  const sorted = [...dates].sort();
  return [anchor === "first" ? sorted[0]! : sorted[sorted.length - 1]!];
}

function leafEvents(leaf: Exclude<ResolvedLeaf, { kind: "demographic" }>, data: EventTables, computed: ReadonlyMap<number, Events>): Events {
  const rows = (leaf.kind === "diagnosis" ? data.diagnoses : leaf.kind === "lab" ? data.labs : data.medications) as unknown as readonly Record<string, unknown>[];
  const anchors = leaf.within ? computed.get(leaf.within.after)! : undefined;
  const events = new Map<string, string[]>();
  for (const row of rows) {
    const at = row["at"] as string;
    const ref = row["resident_ref"] as string;
    if (!eventMatches(leaf, row)) continue;
    if (leaf.from !== undefined && at < leaf.from) continue;
    if (leaf.to !== undefined && at > leaf.to) continue;
    if (leaf.within && anchors) {
      const { days, anchor } = leaf.within;
      const ok = anchorDates(anchors.get(ref) ?? [], anchor).some((a) => {
        const gap = epochDay(at) - epochDay(a);
        return gap >= 0 && gap <= days;
      });
      if (!ok) continue;
    }
    events.set(ref, [...(events.get(ref) ?? []), at]);
  }
  return events;
}

function demographicResidents(leaf: Extract<ResolvedLeaf, { kind: "demographic" }>, data: EventTables): Set<string> {
  const out = new Set<string>();
  for (const r of data.residents) {
    if (leaf.sex && (r.sex === null || !leaf.sex.includes(r.sex))) continue;
    if (leaf.region && (r.region === null || !leaf.region.includes(r.region))) continue;
    if (leaf.bornOnOrBefore !== undefined && (r.birth_date === null || r.birth_date > leaf.bornOnOrBefore)) continue;
    if (leaf.bornAfter !== undefined && (r.birth_date === null || r.birth_date <= leaf.bornAfter)) continue;
    out.add(r.resident_ref);
  }
  return out;
}

interface Evaluated {
  readonly population: ReadonlySet<string>;
  readonly evaluate: (node: ResolvedNode) => Set<string>;
  readonly root: ResolvedNode;
}

function evaluator(data: EventTables, criteria: unknown, options: EvaluationOptions): Evaluated {
  const resolved = resolveCriteria(parseCriteria(criteria), options);
  const population = new Set(data.residents.map((r) => r.resident_ref));
  const events = new Map<number, Events>();
  const sets = new Map<number, Set<string>>();
  for (const index of resolved.order) {
    const leaf = resolved.leaves[index]!;
    if (leaf.kind === "demographic") {
      sets.set(index, demographicResidents(leaf, data));
    } else {
      const found = leafEvents(leaf, data, events);
      events.set(index, found);
      sets.set(index, new Set(found.keys()));
    }
  }
  const evaluate = (node: ResolvedNode): Set<string> => {
    switch (node.type) {
      case "leaf":
        return new Set(sets.get(node.leaf)!);
      case "not": {
        const excluded = evaluate(node.child);
        return new Set([...population].filter((ref) => !excluded.has(ref)));
      }
      case "and":
        return node.children.map(evaluate).reduce((a, b) => new Set([...a].filter((ref) => b.has(ref))));
      case "or":
        return node.children.map(evaluate).reduce((a, b) => new Set([...a, ...b]));
    }
  };
  return { population, evaluate, root: resolved.root };
}

/** The number of residents (of data.residents) meeting the criteria, computed without SQL. */
export function referenceCount(data: EventTables, criteria: unknown, options: EvaluationOptions): number {
  const { population, evaluate, root } = evaluator(data, criteria, options);
  return [...evaluate(root)].filter((ref) => population.has(ref)).length;
}

/** The funnel of compileFunnel, computed without SQL. */
export function referenceFunnel(data: EventTables, criteria: unknown, options: EvaluationOptions): FunnelStep[] {
  const plan = funnelPlan(parseCriteria(criteria));
  const { population, evaluate, root } = evaluator(data, criteria, options);
  const parts = root.type === "and" ? root.children : [root];
  let cohort = new Set(population);
  const counts = [cohort.size];
  const apply = (part: ResolvedNode, keep: boolean): void => {
    const set = evaluate(part);
    cohort = new Set([...cohort].filter((ref) => set.has(ref) === keep));
    counts.push(cohort.size);
  };
  for (const part of parts) if (part.type !== "not") apply(part, true);
  for (const part of parts) if (part.type === "not") apply(part.child, false);
  return plan.map((step, i) => ({ ...step, residents: counts[i]! }));
}

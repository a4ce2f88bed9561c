// Turns a parsed criteria tree into the concrete predicates both evaluators (DuckDB and the
// TypeScript reference) apply: code match strings, lab thresholds converted into every unit of the
// analyte, age converted to birth-date cutoffs, and the order in which leaves can be evaluated so an
// anchor is always computed before the leaves relating to it. Sharing only this step keeps the two
// evaluators' arithmetic bit-identical; the set, join and temporal logic is written twice.
import { platformError } from "@health-chain/sdk";
import { icd10Match } from "../criteria/codes.ts";
import { leavesOf } from "../criteria/parse.ts";
import { isIsoDate, type Criteria, type LeafCriterion, type Within } from "../criteria/schema.ts";
import { analyteOfLoinc, convertLabValue } from "../criteria/units.ts";

/** Options of an evaluation. */
export interface EvaluationOptions {
  /** The date ages are computed at (YYYY-MM-DD), usually the query's run date. */
  readonly indexDate: string;
}

/** One unit of an analyte with the criterion's threshold expressed in it. */
export interface LabBand {
  readonly unit: string;
  readonly comparator: ">" | ">=" | "<" | "<=" | "=" | "between";
  readonly value: number;
  /** The upper bound, for between. */
  readonly high: number;
}

interface EventBase {
  readonly index: number;
  readonly from?: string;
  readonly to?: string;
  readonly within?: { readonly days: number; readonly anchor: Within["anchor"]; readonly after: number };
}
export type ResolvedLeaf =
  | (EventBase & { readonly kind: "diagnosis"; readonly codes: readonly { exact: string; prefix: string }[] })
  | (EventBase & { readonly kind: "medication"; readonly prefixes: readonly string[] })
  | (EventBase & { readonly kind: "lab"; readonly loinc: readonly string[]; readonly bands: readonly LabBand[] })
  | {
      readonly index: number;
      readonly kind: "demographic";
      readonly sex?: readonly string[];
      readonly region?: readonly string[];
      /** age ≥ min ⇔ born on or before this date. */
      readonly bornOnOrBefore?: string;
      /** age ≤ max ⇔ born after this date. */
      readonly bornAfter?: string;
    };

/** A tree whose leaves are numbered (document order) and resolved. */
export type ResolvedNode =
  | { readonly type: "and" | "or"; readonly children: readonly ResolvedNode[] }
  | { readonly type: "not"; readonly child: ResolvedNode }
  | { readonly type: "leaf"; readonly leaf: number };

export interface ResolvedCriteria {
  readonly root: ResolvedNode;
  readonly leaves: readonly ResolvedLeaf[];
  /** Leaf indexes such that every anchor precedes the leaves that refer to it. */
  readonly order: readonly number[];
}

/**
 * The date `years` calendar years before `isoDate`; 29 February falls back to 28 February in common
 * years, so a person born on 29 February completes a year of age on 1 March in common years.
 */
export function yearsBefore(isoDate: string, years: number): string {
  const [y, m, d] = isoDate.split("-").map(Number) as [number, number, number];
  const year = y - years;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const day = m === 2 && d === 29 && !leap ? 28 : d;
  return `${String(year).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

function bandsOf(leaf: Extract<LeafCriterion, { type: "lab" }>): LabBand[] {
  const analyte = analyteOfLoinc(leaf.loinc)!;
  return analyte.units.map(({ unit }) => {
    // Every conversion is increasing (positive scale), so comparators keep their direction.
    const low = convertLabValue(leaf.loinc, leaf.comparator === "between" ? leaf.low! : leaf.value!, leaf.unit, unit);
    const high = leaf.comparator === "between" ? convertLabValue(leaf.loinc, leaf.high!, leaf.unit, unit) : low;
    return { unit, comparator: leaf.comparator, value: low, high };
  });
}

function resolveLeaf(leaf: LeafCriterion, index: number, ids: ReadonlyMap<string, number>, indexDate: string): ResolvedLeaf {
  if (leaf.type === "demographic") {
    return {
      index,
      kind: "demographic",
      ...(leaf.sex && { sex: leaf.sex }),
      ...(leaf.region && { region: leaf.region }),
      ...(leaf.age?.min !== undefined && { bornOnOrBefore: yearsBefore(indexDate, leaf.age.min) }),
      ...(leaf.age?.max !== undefined && { bornAfter: yearsBefore(indexDate, leaf.age.max + 1) }),
    };
  }
  const base: EventBase = {
    index,
    ...(leaf.window?.from !== undefined && { from: leaf.window.from }),
    ...(leaf.window?.to !== undefined && { to: leaf.window.to }),
    ...(leaf.within && { within: { days: leaf.within.days, anchor: leaf.within.anchor, after: ids.get(leaf.within.after)! } }),
  };
  switch (leaf.type) {
    case "diagnosis":
      return { ...base, kind: "diagnosis", codes: leaf.codes.map(icd10Match) };
    case "medication":
      return { ...base, kind: "medication", prefixes: leaf.codes };
    case "lab":
      return { ...base, kind: "lab", loinc: analyteOfLoinc(leaf.loinc)!.loinc, bands: bandsOf(leaf) };
  }
}

/** Resolves a tree already accepted by parseCriteria. */
export function resolveCriteria(tree: Criteria, options: EvaluationOptions): ResolvedCriteria {
  if (!isIsoDate(options.indexDate)) {
    throw platformError("INVALID_INPUT", {
      details: { indexDate: options.indexDate },
      message: "The index date must be a calendar date written YYYY-MM-DD.",
      messageZh: "索引日期必须是 YYYY-MM-DD 格式的有效日期。",
    });
  }
  const found = leavesOf(tree);
  const ids = new Map<string, number>();
  found.forEach(({ leaf }, index) => leaf.id !== undefined && ids.set(leaf.id, index));
  const leaves = found.map(({ leaf }, index) => resolveLeaf(leaf, index, ids, options.indexDate));
  let next = 0;
  const build = (node: Criteria): ResolvedNode => {
    switch (node.type) {
      case "and":
      case "or":
        return { type: node.type, children: node.children.map(build) };
      case "not":
        return { type: "not", child: build(node.child) };
      default:
        return { type: "leaf", leaf: next++ };
    }
  };
  const root = build(tree);
  // Depth-first post-order over `within.after` (acyclic, checked by parseCriteria).
  const order: number[] = [];
  const visit = (index: number): void => {
    if (order.includes(index)) return;
    const leaf = leaves[index]!;
    if (leaf.kind !== "demographic" && leaf.within) visit(leaf.within.after);
    order.push(index);
  };
  leaves.forEach((_, index) => visit(index));
  return { root, leaves, order };
}

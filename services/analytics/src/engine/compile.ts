// Compiles a criteria tree to one DuckDB statement. Every value of the tree (codes, thresholds, dates,
// day counts, sexes, regions) is a positional parameter: the SQL text depends only on the tree's
// shape, so a sponsor's strings can never become SQL.
//
// Shape: one CTE per leaf, `leaf_i(resident_ref, at)` = the leaf's qualifying events (a demographic
// leaf has no date); a temporal relation is a semi-join of the leaf's events with its anchor's
// events (first / last per resident, or any). One CTE per inner node: and = INTERSECT, or = UNION,
// not = residents EXCEPT child. Set operations are distinct, so counts are of residents, not events.
import { parseCriteria } from "../criteria/parse.ts";
import type { Criteria } from "../criteria/schema.ts";
import { resolveCriteria, type EvaluationOptions, type ResolvedCriteria, type ResolvedLeaf, type ResolvedNode } from "./resolve.ts";

/** A statement and its positional parameters ($1, $2, …). */
export interface CompiledQuery {
  readonly sql: string;
  readonly params: (string | number)[];
}

/** The parameters of one statement: each value bound in order as $1, $2, … (never in the SQL text). */
export class Params {
  readonly values: (string | number)[] = [];
  bind(value: string | number): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
  date(value: string): string {
    return `CAST(${this.bind(value)} AS DATE)`;
  }
}

const COMPARE: Readonly<Record<string, string>> = { ">": ">", ">=": ">=", "<": "<", "<=": "<=", "=": "=" };

function eventConditions(leaf: Exclude<ResolvedLeaf, { kind: "demographic" }>, p: Params): string[] {
  const conditions: string[] = [];
  switch (leaf.kind) {
    case "diagnosis":
      conditions.push(`(${leaf.codes.map((c) => `e.code = ${p.bind(c.exact)} OR starts_with(e.code, ${p.bind(c.prefix)})`).join(" OR ")})`);
      break;
    case "medication":
      conditions.push(`(${leaf.prefixes.map((c) => `starts_with(e.atc, ${p.bind(c)})`).join(" OR ")})`);
      break;
    case "lab":
      conditions.push(`e.loinc IN (${leaf.loinc.map((code) => p.bind(code)).join(", ")})`);
      conditions.push(
        `(${leaf.bands
          .map((band) =>
            band.comparator === "between"
              ? `(e.unit = ${p.bind(band.unit)} AND e.value >= ${p.bind(band.value)} AND e.value <= ${p.bind(band.high)})`
              : `(e.unit = ${p.bind(band.unit)} AND e.value ${COMPARE[band.comparator]} ${p.bind(band.value)})`,
          )
          .join(" OR ")})`,
      );
      break;
  }
  if (leaf.from !== undefined) conditions.push(`e."at" >= ${p.date(leaf.from)}`);
  if (leaf.to !== undefined) conditions.push(`e."at" <= ${p.date(leaf.to)}`);
  if (leaf.within) {
    const source = `leaf_${leaf.within.after}`;
    const anchor =
      leaf.within.anchor === "any"
        ? source
        : `(SELECT resident_ref, ${leaf.within.anchor === "first" ? "min" : "max"}("at") AS "at" FROM ${source} GROUP BY resident_ref)`;
    conditions.push(
      `EXISTS (SELECT 1 FROM ${anchor} a WHERE a.resident_ref = e.resident_ref AND e."at" >= a."at" AND e."at" <= a."at" + CAST(${p.bind(leaf.within.days)} AS INTEGER))`,
    );
  }
  return conditions;
}

const TABLE_OF = { diagnosis: "diagnoses", medication: "medications", lab: "labs" } as const;

function leafCte(leaf: ResolvedLeaf, p: Params): string {
  if (leaf.kind === "demographic") {
    const conditions: string[] = [];
    if (leaf.sex) conditions.push(`r.sex IN (${leaf.sex.map((s) => p.bind(s)).join(", ")})`);
    if (leaf.region) conditions.push(`r.region IN (${leaf.region.map((s) => p.bind(s)).join(", ")})`);
    if (leaf.bornOnOrBefore !== undefined) conditions.push(`r.birth_date <= ${p.date(leaf.bornOnOrBefore)}`);
    if (leaf.bornAfter !== undefined) conditions.push(`r.birth_date > ${p.date(leaf.bornAfter)}`);
    return `leaf_${leaf.index} AS (SELECT r.resident_ref, CAST(NULL AS DATE) AS "at" FROM residents r WHERE ${conditions.join(" AND ")})`;
  }
  return `leaf_${leaf.index} AS (SELECT e.resident_ref, e."at" FROM ${TABLE_OF[leaf.kind]} e WHERE ${eventConditions(leaf, p).join(" AND ")})`;
}

/** Appends the CTEs of a node's subtree; returns the name of the relation holding its residents. */
function nodeCtes(node: ResolvedNode, ctes: string[]): string {
  if (node.type === "leaf") return `leaf_${node.leaf}`;
  const name = `node_${ctes.length}`;
  ctes.push(""); // reserve the name before the children take theirs
  const slot = ctes.length - 1;
  if (node.type === "not") {
    const child = nodeCtes(node.child, ctes);
    ctes[slot] = `${name} AS (SELECT resident_ref FROM residents EXCEPT SELECT resident_ref FROM ${child})`;
  } else {
    const operator = node.type === "and" ? "INTERSECT" : "UNION";
    const children = node.children.map((child) => nodeCtes(child, ctes));
    ctes[slot] = `${name} AS (${children.map((c) => `SELECT resident_ref FROM ${c}`).join(` ${operator} `)})`;
  }
  return name;
}

function leafCtes(resolved: ResolvedCriteria, p: Params): string[] {
  return resolved.order.map((index) => leafCte(resolved.leaves[index]!, p));
}

// Node CTEs are emitted children first so each refers only to earlier ones.
function ordered(ctes: string[]): string[] {
  return [...ctes].reverse();
}

/** The CTEs of a tree and the SELECT of its cohort (distinct resident_ref of the residents table). */
function cohortParts(criteria: unknown, options: EvaluationOptions): { withClause: string; cohort: string; params: CompiledQuery["params"] } {
  const resolved = resolveCriteria(parseCriteria(criteria), options);
  const p = new Params();
  const leaves = leafCtes(resolved, p);
  const nodes: string[] = [];
  const root = nodeCtes(resolved.root, nodes);
  return { withClause: `WITH ${[...leaves, ...ordered(nodes)].join(",\n")}`, cohort: `SELECT resident_ref FROM ${root} INTERSECT SELECT resident_ref FROM residents`, params: p.values };
}

/**
 * One statement selecting the distinct residents (of the residents table) meeting the criteria:
 * rows `{ resident_ref }`. Throws INVALID_INPUT for an invalid tree or index date.
 */
export function compileCohort(criteria: unknown, options: EvaluationOptions): CompiledQuery {
  const { withClause, cohort, params } = cohortParts(criteria, options);
  return { sql: `${withClause}\n${cohort}`, params };
}

/**
 * One statement counting the residents of compileCohort's cohort: returns one row
 * `{ residents: BIGINT }`. Throws INVALID_INPUT for an invalid tree or index date.
 */
export function compileCount(criteria: unknown, options: EvaluationOptions): CompiledQuery {
  const { withClause, cohort, params } = cohortParts(criteria, options);
  return { sql: `${withClause}\nSELECT count(*) AS residents FROM (${cohort}) cohort`, params };
}

/** One step of a screening funnel. */
export interface FunnelStep {
  readonly step: number;
  readonly kind: "population" | "inclusion" | "exclusion";
  /** JSON Pointer of the criterion applied at this step ("" for the population). */
  readonly criterion: string;
  readonly residents: number;
}

/** The funnel's steps without counts: inclusions (children of a top-level `and` that are not `not`) in order, then exclusions. */
export function funnelPlan(criteria: Criteria): Omit<FunnelStep, "residents">[] {
  const steps: Omit<FunnelStep, "residents">[] = [{ step: 0, kind: "population", criterion: "" }];
  const children = criteria.type === "and" ? criteria.children.map((child, i) => ({ child, pointer: `/children/${i}` })) : [{ child: criteria, pointer: "" }];
  for (const { child, pointer } of children) if (child.type !== "not") steps.push({ step: steps.length, kind: "inclusion", criterion: pointer });
  for (const { child, pointer } of children) if (child.type === "not") steps.push({ step: steps.length, kind: "exclusion", criterion: `${pointer}/child` });
  return steps;
}

/**
 * One statement giving the funnel: the residents of the institution, then the residents left after
 * each top-level inclusion criterion in order, then after each exclusion (a top-level `not`). Rows
 * `{ step: INTEGER, residents: BIGINT }` ordered by step; the last step equals compileCount's count.
 */
export function compileFunnel(criteria: unknown, options: EvaluationOptions): CompiledQuery {
  const tree = parseCriteria(criteria);
  const resolved = resolveCriteria(tree, options);
  const p = new Params();
  const leaves = leafCtes(resolved, p);
  const nodes: string[] = [];
  const root = resolved.root;
  const parts = root.type === "and" ? root.children : [root];
  const inclusions = parts.filter((part) => part.type !== "not").map((part) => nodeCtes(part, nodes));
  const exclusions = parts.flatMap((part) => (part.type === "not" ? [nodeCtes(part.child, nodes)] : []));
  const steps = [`step_0 AS (SELECT DISTINCT resident_ref FROM residents)`];
  for (const relation of inclusions) steps.push(`step_${steps.length} AS (SELECT resident_ref FROM step_${steps.length - 1} INTERSECT SELECT resident_ref FROM ${relation})`);
  for (const relation of exclusions) steps.push(`step_${steps.length} AS (SELECT resident_ref FROM step_${steps.length - 1} EXCEPT SELECT resident_ref FROM ${relation})`);
  const counts = steps.map((_, i) => `SELECT ${i} AS step, count(*) AS residents FROM step_${i}`).join(" UNION ALL ");
  const sql = `WITH ${[...leaves, ...ordered(nodes), ...steps].join(",\n")}\nSELECT step, residents FROM (${counts}) funnel ORDER BY step`;
  return { sql, params: p.values };
}

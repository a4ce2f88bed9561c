// k-anonymity of a de-identified export (Samarati 2001; Sweeney 2002, "k-anonymity: a model for
// protecting privacy"): every combination of quasi-identifier values must be shared by at least k
// rows. `generalise` searches the lattice of full-domain generalisations (one level per
// quasi-identifier) for the least generalised node that reaches k, suppressing at most a given number
// of outlier rows. When none does, the export is refused with the report, never silently trimmed.
import type { Bilingual } from "./invalid.ts";
import { invalidPrivacyInput } from "./invalid.ts";
import {
  HIERARCHY_LEVELS,
  QUASI_IDENTIFIER_KINDS,
  generaliseValue,
  validateQuasiValue,
  type QuasiIdentifierKind,
} from "./hierarchy.ts";

/** A column of the export that, combined with others, may single a person out. */
export interface QuasiIdentifier {
  readonly field: string;
  readonly kind: QuasiIdentifierKind;
  /** The highest level `generalise` may use (default: the top of the hierarchy, "*"). */
  readonly maxLevel?: number;
}

export type ExportRow = Readonly<Record<string, unknown>>;

/** Rows sharing the same quasi-identifier values. */
export interface EquivalenceClass {
  readonly values: Readonly<Record<string, unknown>>;
  readonly size: number;
  /** Indices of the rows in the input. */
  readonly rows: readonly number[];
}

export interface KAnonymityCheck {
  readonly k: number;
  readonly satisfied: boolean;
  readonly rowCount: number;
  readonly classCount: number;
  /** The size of the smallest class, or null for an empty table. */
  readonly minClassSize: number | null;
  readonly classesBelowK: readonly EquivalenceClass[];
}

export interface GeneraliseOptions {
  /** Outlier rows that may be removed to reach k (default 0: refuse rather than drop anyone). */
  readonly maxSuppressedRows?: number;
}

export interface GeneralisationReport {
  readonly k: number;
  readonly rowCount: number;
  /** The lattice node: one level per quasi-identifier, in the order given. */
  readonly levels: readonly { readonly field: string; readonly kind: QuasiIdentifierKind; readonly level: number; readonly name: string }[];
  readonly classCount: number;
  readonly minClassSize: number | null;
  /** The classes of the rows kept (sizes and values, no row indices). */
  readonly classes: readonly { readonly values: Readonly<Record<string, unknown>>; readonly size: number }[];
  /** Indices (in the input) of the rows removed as outliers. */
  readonly suppressedRows: readonly number[];
  /** Sweeney's precision Prec (1 = nothing generalised) and its complement, the information loss. */
  readonly precision: number;
  readonly informationLoss: number;
  readonly nodesEvaluated: number;
}

export type GeneraliseOutcome =
  | { readonly outcome: "k-anonymous"; readonly rows: readonly ExportRow[]; readonly report: GeneralisationReport }
  | { readonly outcome: "refused"; readonly reason: Bilingual; readonly report: GeneralisationReport };

const MAX_K = 10_000;

function height(kind: QuasiIdentifierKind): number {
  return HIERARCHY_LEVELS[kind].length - 1;
}

function validateInput(rows: unknown, qis: unknown, k: unknown): asserts rows is readonly ExportRow[] {
  if (typeof k !== "number" || !Number.isSafeInteger(k) || k < 2 || k > MAX_K) {
    throw invalidPrivacyInput(
      { what: "k", value: k },
      `k must be an integer from 2 to ${MAX_K} (k = 1 protects no one).`,
      `k 必须是 2 到 ${MAX_K} 之间的整数（k = 1 不保护任何人）。`,
    );
  }
  if (!Array.isArray(qis) || qis.length === 0) {
    throw invalidPrivacyInput({ what: "quasiIdentifiers" }, "Name at least one quasi-identifier.", "请至少指定一个准标识符。");
  }
  const fields = new Set<string>();
  qis.forEach((qi: unknown, index) => {
    const { field, kind, maxLevel } = (qi ?? {}) as Partial<QuasiIdentifier>;
    if (typeof field !== "string" || field.length === 0 || fields.has(field)) {
      throw invalidPrivacyInput(
        { what: "quasiIdentifiers", index },
        `Quasi-identifier ${index} needs a field name, not empty and not repeated.`,
        `第 ${index} 个准标识符需要字段名，且不能为空或重复。`,
      );
    }
    fields.add(field);
    if (!QUASI_IDENTIFIER_KINDS.includes(kind as QuasiIdentifierKind)) {
      throw invalidPrivacyInput(
        { what: "quasiIdentifiers", index, field, kind },
        `Quasi-identifier ${field} has an unknown kind; use one of ${QUASI_IDENTIFIER_KINDS.join(", ")}.`,
        `准标识符 ${field} 的类型未知；可用类型：${QUASI_IDENTIFIER_KINDS.join("、")}。`,
      );
    }
    const top = height(kind as QuasiIdentifierKind);
    if (maxLevel !== undefined && (!Number.isSafeInteger(maxLevel) || maxLevel < 0 || maxLevel > top)) {
      throw invalidPrivacyInput(
        { what: "quasiIdentifiers", index, field, maxLevel },
        `The maximum level of ${field} must be an integer from 0 to ${top}.`,
        `${field} 的最高泛化层级必须是 0 到 ${top} 之间的整数。`,
      );
    }
  });
  if (!Array.isArray(rows)) {
    throw invalidPrivacyInput({ what: "rows" }, "The export rows must be an array of objects.", "导出行必须是对象数组。");
  }
  rows.forEach((row: unknown, index) => {
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      throw invalidPrivacyInput({ what: "rows", row: index }, `Row ${index} is not an object.`, `第 ${index} 行不是对象。`);
    }
    for (const qi of qis as QuasiIdentifier[]) {
      const value = (row as ExportRow)[qi.field];
      if (value === undefined) {
        throw invalidPrivacyInput(
          { what: "rows", row: index, field: qi.field },
          `Row ${index} has no quasi-identifier ${qi.field} (use null for a missing value).`,
          `第 ${index} 行缺少准标识符 ${qi.field}（缺失值请用 null）。`,
        );
      }
      validateQuasiValue(qi.kind, value, { row: index, field: qi.field });
    }
  });
}

/** For each QI and level, the generalised value of every row and its grouping key. */
interface Columns {
  readonly values: unknown[][][]; // [qi][level][row]
  readonly keys: string[][][];
}

function precompute(rows: readonly ExportRow[], qis: readonly QuasiIdentifier[]): Columns {
  const values = qis.map((qi) =>
    Array.from({ length: height(qi.kind) + 1 }, (_, level) => rows.map((row) => generaliseValue(qi.kind, row[qi.field], level))),
  );
  const keys = values.map((levels) => levels.map((column) => column.map((value) => JSON.stringify(value))));
  return { values, keys };
}

/** The equivalence classes of the rows at a lattice node, in order of first appearance. */
function classesAt(columns: Columns, qis: readonly QuasiIdentifier[], node: readonly number[], rowCount: number): EquivalenceClass[] {
  const groups = new Map<string, number[]>();
  for (let row = 0; row < rowCount; row++) {
    const key = node.map((level, qi) => columns.keys[qi]![level]![row]).join("\u0001");
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [row]);
    else group.push(row);
  }
  return [...groups.values()].map((members) => ({
    values: Object.fromEntries(qis.map((qi, index) => [qi.field, columns.values[index]![node[index]!]![members[0]!]])),
    size: members.length,
    rows: members,
  }));
}

/** Which combinations of quasi-identifier values fewer than k rows share. */
export function checkKAnonymity(rows: readonly ExportRow[], qis: readonly QuasiIdentifier[], k: number): KAnonymityCheck {
  validateInput(rows, qis, k);
  const classes = classesAt(precompute(rows, qis), qis, qis.map(() => 0), rows.length);
  const below = classes.filter((found) => found.size < k);
  return {
    k,
    satisfied: below.length === 0,
    rowCount: rows.length,
    classCount: classes.length,
    minClassSize: classes.length === 0 ? null : Math.min(...classes.map((found) => found.size)),
    classesBelowK: below,
  };
}

/**
 * Sweeney 2002, §4 (precision metric): Prec = 1 − Σᵢ Σⱼ (hᵢⱼ / |DGHᵢ|) / (|PT| · N_A), hᵢⱼ the
 * level of attribute i in row j and |DGHᵢ| the height of its hierarchy. A suppressed row counts as
 * fully generalised in every attribute.
 */
function precision(qis: readonly QuasiIdentifier[], node: readonly number[], rowCount: number, suppressed: number): number {
  if (rowCount === 0) return 1;
  const keptShare = node.reduce((sum, level, index) => sum + level / height(qis[index]!.kind), 0);
  const lost = (rowCount - suppressed) * keptShare + suppressed * qis.length;
  return 1 - lost / (rowCount * qis.length);
}

/** Every node of the lattice whose levels sum to `total`, within each QI's maximum. */
function nodesOfHeight(maxima: readonly number[], total: number): number[][] {
  const found: number[][] = [];
  const walk = (prefix: number[], remaining: number) => {
    const index = prefix.length;
    if (index === maxima.length) {
      if (remaining === 0) found.push(prefix);
      return;
    }
    for (let level = 0; level <= Math.min(maxima[index]!, remaining); level++) walk([...prefix, level], remaining - level);
  };
  walk([], total);
  return found;
}

interface Evaluated {
  readonly node: readonly number[];
  readonly classes: readonly EquivalenceClass[];
  readonly suppressed: readonly number[];
  readonly precision: number;
}

function compareLevels(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/**
 * The least generalised export that is k-anonymous. Search: the lattice by increasing height (sum of
 * levels), as Samarati's minimal generalisation; the first height with a node that reaches k with at
 * most `maxSuppressedRows` outliers wins. Ties at that height: fewer suppressed rows, then higher
 * precision, then the lexicographically smallest levels in the order the quasi-identifiers are
 * given (list the one that matters most to the study first: it is generalised least).
 */
export function generalise(
  rows: readonly ExportRow[],
  qis: readonly QuasiIdentifier[],
  k: number,
  options: GeneraliseOptions = {},
): GeneraliseOutcome {
  validateInput(rows, qis, k);
  const maxSuppressed = options.maxSuppressedRows ?? 0;
  if (!Number.isSafeInteger(maxSuppressed) || maxSuppressed < 0) {
    throw invalidPrivacyInput(
      { what: "maxSuppressedRows", value: maxSuppressed },
      "maxSuppressedRows must be a non-negative integer.",
      "maxSuppressedRows 必须是非负整数。",
    );
  }
  const columns = precompute(rows, qis);
  const maxima = qis.map((qi) => qi.maxLevel ?? height(qi.kind));
  const top = maxima.reduce((sum, level) => sum + level, 0);
  let nodesEvaluated = 0;
  const evaluate = (node: readonly number[]): Evaluated => {
    nodesEvaluated++;
    const classes = classesAt(columns, qis, node, rows.length);
    const suppressed = classes.filter((found) => found.size < k).flatMap((found) => found.rows).sort((a, b) => a - b);
    return { node, classes, suppressed, precision: precision(qis, node, rows.length, suppressed.length) };
  };
  // Removing every row is not an export: with rows, at least one must remain.
  const feasible = (found: Evaluated) =>
    found.suppressed.length <= maxSuppressed && (rows.length === 0 || found.suppressed.length < rows.length);

  for (let total = 0; total <= top; total++) {
    const candidates = nodesOfHeight(maxima, total).map(evaluate).filter(feasible);
    if (candidates.length === 0) continue;
    candidates.sort(
      (a, b) => a.suppressed.length - b.suppressed.length || b.precision - a.precision || compareLevels(a.node, b.node),
    );
    const best = candidates[0]!;
    const removed = new Set(best.suppressed);
    const output = rows.flatMap((row, index) =>
      removed.has(index)
        ? []
        : [{ ...row, ...Object.fromEntries(qis.map((qi, q) => [qi.field, columns.values[q]![best.node[q]!]![index]])) }],
    );
    return { outcome: "k-anonymous", rows: output, report: report(best, qis, k, rows.length, nodesEvaluated) };
  }
  // No node works: report the most general one allowed, whose classes below k say why.
  const mostGeneral = evaluate(maxima);
  const reason: Bilingual = {
    en:
      `The export is refused: no generalisation within the allowed levels makes every group of quasi-identifier values ` +
      `at least ${k} rows without removing more than ${maxSuppressed} row(s); the most general one still leaves ` +
      `${mostGeneral.suppressed.length} of ${rows.length} row(s) in groups smaller than ${k}.`,
    zh:
      `导出被拒绝：在允许的泛化层级内，不删除超过 ${maxSuppressed} 行就无法使每组准标识符取值至少有 ${k} 行；` +
      `最高泛化下仍有 ${rows.length} 行中的 ${mostGeneral.suppressed.length} 行处于少于 ${k} 行的组中。`,
  };
  return { outcome: "refused", reason, report: report(mostGeneral, qis, k, rows.length, nodesEvaluated) };
}

function report(found: Evaluated, qis: readonly QuasiIdentifier[], k: number, rowCount: number, nodesEvaluated: number): GeneralisationReport {
  const removed = new Set(found.suppressed);
  const kept = found.classes.filter((group) => !group.rows.some((row) => removed.has(row)));
  return {
    k,
    rowCount,
    levels: qis.map((qi, index) => ({
      field: qi.field,
      kind: qi.kind,
      level: found.node[index]!,
      name: HIERARCHY_LEVELS[qi.kind][found.node[index]!]!,
    })),
    classCount: kept.length,
    minClassSize: kept.length === 0 ? null : Math.min(...kept.map((group) => group.size)),
    classes: kept.map((group) => ({ values: group.values, size: group.size })),
    suppressedRows: found.suppressed,
    precision: found.precision,
    informationLoss: 1 - found.precision,
    nodesEvaluated,
  };
}

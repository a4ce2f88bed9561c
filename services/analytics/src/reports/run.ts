// Runs a configurable report at each institution on its own DuckDB connection, protects the counts
// that leave the institution (small cells, `src/privacy`), and merges them into one report table.
import type { DuckDBConnection } from "@duckdb/node-api";
import { isSuppressedCell, protectCounts, smallCellPolicy, type Bilingual, type PerturbationContext, type SmallCellPolicy } from "../privacy/index.ts";
import { suppressionNote } from "../privacy/cell.ts";
import { dimensionLayout, type DimensionLayout } from "./columns.ts";
import { compileReport } from "./compile.ts";
import { parseReportDefinition, type ReportDefinition } from "./definition.ts";
import { reportRefusal } from "./invalid.ts";
import { MEASURE_LABEL, dimensionLabel } from "./labels.ts";
import { sortRows, stamp, type ReportCell, type ReportRow, type ReportTable } from "./table.ts";

export interface ReportInstitution {
  readonly code: string;
  readonly connection: DuckDBConnection;
}

export interface RunReportOptions {
  /** Required when the definition's small-cell mode is "perturb". */
  readonly perturbation?: PerturbationContext;
  readonly now?: Date;
}

/** One group of one institution: the raw dimension values and its protected count (null: suppressed). */
interface ProtectedGroup {
  readonly institution: string;
  readonly values: readonly ReportCell[];
  readonly count: number | null;
}

const MAX_LISTED = 50;

function selectInstitutions(institutions: readonly ReportInstitution[], definition: ReportDefinition): ReportInstitution[] {
  const codes = new Set<string>();
  for (const inst of institutions) {
    if (codes.has(inst.code)) throw reportRefusal({ institution: inst.code, reason: "duplicate-institution" }, `The institution ${inst.code} is given twice.`, `机构 ${inst.code} 重复。`);
    codes.add(inst.code);
  }
  const wanted = definition.filters.institutions;
  if (wanted === undefined) return [...institutions];
  const unknown = wanted.filter((code) => !codes.has(code));
  if (unknown.length > 0) {
    throw reportRefusal({ path: "/filters/institutions", reason: "unknown-institution", institutions: unknown }, `Unknown institution(s): ${unknown.join(", ")}.`, `未知机构：${unknown.join("、")}。`);
  }
  return institutions.filter((inst) => wanted.includes(inst.code));
}

async function hasTable(connection: DuckDBConnection, table: string): Promise<boolean> {
  const reader = await connection.runAndReadAll("SELECT count(*) AS n FROM information_schema.tables WHERE table_name = $1", [table]);
  return Number(reader.getRowObjects()[0]!["n"]) > 0;
}

/** Refuses, before anything runs, when an institution's database has no encounters table. */
async function checkEncounters(institutions: readonly ReportInstitution[]): Promise<void> {
  const missing: string[] = [];
  for (const inst of institutions) if (!(await hasTable(inst.connection, "encounters"))) missing.push(inst.code);
  if (missing.length > 0) {
    throw reportRefusal(
      { reason: "no-encounters", institutions: missing },
      `Encounters and their departments are not recorded in the database of ${missing.join(", ")}: leave out the department dimension and encounter measures, or the institutions.`,
      `${missing.join("、")} 的数据库没有就诊（及科室）数据：请去掉科室维度和就诊类指标，或去掉这些机构。`,
    );
  }
}

async function groupsOf(inst: ReportInstitution, definition: ReportDefinition, policy: SmallCellPolicy, perturbation: PerturbationContext | undefined): Promise<ProtectedGroup[]> {
  const { sql, params, dimensions } = compileReport(definition);
  const rows = (await inst.connection.runAndReadAll(sql, params)).getRowsJS();
  const groups = rows.map((row) => ({ values: row.slice(0, dimensions.length).map((v) => (v === null ? null : typeof v === "bigint" ? Number(v) : (v as string | number))), count: Number(row[dimensions.length]) }));
  const keyOf = (values: readonly ReportCell[]) => JSON.stringify([inst.code, ...values]);
  const protectedCounts = protectCounts(groups.map((g) => ({ key: keyOf(g.values), count: g.count })), { policy, showTotal: false, ...(perturbation ? { perturbation } : {}) });
  return groups.map((g, i) => {
    const cell = protectedCounts.cells[i]!.cell;
    return { institution: inst.code, values: g.values, count: isSuppressedCell(cell) ? null : cell.value };
  });
}

/** District figures: the sum of the institutions' shown counts; a part suppressed anywhere hides the sum. */
function mergeGroups(groups: readonly ProtectedGroup[], byInstitution: boolean): ProtectedGroup[] {
  const merged = new Map<string, { values: readonly ReportCell[]; institution: string; count: number | null }>();
  for (const g of groups) {
    const key = JSON.stringify(byInstitution ? [g.institution, ...g.values] : g.values);
    const current = merged.get(key);
    if (current === undefined) merged.set(key, { ...g });
    else current.count = current.count === null || g.count === null ? null : current.count + g.count;
  }
  return [...merged.values()];
}

function titleOf(definition: ReportDefinition): Bilingual {
  if (definition.title) return definition.title;
  const measure = MEASURE_LABEL[definition.measure];
  if (definition.dimensions.length === 0) return measure;
  const labels = definition.dimensions.map(dimensionLabel);
  return { en: `${measure.en} by ${labels.map((l) => l.en).join(" and ")}`, zh: `${measure.zh}（按${labels.map((l) => l.zh).join("、")}）` };
}

function describeRow(row: ReportRow, layouts: readonly DimensionLayout[]): string {
  return layouts.map((l) => String(row[l.columns[0]!.key] ?? "—")).join(" · ") || "total";
}

function notesOf(definition: ReportDefinition, rows: readonly ReportRow[], layouts: readonly DimensionLayout[], protectionNote: Bilingual): Bilingual[] {
  const notes: Bilingual[] = [protectionNote];
  const hidden = rows.filter((row) => row["count"] === null).map((row) => describeRow(row, layouts));
  if (hidden.length > 0) {
    const listed = hidden.slice(0, MAX_LISTED).join("; ");
    const more = hidden.length > MAX_LISTED ? { en: ` and ${hidden.length - MAX_LISTED} more`, zh: ` 等，另有 ${hidden.length - MAX_LISTED} 个` } : { en: "", zh: "" };
    notes.push({ en: `${hidden.length} cell(s) suppressed (shown empty): ${listed}${more.en}.`, zh: `已隐藏 ${hidden.length} 个单元格（显示为空）：${listed}${more.zh}。` });
  }
  if (!definition.dimensions.some((d) => d.by === "institution")) {
    notes.push({
      en: "District figures add up the institutions' protected counts: a resident seen at several institutions is counted at each, and a figure with a part suppressed at any institution is suppressed.",
      zh: "全区数据为各机构受保护计数之和：在多家机构就诊的居民在每家机构各计一次；任一机构的组成部分被隐藏时，该数据也隐藏。",
    });
  }
  return notes;
}

/**
 * Runs a report definition (validated here) at every institution selected by its filters, each on its
 * own connection, one statement each, and returns the merged, protected report table.
 */
export async function runReport(institutions: readonly ReportInstitution[], input: unknown, options: RunReportOptions = {}): Promise<ReportTable> {
  const definition = parseReportDefinition(input);
  const policy = smallCellPolicy(definition.smallCells);
  const selected = selectInstitutions(institutions, definition);
  if (compileReport(definition).needsEncounters) await checkEncounters(selected);
  if (policy.mode === "perturb" && options.perturbation === undefined) {
    throw reportRefusal({ reason: "perturbation-context" }, "The perturb mode needs a perturbation context (secret key and query fingerprint).", "扰动模式需要扰动上下文（密钥和查询指纹）。");
  }
  const groups: ProtectedGroup[] = [];
  for (const inst of selected) groups.push(...(await groupsOf(inst, definition, policy, options.perturbation)));

  const byInstitution = definition.dimensions.some((d) => d.by === "institution");
  const inSql = definition.dimensions.filter((d) => d.by !== "institution");
  const layouts = definition.dimensions.map(dimensionLayout);
  const rawOf = (g: ProtectedGroup, index: number): ReportCell => (definition.dimensions[index]!.by === "institution" ? g.institution : g.values[inSql.indexOf(definition.dimensions[index]!)]!);
  const keyed = mergeGroups(groups, byInstitution).map((g) => {
    const row: ReportRow = {};
    layouts.forEach((layout, i) => {
      Object.assign(row, layout.cells(rawOf(g, i)));
      row[`__order${i}`] = layout.order(rawOf(g, i));
    });
    row["count"] = g.count;
    return row;
  });
  const rows = sortRows(keyed, layouts.map((_, i) => `__order${i}`)).map((row) => Object.fromEntries(Object.entries(row).filter(([key]) => !key.startsWith("__order"))));
  const measure = MEASURE_LABEL[definition.measure];
  return {
    id: definition.id,
    title: titleOf(definition),
    columns: [...layouts.flatMap((l) => l.columns), { key: "count", zh: measure.zh, en: measure.en, type: "number" }],
    rows,
    notes: notesOf(definition, rows, layouts, suppressionNote(policy)),
    generatedAt: stamp(options.now),
    parameters: { definition, institutions: selected.map((inst) => inst.code), policy },
  };
}

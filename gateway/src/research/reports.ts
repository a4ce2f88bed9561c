// The research service's statistics and reports through the gateway: configurable reports and
// presets over the topic databases (each institution's counts protected before they are merged:
// never below the gateway's small-cell threshold, whatever the definition asks), the data-resource
// report from the collection service's database, and usage statistics from the research
// service's own events — as JSON (ReportTable, ready for charts), CSV (one table) or Excel.
import type { Context } from "hono";
import { fingerprint, platformError } from "@health-chain/sdk";
import type { GatewayDeps, GatewayEnv } from "../context.ts";
import type { ResearchDeps } from "./deps.ts";
import { openResearchTopic } from "./topics.ts";
import { parseReportDefinition, reportToCsv, reportsToXlsx, runReport, type ReportTable } from "../../../services/analytics/src/reports/index.ts";

export type ReportFormat = "json" | "csv" | "xlsx";

/**
 * A report definition under the gateway's small-cell policy: the method and its parameters are the
 * platform's (a definition asking for exact counts under a perturbing gateway gets noise all the
 * same); a definition may only raise the threshold.
 */
function withFloor(deps: GatewayDeps, input: unknown) {
  const definition = parseReportDefinition(input);
  const floor = deps.config.analytics!.smallCells;
  return { ...definition, smallCells: { threshold: Math.max(definition.smallCells.threshold ?? 0, floor.threshold), mode: floor.method } };
}

/**
 * The noise key of a report: what it counts (measure, dimensions, filters) and the data it counted
 * — not its id or title, so asking the same question under other names cannot average the noise away.
 */
function questionOf(definition: ReturnType<typeof withFloor>): unknown {
  const { id: _id, title: _title, ...question } = definition;
  void _id;
  void _title;
  return question;
}

/** Runs report definitions on the latest topic version: every institution it holds. */
export async function runTopicReports(deps: GatewayDeps, research: ResearchDeps, inputs: readonly unknown[]): Promise<ReportTable[]> {
  const definitions = inputs.map((input) => withFloor(deps, input));
  const topic = await openResearchTopic(research);
  try {
    const institutions = [...topic.connections].map(([code, connection]) => ({ code, connection }));
    const tables: ReportTable[] = [];
    for (const definition of definitions) {
      // The noise of a perturbed cell is keyed by the question and the data it ran on.
      const queryFingerprint = fingerprint({ question: questionOf(definition), data: Object.fromEntries(topic.dataVersions) });
      tables.push(await runReport(institutions, definition, { perturbation: { key: research.noiseKey, queryFingerprint }, now: deps.clock.now() }));
    }
    return tables;
  } finally {
    topic.close();
  }
}

/** Answers tables in the format asked: JSON, CSV (exactly one table: `table` picks it) or one Excel workbook. */
export async function answerReports(c: Context<GatewayEnv>, tables: readonly ReportTable[], options: { format: ReportFormat; lang: "zh" | "en"; table?: string | undefined; name: string; now: Date }) {
  const stamp = options.now.toISOString().replaceAll(":", "").slice(0, 15);
  if (options.format === "json") return c.json({ tables } as never, 200);
  if (options.format === "xlsx") {
    const body = await reportsToXlsx([...tables], options.lang);
    return c.body(new Uint8Array(body), 200, {
      "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "Content-Disposition": `attachment; filename="${options.name}-${stamp}.xlsx"`,
    });
  }
  const chosen = options.table === undefined && tables.length === 1 ? tables[0] : tables.find((t) => t.id === options.table);
  if (chosen === undefined) {
    throw platformError("INVALID_INPUT", {
      message: `CSV holds one table: name it with table= (one of ${tables.map((t) => t.id).join(", ")}), or ask for xlsx.`,
      messageZh: `CSV 只能包含一张表：请用 table= 指定（${tables.map((t) => t.id).join("、")}），或改用 xlsx。`,
      details: { reason: "csv-needs-one-table", tables: tables.map((t) => t.id) },
    });
  }
  return c.body(reportToCsv(chosen, options.lang), 200, {
    "Content-Type": "text/csv; charset=utf-8",
    "Content-Disposition": `attachment; filename="${chosen.id}-${stamp}.csv"`,
  });
}

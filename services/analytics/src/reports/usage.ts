// Usage statistics (使用统计): who ran queries, exports and downloads — by institution, department,
// person and month — from the usage events the service records. Every event is checked before
// anything is counted; a bad one refuses the whole input with its index.
import { z } from "zod";
import { reportRefusal } from "./invalid.ts";
import { sortRows, stamp, type ReportColumn, type ReportRow, type ReportTable } from "./table.ts";

export const USAGE_KINDS = ["query", "export", "download"] as const;
export type UsageKind = (typeof USAGE_KINDS)[number];

const UsageEventSchema = z.object({
  at: z.iso.datetime({ offset: true }),
  kind: z.enum(USAGE_KINDS),
  institution: z.string().min(1).max(100),
  department: z.string().min(1).max(100).nullable(),
  person: z.string().min(1).max(200),
  requestId: z.string().max(200).optional(),
});
export type UsageEvent = z.infer<typeof UsageEventSchema>;

export interface UsageReportOptions {
  readonly now?: Date;
  /** Month boundaries in this offset from UTC, in minutes (default 480: China Standard Time). */
  readonly utcOffsetMinutes?: number;
}

interface Tally {
  query: number;
  export: number;
  download: number;
}

const KIND_COLUMNS: readonly ReportColumn[] = [
  { key: "queries", zh: "查询次数", en: "queries", type: "number" },
  { key: "exports", zh: "导出次数", en: "exports", type: "number" },
  { key: "downloads", zh: "下载次数", en: "downloads", type: "number" },
  { key: "total", zh: "合计", en: "total", type: "number" },
];

const DIMENSION_COLUMNS: Readonly<Record<"institution" | "department" | "person" | "month", ReportColumn>> = {
  institution: { key: "institution", zh: "机构", en: "institution", type: "string" },
  department: { key: "department", zh: "科室", en: "department", type: "string" },
  person: { key: "person", zh: "人员", en: "person", type: "string" },
  month: { key: "month", zh: "月份", en: "month", type: "string" },
};
type UsageDimension = keyof typeof DIMENSION_COLUMNS;

const VIEWS: readonly { id: string; title: { en: string; zh: string }; by: readonly UsageDimension[] }[] = [
  { id: "usage-by-institution", title: { en: "Usage by institution", zh: "各机构使用统计" }, by: ["institution"] },
  { id: "usage-by-department", title: { en: "Usage by department", zh: "各科室使用统计" }, by: ["institution", "department"] },
  { id: "usage-by-person", title: { en: "Usage by person", zh: "各人员使用统计" }, by: ["institution", "department", "person"] },
  { id: "usage-by-month", title: { en: "Usage by month", zh: "每月使用统计" }, by: ["month"] },
];

function checkEvent(value: unknown, index: number): UsageEvent {
  const parsed = UsageEventSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join(".") || "event";
  throw reportRefusal(
    { index, field, code: issue.code },
    `Usage event ${index}: ${field} is invalid (${issue.message}). Nothing was counted.`,
    `使用记录第 ${index} 条：${field} 无效。未统计任何数据。`,
  );
}

function monthOf(at: string, offsetMinutes: number): string {
  return new Date(Date.parse(at) + offsetMinutes * 60_000).toISOString().slice(0, 7);
}

/** Counts usage events (an array or an async iterable) into four report tables: by institution, department, person and month. */
export async function usageReports(events: Iterable<unknown> | AsyncIterable<unknown>, options: UsageReportOptions = {}): Promise<ReportTable[]> {
  const offset = options.utcOffsetMinutes ?? 480;
  const tallies = VIEWS.map(() => new Map<string, Tally>());
  let index = 0;
  let from: string | null = null;
  let to: string | null = null;
  for await (const raw of events) {
    const event = checkEvent(raw, index++);
    const values: Record<UsageDimension, string | null> = { institution: event.institution, department: event.department, person: event.person, month: monthOf(event.at, offset) };
    VIEWS.forEach((view, v) => {
      const key = JSON.stringify(view.by.map((d) => values[d]));
      const tally = tallies[v]!.get(key) ?? { query: 0, export: 0, download: 0 };
      tally[event.kind]++;
      tallies[v]!.set(key, tally);
    });
    if (from === null || event.at < from) from = event.at;
    if (to === null || event.at > to) to = event.at;
  }
  const generatedAt = stamp(options.now);
  return VIEWS.map((view, v) => {
    const rows: ReportRow[] = [...tallies[v]!].map(([key, t]) => {
      const values = JSON.parse(key) as (string | null)[];
      return { ...Object.fromEntries(view.by.map((d, i) => [d, values[i]!])), queries: t.query, exports: t.export, downloads: t.download, total: t.query + t.export + t.download };
    });
    return {
      id: view.id,
      title: view.title,
      columns: [...view.by.map((d) => DIMENSION_COLUMNS[d]), ...KIND_COLUMNS],
      rows: sortRows(rows, view.by),
      notes: [
        { en: `${index} usage event(s) counted${from ? ` from ${from} to ${to}` : ""}; months in UTC${offset >= 0 ? "+" : "−"}${Math.abs(offset / 60)}.`, zh: `共统计 ${index} 条使用记录${from ? `（${from} 至 ${to}）` : ""}；月份按 UTC${offset >= 0 ? "+" : "−"}${Math.abs(offset / 60)} 划分。` },
        ...(view.by.includes("department") ? [{ en: "An empty department: the person acted for the institution, not a department.", zh: "科室为空：以机构身份操作，未属于科室。" }] : []),
      ],
      generatedAt,
      parameters: { view: view.by, utcOffsetMinutes: offset },
    };
  });
}

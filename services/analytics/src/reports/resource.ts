// The data-resource report (数据资源报告) from services/his's database: collection (runs per task),
// classification and grading (records per category/model and per consent field group, each group
// graded), quality (the runs' quality reports, the open quarantine) and inventory (records per
// institution × model). Read-only; works on SQLite and PostgreSQL alike through Prisma.
import type { HisDb } from "@health-chain/his";
import { FIELD_GROUP_GRADES, GRADE_NAMES, GRADING_SOURCE, gradeOfFieldGroup } from "./grading.ts";
import { sortRows, stamp, type ReportColumn, type ReportRow, type ReportTable } from "./table.ts";
import { qualityReports } from "./resource-quality.ts";

export interface ResourceReportOptions {
  readonly now?: Date;
  /** Records read per page when the field groups are counted. */
  readonly pageSize?: number;
}

const col = (key: string, zh: string, en: string, type: ReportColumn["type"] = "number", lang?: "zh" | "en"): ReportColumn => ({ key, zh, en, type, ...(lang ? { lang } : {}) });
const iso = (date: Date | null | undefined): string | null => (date ? date.toISOString() : null);

export function table(id: string, title: { en: string; zh: string }, columns: ReportColumn[], rows: ReportRow[], generatedAt: string, notes: { en: string; zh: string }[] = [], parameters: Record<string, unknown> = {}): ReportTable {
  return { id, title, columns, rows, notes, generatedAt, parameters };
}

/** 采集情况: per task, its runs by status and the volumes they moved, the last run and last success. */
export async function collectionReport(db: HisDb, options: ResourceReportOptions = {}): Promise<ReportTable> {
  const tasks = await db.collectionTask.findMany({ select: { id: true, name: true, format: true, enabled: true }, orderBy: { id: "asc" } });
  const byStatus = await db.collectionRun.groupBy({ by: ["taskId", "status"], _count: { _all: true } });
  const volumes = await db.collectionRun.groupBy({ by: ["taskId"], _sum: { read: true, accepted: true, duplicates: true, changes: true, quarantined: true, filtered: true } });
  const lastSuccess = await db.collectionRun.groupBy({ by: ["taskId"], where: { status: "succeeded" }, _max: { finishedAt: true } });
  const rows: ReportRow[] = [];
  for (const task of tasks) {
    const runs = (status?: string) => byStatus.filter((g) => g.taskId === task.id && (status === undefined || g.status === status)).reduce((n, g) => n + g._count._all, 0);
    const sum = volumes.find((v) => v.taskId === task.id)?._sum;
    const last = await db.collectionRun.findFirst({ where: { taskId: task.id }, orderBy: [{ startedAt: "desc" }, { id: "desc" }], select: { status: true, startedAt: true } });
    rows.push({
      task: task.id, name: task.name, format: task.format, enabled: task.enabled ? "yes" : "no",
      runs: runs(), succeeded: runs("succeeded"), failed: runs("failed"), running: runs("running"), interrupted: runs("interrupted"),
      read: sum?.read ?? 0, accepted: sum?.accepted ?? 0, duplicates: sum?.duplicates ?? 0, changes: sum?.changes ?? 0, quarantined: sum?.quarantined ?? 0, filtered: sum?.filtered ?? 0,
      last_status: last?.status ?? null, last_run_at: iso(last?.startedAt),
      last_success_at: iso(lastSuccess.find((s) => s.taskId === task.id)?._max.finishedAt),
    });
  }
  return table("data-resource-collection", { en: "Collection by task", zh: "数据采集情况（按任务）" }, [
    col("task", "任务", "task", "string"), col("name", "名称", "name", "string"), col("format", "格式", "format", "string"), col("enabled", "启用", "enabled", "string"),
    col("runs", "运行次数", "runs"), col("succeeded", "成功", "succeeded"), col("failed", "失败", "failed"), col("running", "运行中", "running"), col("interrupted", "中断", "interrupted"),
    col("read", "读取", "read"), col("accepted", "新增", "new"), col("duplicates", "重复", "duplicates"), col("changes", "变更", "changes"), col("quarantined", "隔离", "quarantined"), col("filtered", "过滤", "filtered"),
    col("last_status", "最近运行状态", "last run status", "string"), col("last_run_at", "最近运行时间", "last run at", "date"), col("last_success_at", "最近成功时间", "last success at", "date"),
  ], rows, stamp(options.now));
}

interface GroupTally { records: number; members: number }

/** Counts, page by page, the records having each consent field group, per category and model. */
async function tallyFieldGroups(db: HisDb, pageSize: number): Promise<{ models: Map<string, number>; groups: Map<string, GroupTally> }> {
  const models = new Map<string, number>();
  const groups = new Map<string, GroupTally>();
  let after: string | undefined;
  for (;;) {
    const page = await db.collectedRecord.findMany({
      select: { recordId: true, category: true, model: true, fieldsJson: true },
      orderBy: { recordId: "asc" }, take: pageSize, ...(after === undefined ? {} : { cursor: { recordId: after }, skip: 1 }),
    });
    for (const record of page) {
      const modelKey = JSON.stringify([record.category, record.model]);
      models.set(modelKey, (models.get(modelKey) ?? 0) + 1);
      const members = new Map<string, number>();
      for (const value of Object.values(JSON.parse(record.fieldsJson) as Record<string, string>)) {
        const group = value.slice(0, value.indexOf(":") < 0 ? value.length : value.indexOf(":"));
        members.set(group, (members.get(group) ?? 0) + 1);
      }
      for (const [group, count] of members) {
        const key = JSON.stringify([record.category, record.model, group]);
        const tally = groups.get(key) ?? { records: 0, members: 0 };
        tally.records++;
        tally.members += count;
        groups.set(key, tally);
      }
    }
    if (page.length < pageSize) break;
    after = page[page.length - 1]!.recordId;
  }
  return { models, groups };
}

/** 数据分类分级: records per category and model; per field group with its grade; the grading table itself. */
export async function classificationReports(db: HisDb, options: ResourceReportOptions = {}): Promise<ReportTable[]> {
  const generatedAt = stamp(options.now);
  const { models, groups } = await tallyFieldGroups(db, options.pageSize ?? 1000);
  const byModel = sortRows([...models].map(([key, records]) => {
    const [category, model] = JSON.parse(key) as [string, string];
    return { category, model, records };
  }), ["category", "model"]);
  const ungraded = new Set<string>();
  const byGroup = sortRows([...groups].map(([key, tally]) => {
    const [category, model, group] = JSON.parse(key) as [string, string, string];
    const grade = gradeOfFieldGroup(group);
    if (!grade) ungraded.add(group);
    return { category, model, field_group: group, grade: grade?.grade ?? null, grade_zh: grade ? GRADE_NAMES[grade.grade].zh : null, grade_en: grade ? GRADE_NAMES[grade.grade].en : null, records: tally.records, members: tally.members };
  }), ["category", "model", "field_group"]);
  const sourceNote = { en: `Grades after ${GRADING_SOURCE.en}.`, zh: `分级依据 ${GRADING_SOURCE.zh}。` };
  const ungradedNote = ungraded.size === 0 ? [] : [{ en: `Field groups not in the grading table (no grade): ${[...ungraded].sort().join(", ")}.`, zh: `分级表中没有的字段组（未分级）：${[...ungraded].sort().join("、")}。` }];
  return [
    table("data-resource-classification", { en: "Records by category and model", zh: "数据分类（按类别、模型）" },
      [col("category", "类别", "category", "string"), col("model", "模型", "model", "string"), col("records", "记录数", "records")], byModel, generatedAt),
    table("data-resource-grading", { en: "Records by field group and grade", zh: "数据分级（按字段组）" }, [
      col("category", "类别", "category", "string"), col("model", "模型", "model", "string"), col("field_group", "字段组", "field group", "string"),
      col("grade", "级别", "grade"), col("grade_zh", "级别说明", "grade name", "string", "zh"), col("grade_en", "级别说明", "grade name", "string", "en"),
      col("records", "含该字段组的记录数", "records with the group"), col("members", "字段数", "members"),
    ], byGroup, generatedAt, [sourceNote, ...ungradedNote]),
    table("data-grading-table", { en: "Grading table of field groups", zh: "字段组分级表" }, [
      col("field_group", "字段组", "field group", "string"), col("name_zh", "名称", "name", "string", "zh"), col("name_en", "名称", "name", "string", "en"),
      col("grade", "级别", "grade"), col("why_zh", "依据", "why", "string", "zh"), col("why_en", "依据", "why", "string", "en"),
    ], FIELD_GROUP_GRADES.map((g) => ({ field_group: g.group, name_zh: g.name.zh, name_en: g.name.en, grade: g.grade, why_zh: g.why.zh, why_en: g.why.en })), generatedAt, [sourceNote]),
  ];
}

/** 数据资产清单: records per institution × model, anchored and pending, source-time span, distinct residents. */
export async function inventoryReport(db: HisDb, options: ResourceReportOptions = {}): Promise<ReportTable> {
  const states = await db.collectedRecord.groupBy({ by: ["institution", "model", "anchorState"], _count: { _all: true } });
  const spans = await db.collectedRecord.groupBy({ by: ["institution", "model"], _min: { sourceTime: true }, _max: { sourceTime: true } });
  const residents = await db.$queryRaw<{ institution: string; model: string; n: bigint | number }[]>`SELECT "institution", "model", COUNT(DISTINCT "residentRef") AS n FROM "CollectedRecord" GROUP BY "institution", "model"`;
  const rows = sortRows(spans.map((span) => {
    const of = (state?: string) => states.filter((s) => s.institution === span.institution && s.model === span.model && (state === undefined || s.anchorState === state)).reduce((n, s) => n + s._count._all, 0);
    const distinct = residents.find((r) => r.institution === span.institution && r.model === span.model);
    return {
      institution: span.institution, model: span.model, records: of(), anchored: of("anchored"), pending: of("pending"), off_chain: of("off-chain"), rejected: of("rejected"),
      earliest: iso(span._min.sourceTime), latest: iso(span._max.sourceTime), residents: distinct ? Number(distinct.n) : 0,
    };
  }), ["institution", "model"]);
  return table("data-resource-inventory", { en: "Inventory by institution and model", zh: "数据资源清单（按机构、模型）" }, [
    col("institution", "机构", "institution", "string"), col("model", "模型", "model", "string"), col("records", "记录数", "records"),
    col("anchored", "已上链", "anchored"), col("pending", "待上链", "pending"), col("off_chain", "不上链", "off-chain"), col("rejected", "被拒绝", "rejected"),
    col("earliest", "最早数据时间", "earliest source time", "date"), col("latest", "最晚数据时间", "latest source time", "date"), col("residents", "居民数", "residents"),
  ], rows, stamp(options.now), [{ en: "Residents are distinct pseudonymous residentRef values within the institution and model.", zh: "居民数为该机构、该模型内不同的假名化 residentRef 个数。" }]);
}

/** The whole data-resource report: collection, classification and grading, quality, inventory. */
export async function dataResourceReport(db: HisDb, options: ResourceReportOptions = {}): Promise<ReportTable[]> {
  return [
    await collectionReport(db, options),
    ...(await classificationReports(db, options)),
    ...(await qualityReports(db, options)),
    await inventoryReport(db, options),
  ];
}

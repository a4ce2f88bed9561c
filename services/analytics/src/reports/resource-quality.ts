// 数据质量: the quality reports services/his writes per collection run, summed over the runs —
// completeness of each member, validity and code-mapping coverage per model — and the quarantine
// items still open, by stage and reason.
import type { HisDb, QualityReport } from "@health-chain/his";
import { sortRows, stamp, type ReportColumn, type ReportRow, type ReportTable } from "./table.ts";

interface ModelSum {
  seen: number; accepted: number; quarantined: number; duplicates: number; checked: number; valid: number;
  auto: number; confirmed: number; review: number; unknown: number; hasCodes: boolean;
  readonly members: Map<string, { present: number; required: boolean | null }>;
}

const ratio = (part: number, whole: number): number | null => (whole === 0 ? null : part / whole);
const col = (key: string, zh: string, en: string, type: ReportColumn["type"] = "number"): ReportColumn => ({ key, zh, en, type });

function addReport(sums: Map<string, ModelSum>, report: QualityReport): void {
  for (const [model, q] of Object.entries(report.models)) {
    const sum = sums.get(model) ?? { seen: 0, accepted: 0, quarantined: 0, duplicates: 0, checked: 0, valid: 0, auto: 0, confirmed: 0, review: 0, unknown: 0, hasCodes: false, members: new Map() };
    sum.seen += q.seen; sum.accepted += q.accepted; sum.quarantined += q.quarantined; sum.duplicates += q.duplicates;
    sum.checked += q.validity.checked; sum.valid += q.validity.valid;
    if (q.codeMapping) {
      sum.hasCodes = true;
      sum.auto += q.codeMapping.auto; sum.confirmed += q.codeMapping.confirmed; sum.review += q.codeMapping.review; sum.unknown += q.codeMapping.unknown;
    }
    for (const [member, c] of Object.entries(q.completeness)) {
      const m = sum.members.get(member) ?? { present: 0, required: null };
      m.present += c.present;
      m.required = m.required ?? c.required;
      sum.members.set(member, m);
    }
    sums.set(model, sum);
  }
}

/** Completeness per model and member, validity and code mapping per model, open quarantine by reason. */
export async function qualityReports(db: HisDb, options: { readonly now?: Date; readonly pageSize?: number } = {}): Promise<ReportTable[]> {
  const generatedAt = stamp(options.now);
  const sums = new Map<string, ModelSum>();
  let runs = 0;
  for (let after = -1; ;) {
    const page = await db.qualityReport.findMany({ where: { runId: { gt: after } }, orderBy: { runId: "asc" }, take: options.pageSize ?? 500, select: { runId: true, reportJson: true } });
    for (const row of page) addReport(sums, JSON.parse(row.reportJson) as QualityReport);
    runs += page.length;
    if (page.length < (options.pageSize ?? 500)) break;
    after = page[page.length - 1]!.runId;
  }
  const completeness: ReportRow[] = [];
  const validity: ReportRow[] = [];
  for (const [model, s] of sums) {
    for (const [member, m] of s.members) {
      completeness.push({ model, member, required: m.required === null ? null : m.required ? "yes" : "no", present: m.present, seen: s.seen, completeness: ratio(m.present, s.seen) });
    }
    const mapped = s.auto + s.confirmed;
    validity.push({
      model, seen: s.seen, accepted: s.accepted, quarantined: s.quarantined, duplicates: s.duplicates, checked: s.checked, valid: s.valid, validity: ratio(s.valid, s.checked),
      codes_auto: s.hasCodes ? s.auto : null, codes_confirmed: s.hasCodes ? s.confirmed : null, codes_review: s.hasCodes ? s.review : null, codes_unknown: s.hasCodes ? s.unknown : null,
      mapping_coverage: s.hasCodes ? ratio(mapped, mapped + s.review + s.unknown) : null,
    });
  }
  const open = await db.quarantineItem.groupBy({ by: ["stage", "reason"], where: { status: "open" }, _count: { _all: true }, _min: { createdAt: true } });
  const runsNote = { en: `Summed over the quality reports of ${runs} collection run(s).`, zh: `汇总自 ${runs} 次采集运行的质量报告。` };
  return [
    { id: "data-quality-completeness", title: { en: "Completeness by model and member", zh: "数据完整性（按模型、数据项）" }, columns: [
      col("model", "模型", "model", "string"), col("member", "数据项", "member", "string"), col("required", "必填", "required", "string"),
      col("present", "有值记录数", "present"), col("seen", "记录数", "seen"), col("completeness", "完整率", "completeness", "percent"),
    ], rows: sortRows(completeness, ["model", "member"]), notes: [runsNote], generatedAt, parameters: {} },
    { id: "data-quality-validity", title: { en: "Validity and code mapping by model", zh: "数据有效性与对码覆盖率（按模型）" }, columns: [
      col("model", "模型", "model", "string"), col("seen", "记录数", "seen"), col("accepted", "接收", "accepted"), col("quarantined", "隔离", "quarantined"), col("duplicates", "重复", "duplicates"),
      col("checked", "校验值数", "values checked"), col("valid", "有效值数", "values valid"), col("validity", "有效率", "validity", "percent"),
      col("codes_auto", "自动对码", "codes auto-mapped"), col("codes_confirmed", "人工确认", "codes confirmed"), col("codes_review", "待审核", "codes in review"), col("codes_unknown", "未知代码", "codes unknown"),
      col("mapping_coverage", "对码覆盖率", "mapping coverage", "percent"),
    ], rows: sortRows(validity, ["model"]), notes: [runsNote], generatedAt, parameters: {} },
    { id: "data-quality-quarantine", title: { en: "Open quarantine by stage and reason", zh: "未处理的隔离数据（按环节、原因）" }, columns: [
      col("stage", "环节", "stage", "string"), col("reason", "原因", "reason", "string"), col("items", "条数", "items"), col("oldest", "最早隔离时间", "oldest", "date"),
    ], rows: sortRows(open.map((g) => ({ stage: g.stage, reason: g.reason, items: g._count._all, oldest: g._min.createdAt?.toISOString() ?? null })), ["stage", "reason"]), notes: [], generatedAt, parameters: {} },
  ];
}

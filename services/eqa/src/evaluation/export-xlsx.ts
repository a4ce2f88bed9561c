import ExcelJS from "exceljs";
import type { AnalyteDefinition } from "../types.ts";
import type { NotComputable, RoundEvaluation } from "./types.ts";

export interface ExportOptions {
  analytes: readonly AnalyteDefinition[];
  /** Lab names for the lists; the code is printed when a name is missing. */
  labs: readonly { code: string; name?: string }[];
  /** "zh-en" (default): Chinese header with English beneath; "zh" or "en": one header row. */
  language?: "zh-en" | "zh" | "en";
}

interface Column {
  zh: string;
  en: string;
  width: number;
  /** Excel number format; unset for text. */
  format?: string;
}

const PERCENT_FORMAT = "0.0";

function decimalsFormat(decimals: number): string {
  return decimals <= 0 ? "0" : `0.${"0".repeat(decimals)}`;
}

/**
 * The round's summaries as an Excel workbook, one sheet per summary: pass rates by analyte, peer group,
 * hospital level and region; the CV table; the single-sample table; missing items; non-submission.
 * Numbers stay numbers (formatted with the analyte's decimal places, percentages with one); a statistic
 * that cannot be computed is an empty cell with its reason in the note column, never a number.
 */
export async function exportSummariesXlsx(evaluation: RoundEvaluation, options: ExportOptions): Promise<Buffer> {
  const language = options.language ?? "zh-en";
  const analyteOf = new Map(options.analytes.map((a) => [a.code, a]));
  const labName = new Map(options.labs.map((lab) => [lab.code, lab.name ?? lab.code]));
  const analyteName = (code: string): string => {
    const analyte = analyteOf.get(code);
    if (analyte === undefined) return code;
    return language === "en" ? analyte.nameEn : language === "zh" ? analyte.name : `${analyte.name} ${analyte.nameEn}`;
  };
  const note = (reason: NotComputable | null): string | null =>
    reason === null ? null : language === "en" ? reason.message : language === "zh" ? reason.messageZh : `${reason.messageZh} ${reason.message}`;
  const workbook = new ExcelJS.Workbook();
  workbook.creator = "health-chain EQA";
  const { summaries } = evaluation;

  const sheet = (name: string, columns: readonly Column[], rows: readonly (readonly (string | number | null)[])[], formats?: (row: number, column: number) => string | undefined): void => {
    const ws = workbook.addWorksheet(name);
    if (language !== "en") ws.addRow(columns.map((c) => c.zh));
    if (language !== "zh") ws.addRow(columns.map((c) => c.en));
    const headerRows = language === "zh-en" ? 2 : 1;
    for (let r = 1; r <= headerRows; r++) ws.getRow(r).font = { bold: true };
    ws.views = [{ state: "frozen", ySplit: headerRows }];
    columns.forEach((column, index) => {
      ws.getColumn(index + 1).width = column.width;
    });
    rows.forEach((values, rowIndex) => {
      const row = ws.addRow(values.map((v) => (v === null ? null : v)));
      values.forEach((value, columnIndex) => {
        if (typeof value !== "number") return;
        const format = formats?.(rowIndex, columnIndex) ?? columns[columnIndex]?.format;
        if (format !== undefined) row.getCell(columnIndex + 1).numFmt = format;
      });
    });
  };

  const rateColumns: Column[] = [
    { zh: "参评数", en: "Evaluated", width: 10, format: "0" },
    { zh: "通过数", en: "Passed", width: 10, format: "0" },
    { zh: "通过率(%)", en: "Pass rate (%)", width: 14, format: PERCENT_FORMAT },
  ];
  sheet(
    "项目通过率 By analyte",
    [{ zh: "项目代码", en: "Analyte code", width: 12 }, { zh: "项目", en: "Analyte", width: 28 }, ...rateColumns],
    summaries.passRateByAnalyte.map((r) => [r.key, analyteName(r.key), r.evaluated, r.passed, r.percent]),
  );
  sheet(
    "同组通过率 By peer group",
    [{ zh: "项目代码", en: "Analyte code", width: 12 }, { zh: "项目", en: "Analyte", width: 28 }, { zh: "组别", en: "Peer group", width: 30 }, ...rateColumns],
    summaries.passRateByPeerGroup.map((r) => [r.analyteCode ?? "", analyteName(r.analyteCode ?? ""), r.key, r.evaluated, r.passed, r.percent]),
  );
  sheet("医院等级通过率 By level", [{ zh: "医院等级", en: "Hospital level", width: 16 }, ...rateColumns], summaries.passRateByLevel.map((r) => [r.key, r.evaluated, r.passed, r.percent]));
  sheet("地区通过率 By region", [{ zh: "地区", en: "Region", width: 16 }, ...rateColumns], summaries.passRateByRegion.map((r) => [r.key, r.evaluated, r.passed, r.percent]));

  const logOf = new Map(evaluation.cells.map((cell) => [`${cell.analyteCode}\u0000${cell.sampleCode}\u0000${cell.group}`, cell.log10]));
  const cvRows = summaries.cvTable;
  sheet(
    "CV表 CV table",
    [
      { zh: "项目代码", en: "Analyte code", width: 12 },
      { zh: "项目", en: "Analyte", width: 28 },
      { zh: "样本", en: "Sample", width: 10 },
      { zh: "组别", en: "Group", width: 30 },
      { zh: "结果数", en: "n", width: 8, format: "0" },
      { zh: "均值", en: "Mean", width: 12 },
      { zh: "标准差", en: "SD", width: 12 },
      { zh: "变异系数(%)", en: "CV (%)", width: 12, format: "0.00" },
      { zh: "稳健均值 x*", en: "Robust mean x*", width: 14 },
      { zh: "稳健标准差 s*", en: "Robust SD s*", width: 14 },
      { zh: "说明", en: "Note", width: 60 },
    ],
    cvRows.map((r) => [r.analyteCode, analyteName(r.analyteCode), r.sampleCode, r.group, r.n, r.mean, r.sd, r.cvPercent, r.robustMean, r.robustSd, note(r.notComputable)]),
    (rowIndex, column) => {
      if (![5, 6, 8, 9].includes(column)) return undefined;
      const row = cvRows[rowIndex];
      if (row === undefined) return undefined;
      // Log10 values get two more places than the unit's decimals would give: they are exponents.
      const log10 = logOf.get(`${row.analyteCode}\u0000${row.sampleCode}\u0000${row.group}`) === true;
      const decimals = analyteOf.get(row.analyteCode)?.decimals ?? 2;
      return decimalsFormat(log10 ? Math.max(2, decimals) : column === 5 || column === 8 ? decimals : decimals + 1);
    },
  );
  sheet(
    "单样本通过率 Single sample",
    [
      { zh: "项目代码", en: "Analyte code", width: 12 },
      { zh: "项目", en: "Analyte", width: 28 },
      { zh: "样本", en: "Sample", width: 10 },
      { zh: "参评数", en: "Evaluated", width: 10, format: "0" },
      { zh: "合格数", en: "Acceptable", width: 10, format: "0" },
      { zh: "合格率(%)", en: "Acceptable (%)", width: 14, format: PERCENT_FORMAT },
    ],
    summaries.singleSample.map((r) => [r.analyteCode, analyteName(r.analyteCode), r.sampleCode, r.evaluated, r.acceptable, r.percent]),
  );
  sheet(
    "缺项 Missing items",
    [
      { zh: "实验室代码", en: "Lab code", width: 12 },
      { zh: "实验室", en: "Laboratory", width: 30 },
      { zh: "项目代码", en: "Analyte code", width: 12 },
      { zh: "项目", en: "Analyte", width: 28 },
      { zh: "样本", en: "Sample", width: 10 },
    ],
    summaries.missingItems.map((r) => [r.labCode, labName.get(r.labCode) ?? r.labCode, r.analyteCode, analyteName(r.analyteCode), r.sampleCode]),
  );
  sheet(
    "未回报 Non-submission",
    [
      { zh: "实验室代码", en: "Lab code", width: 12 },
      { zh: "实验室", en: "Laboratory", width: 30 },
      { zh: "医院等级", en: "Hospital level", width: 16 },
      { zh: "地区", en: "Region", width: 16 },
    ],
    summaries.nonSubmission.map((r) => [r.labCode, labName.get(r.labCode) ?? r.labCode, r.level, r.region]),
  );
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

// The per-lab proficiency-testing report (室间质评结果报告): header and summary on page 1, then per
// analyte its results table, verdict, histograms of all labs' values and the z-score chart.
import { drawHistogram } from "./charts/histogram.ts";
import { drawScoreChart } from "./charts/score-chart.ts";
import { formatDate, formatNumber, formatScore } from "./format.ts";
import { drawReportHeader } from "./header.ts";
import { LABELS, bi, isZLike, verdictLabel } from "./labels.ts";
import type { Label } from "./labels.ts";
import { ensureSpace, finishPdf, measureWrapped, newPage, openPdf, pageSpace, paragraph, spaceLeft, standardFooter, textAt, wrappedAt } from "./pdf.ts";
import type { Pdf } from "./pdf.ts";
import { drawTable, measureTable } from "./table.ts";
import type { Column, Row } from "./table.ts";
import { labReportSchema } from "./types.ts";
import type { AnalyteReport, LabReportData, RenderOptions, ResultRow } from "./types.ts";
import { parseReportInput } from "./validate.ts";

const CHART_HEIGHT = 118;
const CHART_GAP = 8;
const CHARTS_PER_ROW = 3;
const DASH = "—";

export const JUDGEMENT_COLORS: Readonly<Record<ResultRow["judgement"], string>> = {
  satisfactory: "#2e7d32",
  pass: "#2e7d32",
  questionable: "#b26a00",
  unsatisfactory: "#c62828",
  fail: "#c62828",
  notEvaluated: "#52606d",
};

const verdictColor = (passed: boolean | null): string => (passed === null ? "#52606d" : passed ? "#2e7d32" : "#c62828");

function columns(pdf: Pdf): Column[] {
  return [
    { header: bi(LABELS.sample, pdf.language), weight: 1.1 },
    { header: bi(LABELS.result, pdf.language), weight: 1.3, align: "right" },
    { header: bi(LABELS.assignedValue, pdf.language), weight: 1.3, align: "right" },
    { header: bi(LABELS.sigmaOrRange, pdf.language), weight: 1.7, align: "right" },
    { header: bi(LABELS.scoreColumn, pdf.language), weight: 1.1, align: "right" },
    { header: bi(LABELS.judgement, pdf.language), weight: 1.6 },
  ];
}

/** σpt and/or the allowed range; "—" when neither was computed (never a number that was not). */
function spreadText(row: ResultRow, decimals: number): string {
  const parts: string[] = [];
  if (row.sigma !== null) parts.push(`σ ${formatNumber(row.sigma, decimals)}`);
  const low = row.allowedLow ?? null;
  const high = row.allowedHigh ?? null;
  if (low !== null && high !== null) parts.push(`${formatNumber(low, decimals)} – ${formatNumber(high, decimals)}`);
  return parts.length === 0 ? DASH : parts.join("\n");
}

function pair(pdf: Pdf, label: Label): string {
  return bi(label, pdf.language);
}

function tableRows(pdf: Pdf, analyte: AnalyteReport): Row[] {
  return analyte.rows.map((row) => {
    const judgement = pdf.language === "zh" ? `${row.judgementZh} ${row.judgementEn}` : `${row.judgementEn} ${row.judgementZh}`;
    const notes: { text: string; color?: string }[] = [];
    if (row.note !== undefined && row.note !== "") notes.push({ text: `${row.sample}: ${row.note}`, color: "#52606d" });
    if (row.uWarning !== undefined && row.uWarning !== "") notes.push({ text: `△ ${row.sample}: ${row.uWarning}`, color: "#b26a00" });
    return {
      cells: [
        row.sample,
        row.result === "" ? DASH : row.result,
        row.assignedValue === null ? DASH : formatNumber(row.assignedValue, analyte.decimals),
        spreadText(row, analyte.decimals),
        row.score === null ? { text: pair(pdf, LABELS.notComputable), color: "#52606d" } : formatScore(row.score),
        { text: judgement, color: JUDGEMENT_COLORS[row.judgement] },
      ],
      notes,
    };
  });
}

function schemeText(pdf: Pdf, analyte: AnalyteReport): string {
  const parts = [
    `${pair(pdf, LABELS.assignedValue)}: ${analyte.scheme.assignedValue}`,
    `σpt: ${analyte.scheme.sigma}`,
    `${pair(pdf, LABELS.scoreColumn)}: ${analyte.scheme.score}`,
  ];
  if (analyte.scheme.allowedText !== undefined && analyte.scheme.allowedText !== "") parts.push(`${pair(pdf, LABELS.allowed)}: ${analyte.scheme.allowedText}`);
  return `${pair(pdf, LABELS.scheme)} · ${parts.join("; ")}`;
}

function chartCount(analyte: AnalyteReport): number {
  const zChart = analyte.rows.some((row) => isZLike(row.scoreKind)) ? 1 : 0;
  return (analyte.distribution?.length ?? 0) + zChart;
}

function analyteTitle(analyte: AnalyteReport): string {
  const unit = analyte.unit === "" ? "" : ` (${analyte.unit})`;
  return `${analyte.code}  ${analyte.name}  ${analyte.nameEn}${unit}`;
}

function verdictText(pdf: Pdf, analyte: AnalyteReport): string {
  return `${pair(pdf, LABELS.analyteVerdict)}: ${pair(pdf, verdictLabel(analyte.passed))} (${analyte.acceptable}/${analyte.evaluated} ${pair(pdf, LABELS.acceptable)})`;
}

function drawAnalyte(pdf: Pdf, analyte: AnalyteReport): void {
  const headingHeight = 16;
  const scheme = schemeText(pdf, analyte);
  const schemeHeight = measureWrapped(pdf, scheme, pdf.width, 7.5) + 4;
  const cols = columns(pdf);
  const rows = tableRows(pdf, analyte);
  const table = measureTable(pdf, cols, rows);
  const tableHeight = table.header + table.rows.reduce((a, b) => a + b, 0);
  const chartRows = Math.ceil(chartCount(analyte) / CHARTS_PER_ROW);
  const chartsHeight = chartRows * (CHART_HEIGHT + CHART_GAP);
  const block = headingHeight + schemeHeight + tableHeight + chartsHeight + 14;
  // Keep an analyte on one page when it fits on one; otherwise start it where at least its
  // heading, table header and first row fit, and let the table paginate.
  const opening = headingHeight + schemeHeight + table.header + (table.rows[0] ?? 0);
  if ((block > spaceLeft(pdf) && block <= pageSpace(pdf)) || opening > spaceLeft(pdf)) newPage(pdf);

  const verdict = verdictText(pdf, analyte);
  pdf.doc.fontSize(8);
  const verdictWidth = pdf.doc.widthOfString(verdict);
  pdf.doc.rect(pdf.left, pdf.y, pdf.width, headingHeight - 2).fill("#f0f4f8");
  textAt(pdf, analyteTitle(analyte), pdf.left + 4, pdf.y + 2.5, { size: 10, bold: true, color: "#102a43" });
  textAt(pdf, verdict, pdf.right - verdictWidth - 4, pdf.y + 3.5, { size: 8, color: verdictColor(analyte.passed), bold: true });
  pdf.y += headingHeight;
  wrappedAt(pdf, scheme, pdf.left, pdf.y, pdf.width, { size: 7.5, color: "#52606d" });
  pdf.y += schemeHeight;
  drawTable(pdf, cols, rows);
  pdf.y += 6;
  drawCharts(pdf, analyte);
  pdf.y += 8;
}

function drawCharts(pdf: Pdf, analyte: AnalyteReport): void {
  const width = (pdf.width - CHART_GAP * (CHARTS_PER_ROW - 1)) / CHARTS_PER_ROW;
  const panels: ((x: number, y: number) => void)[] = (analyte.distribution ?? []).map(
    (distribution) => (x, y) => drawHistogram(pdf, { x, y, width, height: CHART_HEIGHT }, distribution, analyte.decimals),
  );
  const zRows = analyte.rows.filter((row) => isZLike(row.scoreKind));
  if (zRows.length > 0) {
    const title = `${analyte.code} ${pdf.language === "zh" ? "z 比分图 z-score chart" : "z-score chart z 比分图"}`;
    panels.push((x, y) => drawScoreChart(pdf, { x, y, width, height: CHART_HEIGHT }, title, zRows.map((row) => ({ sample: row.sample, score: row.score }))));
  }
  for (let i = 0; i < panels.length; i += CHARTS_PER_ROW) {
    ensureSpace(pdf, CHART_HEIGHT);
    panels.slice(i, i + CHARTS_PER_ROW).forEach((draw, column) => draw(pdf.left + column * (width + CHART_GAP), pdf.y));
    pdf.y += CHART_HEIGHT + CHART_GAP;
  }
}

function drawSummary(pdf: Pdf, data: LabReportData): void {
  const { summary } = data;
  const height = 44;
  ensureSpace(pdf, height);
  const { doc } = pdf;
  doc.rect(pdf.left, pdf.y, pdf.width, height).lineWidth(0.8).strokeColor("#334e68").stroke();
  textAt(pdf, pair(pdf, LABELS.summary), pdf.left + 8, pdf.y + 6, { size: 9.5, bold: true, color: "#102a43" });
  const third = (pdf.width - 16) / 3;
  const y = pdf.y + 24;
  const percent = summary.scorePercent === null ? pair(pdf, LABELS.notComputable) : `${formatNumber(summary.scorePercent, 1)}%`;
  const items: [string, string, string][] = [
    [pair(pdf, LABELS.analytesPassed), `${summary.analytesPassed} / ${summary.analytesTotal}`, "#102a43"],
    [pair(pdf, LABELS.score), percent, "#102a43"],
    [pair(pdf, LABELS.overall), pair(pdf, verdictLabel(summary.overallPassed)), verdictColor(summary.overallPassed)],
  ];
  items.forEach(([label, value, color], i) => {
    const x = pdf.left + 8 + i * third;
    const labelWidth = textAt(pdf, `${label}: `, x, y, { size: 8, color: "#52606d" });
    textAt(pdf, value, x + labelWidth, y - 1, { size: 9.5, bold: true, color });
  });
  pdf.y += height + 8;
}

function drawNotes(pdf: Pdf, notes: readonly string[]): void {
  if (notes.length === 0) return;
  ensureSpace(pdf, 30);
  textAt(pdf, pair(pdf, LABELS.notes), pdf.left, pdf.y, { size: 9, bold: true, color: "#102a43" });
  pdf.y += 14;
  notes.forEach((note, i) => paragraph(pdf, `${i + 1}. ${note}`, { size: 8, indent: 6, gap: 3 }));
  pdf.y += 6;
}

/** Renders the per-lab report; the same data always gives the same bytes. */
export async function renderLabReport(data: LabReportData, options: RenderOptions = {}): Promise<Uint8Array> {
  const input = parseReportInput(labReportSchema, data, { en: "lab report", zh: "实验室报告" });
  const language = options.language ?? "zh";
  const pdf = openPdf(
    {
      title: `${input.plan.name} ${input.round.name} ${input.lab.name} 室间质评结果报告 EQA report`,
      author: `${input.centre.name} ${input.centre.nameEn}`,
      subject: `${input.plan.code} ${input.round.code} ${input.lab.code}`,
      keywords: input.document.number,
      issuedAt: input.document.issuedAt,
      defaultWatermark: language === "zh" ? `室间质评 EQA · ${input.centre.name}` : `EQA 室间质评 · ${input.centre.nameEn}`,
    },
    options,
  );
  drawReportHeader(
    pdf,
    { zh: "室间质评结果报告", en: "External Quality Assessment (Proficiency Testing) Report" },
    [
      { label: LABELS.organiser, value: `${input.centre.name} ${input.centre.nameEn}` },
      { label: LABELS.plan, value: `${input.plan.name} ${input.plan.nameEn} (${input.plan.code}, ${input.plan.year})` },
      { label: LABELS.round, value: `${input.round.name} (${input.round.code})` },
      { label: LABELS.deadline, value: formatDate(input.round.deadline) },
      { label: LABELS.published, value: formatDate(input.round.publishedAt) },
      { label: LABELS.laboratory, value: `${input.lab.name} (${input.lab.code})` },
      { label: LABELS.department, value: input.lab.department === "" ? DASH : input.lab.department },
      { label: LABELS.institution, value: input.lab.institution === "" ? DASH : input.lab.institution },
      { label: LABELS.reportNumber, value: input.document.number },
      { label: LABELS.issued, value: formatDate(input.document.issuedAt) },
    ],
    input.document,
  );
  drawSummary(pdf, input);
  drawNotes(pdf, input.notes ?? []);
  for (const analyte of input.analytes) drawAnalyte(pdf, analyte);
  return finishPdf(
    pdf,
    standardFooter(pdf, `${pair(pdf, LABELS.reportNumber)} ${input.document.number}`, `${input.lab.code} · ${formatDate(input.document.issuedAt)}`),
  );
}

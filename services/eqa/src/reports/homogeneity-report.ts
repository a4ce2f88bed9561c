// The homogeneity and stability study report (样品均匀性和稳定性检验报告): per analyte σpt and how
// it was set, the one-way ANOVA homogeneity table, the stability table (criterion and Welch t-test)
// and the conclusion sentences; then the round's overall conclusion and the signature lines.
// It takes the study as entered and evaluates it itself (evaluateStudy), so the printed figures
// can never disagree with the data the document's hash covers.
import { z } from "zod";
import { evaluateStudy } from "../homogeneity/evaluate.ts";
import type { AnalyteStudyEvaluation, Computed, HomogeneityEvaluation, StabilityEvaluation } from "../homogeneity/types.ts";
import { homogeneityStudySchema } from "../homogeneity/types.ts";
import { formatDate, formatNumber } from "./format.ts";
import { drawReportHeader } from "./header.ts";
import type { HeaderField } from "./header.ts";
import { LABELS, bi } from "./labels.ts";
import type { Label } from "./labels.ts";
import { ensureSpace, finishPdf, openPdf, paragraph, standardFooter, textAt } from "./pdf.ts";
import type { Pdf } from "./pdf.ts";
import { drawTable } from "./table.ts";
import type { Cell, Column, Row } from "./table.ts";
import { centreSchema, documentSchema, planSchema } from "./types.ts";
import type { RenderOptions } from "./types.ts";
import { parseReportInput } from "./validate.ts";

export const homogeneityReportSchema = z.object({
  centre: centreSchema,
  plan: planSchema.optional(),
  document: documentSchema,
  study: homogeneityStudySchema,
  /** Printed on the signature lines; left blank for a handwritten signature when absent. */
  preparedBy: z.string().optional(),
  approvedBy: z.string().optional(),
});

/** The report's input: the study as entered, and the document's identity. */
export type HomogeneityReportData = z.input<typeof homogeneityReportSchema>;

const L = {
  title: { zh: "样品均匀性和稳定性检验报告", en: "Homogeneity and Stability Study of the Samples" },
  homogeneity: { zh: "均匀性检验（单因素方差分析）", en: "Homogeneity (one-way ANOVA)" },
  stability: { zh: "稳定性检验", en: "Stability" },
  conclusion: { zh: "结论", en: "Conclusion" },
  overall: { zh: "总体结论", en: "Overall conclusion" },
  adequate: { zh: "符合要求", en: "Adequate" },
  notAdequate: { zh: "不符合要求", en: "Not adequate" },
  notStudied: { zh: "未开展", en: "Not studied" },
  verdict: { zh: "判定", en: "Verdict" },
  storage: { zh: "储存条件", en: "Storage" },
  samples: { zh: "样品", en: "Samples" },
  measured: { zh: "测定日期", en: "Measured" },
  alpha: { zh: "显著性水平 α", en: "t-test α" },
  preparedBy: { zh: "编制", en: "Prepared by" },
  approvedBy: { zh: "审核批准", en: "Approved by" },
  date: { zh: "日期", en: "Date" },
  tTest: { zh: "t 检验", en: "t-test" },
} as const satisfies Record<string, Label>;

/**
 * Four significant figures (rounded half to even, GB/T 8170): enough to check s_s against
 * 0.3σpt at any concentration scale without pretending to more precision than the data carry.
 */
function sig(value: number, digits = 4): string {
  if (value === 0) return "0";
  const decimals = Math.min(10, Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(value)))));
  return formatNumber(value, decimals);
}

/**
 * The CJK face has no combining macron (U+0304) nor ȳ (U+0233): the mean symbols of ISO 13528 are
 * printed with the spacing macron it does have (x¯, y¯), in our labels and in the conclusion sentences.
 */
function printable(text: string): string {
  return text.replaceAll("x\u0304\u0304", "x¯¯").replaceAll("x\u0304", "x¯").replaceAll("\u0233", "y¯");
}

function pValue(p: number): string {
  return p < 0.001 ? "< 0.001" : formatNumber(p, 3);
}

const verdictCell = (pdf: Pdf, ok: boolean): Cell => ({ text: bi(ok ? L.adequate : L.notAdequate, pdf.language), color: ok ? "#2e7d32" : "#c62828" });
const reasonText = (pdf: Pdf, reason: { en: string; zh: string }): string => (pdf.language === "zh" ? `${reason.zh} ${reason.en}` : `${reason.en} ${reason.zh}`);
/** In a narrow cell, the leading language only; the row's note carries both and the reason. */
const notComputableCell = (pdf: Pdf): Cell => ({ text: pdf.language === "zh" ? LABELS.notComputable.zh : LABELS.notComputable.en, color: "#52606d" });
const computedCell = (pdf: Pdf, value: Computed, format: (n: number) => string): Cell | string =>
  value.computable ? format(value.value) : notComputableCell(pdf);

function subheading(pdf: Pdf, label: Label, detail: string): void {
  ensureSpace(pdf, 60);
  textAt(pdf, bi(label, pdf.language), pdf.left, pdf.y, { size: 9, bold: true, color: "#243b53" });
  pdf.y += 13;
  if (detail !== "") paragraph(pdf, detail, { size: 7.5, color: "#52606d", gap: 3 });
}

function homogeneitySection(pdf: Pdf, h: HomogeneityEvaluation): void {
  const details = [
    `${bi(L.samples, pdf.language)}: ${h.sampleIds.join(", ")}`,
    ...(h.measuredAt === undefined ? [] : [`${bi(L.measured, pdf.language)}: ${formatDate(h.measuredAt)}`]),
  ];
  subheading(pdf, L.homogeneity, details.join("; "));
  const columns: Column[] = [
    { header: "g", weight: 0.6, align: "right" },
    { header: "m", weight: 0.6, align: "right" },
    { header: "x¯¯", weight: 1.2, align: "right" },
    { header: "s_x", weight: 1, align: "right" },
    { header: "s_w", weight: 1, align: "right" },
    { header: "s_s", weight: 1, align: "right" },
    { header: "0.3σpt", weight: 1, align: "right" },
    { header: "F", weight: 1.4, align: "right" },
    { header: bi(L.verdict, pdf.language), weight: 1.6 },
  ];
  const notes: { text: string; color?: string }[] = [];
  if (!h.f.computable) notes.push({ text: `${bi(LABELS.notComputable, pdf.language)}: ${reasonText(pdf, h.f.reason)}` });
  if (h.ssClippedToZero) {
    notes.push({
      text: reasonText(pdf, {
        zh: "s_x² < s_w²/m：样品间方差估计为负，按 ISO 13528:2015 附录 B 取 s_s = 0。",
        en: "s_x² < s_w²/m: the between-sample variance estimate is negative and s_s is taken as 0 (ISO 13528:2015 Annex B).",
      }),
      color: "#52606d",
    });
  }
  const row: Row = {
    cells: [String(h.samples), String(h.replicates), sig(h.grandMean, 5), sig(h.sx), sig(h.sw), sig(h.ss), sig(h.limit), computedCell(pdf, h.f, (f) => formatNumber(f, 2)), verdictCell(pdf, h.homogeneous)],
    notes,
  };
  drawTable(pdf, columns, [row]);
  pdf.y += 6;
}

function stabilitySection(pdf: Pdf, s: StabilityEvaluation, alpha: number): void {
  const detail = `${bi(L.storage, pdf.language)}: ${s.storage}; ${bi(L.measured, pdf.language)}: ${formatDate(s.before.measuredAt)} (n = ${s.before.n}) → ${formatDate(s.after.measuredAt)} (n = ${s.after.n}); α = ${alpha}`;
  subheading(pdf, L.stability, detail);
  const columns: Column[] = [
    { header: pdf.language === "zh" ? "x¯ 前 before" : "x¯ before 前", weight: 1.2, align: "right" },
    { header: pdf.language === "zh" ? "y¯ 后 after" : "y¯ after 后", weight: 1.2, align: "right" },
    { header: "|x¯ − y¯|", weight: 1, align: "right" },
    { header: "0.3σpt", weight: 1, align: "right" },
    { header: "t", weight: 1.1, align: "right" },
    { header: "df", weight: 0.8, align: "right" },
    { header: "p", weight: 0.9, align: "right" },
    { header: bi(L.tTest, pdf.language), weight: 1.5 },
    { header: bi(L.verdict, pdf.language), weight: 1.6 },
  ];
  const test = s.tTest;
  const notes = test.computable ? [] : [{ text: `${bi(LABELS.notComputable, pdf.language)}: ${reasonText(pdf, test.reason)}` }];
  const na = notComputableCell(pdf);
  const tVerdict: Cell = test.computable
    ? test.significantDifference
      ? { text: pdf.language === "zh" ? "差异显著 significant" : "significant 差异显著", color: "#b26a00" }
      : { text: pdf.language === "zh" ? "差异不显著 not significant" : "not significant 差异不显著" }
    : na;
  const row: Row = {
    cells: [
      sig(s.before.mean, 5),
      sig(s.after.mean, 5),
      sig(s.difference),
      sig(s.limit),
      test.computable ? formatNumber(test.t, 3) : "—",
      test.computable ? formatNumber(test.df, 1) : "—",
      test.computable ? pValue(test.pValue) : "—",
      tVerdict,
      verdictCell(pdf, s.stable),
    ],
    notes,
  };
  drawTable(pdf, columns, [row]);
  pdf.y += 6;
}

function sentences(pdf: Pdf, text: { en: readonly string[]; zh: readonly string[] }): void {
  const first = pdf.language === "zh" ? text.zh : text.en;
  const second = pdf.language === "zh" ? text.en : text.zh;
  paragraph(pdf, printable(first.join(pdf.language === "zh" ? "" : " ")), { size: 8.5, gap: 2 });
  paragraph(pdf, printable(second.join(pdf.language === "zh" ? " " : "")), { size: 8, color: "#334e68", gap: 6 });
}

function analyteSection(pdf: Pdf, analyte: AnalyteStudyEvaluation, alpha: number): void {
  ensureSpace(pdf, 120);
  pdf.doc.rect(pdf.left, pdf.y, pdf.width, 14).fill("#f0f4f8");
  const names = [analyte.name, analyte.nameEn].filter((n) => n !== "").join(" ");
  textAt(pdf, `${analyte.code}  ${names}${analyte.unit === "" ? "" : ` (${analyte.unit})`}`, pdf.left + 4, pdf.y + 2.5, { size: 10, bold: true, color: "#102a43" });
  const ok = analyte.conclusion.acceptable;
  const verdict = bi(ok ? L.adequate : L.notAdequate, pdf.language);
  textAt(pdf, verdict, pdf.left, pdf.y + 3.5, { size: 8, bold: true, color: ok ? "#2e7d32" : "#c62828", align: "right", width: pdf.width - 4 });
  pdf.y += 17;
  const unit = analyte.unit === "" ? "" : ` ${analyte.unit}`;
  paragraph(pdf, `σpt = ${sig(analyte.sigmaPt.value)}${unit} (${analyte.sigmaPt.basis}); 0.3σpt = ${sig(0.3 * analyte.sigmaPt.value)}${unit}`, { size: 8, color: "#334e68" });
  if (analyte.homogeneity === undefined) paragraph(pdf, `${bi(L.homogeneity, pdf.language)}: ${bi(L.notStudied, pdf.language)}`, { size: 8, color: "#52606d" });
  else homogeneitySection(pdf, analyte.homogeneity);
  if (analyte.stability === undefined) paragraph(pdf, `${bi(L.stability, pdf.language)}: ${bi(L.notStudied, pdf.language)}`, { size: 8, color: "#52606d" });
  else stabilitySection(pdf, analyte.stability, alpha);
  textAt(pdf, bi(L.conclusion, pdf.language), pdf.left, pdf.y, { size: 9, bold: true, color: "#243b53" });
  pdf.y += 13;
  sentences(pdf, analyte.conclusion.sentences);
  pdf.y += 6;
}

function signatureLines(pdf: Pdf, preparedBy: string | undefined, approvedBy: string | undefined): void {
  ensureSpace(pdf, 60);
  pdf.y += 18;
  const third = pdf.width / 3;
  const entries: [Label, string][] = [
    [L.preparedBy, preparedBy ?? ""],
    [L.approvedBy, approvedBy ?? ""],
    [L.date, ""],
  ];
  entries.forEach(([label, name], i) => {
    const x = pdf.left + i * third;
    const labelWidth = textAt(pdf, `${bi(label, pdf.language)}:`, x, pdf.y, { size: 8.5, color: "#334e68" });
    pdf.doc.moveTo(x + labelWidth + 4, pdf.y + 11).lineTo(x + third - 12, pdf.y + 11).lineWidth(0.5).strokeColor("#52606d").stroke();
    if (name !== "") textAt(pdf, name, x + labelWidth + 8, pdf.y, { size: 9, color: "#102a43" });
  });
  pdf.y += 20;
}

/** Renders the study report; refuses bad data with one INVALID_INPUT naming every bad field. */
export async function renderHomogeneityReport(data: HomogeneityReportData, options: RenderOptions = {}): Promise<Uint8Array> {
  const input = parseReportInput(homogeneityReportSchema, data, { en: "homogeneity/stability report", zh: "均匀性/稳定性报告" });
  const evaluation = evaluateStudy(input.study);
  const language = options.language ?? "zh";
  const pdf = openPdf(
    {
      title: `${evaluation.round.name} 样品均匀性和稳定性检验报告 Homogeneity and stability study`,
      author: `${input.centre.name} ${input.centre.nameEn}`,
      subject: `${evaluation.round.code} ${evaluation.analytes.map((a) => a.code).join(" ")}`,
      keywords: input.document.number,
      issuedAt: input.document.issuedAt,
      defaultWatermark: language === "zh" ? `室间质评 EQA · ${input.centre.name}` : `EQA 室间质评 · ${input.centre.nameEn}`,
    },
    options,
  );
  const fields: HeaderField[] = [
    { label: LABELS.organiser, value: `${input.centre.name} ${input.centre.nameEn}` },
    ...(input.plan === undefined ? [] : [{ label: LABELS.plan, value: `${input.plan.name} ${input.plan.nameEn} (${input.plan.code}, ${input.plan.year})` }]),
    { label: LABELS.round, value: `${evaluation.round.name} (${evaluation.round.code})` },
    { label: L.alpha, value: String(evaluation.alpha) },
    { label: LABELS.reportNumber, value: input.document.number },
    { label: LABELS.issued, value: formatDate(input.document.issuedAt) },
  ];
  drawReportHeader(pdf, L.title, fields, input.document);
  for (const analyte of evaluation.analytes) analyteSection(pdf, analyte, evaluation.alpha);
  ensureSpace(pdf, 70);
  const ok = evaluation.overall.acceptable;
  textAt(pdf, bi(L.overall, pdf.language), pdf.left, pdf.y, { size: 10.5, bold: true, color: "#102a43" });
  textAt(pdf, bi(ok ? L.adequate : L.notAdequate, pdf.language), pdf.left, pdf.y + 1, { size: 9, bold: true, color: ok ? "#2e7d32" : "#c62828", align: "right", width: pdf.width });
  pdf.y += 16;
  sentences(pdf, evaluation.overall.sentences);
  signatureLines(pdf, input.preparedBy, input.approvedBy);
  return finishPdf(
    pdf,
    standardFooter(pdf, `${bi(LABELS.reportNumber, pdf.language)} ${input.document.number}`, `${evaluation.round.code} · ${formatDate(input.document.issuedAt)}`),
  );
}

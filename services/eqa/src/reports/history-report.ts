// The history report (历史成绩报告): the lab's last three rounds side by side, per analyte the
// verdict and scores of each round and a small trend chart, and the round's overall score.
import { drawTrend } from "./charts/trend.ts";
import { formatDate, formatNumber, formatScore } from "./format.ts";
import { drawReportHeader } from "./header.ts";
import { LABELS, bi, isZLike, verdictLabel } from "./labels.ts";
import { finishPdf, openPdf, standardFooter } from "./pdf.ts";
import type { Pdf } from "./pdf.ts";
import { drawTable } from "./table.ts";
import type { Cell, Column, Row } from "./table.ts";
import { historyReportSchema } from "./types.ts";
import type { HistoryReportData, RenderOptions } from "./types.ts";
import { parseReportInput } from "./validate.ts";

type Round = HistoryReportData["rounds"][number];
type RoundAnalyte = Round["analytes"][number];

const TREND_HEIGHT = 34;

function scoresText(pdf: Pdf, scores: readonly (number | null)[]): string {
  if (scores.length === 0) return "";
  return scores.map((score) => (score === null ? bi(LABELS.notComputable, pdf.language) : formatScore(score))).join(" / ");
}

function roundCell(pdf: Pdf, entry: RoundAnalyte | undefined): Cell {
  if (entry === undefined) return { text: bi(LABELS.notInRound, pdf.language), color: "#7b8794" };
  const color = entry.passed === null ? "#52606d" : entry.passed ? "#2e7d32" : "#c62828";
  const scores = scoresText(pdf, entry.scores);
  return { text: scores === "" ? bi(verdictLabel(entry.passed), pdf.language) : `${bi(verdictLabel(entry.passed), pdf.language)}\n${scores}`, color };
}

/** Renders the history report; rounds are shown oldest to newest, whatever order they come in. */
export async function renderHistoryReport(data: HistoryReportData, options: RenderOptions = {}): Promise<Uint8Array> {
  const input = parseReportInput(historyReportSchema, data, { en: "history report", zh: "历史成绩报告" });
  const language = options.language ?? "zh";
  const rounds = [...input.rounds].sort((a, b) => Date.parse(a.round.publishedAt) - Date.parse(b.round.publishedAt));
  const pdf = openPdf(
    {
      title: `${input.lab.name} 室间质评历史成绩报告 EQA history report`,
      author: `${input.centre.name} ${input.centre.nameEn}`,
      subject: `${input.lab.code} ${rounds.map((r) => r.round.code).join(" ")}`,
      keywords: input.document.number,
      issuedAt: input.document.issuedAt,
      defaultWatermark: language === "zh" ? `室间质评 EQA · ${input.centre.name}` : `EQA 室间质评 · ${input.centre.nameEn}`,
    },
    options,
  );
  drawReportHeader(
    pdf,
    { zh: "室间质评历史成绩报告", en: "EQA History Report: the last three rounds" },
    [
      { label: LABELS.organiser, value: `${input.centre.name} ${input.centre.nameEn}` },
      { label: LABELS.laboratory, value: `${input.lab.name} (${input.lab.code})` },
      { label: LABELS.department, value: input.lab.department === "" ? "—" : input.lab.department },
      { label: LABELS.institution, value: input.lab.institution === "" ? "—" : input.lab.institution },
      { label: LABELS.round, value: rounds.map((r) => `${r.round.name} (${r.round.code}, ${formatDate(r.round.publishedAt)})`).join("; ") },
      { label: LABELS.reportNumber, value: input.document.number },
      { label: LABELS.issued, value: formatDate(input.document.issuedAt) },
    ],
    input.document,
  );

  // Analytes in the order of the newest round, then any that only older rounds have.
  const order: { code: string; name: string }[] = [];
  const seen = new Set<string>();
  for (const round of [...rounds].reverse()) {
    for (const analyte of round.analytes) {
      if (!seen.has(analyte.code)) {
        seen.add(analyte.code);
        order.push({ code: analyte.code, name: analyte.name });
      }
    }
  }
  const columns: Column[] = [
    { header: bi(LABELS.analyte, pdf.language), weight: 2.2 },
    ...rounds.map((r) => ({ header: `${r.round.name}\n${r.round.code} · ${formatDate(r.round.publishedAt)}`, weight: 2 })),
    { header: bi(LABELS.trend, pdf.language), weight: 1.8 },
  ];
  const trendColumn = rounds.length + 1;
  const rows: Row[] = order.map(({ code, name }) => {
    const entries = rounds.map((r) => r.analytes.find((a) => a.code === code));
    const zLike = entries.some((e) => isZLike(e?.scoreKind));
    return {
      cells: [`${code} ${name}`, ...entries.map((entry) => roundCell(pdf, entry)), ""],
      draw: {
        column: trendColumn,
        height: TREND_HEIGHT,
        render: (x, y, width, height) =>
          drawTrend(pdf, { x, y, width, height }, entries.map((e) => ({ scores: e?.scores ?? null, passed: e?.passed ?? null })), zLike),
      },
    };
  });
  rows.push({
    cells: [
      { text: bi(LABELS.score, pdf.language) },
      ...rounds.map((r) => ({ text: r.scorePercent === null ? bi(LABELS.notComputable, pdf.language) : `${formatNumber(r.scorePercent, 1)}%` })),
      "",
    ],
  });
  drawTable(pdf, columns, rows);
  return finishPdf(
    pdf,
    standardFooter(pdf, `${bi(LABELS.reportNumber, pdf.language)} ${input.document.number}`, `${input.lab.code} · ${formatDate(input.document.issuedAt)}`),
  );
}

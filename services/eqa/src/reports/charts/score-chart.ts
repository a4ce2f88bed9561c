// The z-score chart of one analyte: a bar per sample, the ±2 (warning) and ±3 (action) limits of
// ISO 13528 9.4.1, bars coloured by the judgement; a score that was not computed has no bar and is
// labelled as such. The axis runs from −4 to +4; a longer bar is clipped and its value printed.
import { formatScore } from "../format.ts";
import { LABELS, bi } from "../labels.ts";
import { textAt } from "../pdf.ts";
import type { Pdf } from "../pdf.ts";
import { ACTION_COLOR, AXIS_COLOR, OK_COLOR, WARN_COLOR, dashedLine, panel, scale, solidLine } from "./frame.ts";
import type { Box } from "./frame.ts";

const LIMIT = 4;

export function drawScoreChart(pdf: Pdf, box: Box, title: string, scores: readonly { sample: string; score: number | null }[]): void {
  const { doc } = pdf;
  const plot = panel(pdf, box, title, { left: 16, bottom: 12 });
  const y = scale(-LIMIT, LIMIT, plot.y + plot.height, plot.y);
  for (const level of [-3, -2, 2, 3]) {
    dashedLine(pdf, plot.x, y(level), plot.x + plot.width, y(level), Math.abs(level) === 3 ? ACTION_COLOR : WARN_COLOR, 0.6);
  }
  for (const level of [-4, -3, -2, 0, 2, 3, 4]) {
    textAt(pdf, level > 0 ? `+${level}` : String(level), plot.x - 15, y(level) - 2.5, { size: 5.5, color: AXIS_COLOR, align: "right", width: 12 });
  }
  solidLine(pdf, plot.x, y(0), plot.x + plot.width, y(0), AXIS_COLOR, 0.5);
  solidLine(pdf, plot.x, plot.y, plot.x, plot.y + plot.height, AXIS_COLOR, 0.5);
  const slot = plot.width / Math.max(1, scores.length);
  const barWidth = Math.min(22, slot * 0.5);
  // With many samples label every k-th bar only, so the labels never overlap.
  doc.fontSize(5.5);
  const widest = Math.max(...scores.map((entry) => doc.widthOfString(entry.sample)));
  const labelEvery = Math.max(1, Math.ceil((widest + 2) / slot));
  scores.forEach((entry, i) => {
    const centre = plot.x + slot * (i + 0.5);
    if (i % labelEvery === 0) textAt(pdf, entry.sample, centre - (slot * labelEvery) / 2, plot.y + plot.height + 2, { size: 5.5, color: AXIS_COLOR, align: "center", width: slot * labelEvery });
    if (entry.score === null) {
      if (labelEvery === 1) textAt(pdf, bi(LABELS.notComputable, pdf.language), centre - slot / 2, y(0) - 8, { size: 5, color: AXIS_COLOR, align: "center", width: slot });
      return;
    }
    const magnitude = Math.abs(entry.score);
    const color = magnitude <= 2 ? OK_COLOR : magnitude < 3 ? WARN_COLOR : ACTION_COLOR;
    const clipped = Math.max(-LIMIT, Math.min(LIMIT, entry.score));
    const top = Math.min(y(clipped), y(0));
    doc.rect(centre - barWidth / 2, top, barWidth, Math.max(0.6, Math.abs(y(clipped) - y(0)))).fill(color);
    const labelY = entry.score >= 0 ? y(clipped) - 7 : y(clipped) + 1;
    if (labelEvery === 1) textAt(pdf, formatScore(entry.score), centre - slot / 2, labelY, { size: 5.5, color: "#1f2933", align: "center", width: slot });
  });
}

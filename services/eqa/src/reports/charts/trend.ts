// A sparkline of one analyte's scores over the last rounds (oldest left): one line per sample
// position, a dot per score coloured by the round's verdict, and for z-like scores the ±2 / ±3
// limits (ISO 13528 9.4.1) on a −4…+4 axis (points beyond are clipped to the edge).
import { AXIS_COLOR, ACTION_COLOR, OK_COLOR, WARN_COLOR, dashedLine, scale, solidLine } from "./frame.ts";
import type { Box } from "./frame.ts";
import type { Pdf } from "../pdf.ts";

export interface TrendPoint {
  /** null when the lab was not in the round for this analyte. */
  readonly scores: readonly (number | null)[] | null;
  readonly passed: boolean | null;
}

const SERIES_COLORS = ["#1f2933", "#1565c0", "#6a1b9a", "#00838f"];

export function drawTrend(pdf: Pdf, box: Box, points: readonly TrendPoint[], zLike: boolean): void {
  const { doc } = pdf;
  const all = points.flatMap((p) => (p.scores ?? []).filter((s): s is number => s !== null));
  let min = zLike ? -4 : Math.min(0, ...all);
  let max = zLike ? 4 : Math.max(0, ...all);
  if (min === max) {
    min -= 1;
    max += 1;
  }
  const y = scale(min, max, box.y + box.height, box.y);
  const clip = (value: number): number => Math.max(min, Math.min(max, value));
  const slot = box.width / Math.max(1, points.length);
  const x = (i: number): number => box.x + slot * (i + 0.5);
  doc.rect(box.x, box.y, box.width, box.height).lineWidth(0.3).strokeColor("#cbd2d9").stroke();
  if (zLike) {
    for (const level of [-3, -2, 2, 3]) dashedLine(pdf, box.x, y(level), box.x + box.width, y(level), Math.abs(level) === 3 ? ACTION_COLOR : WARN_COLOR, 0.4);
  }
  solidLine(pdf, box.x, y(0), box.x + box.width, y(0), AXIS_COLOR, 0.3);
  const series = Math.max(0, ...points.map((p) => p.scores?.length ?? 0));
  for (let s = 0; s < series; s += 1) {
    const color = SERIES_COLORS[s % SERIES_COLORS.length] ?? "#1f2933";
    let previous: [number, number] | null = null;
    points.forEach((point, i) => {
      const score = point.scores?.[s];
      if (score === undefined || score === null) {
        previous = null;
        return;
      }
      const here: [number, number] = [x(i), y(clip(score))];
      if (previous !== null) solidLine(pdf, previous[0], previous[1], here[0], here[1], color, 0.6);
      previous = here;
    });
  }
  points.forEach((point, i) => {
    const color = point.passed === null ? AXIS_COLOR : point.passed ? OK_COLOR : ACTION_COLOR;
    for (const score of point.scores ?? []) {
      if (score !== null) doc.circle(x(i), y(clip(score)), 1.6).fill(color);
    }
  });
}

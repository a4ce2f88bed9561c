// The common frame of a small chart panel: title, plot box, and a value → coordinate mapping.
import { textAt } from "../pdf.ts";
import type { Pdf } from "../pdf.ts";

export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export const AXIS_COLOR = "#52606d";
export const LAB_COLOR = "#c62828";
export const ASSIGNED_COLOR = "#1565c0";
export const WARN_COLOR = "#ef8f00";
export const ACTION_COLOR = "#c62828";
export const OK_COLOR = "#2e7d32";

/** Draws the panel's title and border; returns the plot box inside (room for axis labels left and below). */
export function panel(pdf: Pdf, box: Box, title: string, inset: { left: number; bottom: number }): Box {
  const { doc } = pdf;
  doc.rect(box.x, box.y, box.width, box.height).lineWidth(0.4).strokeColor("#cbd2d9").stroke();
  textAt(pdf, title, box.x + 4, box.y + 3, { size: 6.5, color: "#1f2933", width: box.width - 8 });
  const top = box.y + 14;
  return { x: box.x + inset.left, y: top, width: box.width - inset.left - 6, height: box.y + box.height - inset.bottom - top };
}

/** Linear map of [min, max] onto [from, to]. */
export function scale(min: number, max: number, from: number, to: number): (value: number) => number {
  const span = max - min === 0 ? 1 : max - min;
  return (value) => from + ((value - min) / span) * (to - from);
}

export function dashedLine(pdf: Pdf, x1: number, y1: number, x2: number, y2: number, color: string, width = 0.7): void {
  pdf.doc.save();
  pdf.doc.moveTo(x1, y1).lineTo(x2, y2).lineWidth(width).dash(2.5, { space: 1.8 }).strokeColor(color).stroke();
  pdf.doc.undash();
  pdf.doc.restore();
}

export function solidLine(pdf: Pdf, x1: number, y1: number, x2: number, y2: number, color: string, width = 0.7): void {
  pdf.doc.moveTo(x1, y1).lineTo(x2, y2).lineWidth(width).strokeColor(color).stroke();
}

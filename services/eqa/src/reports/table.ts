// A table that paginates by itself: each row is measured before it is drawn, a row that does not
// fit goes to the next page under a repeated header, and a row is never split. A row may carry
// notes (a reason it was not computed, the u(x_pt) warning) printed across the full width under it.
import { FONT, ensureSpace, measureWrapped, newPage, wrappedAt } from "./pdf.ts";
import type { Pdf } from "./pdf.ts";

export interface Column {
  readonly header: string;
  /** Share of the table's width. */
  readonly weight: number;
  readonly align?: "left" | "center" | "right";
}

export interface Cell {
  readonly text: string;
  readonly color?: string;
}

export interface Row {
  readonly cells: readonly (Cell | string)[];
  readonly notes?: readonly { text: string; color?: string }[];
  /** Extra drawing inside a cell (e.g. a sparkline): the cell's box. */
  readonly draw?: { readonly column: number; readonly height: number; readonly render: (x: number, y: number, width: number, height: number) => void };
}

const PAD = 3;
const SIZE = 8;
const HEADER_SIZE = 7.5;

function widths(pdf: Pdf, columns: readonly Column[]): number[] {
  const total = columns.reduce((sum, column) => sum + column.weight, 0);
  return columns.map((column) => (pdf.width * column.weight) / total);
}

const cellOf = (cell: Cell | string): Cell => (typeof cell === "string" ? { text: cell } : cell);

function headerHeight(pdf: Pdf, columns: readonly Column[], columnWidths: readonly number[]): number {
  return Math.max(...columns.map((column, i) => measureWrapped(pdf, column.header, (columnWidths[i] ?? 0) - 2 * PAD, HEADER_SIZE))) + 2 * PAD;
}

function rowHeight(pdf: Pdf, row: Row, columnWidths: readonly number[]): { body: number; notes: number[] } {
  let body = Math.max(
    ...row.cells.map((cell, i) => measureWrapped(pdf, cellOf(cell).text || " ", (columnWidths[i] ?? 0) - 2 * PAD, SIZE)),
  );
  if (row.draw !== undefined) body = Math.max(body, row.draw.height);
  const notes = (row.notes ?? []).map((note) => measureWrapped(pdf, note.text, pdf.width - 4 * PAD, SIZE - 0.5) + PAD);
  return { body: body + 2 * PAD, notes };
}

/** The height the table would take if it started at the top of a page (header included). */
export function measureTable(pdf: Pdf, columns: readonly Column[], rows: readonly Row[]): { header: number; rows: number[] } {
  const columnWidths = widths(pdf, columns);
  return {
    header: headerHeight(pdf, columns, columnWidths),
    rows: rows.map((row) => {
      const { body, notes } = rowHeight(pdf, row, columnWidths);
      return body + notes.reduce((a, b) => a + b, 0);
    }),
  };
}

function drawHeader(pdf: Pdf, columns: readonly Column[], columnWidths: readonly number[], height: number): void {
  const { doc } = pdf;
  doc.rect(pdf.left, pdf.y, pdf.width, height).fill("#e8edf2");
  let x = pdf.left;
  columns.forEach((column, i) => {
    const width = columnWidths[i] ?? 0;
    doc.font(FONT);
    wrappedAt(pdf, column.header, x + PAD, pdf.y + PAD, width - 2 * PAD, { size: HEADER_SIZE, color: "#1f2933", align: column.align ?? "left" });
    x += width;
  });
  pdf.y += height;
  doc.moveTo(pdf.left, pdf.y).lineTo(pdf.right, pdf.y).lineWidth(0.6).strokeColor("#52606d").stroke();
}

/** Draws the table at the cursor, paginating between rows; the cursor ends under the table. */
export function drawTable(pdf: Pdf, columns: readonly Column[], rows: readonly Row[]): void {
  const { doc } = pdf;
  const columnWidths = widths(pdf, columns);
  const hHeight = headerHeight(pdf, columns, columnWidths);
  const firstRow = rows[0] === undefined ? 0 : (() => {
    const h = rowHeight(pdf, rows[0], columnWidths);
    return h.body + h.notes.reduce((a, b) => a + b, 0);
  })();
  ensureSpace(pdf, hHeight + firstRow);
  drawHeader(pdf, columns, columnWidths, hHeight);
  rows.forEach((row, rowIndex) => {
    const { body, notes } = rowHeight(pdf, row, columnWidths);
    const total = body + notes.reduce((a, b) => a + b, 0);
    if (pdf.y + total > pdf.bottom) {
      newPage(pdf);
      drawHeader(pdf, columns, columnWidths, hHeight);
    }
    if (rowIndex % 2 === 1) doc.rect(pdf.left, pdf.y, pdf.width, total).fill("#f7f9fb");
    let x = pdf.left;
    row.cells.forEach((raw, i) => {
      const cell = cellOf(raw);
      const width = columnWidths[i] ?? 0;
      const column = columns[i];
      if (cell.text !== "") wrappedAt(pdf, cell.text, x + PAD, pdf.y + PAD, width - 2 * PAD, { size: SIZE, color: cell.color, align: column?.align ?? "left" });
      if (row.draw !== undefined && row.draw.column === i) row.draw.render(x + PAD, pdf.y + PAD, width - 2 * PAD, body - 2 * PAD);
      x += width;
    });
    pdf.y += body;
    (row.notes ?? []).forEach((note, i) => {
      wrappedAt(pdf, note.text, pdf.left + 2 * PAD, pdf.y, pdf.width - 4 * PAD, { size: SIZE - 0.5, color: note.color ?? "#7b2d00" });
      pdf.y += notes[i] ?? 0;
    });
    doc.moveTo(pdf.left, pdf.y).lineTo(pdf.right, pdf.y).lineWidth(0.3).strokeColor("#cbd2d9").stroke();
  });
  doc.strokeColor("black");
}

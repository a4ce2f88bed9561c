// The document skeleton shared by every report: an A4 PDFKit document whose bytes depend on the
// data only, the CJK font, a light diagonal watermark on every page, a cursor with explicit
// pagination (nothing is left to PDFKit's automatic page breaks, so nothing is printed off a page),
// and the footers written once the page count is known.
import PDFDocument from "pdfkit";
import { fontUnusable, loadFont } from "./font.ts";
import type { Language } from "./labels.ts";
import type { RenderOptions } from "./types.ts";

export const FONT = "body";
/** A4 in points (ISO 216: 210 × 297 mm). */
const A4 = { short: 595.28, long: 841.89 };
const MARGIN = 42;
/** Room kept under the content for the footer. */
const FOOTER_SPACE = 34;

export interface Pdf {
  readonly doc: PDFKit.PDFDocument;
  readonly language: Language;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  /** Lowest y content may reach. */
  readonly bottom: number;
  readonly width: number;
  readonly pageWidth: number;
  readonly pageHeight: number;
  /** Where the next block starts on the current page. */
  y: number;
  readonly layout: "portrait" | "landscape";
  readonly watermark: string;
  /** Identifies the font (path and face) for caches. */
  readonly fontKey: string;
  readonly chunks: Uint8Array[];
  readonly ended: Promise<void>;
}

export interface DocumentMeta {
  readonly title: string;
  readonly author: string;
  readonly subject: string;
  readonly keywords: string;
  readonly issuedAt: string;
  readonly layout?: "portrait" | "landscape";
  readonly defaultWatermark: string;
}

/**
 * Opens a document. Byte-for-byte reproducibility: CreationDate and ModDate come from the issue
 * date, PDFKit derives the trailer /ID from the info dictionary (an MD5 of it, no randomness), and
 * the font subset tag from the font's resource name (F1 → "CZZZZZ+"), so the same data gives the
 * same file — which is what lets anyone recompute the SM3 hash anchored on chain.
 */
export function openPdf(meta: DocumentMeta, options: RenderOptions = {}): Pdf {
  const font = loadFont(options.fontPath, options.fontName);
  const layout = meta.layout ?? "portrait";
  const pageWidth = layout === "portrait" ? A4.short : A4.long;
  const pageHeight = layout === "portrait" ? A4.long : A4.short;
  const issued = new Date(meta.issuedAt);
  const doc = new PDFDocument({
    size: "A4",
    layout,
    margin: MARGIN,
    bufferPages: true,
    autoFirstPage: false,
    compress: true,
    info: {
      Title: meta.title,
      Author: meta.author,
      Subject: meta.subject,
      Keywords: meta.keywords,
      Creator: "health-chain EQA",
      Producer: "PDFKit",
      CreationDate: issued,
      ModDate: issued,
    },
  });
  const chunks: Uint8Array[] = [];
  doc.on("data", (chunk: Uint8Array) => chunks.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    doc.on("end", () => resolve());
    doc.on("error", reject);
  });
  doc.registerFont(FONT, Buffer.from(font.bytes.buffer, font.bytes.byteOffset, font.bytes.byteLength), font.name);
  const pdf: Pdf = {
    doc,
    language: options.language ?? "zh",
    left: MARGIN,
    right: pageWidth - MARGIN,
    top: MARGIN,
    bottom: pageHeight - MARGIN - FOOTER_SPACE,
    width: pageWidth - 2 * MARGIN,
    pageWidth,
    pageHeight,
    y: MARGIN,
    layout,
    watermark: options.watermark ?? meta.defaultWatermark,
    fontKey: `${font.path}\u0000${font.name}`,
    chunks,
    ended,
  };
  try {
    doc.font(FONT);
  } catch (cause) {
    throw fontUnusable(font, cause);
  }
  newPage(pdf);
  return pdf;
}

/** Starts a page: the watermark underneath, the cursor at the top. */
export function newPage(pdf: Pdf): void {
  const { doc } = pdf;
  doc.addPage({ size: "A4", layout: pdf.layout, margin: MARGIN });
  drawWatermark(pdf);
  pdf.y = pdf.top;
}

/** Starts a new page unless `height` still fits under the cursor; true when a page was added. */
export function ensureSpace(pdf: Pdf, height: number): boolean {
  if (pdf.y + height <= pdf.bottom) return false;
  newPage(pdf);
  return true;
}

/** Room left on the current page. */
export function spaceLeft(pdf: Pdf): number {
  return pdf.bottom - pdf.y;
}

/** A full content page's height. */
export function pageSpace(pdf: Pdf): number {
  return pdf.bottom - pdf.top;
}

/** The parts of fontkit's font object the watermark needs (PDFKit keeps it as `_font.font`). */
interface OutlineFont {
  readonly unitsPerEm: number;
  layout(text: string): {
    glyphs: { path: { translate(x: number, y: number): { toSVG(): string } } }[];
    positions: { xAdvance: number; xOffset: number; yOffset: number }[];
  };
}

const watermarkOutlines = new Map<string, { svg: string; advance: number; unitsPerEm: number }>();

/** The watermark's glyph outlines as one SVG path in font units, cached per font and text. */
function watermarkOutline(pdf: Pdf): { svg: string; advance: number; unitsPerEm: number } {
  const font = (pdf.doc as unknown as { _font: { font: OutlineFont } })._font.font;
  const key = `${pdf.fontKey}\u0000${pdf.watermark}`;
  let outline = watermarkOutlines.get(key);
  if (outline === undefined) {
    const run = font.layout(pdf.watermark);
    let pen = 0;
    const parts: string[] = [];
    run.glyphs.forEach((glyph, i) => {
      const position = run.positions[i];
      parts.push(glyph.path.translate(pen + (position?.xOffset ?? 0), position?.yOffset ?? 0).toSVG());
      pen += position?.xAdvance ?? 0;
    });
    outline = { svg: parts.join(""), advance: pen, unitsPerEm: font.unitsPerEm };
    watermarkOutlines.set(key, outline);
  }
  return outline;
}

/**
 * The diagonal watermark, drawn under the content as glyph outlines rather than text: it shows
 * on screen and paper but is not extractable text, so copying or searching a report's content
 * (and the tests' pdftotext) never picks up watermark characters.
 */
function drawWatermark(pdf: Pdf): void {
  if (pdf.watermark === "") return;
  const { doc } = pdf;
  doc.font(FONT);
  const outline = watermarkOutline(pdf);
  const size = Math.min(pdf.layout === "portrait" ? 40 : 46, (pdf.pageWidth * 1.05 * outline.unitsPerEm) / Math.max(outline.advance, 1));
  const k = size / outline.unitsPerEm;
  const cx = pdf.pageWidth / 2;
  const cy = pdf.pageHeight / 2;
  doc.save();
  doc.rotate(-35, { origin: [cx, cy] });
  doc.translate(cx - (outline.advance * k) / 2, cy + size * 0.35);
  doc.scale(k, -k);
  doc.path(outline.svg).fillOpacity(0.09).fill("#9aa5b1");
  doc.restore();
}

export interface TextStyle {
  size?: number;
  color?: string;
  /** Horizontal placement inside `width` (default left). */
  align?: "left" | "center" | "right";
  width?: number;
  /** Faux bold (fill and a thin stroke): the CJK face has a single weight. */
  bold?: boolean;
}

/** One line of text at (x, y), never wrapped and never paginated; returns its width. */
export function textAt(pdf: Pdf, text: string, x: number, y: number, style: TextStyle = {}): number {
  const { doc } = pdf;
  doc.font(FONT).fontSize(style.size ?? 9);
  const width = doc.widthOfString(text);
  let left = x;
  if (style.width !== undefined && style.align === "center") left = x + (style.width - width) / 2;
  if (style.width !== undefined && style.align === "right") left = x + style.width - width;
  const color = style.color ?? "#111111";
  doc.fillColor(color);
  if (style.bold === true) {
    doc.lineWidth(0.25).strokeColor(color);
    doc.text(text, left, y, { lineBreak: false, fill: true, stroke: true });
  } else {
    doc.text(text, left, y, { lineBreak: false });
  }
  doc.fillColor("black").strokeColor("black");
  return width;
}

/** The height `text` takes wrapped to `width` at `size`. */
export function measureWrapped(pdf: Pdf, text: string, width: number, size: number): number {
  pdf.doc.font(FONT).fontSize(size);
  return pdf.doc.heightOfString(text, { width, lineGap: 1 });
}

/**
 * Text wrapped to `width` at (x, y), bounded to the measured height so PDFKit never breaks a page
 * on its own; returns the height used.
 */
export function wrappedAt(pdf: Pdf, text: string, x: number, y: number, width: number, style: TextStyle = {}): number {
  const size = style.size ?? 9;
  const height = measureWrapped(pdf, text, width, size);
  pdf.doc.fillColor(style.color ?? "#111111");
  pdf.doc.text(text, x, y, { width, height: height + size, lineGap: 1, align: style.align ?? "left" });
  pdf.doc.fillColor("black");
  return height;
}

/** Wrapped text at the cursor, on a new page if it does not fit; moves the cursor under it. */
export function paragraph(pdf: Pdf, text: string, style: TextStyle & { indent?: number; gap?: number } = {}): void {
  const indent = style.indent ?? 0;
  const width = pdf.width - indent;
  const height = measureWrapped(pdf, text, width, style.size ?? 9);
  ensureSpace(pdf, height);
  wrappedAt(pdf, text, pdf.left + indent, pdf.y, width, style);
  pdf.y += height + (style.gap ?? 4);
}

/**
 * Writes every page's footer now that the page count is known, ends the document and returns its
 * bytes. `footer` draws into the band under `bottom`.
 */
export async function finishPdf(pdf: Pdf, footer: (pageNumber: number, pageCount: number) => void): Promise<Uint8Array> {
  const { doc } = pdf;
  const range = doc.bufferedPageRange();
  for (let index = range.start; index < range.start + range.count; index += 1) {
    doc.switchToPage(index);
    footer(index - range.start + 1, range.count);
  }
  doc.flushPages();
  doc.end();
  await pdf.ended;
  return Buffer.concat(pdf.chunks);
}

/** The standard footer: a rule, the document number, "第 N 页 / 共 M 页 Page N of M", the issue date. */
export function standardFooter(pdf: Pdf, left: string, right: string): (pageNumber: number, pageCount: number) => void {
  return (pageNumber, pageCount) => {
    const y = pdf.bottom + 14;
    pdf.doc.moveTo(pdf.left, y).lineTo(pdf.right, y).lineWidth(0.5).strokeColor("#9aa5b1").stroke();
    const pageText =
      pdf.language === "zh"
        ? `第 ${pageNumber} 页 / 共 ${pageCount} 页  Page ${pageNumber} of ${pageCount}`
        : `Page ${pageNumber} of ${pageCount}  第 ${pageNumber} 页 / 共 ${pageCount} 页`;
    textAt(pdf, left, pdf.left, y + 5, { size: 7, color: "#444444" });
    textAt(pdf, pageText, pdf.left, y + 5, { size: 7, color: "#444444", align: "center", width: pdf.width });
    textAt(pdf, right, pdf.left, y + 5, { size: 7, color: "#444444", align: "right", width: pdf.width });
  };
}

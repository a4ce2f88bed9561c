// The first-page header of a report: bilingual title, the identifying fields, the QR code to the
// verification page with the document number under it, and how to verify the file.
import { HOW_TO_VERIFY, LABELS, bi } from "./labels.ts";
import type { Label } from "./labels.ts";
import { measureWrapped, textAt, wrappedAt } from "./pdf.ts";
import type { Pdf } from "./pdf.ts";
import { drawQrCode } from "./qr.ts";

export interface HeaderField {
  readonly label: Label;
  readonly value: string;
}

const QR_SIZE = 96;
const LABEL_WIDTH = 118;

export function drawReportHeader(
  pdf: Pdf,
  title: Label,
  fields: readonly HeaderField[],
  document: { number: string; verifyUrl: string },
): void {
  const first = pdf.language === "zh" ? title.zh : title.en;
  const second = pdf.language === "zh" ? title.en : title.zh;
  textAt(pdf, first, pdf.left, pdf.y, { size: 17, bold: true, color: "#102a43" });
  textAt(pdf, second, pdf.left, pdf.y + 22, { size: 10.5, color: "#334e68" });
  const qrX = pdf.right - QR_SIZE;
  drawQrCode(pdf, document.verifyUrl, qrX, pdf.y, QR_SIZE);
  textAt(pdf, bi(LABELS.scanToVerify, pdf.language), qrX - 20, pdf.y + QR_SIZE + 2, { size: 6.5, color: "#52606d", align: "center", width: QR_SIZE + 40 });
  textAt(pdf, document.number, qrX - 20, pdf.y + QR_SIZE + 11, { size: 6.5, color: "#52606d", align: "center", width: QR_SIZE + 40 });
  const qrBottom = pdf.y + QR_SIZE + 22;
  let y = pdf.y + 42;
  const valueWidth = pdf.width - QR_SIZE - 16 - LABEL_WIDTH;
  for (const field of fields) {
    textAt(pdf, bi(field.label, pdf.language), pdf.left, y, { size: 8, color: "#52606d" });
    const height = measureWrapped(pdf, field.value, valueWidth, 8.5);
    wrappedAt(pdf, field.value, pdf.left + LABEL_WIDTH, y - 0.5, valueWidth, { size: 8.5 });
    y += Math.max(12, height + 2.5);
  }
  pdf.y = Math.max(y, qrBottom) + 4;
  const verify = pdf.language === "zh" ? `${HOW_TO_VERIFY.zh} ${HOW_TO_VERIFY.en}` : `${HOW_TO_VERIFY.en} ${HOW_TO_VERIFY.zh}`;
  const verifyText = `${verify} ${document.verifyUrl}`;
  const height = measureWrapped(pdf, verifyText, pdf.width, 7);
  wrappedAt(pdf, verifyText, pdf.left, pdf.y, pdf.width, { size: 7, color: "#52606d" });
  pdf.y += height + 8;
}

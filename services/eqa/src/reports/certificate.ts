// Certificates (合格证书): general (the analytes a lab passed in a round) and trueness (正确度验证,
// the analytes whose bias was within the allowed limit, with the figures). One A4 landscape page:
// the analyte list shrinks (more columns, smaller type) to fit, and a list too long for one page
// is refused rather than spilling onto a second one.
import { platformError } from "@health-chain/sdk";
import { formatDate } from "./format.ts";
import { HOW_TO_VERIFY, LABELS, bi } from "./labels.ts";
import { finishPdf, measureWrapped, openPdf, standardFooter, textAt, wrappedAt } from "./pdf.ts";
import type { Pdf } from "./pdf.ts";
import { drawQrCode } from "./qr.ts";
import { certificateSchema } from "./types.ts";
import type { CertificateData, RenderOptions } from "./types.ts";
import { parseReportInput } from "./validate.ts";

const QR_SIZE = 100;
const TITLES = {
  general: { zh: "室间质评合格证书", en: "Certificate of Proficiency: External Quality Assessment" },
  trueness: { zh: "正确度验证合格证书", en: "Certificate of Trueness Verification" },
} as const;

interface Grid {
  columns: number;
  size: number;
  heights: number[];
}

/** The largest type and fewest columns with which every analyte fits in `height`. */
function fitGrid(pdf: Pdf, entries: readonly string[], height: number): Grid | null {
  for (const size of [10, 9, 8, 7, 6, 5.5]) {
    for (const columns of [1, 2, 3, 4, 5]) {
      const width = (pdf.width - (columns - 1) * 12) / columns;
      const heights = entries.map((entry) => measureWrapped(pdf, entry, width, size) + 2);
      const perColumn = Math.ceil(entries.length / columns);
      let tallest = 0;
      for (let c = 0; c < columns; c += 1) {
        const column = heights.slice(c * perColumn, (c + 1) * perColumn).reduce((a, b) => a + b, 0);
        tallest = Math.max(tallest, column);
      }
      if (tallest <= height) return { columns, size, heights };
    }
  }
  return null;
}

/** Renders a one-page certificate; the same data always gives the same bytes. */
export async function renderCertificate(data: CertificateData, options: RenderOptions = {}): Promise<Uint8Array> {
  const input = parseReportInput(certificateSchema, data, { en: "certificate", zh: "证书" });
  const language = options.language ?? "zh";
  const title = TITLES[input.kind];
  const pdf = openPdf(
    {
      title: `${title.zh} ${title.en} ${input.lab.name}`,
      author: `${input.centre.name} ${input.centre.nameEn}`,
      subject: `${input.plan.code} ${input.round?.code ?? ""} ${input.lab.code}`.replace(/\s+/g, " ").trim(),
      keywords: input.document.number,
      issuedAt: input.document.issuedAt,
      layout: "landscape",
      defaultWatermark: language === "zh" ? `室间质评 EQA · ${input.centre.name}` : `EQA 室间质评 · ${input.centre.nameEn}`,
    },
    options,
  );
  const { doc } = pdf;
  const first = (label: { zh: string; en: string }): string => (language === "zh" ? label.zh : label.en);
  const second = (label: { zh: string; en: string }): string => (language === "zh" ? label.en : label.zh);

  doc.rect(20, 20, pdf.pageWidth - 40, pdf.pageHeight - 40).lineWidth(2).strokeColor("#8d6e00").stroke();
  doc.rect(26, 26, pdf.pageWidth - 52, pdf.pageHeight - 52).lineWidth(0.6).strokeColor("#8d6e00").stroke();
  pdf.y = 40;
  textAt(pdf, `${input.centre.name}  ${input.centre.nameEn}`, pdf.left, pdf.y, { size: 10, color: "#334e68", align: "center", width: pdf.width });
  textAt(pdf, first(title), pdf.left, pdf.y + 18, { size: 24, bold: true, color: "#5d4300", align: "center", width: pdf.width });
  textAt(pdf, second(title), pdf.left, pdf.y + 50, { size: 12, color: "#5d4300", align: "center", width: pdf.width });
  pdf.y += 76;

  textAt(pdf, language === "zh" ? "兹证明 This is to certify that" : "This is to certify that 兹证明", pdf.left, pdf.y, { size: 10, color: "#334e68", align: "center", width: pdf.width });
  const labLine = [input.lab.institution, input.lab.name].filter((s) => s !== "").join(" ");
  textAt(pdf, `${labLine} (${input.lab.code})`, pdf.left, pdf.y + 16, { size: 15, bold: true, color: "#102a43", align: "center", width: pdf.width });
  if (input.lab.department !== "") textAt(pdf, input.lab.department, pdf.left, pdf.y + 36, { size: 9.5, color: "#334e68", align: "center", width: pdf.width });
  pdf.y += 52;
  const round = input.round === undefined ? "" : ` ${input.round.name} (${input.round.code})`;
  const scope =
    input.kind === "general"
      ? `参加 ${input.plan.name} ${input.plan.year}${round} 室间质评，下列项目成绩合格。 Took part in ${input.plan.nameEn} ${input.plan.year}${input.round === undefined ? "" : ` (${input.round.code})`} and passed the following analytes:`
      : `参加 ${input.plan.name} ${input.plan.year}${round} 正确度验证，下列项目偏倚在允许范围内。 Took part in the trueness verification ${input.plan.nameEn} ${input.plan.year}${input.round === undefined ? "" : ` (${input.round.code})`}; the bias of the following analytes was within the allowed limit:`;
  const scopeHeight = measureWrapped(pdf, scope, pdf.width, 9.5);
  wrappedAt(pdf, scope, pdf.left, pdf.y, pdf.width, { size: 9.5, color: "#1f2933", align: "center" });
  pdf.y += scopeHeight + 8;

  // Everything under the analytes is fixed: the fields and the QR code, then how to verify.
  const verify = `${first(HOW_TO_VERIFY)} ${second(HOW_TO_VERIFY)} ${input.document.verifyUrl}`;
  const verifyHeight = measureWrapped(pdf, verify, pdf.width - QR_SIZE - 16, 7);
  const blockHeight = Math.max(QR_SIZE + 12, 4 * 14 + 6 + verifyHeight);
  const blockTop = pdf.bottom - blockHeight;
  const entries = input.analytes.map((a) => `${a.code}  ${a.name} ${a.nameEn}${a.detail === undefined || a.detail === "" ? "" : `\n${a.detail}`}`);
  const grid = fitGrid(pdf, entries, blockTop - pdf.y - 8);
  if (grid === null) {
    throw platformError("INVALID_INPUT", {
      message: `The certificate cannot list ${entries.length} analytes on one page; issue several certificates (e.g. one per plan section).`,
      messageZh: `证书无法在一页内列出 ${entries.length} 个项目；请分多张证书签发（例如按计划的专业分组）。`,
      details: { field: "analytes", count: entries.length },
    });
  }
  const columnWidth = (pdf.width - (grid.columns - 1) * 12) / grid.columns;
  const perColumn = Math.ceil(entries.length / grid.columns);
  entries.forEach((entry, i) => {
    const column = Math.floor(i / perColumn);
    const x = pdf.left + column * (columnWidth + 12);
    const top = grid.heights.slice(column * perColumn, i).reduce((a, b) => a + b, 0);
    wrappedAt(pdf, entry, x, pdf.y + top, columnWidth, { size: grid.size, color: "#102a43" });
  });

  const fields: [string, string][] = [
    [bi(LABELS.certificateNumber, language), input.document.number],
    [bi(LABELS.issued, language), formatDate(input.document.issuedAt)],
    [bi(LABELS.validity, language), language === "zh" ? `${formatDate(input.validFrom)} 至 to ${formatDate(input.validUntil)}` : `${formatDate(input.validFrom)} to 至 ${formatDate(input.validUntil)}`],
    [bi(LABELS.signatory, language), input.signatory],
  ];
  fields.forEach(([label, value], i) => {
    const y = blockTop + i * 14;
    textAt(pdf, label, pdf.left, y, { size: 8.5, color: "#52606d" });
    textAt(pdf, value, pdf.left + 130, y - 0.5, { size: 9.5, color: "#102a43", bold: i === 2 });
  });
  wrappedAt(pdf, verify, pdf.left, blockTop + 4 * 14 + 6, pdf.width - QR_SIZE - 16, { size: 7, color: "#52606d" });
  const qrX = pdf.right - QR_SIZE;
  drawQrCode(pdf, input.document.verifyUrl, qrX, blockTop, QR_SIZE);
  textAt(pdf, bi(LABELS.scanToVerify, language), qrX - 20, blockTop + QR_SIZE + 2, { size: 6.5, color: "#52606d", align: "center", width: QR_SIZE + 40 });
  return finishPdf(
    pdf,
    standardFooter(pdf, `${bi(LABELS.certificateNumber, language)} ${input.document.number}`, `${input.lab.code} · ${formatDate(input.document.issuedAt)}`),
  );
}

// The QR code to a document's verification page, drawn as vector squares (no raster image, so it
// is sharp at any zoom and its bytes are deterministic). Error correction M (ISO/IEC 18004: ~15 %
// of the code may be damaged) suits a printed, possibly stamped-over certificate.
import QRCode from "qrcode";
import type { Pdf } from "./pdf.ts";

/** The four-module light margin ISO/IEC 18004 requires around the symbol. */
const QUIET_ZONE = 4;

/** Draws the QR code of `text` in a `size` × `size` square at (x, y), quiet zone included. */
export function drawQrCode(pdf: Pdf, text: string, x: number, y: number, size: number): void {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: "M" });
  const count = modules.size;
  const module = size / (count + 2 * QUIET_ZONE);
  const { doc } = pdf;
  doc.save();
  doc.rect(x, y, size, size).fill("#ffffff");
  // One rectangle per horizontal run of dark modules: a few hundred path operations, not thousands.
  for (let row = 0; row < count; row += 1) {
    let column = 0;
    while (column < count) {
      if (!modules.get(row, column)) {
        column += 1;
        continue;
      }
      const start = column;
      while (column < count && modules.get(row, column)) column += 1;
      doc.rect(x + (QUIET_ZONE + start) * module, y + (QUIET_ZONE + row) * module, (column - start) * module, module);
    }
  }
  doc.fill("#000000");
  doc.restore();
}

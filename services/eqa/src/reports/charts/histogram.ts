// One sample's histogram of all participants' values, the lab's value (red line) and the assigned
// value (blue dashed line) marked, the axis labelled with the analyte's decimals.
import { formatNumber } from "../format.ts";
import { LABELS, bi } from "../labels.ts";
import { textAt } from "../pdf.ts";
import type { Pdf } from "../pdf.ts";
import type { Distribution } from "../types.ts";
import { histogramBins } from "./bins.ts";
import { ASSIGNED_COLOR, AXIS_COLOR, LAB_COLOR, dashedLine, panel, scale, solidLine } from "./frame.ts";
import type { Box } from "./frame.ts";

export function drawHistogram(pdf: Pdf, box: Box, distribution: Distribution, decimals: number): void {
  const { doc } = pdf;
  const n = distribution.values.length;
  const title = `${bi(LABELS.sample, pdf.language)} ${distribution.sample}  n = ${n}`;
  const plot = panel(pdf, box, title, { left: 18, bottom: 22 });
  const baseline = plot.y + plot.height;
  if (n === 0) {
    textAt(pdf, bi(LABELS.noData, pdf.language), plot.x, plot.y + plot.height / 2 - 4, { size: 7, color: "#7b8794", align: "center", width: plot.width });
    return;
  }
  const bins = histogramBins(distribution.values, distribution.assignedValue, distribution.sigma);
  const first = bins.edges[0] ?? 0;
  const last = bins.edges[bins.edges.length - 1] ?? 1;
  const x = scale(first, last, plot.x, plot.x + plot.width);
  const maxCount = Math.max(1, ...bins.counts);
  const y = scale(0, maxCount, baseline, plot.y + 6);
  bins.counts.forEach((count, i) => {
    if (count === 0) return;
    const left = x(bins.edges[i] ?? 0);
    const right = x(bins.edges[i + 1] ?? 0);
    doc.rect(left + 0.3, y(count), Math.max(0.4, right - left - 0.6), baseline - y(count));
  });
  doc.fill("#9fb3c8");
  solidLine(pdf, plot.x, baseline, plot.x + plot.width, baseline, AXIS_COLOR, 0.5);
  solidLine(pdf, plot.x, baseline, plot.x, plot.y, AXIS_COLOR, 0.5);
  textAt(pdf, String(maxCount), plot.x - 17, y(maxCount) - 3, { size: 5.5, color: AXIS_COLOR, align: "right", width: 15 });
  textAt(pdf, "0", plot.x - 17, baseline - 3, { size: 5.5, color: AXIS_COLOR, align: "right", width: 15 });
  if (bins.below > 0) textAt(pdf, `◀${bins.below}`, plot.x + 1, plot.y, { size: 5.5, color: AXIS_COLOR });
  if (bins.above > 0) textAt(pdf, `${bins.above}▶`, plot.x, plot.y, { size: 5.5, color: AXIS_COLOR, align: "right", width: plot.width - 1 });

  const tickY = baseline + 2;
  textAt(pdf, formatNumber(first, decimals), plot.x - 10, tickY, { size: 5.5, color: AXIS_COLOR });
  textAt(pdf, formatNumber(last, decimals), plot.x, tickY, { size: 5.5, color: AXIS_COLOR, align: "right", width: plot.width + 4 });
  if (distribution.assignedValue !== null) {
    const at = Math.min(Math.max(distribution.assignedValue, first), last);
    dashedLine(pdf, x(at), baseline, x(at), plot.y + 2, ASSIGNED_COLOR, 0.9);
    textAt(pdf, formatNumber(distribution.assignedValue, decimals), x(at) - 30, tickY, { size: 5.5, color: ASSIGNED_COLOR, align: "center", width: 60 });
  }
  if (distribution.labValue !== null) {
    const inside = distribution.labValue >= first && distribution.labValue <= last;
    const at = x(Math.min(Math.max(distribution.labValue, first), last));
    solidLine(pdf, at, baseline, at, plot.y + 4, LAB_COLOR, 1.1);
    // A small triangle on top marks the lab; an arrow-like caret when its value is off the axis.
    doc.polygon([at - 2.5, plot.y], [at + 2.5, plot.y], [at, plot.y + 4]).fill(LAB_COLOR);
    if (!inside) textAt(pdf, formatNumber(distribution.labValue, decimals), at - 30, plot.y + 5, { size: 5.5, color: LAB_COLOR, align: "center", width: 60 });
  }
  // Legend.
  const legendY = box.y + box.height - 8;
  solidLine(pdf, box.x + 6, legendY + 3, box.x + 16, legendY + 3, LAB_COLOR, 1.1);
  const labWidth = textAt(pdf, bi(LABELS.labValue, pdf.language), box.x + 19, legendY, { size: 5.5, color: AXIS_COLOR });
  const assignedX = box.x + 26 + labWidth;
  dashedLine(pdf, assignedX, legendY + 3, assignedX + 10, legendY + 3, ASSIGNED_COLOR, 0.9);
  textAt(pdf, bi(LABELS.assignedValue, pdf.language), assignedX + 13, legendY, { size: 5.5, color: AXIS_COLOR });
}

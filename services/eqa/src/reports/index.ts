// The PDF documents of an EQA round: the per-lab report, the history report and the certificates.
export { renderLabReport } from "./lab-report.ts";
export { renderHistoryReport } from "./history-report.ts";
export { renderCertificate } from "./certificate.ts";
export { homogeneityReportSchema, renderHomogeneityReport, type HomogeneityReportData } from "./homogeneity-report.ts";
export { DEFAULT_FONT_NAME, DEFAULT_FONT_PATH, FONT_PACKAGE, resolveFontPath } from "./font.ts";
export { formatDate, formatDateTime, formatNumber, formatScore } from "./format.ts";
export { histogramBins } from "./charts/bins.ts";
export type { Bins } from "./charts/bins.ts";
export * from "./types.ts";

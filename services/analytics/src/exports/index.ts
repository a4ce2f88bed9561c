// Approved research exports (批量数据导出): consent checked on chain at export time, de-identified by
// a published his policy version, k-anonymous or refused with the report, packaged (the gateway
// keeps it encrypted in the operator's store), and matched against later consent revocations.
export type {
  BuildExportOptions, ConsentCheckAnswer, ConsentCheckItem, ConsentPort, ExportClass, ExportConsentReport, ExportDeidMemberSummary, ExportDeidReport,
  ExportAccess, ExportGeneralisationStep, ExportKCheck, ExportKReport, ExportMember, ExportPackageReport, ExportPolicySuggestion, ExportQuasiIdentifier,
  ExportRefusalReason, ExportReport, ExportResult, ExportSourceRecord, KFailureAction, PolicyRef,
} from "./types.ts";
export { DEFAULT_K, DEFAULT_MAX_GENERALISATION_STEPS } from "./options.ts";
export { CONSENT_BATCH_SIZE } from "./consent.ts";
export { EXPORT_PACKAGE_FORMAT } from "./package.ts";
export { buildExport } from "./build.ts";
export { type AffectedPackage, type PackageMembership, packagesAffectedByRevocation } from "./revocation.ts";

// FHIR R4 source adapter (issue 6, adapter b): Bundles pushed to an endpoint or pulled from a FHIR
// server, validated against the R4 definitions and read into the interchange vocabulary.
export { type BundleReading, type EntryPosition, type EntryReading, FHIR_BUNDLE_TYPES, FHIR_RESOURCE_TYPES, type FhirParseOptions, type FhirResourceType, itemKeyOf, parseFhirBundle, readFhirBundle } from "./parse.ts";
export { type FhirRenderOptions, fhirBundleOf, fhirResourceIdOf } from "./render.ts";
export { DEFAULT_FHIR_PULL_TYPES, type FhirPullOptions, createFhirPullAdapter } from "./pull.ts";
export { type FhirIssue, fhirR4Errors, loadFhirR4Definitions } from "./validate.ts";
export type { FhirRejectionReason } from "./rejection.ts";
export * from "./systems.ts";

// Reading a FHIR R4 Bundle (pushed to an endpoint or returned by a search) into source items: the
// envelope first (JSON, a Bundle of a supported type), then every resource on its own: validated
// against the R4 definitions, mapped to its record kind, keyed. A resource that fails is rejected
// with its reason while the rest of the Bundle proceeds.
import type { Bundle, BundleEntry, Resource } from "./r4.ts";
import { sm3Hex, utf8 } from "@health-chain/sdk";
import type { ParseResult, RejectedItem, SourceItem } from "../types.ts";
import { readCondition, readDocumentReference, readEncounter, readMedicationRequest, readObservation, readPatient, type Reading } from "./fields.ts";
import { type ReadContext, createReadContext, institutionOf, patientNumberOf, sourceKeyOf } from "./identity.ts";
import { type Rejection, isRejection, rejectedItem, rejection } from "./rejection.ts";
import { fhirR4Errors } from "./validate.ts";

export interface FhirParseOptions {
  /**
   * The institution whose channel delivered the message (its own push endpoint), for resources that
   * name no institution in an identifier assigner or organisation reference.
   */
  readonly institutionCode?: string;
}

export const FHIR_BUNDLE_TYPES = ["transaction", "batch", "collection", "searchset"] as const;
export const FHIR_RESOURCE_TYPES = [
  "Patient", "Encounter", "Observation", "DiagnosticReport", "Condition", "MedicationRequest", "DocumentReference",
] as const;
export type FhirResourceType = (typeof FHIR_RESOURCE_TYPES)[number];

/** Where a resource stands in a server's change order: what a pull cursor is made of. */
export interface EntryPosition {
  readonly resourceType: string;
  readonly id: string;
  readonly lastUpdated: string;
}

/** One entry of a Bundle as read: the item it gave, its rejection, or neither (a DiagnosticReport, a search outcome). */
export interface EntryReading {
  /** The resource's type, id and meta.lastUpdated when it has them, valid or not. */
  readonly position: EntryPosition | null;
  readonly item?: SourceItem;
  readonly rejected?: RejectedItem;
}

export type BundleReading = { readonly rejected: RejectedItem } | { readonly entries: readonly EntryReading[] };

/** Parses one Bundle: items for the resources it could read, rejections (with the resource as raw) for the rest. */
export function parseFhirBundle(input: string | object, options: FhirParseOptions = {}): ParseResult {
  const reading = readFhirBundle(input, options);
  if ("rejected" in reading) return { items: [], rejected: [reading.rejected] };
  const items: SourceItem[] = [];
  const rejected: RejectedItem[] = [];
  for (const entry of reading.entries) {
    if (entry.item) items.push(entry.item);
    if (entry.rejected) rejected.push(entry.rejected);
  }
  return { items, rejected };
}

const digest = (text: string) => sm3Hex(utf8(text)).slice(2, 34);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const SUPPORTED = new Set<string>(FHIR_RESOURCE_TYPES);

/** Reads a Bundle entry by entry, in order. */
export function readFhirBundle(input: string | object, options: FhirParseOptions = {}): BundleReading {
  // The message's text and digest only matter for a rejection; a large Bundle read from an object is not re-serialised.
  const rawMessage = () => (typeof input === "string" ? input : JSON.stringify(input));
  let bundle: unknown = input;
  if (typeof input === "string") {
    try {
      bundle = JSON.parse(input);
    } catch (error) {
      const refusal = rejection("malformed-message", `The message is not JSON: ${(error as Error).message}`, "消息不是有效的 JSON。");
      return { rejected: rejectedItem(`Bundle#${digest(input)}`, refusal, input) };
    }
  }
  const bundleKey = () => (isObject(bundle) && typeof bundle.id === "string" ? `Bundle/${bundle.id}` : `Bundle#${digest(rawMessage())}`);
  const envelopeRefusal = envelopeProblem(bundle);
  if (envelopeRefusal) return { rejected: rejectedItem(bundleKey(), envelopeRefusal, rawMessage()) };
  const { entry = [], timestamp } = bundle as Bundle;

  // Pass 1: every entry's resource checked and validated; pass 2 maps the valid ones, which can then
  // resolve references to each other (a subject Patient, the DiagnosticReport of an Observation).
  const checked = entry.map((bundleEntry, index) => checkEntry(bundleEntry, () => `${bundleKey()}#entry[${index}]`));
  const valid = checked.filter((c): c is CheckedEntry & { resource: Resource } => c.resource !== null);
  const context = createReadContext(valid.map((c) => [c.fullUrl, c.resource] as const), options.institutionCode ?? null, timestamp ?? null);
  return {
    entries: checked.map((c, index): EntryReading => {
      const position = positionOf(entry[index]!.resource);
      if (c.rejected) return { position, rejected: c.rejected };
      if (c.resource === null || c.resource.resourceType === "DiagnosticReport") return { position };
      const outcome = readResource(c.resource, c.raw, context);
      return "reason" in outcome ? { position, rejected: outcome } : { position, item: outcome };
    }),
  };
}

function positionOf(resource: unknown): EntryPosition | null {
  if (!isObject(resource) || !isObject(resource.meta)) return null;
  const { resourceType, id } = resource;
  const { lastUpdated } = resource.meta;
  return typeof resourceType === "string" && typeof id === "string" && typeof lastUpdated === "string" ? { resourceType, id, lastUpdated } : null;
}

function envelopeProblem(bundle: unknown): Rejection | null {
  if (!isObject(bundle) || bundle.resourceType !== "Bundle") {
    const resourceType = isObject(bundle) && typeof bundle.resourceType === "string" ? bundle.resourceType : null;
    return rejection(
      "not-a-bundle",
      `The message must be a FHIR Bundle; it is ${resourceType === null ? "not a FHIR resource" : `a ${resourceType}`}.`,
      `消息须为 FHIR Bundle，实际${resourceType === null ? "不是 FHIR 资源" : `为 ${resourceType}`}。`,
      { resourceType },
    );
  }
  if (!(FHIR_BUNDLE_TYPES as readonly unknown[]).includes(bundle.type)) {
    return rejection(
      "unsupported-bundle-type",
      `Bundles of type ${JSON.stringify(bundle.type ?? null)} are not read; send a transaction, batch, collection or searchset.`,
      `不读取类型为 ${JSON.stringify(bundle.type ?? null)} 的 Bundle；请发送 transaction、batch、collection 或 searchset。`,
      { type: typeof bundle.type === "string" ? bundle.type : null },
    );
  }
  if (bundle.entry !== undefined && (!Array.isArray(bundle.entry) || !bundle.entry.every(isObject))) {
    return rejection("not-a-bundle", "Bundle.entry must be an array of entries.", "Bundle.entry 须为条目数组。");
  }
  // The envelope itself (timestamp, link, total…) is validated too: Bundle.timestamp can become a change time.
  const envelope = Object.fromEntries(Object.entries(bundle).filter(([member]) => member !== "entry"));
  const errors = fhirR4Errors(envelope as unknown as Bundle);
  if (errors.length > 0) {
    const summary = errors.map((issue) => `${issue.path}: ${issue.problem}`).join("; ");
    return rejection("invalid-resource", `The Bundle does not conform to FHIR R4: ${summary}.`, `Bundle 不符合 FHIR R4 规范：${summary}。`, {
      issues: errors.map((issue) => ({ path: issue.path, problem: issue.problem })),
    });
  }
  return null;
}

interface CheckedEntry {
  readonly fullUrl: string | undefined;
  readonly resource: Resource | null;
  readonly raw: string;
  readonly rejected?: RejectedItem;
}

function checkEntry(entry: BundleEntry, entryKey: () => string): CheckedEntry {
  const fullUrl = typeof entry.fullUrl === "string" ? entry.fullUrl : undefined;
  const resource: unknown = entry.resource;
  // A search may add an OperationOutcome about the search itself: a note from the server, not a record.
  if (entry.search?.mode === "outcome") return { fullUrl, resource: null, raw: "" };
  if (!isObject(resource) || typeof resource.resourceType !== "string") {
    const raw = JSON.stringify(entry);
    const method = entry.request?.method;
    const refusal = method === "DELETE"
      ? rejection("unsupported-operation", "Deleting a record through FHIR is not supported; send a corrected version.", "不支持通过 FHIR 删除记录；请发送更正后的版本。", { method })
      : rejection("invalid-resource", "The Bundle entry carries no resource.", "Bundle 条目中没有资源。");
    return { fullUrl, resource: null, raw, rejected: rejectedItem(entryKey(), refusal, raw) };
  }
  const raw = JSON.stringify(resource);
  const typed = resource as unknown as Resource;
  if (!SUPPORTED.has(typed.resourceType)) {
    const refusal = rejection(
      "unsupported-resource-type",
      `${typed.resourceType} resources are not collected; supported: ${FHIR_RESOURCE_TYPES.join(", ")}.`,
      `不采集 ${typed.resourceType} 资源；支持：${FHIR_RESOURCE_TYPES.join("、")}。`,
      { resourceType: typed.resourceType },
    );
    return { fullUrl, resource: null, raw, rejected: rejectedItem(itemKeyOf(typed, raw), refusal, raw) };
  }
  const errors = fhirR4Errors(typed);
  if (errors.length > 0) {
    const summary = errors.map((issue) => `${issue.path}: ${issue.problem}`).join("; ");
    const refusal = rejection(
      "invalid-resource",
      `The ${typed.resourceType} does not conform to FHIR R4: ${summary}.`,
      `${typed.resourceType} 不符合 FHIR R4 规范：${summary}。`,
      { issues: errors.map((issue) => ({ path: issue.path, problem: issue.problem })) },
    );
    return { fullUrl, resource: null, raw, rejected: rejectedItem(itemKeyOf(typed, raw), refusal, raw) };
  }
  return { fullUrl, resource: typed, raw };
}

/**
 * `Type/id/_history/versionId` when the resource has a version; otherwise `Type/id#digest` of its JSON,
 * which is stable when the same content is read again and new when it changes.
 */
export function itemKeyOf(resource: Resource, raw: string): string {
  const { id, meta } = resource;
  if (id && meta?.versionId) return `${resource.resourceType}/${id}/_history/${meta.versionId}`;
  return id ? `${resource.resourceType}/${id}#${digest(raw)}` : `${resource.resourceType}#${digest(raw)}`;
}

function readKind(resource: Resource, context: ReadContext): Reading | Rejection | null {
  switch (resource.resourceType) {
    case "Patient":
      return readPatient(resource);
    case "Encounter":
      return readEncounter(resource);
    case "Condition":
      return readCondition(resource, context);
    case "Observation":
      return readObservation(resource, context);
    case "MedicationRequest":
      return readMedicationRequest(resource, context);
    case "DocumentReference":
      return readDocumentReference(resource, context);
    default:
      return null;
  }
}

function readResource(resource: Resource, raw: string, context: ReadContext): SourceItem | RejectedItem {
  const itemKey = itemKeyOf(resource, raw);
  const reading = readKind(resource, context);
  if (reading === null) throw new Error(`unreachable: ${resource.resourceType} passed the supported-type check without a reader`);
  if (isRejection(reading)) return rejectedItem(itemKey, reading, raw);
  const institutionCode = institutionOf(resource, context);
  if (institutionCode === null) {
    return rejectedItem(itemKey, rejection(
      "missing-institution",
      "No institution: give the record identifier an assigner with the institution code, or push through the institution's own channel.",
      "无法确定机构：请在记录标识的 assigner 中给出机构代码，或通过该机构自己的通道推送。",
    ), raw);
  }
  const sourceKey = sourceKeyOf(resource);
  if (sourceKey === null) {
    return rejectedItem(itemKey, rejection("missing-source-key", "The resource has neither an identifier nor an id.", "资源既无 identifier 也无 id。"), raw);
  }
  const patientId = reading.kind === "patient" ? sourceKey : patientNumberOf(reading.subject, context);
  if (patientId === null) {
    return rejectedItem(itemKey, rejection(
      "missing-patient",
      "The institution's patient number cannot be told: give subject.identifier, or include the Patient in the Bundle.",
      "无法确定机构的患者编号：请提供 subject.identifier，或在 Bundle 中包含该 Patient。",
    ), raw);
  }
  const changedAt = resource.meta?.lastUpdated ?? context.bundleTimestamp;
  if (changedAt === null) {
    return rejectedItem(itemKey, rejection("missing-change-time", "Neither meta.lastUpdated nor Bundle.timestamp tells when the record changed.", "meta.lastUpdated 与 Bundle.timestamp 均缺失，无法确定记录变更时间。"), raw);
  }
  return {
    itemKey, format: "fhir-r4", kind: reading.kind, institutionCode, sourceKey, patientId, changedAt,
    status: reading.corrected ? "corrected" : "final", fields: reading.fields, raw,
  };
}

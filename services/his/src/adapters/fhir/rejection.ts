// Why a FHIR message or resource is refused: a stable reason code and a message in English and
// Chinese, carried to the quarantine with the received JSON.
import type { RejectedItem, SourceValue } from "../types.ts";

/** The reason codes this adapter gives (RejectedItem.reason). */
export type FhirRejectionReason =
  | "malformed-message"
  | "not-a-bundle"
  | "unsupported-bundle-type"
  | "unsupported-operation"
  | "unsupported-resource-type"
  | "invalid-resource"
  | "missing-institution"
  | "missing-source-key"
  | "missing-patient"
  | "missing-change-time"
  | "unsupported-status"
  | "unsupported-observation-category"
  | "unsupported-value-type"
  | "unsupported-document-type"
  | "unsupported-attachment"
  | "invalid-attachment";

/** A refusal before it is attached to an item key and the raw resource. */
export interface Rejection {
  readonly reason: FhirRejectionReason;
  readonly message: string;
  readonly messageZh: string;
  readonly details?: { readonly [member: string]: SourceValue };
}

export function rejection(reason: FhirRejectionReason, message: string, messageZh: string, details?: Rejection["details"]): Rejection {
  return details === undefined ? { reason, message, messageZh } : { reason, message, messageZh, details };
}

export function isRejection(value: unknown): value is Rejection {
  return typeof value === "object" && value !== null && "reason" in value && "messageZh" in value;
}

export function rejectedItem(itemKey: string, refusal: Rejection, raw: string): RejectedItem {
  return { itemKey, format: "fhir-r4", ...refusal, raw };
}

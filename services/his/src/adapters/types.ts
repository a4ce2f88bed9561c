// What every source adapter (SQL intermediate tables, FHIR R4, HL7 v2 ORU^R01) hands the collection
// pipeline: source items in one interchange vocabulary, and the items it could not read, with the
// reason, for the quarantine. The interchange vocabulary is the shape of the synthetic payloads
// (`../synthetic/records.ts`): an adapter's job is to bring its format to that shape; mapping to the
// standard model (data elements, value domains, codes) happens after, in `../model/`.
import type { RecordKind } from "../synthetic/records.ts";

/** The formats the platform reads. */
export type SourceFormat = "sql" | "fhir-r4" | "hl7v2";

/** A JSON value as a source sends it (not yet validated). */
export type SourceValue = string | number | boolean | null | readonly SourceValue[] | { readonly [member: string]: SourceValue };

/** One record as a source sent it, in the interchange vocabulary. */
export interface SourceItem {
  /**
   * Unique within the source and stable when the same transmission is read again (the pipeline
   * never processes an item key twice): e.g. `zj_lab_result#1234` (table and change sequence),
   * `Observation/abc/_history/2`, `MSH-10 message id + OBX set id`.
   */
  readonly itemKey: string;
  readonly format: SourceFormat;
  readonly kind: RecordKind;
  /** The originating institution's code (as in `../synthetic/district.ts`). */
  readonly institutionCode: string;
  /** The record's key in the institution's own system; a correction carries the key it corrects. */
  readonly sourceKey: string;
  /** The institution's own patient number. */
  readonly patientId: string;
  /** When the record was created or last changed at the source, ISO 8601 with offset. */
  readonly changedAt: string;
  /** `corrected`: this transmission replaces an earlier one of the same sourceKey. */
  readonly status: "final" | "corrected";
  /**
   * The payload members with the names of the synthetic payload of `kind` (PatientRegistration,
   * Encounter, …, DischargeSummary). A member the source left empty is null or absent; values are
   * as the source gave them (validation comes after).
   */
  readonly fields: { readonly [member: string]: SourceValue };
  /** The item as received (the table row as JSON, the FHIR resource, the HL7 message): kept for the quarantine. */
  readonly raw: string;
}

/** Why an adapter could not turn (part of) a message or row into items. */
export interface RejectedItem {
  /** The item key when it can be told (else a key derived from the message, e.g. its SM3). */
  readonly itemKey: string;
  readonly format: SourceFormat;
  /** A stable machine code, e.g. `malformed-message`, `unsupported-message-type`, `missing-patient`, `invalid-resource`. */
  readonly reason: string;
  readonly message: string;
  readonly messageZh: string;
  readonly details?: { readonly [member: string]: SourceValue };
  /** What was received, verbatim, so that it can be replayed after a fix. */
  readonly raw: string;
}

/** What parsing one message (a FHIR Bundle, an HL7 v2 message) gives. */
export interface ParseResult {
  readonly items: readonly SourceItem[];
  readonly rejected: readonly RejectedItem[];
}

/** One page read from a pulled source. */
export interface PullPage extends ParseResult {
  /**
   * The position after this page, to be stored with the page's results in one transaction and
   * passed back to `pull` to continue; reading again from a stored cursor never skips an item.
   */
  readonly cursor: string | null;
  /** No more items after this page for now. */
  readonly done: boolean;
}

/** A source the platform polls: the regional platform's intermediate tables, a FHIR server. */
export interface PullAdapter {
  readonly format: SourceFormat;
  /** Reads up to `limit` items after `cursor` (null: from the beginning). */
  pull(cursor: string | null, limit: number): Promise<PullPage>;
  close(): Promise<void>;
}

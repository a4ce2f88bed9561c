// What mapping one source item to the standard model gives: a standard record with notes, or the
// problems that send the item to the quarantine (each with a stable reason code and both messages).
import type { SourceValue } from "../adapters/types.ts";
import type { MappingStatus } from "../mapping/index.ts";

/** A record in the standard model: what is fingerprinted, encrypted and indexed on chain. */
export interface StandardRecord {
  readonly model: string;
  /** The record model's version: the record's schemaVersion on chain. */
  readonly modelVersion: number;
  /** The category name; the on-chain category id is keccak256("category:" + category). */
  readonly category: string;
  /** Only the model's members, canonical values; absent optional members are omitted. */
  readonly content: { readonly [member: string]: SourceValue };
  /** Member → consent field name (the field id is keccak256("field:" + name)), for the members present. */
  readonly fields: { readonly [member: string]: string };
}

export type ProblemStage = "map" | "validate" | "code";

export type ProblemReason =
  | "missing-required"
  | "invalid-format"
  | "out-of-domain"
  | "out-of-range"
  | "invalid-checksum"
  | "unknown-code"
  | "code-under-review"
  | "dictionary-unavailable"
  | "unmapped-kind";

export const PROBLEM_REASONS: readonly ProblemReason[] = [
  "missing-required", "invalid-format", "out-of-domain", "out-of-range", "invalid-checksum",
  "unknown-code", "code-under-review", "dictionary-unavailable", "unmapped-kind",
];

// A type literal rather than an interface, so that it fits consumers that accept extra keys.
export type Problem = {
  readonly stage: ProblemStage;
  /** Stable machine code. */
  readonly reason: ProblemReason;
  readonly member?: string;
  readonly element?: string;
  /** The offending value as the source gave it (or as transformed, for a value failing its domain). */
  readonly value?: SourceValue;
  readonly message: string;
  readonly messageZh: string;
  /** For code problems: the mapper's proposal (status, best candidates), so a reviewer can decide. */
  readonly details?: { readonly [key: string]: SourceValue };
};

/** How a dictionary member was mapped (successful records only; failures are problems). */
export interface CodeMappingNote {
  readonly kind: "code-mapping";
  readonly member: string;
  readonly status: Extract<MappingStatus, "auto" | "confirmed">;
  readonly localCode: string;
  readonly code: string;
  readonly method: string | null;
  readonly score: number;
  readonly dictionaryVersion: string;
}

export type MapNote = { readonly kind: "absent-optional"; readonly member: string } | CodeMappingNote;

export interface MapSuccess {
  readonly ok: true;
  readonly record: StandardRecord;
  readonly notes: readonly MapNote[];
}

export interface MapFailure {
  readonly ok: false;
  readonly problems: readonly Problem[];
  /** The model the item's kind maps to (absent for an unmapped kind). */
  readonly model?: string;
  readonly modelVersion?: number;
  /** Members the source gave a value for, valid or not (for completeness figures). */
  readonly present?: readonly string[];
}

export type MapResult = MapSuccess | MapFailure;

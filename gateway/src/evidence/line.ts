// The access-log line: what the gateway writes for every consent-checked read of an original,
// granted or refused, before it answers. Its SM3 hash is the item of the Merkle batch that
// `AuditTrail.recordAccessBatch` anchors, so an auditor who holds the line, the proof and the
// batch id checks it on chain with `AuditTrail.verifyAccessLine` and nothing else.
//
// Canonical form (version 1), documented in docs/GATEWAY.md:
//
//   lineHash = "0x" ‖ hex( SM3( "HCA1" ‖ UTF-8( JCS(line) ) ) )
//
// where JCS is the canonical JSON of docs/FINGERPRINT.md (sdk `canonicalize`) and `line` is the
// object below, every hex value lower case, lists sorted and without repeats, `accessedAt` a UTC
// ISO 8601 string with milliseconds. "HCA1" (health-chain access line, version 1) keeps these hashes
// apart from record fingerprints ("HCF1") and every other SM3 hash of the platform.
import { canonicalize, sm3Hex, utf8 } from "@health-chain/sdk";
import { getAddress, type Hex } from "viem";

/** The domain prefix of access-log line hashes. */
export const ACCESS_LINE_DOMAIN = "HCA1";

/** The outcome of a consent-checked read. */
export type AccessOutcome = "granted" | "refused";

/** One access-log line, as hashed. Personal data never appears: only salted refs and opaque ids. */
export interface AccessLine {
  /** Version of the canonical form. */
  readonly v: 1;
  /** The line's id (the gateway's row id). */
  readonly id: string;
  /** The HTTP request that made the read (X-Request-Id). */
  readonly requestId: string;
  /** Who read: the staff member's id or the wallet of the signed-in session. */
  readonly reader: string;
  /** The reader as the grantee it read as: a doctor's account or an institution, as bytes32. */
  readonly accessor: Hex;
  /** The institution holding the record. */
  readonly institution: Hex;
  /** The record read. */
  readonly recordId: Hex;
  /** The salted resident reference of the record. */
  readonly residentRef: Hex;
  /** Field ids returned (granted) or asked for (refused), sorted. */
  readonly fields: readonly Hex[];
  /** Purpose code (sdk PURPOSES). */
  readonly purpose: number;
  /** The grants relied on, sorted; empty when refused. */
  readonly grantIds: readonly Hex[];
  readonly outcome: AccessOutcome;
  /** Why a read was refused ("no-grant"), null when granted. */
  readonly reason: string | null;
  /** When the gateway served or refused the read. */
  readonly accessedAt: string;
}

/** What a line is made from (unsorted, any hex case, a Date). */
export interface AccessLineInput {
  readonly id: string;
  readonly requestId: string;
  readonly reader: string;
  readonly accessor: string;
  readonly institution: string;
  readonly recordId: string;
  readonly residentRef: string;
  readonly fields: readonly string[];
  readonly purpose: number;
  readonly grantIds: readonly string[];
  readonly outcome: AccessOutcome;
  readonly reason?: string | null;
  readonly accessedAt: Date;
}

const lower = (value: string) => value.toLowerCase() as Hex;
const sortedSet = (values: readonly string[]) => [...new Set(values.map(lower))].sort();

/** The canonical line of an input. */
export function accessLine(input: AccessLineInput): AccessLine {
  return {
    v: 1,
    id: input.id,
    requestId: input.requestId,
    reader: input.reader,
    accessor: lower(input.accessor),
    institution: lower(input.institution),
    recordId: lower(input.recordId),
    residentRef: lower(input.residentRef),
    fields: sortedSet(input.fields),
    purpose: input.purpose,
    grantIds: sortedSet(input.grantIds),
    outcome: input.outcome,
    reason: input.reason ?? null,
    accessedAt: input.accessedAt.toISOString(),
  };
}

/** The canonical text of a line (JCS). */
export function accessLineText(line: AccessLine): string {
  return canonicalize(line);
}

/** The SM3 hash of a line: the item of the access-log Merkle batch. */
export function accessLineHash(line: AccessLine): Hex {
  return sm3Hex(utf8(ACCESS_LINE_DOMAIN + accessLineText(line)));
}

/** The row of an access-log line. */
export function accessLogRow(line: AccessLine) {
  return {
    id: line.id,
    requestId: line.requestId,
    accessor: line.accessor,
    residentRef: line.residentRef,
    recordId: line.recordId,
    institution: getAddress(line.institution),
    fieldsJson: JSON.stringify(line.fields),
    purpose: line.purpose,
    grantId: line.grantIds[0] ?? null,
    grantIdsJson: JSON.stringify(line.grantIds),
    outcome: line.outcome,
    reason: line.reason,
    accessedAt: new Date(line.accessedAt),
    lineHash: accessLineHash(line),
    reader: line.reader,
    lineText: accessLineText(line),
  };
}

// The gateway's hot lookups as prepared SQL (mirror/src/db/reader.ts explains why): the rows the
// index, provenance and read routes ask for on every request, in the types Prisma would give
// (DateTime columns as Date). Everything else, and every write, stays with Prisma.
import { platformError } from "@health-chain/sdk";
import { asDate, asDateOrNull, type SqlReader } from "../../mirror/src/db/index.ts";
import type { AccessLogLine, IndexEntry, Original, Session } from "./generated/sqlite/client.ts";

type Reads = { readonly sql: SqlReader };

function withCreatedAt<T extends { createdAt: Date }>(row: Record<string, unknown>): T {
  row.createdAt = asDate(row.createdAt);
  return row as T;
}

/** The Original row of a record at its institution, voided or not (`db.original.findUnique` by institution + recordId). */
export async function originalRowOf(deps: Reads, institution: string, recordId: string): Promise<Original | null> {
  const [row] = await deps.sql.all(`SELECT * FROM "Original" WHERE "institution" = ? AND "recordId" = ? LIMIT 1`, [institution, recordId]);
  if (row === undefined) return null;
  row.voidedAt = asDateOrNull(row.voidedAt);
  return withCreatedAt<Original>(row);
}

/**
 * The current original of a record to read: its Original row, null when unknown. A record a Void
 * change ended has none: NOT_FOUND with `details.reason = "voided"`, as a read of a voided singly
 * anchored record answers (records.ts keeps the ended record's rows; originalRowOf reads them).
 */
export async function originalOf(deps: Reads, institution: string, recordId: string): Promise<Original | null> {
  const row = await originalRowOf(deps, institution, recordId);
  if (row?.voidedAt != null) {
    throw platformError("NOT_FOUND", {
      message: "The record was voided.",
      messageZh: "该记录已作废。",
      details: { what: "record", reason: "voided", institution, recordId, voidedAt: row.voidedAt.toISOString(), version: row.version },
    });
  }
  return row;
}

/** The index entry the gateway keeps for a record (`db.indexEntry.findUnique` by institution + recordId). */
export async function indexEntryRowOf(deps: Reads, institution: string, recordId: string): Promise<IndexEntry | null> {
  const [row] = await deps.sql.all(`SELECT * FROM "IndexEntry" WHERE "institution" = ? AND "recordId" = ? LIMIT 1`, [institution, recordId]);
  return row === undefined ? null : withCreatedAt<IndexEntry>(row);
}

/**
 * The batched index entries of a residentRef, oldest source time first, at most `limit`
 * (`indexEntry.findMany({ where: { residentRef }, orderBy: [sourceTime, id], take })`).
 */
export async function indexEntriesOfResidentRef(deps: Reads, residentRef: string, limit: number): Promise<IndexEntry[]> {
  const rows = await deps.sql.all(`SELECT * FROM "IndexEntry" WHERE "residentRef" = ? ORDER BY "sourceTime" ASC, "id" ASC LIMIT ?`, [
    residentRef,
    Math.trunc(limit),
  ]);
  return rows.map((row) => withCreatedAt<IndexEntry>(row));
}

/** Every access-log line of a record, oldest first (`accessLogLine.findMany` ordered by accessedAt, id). */
export async function accessLinesOfRecord(deps: Reads, institution: string, recordId: string): Promise<AccessLogLine[]> {
  const rows = await deps.sql.all(`SELECT * FROM "AccessLogLine" WHERE "institution" = ? AND "recordId" = ? ORDER BY "accessedAt" ASC, "id" ASC`, [
    institution,
    recordId,
  ]);
  return rows.map((row) => {
    row.accessedAt = asDate(row.accessedAt);
    row.claimedUntil = asDateOrNull(row.claimedUntil);
    return withCreatedAt<AccessLogLine>(row);
  });
}

/** The residentRefs institutions linked to a wallet through its originals, each once, in first-linked order. */
export async function residentRefsOfWallet(deps: Reads, wallet: string): Promise<string[]> {
  const rows = await deps.sql.all<{ residentRef: string }>(
    `SELECT "residentRef" FROM "Original" WHERE "residentAddress" = ? GROUP BY "residentRef" ORDER BY MIN("id") ASC`,
    [wallet],
  );
  return rows.map((r) => r.residentRef);
}

/** A session row by id (`db.session.findUnique`), asked whenever a token's session is not in the process's cache. */
export async function sessionRowOf(deps: Reads, id: string): Promise<Session | null> {
  const [row] = await deps.sql.all(`SELECT * FROM "Session" WHERE "id" = ? LIMIT 1`, [id]);
  if (row === undefined) return null;
  row.expiresAt = asDate(row.expiresAt);
  row.endedAt = asDateOrNull(row.endedAt);
  return withCreatedAt<Session>(row);
}

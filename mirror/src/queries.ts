// The mirror's query API (what the gateway reads): typed functions returning plain objects —
// hex in lower case (addresses checksummed), block times as ISO 8601, and the transaction hash,
// block number and log index of every event-derived item. Current state is derived here from the
// append-only projection rows (schema.prisma), so a reorg rollback never leaves stale state.
//
// Pages: `{ limit ≤ 500 (default 50), cursor? }` → `{ items, nextCursor? }`, chronological,
// keyset on (blockNumber, logIndex) of the item's defining event; the cursor is opaque.
import { getAddress, hexToString, isAddress, pad, type Address, type Hex } from "viem";
import { CONTRACT_NAMES, platformError } from "../../sdk/src/index.ts";
import type { MirrorPrisma } from "./database.ts";
import { asBoolOrNull, asDate, placeholders, type SqlReader, type SqlValue } from "./db/index.ts";

// ------------------------------------------------------------------------------------ common

export interface EventRef {
  txHash: Hex;
  blockNumber: number;
  logIndex: number;
  /** Block time, ISO 8601 UTC. */
  at: string;
}

export interface Page {
  /** 1..500, default 50. */
  limit?: number;
  cursor?: string;
}

export interface PageOf<T> {
  items: T[];
  nextCursor?: string;
}

export interface Scope {
  categories: Hex[];
  recordIds: Hex[];
  fields: Hex[];
}

const MAX_LIMIT = 500;
const DEFAULT_LIMIT = 50;

interface Positioned {
  blockNumber: number;
  logIndex: number;
  txHash: string;
  timestamp: Date;
}

function ref(row: Positioned): EventRef {
  return { txHash: row.txHash as Hex, blockNumber: row.blockNumber, logIndex: row.logIndex, at: row.timestamp.toISOString() };
}

/** uint64 seconds (decimal string) as ISO 8601, or null beyond the dates JavaScript can show. */
function isoOf(seconds: string | number | null | undefined): string | null {
  if (seconds === null || seconds === undefined) return null;
  const n = Number(seconds);
  if (!Number.isFinite(n) || n * 1000 > 8.64e15) return null;
  return new Date(n * 1000).toISOString();
}

function checksum(address: string): Address {
  return getAddress(address);
}

function invalid(what: string, value: unknown): Error {
  return platformError("INVALID_INPUT", {
    message: `Invalid ${what}: ${JSON.stringify(value)}.`,
    messageZh: `${what} 无效：${JSON.stringify(value)}。`,
    details: { [what]: value },
  });
}

function addressIn(value: string, what = "address"): string {
  if (!isAddress(value, { strict: false })) throw invalid(what, value);
  return value.toLowerCase();
}

function bytes32In(value: string, what: string): string {
  if (!/^0x[0-9a-fA-F]{64}$/.test(value)) throw invalid(what, value);
  return value.toLowerCase();
}

/** A grantee as ConsentRegistry stores it: an address left-padded to 32 bytes, or a bytes32 id. */
export function granteeKey(value: string): string {
  if (/^0x[0-9a-fA-F]{40}$/.test(value)) return pad(value.toLowerCase() as Hex, { size: 32 });
  return bytes32In(value, "grantee");
}

function uintIn(value: bigint | number | string, what: string): string {
  const text = String(value);
  if (!/^\d+$/.test(text)) throw invalid(what, value);
  return BigInt(text).toString(10);
}

function limitOf(page: Page | undefined): number {
  const limit = page?.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw invalid("limit", limit);
  return limit;
}

function encodeCursor(row: { blockNumber: number; logIndex: number }): string {
  return Buffer.from(`${row.blockNumber}:${row.logIndex}`).toString("base64url");
}

/** The (block, log index) a cursor points after, or nothing. */
function cursorPosition(page: Page | undefined): { blockNumber: number; logIndex: number } | undefined {
  if (!page?.cursor) return undefined;
  const match = /^(\d+):(\d+)$/.exec(Buffer.from(page.cursor, "base64url").toString());
  if (!match) throw invalid("cursor", page.cursor);
  return { blockNumber: Number(match[1]), logIndex: Number(match[2]) };
}

/** The Prisma `where` of "after the cursor" (or nothing). */
function afterCursor(page: Page | undefined): Record<string, unknown> {
  const at = cursorPosition(page);
  if (!at) return {};
  return { OR: [{ blockNumber: { gt: at.blockNumber } }, { blockNumber: at.blockNumber, logIndex: { gt: at.logIndex } }] };
}

const ORDER = [{ blockNumber: "asc" as const }, { logIndex: "asc" as const }];

/** `afterCursor` in SQL: a condition (with a leading AND) and its parameters, or nothing. */
function afterCursorSql(page: Page | undefined): { sql: string; params: SqlValue[] } {
  const at = cursorPosition(page);
  if (!at) return { sql: "", params: [] };
  return { sql: ` AND ("blockNumber" > ? OR ("blockNumber" = ? AND "logIndex" > ?))`, params: [at.blockNumber, at.blockNumber, at.logIndex] };
}

const ORDER_SQL = `ORDER BY "blockNumber" ASC, "logIndex" ASC`;

/** An event row read with SQL, in the types Prisma gives (block time a Date, booleans). */
export function eventRow<R>(row: Record<string, unknown>): R {
  row.timestamp = asDate(row.timestamp);
  if ("mayReshare" in row) row.mayReshare = asBoolOrNull(row.mayReshare);
  if ("approved" in row) row.approved = asBoolOrNull(row.approved);
  return row as R;
}

function pageOf<R extends { blockNumber: number; logIndex: number }, T>(rows: R[], limit: number, map: (row: R) => T): PageOf<T> {
  const items = rows.slice(0, limit).map(map);
  const last = rows[limit - 1];
  return rows.length > limit && last ? { items, nextCursor: encodeCursor(last) } : { items };
}

function scopeOf(json: string | null): Scope {
  const s = json ? (JSON.parse(json) as Partial<Scope>) : {};
  return { categories: (s.categories ?? []) as Hex[], recordIds: (s.recordIds ?? []) as Hex[], fields: (s.fields ?? []) as Hex[] };
}

function without(list: Hex[], removed: Hex[]): Hex[] {
  const gone = new Set(removed);
  return list.filter((x) => !gone.has(x));
}

// ------------------------------------------------------------------------------------ records

export interface RecordState {
  institution: Address;
  recordId: Hex;
  /** Current salted resident reference (after identity merges). */
  residentRef: Hex;
  category: Hex;
  contentHash: Hex;
  pointerHash: Hex;
  schemaVersion: number;
  sourceTime: string | null;
  /** Changes applied (the last change's version), 0 when never changed. */
  version: number;
  voided: boolean;
  anchored: EventRef;
  lastChange?: EventRef;
}

export interface RecordChangeItem extends EventRef {
  reason: number;
  previousContentHash: Hex;
  newContentHash: Hex;
  newPointerHash: Hex;
  /** Identity merge: the surviving reference; null otherwise. */
  newResidentRef: Hex | null;
  changedAt: string | null;
  version: number;
}

export interface RecordHistory {
  record: RecordState;
  anchored: EventRef;
  changes: RecordChangeItem[];
}

const VOID_REASON = 4;

type RecordRow = Awaited<ReturnType<MirrorPrisma["recordEvent"]["findMany"]>>[number];

function foldRecord(rows: RecordRow[]): RecordState | undefined {
  const anchor = rows.find((r) => r.kind === "anchored");
  if (!anchor) return undefined;
  const state: RecordState = {
    institution: checksum(anchor.institution),
    recordId: anchor.recordId as Hex,
    residentRef: anchor.residentRef as Hex,
    category: anchor.category as Hex,
    contentHash: anchor.contentHash as Hex,
    pointerHash: anchor.pointerHash as Hex,
    schemaVersion: anchor.schemaVersion ?? 0,
    sourceTime: isoOf(anchor.sourceTime),
    version: 0,
    voided: false,
    anchored: ref(anchor),
  };
  for (const row of rows) {
    if (row.kind !== "changed") continue;
    state.contentHash = row.contentHash as Hex;
    if (row.pointerHash) state.pointerHash = row.pointerHash as Hex;
    if (row.residentRef) state.residentRef = row.residentRef as Hex;
    if (row.reason === VOID_REASON) state.voided = true;
    state.version = row.version ?? state.version;
    state.lastChange = ref(row);
  }
  return state;
}

// ------------------------------------------------------------------------------------ grants

export type GrantStatus = "active" | "not-yet-valid" | "expired" | "revoked";

export interface GrantNarrowing extends EventRef {
  removed: Scope;
  purposes: number;
  notAfter: string | null;
  signer: Address;
}

export interface Grant {
  grantId: Hex;
  resident: Address;
  /** bytes32: an address left-padded (institution, doctor) or a project id. */
  grantee: Hex;
  granteeKind: number;
  /** The parent grant of a re-share, else null. */
  parentId: Hex | null;
  mayReshare: boolean;
  /** Current purposes mask (after narrowings). */
  purposes: number;
  notBefore: string | null;
  /** Current end (after narrowings). */
  notAfter: string | null;
  /** Current scope (after narrowings). */
  scope: Scope;
  /** The scope as granted. */
  grantedScope: Scope;
  signer: Address;
  created: EventRef;
  narrowings: GrantNarrowing[];
  revocation?: EventRef & { signer: Address };
  /** Grants re-shared from this one. */
  reshares: Hex[];
  /** At the time of the query (a re-share also ends with its parent: check the parent too). */
  status: GrantStatus;
}

type GrantRow = Awaited<ReturnType<MirrorPrisma["grantEvent"]["findMany"]>>[number];

function foldGrant(rows: GrantRow[], reshares: Hex[], now: number): Grant | undefined {
  const created = rows.find((r) => r.kind === "created");
  if (!created) return undefined;
  const granted = scopeOf(created.scope);
  const grant: Grant = {
    grantId: created.grantId as Hex,
    resident: checksum(created.resident),
    grantee: created.grantee as Hex,
    granteeKind: created.granteeKind ?? 0,
    parentId: (created.parentId as Hex | null) ?? null,
    mayReshare: created.mayReshare ?? false,
    purposes: created.purposes ?? 0,
    notBefore: isoOf(created.notBefore),
    notAfter: isoOf(created.notAfter),
    scope: { ...granted },
    grantedScope: granted,
    signer: checksum(created.signer),
    created: ref(created),
    narrowings: [],
    reshares,
    status: "active",
  };
  let notAfter = Number(created.notAfter);
  for (const row of rows) {
    if (row.kind === "narrowed") {
      const removed = scopeOf(row.scope);
      grant.scope = {
        categories: without(grant.scope.categories, removed.categories),
        recordIds: without(grant.scope.recordIds, removed.recordIds),
        fields: without(grant.scope.fields, removed.fields),
      };
      grant.purposes = row.purposes ?? grant.purposes;
      grant.notAfter = isoOf(row.notAfter);
      notAfter = Number(row.notAfter);
      grant.narrowings.push({ ...ref(row), removed, purposes: row.purposes ?? 0, notAfter: isoOf(row.notAfter), signer: checksum(row.signer) });
    } else if (row.kind === "revoked") {
      grant.revocation = { ...ref(row), signer: checksum(row.signer) };
    }
  }
  grant.status = grant.revocation ? "revoked" : now < Number(created.notBefore) ? "not-yet-valid" : now > notAfter ? "expired" : "active";
  return grant;
}

// ------------------------------------------------------------------------------------ requests

export type RequestStatus = "pending" | "approved" | "rejected" | "expired";

export interface AccessRequest {
  requestId: Hex;
  resident: Address;
  grantee: Hex;
  /** The requesting institution (DATA_CONSUMER). */
  institution: Address;
  granteeKind: number;
  scope: Scope;
  purposes: number;
  /** Longest grant window the request asks for, seconds. */
  validFor: number;
  answerBy: string | null;
  reasonHash: Hex;
  filed: EventRef;
  answer?: EventRef & { approved: boolean; mode: number; grantId: Hex | null; signer: Address };
  status: RequestStatus;
}

type RequestRow = Awaited<ReturnType<MirrorPrisma["requestEvent"]["findMany"]>>[number];

function foldRequest(filed: RequestRow, answered: RequestRow | undefined, now: number): AccessRequest {
  const request: AccessRequest = {
    requestId: filed.requestId as Hex,
    resident: checksum(filed.resident),
    grantee: filed.grantee as Hex,
    institution: checksum(filed.institution as string),
    granteeKind: filed.granteeKind ?? 0,
    scope: scopeOf(filed.scope),
    purposes: filed.purposes ?? 0,
    validFor: Number(filed.validFor),
    answerBy: isoOf(filed.answerBy),
    reasonHash: filed.reasonHash as Hex,
    filed: ref(filed),
    status: now > Number(filed.answerBy) ? "expired" : "pending",
  };
  if (answered) {
    request.answer = {
      ...ref(answered),
      approved: answered.approved ?? false,
      mode: answered.mode ?? 0,
      grantId: (answered.grantId as Hex | null) ?? null,
      signer: checksum(answered.signer as string),
    };
    request.status = answered.approved ? "approved" : "rejected";
  }
  return request;
}

// ------------------------------------------------------------------------------------ others

export interface Delegation {
  delegate: Address;
  delegationId: Hex;
  relation: number;
  notAfter: string | null;
  active: boolean;
  set: EventRef;
  revocation?: EventRef;
}

export interface DataBatch extends EventRef {
  /** Decimal. */
  batchId: string;
  institution: Address;
  kind: number;
  root: Hex;
  leafCount: number;
}

export interface AccessEvidenceItem extends EventRef {
  /** Decimal. */
  evidenceId: string;
  accessor: Hex;
  residentRef: Hex;
  recordId: Hex;
  fields: Hex[];
  purpose: number;
  grantId: Hex;
  accessedAt: string | null;
  outcome: number;
  recorder: Address;
}

export interface AccessBatchItem extends EventRef {
  /** Decimal. */
  batchId: string;
  recorder: Address;
  root: Hex;
  lineCount: number;
  fromTime: string | null;
  toTime: string | null;
}

export interface Certificate {
  certId: Hex;
  issuer: Address;
  subject: Hex;
  documentType: number;
  documentHash: Hex;
  issuedAt: string | null;
  validFrom: string | null;
  validUntil: string | null;
  issuerSignature: Hex;
  issued: EventRef;
  revocation?: EventRef & { reason: number; revokedAt: string | null };
}

export interface WorkflowStepItem extends EventRef {
  workflowId: Hex;
  step: number;
  decision: number;
  actor: Hex;
  documentHash: Hex;
  level: number;
  institution: Address;
  stepTime: string | null;
}

export interface Member {
  institution: Address;
  kind: number;
  name: string;
  /** Role ids (bytes32). */
  roles: Hex[];
  /** MEMBER_STATUS code. */
  status: number;
  /** Allowlisted accounts acting for the institution. */
  accounts: Address[];
  added: EventRef;
  updated: EventRef;
}

export interface Alliance {
  allianceId: Hex;
  kind: number;
  name: string;
  lead: Address | null;
  members: Address[];
  created: EventRef;
}

export type ProposalState = "pending" | "executed" | "rejected" | "expired";

export interface Proposal {
  /** Decimal. */
  proposalId: string;
  proposer: Address;
  action: number;
  params: Hex;
  deadline: string | null;
  required: number;
  yes: number;
  no: number;
  votes: (EventRef & { voter: Address; support: boolean })[];
  state: ProposalState;
  created: EventRef;
  closed?: EventRef;
}

export interface ConsortiumNode {
  node: Address;
  institution: Address;
  validator: boolean;
  publicKey: Hex;
  added: EventRef;
}

export interface RegisteredContract {
  /** bytes32 name as registered, and as text when it is printable. */
  name: Hex;
  nameText: string | null;
  deployment: Address;
  version: number;
  registered: EventRef;
}

export interface ChainStatus {
  contracts: { contract: string; address: Address | null; indexedBlock: number | null; blockHash: string | null; updatedAt: string | null }[];
  /** The lowest indexed block over the contracts (everything up to it is in the mirror). */
  indexedHead: number | null;
  indexedHeadTime: string | null;
  /** When a head source was given to createMirrorQueries. */
  chainHead?: number;
  lagBlocks?: number;
  lagSeconds?: number | null;
}

export interface MirrorQueryOptions {
  /** Current chain head, for `chain.status()` lag (e.g. `() => client.getBlockNumber()`). */
  chainHead?: () => Promise<number | bigint>;
  /** Clock for statuses (grant expiry, request expiry), ms. Default Date.now. */
  now?: () => number;
}

type AccessEvidenceRow = Awaited<ReturnType<MirrorPrisma["accessEvidence"]["findMany"]>>[number];
type AccessBatchRow = Awaited<ReturnType<MirrorPrisma["accessBatch"]["findMany"]>>[number];
type ChainEventRow = Awaited<ReturnType<MirrorPrisma["chainEvent"]["findMany"]>>[number];
type Args = Record<string, unknown>;
const argsOf = (row: ChainEventRow) => JSON.parse(row.args) as Args;

function textOfBytes32(value: string): string | null {
  try {
    const text = hexToString(value as Hex, { size: 32 });
    return /^[\x20-\x7e]+$/.test(text) ? text : null;
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------------------------ the API

/** The query API over a mirror database. */
export function createMirrorQueries(database: { prisma: MirrorPrisma; sql: SqlReader }, options: MirrorQueryOptions = {}) {
  const { prisma, sql } = database;
  const nowSeconds = () => Math.floor((options.now ?? Date.now)() / 1000);

  /**
   * Rows of an event table, oldest first, by prepared SQL (db/reader.ts): the hot paths (a
   * resident's index, a record's provenance) ask these; the rest go through Prisma.
   */
  async function eventRows<R>(table: string, where: string, params: readonly SqlValue[], tail = ""): Promise<R[]> {
    const rows = await sql.all<Record<string, unknown>>(`SELECT * FROM "${table}" WHERE ${where} ${ORDER_SQL}${tail}`, params);
    return rows.map((row) => eventRow<R>(row));
  }

  /** One page of an event table's rows (limit + 1 of them: `pageOf` tells whether more follow). */
  async function pageRows<R>(table: string, where: string, params: readonly SqlValue[], page: Page | undefined): Promise<{ rows: R[]; limit: number }> {
    const limit = limitOf(page);
    const after = afterCursorSql(page);
    const rows = await eventRows<R>(table, `${where}${after.sql}`, [...params, ...after.params, limit + 1], " LIMIT ?");
    return { rows, limit };
  }

  async function grantsByIds(ids: string[]): Promise<Grant[]> {
    if (ids.length === 0) return [];
    // Independent reads, at once (one round trip of latency instead of two).
    const list = placeholders(ids.length);
    const [rows, children] = await Promise.all([
      eventRows<GrantRow>("GrantEvent", `"grantId" IN (${list})`, ids),
      eventRows<GrantRow>("GrantEvent", `"parentId" IN (${list}) AND "kind" = 'created'`, ids),
    ]);
    const now = nowSeconds();
    return ids
      .map((id) =>
        foldGrant(
          rows.filter((r) => r.grantId === id),
          children.filter((c) => c.parentId === id).map((c) => c.grantId as Hex),
          now,
        ),
      )
      .filter((g): g is Grant => g !== undefined);
  }

  async function requestsOf(filed: RequestRow[]): Promise<AccessRequest[]> {
    if (filed.length === 0) return [];
    const ids = filed.map((f) => f.requestId);
    const answers = await eventRows<RequestRow>("RequestEvent", `"requestId" IN (${placeholders(ids.length)}) AND "kind" = 'answered'`, ids);
    const now = nowSeconds();
    return filed.map((f) => foldRequest(f, answers.find((a) => a.requestId === f.requestId), now));
  }

  async function consortiumEvents(): Promise<ChainEventRow[]> {
    return prisma.chainEvent.findMany({ where: { contract: "ConsortiumRegistry" }, orderBy: ORDER });
  }

  async function foldMembers(): Promise<Map<string, Member>> {
    const members = new Map<string, Member>();
    const pendingAccounts = new Map<string, string>();
    for (const row of await consortiumEvents()) {
      const a = argsOf(row);
      const at = ref(row);
      const inst = typeof a.institution === "string" ? a.institution : "";
      const member = members.get(inst);
      switch (row.eventName) {
        case "MemberAdded":
          members.set(inst, {
            institution: checksum(inst),
            kind: Number(a.kind),
            name: String(a.name),
            roles: a.roles as Hex[],
            status: 1,
            accounts: [],
            added: at,
            updated: at,
          });
          for (const [account, of] of pendingAccounts) if (of === inst) members.get(inst)?.accounts.push(checksum(account));
          break;
        case "MemberRolesChanged":
          if (member) Object.assign(member, { roles: a.roles as Hex[], updated: at });
          break;
        case "MemberStatusChanged":
          if (member) Object.assign(member, { status: Number(a.status), updated: at });
          break;
        case "AccountAllowed": {
          const account = String(a.account);
          pendingAccounts.set(account, inst);
          if (member && !member.accounts.includes(checksum(account))) member.accounts.push(checksum(account));
          break;
        }
        case "AccountRemoved": {
          const account = String(a.account);
          pendingAccounts.delete(account);
          if (member) member.accounts = member.accounts.filter((x) => x !== checksum(account));
          break;
        }
      }
    }
    return members;
  }

  return {
    records: {
      /** Singly anchored records whose current resident reference is `residentRef`. */
      async ofResident(residentRef: string, page?: Page): Promise<PageOf<RecordState>> {
        const refKey = bytes32In(residentRef, "residentRef");
        const limit = limitOf(page);
        const items: RecordState[] = [];
        let after = afterCursorSql(page);
        let lastRow: { blockNumber: number; logIndex: number } | undefined;
        // Candidates: events that set the reference (anchoring, merges into it); a record is listed at
        // its last such event, and only while its current reference is still this one.
        for (;;) {
          const batch = await eventRows<RecordRow>("RecordEvent", `"residentRef" = ?${after.sql}`, [refKey, ...after.params, limit + 1], " LIMIT ?");
          if (batch.length === 0) return { items };
          for (const candidate of batch) {
            const rows = await eventRows<RecordRow>("RecordEvent", `"institution" = ? AND "recordId" = ?`, [candidate.institution, candidate.recordId]);
            const lastSetting = rows.filter((r) => r.residentRef === refKey).at(-1);
            const state = foldRecord(rows);
            if (!state || state.residentRef !== refKey || lastSetting?.blockNumber !== candidate.blockNumber || lastSetting.logIndex !== candidate.logIndex) continue;
            if (items.length === limit) return { items, nextCursor: encodeCursor(lastRow as { blockNumber: number; logIndex: number }) };
            items.push(state);
            lastRow = candidate;
          }
          const last = batch.at(-1) as RecordRow;
          after = afterCursorSql({ cursor: encodeCursor(last) });
        }
      },
      /** The anchoring and every change of a singly anchored record; undefined when unknown. */
      async history(institution: string, recordId: string): Promise<RecordHistory | undefined> {
        const rows = await eventRows<RecordRow>("RecordEvent", `"institution" = ? AND "recordId" = ?`, [
          addressIn(institution, "institution"),
          bytes32In(recordId, "recordId"),
        ]);
        const record = foldRecord(rows);
        if (!record) return undefined;
        return {
          record,
          anchored: record.anchored,
          changes: rows
            .filter((r) => r.kind === "changed")
            .map((r) => ({
              ...ref(r),
              reason: r.reason ?? 0,
              previousContentHash: r.previousContentHash as Hex,
              newContentHash: r.contentHash as Hex,
              newPointerHash: r.pointerHash as Hex,
              newResidentRef: (r.residentRef as Hex | null) ?? null,
              changedAt: isoOf(r.changedAt),
              version: r.version ?? 0,
            })),
        };
      },
    },

    batches: {
      async byId(batchId: bigint | number | string): Promise<DataBatch | undefined> {
        const [row] = await eventRows<BatchRow>("BatchAnchor", `"batchId" = ?`, [uintIn(batchId, "batchId")], " LIMIT 1");
        return row ? toBatch(row) : undefined;
      },
      async byRoot(institution: string, root: string): Promise<DataBatch | undefined> {
        const [row] = await eventRows<BatchRow>("BatchAnchor", `"institution" = ? AND "root" = ?`, [addressIn(institution, "institution"), bytes32In(root, "root")], " LIMIT 1");
        return row ? toBatch(row) : undefined;
      },
    },

    grants: {
      async byId(grantId: string): Promise<Grant | undefined> {
        return (await grantsByIds([bytes32In(grantId, "grantId")]))[0];
      },
      async ofResident(resident: string, page?: Page): Promise<PageOf<Grant>> {
        const { rows, limit } = await pageRows<GrantRow>("GrantEvent", `"resident" = ? AND "kind" = 'created'`, [addressIn(resident, "resident")], page);
        const grants = await grantsByIds(rows.slice(0, limit).map((r) => r.grantId));
        return pageOf(rows, limit, () => grants.shift() as Grant);
      },
      /**
       * The revocations among `grantIds` (in chunks of 500 ids per query): grant id (lower case) →
       * the revocation's event. Grants not revoked, or unknown, are absent.
       */
      async revocationsAmong(grantIds: readonly string[]): Promise<Map<Hex, EventRef>> {
        const ids = [...new Set(grantIds.map((id) => bytes32In(id, "grantId")))];
        const found = new Map<Hex, EventRef>();
        for (let i = 0; i < ids.length; i += 500) {
          const chunk = ids.slice(i, i + 500);
          const rows = await eventRows<GrantRow>("GrantEvent", `"kind" = 'revoked' AND "grantId" IN (${placeholders(chunk.length)})`, chunk);
          for (const row of rows) found.set(row.grantId.toLowerCase() as Hex, ref(row));
        }
        return found;
      },
      /** Grants to an account (address) or a project (bytes32). */
      async forGrantee(grantee: string, page?: Page): Promise<PageOf<Grant>> {
        const { rows, limit } = await pageRows<GrantRow>("GrantEvent", `"grantee" = ? AND "kind" = 'created'`, [granteeKey(grantee)], page);
        const grants = await grantsByIds(rows.slice(0, limit).map((r) => r.grantId));
        return pageOf(rows, limit, () => grants.shift() as Grant);
      },
    },

    delegations: {
      /** Every delegation the resident set, newest state first by delegate; `active` at query time. */
      async ofResident(resident: string): Promise<Delegation[]> {
        const rows = await prisma.delegationEvent.findMany({ where: { resident: addressIn(resident, "resident") }, orderBy: ORDER });
        const byId = new Map<string, Delegation>();
        const current = new Map<string, string>();
        const now = nowSeconds();
        for (const row of rows) {
          if (row.kind === "set") {
            byId.set(row.delegationId, {
              delegate: checksum(row.delegate),
              delegationId: row.delegationId as Hex,
              relation: row.relation ?? 0,
              notAfter: isoOf(row.notAfter),
              active: Number(row.notAfter) >= now,
              set: ref(row),
            });
            // A new delegation to the same delegate replaces the previous one.
            const previous = current.get(row.delegate);
            const replaced = previous === undefined ? undefined : byId.get(previous);
            if (replaced && previous !== row.delegationId) replaced.active = false;
            current.set(row.delegate, row.delegationId);
          } else {
            const d = byId.get(row.delegationId);
            if (d) Object.assign(d, { active: false, revocation: ref(row) });
          }
        }
        return [...byId.values()];
      },
    },

    requests: {
      async byId(requestId: string): Promise<AccessRequest | undefined> {
        const [filed] = await eventRows<RequestRow>("RequestEvent", `"requestId" = ? AND "kind" = 'filed'`, [bytes32In(requestId, "requestId")], " LIMIT 1");
        return filed ? (await requestsOf([filed]))[0] : undefined;
      },
      async ofResident(resident: string, page?: Page): Promise<PageOf<AccessRequest>> {
        const { rows, limit } = await pageRows<RequestRow>("RequestEvent", `"resident" = ? AND "kind" = 'filed'`, [addressIn(resident, "resident")], page);
        const requests = await requestsOf(rows.slice(0, limit));
        return pageOf(rows, limit, () => requests.shift() as AccessRequest);
      },
      /** Requests filed by an institution. */
      async byRequester(institution: string, page?: Page): Promise<PageOf<AccessRequest>> {
        const { rows, limit } = await pageRows<RequestRow>("RequestEvent", `"institution" = ? AND "kind" = 'filed'`, [addressIn(institution, "institution")], page);
        const requests = await requestsOf(rows.slice(0, limit));
        return pageOf(rows, limit, () => requests.shift() as AccessRequest);
      },
    },

    evidence: {
      /** AccessRecorded evidence of a record. */
      async ofRecord(recordId: string, page?: Page): Promise<PageOf<AccessEvidenceItem>> {
        const { rows, limit } = await pageRows<AccessEvidenceRow>("AccessEvidence", `"recordId" = ?`, [bytes32In(recordId, "recordId")], page);
        return pageOf(rows, limit, (r) => ({
          ...ref(r),
          evidenceId: r.evidenceId,
          accessor: r.accessor as Hex,
          residentRef: r.residentRef as Hex,
          recordId: r.recordId as Hex,
          fields: JSON.parse(r.fields) as Hex[],
          purpose: r.purpose,
          grantId: r.grantId as Hex,
          accessedAt: isoOf(r.accessedAt),
          outcome: r.outcome,
          recorder: checksum(r.recorder),
        }));
      },
      async accessBatch(batchId: bigint | number | string): Promise<AccessBatchItem | undefined> {
        const [r] = await eventRows<AccessBatchRow>("AccessBatch", `"batchId" = ?`, [uintIn(batchId, "batchId")], " LIMIT 1");
        if (!r) return undefined;
        return {
          ...ref(r),
          batchId: r.batchId,
          recorder: checksum(r.recorder),
          root: r.root as Hex,
          lineCount: r.lineCount,
          fromTime: isoOf(r.fromTime),
          toTime: isoOf(r.toTime),
        };
      },
    },

    certificates: {
      async byId(certId: string): Promise<Certificate | undefined> {
        const rows = await prisma.certificateEvent.findMany({ where: { certId: bytes32In(certId, "certId") }, orderBy: ORDER });
        const issued = rows.find((r) => r.kind === "issued");
        if (!issued) return undefined;
        const revoked = rows.find((r) => r.kind === "revoked");
        return {
          certId: issued.certId as Hex,
          issuer: checksum(issued.issuer),
          subject: issued.subject as Hex,
          documentType: issued.documentType ?? 0,
          documentHash: issued.documentHash as Hex,
          issuedAt: isoOf(issued.issuedAt),
          validFrom: isoOf(issued.validFrom),
          validUntil: isoOf(issued.validUntil),
          issuerSignature: issued.issuerSignature as Hex,
          issued: ref(issued),
          ...(revoked ? { revocation: { ...ref(revoked), reason: revoked.reason ?? 0, revokedAt: isoOf(revoked.revokedAt) } } : {}),
        };
      },
    },

    consortium: {
      async members(): Promise<Member[]> {
        return [...(await foldMembers()).values()];
      },
      async member(address: string): Promise<Member | undefined> {
        return (await foldMembers()).get(addressIn(address, "institution"));
      },
      async alliances(): Promise<Alliance[]> {
        const alliances = new Map<string, Alliance>();
        for (const row of await consortiumEvents()) {
          const a = argsOf(row);
          const alliance = alliances.get(String(a.allianceId));
          switch (row.eventName) {
            case "AllianceCreated":
              alliances.set(String(a.allianceId), {
                allianceId: a.allianceId as Hex,
                kind: Number(a.kind),
                name: String(a.name),
                lead: checksum(String(a.lead)),
                members: [checksum(String(a.lead))],
                created: ref(row),
              });
              break;
            case "AllianceJoined":
              if (alliance && !alliance.members.includes(checksum(String(a.institution)))) alliance.members.push(checksum(String(a.institution)));
              break;
            case "AllianceLeft":
              if (alliance) alliance.members = alliance.members.filter((m) => m !== checksum(String(a.institution)));
              break;
            case "AllianceLeadCleared":
              if (alliance) alliance.lead = null;
              break;
          }
        }
        return [...alliances.values()];
      },
      async proposals(page?: Page): Promise<PageOf<Proposal>> {
        const limit = limitOf(page);
        const created = await prisma.chainEvent.findMany({
          where: { contract: "ConsortiumRegistry", eventName: "ProposalCreated", ...afterCursor(page) },
          orderBy: ORDER,
          take: limit + 1,
        });
        const related = await prisma.chainEvent.findMany({
          where: { contract: "ConsortiumRegistry", eventName: { in: ["VoteCast", "ProposalExecuted", "ProposalRejected"] } },
          orderBy: ORDER,
        });
        const now = nowSeconds();
        return pageOf(created, limit, (row) => {
          const a = argsOf(row);
          const id = String(a.proposalId);
          const proposal: Proposal = {
            proposalId: id,
            proposer: checksum(String(a.proposer)),
            action: Number(a.action),
            params: a.params as Hex,
            deadline: isoOf(String(a.deadline)),
            required: Number(a.required),
            yes: 0,
            no: 0,
            votes: [],
            state: now > Number(a.deadline) ? "expired" : "pending",
            created: ref(row),
          };
          for (const r of related) {
            const b = argsOf(r);
            if (String(b.proposalId) !== id) continue;
            if (r.eventName === "VoteCast") {
              proposal.votes.push({ ...ref(r), voter: checksum(String(b.voter)), support: Boolean(b.support) });
              proposal.yes = Number(b.yes);
              proposal.no = Number(b.no);
            } else {
              proposal.state = r.eventName === "ProposalExecuted" ? "executed" : "rejected";
              proposal.closed = ref(r);
            }
          }
          return proposal;
        });
      },
      async nodes(): Promise<ConsortiumNode[]> {
        const nodes = new Map<string, ConsortiumNode>();
        for (const row of await consortiumEvents()) {
          const a = argsOf(row);
          if (row.eventName === "NodeAdded") {
            nodes.set(String(a.node), {
              node: checksum(String(a.node)),
              institution: checksum(String(a.institution)),
              validator: Boolean(a.validator),
              publicKey: a.publicKey as Hex,
              added: ref(row),
            });
          } else if (row.eventName === "NodeRemoved") nodes.delete(String(a.node));
        }
        return [...nodes.values()];
      },
      /** Contract versions registered through governance (ContractRegistered), in order. */
      async contracts(): Promise<RegisteredContract[]> {
        const rows = await prisma.chainEvent.findMany({ where: { contract: "ConsortiumRegistry", eventName: "ContractRegistered" }, orderBy: ORDER });
        return rows.map((row) => {
          const a = argsOf(row);
          return {
            name: a.name as Hex,
            nameText: textOfBytes32(String(a.name)),
            deployment: checksum(String(a.deployment)),
            version: Number(a.version),
            registered: ref(row),
          };
        });
      },
    },

    workflows: {
      async steps(workflowId: string): Promise<WorkflowStepItem[]> {
        const rows = await prisma.workflowStep.findMany({ where: { workflowId: bytes32In(workflowId, "workflowId") }, orderBy: ORDER });
        return rows.map((r) => ({
          ...ref(r),
          workflowId: r.workflowId as Hex,
          step: r.step,
          decision: r.decision,
          actor: r.actor as Hex,
          documentHash: r.documentHash as Hex,
          level: r.level,
          institution: checksum(r.institution),
          stepTime: isoOf(r.stepTime),
        }));
      },
    },

    chain: {
      async status(): Promise<ChainStatus> {
        const rows = await prisma.checkpoint.findMany();
        const contracts = CONTRACT_NAMES.map((name) => {
          const row = rows.find((r) => r.contract === name);
          return {
            contract: name,
            address: row ? checksum(row.address) : null,
            indexedBlock: row?.blockNumber ?? null,
            blockHash: row?.blockHash ?? null,
            updatedAt: row?.updatedAt.toISOString() ?? null,
          };
        });
        const indexed = contracts.map((c) => c.indexedBlock);
        const indexedHead = indexed.some((b) => b === null) ? null : Math.min(...(indexed as number[]));
        const headTime = rows.find((r) => r.blockNumber === indexedHead)?.blockTime ?? null;
        const status: ChainStatus = { contracts, indexedHead, indexedHeadTime: headTime?.toISOString() ?? null };
        if (options.chainHead) {
          const head = Number(await options.chainHead());
          status.chainHead = head;
          status.lagBlocks = Math.max(0, head - (indexedHead ?? 0));
          status.lagSeconds = headTime ? Math.max(0, nowSeconds() - Math.floor(headTime.getTime() / 1000)) : null;
        }
        return status;
      },
    },
  };
}

type BatchRow = Awaited<ReturnType<MirrorPrisma["batchAnchor"]["findMany"]>>[number];
function toBatch(row: BatchRow): DataBatch {
  return { ...ref(row), batchId: row.batchId, institution: checksum(row.institution), kind: row.kind, root: row.root as Hex, leafCount: row.leafCount };
}

export type MirrorQueries = ReturnType<typeof createMirrorQueries>;

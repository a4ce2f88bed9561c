// /v1/records (数据资源): an institution's system anchors its records' index entries (one, or a
// batch under one Merkle root) while the originals go encrypted into the institution's own store,
// and later anchors their changes (变更记录, see "changes" below); staff and auditors read an entry
// or a record's changes with their proofs; residents and staff list a resident's index across
// institutions.
//
// Residents and residentRefs. The chain knows a resident by a salted reference (`residentRef`) in
// the index and by a wallet address in consents, and never links the two. The link is made by the
// institution system, off chain: when the resident binds their wallet at the institution (on site,
// or in the institution's app after its identity checks), the institution's system sends that
// wallet address with every record it anchors (`resident` below). The gateway keeps it in its own
// database (Original.residentAddress): it is what a consent check needs (`checkAccess` asks by
// wallet), and what lists a resident's own records ("my records" = the residentRefs institutions
// linked to my wallet). It never goes on chain.
//
// Anchor modes (可配置化数据上链: clear-hash or encrypted-pointer, issue 6). A record's `anchorMode`
// says what the chain's contentHash commits to: "clear-hash" (the default) the SM3 fingerprint of the
// canonical plaintext record; "encrypted-pointer" the stored object's pointerHash, SM3 of its CID,
// which is content-addressed over the SM4-sealed bytes under a random data key — so the chain
// commits to the encrypted original and never holds a fingerprint that could be confirmed by
// guessing a low-entropy record. The fingerprint stays off chain either way: the store binds it
// (AAD of the sealed record, and inside the wrapped data key) and the Original row keeps it for the
// reads' check. The mode is the record's, fixed when first anchored; its changes anchor in it.
//
// No partial writes: everything is validated first; the originals are stored next (ciphertext, in
// the institution's store) and removed again when the anchor fails; the gateway's rows, the audit
// row and the idempotent answer are written in one transaction after the chain accepted the anchor.
// Changes go the same way, through the same functions.
import { createRoute, z } from "@hono/zod-openapi";
import {
  BATCH_KINDS,
  CHANGE_REASONS,
  HEALTH_CHAIN_ABIS,
  LIMITS,
  buildChangeBatch,
  buildEntryBatch,
  byCode,
  fingerprint,
  platformError,
  toPlatformError,
  verifyChangeInBatch,
  verifyEntryInBatch,
  type IndexEntry,
  type RecordChange,
} from "@health-chain/sdk";
import { pointerHashOf, type InstitutionStore, type StoredOriginal } from "@health-chain/store";
import { randomUUID } from "node:crypto";
import { getAddress, parseEventLogs, type Address, type Hex } from "viem";
import type { Context } from "hono";
import type { SentTransaction } from "../chain.ts";
import type { GatewayDeps, GatewayEnv } from "../context.ts";
import type { GatewayTx } from "../db.ts";
import { errorResponses } from "../errors.ts";
import { principalOf } from "../middleware/auth.ts";
import { assertInstitutionAccess, institutionOf, requirePermission } from "../middleware/rbac.ts";
import { Lru } from "../lru.ts";
import { indexEntriesOfResidentRef, indexEntryRowOf, originalRowOf, residentRefsOfWallet } from "../reads.ts";
import { BEARER, createRouter } from "../router.ts";
import { commitAnswer, writeMiddleware } from "./consent.ts";

// ---------------------------------------------------------------- input

const HEX32 = /^0x[0-9a-fA-F]{64}$/;
const bytes32 = z
  .string()
  .regex(HEX32, "a 32-byte 0x hex value")
  .openapi({ example: `0x${"ab".repeat(32)}` });
const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "a 20-byte 0x address")
  .openapi({ example: "0x90F79bf6EB2c4f870365E785982E1f101E93b906" });

/** Most records in one batch anchor request. */
export const MAX_BATCH_RECORDS = 1000;

/** What the chain's contentHash of a record commits to (see the top of this file). */
export const ANCHOR_MODES = ["clear-hash", "encrypted-pointer"] as const;
export type AnchorMode = (typeof ANCHOR_MODES)[number];
const anchorModeSchema = z.enum(ANCHOR_MODES);

export const RecordInputSchema = z
  .object({
    recordId: bytes32.openapi({ description: "The institution's record id (opaque, unique within the institution)." }),
    residentRef: bytes32.openapi({ description: "Salted reference of the resident (never an identifier)." }),
    resident: address.openapi({ description: "The resident's wallet, as linked by the institution system; kept off chain." }),
    category: bytes32.openapi({ description: 'Category id, e.g. keccak256("category:LAB_REPORT").' }),
    schemaVersion: z.number().int().min(1).max(0xffffffff),
    sourceTime: z.number().int().min(1).openapi({ description: "When the record came into being at the source (unix seconds)." }),
    fields: z
      .record(z.string().min(1).max(128), bytes32)
      .openapi({ description: "Field map: each top-level member of the record → its field id." }),
    record: z
      .record(z.string(), z.unknown())
      .openapi({ description: "The record in the standard model (JSON object); stored encrypted, never on chain." }),
    anchorMode: anchorModeSchema.optional().openapi({
      description:
        "What the on-chain contentHash commits to, fixed for the record's life: `clear-hash` (default) the SM3 fingerprint of the canonical record; `encrypted-pointer` the stored object's pointerHash (SM3 of the CID of the sealed original), so that no plaintext fingerprint goes on chain.",
    }),
  })
  .openapi("RecordInput");

export type RecordInput = z.infer<typeof RecordInputSchema>;

function invalidRecord(index: number | undefined, what: string, en: string, zh: string, details: Record<string, unknown> = {}): never {
  invalidItem("records", index, what, en, zh, details);
}

/** INVALID_INPUT naming the item of a request (`records[i].what`, `changes[i].what`) or the request's `what`. */
function invalidItem(list: "records" | "changes", index: number | undefined, what: string, en: string, zh: string, details: Record<string, unknown> = {}): never {
  const noun = list === "records" ? "记录" : "变更";
  throw platformError("INVALID_INPUT", {
    message: index === undefined ? `${what}: ${en}` : `${list}[${index}].${what}: ${en}`,
    messageZh: index === undefined ? `${what}：${zh}` : `第 ${index} 条${noun} ${what}：${zh}`,
    details: { what, ...(index === undefined ? {} : { index }), ...details },
  });
}

/** A record checked and ready to store and anchor. */
export interface PreparedRecord {
  readonly input: RecordInput;
  readonly recordId: Hex;
  readonly residentRef: Hex;
  readonly resident: Address;
  readonly category: Hex;
  /** The fingerprint of the canonical record: what the store binds; on chain in clear-hash mode only. */
  readonly contentHash: Hex;
  readonly anchorMode: AnchorMode;
  /** Field name → field id (lower case). */
  readonly fields: Readonly<Record<string, Hex>>;
}

const ZERO = /^0x0{64}$/;

/**
 * Checks a record as the contract and the consent checks will need it: non-zero ids, a source time
 * not ahead of the chain by more than the allowed skew, a field id for every member of the record
 * (a member without one could never be granted), distinct field ids, and a canonical form (the
 * fingerprint). `index` names the record in a batch.
 */
export function prepareRecord(input: RecordInput, now: Date, index?: number): PreparedRecord {
  for (const what of ["recordId", "residentRef", "category"] as const) {
    if (ZERO.test(input[what])) invalidRecord(index, what, "must not be zero", "不能为全零");
  }
  const latest = Math.floor(now.getTime() / 1000) + LIMITS.maxClockSkew;
  if (input.sourceTime > latest) invalidRecord(index, "sourceTime", "is in the future", "晚于当前时间", { sourceTime: input.sourceTime, latest });
  if (/^0x0{40}$/.test(input.resident)) invalidRecord(index, "resident", "must not be zero", "不能为零地址");
  const fields = fieldMapOf(input.record, input.fields, (what, en, zh, details) => invalidRecord(index, what, en, zh, details));
  return {
    input,
    recordId: input.recordId.toLowerCase() as Hex,
    residentRef: input.residentRef.toLowerCase() as Hex,
    resident: getAddress(input.resident),
    category: input.category.toLowerCase() as Hex,
    contentHash: fingerprint(input.record),
    anchorMode: input.anchorMode ?? "clear-hash",
    fields,
  };
}

/**
 * The field map of a record (member → field id, lower case): a non-zero, distinct field id for
 * every member (a member without one could never be granted). `invalid` throws the refusal.
 */
function fieldMapOf(
  record: Readonly<Record<string, unknown>>,
  given: Readonly<Record<string, string>>,
  invalid: (what: string, en: string, zh: string, details?: Record<string, unknown>) => never,
): Record<string, Hex> {
  const fields: Record<string, Hex> = {};
  const seen = new Set<string>();
  for (const [name, id] of Object.entries(given)) {
    const lower = id.toLowerCase() as Hex;
    if (ZERO.test(lower)) invalid(`fields.${name}`, "field id must not be zero", "字段标识不能为全零");
    if (seen.has(lower)) invalid(`fields.${name}`, "field id used for two members", "字段标识重复");
    seen.add(lower);
    fields[name] = lower;
  }
  const unmapped = Object.keys(record).filter((member) => !Object.hasOwn(fields, member));
  if (unmapped.length > 0) invalid("fields", "every member of the record needs a field id", "记录的每个成员都需要字段标识", { unmapped });
  return fields;
}

/** The contentHash anchored for a version: its fingerprint (clear-hash) or its pointer hash (encrypted-pointer). */
export function anchoredContentHash(mode: AnchorMode, fingerprint: Hex, pointerHash: Hex): Hex {
  return mode === "encrypted-pointer" ? pointerHash : fingerprint;
}

/** The anchor mode of a gateway row (Original, IndexEntry, RecordVersion). */
export function anchorModeOf(row: { readonly anchorMode: string }): AnchorMode {
  const mode = ANCHOR_MODES.find((m) => m === row.anchorMode);
  if (mode === undefined) throw platformError("INTERNAL", { details: { reason: "unknown-anchor-mode-in-row", anchorMode: row.anchorMode } });
  return mode;
}

/**
 * The anchor mode read off an entry the gateway has no row of (anchored elsewhere, or from the
 * mirror): in encrypted-pointer mode its contentHash is its pointerHash, which a plaintext
 * fingerprint never is (that would be an SM3 collision).
 */
export function anchorModeOfEntry(entry: { readonly contentHash: string; readonly pointerHash: string }): AnchorMode {
  return entry.contentHash.toLowerCase() === entry.pointerHash.toLowerCase() ? "encrypted-pointer" : "clear-hash";
}

/** The contentHash the chain holds for a record's current version (its Original row). */
export function anchoredContentHashOf(original: { readonly anchorMode: string; readonly contentHash: string; readonly cid: string }): Hex {
  return anchoredContentHash(anchorModeOf(original), original.contentHash as Hex, pointerHashOf(original.cid));
}

/** The DataIndex entry of a prepared record stored under `pointerHash`. */
export function indexEntryOf(record: PreparedRecord, institution: Address, pointerHash: Hex): IndexEntry {
  return {
    recordId: record.recordId,
    residentRef: record.residentRef,
    institution,
    category: record.category,
    contentHash: anchoredContentHash(record.anchorMode, record.contentHash, pointerHash),
    schemaVersion: record.input.schemaVersion,
    pointerHash,
    sourceTime: BigInt(record.input.sourceTime),
  };
}

/** The record ids that appear more than once in a batch request. */
export function duplicateRecordIds(records: readonly { recordId: string }[]): string[] {
  const seen = new Set<string>();
  const dups = new Set<string>();
  for (const r of records) {
    const id = r.recordId.toLowerCase();
    if (seen.has(id)) dups.add(id);
    seen.add(id);
  }
  return [...dups];
}

// ---------------------------------------------------------------- storing originals

/** A placeholder for hashes not known before the originals are stored (the checks never depend on their value). */
const PLACEHOLDER = `0x${"11".repeat(32)}` as Hex;

/**
 * Asks the chain whether it would accept the anchor or change (role, institution, times,
 * duplicates, the current fingerprint) before anything is stored, so that a refused one never
 * stores an original at all.
 */
async function preflight(
  deps: GatewayDeps,
  institution: Address,
  call: { entry: IndexEntry } | { change: RecordChange } | { kind: number; leafCount: number },
) {
  const common = {
    abi: HEALTH_CHAIN_ABIS.DataIndex,
    address: deps.chain.deployments.contracts.DataIndex.address,
    account: deps.chain.accountOf(institution),
  } as const;
  try {
    if ("entry" in call) await deps.chain.publicClient.simulateContract({ ...common, functionName: "anchorRecord", args: [call.entry] });
    else if ("change" in call) await deps.chain.publicClient.simulateContract({ ...common, functionName: "recordChange", args: [call.change] });
    else await deps.chain.publicClient.simulateContract({ ...common, functionName: "anchorBatch", args: [call.kind, PLACEHOLDER, call.leafCount] });
  } catch (error) {
    throw toPlatformError(error);
  }
}

function storeOf(deps: GatewayDeps, institution: Address): InstitutionStore {
  const store = deps.stores.get(institution);
  if (store === undefined) {
    throw platformError("STORE_UNAVAILABLE", {
      message: `The gateway has no store of originals for institution ${institution}.`,
      messageZh: `网关没有机构 ${institution} 的原始数据存储。`,
      details: { institution },
    });
  }
  return store;
}

/** Removes objects of an anchor that failed (a store without removal keeps unreferenced ciphertext). */
async function removeOriginals(deps: GatewayDeps, store: InstitutionStore, cids: readonly string[]): Promise<void> {
  for (const cid of cids) {
    await store.deleteOriginal(cid).catch((err: unknown) => deps.log.warn({ err, cid }, "removing the original of a failed anchor failed"));
  }
}

/** A record to store, with the fingerprint it was checked under. */
interface ToStore {
  readonly record: Readonly<Record<string, unknown>>;
  readonly contentHash: Hex;
}

/** Stores the originals (a few at a time); on any failure removes those already stored. */
async function storeOriginals(deps: GatewayDeps, store: InstitutionStore, records: readonly ToStore[]): Promise<StoredOriginal[]> {
  const stored: StoredOriginal[] = new Array<StoredOriginal>(records.length);
  const done: string[] = [];
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: Math.min(8, records.length) }, async () => {
        while (next < records.length) {
          const i = next++;
          const original = await store.putOriginal(records[i]!.record);
          done.push(original.cid);
          if (original.contentHash !== records[i]!.contentHash) {
            throw platformError("INTERNAL", { details: { reason: "store fingerprint differs", index: i } });
          }
          stored[i] = original;
        }
      }),
    );
  } catch (error) {
    await removeOriginals(deps, store, done);
    throw error;
  }
  return stored;
}

const toStore = (r: PreparedRecord): ToStore => ({ record: r.input.record, contentHash: r.contentHash });

function originalRow(record: PreparedRecord, institution: Address, stored: StoredOriginal, anchoring: "single" | "batch", tx: { txHash: Hex; blockNumber: number }) {
  return {
    institution,
    recordId: record.recordId,
    cid: stored.cid,
    keyId: stored.keyId,
    wrappedDataKey: stored.wrappedDataKey,
    fieldsSchemaJson: JSON.stringify(record.fields),
    contentHash: record.contentHash,
    anchorMode: record.anchorMode,
    residentRef: record.residentRef,
    residentAddress: record.resident,
    category: record.category,
    anchoring,
    txHash: tx.txHash,
    blockNumber: tx.blockNumber,
  };
}

// ---------------------------------------------------------------- output

const ProofEntrySchema = z
  .object({
    institution: address,
    recordId: bytes32,
    residentRef: bytes32,
    category: bytes32,
    contentHash: bytes32,
    schemaVersion: z.number().int(),
    pointerHash: bytes32,
    sourceTime: z.number().int().openapi({ description: "Unix seconds" }),
  })
  .openapi("IndexEntry");

/** The anchor mode in answers: always given. */
const anchorModeOut = anchorModeSchema.openapi({
  description: "What the entry's contentHash commits to: `clear-hash` the record's SM3 fingerprint, `encrypted-pointer` its pointerHash (the sealed original).",
});

const IndexItemSchema = ProofEntrySchema.extend({
  anchoring: z.enum(["single", "batch"]),
  anchorMode: anchorModeOut,
  txHash: bytes32.nullable(),
  blockNumber: z.number().int().nullable(),
  batchId: z.string().optional(),
  root: bytes32.optional(),
  leafIndex: z.number().int().optional(),
  proof: z.array(bytes32).optional(),
  voided: z.boolean().optional(),
  version: z.number().int().optional(),
  current: z
    .object({ contentHash: bytes32, pointerHash: bytes32, residentRef: bytes32 })
    .optional()
    .openapi({
      description:
        "Batch: the current version after changes through the gateway, its contentHash in the record's anchor mode (the entry and its proof stay those anchored).",
    }),
}).openapi("IndexItem");

const EntryWithProofSchema = z
  .object({
    entry: ProofEntrySchema,
    anchoring: z.enum(["single", "batch"]),
    anchorMode: anchorModeOut,
    txHash: bytes32.nullable(),
    blockNumber: z.number().int().nullable(),
    batch: z
      .object({ batchId: z.string(), root: bytes32, leafCount: z.number().int(), leafIndex: z.number().int(), proof: z.array(bytes32) })
      .optional(),
    onChain: z.record(z.string(), z.unknown()).optional().openapi({ description: "Single anchoring: the record as DataIndex stores it." }),
    verified: z.boolean().openapi({ description: "batch: DataIndex.verifyEntry holds; single: DataIndex.isAnchored(entry)." }),
  })
  .openapi("IndexEntryWithProof");

const AnchoredOneSchema = z
  .object({
    institution: address,
    recordId: bytes32,
    contentHash: bytes32.openapi({ description: "As anchored: the fingerprint (clear-hash) or the pointerHash (encrypted-pointer)." }),
    pointerHash: bytes32,
    anchorMode: anchorModeOut,
    anchoring: z.literal("single"),
    txHash: bytes32,
    blockNumber: z.number().int(),
  })
  .openapi("RecordAnchored");

const AnchoredBatchSchema = z
  .object({
    institution: address,
    batchId: z.string(),
    root: bytes32,
    leafCount: z.number().int(),
    txHash: bytes32,
    blockNumber: z.number().int(),
    records: z.array(
      z.object({
        recordId: bytes32,
        contentHash: bytes32.openapi({ description: "As anchored: the fingerprint (clear-hash) or the pointerHash (encrypted-pointer)." }),
        pointerHash: bytes32,
        anchorMode: anchorModeOut,
        leafIndex: z.number().int(),
        proof: z.array(bytes32),
      }),
    ),
  })
  .openapi("RecordBatchAnchored");

type IndexEntryRow = Awaited<ReturnType<GatewayDeps["db"]["indexEntry"]["findMany"]>>[number];

/** The DataIndex entry of a gateway IndexEntry row. */
export function entryOfRow(row: Omit<IndexEntryRow, "createdAt">): IndexEntry {
  return {
    recordId: row.recordId as Hex,
    residentRef: row.residentRef as Hex,
    institution: getAddress(row.institution),
    category: row.category as Hex,
    contentHash: row.contentHash as Hex,
    schemaVersion: row.schemaVersion,
    pointerHash: row.pointerHash as Hex,
    sourceTime: BigInt(row.sourceTime),
  };
}

/** An entry in JSON (sourceTime as a number). */
export const entryJson = (e: IndexEntry) => ({ ...e, institution: getAddress(e.institution), sourceTime: Number(e.sourceTime) });

function conflict(reason: string, recordIds: readonly string[], en: string, zh: string): never {
  throw platformError("CONFLICT", {
    message: `${en}: ${recordIds.join(", ")}.`,
    messageZh: `${zh}：${recordIds.join("、")}。`,
    details: { reason, recordIds: [...recordIds] },
  });
}

/**
 * Record ids a few hundred at a time: a batch's 1,000 ids in one `IN (…)` exceed SQLite's limit of
 * 999 bound parameters in the builds Prisma's SQLite adapter meets.
 */
const ID_CHUNK = 500;

async function inChunks<T>(ids: readonly string[], find: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
  const found: T[] = [];
  for (let i = 0; i < ids.length; i += ID_CHUNK) found.push(...(await find(ids.slice(i, i + ID_CHUNK))));
  return found;
}

async function conflictIfKnown(db: Pick<GatewayDeps["db"], "original">, institution: Address, recordIds: readonly Hex[]): Promise<void> {
  const known = await inChunks(recordIds, (chunk) => db.original.findMany({ where: { institution, recordId: { in: chunk } }, select: { recordId: true } }));
  if (known.length > 0) conflict("record-already-anchored", known.map((k) => k.recordId), "Already anchored", "记录已存证");
}

// ---------------------------------------------------------------- reserving record ids

/**
 * How long a reservation holds record ids: longer than storing the originals plus one send (its
 * turn for the nonce and the receipt timeout). The holder renews it just before it sends; past it,
 * the holder is taken for dead.
 */
export const RESERVATION_MS = 10 * 60_000;

function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}

type Reservation = Awaited<ReturnType<GatewayDeps["db"]["recordReservation"]["findMany"]>>[number];

/** Whether the anchor or change of a dead holder's reservation reached the chain (then it must not be taken over). */
async function anchoredOnChain(deps: GatewayDeps, institution: Address, r: Reservation): Promise<boolean> {
  const dataIndex = deps.chain.contracts.dataIndex.read;
  if (r.anchoring === "single") {
    const onChain = await dataIndex.getRecord([institution, r.recordId as Hex]);
    if (r.purpose !== "change") return BigInt(onChain.institution) !== 0n;
    // A change of a singly anchored record reached the chain when the record's version moved past
    // the one it was made against; without that version nothing can be told: keep it reserved.
    return r.chainVersion === null || onChain.version > r.chainVersion;
  }
  if (r.root === null) return false; // the root is written before the send: none, never sent
  return (await dataIndex.batchIdOf([institution, r.root as Hex])) !== 0n;
}

/** What a reservation is for: anchoring new records (none may be known) or changing known ones. */
type ReservationPurpose =
  | { readonly purpose: "anchor" }
  | {
      readonly purpose: "change";
      /** Inside the reserving transaction: refuses when a record moved on since the request read it. */
      readonly check: (tx: GatewayTx) => Promise<void>;
      /** A change of a singly anchored record: DataIndex's version of it now. */
      readonly chainVersion?: number;
    };

/**
 * Reserves the record ids for one anchor request, before anything is stored or sent: a row per id
 * under the primary key (institution, recordId), all in one short transaction. A record already
 * anchored through the gateway, or reserved by a live request, is a CONFLICT naming the ids. An
 * expired reservation is taken over when the chain shows its anchor never happened (its stored
 * original is removed); when it did happen, the record stays reserved (CONFLICT,
 * "anchored-unrecorded") for an operator to recover. Returns the holder id.
 */
async function reserveRecordIds(
  deps: GatewayDeps,
  store: InstitutionStore,
  institution: Address,
  recordIds: readonly Hex[],
  anchoring: "single" | "batch",
  purpose: ReservationPurpose = { purpose: "anchor" },
): Promise<string> {
  const now = deps.clock.now();
  const ids = [...recordIds];
  const held = await inChunks(ids, (chunk) => deps.db.recordReservation.findMany({ where: { institution, recordId: { in: chunk } } }));
  const live = held.filter((r) => r.expiresAt.getTime() > now.getTime());
  if (live.length > 0) conflict("record-being-anchored", live.map((r) => r.recordId), "Being anchored by another request", "记录正由另一请求存证");
  for (const stale of held) {
    if (await anchoredOnChain(deps, institution, stale)) {
      conflict("anchored-unrecorded", [stale.recordId], "Anchored on chain by a request that did not finish; needs recovery", "记录已上链但网关未完成登记，需人工恢复");
    }
  }
  for (const stale of held) {
    const gone = await deps.db.recordReservation.deleteMany({ where: { institution, recordId: stale.recordId, holder: stale.holder, expiresAt: stale.expiresAt } });
    if (gone.count > 0 && stale.cid !== null) await removeOriginals(deps, store, [stale.cid]);
    if (gone.count > 0) deps.log.warn({ institution, recordId: stale.recordId, holder: stale.holder }, "took over an expired record reservation");
  }
  const holder = randomUUID();
  try {
    await deps.db.$transaction(async (tx) => {
      if (purpose.purpose === "anchor") await conflictIfKnown(tx, institution, recordIds);
      else await purpose.check(tx);
      const expiresAt = new Date(now.getTime() + RESERVATION_MS);
      const chainVersion = purpose.purpose === "change" ? (purpose.chainVersion ?? null) : null;
      await tx.recordReservation.createMany({
        data: ids.map((recordId) => ({ institution, recordId, holder, anchoring, purpose: purpose.purpose, chainVersion, expiresAt })),
      });
    });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    // another request reserved (some of) them between the read above and this insert
    const taken = await inChunks(ids, (chunk) => deps.db.recordReservation.findMany({ where: { institution, recordId: { in: chunk } }, select: { recordId: true } }));
    conflict("record-being-anchored", taken.length > 0 ? taken.map((r) => r.recordId) : ids, "Being anchored by another request", "记录正由另一请求存证");
  }
  return holder;
}

/**
 * Before the send: writes each reserved record's stored cid, if any (an identity merge or a void
 * stores none), and the batch root, and renews the lease; refuses (CONFLICT) when the reservation
 * was lost, i.e. taken over as expired.
 */
async function confirmReservation(deps: GatewayDeps, holder: string, recordIds: readonly string[], cids: ReadonlyMap<string, string>, root?: Hex): Promise<void> {
  const expiresAt = new Date(deps.clock.now().getTime() + RESERVATION_MS);
  await deps.db.$transaction(async (tx) => {
    const renewed = await tx.recordReservation.updateMany({
      where: { holder, expiresAt: { gt: deps.clock.now() } },
      data: { expiresAt, ...(root === undefined ? {} : { root }) },
    });
    if (renewed.count !== recordIds.length) {
      conflict("reservation-lost", recordIds, "The reservation expired before the anchor was sent", "预留已过期，未发送存证");
    }
    for (const [recordId, cid] of cids) await tx.recordReservation.updateMany({ where: { holder, recordId }, data: { cid } });
  });
}

/** Lets the record ids go after a failure before the send. */
async function releaseReservation(deps: GatewayDeps, holder: string): Promise<void> {
  await deps.db.recordReservation
    .deleteMany({ where: { holder } })
    .catch((err: unknown) => deps.log.warn({ err, holder }, "releasing a record reservation failed (it expires)"));
}

/**
 * Runs an anchor under a reservation: `before` stores and returns the cids (removed on failure),
 * `send` anchors. Any failure before the chain accepted the anchor removes the stored originals and
 * the reservation; a failure after it (the final transaction) keeps both — the anchor is on chain,
 * and the reservation keeps the ids from being anchored again until an operator recovers them.
 */
async function underReservation<T>(
  deps: GatewayDeps,
  store: InstitutionStore,
  holder: string,
  run: (stage: { stored(cids: readonly string[]): void; sent(): void }) => Promise<T>,
): Promise<T> {
  let cids: readonly string[] = [];
  let sent = false;
  try {
    return await run({
      stored(c) {
        cids = c;
      },
      sent() {
        sent = true;
      },
    });
  } catch (error) {
    if (sent) {
      deps.log.error({ err: error, holder }, "an anchor reached the chain but its rows did not commit; its record ids stay reserved");
    } else {
      await removeOriginals(deps, store, cids);
      await releaseReservation(deps, holder);
    }
    throw error;
  }
}

// ---------------------------------------------------------------- changes (变更记录)
//
// An institution system changes its own anchored records: the T+1 run's corrections, amendments,
// late results, identity merges and voids. A change is DataIndex's RecordChange: the fingerprint it
// replaces (so a lost update shows), the new fingerprint and pointer, the surviving residentRef of
// an identity merge, the reason and when it happened at the source. Batch-anchored records change
// in changes batches (`anchorBatch(1, root, n)` over `changeItem` leaves, each change keeping its
// proof); a singly anchored record changes with `recordChange`, one at a time, so that the chain's
// own state of it (`getRecord`, `isAnchored`) follows. Identity merges and voids keep the content,
// as `recordChange` demands for them: a merge changes whose record it is, a void keeps the last
// content as the evidence of what was voided. The new version's original is stored encrypted like
// any other; the replaced versions' objects are never deleted and their storage stays on the
// RecordVersion rows. Same machinery as anchoring: checks first, then a reservation of the record
// ids, the originals stored, the send, and the rows committed only after the chain accepted.

/** Most changes in one changes-batch request. */
export const MAX_BATCH_CHANGES = 1000;

/** The reasons of a change by their API names, as `DataIndex.ChangeReason` codes (sdk CHANGE_REASONS). */
export const CHANGE_REASON_CODES = {
  correction: CHANGE_REASONS.correction.code,
  amendment: CHANGE_REASONS.amendment.code,
  "late-result": CHANGE_REASONS.lateResult.code,
  "identity-merge": CHANGE_REASONS.identityMerge.code,
  void: CHANGE_REASONS.void.code,
  other: CHANGE_REASONS.other.code,
} as const;

export type ChangeReasonName = keyof typeof CHANGE_REASON_CODES;
const CHANGE_REASON_NAMES = Object.keys(CHANGE_REASON_CODES) as [ChangeReasonName, ...ChangeReasonName[]];

/** The API name of a `DataIndex.ChangeReason` code; undefined when unknown. */
export function changeReasonName(code: number): ChangeReasonName | undefined {
  return CHANGE_REASON_NAMES.find((name) => CHANGE_REASON_CODES[name] === code);
}

/** Reasons that keep the content and pointer (DataIndex.recordChange refuses any other for them). */
const KEEPS_CONTENT: ReadonlySet<ChangeReasonName> = new Set(["identity-merge", "void"]);

const ZERO_BYTES32 = `0x${"00".repeat(32)}` as Hex;

const changeShape = {
  reason: z.enum(CHANGE_REASON_NAMES).openapi({
    description: "correction 更正, amendment 补充, late-result 迟发结果, identity-merge 主索引合并, void 作废, other 其他.",
  }),
  changedAt: z.number().int().min(1).openapi({ description: "When the change happened at the source (unix seconds)." }),
  record: z.record(z.string(), z.unknown()).optional().openapi({
    description: "The new content (JSON object in the standard model), stored encrypted: required for correction, amendment, late-result and other; absent for identity-merge and void, which keep the content.",
  }),
  fields: z
    .record(z.string().min(1).max(128), bytes32)
    .optional()
    .openapi({ description: "With `record`: its field map (each top-level member → its field id)." }),
  newResidentRef: bytes32.optional().openapi({ description: "identity-merge only, and required then: the surviving resident reference." }),
  resident: address.optional().openapi({
    description: "identity-merge only, optional: the wallet the institution linked to the surviving resident (kept off chain); unchanged when absent.",
  }),
  anchorMode: anchorModeSchema.optional().openapi({
    description:
      "The record's anchor mode, fixed when it was first anchored (absent: the record's). Another mode is refused (409, `anchor-mode-mismatch`). encrypted-pointer: previousContentHash and newContentHash are the versions' pointer hashes.",
  }),
};

export const RecordChangeInputSchema = z
  .object({ recordId: bytes32.openapi({ description: "The record's id, as anchored by the caller's institution." }), ...changeShape })
  .openapi("RecordChangeInput");

export type RecordChangeInput = z.infer<typeof RecordChangeInputSchema>;

const OneChangeInputSchema = z.object(changeShape).openapi("RecordChangeOfOneInput");

type Invalid = (what: string, en: string, zh: string, details?: Record<string, unknown>) => never;

/** A change checked in form, before its record's current version is known. */
export interface PreparedChange {
  readonly recordId: Hex;
  readonly reason: ChangeReasonName;
  readonly changedAt: number;
  /** The new content: the content-changing reasons only. */
  readonly content?: { readonly record: Record<string, unknown>; readonly contentHash: Hex; readonly fields: Readonly<Record<string, Hex>> };
  /** identity-merge: the surviving resident reference; zero otherwise (as DataIndex takes it). */
  readonly newResidentRef: Hex;
  /** identity-merge: the wallet linked to the surviving resident, when given. */
  readonly resident?: Address;
  /** The anchor mode the caller named; absent: the record's. */
  readonly anchorMode?: AnchorMode;
}

/**
 * Checks a change in form: a non-zero record id, a change time not ahead of the chain by more than
 * the allowed skew, a new content with a complete field map for the reasons that change content and
 * none for identity-merge and void, a non-zero newResidentRef for an identity merge and none for any
 * other reason. `index` names the change in a batch.
 */
export function prepareChange(input: RecordChangeInput, now: Date, index?: number): PreparedChange {
  const invalid: Invalid = (what, en, zh, details) => invalidItem("changes", index, what, en, zh, details);
  const { reason } = input;
  const label = byCode(CHANGE_REASONS, CHANGE_REASON_CODES[reason])!.zh;
  if (ZERO.test(input.recordId)) invalid("recordId", "must not be zero", "不能为全零");
  const latest = Math.floor(now.getTime() / 1000) + LIMITS.maxClockSkew;
  if (input.changedAt > latest) invalid("changedAt", "is in the future", "晚于当前时间", { changedAt: input.changedAt, latest });
  const merge = reason === "identity-merge";
  if (!merge && input.newResidentRef !== undefined) {
    invalid("newResidentRef", `only an identity-merge names a new resident reference, not a ${reason}`, `仅主索引合并可指定新的居民标识（本条为${label}）`, { reason });
  }
  if (!merge && input.resident !== undefined) {
    invalid("resident", `only an identity-merge links the record to another wallet, not a ${reason}`, `仅主索引合并可关联新的居民钱包（本条为${label}）`, { reason });
  }
  const recordId = input.recordId.toLowerCase() as Hex;
  const mode = input.anchorMode === undefined ? {} : { anchorMode: input.anchorMode };
  if (KEEPS_CONTENT.has(reason)) {
    if (input.record !== undefined || input.fields !== undefined) {
      invalid(input.record !== undefined ? "record" : "fields", `a ${reason} keeps the content: send no record or fields`, `${label}保留原内容，不应提供 record 或 fields`, { reason });
    }
    if (!merge) return { recordId, reason, changedAt: input.changedAt, newResidentRef: ZERO_BYTES32, ...mode };
    if (input.newResidentRef === undefined) invalid("newResidentRef", "an identity-merge needs the surviving resident reference", "主索引合并须提供存续的居民标识");
    if (ZERO.test(input.newResidentRef)) invalid("newResidentRef", "must not be zero", "不能为全零");
    if (input.resident !== undefined && /^0x0{40}$/.test(input.resident)) invalid("resident", "must not be zero", "不能为零地址");
    return {
      recordId,
      reason,
      changedAt: input.changedAt,
      newResidentRef: input.newResidentRef.toLowerCase() as Hex,
      ...(input.resident === undefined ? {} : { resident: getAddress(input.resident) }),
      ...mode,
    };
  }
  if (input.record === undefined) invalid("record", `a ${reason} needs the new content`, `${label}须提供变更后的记录内容`, { reason });
  if (input.fields === undefined) invalid("fields", "the new content needs its field map", "变更后的内容须提供字段映射", { reason });
  const fields = fieldMapOf(input.record, input.fields, invalid);
  return {
    recordId,
    reason,
    changedAt: input.changedAt,
    content: { record: input.record, contentHash: fingerprint(input.record), fields },
    newResidentRef: ZERO_BYTES32,
    ...mode,
  };
}

type OriginalRow = Awaited<ReturnType<GatewayDeps["db"]["original"]["findMany"]>>[number];

/** A change with the current version of its record: what it replaces. */
export interface PlannedChange {
  readonly change: PreparedChange;
  readonly current: OriginalRow;
}

function refuse(code: "NOT_FOUND" | "CONFLICT", reason: string, recordIds: readonly string[], en: string, zh: string, details: Record<string, unknown> = {}): never {
  throw platformError(code, {
    message: `${en}: ${recordIds.join(", ")}.`,
    messageZh: `${zh}：${recordIds.join("、")}。`,
    details: { reason, recordIds: [...recordIds], ...details },
  });
}

/**
 * The changes with their records' current versions, checked against them; each refusal names every
 * offending record id: NOT_FOUND `unknown-record` (no record of `institution` known to the gateway
 * under that id — another institution's record is unknown here), CONFLICT `record-voided`,
 * `anchor-mode-mismatch` (a change names a mode other than the record's), `singly-anchored`
 * (`batchOnly`: such records change through their own route, `recordChange`),
 * `content-unchanged` (the new content is the current one) and `resident-ref-unchanged` (a merge
 * into the reference the record already has).
 */
async function planChanges(db: Pick<GatewayDeps["db"], "original">, institution: Address, changes: readonly PreparedChange[], batchOnly: boolean): Promise<PlannedChange[]> {
  const ids = changes.map((c) => c.recordId);
  const rows = await inChunks(ids, (chunk) => db.original.findMany({ where: { institution, recordId: { in: chunk } } }));
  const byId = new Map(rows.map((r) => [r.recordId, r]));
  const unknown = ids.filter((id) => !byId.has(id));
  if (unknown.length > 0) {
    refuse("NOT_FOUND", "unknown-record", unknown, "No record of your institution with this id was anchored through the gateway", "本机构没有经网关存证的该记录");
  }
  const planned = changes.map((change) => ({ change, current: byId.get(change.recordId)! }));
  const named = (keep: (p: PlannedChange) => boolean) => planned.filter(keep).map((p) => p.change.recordId);
  const voided = named((p) => p.current.voidedAt !== null);
  if (voided.length > 0) refuse("CONFLICT", "record-voided", voided, "The record was voided and takes no further change", "记录已作废，不能再变更");
  const otherMode = planned.filter((p) => p.change.anchorMode !== undefined && p.change.anchorMode !== anchorModeOf(p.current));
  if (otherMode.length > 0) {
    refuse(
      "CONFLICT",
      "anchor-mode-mismatch",
      otherMode.map((p) => p.change.recordId),
      "The record was first anchored in another anchor mode, which its changes keep: send the change in the record's mode, or without anchorMode",
      "记录首次存证时采用了另一种上链模式，其变更须沿用该模式：请按记录的上链模式提交，或不指定 anchorMode",
      { modes: otherMode.map((p) => ({ recordId: p.change.recordId, anchorMode: anchorModeOf(p.current), given: p.change.anchorMode })) },
    );
  }
  const singles = batchOnly ? named((p) => p.current.anchoring === "single") : [];
  if (singles.length > 0) {
    refuse(
      "CONFLICT",
      "singly-anchored",
      singles,
      "Singly anchored records change one at a time (DataIndex.recordChange), through POST /v1/records/{institution}/{recordId}/change",
      "单条存证的记录须逐条变更（DataIndex.recordChange），请使用 POST /v1/records/{institution}/{recordId}/change",
    );
  }
  const unchanged = named((p) => p.change.content !== undefined && p.change.content.contentHash === p.current.contentHash);
  if (unchanged.length > 0) refuse("CONFLICT", "content-unchanged", unchanged, "The new content equals the record's current version", "变更后的内容与记录当前版本相同");
  const sameRef = named((p) => p.change.reason === "identity-merge" && p.change.newResidentRef === p.current.residentRef);
  if (sameRef.length > 0) {
    refuse("CONFLICT", "resident-ref-unchanged", sameRef, "The surviving resident reference is the one the record already has", "存续的居民标识与记录当前的居民标识相同");
  }
  return planned;
}

/** Inside the reserving transaction: refuses when a record moved on since the request planned against it. */
function unchangedSince(institution: Address, planned: readonly PlannedChange[]) {
  return async (tx: GatewayTx): Promise<void> => {
    const ids = planned.map((p) => p.change.recordId);
    const rows = await inChunks(ids, (chunk) =>
      tx.original.findMany({ where: { institution, recordId: { in: chunk } }, select: { recordId: true, version: true, voidedAt: true } }),
    );
    const now = new Map(rows.map((r) => [r.recordId, r]));
    const moved = planned
      .filter((p) => {
        const row = now.get(p.change.recordId);
        return row === undefined || row.version !== p.current.version || row.voidedAt !== null;
      })
      .map((p) => p.change.recordId);
    if (moved.length > 0) conflict("record-changed", moved, "Changed by another request meanwhile; send the change again", "记录已被另一请求变更，请重新提交");
  };
}

/**
 * The DataIndex change of a planned change whose new version is stored under `newPointerHash` (the
 * current one for an identity merge or a void), in the record's anchor mode: the versions'
 * fingerprints (clear-hash) or pointer hashes (encrypted-pointer).
 */
export function recordChangeOf(p: PlannedChange, institution: Address, newPointerHash: Hex): RecordChange {
  const newFingerprint = p.change.content?.contentHash ?? (p.current.contentHash as Hex);
  return {
    recordId: p.change.recordId,
    institution,
    previousContentHash: anchoredContentHashOf(p.current),
    newContentHash: anchoredContentHash(anchorModeOf(p.current), newFingerprint, newPointerHash),
    newPointerHash,
    newResidentRef: p.change.newResidentRef,
    reason: CHANGE_REASON_CODES[p.change.reason],
    changedAt: BigInt(p.change.changedAt),
  };
}

/** The Original row's new state: the new version's object and field map, the surviving resident, or the end. */
function movedOriginal(p: PlannedChange, stored: StoredOriginal | undefined, at: Date) {
  const version = p.current.version + 1;
  const { content } = p.change;
  if (content !== undefined && stored !== undefined) {
    return {
      version,
      cid: stored.cid,
      keyId: stored.keyId,
      wrappedDataKey: stored.wrappedDataKey,
      contentHash: content.contentHash,
      fieldsSchemaJson: JSON.stringify(content.fields),
    };
  }
  if (p.change.reason === "identity-merge") {
    return { version, residentRef: p.change.newResidentRef, ...(p.change.resident === undefined ? {} : { residentAddress: p.change.resident }) };
  }
  return { version, voidedAt: at };
}

/**
 * Stores, anchors and records planned changes of `institution`'s records. `anchoring` "batch": one
 * changes batch (`anchorBatch(1, root, n)`); "single": `recordChange` of the one singly anchored
 * record. Under a reservation of the record ids (checked in its transaction to be still at the
 * planned versions), the new versions' originals are stored; after the chain accepted, one
 * transaction writes a RecordVersion row per change, moves each Original row to its new version,
 * the audit row and the idempotent answer. Anything failing before the chain accepted removes the
 * stored originals and the reservation: nothing is left behind.
 */
async function anchorChanges(deps: GatewayDeps, c: Context<GatewayEnv>, institution: Address, planned: readonly PlannedChange[], anchoring: "single" | "batch") {
  const store = storeOf(deps, institution);
  const recordIds = planned.map((p) => p.change.recordId);
  const currentPointer = (p: PlannedChange) => pointerHashOf(p.current.cid);
  let chainVersion: number | undefined;
  if (anchoring === "single") {
    const [p] = planned as [PlannedChange];
    chainVersion = (await deps.chain.contracts.dataIndex.read.getRecord([institution, p.change.recordId])).version;
    await preflight(deps, institution, { change: recordChangeOf(p, institution, p.change.content === undefined ? currentPointer(p) : PLACEHOLDER) });
  } else {
    await preflight(deps, institution, { kind: BATCH_KINDS.changes.code, leafCount: planned.length });
  }
  const holder = await reserveRecordIds(deps, store, institution, recordIds, anchoring, {
    purpose: "change",
    check: unchangedSince(institution, planned),
    ...(chainVersion === undefined ? {} : { chainVersion }),
  });
  return underReservation(deps, store, holder, async (stage) => {
    const withContent = planned.filter((p) => p.change.content !== undefined);
    const stored = await storeOriginals(deps, store, withContent.map((p) => p.change.content!));
    stage.stored(stored.map((s) => s.cid));
    const storedOf = new Map(withContent.map((p, i) => [p.change.recordId, stored[i]!]));
    const changes = planned.map((p) => recordChangeOf(p, institution, storedOf.get(p.change.recordId)?.pointerHash ?? currentPointer(p)));
    const cids = new Map([...storedOf].map(([id, s]) => [id, s.cid]));
    let batch: { batchId: string; root: Hex; leafCount: number; proofs: readonly Hex[][] } | undefined;
    let sent: SentTransaction;
    if (anchoring === "batch") {
      const built = buildChangeBatch(changes);
      await confirmReservation(deps, holder, recordIds, cids, built.root);
      sent = await deps.chain.send(institution, "DataIndex", "anchorBatch", [built.kind, built.root, built.leafCount]);
      stage.sent();
      const event = sent.logs.find((l) => l.eventName === "BatchAnchored");
      batch = { batchId: String(event?.args.batchId ?? ""), root: built.root, leafCount: built.leafCount, proofs: built.proofs };
    } else {
      await confirmReservation(deps, holder, recordIds, cids);
      sent = await deps.chain.send(institution, "DataIndex", "recordChange", [changes[0]!]);
      stage.sent();
    }
    const at = deps.clock.now();
    const answer = {
      institution,
      anchoring,
      txHash: sent.txHash,
      blockNumber: sent.blockNumber,
      ...(batch === undefined ? {} : { batchId: batch.batchId, root: batch.root, leafCount: batch.leafCount }),
      changes: planned.map((p, i) => ({
        ...changeJson(changes[i]!),
        version: p.current.version + 1,
        reasonName: p.change.reason,
        anchorMode: anchorModeOf(p.current),
        ...(batch === undefined ? {} : { leafIndex: i, proof: [...batch.proofs[i]!] }),
      })),
    };
    const target = batch === undefined ? recordIds[0]! : `change-batch:${batch.batchId}`;
    return commitAnswer(deps, c, 201, answer, { target, details: { txHash: sent.txHash, changes: planned.length } }, async (tx) => {
      await tx.recordReservation.deleteMany({ where: { holder } });
      await tx.recordVersion.createMany({
        data: planned.map((p, i) => ({
          institution,
          recordId: p.change.recordId,
          version: p.current.version + 1,
          reason: CHANGE_REASON_CODES[p.change.reason],
          changedAt: p.change.changedAt,
          previousContentHash: changes[i]!.previousContentHash,
          newContentHash: changes[i]!.newContentHash,
          newPointerHash: changes[i]!.newPointerHash,
          newResidentRef: changes[i]!.newResidentRef,
          anchorMode: anchorModeOf(p.current),
          cid: storedOf.get(p.change.recordId)?.cid ?? p.current.cid,
          previousCid: p.current.cid,
          previousKeyId: p.current.keyId,
          previousWrappedDataKey: p.current.wrappedDataKey,
          previousFieldsSchemaJson: p.current.fieldsSchemaJson,
          anchoring,
          ...(batch === undefined ? {} : { batchId: batch.batchId, root: batch.root, leafIndex: i, proofJson: JSON.stringify(batch.proofs[i]) }),
          txHash: sent.txHash,
          blockNumber: sent.blockNumber,
        })),
      });
      for (const p of planned) {
        const moved = await tx.original.updateMany({
          where: { institution, recordId: p.change.recordId, version: p.current.version },
          data: movedOriginal(p, storedOf.get(p.change.recordId), at),
        });
        // The reservation keeps every other writer away; a miss here is a bug, and keeps the reservation.
        if (moved.count !== 1) throw platformError("INTERNAL", { details: { reason: "original-moved-under-reservation", recordId: p.change.recordId } });
      }
    });
  });
}

/** A change in JSON (changedAt as a number). */
export const changeJson = (change: RecordChange) => ({ ...change, institution: getAddress(change.institution), changedAt: Number(change.changedAt) });

type VersionRow = Awaited<ReturnType<GatewayDeps["db"]["recordVersion"]["findMany"]>>[number];

/** The DataIndex change a RecordVersion row anchored. */
export function changeOfRow(row: VersionRow): RecordChange {
  return {
    recordId: row.recordId as Hex,
    institution: getAddress(row.institution),
    previousContentHash: row.previousContentHash as Hex,
    newContentHash: row.newContentHash as Hex,
    newPointerHash: row.newPointerHash as Hex,
    newResidentRef: row.newResidentRef as Hex,
    reason: row.reason,
    changedAt: BigInt(row.changedAt),
  };
}

/**
 * Whether transaction `txHash` emitted exactly `change` as DataIndex.RecordChanged: the evidence of
 * a singly anchored change (there is no proof to recompute). False when the chain has no such
 * transaction.
 */
async function changedInTransaction(deps: Pick<GatewayDeps, "chain">, txHash: Hex, change: RecordChange): Promise<boolean> {
  let receipt;
  try {
    receipt = await deps.chain.publicClient.getTransactionReceipt({ hash: txHash });
  } catch (error) {
    if ((error as { name?: string }).name === "TransactionReceiptNotFoundError") return false;
    throw toPlatformError(error);
  }
  if (receipt.status !== "success") return false;
  const dataIndex = getAddress(deps.chain.deployments.contracts.DataIndex.address);
  const events = parseEventLogs({ abi: HEALTH_CHAIN_ABIS.DataIndex, eventName: "RecordChanged", logs: receipt.logs.filter((l) => getAddress(l.address) === dataIndex) });
  return events.some(
    ({ args: e }) =>
      e.recordId === change.recordId &&
      getAddress(e.institution) === getAddress(change.institution) &&
      e.previousContentHash === change.previousContentHash &&
      e.newContentHash === change.newContentHash &&
      e.newPointerHash === change.newPointerHash &&
      e.newResidentRef === change.newResidentRef &&
      e.reason === change.reason &&
      e.changedAt === change.changedAt,
  );
}

/** How a change's anchoring is checked: not at all, against the anchored batch with the contract's algorithm, or by the contract now. */
export type ChangeVerify = false | "local" | "chain";

/**
 * A change made through the gateway, with its proof. Batched: `verified` = DataIndex.verifyChange,
 * answered locally (sdk verifyChangeInBatch against the batch as anchored, read once per batch) or by
 * the contract now ("chain"); the leaf count is given when verified. Singly anchored: `verified` =
 * its transaction emitted exactly this RecordChanged.
 */
export async function changeView(deps: GatewayDeps, row: VersionRow, verify: ChangeVerify) {
  const change = changeOfRow(row);
  const proof = row.proofJson === null ? null : (JSON.parse(row.proofJson) as Hex[]);
  const batched = row.anchoring === "batch" && row.batchId !== null && row.root !== null && row.leafIndex !== null && proof !== null;
  let verified: boolean | undefined;
  let leafCount: number | null = null;
  if (batched && verify === "chain") {
    const dataIndex = deps.chain.contracts.dataIndex.read;
    const [onChain, ok] = await Promise.all([dataIndex.getBatch([BigInt(row.batchId!)]), dataIndex.verifyChange([BigInt(row.batchId!), change, BigInt(row.leafIndex!), proof])]);
    leafCount = Number(onChain.leafCount);
    verified = ok;
  } else if (batched && verify === "local") {
    const anchored = await anchoredBatch(deps, row.batchId!);
    leafCount = anchored?.leafCount ?? null;
    verified = verifyChangeInBatch(anchored, change, row.leafIndex!, proof);
  } else if (!batched && verify) {
    verified = await changedInTransaction(deps, row.txHash as Hex, change);
  }
  return {
    version: row.version,
    reason: changeReasonName(row.reason) ?? String(row.reason),
    anchorMode: anchorModeOf(row),
    change: changeJson(change),
    cid: row.cid,
    anchoring: row.anchoring as "single" | "batch",
    txHash: row.txHash as Hex,
    blockNumber: row.blockNumber,
    recordedAt: row.createdAt.toISOString(),
    ...(batched ? { batch: { batchId: row.batchId!, root: row.root as Hex, leafCount, leafIndex: row.leafIndex!, proof: proof! } } : {}),
    ...(verified === undefined ? {} : { verified }),
  };
}

/** The RecordVersion rows of a record, oldest first. */
export function versionRowsOf(deps: Pick<GatewayDeps, "db">, institution: Address, recordId: Hex): Promise<VersionRow[]> {
  return deps.db.recordVersion.findMany({ where: { institution, recordId }, orderBy: { version: "asc" } });
}

/** A record's changes made through the gateway with their proofs, and its current version (voided ones too). */
export async function recordChanges(deps: GatewayDeps, institution: Address, recordId: Hex, verify: ChangeVerify) {
  const [original, rows] = await Promise.all([originalRowOf(deps, institution, recordId), versionRowsOf(deps, institution, recordId)]);
  if (original === null) throw platformError("NOT_FOUND", { details: { what: "record", institution, recordId } });
  return {
    institution,
    recordId,
    anchoring: original.anchoring as "single" | "batch",
    anchorMode: anchorModeOf(original),
    version: original.version,
    voided: original.voidedAt !== null,
    ...(original.voidedAt === null ? {} : { voidedAt: original.voidedAt.toISOString() }),
    current: { contentHash: anchoredContentHashOf(original), pointerHash: pointerHashOf(original.cid), residentRef: original.residentRef as Hex },
    changes: await Promise.all(rows.map((row) => changeView(deps, row, verify))),
  };
}

const RecordChangeJsonSchema = z
  .object({
    recordId: bytes32,
    institution: address,
    previousContentHash: bytes32,
    newContentHash: bytes32,
    newPointerHash: bytes32,
    newResidentRef: bytes32.openapi({ description: "identity-merge: the surviving resident reference; zero otherwise." }),
    reason: z.number().int().openapi({ description: "DataIndex.ChangeReason code." }),
    changedAt: z.number().int().openapi({ description: "Unix seconds" }),
  })
  .openapi("RecordChange");

const ChangesAnchoredSchema = z
  .object({
    institution: address,
    anchoring: z.enum(["single", "batch"]),
    txHash: bytes32,
    blockNumber: z.number().int(),
    batchId: z.string().optional(),
    root: bytes32.optional(),
    leafCount: z.number().int().optional(),
    changes: z.array(
      RecordChangeJsonSchema.extend({
        version: z.number().int().openapi({ description: "The record's version after the change (2 after its first change)." }),
        reasonName: z.enum(CHANGE_REASON_NAMES),
        anchorMode: anchorModeOut,
        leafIndex: z.number().int().optional(),
        proof: z.array(bytes32).optional(),
      }),
    ),
  })
  .openapi("RecordChangesAnchored");

const ChangeWithProofSchema = z
  .object({
    version: z.number().int(),
    reason: z.string().openapi({ description: "The reason's API name." }),
    anchorMode: anchorModeOut,
    change: RecordChangeJsonSchema,
    cid: z.string().openapi({ description: "The new version's stored object (identity-merge, void: the kept one)." }),
    anchoring: z.enum(["single", "batch"]),
    txHash: bytes32,
    blockNumber: z.number().int(),
    recordedAt: z.string(),
    batch: z
      .object({ batchId: z.string(), root: bytes32, leafCount: z.number().int().nullable(), leafIndex: z.number().int(), proof: z.array(bytes32) })
      .optional(),
    verified: z.boolean().optional().openapi({ description: "batch: DataIndex.verifyChange holds; single: the transaction emitted exactly this RecordChanged." }),
  })
  .openapi("RecordChangeWithProof");

const RecordChangesSchema = z
  .object({
    institution: address,
    recordId: bytes32,
    anchoring: z.enum(["single", "batch"]),
    anchorMode: anchorModeOut,
    version: z.number().int().openapi({ description: "The current version (1: never changed)." }),
    voided: z.boolean(),
    voidedAt: z.string().optional(),
    current: z
      .object({ contentHash: bytes32, pointerHash: bytes32, residentRef: bytes32 })
      .openapi({ description: "The current version as the chain commits to it (contentHash: the fingerprint, or in encrypted-pointer mode the pointerHash)." }),
    changes: z.array(ChangeWithProofSchema),
  })
  .openapi("RecordChanges");

const tags = ["records"];
const RecordParams = z.object({ institution: address, recordId: bytes32 });

export function recordsRoutes(deps: GatewayDeps) {
  return createRouter()
    .openapi(
      createRoute({
        method: "post",
        path: "/",
        tags,
        summary: "Anchor one record (DataIndex.anchorRecord); the original is stored encrypted / 单条存证",
        security: BEARER,
        middleware: writeMiddleware(deps, "records:anchor", "records.anchor"),
        request: { body: { content: { "application/json": { schema: RecordInputSchema } }, required: true } },
        responses: {
          201: { description: "Anchored", content: { "application/json": { schema: AnchoredOneSchema } } },
          ...errorResponses(400, 401, 403, 409, 500, 502),
        },
      }),
      async (c) => {
        const institution = institutionOf(principalOf(c));
        const record = prepareRecord(c.req.valid("json"), deps.clock.now());
        const store = storeOf(deps, institution);
        await conflictIfKnown(deps.db, institution, [record.recordId]);
        const holder = await reserveRecordIds(deps, store, institution, [record.recordId], "single");
        const body = await underReservation(deps, store, holder, async (stage) => {
          const onChain = await deps.chain.contracts.dataIndex.read.getRecord([institution, record.recordId]);
          if (BigInt(onChain.institution) !== 0n) conflict("record-already-anchored", [record.recordId], "Already anchored", "记录已存证");
          await preflight(deps, institution, { entry: indexEntryOf(record, institution, PLACEHOLDER) });
          const [stored] = (await storeOriginals(deps, store, [toStore(record)])) as [StoredOriginal];
          stage.stored([stored.cid]);
          await confirmReservation(deps, holder, [record.recordId], new Map([[record.recordId, stored.cid]]));
          const entry = indexEntryOf(record, institution, stored.pointerHash);
          const sent = await deps.chain.send(institution, "DataIndex", "anchorRecord", [entry]);
          stage.sent();
          const answer = {
            institution,
            recordId: record.recordId,
            contentHash: entry.contentHash,
            pointerHash: stored.pointerHash,
            anchorMode: record.anchorMode,
            anchoring: "single" as const,
            txHash: sent.txHash,
            blockNumber: sent.blockNumber,
          };
          return commitAnswer(deps, c, 201, answer, { target: record.recordId, details: { txHash: sent.txHash } }, async (tx) => {
            await tx.recordReservation.deleteMany({ where: { holder } });
            await tx.original.create({ data: originalRow(record, institution, stored, "single", sent) });
          });
        });
        return c.json(body, 201);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/batch",
        tags,
        summary: "Anchor a batch of records under one Merkle root (DataIndex.anchorBatch) / 批量存证",
        security: BEARER,
        middleware: writeMiddleware(deps, "records:anchor", "records.anchor-batch"),
        request: {
          body: {
            content: { "application/json": { schema: z.object({ records: z.array(RecordInputSchema).min(1).max(MAX_BATCH_RECORDS) }).openapi("RecordBatchInput") } },
            required: true,
          },
        },
        responses: {
          201: { description: "Anchored", content: { "application/json": { schema: AnchoredBatchSchema } } },
          ...errorResponses(400, 401, 403, 409, 500, 502),
        },
      }),
      async (c) => {
        const institution = institutionOf(principalOf(c));
        const now = deps.clock.now();
        const { records: inputs } = c.req.valid("json");
        const dups = duplicateRecordIds(inputs);
        if (dups.length > 0) invalidRecord(undefined, "records", "a record id appears twice", "批次中记录标识重复", { recordIds: dups });
        const records = inputs.map((r, i) => prepareRecord(r, now, i));
        const store = storeOf(deps, institution);
        const recordIds = records.map((r) => r.recordId);
        await conflictIfKnown(deps.db, institution, recordIds);
        await preflight(deps, institution, { kind: BATCH_KINDS.records.code, leafCount: records.length });
        const holder = await reserveRecordIds(deps, store, institution, recordIds, "batch");
        const body = await underReservation(deps, store, holder, async (stage) => {
          const stored = await storeOriginals(deps, store, records.map(toStore));
          stage.stored(stored.map((s) => s.cid));
          const entries = records.map((r, i) => indexEntryOf(r, institution, stored[i]!.pointerHash));
          const batch = buildEntryBatch(entries);
          await confirmReservation(deps, holder, recordIds, new Map(records.map((r, i) => [r.recordId, stored[i]!.cid])), batch.root);
          const sent = await deps.chain.send(institution, "DataIndex", "anchorBatch", [batch.kind, batch.root, batch.leafCount]);
          stage.sent();
          const event = sent.logs.find((l) => l.eventName === "BatchAnchored");
          const batchId = String(event?.args.batchId ?? "");
          const answer = {
            institution,
            batchId,
            root: batch.root,
            leafCount: batch.leafCount,
            txHash: sent.txHash,
            blockNumber: sent.blockNumber,
            records: records.map((r, i) => ({
              recordId: r.recordId,
              contentHash: entries[i]!.contentHash,
              pointerHash: stored[i]!.pointerHash,
              anchorMode: r.anchorMode,
              leafIndex: i,
              proof: batch.proofs[i]!,
            })),
          };
          return commitAnswer(deps, c, 201, answer, { target: `batch:${batchId}`, details: { txHash: sent.txHash, records: records.length } }, async (tx) => {
            await tx.recordReservation.deleteMany({ where: { holder } });
            await tx.original.createMany({ data: records.map((r, i) => originalRow(r, institution, stored[i]!, "batch", sent)) });
            await tx.indexEntry.createMany({
              data: records.map((r, i) => ({
                institution,
                recordId: r.recordId,
                residentRef: r.residentRef,
                category: r.category,
                contentHash: entries[i]!.contentHash,
                anchorMode: r.anchorMode,
                schemaVersion: r.input.schemaVersion,
                pointerHash: stored[i]!.pointerHash,
                sourceTime: r.input.sourceTime,
                batchId,
                root: batch.root,
                leafIndex: i,
                proofJson: JSON.stringify(batch.proofs[i]),
                txHash: sent.txHash,
                blockNumber: sent.blockNumber,
              })),
            });
          });
        });
        return c.json(body, 201);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/changes/batch",
        tags,
        summary: "Anchor a batch of changes of batch-anchored records under one Merkle root (DataIndex.anchorBatch, kind 1) / 批量变更存证",
        description:
          "The T+1 change run: up to 1,000 changes of the caller's institution's batch-anchored records, each record at most once per batch (send its next change in a later batch). Singly anchored records change through POST /v1/records/{institution}/{recordId}/change.",
        security: BEARER,
        middleware: writeMiddleware(deps, "records:anchor", "records.change-batch"),
        request: {
          body: {
            content: {
              "application/json": { schema: z.object({ changes: z.array(RecordChangeInputSchema).min(1).max(MAX_BATCH_CHANGES) }).openapi("RecordChangeBatchInput") },
            },
            required: true,
          },
        },
        responses: {
          201: { description: "Anchored", content: { "application/json": { schema: ChangesAnchoredSchema } } },
          ...errorResponses(400, 401, 403, 404, 409, 500, 502),
        },
      }),
      async (c) => {
        const institution = institutionOf(principalOf(c));
        const now = deps.clock.now();
        const { changes: inputs } = c.req.valid("json");
        const dups = duplicateRecordIds(inputs);
        if (dups.length > 0) {
          invalidItem("changes", undefined, "changes", "a record id appears twice: send its next change in a later batch", "同一记录在批次中出现两次，后续变更请在下一批次提交", {
            recordIds: dups,
          });
        }
        const changes = inputs.map((input, i) => prepareChange(input, now, i));
        const planned = await planChanges(deps.db, institution, changes, true);
        return c.json(await anchorChanges(deps, c, institution, planned, "batch"), 201);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/{institution}/{recordId}/change",
        tags,
        summary: "Anchor one change of a record of the caller's institution / 单条变更存证",
        description:
          "A singly anchored record: DataIndex.recordChange (the chain's state of the record follows). A batch-anchored record: a changes batch of one (DataIndex.anchorBatch, kind 1).",
        security: BEARER,
        middleware: writeMiddleware(deps, "records:anchor", "records.change"),
        request: { params: RecordParams, body: { content: { "application/json": { schema: OneChangeInputSchema } }, required: true } },
        responses: {
          201: { description: "Anchored", content: { "application/json": { schema: ChangesAnchoredSchema } } },
          ...errorResponses(400, 401, 403, 404, 409, 500, 502),
        },
      }),
      async (c) => {
        const institution = institutionOf(principalOf(c));
        const params = c.req.valid("param");
        if (getAddress(params.institution) !== institution) {
          throw platformError("FORBIDDEN", {
            message: "An institution system changes only its own institution's records.",
            messageZh: "机构系统只能变更本机构的记录。",
            details: { reason: "not-own-institution", institution: getAddress(params.institution) },
          });
        }
        const change = prepareChange({ recordId: params.recordId, ...c.req.valid("json") }, deps.clock.now());
        const [planned] = (await planChanges(deps.db, institution, [change], false)) as [PlannedChange];
        return c.json(await anchorChanges(deps, c, institution, [planned], planned.current.anchoring === "single" ? "single" : "batch"), 201);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/{institution}/{recordId}/changes",
        tags,
        summary: "A record's changes with their proofs / 记录的变更及其证明",
        security: BEARER,
        middleware: [requirePermission("records:read")],
        request: {
          params: RecordParams,
          query: z.object({
            verify: z.enum(["local", "chain"]).optional().openapi({
              description:
                "Batched changes: `local` (default) checks each proof against the anchored changes batch (read from the chain once per batch) with the contract's algorithm; `chain` asks DataIndex.verifyChange now. Singly anchored changes: the transaction's RecordChanged event, in both modes.",
            }),
          }),
        },
        responses: {
          200: { description: "The current version and every change made through the gateway, oldest first", content: { "application/json": { schema: RecordChangesSchema } } },
          ...errorResponses(400, 401, 403, 404, 502),
        },
      }),
      async (c) => {
        const { institution: given, recordId } = c.req.valid("param");
        const institution = getAddress(given);
        // Like the entry: the institution's to show, to auditors and admins.
        assertInstitutionAccess(principalOf(c), institution);
        return c.json(await recordChanges(deps, institution, recordId.toLowerCase() as Hex, c.req.valid("query").verify ?? "local"), 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/{institution}/{recordId}",
        tags,
        summary: "A record's index entry with its proof / 索引条目及其证明",
        security: BEARER,
        middleware: [requirePermission("records:read")],
        request: {
          params: RecordParams,
          query: z.object({
            verify: z.enum(["local", "chain"]).optional().openapi({
              description:
                "batch: `local` (default) checks the proof against the anchored batch's root and leaf count (read from the chain once per batch, immutable) with the contract's algorithm; `chain` asks DataIndex.verifyEntry now.",
            }),
          }),
        },
        responses: {
          200: { description: "The entry, how it was anchored, and whether it verifies on chain", content: { "application/json": { schema: EntryWithProofSchema } } },
          ...errorResponses(400, 401, 403, 404),
        },
      }),
      async (c) => {
        const { institution: given, recordId: givenId } = c.req.valid("param");
        const institution = getAddress(given);
        // A batched entry exists only here (the chain holds the root): its residentRef, hashes and
        // proof are the institution's to show, to auditors and admins; other staff find a resident's
        // records through the resident's reference (GET /v1/records?residentRef=).
        assertInstitutionAccess(principalOf(c), institution);
        const recordId = givenId.toLowerCase() as Hex;
        return c.json(await entryWithProof(deps, institution, recordId, { onChain: c.req.valid("query").verify === "chain" }), 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/",
        tags,
        summary: "A resident's index across institutions / 居民跨机构的索引",
        description:
          "Residents: the records institutions linked to their wallet (optionally one residentRef of theirs). Staff: the records of `residentRef`.",
        security: BEARER,
        middleware: [requirePermission("records:list-resident")],
        request: {
          query: z.object({
            residentRef: bytes32.optional(),
            limit: z.coerce.number().int().min(1).max(500).optional(),
          }),
        },
        responses: {
          200: { description: "Index items, oldest source time first", content: { "application/json": { schema: z.object({ items: z.array(IndexItemSchema) }) } } },
          ...errorResponses(400, 401, 403),
        },
      }),
      async (c) => {
        const principal = principalOf(c);
        const { residentRef, limit = 200 } = c.req.valid("query");
        let refs: string[];
        if (principal.kind === "resident") {
          refs = [...(await residentRefsOf(deps, principal.wallet ?? principal.subject))];
          if (residentRef !== undefined) {
            if (!refs.includes(residentRef.toLowerCase())) {
              throw platformError("FORBIDDEN", { message: "This residentRef is not linked to your wallet.", messageZh: "该居民标识未关联到您的钱包。", details: { reason: "not-own-resident-ref" } });
            }
            refs = [residentRef.toLowerCase()];
          }
        } else {
          if (residentRef === undefined) invalidRecord(undefined, "residentRef", "required for staff", "工作人员查询须提供 residentRef");
          refs = [residentRef.toLowerCase()];
        }
        return c.json({ items: await indexOfResidentRefs(deps, refs, limit) }, 200);
      },
    );
}

/** An anchored DataIndex batch as `getBatch` answers: immutable once its root is set. */
export interface AnchoredBatch {
  root: Hex;
  institution: Address;
  kind: number;
  leafCount: number;
}

/** Anchored batches per DataIndex contract, by batch id (a few hundred bytes each). */
const BATCH_CACHE_SIZE = 10_000;
const batchCaches = new WeakMap<object, Lru<string, AnchoredBatch>>();

/**
 * DataIndex batch `batchId` as the chain holds it, read once per process: a batch's root, leaf
 * count, kind and institution never change once anchored (an unknown batch, zero root, is not kept).
 */
export async function anchoredBatch(deps: Pick<GatewayDeps, "chain">, batchId: string): Promise<AnchoredBatch | undefined> {
  const contract = deps.chain.contracts.dataIndex;
  let cache = batchCaches.get(contract);
  if (cache === undefined) batchCaches.set(contract, (cache = new Lru(BATCH_CACHE_SIZE)));
  const hit = cache.get(batchId);
  if (hit !== undefined) return hit;
  const batch = await contract.read.getBatch([BigInt(batchId)]);
  if (BigInt(batch.root) === 0n) return undefined;
  const anchored: AnchoredBatch = { root: batch.root, institution: getAddress(batch.institution), kind: Number(batch.kind), leafCount: Number(batch.leafCount) };
  cache.set(batchId, anchored);
  return anchored;
}

/**
 * The index entry of a record with its proof, from the gateway's rows and the chain. A batched
 * entry's proof is checked against the batch as anchored (read once per process) unless `onChain`
 * asks DataIndex.verifyEntry now.
 */
export async function entryWithProof(deps: GatewayDeps, institution: Address, recordId: Hex, options: { onChain?: boolean } = {}) {
  const row = await indexEntryRowOf(deps, institution, recordId);
  if (row !== null && row.batchId !== null && row.root !== null && row.leafIndex !== null && row.proofJson !== null) {
    const entry = entryOfRow(row);
    const proof = JSON.parse(row.proofJson) as Hex[];
    const [onChainBatch, verified] = options.onChain
      ? await Promise.all([
          deps.chain.contracts.dataIndex.read.getBatch([BigInt(row.batchId)]),
          deps.chain.contracts.dataIndex.read.verifyEntry([BigInt(row.batchId), entry, BigInt(row.leafIndex), proof]),
        ])
      : await anchoredBatch(deps, row.batchId).then((b) => [b ?? { leafCount: 0 }, verifyEntryInBatch(b, entry, row.leafIndex!, proof)] as const);
    return {
      entry: entryJson(entry),
      anchoring: "batch" as const,
      anchorMode: anchorModeOf(row),
      txHash: row.txHash as Hex | null,
      blockNumber: row.blockNumber,
      batch: { batchId: row.batchId, root: row.root as Hex, leafCount: onChainBatch.leafCount, leafIndex: row.leafIndex, proof },
      verified,
    };
  }
  const record = await deps.chain.contracts.dataIndex.read.getRecord([institution, recordId]);
  if (BigInt(record.institution) === 0n) throw platformError("NOT_FOUND", { details: { what: "record", institution, recordId } });
  const entry: IndexEntry = {
    recordId,
    residentRef: record.residentRef,
    institution,
    category: record.category,
    contentHash: record.contentHash,
    schemaVersion: record.schemaVersion,
    pointerHash: record.pointerHash,
    sourceTime: record.sourceTime,
  };
  const original = await originalRowOf(deps, institution, recordId);
  let tx: { txHash: Hex | null; blockNumber: number | null } = { txHash: (original?.txHash as Hex | undefined) ?? null, blockNumber: original?.blockNumber ?? null };
  if (tx.txHash === null) {
    const history = await deps.mirror.records.history(institution, recordId);
    if (history) tx = { txHash: history.anchored.txHash, blockNumber: history.anchored.blockNumber };
  }
  const verified = await deps.chain.contracts.dataIndex.read.isAnchored([entry]);
  return {
    entry: entryJson(entry),
    anchoring: "single" as const,
    anchorMode: original === null ? anchorModeOfEntry(entry) : anchorModeOf(original),
    ...tx,
    onChain: {
      anchoredAt: new Date(Number(record.anchoredAt) * 1000).toISOString(),
      version: record.version,
      voided: record.voided,
    },
    verified,
  };
}

/** How long a process reuses the residentRefs it read for a wallet (a new link shows within it). */
export const RESIDENT_REFS_CACHE_MS = 2_000;
const RESIDENT_REFS_CACHE_SIZE = 20_000;
const residentRefCaches = new WeakMap<object, Lru<string, { refs: readonly string[]; until: number }>>();

/**
 * The residentRefs institutions linked to a wallet (its originals), reused for
 * RESIDENT_REFS_CACHE_MS: a reference an institution links meanwhile shows within that time.
 */
export async function residentRefsOf(deps: Pick<GatewayDeps, "db" | "sql">, wallet: string): Promise<readonly string[]> {
  const address = getAddress(wallet);
  let cache = residentRefCaches.get(deps.db);
  if (cache === undefined) residentRefCaches.set(deps.db, (cache = new Lru(RESIDENT_REFS_CACHE_SIZE)));
  const now = Date.now();
  const hit = cache.get(address);
  if (hit !== undefined && hit.until > now) return hit.refs;
  const refs = await residentRefsOfWallet(deps, address);
  cache.set(address, { refs, until: now + RESIDENT_REFS_CACHE_MS });
  return refs;
}

/** The index items of residentRefs: single anchorings from the mirror, batch anchorings from the gateway's rows. */
export async function indexOfResidentRefs(deps: GatewayDeps, refs: readonly string[], limit: number) {
  const items: z.infer<typeof IndexItemSchema>[] = [];
  for (const ref of refs) {
    const page = await deps.mirror.records.ofResident(ref, { limit: Math.min(limit, 500) });
    for (const r of page.items) {
      items.push({
        institution: r.institution,
        recordId: r.recordId,
        residentRef: r.residentRef,
        category: r.category,
        contentHash: r.contentHash,
        schemaVersion: r.schemaVersion,
        pointerHash: r.pointerHash,
        sourceTime: r.sourceTime === null ? 0 : Math.floor(Date.parse(r.sourceTime) / 1000),
        anchoring: "single",
        // The mirror knows the chain only; the entry itself tells the mode.
        anchorMode: anchorModeOfEntry(r),
        txHash: r.anchored.txHash,
        blockNumber: r.anchored.blockNumber,
        voided: r.voided,
        version: r.version,
      });
    }
    const rows = await indexEntriesOfResidentRef(deps, ref, limit);
    for (const { row, state } of await batchRecordsOf(deps, ref, rows)) {
      items.push({
        ...entryJson(entryOfRow(row)),
        anchoring: "batch",
        anchorMode: anchorModeOf(row),
        txHash: row.txHash,
        blockNumber: row.blockNumber,
        ...(row.batchId === null ? {} : { batchId: row.batchId }),
        ...(row.root === null ? {} : { root: row.root }),
        ...(row.leafIndex === null ? {} : { leafIndex: row.leafIndex }),
        ...(row.proofJson === null ? {} : { proof: JSON.parse(row.proofJson) as string[] }),
        ...(state === undefined
          ? {}
          : {
              version: state.version,
              voided: state.voidedAt !== null,
              current: { contentHash: anchoredContentHashOf(state), pointerHash: pointerHashOf(state.cid), residentRef: state.residentRef },
            }),
      });
    }
  }
  return items.sort((a, b) => a.sourceTime - b.sourceTime).slice(0, limit);
}

/** Compound keys a few hundred at a time (two bound parameters each: under SQLite's 999). */
const KEY_CHUNK = 400;

/**
 * The batch-anchored records a resident's index lists under `ref`, each with its current state when
 * it changed through the gateway: those anchored under `ref` (`rows`), less those an identity merge
 * moved to another resident since, plus those merged into `ref` from another. One indexed query
 * (RecordVersion by recordId and by newResidentRef) when none of them changed.
 */
async function batchRecordsOf(deps: GatewayDeps, ref: string, rows: readonly IndexEntryRow[]): Promise<{ row: IndexEntryRow; state?: OriginalRow }[]> {
  const touched = await deps.db.recordVersion.findMany({
    where: { OR: [{ recordId: { in: rows.map((r) => r.recordId) } }, { newResidentRef: ref }] },
    select: { institution: true, recordId: true },
    distinct: ["institution", "recordId"],
  });
  if (touched.length === 0) return rows.map((row) => ({ row }));
  const key = (r: { institution: string; recordId: string }) => `${r.institution}/${r.recordId}`;
  const byKeys = <T>(keys: readonly { institution: string; recordId: string }[], find: (or: { institution: string; recordId: string }[]) => Promise<T[]>) =>
    Promise.all(Array.from({ length: Math.ceil(keys.length / KEY_CHUNK) }, (_, i) => find(keys.slice(i * KEY_CHUNK, (i + 1) * KEY_CHUNK).map((k) => ({ institution: k.institution, recordId: k.recordId }))))).then((parts) => parts.flat());
  const states = new Map((await byKeys(touched, (or) => deps.db.original.findMany({ where: { OR: or } }))).map((o) => [key(o), o]));
  const listed = new Set(rows.map(key));
  const mergedIn = [...states.values()].filter((o) => o.anchoring === "batch" && o.residentRef === ref && !listed.has(key(o)));
  const extra = mergedIn.length === 0 ? [] : await byKeys(mergedIn, (or) => deps.db.indexEntry.findMany({ where: { OR: or } }));
  return [...rows, ...extra].flatMap((row) => {
    const state = states.get(key(row));
    if (state !== undefined && state.residentRef !== ref) return []; // merged into another resident
    return [state === undefined ? { row } : { row, state }];
  });
}


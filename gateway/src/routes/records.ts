// /v1/records (数据资源): an institution's system anchors its records' index entries (one, or a
// batch under one Merkle root) while the originals go encrypted into the institution's own store;
// staff and auditors read an entry with its proof; residents and staff list a resident's index
// across institutions.
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
// No partial writes: everything is validated first; the originals are stored next (ciphertext, in
// the institution's store) and removed again when the anchor fails; the gateway's rows, the audit
// row and the idempotent answer are written in one transaction after the chain accepted the anchor.
import { createRoute, z } from "@hono/zod-openapi";
import { HEALTH_CHAIN_ABIS, LIMITS, buildBatch, entryItem, fingerprint, platformError, toPlatformError, verifyMerkleProof, type IndexEntry } from "@health-chain/sdk";
import type { InstitutionStore, StoredOriginal } from "@health-chain/store";
import { randomUUID } from "node:crypto";
import { getAddress, type Address, type Hex } from "viem";
import type { GatewayDeps } from "../context.ts";
import { errorResponses } from "../errors.ts";
import { principalOf } from "../middleware/auth.ts";
import { assertInstitutionAccess, institutionOf, requirePermission } from "../middleware/rbac.ts";
import { Lru } from "../lru.ts";
import { indexEntriesOfResidentRef, indexEntryRowOf, originalOf, residentRefsOfWallet } from "../reads.ts";
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
  })
  .openapi("RecordInput");

export type RecordInput = z.infer<typeof RecordInputSchema>;

function invalidRecord(index: number | undefined, what: string, en: string, zh: string, details: Record<string, unknown> = {}): never {
  throw platformError("INVALID_INPUT", {
    message: index === undefined ? `${what}: ${en}` : `records[${index}].${what}: ${en}`,
    messageZh: index === undefined ? `${what}：${zh}` : `第 ${index} 条记录 ${what}：${zh}`,
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
  readonly contentHash: Hex;
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
  const fields: Record<string, Hex> = {};
  const seen = new Set<string>();
  for (const [name, id] of Object.entries(input.fields)) {
    const lower = id.toLowerCase() as Hex;
    if (ZERO.test(lower)) invalidRecord(index, `fields.${name}`, "field id must not be zero", "字段标识不能为全零");
    if (seen.has(lower)) invalidRecord(index, `fields.${name}`, "field id used for two members", "字段标识重复");
    seen.add(lower);
    fields[name] = lower;
  }
  const unmapped = Object.keys(input.record).filter((member) => !Object.hasOwn(fields, member));
  if (unmapped.length > 0) {
    invalidRecord(index, "fields", "every member of the record needs a field id", "记录的每个成员都需要字段标识", { unmapped });
  }
  return {
    input,
    recordId: input.recordId.toLowerCase() as Hex,
    residentRef: input.residentRef.toLowerCase() as Hex,
    resident: getAddress(input.resident),
    category: input.category.toLowerCase() as Hex,
    contentHash: fingerprint(input.record),
    fields,
  };
}

/** The DataIndex entry of a prepared record stored under `pointerHash`. */
export function indexEntryOf(record: PreparedRecord, institution: Address, pointerHash: Hex): IndexEntry {
  return {
    recordId: record.recordId,
    residentRef: record.residentRef,
    institution,
    category: record.category,
    contentHash: record.contentHash,
    schemaVersion: record.input.schemaVersion,
    pointerHash,
    sourceTime: BigInt(record.input.sourceTime),
  };
}

/** The batch of entries as DataIndex.anchorBatch takes it (kind 0: records), with each proof. */
export function recordBatchOf(entries: readonly IndexEntry[]) {
  const batch = buildBatch(entries.map(entryItem));
  return { root: batch.root, leafCount: batch.leafCount, proofs: entries.map((_, i) => batch.proof(i)) };
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
 * Asks the chain whether it would accept the anchor (role, institution, times, duplicates) before
 * anything is stored, so that a refused anchor never stores an original at all.
 */
async function preflight(deps: GatewayDeps, institution: Address, call: { entry: IndexEntry } | { leafCount: number }) {
  const common = {
    abi: HEALTH_CHAIN_ABIS.DataIndex,
    address: deps.chain.deployments.contracts.DataIndex.address,
    account: deps.chain.accountOf(institution),
  } as const;
  try {
    if ("entry" in call) await deps.chain.publicClient.simulateContract({ ...common, functionName: "anchorRecord", args: [call.entry] });
    else await deps.chain.publicClient.simulateContract({ ...common, functionName: "anchorBatch", args: [0, PLACEHOLDER, call.leafCount] });
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

/** Stores the originals (a few at a time); on any failure removes those already stored. */
async function storeOriginals(deps: GatewayDeps, store: InstitutionStore, records: readonly PreparedRecord[]): Promise<StoredOriginal[]> {
  const stored: StoredOriginal[] = new Array<StoredOriginal>(records.length);
  const done: string[] = [];
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: Math.min(8, records.length) }, async () => {
        while (next < records.length) {
          const i = next++;
          const original = await store.putOriginal(records[i]!.input.record);
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

function originalRow(record: PreparedRecord, institution: Address, stored: StoredOriginal, anchoring: "single" | "batch", tx: { txHash: Hex; blockNumber: number }) {
  return {
    institution,
    recordId: record.recordId,
    cid: stored.cid,
    keyId: stored.keyId,
    wrappedDataKey: stored.wrappedDataKey,
    fieldsSchemaJson: JSON.stringify(record.fields),
    contentHash: record.contentHash,
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

const IndexItemSchema = ProofEntrySchema.extend({
  anchoring: z.enum(["single", "batch"]),
  txHash: bytes32.nullable(),
  blockNumber: z.number().int().nullable(),
  batchId: z.string().optional(),
  root: bytes32.optional(),
  leafIndex: z.number().int().optional(),
  proof: z.array(bytes32).optional(),
  voided: z.boolean().optional(),
  version: z.number().int().optional(),
}).openapi("IndexItem");

const EntryWithProofSchema = z
  .object({
    entry: ProofEntrySchema,
    anchoring: z.enum(["single", "batch"]),
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
    contentHash: bytes32,
    pointerHash: bytes32,
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
    records: z.array(z.object({ recordId: bytes32, contentHash: bytes32, pointerHash: bytes32, leafIndex: z.number().int(), proof: z.array(bytes32) })),
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

/** Whether the anchor of a dead holder's reservation reached the chain (then it must not be taken over). */
async function anchoredOnChain(deps: GatewayDeps, institution: Address, r: Reservation): Promise<boolean> {
  const dataIndex = deps.chain.contracts.dataIndex.read;
  if (r.anchoring === "single") return BigInt((await dataIndex.getRecord([institution, r.recordId as Hex])).institution) !== 0n;
  if (r.root === null) return false; // the root is written before the send: none, never sent
  return (await dataIndex.batchIdOf([institution, r.root as Hex])) !== 0n;
}

/**
 * Reserves the record ids for one anchor request, before anything is stored or sent: a row per id
 * under the primary key (institution, recordId), all in one short transaction. A record already
 * anchored through the gateway, or reserved by a live request, is a CONFLICT naming the ids. An
 * expired reservation is taken over when the chain shows its anchor never happened (its stored
 * original is removed); when it did happen, the record stays reserved (CONFLICT,
 * "anchored-unrecorded") for an operator to recover. Returns the holder id.
 */
async function reserveRecordIds(deps: GatewayDeps, store: InstitutionStore, institution: Address, recordIds: readonly Hex[], anchoring: "single" | "batch"): Promise<string> {
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
      await conflictIfKnown(tx, institution, recordIds);
      await tx.recordReservation.createMany({
        data: ids.map((recordId) => ({ institution, recordId, holder, anchoring, expiresAt: new Date(now.getTime() + RESERVATION_MS) })),
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
 * Before the send: writes each reserved record's stored cid (and the batch root) and renews the
 * lease; refuses (CONFLICT) when the reservation was lost, i.e. taken over as expired.
 */
async function confirmReservation(deps: GatewayDeps, holder: string, cids: ReadonlyMap<string, string>, root?: Hex): Promise<void> {
  const expiresAt = new Date(deps.clock.now().getTime() + RESERVATION_MS);
  await deps.db.$transaction(async (tx) => {
    const renewed = await tx.recordReservation.updateMany({
      where: { holder, expiresAt: { gt: deps.clock.now() } },
      data: { expiresAt, ...(root === undefined ? {} : { root }) },
    });
    if (renewed.count !== cids.size) {
      conflict("reservation-lost", [...cids.keys()], "The reservation expired before the anchor was sent", "预留已过期，未发送存证");
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
          const [stored] = (await storeOriginals(deps, store, [record])) as [StoredOriginal];
          stage.stored([stored.cid]);
          await confirmReservation(deps, holder, new Map([[record.recordId, stored.cid]]));
          const sent = await deps.chain.send(institution, "DataIndex", "anchorRecord", [indexEntryOf(record, institution, stored.pointerHash)]);
          stage.sent();
          const answer = {
            institution,
            recordId: record.recordId,
            contentHash: record.contentHash,
            pointerHash: stored.pointerHash,
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
        await preflight(deps, institution, { leafCount: records.length });
        const holder = await reserveRecordIds(deps, store, institution, recordIds, "batch");
        const body = await underReservation(deps, store, holder, async (stage) => {
          const stored = await storeOriginals(deps, store, records);
          stage.stored(stored.map((s) => s.cid));
          const entries = records.map((r, i) => indexEntryOf(r, institution, stored[i]!.pointerHash));
          const batch = recordBatchOf(entries);
          await confirmReservation(deps, holder, new Map(records.map((r, i) => [r.recordId, stored[i]!.cid])), batch.root);
          const sent = await deps.chain.send(institution, "DataIndex", "anchorBatch", [0, batch.root, batch.leafCount]);
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
              contentHash: r.contentHash,
              pointerHash: stored[i]!.pointerHash,
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
                contentHash: r.contentHash,
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

/** DataIndex.BatchKind.Records. */
const RECORDS_BATCH = 0;

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
 * `DataIndex.verifyEntry(batchId, entry, leafIndex, proof)` answered locally: the same checks (a
 * records batch of the entry's institution) and the same Merkle algorithm (sdk verifyMerkleProof).
 */
export function verifyEntryLocally(batch: AnchoredBatch | undefined, entry: IndexEntry, leafIndex: number, proof: readonly Hex[]): boolean {
  if (batch === undefined || batch.kind !== RECORDS_BATCH || batch.institution !== getAddress(entry.institution)) return false;
  try {
    return verifyMerkleProof(batch.root, batch.leafCount, entryItem(entry), leafIndex, proof);
  } catch {
    return false; // not a proof at all (as stored): the contract answers false
  }
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
      : await anchoredBatch(deps, row.batchId).then((b) => [b ?? { leafCount: 0 }, verifyEntryLocally(b, entry, row.leafIndex!, proof)] as const);
    return {
      entry: entryJson(entry),
      anchoring: "batch" as const,
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
  const original = await originalOf(deps, institution, recordId);
  let tx: { txHash: Hex | null; blockNumber: number | null } = { txHash: (original?.txHash as Hex | undefined) ?? null, blockNumber: original?.blockNumber ?? null };
  if (tx.txHash === null) {
    const history = await deps.mirror.records.history(institution, recordId);
    if (history) tx = { txHash: history.anchored.txHash, blockNumber: history.anchored.blockNumber };
  }
  const verified = await deps.chain.contracts.dataIndex.read.isAnchored([entry]);
  return {
    entry: entryJson(entry),
    anchoring: "single" as const,
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
        txHash: r.anchored.txHash,
        blockNumber: r.anchored.blockNumber,
        voided: r.voided,
        version: r.version,
      });
    }
    const rows = await indexEntriesOfResidentRef(deps, ref, limit);
    for (const row of rows) {
      items.push({
        ...entryJson(entryOfRow(row)),
        anchoring: "batch",
        txHash: row.txHash,
        blockNumber: row.blockNumber,
        ...(row.batchId === null ? {} : { batchId: row.batchId }),
        ...(row.root === null ? {} : { root: row.root }),
        ...(row.leafIndex === null ? {} : { leafIndex: row.leafIndex }),
        ...(row.proofJson === null ? {} : { proof: JSON.parse(row.proofJson) as string[] }),
      });
    }
  }
  return items.sort((a, b) => a.sourceTime - b.sourceTime).slice(0, limit);
}


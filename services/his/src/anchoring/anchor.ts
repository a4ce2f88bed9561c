// The anchoring worker: sends collected records and change records to the chain through the
// gateway, as the anchoring policy says — apart from collection, so that a hospital's collection
// never waits on the chain. Each send is written down before it leaves (an AnchorBatch in state
// "sending" owning its rows) and settled after; a batch found "sending" after a crash is settled by
// asking the gateway which of its records it knows, so nothing is anchored twice and nothing is lost.
import { platformError } from "@health-chain/sdk";
import type { Address, Hex } from "viem";
import type { HisDb } from "../db.ts";
import { categoryIdOf, fieldIdOf } from "../collection/ids.ts";
import type { ResidentDirectory } from "../collection/ports.ts";
import { startOfDay, type AnchoringPolicy, type ModelAnchoring } from "./policy.ts";

export type AnchorMode = ModelAnchoring["mode"];

/** A record as the gateway's POST /v1/records(/batch) takes it. */
export interface AnchorRecordInput {
  recordId: Hex;
  residentRef: Hex;
  resident: Address;
  category: Hex;
  schemaVersion: number;
  sourceTime: number;
  fields: Record<string, Hex>;
  record: Record<string, unknown>;
}

/** A change as the gateway's POST /v1/records/changes/batch takes it. */
export interface AnchorChangeInput {
  recordId: Hex;
  reason: string;
  changedAt: number;
  /** The new content (not for identity-merge, whose content stays). */
  record?: Record<string, unknown>;
  fields?: Record<string, Hex>;
  /** identity-merge: the surviving resident's reference and wallet. */
  newResidentRef?: Hex;
  resident?: Address;
}

export interface AnchorReceipt {
  /** The DataIndex batch id, or null for a singly anchored record. */
  readonly batchId: string | null;
  readonly root: Hex | null;
  readonly txHash: Hex;
  readonly blockNumber: number;
}

/** How the worker reaches the chain (the gateway in production and in the end-to-end tests). */
export interface Anchorer {
  anchorRecords(records: readonly AnchorRecordInput[], mode: AnchorMode): Promise<AnchorReceipt>;
  anchorRecord(record: AnchorRecordInput, mode: AnchorMode): Promise<AnchorReceipt>;
  anchorChanges(changes: readonly AnchorChangeInput[], mode: AnchorMode): Promise<AnchorReceipt>;
  /** Which of these records (or, with versions, changes) the gateway has anchored: recordId → its version there, absent when unknown. */
  anchoredVersions(recordIds: readonly Hex[]): Promise<ReadonlyMap<Hex, number>>;
}

export interface AnchoringContext {
  readonly db: HisDb;
  readonly anchorer: Anchorer;
  readonly policy: { readonly value: AnchoringPolicy; readonly version: number; readonly hash: string };
  readonly directory: ResidentDirectory;
  readonly now?: () => Date;
  readonly log?: { warn(details: object, message: string): void };
}

export interface AnchoringSummary {
  batches: number;
  records: number;
  changes: number;
  failedBatches: number;
  /** Rows set aside because their model is not anchored by the policy. */
  offChain: number;
  /** Batches found "sending" after a crash and settled. */
  recovered: number;
}

/** SQLite takes at most 999 bound parameters per statement: id lists go a few hundred at a time. */
const CHUNK = 400;

function chunksOf<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** Runs `update` per chunk of `ids` and adds the counts. */
async function eachChunk<T>(ids: readonly T[], update: (chunk: T[]) => Promise<{ count: number }>): Promise<number> {
  let count = 0;
  for (const chunk of chunksOf(ids)) count += (await update(chunk)).count;
  return count;
}

/** findMany per chunk of `ids`. */
async function findChunked<T, R>(ids: readonly T[], find: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const out: R[] = [];
  for (const chunk of chunksOf(ids)) out.push(...(await find(chunk)));
  return out;
}

const emptySummary = (): AnchoringSummary => ({ batches: 0, records: 0, changes: 0, failedBatches: 0, offChain: 0, recovered: 0 });

/** A refusal by the gateway that sending again will not change (bad input), as opposed to a failure to reach it. */
function isPermanent(error: unknown): boolean {
  const status = (error as { status?: unknown }).status;
  return typeof status === "number" && status >= 400 && status < 500 && status !== 408 && status !== 409 && status !== 429;
}

/** The position of the record a refusal names (`details.index`), if any. */
function blamedIndex(error: unknown): number | null {
  const index = (error as { details?: { index?: unknown } }).details?.index;
  return typeof index === "number" && Number.isInteger(index) ? index : null;
}

function errorJson(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown; status?: unknown; details?: unknown };
  return JSON.stringify({ code: e.code ?? "ANCHOR_FAILED", status: e.status ?? null, message: typeof e.message === "string" ? e.message : String(error), details: e.details ?? null });
}

type RecordRow = Awaited<ReturnType<HisDb["collectedRecord"]["findMany"]>>[number];

function recordInputOf(row: RecordRow, directory: ResidentDirectory): AnchorRecordInput {
  const fieldNames = JSON.parse(row.fieldsJson) as Record<string, string>;
  return {
    recordId: row.recordId as Hex,
    residentRef: row.residentRef as Hex,
    resident: directory.walletOf(row.personId),
    category: categoryIdOf(row.category),
    schemaVersion: row.modelVersion,
    sourceTime: Math.max(1, Math.floor(row.sourceTime.getTime() / 1000)),
    fields: Object.fromEntries(Object.entries(fieldNames).map(([member, field]) => [member, fieldIdOf(field)])),
    record: JSON.parse(row.contentJson) as Record<string, unknown>,
  };
}

const policyJson = (ctx: AnchoringContext, extra: object) => JSON.stringify({ name: "anchoring", version: ctx.policy.version, hash: ctx.policy.hash, ...extra });

/** Sends one batch of records (or a single record) and settles it. */
async function sendRecords(ctx: AnchoringContext, rows: readonly RecordRow[], mode: AnchorMode, single: boolean, summary: AnchoringSummary): Promise<void> {
  const ids = rows.map((r) => r.recordId);
  const batch = await ctx.db.$transaction(async (tx) => {
    const created = await tx.anchorBatch.create({ data: { kind: single ? "record" : "records", state: "sending", count: rows.length, policyJson: policyJson(ctx, { mode, model: rows[0]?.model }) } });
    const owned = await eachChunk(ids, (chunk) => tx.collectedRecord.updateMany({ where: { recordId: { in: chunk }, anchorState: "pending", anchorBatchId: null }, data: { anchorBatchId: created.id } }));
    if (owned !== ids.length) throw platformError("CONFLICT", { message: "Records changed hands while a batch was formed.", messageZh: "组批时记录已被其他批次占用。", details: { batchId: created.id } });
    return created;
  });
  const inputs = rows.map((r) => recordInputOf(r, ctx.directory));
  try {
    const receipt = single ? await ctx.anchorer.anchorRecord(inputs[0]!, mode) : await ctx.anchorer.anchorRecords(inputs, mode);
    await ctx.db.$transaction(async (tx) => {
      await tx.anchorBatch.update({ where: { id: batch.id }, data: { state: "anchored", root: receipt.root, chainBatch: receipt.batchId, txHash: receipt.txHash, blockNumber: receipt.blockNumber, finishedAt: ctx.now?.() ?? new Date() } });
      await tx.collectedRecord.updateMany({ where: { anchorBatchId: batch.id }, data: { anchorState: "anchored" } });
    });
    summary.batches++;
    summary.records += rows.length;
  } catch (error) {
    summary.failedBatches++;
    await settleFailedRecords(ctx, batch.id, ids, error);
  }
}

/** After a failed send: what the gateway did anchor is marked so; the rest is pending again (or rejected when the gateway refused it). */
async function settleFailedRecords(ctx: AnchoringContext, batchId: number, ids: readonly string[], error: unknown): Promise<void> {
  let known: ReadonlyMap<Hex, number> = new Map();
  try {
    known = await ctx.anchorer.anchoredVersions(ids as Hex[]);
  } catch (lookup) {
    // The gateway is unreachable: leave the batch "sending"; the next pass recovers it.
    ctx.log?.warn({ err: lookup, batchId }, "anchoring failed and the gateway cannot be asked what it anchored; the batch stays in flight");
    return;
  }
  const permanent = isPermanent(error);
  // The gateway refuses a whole batch for one bad record and names it: only that one is set aside.
  const blamed = permanent ? blamedIndex(error) : null;
  await ctx.db.$transaction(async (tx) => {
    await tx.anchorBatch.update({ where: { id: batchId }, data: { state: "failed", errorJson: errorJson(error), finishedAt: ctx.now?.() ?? new Date() } });
    const anchored = ids.filter((id) => known.has(id as Hex));
    await eachChunk(anchored, (chunk) => tx.collectedRecord.updateMany({ where: { recordId: { in: chunk } }, data: { anchorState: "anchored" } }));
    const rest = ids.filter((id) => !known.has(id as Hex));
    const rejected = !permanent ? [] : blamed !== null && ids[blamed] !== undefined ? [ids[blamed]] : rest;
    const retry = rest.filter((id) => !rejected.includes(id));
    await eachChunk(rejected, (chunk) => tx.collectedRecord.updateMany({ where: { recordId: { in: chunk } }, data: { anchorBatchId: batchId, anchorState: "rejected" } }));
    await eachChunk(retry, (chunk) => tx.collectedRecord.updateMany({ where: { recordId: { in: chunk } }, data: { anchorBatchId: null, anchorState: "pending" } }));
  });
}

type ChangeRow = Awaited<ReturnType<HisDb["recordChange"]["findMany"]>>[number];

/** Sends one batch of change records (one per record) and settles it. */
async function sendChanges(ctx: AnchoringContext, rows: readonly ChangeRow[], mode: AnchorMode, summary: AnchoringSummary): Promise<void> {
  const records = await findChunked(rows.map((r) => r.recordId), (chunk) => ctx.db.collectedRecord.findMany({ where: { recordId: { in: chunk } } }));
  const byId = new Map(records.map((r) => [r.recordId, r]));
  const batch = await ctx.db.$transaction(async (tx) => {
    const created = await tx.anchorBatch.create({ data: { kind: "changes", state: "sending", count: rows.length, policyJson: policyJson(ctx, { mode }) } });
    await eachChunk(rows.map((r) => r.id), (chunk) => tx.recordChange.updateMany({ where: { id: { in: chunk } }, data: { anchorBatchId: created.id } }));
    return created;
  });
  const inputs: AnchorChangeInput[] = rows.map((row) => {
    const record = byId.get(row.recordId)!;
    if (row.reason === "identity-merge") {
      // The content stays; the record moves to the surviving resident (and their wallet, off chain).
      return {
        recordId: row.recordId as Hex,
        reason: row.reason,
        changedAt: Math.max(1, Math.floor(row.changedAt.getTime() / 1000)),
        newResidentRef: row.newResidentRef as Hex,
        resident: ctx.directory.walletOf(record.personId),
      };
    }
    const fieldNames = JSON.parse(record.fieldsJson) as Record<string, string>;
    return {
      recordId: row.recordId as Hex,
      reason: row.reason,
      changedAt: Math.max(1, Math.floor(row.changedAt.getTime() / 1000)),
      record: JSON.parse(row.contentJson) as Record<string, unknown>,
      fields: Object.fromEntries(Object.entries(fieldNames).map(([member, field]) => [member, fieldIdOf(field)])),
    };
  });
  try {
    const receipt = await ctx.anchorer.anchorChanges(inputs, mode);
    await ctx.db.$transaction(async (tx) => {
      await tx.anchorBatch.update({ where: { id: batch.id }, data: { state: "anchored", root: receipt.root, chainBatch: receipt.batchId, txHash: receipt.txHash, blockNumber: receipt.blockNumber, finishedAt: ctx.now?.() ?? new Date() } });
      await tx.recordChange.updateMany({ where: { anchorBatchId: batch.id }, data: { anchorState: "anchored" } });
    });
    summary.batches++;
    summary.changes += rows.length;
  } catch (error) {
    summary.failedBatches++;
    await settleFailedChanges(ctx, batch.id, rows, error);
  }
}

async function settleFailedChanges(ctx: AnchoringContext, batchId: number, rows: readonly ChangeRow[], error: unknown): Promise<void> {
  let known: ReadonlyMap<Hex, number>;
  try {
    known = await ctx.anchorer.anchoredVersions(rows.map((r) => r.recordId as Hex));
  } catch (lookup) {
    ctx.log?.warn({ err: lookup, batchId }, "anchoring changes failed and the gateway cannot be asked what it anchored; the batch stays in flight");
    return;
  }
  const permanent = isPermanent(error);
  const blamed = permanent ? blamedIndex(error) : null;
  await ctx.db.$transaction(async (tx) => {
    await tx.anchorBatch.update({ where: { id: batchId }, data: { state: "failed", errorJson: errorJson(error), finishedAt: ctx.now?.() ?? new Date() } });
    for (const [i, row] of rows.entries()) {
      const there = known.get(row.recordId as Hex) ?? 0;
      const anchored = there >= row.version;
      const rejected = permanent && (blamed === null || blamed === i);
      await tx.recordChange.update({
        where: { id: row.id },
        data: anchored ? { anchorState: "anchored" } : { anchorBatchId: rejected ? batchId : null, anchorState: rejected ? "rejected" : "pending" },
      });
    }
  });
}

/** Batches left "sending" by a process that stopped: settled by asking the gateway. */
async function recoverInFlight(ctx: AnchoringContext, summary: AnchoringSummary): Promise<void> {
  const stuck = await ctx.db.anchorBatch.findMany({ where: { state: "sending" } });
  for (const batch of stuck) {
    const interrupted = Object.assign(new Error("The process stopped while this batch was being sent."), { code: "INTERRUPTED" });
    if (batch.kind === "changes") {
      const rows = await ctx.db.recordChange.findMany({ where: { anchorBatchId: batch.id, anchorState: "pending" } });
      await settleFailedChanges(ctx, batch.id, rows, interrupted);
    } else {
      const rows = await ctx.db.collectedRecord.findMany({ where: { anchorBatchId: batch.id, anchorState: "pending" }, select: { recordId: true } });
      await settleFailedRecords(ctx, batch.id, rows.map((r) => r.recordId), interrupted);
    }
    summary.recovered++;
  }
}

/**
 * One pass of the worker: settles batches a stopped process left in flight, sets aside the records
 * of models the policy does not anchor, then sends what is due. `nightly` is the T+1 run: it
 * anchors everything collected before the current day (and the change records of before it), or
 * before `upTo` when an operator anchors on demand.
 */
export async function anchorDue(ctx: AnchoringContext, options: { nightly?: boolean; upTo?: Date; inFlight?: "recover" | "leave" } = {}): Promise<AnchoringSummary> {
  const summary = emptySummary();
  const policy = ctx.policy.value;
  const now = ctx.now?.() ?? new Date();
  if ((options.inFlight ?? "recover") === "recover") await recoverInFlight(ctx, summary);

  const anchoredModels = Object.entries(policy.models).filter(([, p]) => p.anchor).map(([model]) => model);
  const offChain = await ctx.db.collectedRecord.updateMany({ where: { anchorState: "pending", model: { notIn: anchoredModels } }, data: { anchorState: "off-chain" } });
  summary.offChain += offChain.count;
  // The T+1 run anchors what was collected before the day began; an operator's "anchor now" (upTo) moves the cut.
  const dayStart = options.upTo ?? startOfDay(now, policy.timezone);

  for (const [model, p] of Object.entries(policy.models)) {
    if (!p.anchor) continue;
    const cadence = p.cadence;
    const size = cadence.kind === "batch" ? cadence.size : cadence.kind === "per-record" ? 1 : policy.nightlyBatchSize;
    for (;;) {
      const where = { model, anchorState: "pending", anchorBatchId: null } as const;
      let rows: RecordRow[];
      if (cadence.kind === "t+1" || (options.nightly && cadence.kind !== "per-record")) {
        if (!options.nightly) break;
        rows = await ctx.db.collectedRecord.findMany({ where: { ...where, createdAt: { lt: dayStart } }, orderBy: { createdAt: "asc" }, take: size });
      } else {
        rows = await ctx.db.collectedRecord.findMany({ where, orderBy: { createdAt: "asc" }, take: size });
        if (cadence.kind === "batch" && rows.length < size) {
          const oldest = rows[0]?.createdAt.getTime();
          if (oldest === undefined || now.getTime() - oldest < cadence.maxWaitSeconds * 1000) break;
        }
      }
      if (rows.length === 0) break;
      await sendRecords(ctx, rows, p.mode, cadence.kind === "per-record", summary);
      // After a failure the pass ends: the next pass retries (or settles) it, rather than a loop
      // sending batch after batch to a gateway that is down or refusing.
      if (summary.failedBatches > 0) return summary;
      if (rows.length < size) break;
    }
  }

  // Change records: of anchored records only (a pending record took its new content in place).
  const changeCadence = policy.changes.cadence;
  if (changeCadence.kind === "t+1" ? options.nightly : true) {
    const size = changeCadence.kind === "batch" ? changeCadence.size : policy.nightlyBatchSize;
    for (;;) {
      const pending = await ctx.db.recordChange.findMany({
        where: { anchorState: "pending", anchorBatchId: null, ...(changeCadence.kind === "t+1" ? { changedAt: { lt: dayStart } } : {}) },
        orderBy: [{ recordId: "asc" }, { version: "asc" }],
        take: 5_000,
      });
      // One change per record per batch, the earliest version first: each builds on the previous.
      const first = new Map<string, ChangeRow>();
      for (const row of pending) if (!first.has(row.recordId)) first.set(row.recordId, row);
      const due = [...first.values()].slice(0, size);
      if (due.length === 0) break;
      if (changeCadence.kind === "batch" && due.length < size && !options.nightly) {
        const oldest = Math.min(...due.map((r) => r.createdAt.getTime()));
        if (now.getTime() - oldest < changeCadence.maxWaitSeconds * 1000) break;
      }
      const records = await findChunked(due.map((r) => r.recordId), (chunk) => ctx.db.collectedRecord.findMany({ where: { recordId: { in: chunk } }, select: { recordId: true, model: true, anchorState: true } }));
      const state = new Map(records.map((r) => [r.recordId, r]));
      const offChainIds = due.filter((r) => state.get(r.recordId)?.anchorState === "off-chain").map((r) => r.id);
      if (offChainIds.length > 0) {
        await eachChunk(offChainIds, (chunk) => ctx.db.recordChange.updateMany({ where: { id: { in: chunk } }, data: { anchorState: "off-chain" } }));
        summary.offChain += offChainIds.length;
      }
      const sendable = due.filter((r) => state.get(r.recordId)?.anchorState === "anchored");
      if (sendable.length === 0) break;
      const mode = policy.models[state.get(sendable[0]!.recordId)!.model]?.mode ?? "clear-hash";
      await sendChanges(ctx, sendable, mode, summary);
      if (summary.failedBatches > 0) break;
    }
  }
  return summary;
}

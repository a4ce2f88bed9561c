// The anchoring worker: sends collected records and change records to the chain through the
// gateway, as the anchoring policy says — apart from collection, so that a hospital's collection
// never waits on the chain. Each send is written down before it leaves (an AnchorBatch in state
// "sending" owning its rows) and settled after; a batch found "sending" after a crash is settled by
// asking the gateway which of its records it knows, so nothing is anchored twice and nothing is lost.
import { platformError } from "@health-chain/sdk";
import type { Address, Hex } from "viem";
import type { HisDb, HisTx } from "../db.ts";
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

/** What the gateway holds of a record: its current version and the changes made to it. */
export interface AnchoredState {
  readonly version: number;
  readonly anchoring: "single" | "batch";
  readonly residentRef: Hex;
  /** Each change the gateway anchored, oldest first: its reason name and time (unix seconds). */
  readonly changes: readonly { readonly reason: string; readonly changedAt: number }[];
}

/** How the worker reaches the chain (the gateway in production and in the end-to-end tests). */
export interface Anchorer {
  anchorRecords(records: readonly AnchorRecordInput[], mode: AnchorMode): Promise<AnchorReceipt>;
  anchorRecord(record: AnchorRecordInput, mode: AnchorMode): Promise<AnchorReceipt>;
  /** A batch of changes of batch-anchored records (DataIndex changes batch). */
  anchorChanges(changes: readonly AnchorChangeInput[], mode: AnchorMode): Promise<AnchorReceipt>;
  /** One change of a singly anchored record (DataIndex.recordChange). */
  anchorChange(change: AnchorChangeInput, mode: AnchorMode): Promise<AnchorReceipt>;
  /** What the gateway holds of these records; a record it does not know is absent. */
  anchoredState(recordIds: readonly Hex[]): Promise<ReadonlyMap<Hex, AnchoredState>>;
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

/** Refusals about a named record that sending again will not change (the gateway's conflict reasons). */
const PERMANENT_CONFLICTS = new Set(["record-already-anchored", "anchored-unrecorded", "content-unchanged", "resident-ref-unchanged", "record-voided", "singly-anchored", "unknown-record", "anchor-mode-mismatch"]);

/**
 * The records a refusal blames, by position in what was sent, or null when it blames none (then the
 * batch is retried as it is at the next pass: a gateway that is down, overloaded or misconfigured
 * must not set accepted records aside for good).
 */
function blamedPositions(error: unknown, sentIds: readonly string[]): number[] | null {
  const e = error as { status?: unknown; details?: { index?: unknown; reason?: unknown; recordIds?: unknown } };
  const status = typeof e.status === "number" ? e.status : 0;
  if (status < 400 || status >= 500 || status === 408 || status === 429) return null;
  if (status === 409 && !PERMANENT_CONFLICTS.has(String(e.details?.reason))) return null;
  if (typeof e.details?.index === "number" && Number.isInteger(e.details.index) && sentIds[e.details.index] !== undefined) return [e.details.index];
  if (Array.isArray(e.details?.recordIds)) {
    const named = new Set((e.details.recordIds as unknown[]).map((id) => String(id).toLowerCase()));
    const positions = sentIds.flatMap((id, i) => (named.has(id.toLowerCase()) ? [i] : []));
    return positions.length > 0 ? positions : null;
  }
  return null;
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

/**
 * Marks the records of a batch anchored and, for any whose content changed while the batch was in
 * flight (a correction collected meanwhile), writes the change record the chain now needs.
 */
async function settleAnchored(tx: HisTx, batchId: number, recordIds: readonly string[], sent: Readonly<Record<string, string>>): Promise<void> {
  await eachChunk(recordIds, (chunk) => tx.collectedRecord.updateMany({ where: { recordId: { in: chunk } }, data: { anchorState: "anchored", anchorBatchId: batchId } }));
  const rows = await findChunked(recordIds, (chunk) => tx.collectedRecord.findMany({ where: { recordId: { in: chunk } }, select: { recordId: true, contentHash: true, contentJson: true, version: true, contentAt: true } }));
  for (const row of rows) {
    const anchoredHash = sent[row.recordId];
    if (anchoredHash === undefined || anchoredHash === row.contentHash) continue;
    const version = row.version + 1;
    await tx.recordChange.create({
      data: { recordId: row.recordId, version, previousContentHash: anchoredHash, newContentHash: row.contentHash, reason: "amendment", contentJson: row.contentJson, changedAt: row.contentAt },
    });
    await tx.collectedRecord.update({ where: { recordId: row.recordId }, data: { version } });
  }
}

/** Splits rows into sends of at most `size` records and about `maxBytes` of content (the gateway's body limit). */
function sendsOf<T extends { contentJson: string }>(rows: readonly T[], maxBytes = 4 * 1024 * 1024): T[][] {
  const sends: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = row.contentJson.length * 3 + 1024;
    if (current.length > 0 && bytes + size > maxBytes) {
      sends.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) sends.push(current);
  return sends;
}

/** Sends one batch of records (or a single record) and settles it. */
async function sendRecords(ctx: AnchoringContext, candidates: readonly RecordRow[], mode: AnchorMode, single: boolean, summary: AnchoringSummary): Promise<void> {
  const ids = candidates.map((r) => r.recordId);
  // Claimed and read in one transaction: what is sent is what the batch owns, and its hashes are kept.
  const { batch, rows, sent } = await ctx.db.$transaction(async (tx) => {
    const created = await tx.anchorBatch.create({ data: { kind: single ? "record" : "records", state: "sending", count: ids.length, policyJson: policyJson(ctx, { mode, model: candidates[0]?.model }) } });
    const owned = await eachChunk(ids, (chunk) => tx.collectedRecord.updateMany({ where: { recordId: { in: chunk }, anchorState: "pending", anchorBatchId: null }, data: { anchorBatchId: created.id } }));
    if (owned !== ids.length) throw platformError("CONFLICT", { message: "Records changed hands while a batch was formed.", messageZh: "组批时记录已被其他批次占用。", details: { batchId: created.id } });
    const claimed = await findChunked(ids, (chunk) => tx.collectedRecord.findMany({ where: { recordId: { in: chunk } } }));
    const hashes = Object.fromEntries(claimed.map((r) => [r.recordId, r.contentHash]));
    await tx.anchorBatch.update({ where: { id: created.id }, data: { sentJson: JSON.stringify(hashes) } });
    return { batch: created, rows: claimed, sent: hashes };
  });
  const inputs = rows.map((r) => recordInputOf(r, ctx.directory));
  try {
    const receipt = single ? await ctx.anchorer.anchorRecord(inputs[0]!, mode) : await ctx.anchorer.anchorRecords(inputs, mode);
    await ctx.db.$transaction(async (tx) => {
      await tx.anchorBatch.update({ where: { id: batch.id }, data: { state: "anchored", root: receipt.root, chainBatch: receipt.batchId, txHash: receipt.txHash, blockNumber: receipt.blockNumber, finishedAt: ctx.now?.() ?? new Date() } });
      await settleAnchored(tx, batch.id, rows.map((r) => r.recordId), sent);
    });
    summary.batches++;
    summary.records += rows.length;
  } catch (error) {
    summary.failedBatches++;
    await settleFailedRecords(ctx, batch.id, rows.map((r) => r.recordId), sent, error);
  }
}

/**
 * After a failed (or interrupted) send: what the gateway holds is marked anchored; the records a
 * refusal blames are set aside ("rejected", with the batch's error); the rest is pending again.
 */
async function settleFailedRecords(ctx: AnchoringContext, batchId: number, ids: readonly string[], sent: Readonly<Record<string, string>>, error: unknown): Promise<void> {
  let known: ReadonlyMap<Hex, AnchoredState>;
  try {
    known = await ctx.anchorer.anchoredState(ids as Hex[]);
  } catch (lookup) {
    // The gateway is unreachable: leave the batch "sending"; the next pass recovers it.
    ctx.log?.warn({ err: lookup, batchId }, "anchoring failed and the gateway cannot be asked what it anchored; the batch stays in flight");
    return;
  }
  const blamed = new Set((blamedPositions(error, ids) ?? []).map((i) => ids[i]!));
  await ctx.db.$transaction(async (tx) => {
    await tx.anchorBatch.update({ where: { id: batchId }, data: { state: "failed", errorJson: errorJson(error), finishedAt: ctx.now?.() ?? new Date() } });
    const anchored = ids.filter((id) => known.has(id as Hex));
    await settleAnchored(tx, batchId, anchored, sent);
    const rejected = ids.filter((id) => !known.has(id as Hex) && blamed.has(id));
    const retry = ids.filter((id) => !known.has(id as Hex) && !blamed.has(id));
    await eachChunk(rejected, (chunk) => tx.collectedRecord.updateMany({ where: { recordId: { in: chunk } }, data: { anchorBatchId: batchId, anchorState: "rejected" } }));
    await eachChunk(retry, (chunk) => tx.collectedRecord.updateMany({ where: { recordId: { in: chunk } }, data: { anchorBatchId: null, anchorState: "pending" } }));
  });
}

type ChangeRow = Awaited<ReturnType<HisDb["recordChange"]["findMany"]>>[number];

function changeInputOf(ctx: AnchoringContext, row: ChangeRow, record: RecordRow): AnchorChangeInput {
  const changedAt = Math.max(1, Math.floor(row.changedAt.getTime() / 1000));
  if (row.reason === "identity-merge") {
    // The content stays; the record moves to the surviving resident (and their wallet, off chain).
    return { recordId: row.recordId as Hex, reason: row.reason, changedAt, newResidentRef: row.newResidentRef as Hex, resident: ctx.directory.walletOf(record.personId) };
  }
  const fieldNames = JSON.parse(record.fieldsJson) as Record<string, string>;
  return {
    recordId: row.recordId as Hex,
    reason: row.reason,
    changedAt,
    record: JSON.parse(row.contentJson) as Record<string, unknown>,
    fields: Object.fromEntries(Object.entries(fieldNames).map(([member, field]) => [member, fieldIdOf(field)])),
  };
}

/**
 * Sends change records (one per record) and settles them: those of batch-anchored records as one
 * changes batch, those of singly anchored records one by one (DataIndex.recordChange).
 */
async function sendChanges(ctx: AnchoringContext, rows: readonly ChangeRow[], mode: AnchorMode, singly: ReadonlySet<string>, summary: AnchoringSummary): Promise<void> {
  const records = await findChunked(rows.map((r) => r.recordId), (chunk) => ctx.db.collectedRecord.findMany({ where: { recordId: { in: chunk } } }));
  const byId = new Map(records.map((r) => [r.recordId, r]));
  const groups = [rows.filter((r) => !singly.has(r.recordId)), ...rows.filter((r) => singly.has(r.recordId)).map((r) => [r])];
  for (const [g, group] of groups.entries()) {
    if (group.length === 0) continue;
    const single = g > 0;
    const batch = await ctx.db.$transaction(async (tx) => {
      const created = await tx.anchorBatch.create({ data: { kind: single ? "change" : "changes", state: "sending", count: group.length, policyJson: policyJson(ctx, { mode }) } });
      await eachChunk(group.map((r) => r.id), (chunk) => tx.recordChange.updateMany({ where: { id: { in: chunk } }, data: { anchorBatchId: created.id } }));
      return created;
    });
    const inputs = group.map((row) => changeInputOf(ctx, row, byId.get(row.recordId)!));
    try {
      const receipt = single ? await ctx.anchorer.anchorChange(inputs[0]!, mode) : await ctx.anchorer.anchorChanges(inputs, mode);
      await ctx.db.$transaction(async (tx) => {
        await tx.anchorBatch.update({ where: { id: batch.id }, data: { state: "anchored", root: receipt.root, chainBatch: receipt.batchId, txHash: receipt.txHash, blockNumber: receipt.blockNumber, finishedAt: ctx.now?.() ?? new Date() } });
        await tx.recordChange.updateMany({ where: { anchorBatchId: batch.id }, data: { anchorState: "anchored" } });
      });
      summary.batches++;
      summary.changes += group.length;
    } catch (error) {
      summary.failedBatches++;
      await settleFailedChanges(ctx, batch.id, group, error);
      return;
    }
  }
}

/** Whether the gateway holds this change: a change of the same reason at the same second (versions may differ where a change was refused). */
const holds = (state: AnchoredState | undefined, row: ChangeRow) =>
  state !== undefined && state.changes.some((c) => c.reason === row.reason && c.changedAt === Math.max(1, Math.floor(row.changedAt.getTime() / 1000)));

async function settleFailedChanges(ctx: AnchoringContext, batchId: number, rows: readonly ChangeRow[], error: unknown): Promise<void> {
  let known: ReadonlyMap<Hex, AnchoredState>;
  try {
    known = await ctx.anchorer.anchoredState(rows.map((r) => r.recordId as Hex));
  } catch (lookup) {
    ctx.log?.warn({ err: lookup, batchId }, "anchoring changes failed and the gateway cannot be asked what it anchored; the batch stays in flight");
    return;
  }
  const ids = rows.map((r) => r.recordId);
  const blamed = new Set(blamedPositions(error, ids) ?? []);
  await ctx.db.$transaction(async (tx) => {
    await tx.anchorBatch.update({ where: { id: batchId }, data: { state: "failed", errorJson: errorJson(error), finishedAt: ctx.now?.() ?? new Date() } });
    for (const [i, row] of rows.entries()) {
      const anchored = holds(known.get(row.recordId as Hex), row);
      const rejected = !anchored && blamed.has(i);
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
    if (batch.kind === "changes" || batch.kind === "change") {
      const rows = await ctx.db.recordChange.findMany({ where: { anchorBatchId: batch.id, anchorState: "pending" } });
      await settleFailedChanges(ctx, batch.id, rows, interrupted);
    } else {
      const rows = await ctx.db.collectedRecord.findMany({ where: { anchorBatchId: batch.id, anchorState: "pending" }, select: { recordId: true } });
      const sent = batch.sentJson ? (JSON.parse(batch.sentJson) as Record<string, string>) : {};
      await settleFailedRecords(ctx, batch.id, rows.map((r) => r.recordId), sent, interrupted);
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
  // A model the active policy anchors again: its records set aside under an earlier version come back.
  await ctx.db.collectedRecord.updateMany({ where: { anchorState: "off-chain", model: { in: anchoredModels } }, data: { anchorState: "pending", anchorBatchId: null } });
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
      for (const send of sendsOf(rows)) {
        await sendRecords(ctx, send, p.mode, cadence.kind === "per-record", summary);
        // After a failure the pass ends: the next pass retries (or settles) it, rather than a loop
        // sending batch after batch to a gateway that is down or refusing.
        if (summary.failedBatches > 0) return summary;
      }
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
      const records = await findChunked(due.map((r) => r.recordId), (chunk) => ctx.db.collectedRecord.findMany({ where: { recordId: { in: chunk } }, select: { recordId: true, model: true, anchorState: true, anchorBatchId: true } }));
      const state = new Map(records.map((r) => [r.recordId, r]));
      const offChainIds = due.filter((r) => state.get(r.recordId)?.anchorState === "off-chain").map((r) => r.id);
      if (offChainIds.length > 0) {
        await eachChunk(offChainIds, (chunk) => ctx.db.recordChange.updateMany({ where: { id: { in: chunk } }, data: { anchorState: "off-chain" } }));
        summary.offChain += offChainIds.length;
      }
      const sendable = due.filter((r) => state.get(r.recordId)?.anchorState === "anchored");
      if (sendable.length === 0) break;
      // Singly anchored records change through DataIndex.recordChange, one by one.
      const batchIds = [...new Set(records.map((r) => r.anchorBatchId).filter((id): id is number => id !== null))];
      const singleBatches = new Set((await findChunked(batchIds, (chunk) => ctx.db.anchorBatch.findMany({ where: { id: { in: chunk }, kind: "record" }, select: { id: true } }))).map((b) => b.id));
      const singly = new Set(records.filter((r) => r.anchorBatchId !== null && singleBatches.has(r.anchorBatchId)).map((r) => r.recordId));
      // A change follows its record's mode: one send per mode.
      const byMode = new Map<AnchorMode, ChangeRow[]>();
      for (const row of sendable) {
        const mode = policy.models[state.get(row.recordId)!.model]?.mode ?? "clear-hash";
        byMode.set(mode, [...(byMode.get(mode) ?? []), row]);
      }
      for (const [mode, group] of byMode) {
        await sendChanges(ctx, group, mode, singly, summary);
        if (summary.failedBatches > 0) return summary;
      }
    }
  }
  return summary;
}

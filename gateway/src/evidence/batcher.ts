// The evidence batcher: every `intervalMs` it takes the access-log lines not yet anchored, builds
// the Merkle batch over their SM3 hashes (docs/MERKLE.md), records the root with
// `AuditTrail.recordAccessBatch` as the platform's AUDIT_RECORDER institution, and stores each
// line's batch id, leaf index and proof.
//
// Several gateway processes share one database, so a run first *claims* its lines with a lease
// (`claimedBy`, `claimedUntil`), by a conditional update that only one process can win per line
// (SQLite serialises writers; PostgreSQL re-checks the condition of a row another transaction just
// updated). Before it sends anything the run writes the set's root and each line's leaf on the
// claimed lines (`pendingRoot`, `pendingLeaf`), all or nothing. From then on the set is fixed: a
// sent root may be mined even when the send reports a failure (receipt timeout, RPC error) or the
// process dies, so a failed run does not release such lines, and no run ever puts them in another
// set. Every run first completes the unfinished sets of this process and those whose lease ended:
// it takes the set over (by its leaf-0 line, a conditional update on the token it saw), rebuilds
// exactly those lines in leaf order, and stores the batch found on chain under that root
// (`accessBatchIdOf`) or sends the same root again; only then does it claim new lines. A failure
// before the set is written releases the claim at once. So a line is in exactly one batch on chain
// and every recorded batch is stored on its lines, whatever fails when.
import { randomUUID } from "node:crypto";
import { buildBatch, type MerkleBatch } from "@health-chain/sdk";
import type { Hex } from "viem";
import type { Logger } from "pino";
import type { Clock } from "../context.ts";
import type { GatewayDb } from "../db.ts";
import { Prisma } from "../generated/sqlite/client.ts";

/** The chain side of the batcher (built from the gateway's ChainAccess in `chainEvidenceRecorder`). */
export interface EvidenceRecorder {
  /** The AUDIT_RECORDER institution whose batches these are (`verifyAccessLine`'s `recorder`). */
  readonly recorder: Hex;
  /** The batch already recorded under `root` by this recorder, if any. */
  findBatch(root: Hex): Promise<RecordedBatch | undefined>;
  /** Records the root; rejects when the chain refuses or cannot be reached. */
  recordBatch(root: Hex, lineCount: number, fromTime: bigint, toTime: bigint): Promise<RecordedBatch>;
}

/** A recorded access batch. */
export interface RecordedBatch {
  readonly batchId: bigint;
  readonly txHash: Hex;
  readonly blockNumber: number;
}

export interface EvidenceBatcherOptions {
  readonly db: GatewayDb;
  readonly chain: EvidenceRecorder;
  readonly clock: Clock;
  readonly log: Logger;
  /** Time between runs (config AUDIT_BATCH_INTERVAL_MS). */
  readonly intervalMs: number;
  /** Most lines in one batch. Default 5,000. */
  readonly maxLines?: number;
  /** How long a claim holds; longer than a run can take. Default 5 minutes. */
  readonly leaseMs?: number;
}

/** What one run did. */
export interface BatchRun {
  /** Lines anchored by this run (0: nothing pending, or another process held them). */
  readonly lines: number;
  readonly batchId?: string;
  readonly txHash?: Hex;
}

export interface EvidenceBatcher {
  /** One run now (tests, shutdown). Runs never overlap within a process. */
  runOnce(): Promise<BatchRun>;
  /** Runs every `intervalMs` until `stop`. */
  start(): void;
  /** Stops the timer and waits for a run in progress. */
  stop(): Promise<void>;
}

const CLAIM_CHUNK = 500;
const WRITE_CHUNK = 250;

export function createEvidenceBatcher(options: EvidenceBatcherOptions): EvidenceBatcher {
  const { db, chain, clock, log } = options;
  const maxLines = options.maxLines ?? 5_000;
  const leaseMs = options.leaseMs ?? 5 * 60_000;
  const processId = randomUUID();
  let running: Promise<BatchRun> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const seconds = (d: Date) => BigInt(Math.floor(d.getTime() / 1000));
  /** Lines not yet in a set that no live claim holds. */
  const claimableAt = (now: Date) => ({ batchId: null, pendingRoot: null, OR: [{ claimedUntil: null }, { claimedUntil: { lt: now } }] });
  /** Sets (by their leaf-0 line) this run may complete: this process's own (its runs never overlap,
   * so an own set belongs to a run that failed) and those whose lease ended. */
  const unfinishedAt = (now: Date) => ({
    batchId: null,
    pendingRoot: { not: null },
    pendingLeaf: 0,
    OR: [{ claimedUntil: null }, { claimedUntil: { lt: now } }, { claimedBy: { startsWith: `${processId}:` } }],
  });
  const newToken = () => `${processId}:${randomUUID()}`;

  interface ClaimedLine {
    readonly id: string;
    readonly lineHash: string;
    readonly accessedAt: Date;
  }

  /** Finds `root` on chain or records it, then stores batch id, leaf index and proof on the lines
   * (in leaf order) that `token` holds, in one transaction that rolls back if any line is no
   * longer held (a run that outlived its lease: the process that took the set over stores it). */
  async function anchor(token: string, root: Hex, lines: readonly ClaimedLine[], batch: MerkleBatch): Promise<BatchRun> {
    const fromTime = seconds(lines[0]!.accessedAt);
    const toTime = seconds(lines[lines.length - 1]!.accessedAt);
    const recorded =
      (await chain.findBatch(root)) ??
      (await chain.recordBatch(root, lines.length, fromTime > 0n ? fromTime : 1n, toTime > 0n ? toTime : 1n));
    const batchId = recorded.batchId.toString();
    const writeStart = performance.now();
    // Each line's leaf index and proof, written a chunk of lines per statement (CASE over the ids):
    // one short write transaction even for thousands of lines, so reads that log meanwhile barely wait.
    await db.$transaction(
      async (tx) => {
        for (let i = 0; i < lines.length; i += WRITE_CHUNK) {
          const chunk = lines.slice(i, i + WRITE_CHUNK);
          const leafIndexes = Prisma.join(chunk.map((l, j) => Prisma.sql`WHEN ${l.id} THEN CAST(${i + j} AS INTEGER)`), " ");
          const proofs = Prisma.join(chunk.map((l, j) => Prisma.sql`WHEN ${l.id} THEN CAST(${JSON.stringify(batch.proof(i + j))} AS TEXT)`), " ");
          const written = await tx.$executeRaw`
            UPDATE "AccessLogLine"
            SET "batchId" = ${batchId}, "txHash" = ${recorded.txHash}, "blockNumber" = CAST(${recorded.blockNumber} AS INTEGER),
                "recorder" = ${chain.recorder}, "claimedUntil" = NULL, "pendingRoot" = NULL, "pendingLeaf" = NULL,
                "leafIndex" = CASE "id" ${leafIndexes} END, "proofJson" = CASE "id" ${proofs} END
            WHERE "claimedBy" = ${token} AND "batchId" IS NULL AND "pendingRoot" = ${root} AND "id" IN (${Prisma.join(chunk.map((l) => l.id))})`;
          if (written !== chunk.length) {
            log.error({ batchId, expected: chunk.length, written }, "access lines lost their claim while being batched; left to the process that took them over");
            throw new Error(`access evidence batch ${batchId}: the lines' claim passed to another process`);
          }
        }
      },
      { timeout: 120_000, maxWait: 30_000 },
    );
    log.info({ batchId, lines: lines.length, txHash: recorded.txHash, writeMs: Math.round(performance.now() - writeStart) }, "access evidence batch recorded");
    return { lines: lines.length, batchId, txHash: recorded.txHash };
  }

  /** Completes the unfinished set led by `leader`, unless another process takes it first. */
  async function complete(leader: { id: string; pendingRoot: string | null; claimedBy: string | null }, now: Date): Promise<BatchRun> {
    const root = leader.pendingRoot as Hex;
    const token = newToken();
    const lease = new Date(now.getTime() + leaseMs);
    // The set's lease is its leaf-0 line's: a conditional update on the token seen, won by one process.
    const taken = await db.accessLogLine.updateMany({
      where: { ...unfinishedAt(now), id: leader.id, pendingRoot: root, claimedBy: leader.claimedBy },
      data: { claimedBy: token, claimedUntil: lease },
    });
    if (taken.count === 0) return { lines: 0 };
    await db.accessLogLine.updateMany({ where: { pendingRoot: root, batchId: null }, data: { claimedBy: token, claimedUntil: lease } });
    const lines = await db.accessLogLine.findMany({
      where: { pendingRoot: root, batchId: null, claimedBy: token },
      orderBy: { pendingLeaf: "asc" },
      select: { id: true, lineHash: true, accessedAt: true, pendingLeaf: true },
    });
    if (lines.length === 0) return { lines: 0 }; // stored meanwhile by the run that outlived its lease
    const batch = buildBatch(lines.map((l) => l.lineHash));
    if (batch.root !== root || lines.some((l, i) => l.pendingLeaf !== i)) {
      // Cannot happen while sets are written and stored all or nothing; never send another root for them.
      log.error({ root, lines: lines.length }, "unfinished access evidence set does not rebuild its root; left for an operator");
      throw new Error(`unfinished access evidence set ${root} does not rebuild its root`);
    }
    log.warn({ root, lines: lines.length, from: leader.claimedBy }, "completing an access evidence batch whose run failed after fixing its set");
    return anchor(token, root, lines, batch);
  }

  /** Claims new lines, fixes their set, and anchors it. */
  async function batchNew(now: Date): Promise<BatchRun> {
    const claimable = claimableAt(now);
    const candidates = await db.accessLogLine.findMany({
      where: claimable,
      orderBy: [{ accessedAt: "asc" }, { id: "asc" }],
      take: maxLines,
      select: { id: true },
    });
    if (candidates.length === 0) return { lines: 0 };
    const token = newToken();
    // In chunks: a statement takes a bounded number of parameters (SQLite drivers allow few).
    for (let i = 0; i < candidates.length; i += CLAIM_CHUNK) {
      await db.accessLogLine.updateMany({
        where: { ...claimable, id: { in: candidates.slice(i, i + CLAIM_CHUNK).map((c) => c.id) } },
        data: { claimedBy: token, claimedUntil: new Date(now.getTime() + leaseMs) },
      });
    }
    const lines = await db.accessLogLine.findMany({
      where: { claimedBy: token, batchId: null, pendingRoot: null },
      orderBy: [{ accessedAt: "asc" }, { id: "asc" }],
      select: { id: true, lineHash: true, accessedAt: true },
    });
    if (lines.length === 0) return { lines: 0 };

    let batch: MerkleBatch;
    try {
      batch = buildBatch(lines.map((l) => l.lineHash));
      const root = batch.root;
      // Fix the set before sending: root and leaf on every line, or on none (then nothing is sent).
      await db.$transaction(
        async (tx) => {
          for (let i = 0; i < lines.length; i += WRITE_CHUNK) {
            const chunk = lines.slice(i, i + WRITE_CHUNK);
            const leaves = Prisma.join(chunk.map((l, j) => Prisma.sql`WHEN ${l.id} THEN CAST(${i + j} AS INTEGER)`), " ");
            const written = await tx.$executeRaw`
              UPDATE "AccessLogLine" SET "pendingRoot" = ${root}, "pendingLeaf" = CASE "id" ${leaves} END
              WHERE "claimedBy" = ${token} AND "batchId" IS NULL AND "pendingRoot" IS NULL AND "id" IN (${Prisma.join(chunk.map((l) => l.id))})`;
            if (written !== chunk.length) throw new Error("access lines lost their claim before their batch was sent");
          }
        },
        { timeout: 120_000, maxWait: 30_000 },
      );
    } catch (error) {
      // Nothing was sent: give the lines back at once rather than at the end of the lease.
      await db.accessLogLine
        .updateMany({ where: { claimedBy: token, batchId: null, pendingRoot: null }, data: { claimedBy: null, claimedUntil: null } })
        .catch((releaseError: unknown) => log.error({ err: releaseError }, "releasing evidence claim failed"));
      throw error;
    }
    // From here the set stays claimed on failure: the root may be on chain. The next run of this
    // process, or of another once the lease ends, completes it (`complete`).
    return anchor(token, batch.root, lines, batch);
  }

  async function run(): Promise<BatchRun> {
    const now = clock.now();
    let done: BatchRun = { lines: 0 };
    const add = (r: BatchRun) => {
      if (r.lines > 0) done = { lines: done.lines + r.lines, batchId: r.batchId!, txHash: r.txHash! };
    };
    const leaders = await db.accessLogLine.findMany({
      where: unfinishedAt(now),
      orderBy: [{ accessedAt: "asc" }, { id: "asc" }],
      select: { id: true, pendingRoot: true, claimedBy: true },
    });
    // A set that cannot be completed now (chain down) fails the run: new lines wait behind it.
    for (const leader of leaders) add(await complete(leader, now));
    add(await batchNew(now));
    return done;
  }

  const runOnce = (): Promise<BatchRun> => {
    running ??= run().finally(() => {
      running = undefined;
    });
    return running;
  };

  return {
    runOnce,
    start() {
      if (timer !== undefined) return;
      timer = setInterval(() => {
        runOnce().catch((error: unknown) => log.warn({ err: error }, "access evidence batch failed; lines stay pending"));
      }, options.intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      await running?.catch(() => undefined);
    },
  };
}

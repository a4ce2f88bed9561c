// The evidence batcher: every `intervalMs` it takes the access-log lines not yet anchored, builds
// the Merkle batch over their SM3 hashes (docs/MERKLE.md), records the root with
// `AuditTrail.recordAccessBatch` as the platform's AUDIT_RECORDER institution, and stores each
// line's batch id, leaf index and proof.
//
// Several gateway processes share one database, so a run first *claims* its lines with a lease
// (`claimedBy`, `claimedUntil`), by a conditional update that only one process can win per line
// (SQLite serialises writers; PostgreSQL re-checks the condition of a row another transaction just
// updated). A failed run releases its claim and the lines wait for the next run: never lost. A run
// that recorded its root but died before storing the result leaves the lines claimed until the lease
// ends; the next run over the same lines builds the same root (lines are ordered by time and id),
// finds it already recorded (`accessBatchIdOf`) and stores the result without recording it twice.
import { randomUUID } from "node:crypto";
import { buildBatch } from "@health-chain/sdk";
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

  async function run(): Promise<BatchRun> {
    const now = clock.now();
    const claimable = { batchId: null, OR: [{ claimedUntil: null }, { claimedUntil: { lt: now } }] };
    const candidates = await db.accessLogLine.findMany({
      where: claimable,
      orderBy: [{ accessedAt: "asc" }, { id: "asc" }],
      take: maxLines,
      select: { id: true },
    });
    if (candidates.length === 0) return { lines: 0 };
    const token = `${processId}:${randomUUID()}`;
    // In chunks: a statement takes a bounded number of parameters (SQLite drivers allow few).
    for (let i = 0; i < candidates.length; i += CLAIM_CHUNK) {
      await db.accessLogLine.updateMany({
        where: { ...claimable, id: { in: candidates.slice(i, i + CLAIM_CHUNK).map((c) => c.id) } },
        data: { claimedBy: token, claimedUntil: new Date(now.getTime() + leaseMs) },
      });
    }
    const lines = await db.accessLogLine.findMany({
      where: { claimedBy: token, batchId: null },
      orderBy: [{ accessedAt: "asc" }, { id: "asc" }],
      select: { id: true, lineHash: true, accessedAt: true },
    });
    if (lines.length === 0) return { lines: 0 };

    try {
      const batch = buildBatch(lines.map((l) => l.lineHash));
      const seconds = (d: Date) => BigInt(Math.floor(d.getTime() / 1000));
      const fromTime = seconds(lines[0]!.accessedAt);
      const toTime = seconds(lines[lines.length - 1]!.accessedAt);
      const recorded =
        (await chain.findBatch(batch.root)) ??
        (await chain.recordBatch(batch.root, lines.length, fromTime > 0n ? fromTime : 1n, toTime > 0n ? toTime : 1n));
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
                  "recorder" = ${chain.recorder}, "claimedUntil" = NULL,
                  "leafIndex" = CASE "id" ${leafIndexes} END, "proofJson" = CASE "id" ${proofs} END
              WHERE "claimedBy" = ${token} AND "batchId" IS NULL AND "id" IN (${Prisma.join(chunk.map((l) => l.id))})`;
            if (written !== chunk.length) {
              // Only when this run outlived its lease and another process took lines over.
              log.error({ batchId, expected: chunk.length, written }, "access lines lost their claim while being batched");
            }
          }
        },
        { timeout: 120_000, maxWait: 30_000 },
      );
      log.info({ batchId, lines: lines.length, txHash: recorded.txHash, writeMs: Math.round(performance.now() - writeStart) }, "access evidence batch recorded");
      return { lines: lines.length, batchId, txHash: recorded.txHash };
    } catch (error) {
      // Give the lines back at once rather than at the end of the lease; the next run retries them.
      await db.accessLogLine
        .updateMany({ where: { claimedBy: token, batchId: null }, data: { claimedBy: null, claimedUntil: null } })
        .catch((releaseError: unknown) => log.error({ err: releaseError }, "releasing evidence claim failed"));
      throw error;
    }
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

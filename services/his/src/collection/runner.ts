// Runs a collection task: reads its source page by page from the stored cursor, takes each page in
// (process.ts) and moves the cursor in the same transaction. A run that fails (the source or the
// database goes away, the process is killed) leaves the cursor at the last committed page; the next
// run resumes there, and item keys already received are recognised, so nothing is read twice into
// the records and nothing is lost. Two runs of one task never overlap.
import { platformError } from "@health-chain/sdk";
import type { PullAdapter, SourceItem } from "../adapters/types.ts";
import type { HisTx } from "../db.ts";
import { addCounts, emptyCounts, processPage, type PageCounts, type PipelineContext } from "./process.ts";
import type { QualityTally } from "./ports.ts";
import { cleanItem, outOfScope, taskOf, type Task } from "./tasks.ts";

export type RunTrigger = "schedule" | "manual" | "push" | "replay" | "resume";

/** A run that has not beaten its heart for this long is taken for dead (its process stopped). */
export const RUN_STALE_MS = 2 * 60_000;

export interface RunnerContext extends PipelineContext {
  /** Opens the task's source. */
  readonly adapterOf: (task: Task) => PullAdapter | Promise<PullAdapter>;
  /** A fresh quality tally for a run. */
  readonly tallyOf: () => QualityTally;
  readonly now?: () => Date;
}

export interface RunSummary extends PageCounts {
  readonly runId: number;
  readonly taskId: string;
  readonly status: "succeeded" | "failed";
  readonly pages: number;
  readonly filtered: number;
  readonly cursorFrom: string | null;
  readonly cursorTo: string | null;
  readonly error?: { code: string; message: string; messageZh: string };
}

function errorOf(error: unknown): { code: string; message: string; messageZh: string } {
  const e = error as { code?: unknown; message?: unknown; messageZh?: unknown };
  return {
    code: typeof e.code === "string" ? e.code : "INTERNAL",
    message: typeof e.message === "string" ? e.message : String(error),
    messageZh: typeof e.messageZh === "string" ? e.messageZh : "采集运行出错，详见英文信息。",
  };
}

/**
 * Opens a run of `task` unless one is live: a running run with a recent heartbeat is a CONFLICT;
 * a stale one is marked "interrupted" (its committed pages stay, the new run resumes after them).
 */
export async function openRun(ctx: Pick<RunnerContext, "db" | "now">, taskId: string, trigger: RunTrigger): Promise<{ runId: number; cursor: string | null }> {
  const now = ctx.now?.() ?? new Date();
  return ctx.db.$transaction(async (tx) => {
    const running = await tx.collectionRun.findMany({ where: { taskId, status: "running" } });
    for (const run of running) {
      if (now.getTime() - run.heartbeatAt.getTime() < RUN_STALE_MS) {
        throw platformError("CONFLICT", {
          message: `Task ${taskId} is already running (run ${run.id}, since ${run.startedAt.toISOString()}).`,
          messageZh: `采集任务 ${taskId} 正在运行（第 ${run.id} 次运行，开始于 ${run.startedAt.toISOString()}）。`,
          details: { taskId, runId: run.id },
        });
      }
      await tx.collectionRun.update({
        where: { id: run.id },
        data: { status: "interrupted", finishedAt: now, errorJson: JSON.stringify({ code: "INTERRUPTED", message: "The run stopped without finishing (no heartbeat); the next run resumed after its last committed page.", messageZh: "运行未正常结束（无心跳）；下次运行从其最后提交的页之后继续。" }) },
      });
    }
    const cursor = (await tx.taskCursor.findUnique({ where: { taskId } }))?.cursor ?? null;
    const run = await tx.collectionRun.create({ data: { taskId, trigger: running.length > 0 && trigger === "schedule" ? "resume" : trigger, status: "running", cursorFrom: cursor, startedAt: now, heartbeatAt: now } });
    await tx.collectionTask.update({ where: { id: taskId }, data: { runRequestedAt: null, runRequestedBy: null } });
    return { runId: run.id, cursor };
  });
}

/** Adds a page's counts to its run, beats the heart and moves the cursor — inside the page's transaction. */
async function commitPage(tx: HisTx, taskId: string, runId: number, counts: PageCounts, filtered: number, cursor: string | null | undefined, now: Date): Promise<void> {
  await tx.collectionRun.update({
    where: { id: runId },
    data: {
      read: { increment: counts.read },
      accepted: { increment: counts.accepted },
      duplicates: { increment: counts.duplicates },
      changes: { increment: counts.changes },
      quarantined: { increment: counts.quarantined },
      skipped: { increment: counts.skipped },
      filtered: { increment: filtered },
      pages: { increment: 1 },
      heartbeatAt: now,
      ...(cursor === undefined ? {} : { cursorTo: cursor }),
    },
  });
  if (cursor !== undefined) await tx.taskCursor.upsert({ where: { taskId }, create: { taskId, cursor }, update: { cursor } });
}

/** Closes a run with its status and quality report. */
export async function closeRun(ctx: Pick<RunnerContext, "db" | "now">, runId: number, status: "succeeded" | "failed", tally: QualityTally | null, error?: unknown): Promise<void> {
  const now = ctx.now?.() ?? new Date();
  await ctx.db.$transaction(async (tx) => {
    await tx.collectionRun.updateMany({ where: { id: runId, status: "running" }, data: { status, finishedAt: now, ...(error === undefined ? {} : { errorJson: JSON.stringify(errorOf(error)) }) } });
    if (tally) await tx.qualityReport.upsert({ where: { runId }, create: { runId, reportJson: JSON.stringify(tally.report()) }, update: { reportJson: JSON.stringify(tally.report()) } });
  });
}

/** Takes in a batch of items that arrived in one message (a FHIR push, an HL7 message) as one page of a run. */
export async function takeItems(
  ctx: RunnerContext,
  task: Task,
  runId: number,
  page: { items: readonly SourceItem[]; rejected: Parameters<typeof processPage>[1]["rejected"] },
  tally: QualityTally,
  options: { cursor?: string | null; replay?: boolean } = {},
): Promise<{ counts: PageCounts; filtered: number; outcomes: Awaited<ReturnType<typeof processPage>>["outcomes"] }> {
  const taken: SourceItem[] = [];
  let filtered = 0;
  for (const item of page.items) {
    const reason = outOfScope(task.scope, item);
    if (reason === null) taken.push(cleanItem(task.scope, item));
    else filtered++;
  }
  const now = ctx.now?.() ?? new Date();
  const { counts, outcomes } = await processPage(ctx, {
    taskId: task.id,
    runId,
    items: taken,
    rejected: page.rejected,
    tally,
    ...(options.replay ? { replay: true } : {}),
    alsoWrite: (tx, pageCounts) => commitPage(tx, task.id, runId, pageCounts, filtered, options.cursor, now),
  });
  return { counts, filtered, outcomes };
}

/** Runs a pulled task to the end of its source (or `maxPages`). */
export async function runTask(ctx: RunnerContext, taskId: string, trigger: RunTrigger, options: { maxPages?: number } = {}): Promise<RunSummary> {
  const task = await taskOf(ctx.db, taskId);
  const { runId, cursor: from } = await openRun(ctx, taskId, trigger);
  const totals = emptyCounts();
  const tally = ctx.tallyOf();
  let pages = 0;
  let filtered = 0;
  let cursor = from;
  let adapter: PullAdapter | undefined;
  // The heart beats while a slow page is being read, not only when one commits: a live run never looks dead.
  const heartbeat = setInterval(() => {
    void ctx.db.collectionRun.updateMany({ where: { id: runId, status: "running" }, data: { heartbeatAt: ctx.now?.() ?? new Date() } }).catch(() => undefined);
  }, RUN_STALE_MS / 4);
  heartbeat.unref();
  try {
    adapter = await ctx.adapterOf(task);
    for (;;) {
      const page = await adapter.pull(cursor, task.pageSize);
      const taken = await takeItems(ctx, task, runId, page, tally, { cursor: page.cursor ?? cursor });
      addCounts(totals, taken.counts);
      filtered += taken.filtered;
      pages++;
      cursor = page.cursor ?? cursor;
      if (page.done || (options.maxPages !== undefined && pages >= options.maxPages)) break;
    }
    await closeRun(ctx, runId, "succeeded", tally);
    return { runId, taskId, status: "succeeded", pages, filtered, cursorFrom: from, cursorTo: cursor, ...totals };
  } catch (error) {
    await closeRun(ctx, runId, "failed", tally, error);
    return { runId, taskId, status: "failed", pages, filtered, cursorFrom: from, cursorTo: cursor, ...totals, error: errorOf(error) };
  } finally {
    clearInterval(heartbeat);
    await adapter?.close();
  }
}

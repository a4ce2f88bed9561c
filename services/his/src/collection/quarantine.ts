// The quarantine (隔离区): items that could not be taken in, with the reason, visible to operators and
// re-playable after a fix (a dictionary mapping confirmed, the patient's registration arrived, the
// mapping rules corrected). A replay runs the items through the same pipeline as a run of their task
// (trigger "replay"); what is taken in leaves the quarantine as "replayed", what still fails stays
// open with one more attempt. Discarding keeps the item, marked, with who and why.
import { platformError } from "@health-chain/sdk";
import type { ParseResult, SourceFormat, SourceItem } from "../adapters/types.ts";
import { closeRun, openRun, takeItems, type RunnerContext } from "./runner.ts";
import { taskOf } from "./tasks.ts";

/** Re-reads what an adapter could not read (after its parser or configuration was fixed). */
export type Reparse = (format: SourceFormat, raw: string) => ParseResult | null;

export interface ReplaySummary {
  readonly runId: number;
  readonly taskId: string;
  readonly attempted: number;
  readonly released: number;
  readonly stillQuarantined: number;
}

/**
 * Replays the open quarantined items of a task (all, or the ids given) through the pipeline.
 * Items that failed after parsing restart from their parsed form; items the adapter could not
 * read are parsed again from their raw form with `reparse`.
 */
export async function replayQuarantine(ctx: RunnerContext & { reparse?: Reparse }, taskId: string, options: { ids?: readonly number[]; actor: string }): Promise<ReplaySummary> {
  const task = await taskOf(ctx.db, taskId);
  const rows = await ctx.db.quarantineItem.findMany({
    where: { taskId, status: "open", ...(options.ids ? { id: { in: [...options.ids] } } : {}) },
    orderBy: { id: "asc" },
  });
  if (options.ids && rows.length !== options.ids.length) {
    const found = new Set(rows.map((r) => r.id));
    const missing = options.ids.filter((id) => !found.has(id));
    throw platformError("NOT_FOUND", {
      message: `No open quarantined item ${missing.join(", ")} in task ${taskId}.`,
      messageZh: `采集任务 ${taskId} 中没有待处理的隔离条目 ${missing.join("、")}。`,
      details: { taskId, ids: missing },
    });
  }
  const { runId } = await openRun(ctx, taskId, "replay");
  await ctx.db.quarantineItem.updateMany({ where: { id: { in: rows.map((r) => r.id) } }, data: { replayRequestedAt: null, replayRequestedBy: null } });
  const tally = ctx.tallyOf();
  try {
    const items: SourceItem[] = [];
    const rejected: ParseResult["rejected"][number][] = [];
    const reparsed: { row: (typeof rows)[number]; result: ParseResult }[] = [];
    for (const row of rows) {
      if (row.itemJson !== null) {
        items.push(JSON.parse(row.itemJson) as SourceItem);
      } else if (ctx.reparse) {
        const result = ctx.reparse(row.format as SourceFormat, row.raw);
        if (result === null) continue; // this format cannot be re-read here: the item stays open
        reparsed.push({ row, result });
        items.push(...result.items);
        rejected.push(...result.rejected);
      }
    }
    const { outcomes } = await takeItems(ctx, task, runId, { items, rejected }, tally, { replay: true });
    // A message read again has left the quarantine only when nothing of it was refused or held again.
    const held = new Set(outcomes.filter((o) => o.outcome === "quarantined").map((o) => o.itemKey));
    for (const { row, result } of reparsed) {
      if (result.rejected.length === 0 && result.items.length > 0 && result.items.every((i) => !held.has(i.itemKey))) {
        await ctx.db.quarantineItem.update({ where: { id: row.id }, data: { status: "replayed", replayRunId: runId, resolvedBy: options.actor, resolvedAt: ctx.now?.() ?? new Date() } });
      }
    }
    await ctx.db.quarantineItem.updateMany({ where: { id: { in: rows.map((r) => r.id) }, status: "replayed", resolvedBy: null }, data: { resolvedBy: options.actor } });
    await closeRun(ctx, runId, "succeeded", tally);
  } catch (error) {
    await closeRun(ctx, runId, "failed", tally, error);
    throw error;
  }
  const after = await ctx.db.quarantineItem.findMany({ where: { id: { in: rows.map((r) => r.id) } }, select: { status: true } });
  const released = after.filter((r) => r.status === "replayed").length;
  return { runId, taskId, attempted: rows.length, released, stillQuarantined: rows.length - released };
}

/** Marks a quarantined item as discarded (kept, with who and why): it will not be replayed. */
export async function discardQuarantined(ctx: Pick<RunnerContext, "db">, id: number, actor: string, reason: string): Promise<void> {
  if (reason.trim() === "") {
    throw platformError("INVALID_INPUT", { message: "Say why the item is discarded.", messageZh: "请说明丢弃该条目的原因。", details: { id } });
  }
  const done = await ctx.db.quarantineItem.updateMany({ where: { id, status: "open" }, data: { status: "discarded", resolvedBy: actor, resolvedAt: new Date(), resolutionNote: reason.trim() } });
  if (done.count === 0) {
    throw platformError("NOT_FOUND", { message: `No open quarantined item ${id}.`, messageZh: `没有待处理的隔离条目 ${id}。`, details: { id } });
  }
}

// Pushed sources: a hospital system posts a FHIR R4 Bundle, or sends HL7 v2 ORU^R01 messages (over
// MLLP or HTTP). Each message is one page of a run of its task (trigger "push"), answered only after
// its page is committed — an acknowledged message is never lost — with what became of every item.
// Messages of one task are taken one at a time (runs of a task never overlap).
import type { ParseResult } from "../adapters/types.ts";
import type { QualityTally } from "./ports.ts";
import type { ItemOutcome, PageCounts } from "./process.ts";
import { closeRun, openRun, takeItems, type RunnerContext } from "./runner.ts";
import { taskOf } from "./tasks.ts";
import { platformError } from "@health-chain/sdk";

export interface PushResult {
  readonly runId: number;
  readonly counts: PageCounts & { filtered: number };
  readonly outcomes: readonly ItemOutcome[];
}

const queues = new WeakMap<object, Map<string, Promise<unknown>>>();

/** Runs `work` after the earlier pushes of the same task (per service context) have finished. */
function inTurn<T>(ctx: object, taskId: string, work: () => Promise<T>): Promise<T> {
  let perTask = queues.get(ctx);
  if (!perTask) queues.set(ctx, (perTask = new Map()));
  const previous = perTask.get(taskId) ?? Promise.resolve();
  const next = previous.then(work, work);
  const settled = next.then(
    () => undefined,
    () => undefined,
  );
  perTask.set(taskId, settled);
  void settled.then(() => {
    if (perTask.get(taskId) === settled) perTask.delete(taskId);
  });
  return next;
}

/** Takes in one pushed message, already parsed, as a run of `taskId`. */
export function takePushed(ctx: RunnerContext, taskId: string, parsed: ParseResult, format: string): Promise<PushResult> {
  return inTurn(ctx, taskId, async () => {
    const task = await taskOf(ctx.db, taskId);
    if (task.source.format !== format || !("push" in task.source) || task.source.push !== true) {
      throw platformError("INVALID_INPUT", {
        message: `Task ${taskId} does not take pushed ${format} messages.`,
        messageZh: `采集任务 ${taskId} 不接收推送的 ${format} 消息。`,
        details: { taskId, format },
      });
    }
    if (!task.enabled) {
      throw platformError("CONFLICT", { message: `Task ${taskId} is disabled.`, messageZh: `采集任务 ${taskId} 已停用。`, details: { taskId } });
    }
    const { runId } = await openRun(ctx, taskId, "push");
    const tally: QualityTally = ctx.tallyOf();
    try {
      const { counts, filtered, outcomes } = await takeItems(ctx, task, runId, parsed, tally);
      await closeRun(ctx, runId, "succeeded", tally);
      return { runId, counts: { ...counts, filtered }, outcomes };
    } catch (error) {
      await closeRun(ctx, runId, "failed", tally, error);
      throw error;
    }
  });
}

// The service's clock: runs each enabled task on its cron schedule, takes the runs operators ask for
// through the gateway (runRequestedAt), ticks the anchoring worker, and starts the T+1 anchoring run
// at the policy's nightly time. Definitions changed in the database are picked up at the next poll.
// Work never overlaps itself: one anchoring pass at a time, one run per task (runner.openRun).
import { Cron } from "croner";
import type { HisDb } from "../db.ts";
import { listTasks, type Task } from "./tasks.ts";

export interface SchedulerHooks {
  readonly db: HisDb;
  runTask(taskId: string, trigger: "schedule" | "manual"): Promise<unknown>;
  anchor(options: { nightly: boolean }): Promise<unknown>;
  /** Replays quarantined items an operator asked for (QuarantineItem.replayRequestedAt). */
  replay(taskId: string, ids: readonly number[], actor: string): Promise<unknown>;
  /** The T+1 anchoring time (cron) and its time zone. */
  readonly nightly: { readonly cron: string; readonly timezone: string };
  readonly pollMs?: number;
  readonly log?: { info(details: object, message: string): void; warn(details: object, message: string): void; error(details: object, message: string): void };
}

export interface Scheduler {
  /** Polls once now (tests, and start-up). */
  poll(): Promise<void>;
  stop(): Promise<void>;
}

/** A task with a schedule: the job and the definition it was made from. */
interface Scheduled {
  job: Cron;
  key: string;
}

export function startScheduler(hooks: SchedulerHooks): Scheduler {
  const jobs = new Map<string, Scheduled>();
  const running = new Set<Promise<unknown>>();
  let anchoring: Promise<unknown> | null = null;
  let stopped = false;

  const track = (work: Promise<unknown>, what: object, message: string) => {
    const guarded = work.catch((err: unknown) => hooks.log?.error({ err, ...what }, message));
    running.add(guarded);
    void guarded.finally(() => running.delete(guarded));
    return guarded;
  };

  const runOnce = (taskId: string, trigger: "schedule" | "manual") => track(hooks.runTask(taskId, trigger), { taskId, trigger }, "a collection run failed to start");

  let nightlyDue = false;
  const anchorOnce = (nightly: boolean): Promise<unknown> => {
    if (anchoring) {
      // A regular pass is running when the T+1 run is due: it runs right after, not a day later.
      if (nightly) nightlyDue = true;
      return anchoring;
    }
    const runNightly = nightly || nightlyDue;
    nightlyDue = false;
    anchoring = track(hooks.anchor({ nightly: runNightly }), { nightly: runNightly }, "an anchoring pass failed").finally(() => {
      anchoring = null;
      if (nightlyDue && !stopped) void anchorOnce(true);
    });
    return anchoring;
  };

  const nightlyJob = new Cron(hooks.nightly.cron, { timezone: hooks.nightly.timezone, protect: true }, () => {
    if (!stopped) void anchorOnce(true);
  });

  const keyOf = (task: Task) => `${task.schedule}|${task.timezone}|${task.enabled}`;

  async function poll(): Promise<void> {
    const tasks = await listTasks(hooks.db);
    const present = new Set<string>();
    for (const task of tasks) {
      present.add(task.id);
      const existing = jobs.get(task.id);
      const key = keyOf(task);
      if (existing && existing.key === key) continue;
      existing?.job.stop();
      jobs.delete(task.id);
      if (task.enabled && task.schedule) {
        const job = new Cron(task.schedule, { timezone: task.timezone, protect: true }, () => {
          if (!stopped) void runOnce(task.id, "schedule");
        });
        jobs.set(task.id, { job, key });
      }
    }
    for (const [id, scheduled] of jobs) {
      if (!present.has(id)) {
        scheduled.job.stop();
        jobs.delete(id);
      }
    }
    const requested = await hooks.db.collectionTask.findMany({ where: { runRequestedAt: { not: null } }, select: { id: true } });
    for (const { id } of requested) void runOnce(id, "manual");
    const replays = await hooks.db.quarantineItem.findMany({ where: { replayRequestedAt: { not: null }, status: "open" }, select: { id: true, taskId: true, replayRequestedBy: true } });
    const byTask = new Map<string, { ids: number[]; actor: string }>();
    for (const r of replays) {
      const entry = byTask.get(r.taskId) ?? { ids: [], actor: r.replayRequestedBy ?? "operator" };
      entry.ids.push(r.id);
      byTask.set(r.taskId, entry);
    }
    for (const [taskId, { ids, actor }] of byTask) void track(hooks.replay(taskId, ids, actor), { taskId }, "a requested replay failed");
    void anchorOnce(false);
  }

  const timer = setInterval(() => {
    if (!stopped) void poll().catch((err: unknown) => hooks.log?.error({ err }, "the scheduler's poll failed"));
  }, hooks.pollMs ?? 5_000);
  timer.unref();

  return {
    poll,
    async stop() {
      stopped = true;
      clearInterval(timer);
      nightlyJob.stop();
      for (const { job } of jobs.values()) job.stop();
      jobs.clear();
      await Promise.all([...running]);
    },
  };
}

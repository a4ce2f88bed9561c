// The topic refresh clock: one croner job per topic on its schedule (Asia/Shanghai). A topic is never
// built twice at once: a tick that finds its build still running is skipped and logged, and so is a
// manual refresh, which says so in its result.
import { Cron } from "croner";
import { platformError } from "@health-chain/sdk";
import { buildTopic, type BuildTopicResult } from "./build.ts";
import { TOPIC_TIME_ZONE, parseTopicDefinitions, type TopicDefinition } from "./definition.ts";
import type { HisRecordSource } from "./source.ts";

/** pino's shape, as services/his's scheduler takes it. */
export interface TopicLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface TopicSchedulerOptions {
  readonly directory: string;
  readonly his: HisRecordSource;
  /** Topic definitions as JSON (validated here) or already validated. */
  readonly definitions: readonly unknown[];
  readonly logger?: TopicLogger;
  readonly now?: () => Date;
  /** Versions kept per topic (default 3). */
  readonly keep?: number;
}

export type RefreshResult = BuildTopicResult | { readonly status: "skipped"; readonly reason: "build-running" };

export interface TopicScheduler {
  readonly topics: readonly TopicDefinition[];
  /** Builds a topic now, unless its build is already running. */
  refreshTopicNow(name: string): Promise<RefreshResult>;
  /** The next scheduled build of a topic. */
  nextRun(name: string): Date | null;
  /** Stops every job and waits for the builds under way. */
  stop(): Promise<void>;
}

/** Validates the definitions (INVALID_INPUT, nothing started) and schedules one job per topic. */
export function startTopicScheduler(options: TopicSchedulerOptions): TopicScheduler {
  const topics = parseTopicDefinitions(options.definitions);
  const byName = new Map(topics.map((topic) => [topic.name, topic]));
  const running = new Map<string, Promise<RefreshResult>>();
  let stopped = false;

  const build = (definition: TopicDefinition, trigger: "schedule" | "manual"): Promise<RefreshResult> => {
    if (running.has(definition.name)) {
      options.logger?.warn({ topic: definition.name, trigger }, "a topic build is still running; this one is skipped");
      return Promise.resolve({ status: "skipped", reason: "build-running" });
    }
    const work = buildTopic({
      directory: options.directory,
      his: options.his,
      definition,
      ...(options.keep !== undefined && { keep: options.keep }),
      ...(options.now && { now: options.now }),
    })
      .then((result) => {
        options.logger?.info({ topic: definition.name, trigger, status: result.status, version: result.manifest.version }, "topic build finished");
        return result;
      })
      .finally(() => running.delete(definition.name));
    running.set(definition.name, work);
    return work;
  };

  const jobs = topics.map(
    (definition) =>
      new Cron(definition.schedule, { timezone: TOPIC_TIME_ZONE, name: `topic:${definition.name}` }, () => {
        if (stopped) return;
        build(definition, "schedule").catch((err: unknown) => options.logger?.error({ err, topic: definition.name }, "a scheduled topic build failed"));
      }),
  );

  return {
    topics,
    refreshTopicNow(name) {
      const definition = byName.get(name);
      if (!definition) {
        return Promise.reject(
          platformError("NOT_FOUND", { details: { topic: name }, message: `No topic is named "${name}".`, messageZh: `没有名为“${name}”的专题库。` }),
        );
      }
      return build(definition, "manual");
    },
    nextRun(name) {
      return jobs.find((job) => job.name === `topic:${name}`)?.nextRun() ?? null;
    },
    async stop() {
      stopped = true;
      for (const job of jobs) job.stop();
      await Promise.allSettled([...running.values()]);
    },
  };
}

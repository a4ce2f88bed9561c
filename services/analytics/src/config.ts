// The analytics service's configuration: a JSON file (paths relative to it) with environment
// overrides. The gateway SM2 key the worker anchors export packages with never lives in it.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { platformError } from "@health-chain/sdk";
import { systemGatewayProblems, systemGatewaySchema } from "../../../gateway/src/system-key.ts";
import { parseTopicDefinitions, type TopicDefinition } from "./topics/index.ts";

const fileSchema = z
  .object({
    mode: z.enum(["dev", "production"]).default("production"),
    /** The service's database: `file:` (SQLite, relative to this file) or `postgres(ql)://`. */
    databaseUrl: z.string().min(1),
    /** The collection service's database (services/his): the standardised records topics are built from. */
    hisDatabaseUrl: z.string().min(1),
    /** Where the topic databases live (one folder per topic, one per version). */
    topicDirectory: z.string().min(1),
    /** Versions kept per topic. */
    keepVersions: z.number().int().min(1).max(100).default(3),
    /** The topic definitions (docs/topics.md), each with its cron schedule. */
    topics: z.array(z.unknown()).min(1),
    /** How the worker anchors package hashes: as the operator's institution system in the gateway. */
    gateway: systemGatewaySchema,
    worker: z.object({ pollMs: z.number().int().min(100).default(5000) }).strict().prefault({}),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .strict();

export type AnalyticsConfig = Omit<z.infer<typeof fileSchema>, "topics"> & { readonly topics: TopicDefinition[]; readonly source: string };

function invalid(problems: string[], source: string): Error {
  return platformError("INVALID_INPUT", {
    message: `The analytics service configuration ${source} is not valid: ${problems.join("; ")}`,
    messageZh: `科研分析服务配置 ${source} 无效：${problems.join("；")}`,
    details: { source, problems },
  });
}

/**
 * Checks a configuration object; relative paths are resolved against `baseDir`. `env` overrides:
 * ANALYTICS_DATABASE_URL, ANALYTICS_HIS_DATABASE_URL, ANALYTICS_TOPIC_DIR, ANALYTICS_GATEWAY_URL, ANALYTICS_LOG_LEVEL.
 */
export function parseAnalyticsConfig(value: unknown, options: { baseDir: string; env?: NodeJS.ProcessEnv; source?: string }): AnalyticsConfig {
  const env = options.env ?? {};
  const source = options.source ?? "(object)";
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(["(root): an object"], source);
  const raw = structuredClone(value) as Record<string, unknown>;
  if (env.ANALYTICS_DATABASE_URL) raw.databaseUrl = env.ANALYTICS_DATABASE_URL;
  if (env.ANALYTICS_HIS_DATABASE_URL) raw.hisDatabaseUrl = env.ANALYTICS_HIS_DATABASE_URL;
  if (env.ANALYTICS_TOPIC_DIR) raw.topicDirectory = env.ANALYTICS_TOPIC_DIR;
  if (env.ANALYTICS_GATEWAY_URL) raw.gateway = { ...((raw.gateway as object | undefined) ?? {}), baseUrl: env.ANALYTICS_GATEWAY_URL };
  if (env.ANALYTICS_LOG_LEVEL) raw.logLevel = env.ANALYTICS_LOG_LEVEL;
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) throw invalid(parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`), source);
  const c = parsed.data;
  const problems = systemGatewayProblems(c.gateway, c.mode);
  if (problems.length > 0) throw invalid(problems, source);
  const path = (p: string) => (isAbsolute(p) ? p : resolve(options.baseDir, p));
  const fileUrl = (url: string) => {
    const rest = url.slice("file:".length);
    return url.startsWith("file:") && !rest.startsWith("/") && rest !== ":memory:" ? `file:${path(rest)}` : url;
  };
  return {
    ...c,
    databaseUrl: fileUrl(c.databaseUrl),
    hisDatabaseUrl: fileUrl(c.hisDatabaseUrl),
    topicDirectory: path(c.topicDirectory),
    topics: parseTopicDefinitions(c.topics),
    gateway: { ...c.gateway, ...(c.gateway.keyFile ? { keyFile: path(c.gateway.keyFile) } : {}) },
    source,
  };
}

/** Reads and checks the configuration file with the process environment's overrides. */
export function loadAnalyticsConfig(file: string, env: NodeJS.ProcessEnv = process.env): AnalyticsConfig {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw platformError("INVALID_INPUT", {
      message: `Cannot read the analytics service configuration ${file}: ${(cause as Error).message}`,
      messageZh: `无法读取科研分析服务配置 ${file}：${(cause as Error).message}`,
      details: { file },
      cause,
    });
  }
  return parseAnalyticsConfig(value, { baseDir: dirname(resolve(file)), env, source: file });
}

// A topic (专题库): a named research subset of the district's standardised data, defined by
// screening criteria (or none: the whole population), refreshed on a cron schedule. Definitions are
// validated once here; every refusal is INVALID_INPUT naming the field (JSON Pointer) in English and
// Chinese, and the criteria's own refusals keep their node path under /criteria.
import { fingerprint, isPlatformError, platformError, type HealthChainError } from "@health-chain/sdk";
import { Cron } from "croner";
import type { Hex } from "viem";
import { z } from "zod";
import { parseCriteria } from "../criteria/parse.ts";
import { toPointer } from "../criteria/refuse.ts";
import { isIsoDate, type Criteria } from "../criteria/schema.ts";

/** The time zone of topic schedules and of the build date. */
export const TOPIC_TIME_ZONE = "Asia/Shanghai";

const bilingual = z.strictObject({ zh: z.string().trim().min(1), en: z.string().trim().min(1) });

const TopicDefinitionSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/).max(64),
  title: bilingual,
  description: bilingual.optional(),
  criteria: z.unknown(),
  schedule: z.string().trim().min(1),
  indexDate: z.union([z.literal("build-date"), z.string().refine(isIsoDate)]).default("build-date"),
});

/** A validated topic definition. */
export interface TopicDefinition {
  /** Lower-case slug: the topic's directory name. */
  readonly name: string;
  readonly title: { readonly zh: string; readonly en: string };
  readonly description?: { readonly zh: string; readonly en: string };
  /** null: the whole population (the "all" topic). */
  readonly criteria: Criteria | null;
  /** Cron pattern (croner: 5 fields, or 6 with seconds), in Asia/Shanghai. */
  readonly schedule: string;
  /** Ages are computed at this date: the build's local date ("build-date") or a fixed YYYY-MM-DD. */
  readonly indexDate: string;
}

function refusal(path: readonly (string | number)[], reason: string, en: string, zh: string, details: Record<string, unknown> = {}): HealthChainError {
  const pointer = toPointer(path);
  return platformError("INVALID_INPUT", {
    details: { path: pointer, reason, ...details },
    message: `Invalid topic definition at ${pointer || "the root"}: ${en}`,
    messageZh: `专题库定义在 ${pointer || "根节点"} 处无效：${zh}`,
  });
}

const FIELD_HINTS: Readonly<Record<string, readonly [string, string]>> = {
  name: ["a lower-case slug of letters, digits and single hyphens, at most 64 characters (e.g. \"diabetes-2\").", "须为小写字母、数字和单个连字符组成的标识，最多 64 个字符（如“diabetes-2”）。"],
  title: ["a title in Chinese and English, { zh, en }, neither empty.", "须为中英文标题 { zh, en }，均不得为空。"],
  description: ["a description in Chinese and English, { zh, en }, neither empty.", "须为中英文说明 { zh, en }，均不得为空。"],
  schedule: ["a cron pattern (e.g. \"0 2 * * *\").", "须为 cron 表达式（如“0 2 * * *”）。"],
  indexDate: ["\"build-date\" or a calendar date written YYYY-MM-DD.", "须为“build-date”或 YYYY-MM-DD 格式的有效日期。"],
};

function zodRefusal(issue: z.core.$ZodIssue): HealthChainError {
  const path = issue.path.map((part) => (typeof part === "symbol" ? String(part) : part));
  if (issue.code === "unrecognized_keys") {
    return refusal(path, "unknown-key", `unknown field(s) ${issue.keys.join(", ")}.`, `未知字段 ${issue.keys.join("、")}。`);
  }
  const field = String(issue.path[0] ?? "");
  const missing = issue.code === "invalid_type" && issue.input === undefined;
  const [en, zh] = FIELD_HINTS[field] ?? ["must be a JSON object.", "须为 JSON 对象。"];
  return refusal(path, missing ? "missing" : "invalid", `${missing ? "required: " : ""}${en}`, `${missing ? "必填：" : ""}${zh}`);
}

function nextRunOf(schedule: string): Date | null {
  try {
    const probe = new Cron(schedule, { timezone: TOPIC_TIME_ZONE, paused: true });
    const next = probe.nextRun();
    probe.stop();
    return next;
  } catch (error) {
    throw refusal(["schedule"], "invalid-cron", `not a cron pattern (${(error as Error).message}).`, "不是有效的 cron 表达式。", { schedule });
  }
}

function checkSchedule(schedule: string): void {
  if (nextRunOf(schedule) === null) throw refusal(["schedule"], "never-runs", "the pattern never fires.", "该表达式永远不会触发。", { schedule });
}

// The criteria's refusal, moved under /criteria so the path is the definition's.
function checkCriteria(criteria: unknown): Criteria | null {
  if (criteria === null) return null;
  try {
    return parseCriteria(criteria);
  } catch (error) {
    if (!isPlatformError(error, "INVALID_INPUT")) throw error;
    const inner = String((error.details as { path?: unknown } | undefined)?.path ?? "");
    const pointer = `/criteria${inner}`;
    throw platformError("INVALID_INPUT", {
      details: { ...(error.details as object), path: pointer },
      message: `Invalid topic definition at ${pointer}: ${error.message}`,
      messageZh: `专题库定义在 ${pointer} 处无效：${error.messageZh}`,
    });
  }
}

/**
 * Validates a topic definition from untrusted JSON. `criteria` is required: a criteria tree, or
 * null for the whole population. Throws INVALID_INPUT naming the field at fault.
 */
export function parseTopicDefinition(input: unknown): TopicDefinition {
  const parsed = TopicDefinitionSchema.safeParse(input);
  if (!parsed.success) throw zodRefusal(parsed.error.issues[0]!);
  const value = parsed.data;
  if (!("criteria" in (input as object)) || value.criteria === undefined) {
    throw refusal(["criteria"], "missing", "required: a criteria tree, or null for the whole population.", "必填：检索条件树，或 null 表示全体人群。");
  }
  checkSchedule(value.schedule);
  const criteria = checkCriteria(value.criteria);
  return {
    name: value.name,
    title: value.title,
    ...(value.description && { description: value.description }),
    criteria,
    schedule: value.schedule,
    indexDate: value.indexDate,
  };
}

/** Validates a set of definitions: each one, and their names unique. */
export function parseTopicDefinitions(inputs: readonly unknown[]): TopicDefinition[] {
  const seen = new Set<string>();
  return inputs.map((input, index) => {
    let definition: TopicDefinition;
    try {
      definition = parseTopicDefinition(input);
    } catch (error) {
      if (!isPlatformError(error, "INVALID_INPUT")) throw error;
      const path = `/${index}${String((error.details as { path?: unknown } | undefined)?.path ?? "")}`;
      throw platformError("INVALID_INPUT", {
        details: { ...(error.details as object), path, index },
        message: `Topic definition ${index} (at ${path}): ${error.message}`,
        messageZh: `第 ${index} 个专题库定义（${path}）：${error.messageZh}`,
      });
    }
    if (seen.has(definition.name)) {
      throw refusal([index, "name"], "duplicate-name", `another topic is already named "${definition.name}".`, `已有名为“${definition.name}”的专题库。`);
    }
    seen.add(definition.name);
    return definition;
  });
}

const DEFINITION_DOMAIN = "health-chain/analytics/topic-definition/v1";

/**
 * The definition's fingerprint (SM3 of canonical JSON). The schedule is left out: when a topic is
 * refreshed does not change what it holds, so rescheduling alone never makes a new version.
 */
export function definitionHash(definition: TopicDefinition): Hex {
  const { name, title, description, criteria, indexDate } = definition;
  return fingerprint({ domain: DEFINITION_DOMAIN, name, title, ...(description && { description }), criteria, indexDate });
}

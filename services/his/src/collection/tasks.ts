// Collection tasks (采集任务): which source, on what schedule, with what scope and cleaning rules.
// Defined and changed through the gateway's admin routes or the CLI; validated here, once, with
// typed errors in English and Chinese.
import { platformError } from "@health-chain/sdk";
import { Cron } from "croner";
import { z } from "zod";
import type { SourceItem } from "../adapters/types.ts";
import type { HisDb } from "../db.ts";
import { RECORD_KINDS } from "../model/schema.ts";

const SourceSchema = z.discriminatedUnion("format", [
  z.object({
    format: z.literal("sql"),
    /** The intermediate database's URL (`file:` or `postgres://`), or the name of the environment variable holding it (credentials stay out of the database). */
    url: z.string().min(1).optional(),
    urlEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
  }),
  z.object({ format: z.literal("fhir-r4"), baseUrl: z.url().optional(), push: z.boolean().optional() }),
  z.object({ format: z.literal("hl7v2"), push: z.literal(true) }),
]);

export const ScopeSchema = z
  .object({
    /** Institution codes to take; absent: all. */
    institutions: z.array(z.string().min(1)).optional(),
    kinds: z.array(z.enum(RECORD_KINDS)).optional(),
    /** Items changed before `from` or at/after `to` (ISO 8601) are out of scope. */
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    cleaning: z
      .object({
        /** Trim surrounding white space of text members (default true). */
        trim: z.boolean().optional(),
        /** Full-width ASCII (０-９, Ａ-Ｚ …, common in Chinese input) to half-width in text members (default true). */
        halfWidth: z.boolean().optional(),
        /** Registrations whose name marks a test patient (测试, test) are filtered out (default true). */
        dropTestPatients: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export type TaskScope = z.infer<typeof ScopeSchema>;

export const TaskInputSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "lower-case letters, digits and -"),
    name: z.string().min(1).max(200),
    source: SourceSchema,
    schedule: z.string().nullable().optional(),
    timezone: z.string().optional(),
    scope: ScopeSchema.optional(),
    pageSize: z.number().int().min(1).max(5000).optional(),
    enabled: z.boolean().optional(),
  })
  .strict();

export type TaskInput = z.infer<typeof TaskInputSchema>;
export type TaskSource = z.infer<typeof SourceSchema>;

export interface Task {
  readonly id: string;
  readonly name: string;
  readonly source: TaskSource;
  readonly schedule: string | null;
  readonly timezone: string;
  readonly scope: TaskScope;
  readonly pageSize: number;
  readonly enabled: boolean;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

function invalid(message: string, messageZh: string, details: Record<string, unknown>): never {
  throw platformError("INVALID_INPUT", { message, messageZh, details });
}

/** Checks a cron expression (5 or 6 fields) and time zone; returns the next run time. */
export function checkSchedule(schedule: string, timezone: string): Date | null {
  try {
    return new Cron(schedule, { timezone, paused: true }).nextRun();
  } catch (error) {
    invalid(`The schedule "${schedule}" (${timezone}) is not a valid cron expression: ${(error as Error).message}`, `采集计划“${schedule}”（${timezone}）不是有效的 cron 表达式。`, {
      schedule,
      timezone,
    });
  }
}

/** Validates a task definition (typed INVALID_INPUT naming the bad member). */
export function parseTaskInput(input: unknown): TaskInput {
  const parsed = TaskInputSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.join(".");
    invalid(`Invalid collection task: ${path || "(task)"}: ${issue.message}.`, `采集任务无效：${path || "（任务）"}：${issue.message}。`, { path, issues: parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) });
  }
  const task = parsed.data;
  if (task.source.format === "sql" && (task.source.url === undefined) === (task.source.urlEnv === undefined)) {
    invalid("An SQL source needs exactly one of url and urlEnv.", "SQL 数据源须且只能设置 url 或 urlEnv 之一。", { path: "source" });
  }
  if (task.source.format === "fhir-r4" && task.source.baseUrl === undefined && task.source.push !== true) {
    invalid("A FHIR source is either pulled (baseUrl) or pushed (push: true).", "FHIR 数据源须设置拉取地址 baseUrl 或推送 push: true。", { path: "source" });
  }
  if (task.schedule) checkSchedule(task.schedule, task.timezone ?? "Asia/Shanghai");
  if (task.scope?.from && task.scope.to && Date.parse(task.scope.from) >= Date.parse(task.scope.to)) {
    invalid("The scope's from must be before its to.", "采集范围的起始时间须早于结束时间。", { path: "scope" });
  }
  return task;
}

type TaskRow = Awaited<ReturnType<HisDb["collectionTask"]["findUniqueOrThrow"]>>;

export function taskOfRow(row: TaskRow): Task {
  return {
    id: row.id,
    name: row.name,
    source: JSON.parse(row.sourceJson) as TaskSource,
    schedule: row.schedule,
    timezone: row.timezone,
    scope: JSON.parse(row.scopeJson) as TaskScope,
    pageSize: row.pageSize,
    enabled: row.enabled,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** Creates a task, or replaces the definition of the task with that id (its runs and cursor stay). */
export async function saveTask(db: HisDb, input: unknown, actor: string): Promise<Task> {
  const task = parseTaskInput(input);
  const data = {
    name: task.name,
    format: task.source.format,
    sourceJson: JSON.stringify(task.source),
    schedule: task.schedule ?? null,
    timezone: task.timezone ?? "Asia/Shanghai",
    scopeJson: JSON.stringify(task.scope ?? {}),
    pageSize: task.pageSize ?? 1000,
    enabled: task.enabled ?? true,
  };
  const row = await db.collectionTask.upsert({ where: { id: task.id }, create: { id: task.id, createdBy: actor, ...data }, update: data });
  return taskOfRow(row);
}

export async function taskOf(db: HisDb, id: string): Promise<Task> {
  const row = await db.collectionTask.findUnique({ where: { id } });
  if (!row) throw platformError("NOT_FOUND", { message: `No collection task "${id}".`, messageZh: `没有采集任务“${id}”。`, details: { taskId: id } });
  return taskOfRow(row);
}

export async function listTasks(db: HisDb): Promise<Task[]> {
  return (await db.collectionTask.findMany({ orderBy: { id: "asc" } })).map(taskOfRow);
}

// ---------------------------------------------------------------- scope and cleaning

const FULL_WIDTH = /[\uFF01-\uFF5E]/g;

function cleanText(value: string, trim: boolean, halfWidth: boolean): string {
  let out = halfWidth ? value.replace(FULL_WIDTH, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\u3000/g, " ") : value;
  if (trim) out = out.trim();
  return out;
}

const TEST_PATIENT = /测试|test/i;

/** Why an item is left out by the task's scope or cleaning rules, or null when it is taken. */
export function outOfScope(scope: TaskScope, item: SourceItem): string | null {
  if (scope.institutions && !scope.institutions.includes(item.institutionCode)) return "institution-out-of-scope";
  if (scope.kinds && !scope.kinds.includes(item.kind)) return "kind-out-of-scope";
  const at = Date.parse(item.changedAt);
  if (scope.from && at < Date.parse(scope.from)) return "before-scope";
  if (scope.to && at >= Date.parse(scope.to)) return "after-scope";
  if ((scope.cleaning?.dropTestPatients ?? true) && item.kind === "patient" && typeof item.fields.name === "string" && TEST_PATIENT.test(item.fields.name)) return "test-patient";
  return null;
}

/** The item after the cleaning rules (text members trimmed and brought to half-width). */
export function cleanItem(scope: TaskScope, item: SourceItem): SourceItem {
  const trim = scope.cleaning?.trim ?? true;
  const halfWidth = scope.cleaning?.halfWidth ?? true;
  if (!trim && !halfWidth) return item;
  let changed = false;
  const fields: Record<string, SourceItem["fields"][string]> = {};
  for (const [member, value] of Object.entries(item.fields)) {
    if (typeof value === "string") {
      const clean = cleanText(value, trim, halfWidth);
      if (clean !== value) changed = true;
      fields[member] = clean;
    } else {
      fields[member] = value;
    }
  }
  return changed ? { ...item, fields } : item;
}

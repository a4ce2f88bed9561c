// /v1/collection: the collection service's state for the admin screens (采集任务管理) — tasks with
// their schedule, cursor and runs, run history with volumes and errors, per-run quality reports,
// the quarantine and the anchoring queue — read from the service's own database (services/his).
// The gateway never collects: to start a run or replay quarantined items it writes the operator's
// request (CollectionTask.runRequestedAt, QuarantineItem.replayRequestedAt), which the service's
// scheduler takes within seconds. Task definitions are validated by the service's own code
// (saveTask), so the gateway and the service's CLI accept exactly the same tasks.
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { platformError } from "@health-chain/sdk";
import type { GatewayDeps, GatewayEnv } from "../context.ts";
import { audited, recordAudit } from "../audit-log.ts";
import { errorResponses } from "../errors.ts";
import { principalOf } from "../middleware/auth.ts";
import { hasRole, requirePermission } from "../middleware/rbac.ts";
import { BEARER, createRouter } from "../router.ts";
import type { HisDb } from "../../../services/his/src/db.ts";
import { discardQuarantined } from "../../../services/his/src/collection/quarantine.ts";
import { RUN_STALE_MS } from "../../../services/his/src/collection/runner.ts";
import { checkSchedule, saveTask, taskOf, taskOfRow, type Task, type TaskSource } from "../../../services/his/src/collection/tasks.ts";
import { parseAnchoringPolicy } from "../../../services/his/src/anchoring/policy.ts";
import { configHistory, publishConfig } from "../../../services/his/src/config/versions.ts";

// ---------------------------------------------------------------- schemas

const TASK_ID = /^[a-z0-9][a-z0-9-]{1,62}$/;
const TaskIdParam = z.object({
  taskId: z.string().regex(TASK_ID, "not a task id (lower-case letters, digits and -)").openapi({ param: { name: "taskId", in: "path" }, example: "his-hospital-t1" }),
});
const RowId = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const RunIdParam = z.object({ runId: RowId.openapi({ param: { name: "runId", in: "path" }, example: 1 }) });
const ItemIdParam = z.object({ id: RowId.openapi({ param: { name: "id", in: "path" }, example: 1 }) });

const Cursor = z.string().regex(/^\d{1,15}$/, "not a cursor").optional().openapi({ description: "nextCursor of the previous page" });
const Limit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);
const When = z.string().datetime({ offset: true });

const RunErrorSchema = z.object({ code: z.string(), message: z.string(), messageZh: z.string() }).openapi("CollectionRunError");

const RunSchema = z
  .object({
    id: z.number().int(),
    taskId: z.string(),
    trigger: z.string().openapi({ description: "schedule | manual | push | replay | resume" }),
    status: z.string().openapi({ description: "running | succeeded | failed | interrupted" }),
    cursorFrom: z.string().nullable(),
    cursorTo: z.string().nullable(),
    volumes: z.object({
      read: z.number().int(),
      accepted: z.number().int(),
      duplicates: z.number().int(),
      changes: z.number().int(),
      quarantined: z.number().int(),
      filtered: z.number().int().openapi({ description: "Left out by the task's scope or cleaning rules" }),
      skipped: z.number().int().openapi({ description: "Already received earlier (a resumed page, a resent message)" }),
      pages: z.number().int(),
    }),
    error: RunErrorSchema.nullable(),
    startedAt: z.string(),
    heartbeatAt: z.string(),
    finishedAt: z.string().nullable(),
    durationMs: z.number().int().openapi({ description: "Start to finish, or to now while running" }),
    stale: z.boolean().openapi({ description: "Still marked running but without a heartbeat for longer than the service's limit: its process stopped" }),
  })
  .openapi("CollectionRun");

const RequestSchema = z.object({ at: z.string(), by: z.string().nullable() });

const TaskSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    format: z.string().openapi({ description: "sql | fhir-r4 | hl7v2" }),
    source: z.record(z.string(), z.unknown()).openapi({ description: "How the source is reached; a password inside a URL is shown as ***" }),
    schedule: z.string().nullable().openapi({ description: "Cron expression (5 or 6 fields); null: on demand or push only" }),
    timezone: z.string(),
    scope: z.record(z.string(), z.unknown()).openapi({ description: "Institutions, kinds, from/to and cleaning rules" }),
    pageSize: z.number().int(),
    enabled: z.boolean(),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    cursor: z.object({ value: z.string().nullable(), updatedAt: z.string() }).nullable(),
    nextRunAt: z.string().nullable().openapi({ description: "Next scheduled run; null when disabled or unscheduled" }),
    runRequested: RequestSchema.nullable(),
    running: RunSchema.nullable().openapi({ description: "The run in progress (with a recent heartbeat)" }),
    lastRun: RunSchema.nullable(),
    quarantineOpen: z.number().int(),
  })
  .openapi("CollectionTask");

// The definition is validated by the service (saveTask) so that its messages reach the client; the
// schema here documents it and only requires an object (name and source are required by saveTask).
const TaskInputSchema = z
  .object({
    id: z.unknown().optional().openapi({ description: "Optional; must equal the path's taskId" }),
    name: z.unknown().optional().openapi({ description: "Display name (1..200)", example: "区人民医院 HIS 中间表 T+1" }),
    source: z.unknown().optional().openapi({
      description:
        '{ format: "sql", url | urlEnv } | { format: "fhir-r4", baseUrl?, push? } | { format: "hl7v2", push: true }. A URL sent back as shown (password ***) keeps the stored password.',
      example: { format: "sql", urlEnv: "HOSPITAL_SQL_URL" },
    }),
    schedule: z.unknown().optional().openapi({ description: "Cron (5 or 6 fields) or null", example: "0 2 * * *" }),
    timezone: z.unknown().optional().openapi({ description: "IANA time zone, default Asia/Shanghai" }),
    scope: z.unknown().optional().openapi({ description: "{ institutions?, kinds?, from?, to?, cleaning?: { trim?, halfWidth?, dropTestPatients? } }" }),
    pageSize: z.unknown().optional().openapi({ description: "Items per page (1..5000), default 1000" }),
    enabled: z.unknown().optional().openapi({ description: "Default true" }),
  })
  .loose()
  .openapi("CollectionTaskInput");

const QuarantineItemSchema = z
  .object({
    id: z.number().int(),
    taskId: z.string(),
    runId: z.number().int(),
    itemKey: z.string(),
    format: z.string(),
    stage: z.string().openapi({ description: "parse | map | validate | code | link" }),
    reason: z.string(),
    message: z.string(),
    messageZh: z.string(),
    status: z.string().openapi({ description: "open | replayed | discarded" }),
    attempts: z.number().int(),
    replayRequested: RequestSchema.nullable(),
    replayRunId: z.number().int().nullable(),
    resolvedBy: z.string().nullable(),
    resolvedAt: z.string().nullable(),
    resolutionNote: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("QuarantineItem");

const QuarantineDetailSchema = QuarantineItemSchema.extend({
  raw: z.string().nullable().openapi({ description: "What was received, verbatim (personal data: admins only; null for auditors)" }),
  details: z.unknown().nullable(),
  item: z.unknown().nullable().openapi({ description: "The parsed source item, when parsing succeeded (admins only)" }),
}).openapi("QuarantineItemDetail");

const QualitySchema = z
  .object({
    runId: z.number().int(),
    taskId: z.string(),
    trigger: z.string(),
    status: z.string(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    createdAt: z.string(),
    report: z.unknown().openapi({ description: "Completeness, validity, duplicates, mapping coverage (the service's tally)" }),
  })
  .openapi("QualityReport");

const StateCounts = z.record(z.string(), z.number().int()).openapi({ description: "anchor state → count (pending, anchored, off-chain, rejected always present)" });
const AnchoringCountsSchema = z.object({
  total: StateCounts,
  byModel: z.array(z.object({ model: z.string().nullable(), counts: StateCounts })),
});
const AnchorBatchSchema = z
  .object({
    id: z.number().int(),
    kind: z.string().openapi({ description: "records | record | changes" }),
    state: z.string().openapi({ description: "sending | anchored | failed" }),
    count: z.number().int(),
    root: z.string().nullable(),
    chainBatch: z.string().nullable(),
    txHash: z.string().nullable(),
    blockNumber: z.number().int().nullable(),
    attempts: z.number().int(),
    policy: z.unknown(),
    error: z.unknown().nullable(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .openapi("AnchorBatch");
const AnchoringSchema = z
  .object({
    records: AnchoringCountsSchema,
    changes: AnchoringCountsSchema,
    oldestPending: z.object({ record: z.string().nullable(), change: z.string().nullable() }),
    batches: z.array(AnchorBatchSchema),
  })
  .openapi("AnchoringState");

// ---------------------------------------------------------------- views of the service's rows

type RunRow = Awaited<ReturnType<HisDb["collectionRun"]["findUniqueOrThrow"]>>;
type QuarantineRow = Awaited<ReturnType<HisDb["quarantineItem"]["findUniqueOrThrow"]>>;
/** What lists show of a quarantined item: `raw` and the parsed item can be large and hold personal data. */
type QuarantineSummaryRow = Omit<QuarantineRow, "raw" | "itemJson" | "detailsJson">;
const SUMMARY_OMIT = { raw: true, itemJson: true, detailsJson: true } as const;
type BatchRow = Awaited<ReturnType<HisDb["anchorBatch"]["findUniqueOrThrow"]>>;

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

function parsed(json: string | null): unknown {
  if (json === null) return null;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return json; // written by another version of the service: shown as stored
  }
}

function runErrorOf(json: string | null): z.infer<typeof RunErrorSchema> | null {
  if (json === null) return null;
  const e = parsed(json) as { code?: unknown; message?: unknown; messageZh?: unknown } | string;
  if (typeof e !== "object" || e === null) return { code: "INTERNAL", message: String(e), messageZh: String(e) };
  const message = typeof e.message === "string" ? e.message : json;
  return { code: typeof e.code === "string" ? e.code : "INTERNAL", message, messageZh: typeof e.messageZh === "string" ? e.messageZh : message };
}

function isLive(run: Pick<RunRow, "status" | "heartbeatAt">, now: Date): boolean {
  return run.status === "running" && now.getTime() - run.heartbeatAt.getTime() < RUN_STALE_MS;
}

function runView(run: RunRow, now: Date): z.infer<typeof RunSchema> {
  return {
    id: run.id,
    taskId: run.taskId,
    trigger: run.trigger,
    status: run.status,
    cursorFrom: run.cursorFrom,
    cursorTo: run.cursorTo,
    volumes: {
      read: run.read,
      accepted: run.accepted,
      duplicates: run.duplicates,
      changes: run.changes,
      quarantined: run.quarantined,
      filtered: run.filtered,
      skipped: run.skipped,
      pages: run.pages,
    },
    error: runErrorOf(run.errorJson),
    startedAt: run.startedAt.toISOString(),
    heartbeatAt: run.heartbeatAt.toISOString(),
    finishedAt: iso(run.finishedAt),
    durationMs: Math.max(0, (run.finishedAt ?? now).getTime() - run.startedAt.getTime()),
    stale: run.status === "running" && !isLive(run, now),
  };
}

/** The URL with its password (if any) shown as ***: a source URL may carry the intermediate database's credentials. */
export function maskUrl(url: string): string {
  try {
    const parsedUrl = new URL(url);
    if (parsedUrl.password === "") return url;
    parsedUrl.password = "***";
    return parsedUrl.toString();
  } catch {
    return url;
  }
}

const URL_MEMBERS = ["url", "baseUrl"] as const;

function maskedSource(source: TaskSource): Record<string, unknown> {
  const out: Record<string, unknown> = { ...source };
  for (const member of URL_MEMBERS) if (typeof out[member] === "string") out[member] = maskUrl(out[member]);
  return out;
}

/** A definition sent back with a URL as the gateway showed it (password ***) keeps the stored URL. */
function restoreMaskedUrls(input: Record<string, unknown>, existing: Task | null): Record<string, unknown> {
  const source = input.source;
  if (existing === null || typeof source !== "object" || source === null) return input;
  const stored = existing.source as Record<string, unknown>;
  const restored: Record<string, unknown> = { ...(source as Record<string, unknown>) };
  let changed = false;
  for (const member of URL_MEMBERS) {
    const was = stored[member];
    if (typeof was === "string" && restored[member] === maskUrl(was) && maskUrl(was) !== was) {
      restored[member] = was;
      changed = true;
    }
  }
  return changed ? { ...input, source: restored } : input;
}

function nextRunOf(task: Task): string | null {
  if (!task.enabled || !task.schedule) return null;
  try {
    return iso(checkSchedule(task.schedule, task.timezone));
  } catch {
    return null; // a schedule stored by an older version that no longer parses: nothing will run
  }
}

function quarantineView(row: QuarantineSummaryRow): z.infer<typeof QuarantineItemSchema> {
  return {
    id: row.id,
    taskId: row.taskId,
    runId: row.runId,
    itemKey: row.itemKey,
    format: row.format,
    stage: row.stage,
    reason: row.reason,
    message: row.message,
    messageZh: row.messageZh,
    status: row.status,
    attempts: row.attempts,
    replayRequested: row.replayRequestedAt === null ? null : { at: row.replayRequestedAt.toISOString(), by: row.replayRequestedBy },
    replayRunId: row.replayRunId,
    resolvedBy: row.resolvedBy,
    resolvedAt: iso(row.resolvedAt),
    resolutionNote: row.resolutionNote,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

function batchView(row: BatchRow): z.infer<typeof AnchorBatchSchema> {
  return {
    id: row.id,
    kind: row.kind,
    state: row.state,
    count: row.count,
    root: row.root,
    chainBatch: row.chainBatch,
    txHash: row.txHash,
    blockNumber: row.blockNumber,
    attempts: row.attempts,
    policy: parsed(row.policyJson),
    error: parsed(row.errorJson),
    startedAt: row.startedAt.toISOString(),
    finishedAt: iso(row.finishedAt),
  };
}

const ANCHOR_STATES = ["pending", "anchored", "off-chain", "rejected"] as const;

function anchoringCounts(rows: readonly { model: string | null; state: string; n: number }[]): z.infer<typeof AnchoringCountsSchema> {
  const empty = () => Object.fromEntries(ANCHOR_STATES.map((s) => [s, 0])) as Record<string, number>;
  const total = empty();
  const byModel = new Map<string | null, Record<string, number>>();
  for (const { model, state, n } of rows) {
    total[state] = (total[state] ?? 0) + n;
    const counts = byModel.get(model) ?? empty();
    counts[state] = (counts[state] ?? 0) + n;
    byModel.set(model, counts);
  }
  return { total, byModel: [...byModel].sort(([a], [b]) => (a ?? "").localeCompare(b ?? "")).map(([model, counts]) => ({ model, counts })) };
}

// ---------------------------------------------------------------- routes

const tags = ["collection"];

/** The collection service's database, or a typed refusal when this gateway has none configured. */
/** The collection service's database, or the typed "not configured" answer (shared by the collection, EMPI and code-mapping routes). */
export function hisOf(deps: GatewayDeps): HisDb {
  if (deps.his === undefined) {
    throw platformError("NOT_FOUND", {
      message: "The collection service is not configured on this gateway (his.databaseUrl).",
      messageZh: "本网关未配置采集服务（his.databaseUrl）。",
      details: { reason: "collection-not-configured" },
    });
  }
  return deps.his;
}

/** The task of a request whose body names it (for the audit row of a refused request), once validated. */
function bodyTaskId(c: Context<GatewayEnv>): string | undefined {
  const body = (c.req as unknown as { valid(target: "json"): { taskId?: unknown } | undefined }).valid("json");
  return typeof body?.taskId === "string" ? body.taskId : undefined;
}

function conflict(message: string, messageZh: string, details: Record<string, unknown>): never {
  throw platformError("CONFLICT", { message, messageZh, details });
}

export function collectionRoutes(deps: GatewayDeps) {
  /** The views of tasks (all, or those of `ids`), with cursor, next run, live and last run, open quarantine. */
  async function taskViews(db: HisDb, ids?: readonly string[]): Promise<z.infer<typeof TaskSchema>[]> {
    const now = deps.clock.now();
    const where = ids ? { id: { in: [...ids] } } : {};
    const runWhere = ids ? { taskId: { in: [...ids] } } : {};
    const [rows, latest, running, open] = await Promise.all([
      db.collectionTask.findMany({ where, include: { cursor: true }, orderBy: { id: "asc" } }),
      db.collectionRun.groupBy({ by: ["taskId"], where: runWhere, _max: { id: true } }),
      db.collectionRun.findMany({ where: { ...runWhere, status: "running" }, orderBy: { id: "desc" } }),
      db.quarantineItem.groupBy({ by: ["taskId"], where: { ...runWhere, status: "open" }, _count: { _all: true } }),
    ]);
    const lastIds = latest.map((l) => l._max.id).filter((id): id is number => id !== null);
    const lastRuns = new Map((await db.collectionRun.findMany({ where: { id: { in: lastIds } } })).map((r) => [r.taskId, r]));
    const liveRuns = new Map<string, RunRow>();
    for (const run of running) if (isLive(run, now) && !liveRuns.has(run.taskId)) liveRuns.set(run.taskId, run);
    const openCounts = new Map(open.map((o) => [o.taskId, o._count._all]));
    return rows.map((row) => {
      const task = taskOfRow(row);
      const last = lastRuns.get(task.id);
      const live = liveRuns.get(task.id);
      return {
        id: task.id,
        name: task.name,
        format: task.source.format,
        source: maskedSource(task.source),
        schedule: task.schedule,
        timezone: task.timezone,
        scope: task.scope as Record<string, unknown>,
        pageSize: task.pageSize,
        enabled: task.enabled,
        createdBy: task.createdBy,
        createdAt: task.createdAt.toISOString(),
        updatedAt: task.updatedAt.toISOString(),
        cursor: row.cursor === null ? null : { value: row.cursor.cursor, updatedAt: row.cursor.updatedAt.toISOString() },
        nextRunAt: nextRunOf(task),
        runRequested: row.runRequestedAt === null ? null : { at: row.runRequestedAt.toISOString(), by: row.runRequestedBy },
        running: live ? runView(live, now) : null,
        lastRun: last ? runView(last, now) : null,
        quarantineOpen: openCounts.get(task.id) ?? 0,
      };
    });
  }

  async function taskView(db: HisDb, id: string): Promise<z.infer<typeof TaskSchema>> {
    const [view] = await taskViews(db, [id]);
    if (!view) await taskOf(db, id); // throws the service's typed NOT_FOUND
    return view as z.infer<typeof TaskSchema>;
  }

  const subject = (c: Context<GatewayEnv>) => principalOf(c).subject;
  const TaskBody = { content: { "application/json": { schema: TaskSchema } } };

  const listTasksRoute = createRoute({
    method: "get",
    path: "/tasks",
    tags,
    summary: "Collection tasks with schedule, cursor and runs / 采集任务列表",
    security: BEARER,
    middleware: [requirePermission("collection:read")] as const,
    responses: {
      200: { description: "Every task", content: { "application/json": { schema: z.object({ items: z.array(TaskSchema) }).openapi("CollectionTasks") } } },
      ...errorResponses(401, 403, 404),
    },
  });

  const getTaskRoute = createRoute({
    method: "get",
    path: "/tasks/{taskId}",
    tags,
    summary: "One collection task / 采集任务详情",
    security: BEARER,
    middleware: [requirePermission("collection:read")] as const,
    request: { params: TaskIdParam },
    responses: { 200: { description: "The task", ...TaskBody }, ...errorResponses(400, 401, 403, 404) },
  });

  const putTaskRoute = createRoute({
    method: "put",
    path: "/tasks/{taskId}",
    tags,
    summary: "Create or replace a collection task / 新建或修改采集任务",
    description: "Its runs, cursor and quarantine stay. The definition is checked by the collection service (cron, time zone, source, scope).",
    security: BEARER,
    middleware: [requirePermission("collection:manage"), audited(deps, "collection.tasks.save", (c) => c.req.param("taskId"))] as const,
    request: { params: TaskIdParam, body: { required: true, content: { "application/json": { schema: TaskInputSchema } } } },
    responses: {
      200: { description: "Replaced", ...TaskBody },
      201: { description: "Created", ...TaskBody },
      ...errorResponses(400, 401, 403, 404),
    },
  });

  const toggleRoute = (enabled: boolean) =>
    createRoute({
      method: "post",
      path: `/tasks/{taskId}/${enabled ? "enable" : "disable"}`,
      tags,
      summary: enabled ? "Enable a task / 启用采集任务" : "Disable a task (a pending run request is withdrawn) / 停用采集任务",
      security: BEARER,
      middleware: [requirePermission("collection:manage"), audited(deps, `collection.tasks.${enabled ? "enable" : "disable"}`, (c) => c.req.param("taskId"))] as const,
      request: { params: TaskIdParam },
      responses: { 200: { description: "The task", ...TaskBody }, ...errorResponses(400, 401, 403, 404) },
    });
  const enableRoute = toggleRoute(true);
  const disableRoute = toggleRoute(false);

  const runRoute = createRoute({
    method: "post",
    path: "/tasks/{taskId}/run",
    tags,
    summary: "Ask the collection service to run a task now / 立即执行采集任务",
    description: "409 when a run is already requested or in progress, the task is disabled, or its source pushes (nothing to pull).",
    security: BEARER,
    middleware: [requirePermission("collection:manage"), audited(deps, "collection.tasks.run", (c) => c.req.param("taskId"))] as const,
    request: { params: TaskIdParam },
    responses: {
      202: {
        description: "Requested; the service's scheduler starts it within seconds",
        content: { "application/json": { schema: z.object({ taskId: z.string(), requestedAt: z.string(), requestedBy: z.string() }).openapi("RunRequested") } },
      },
      ...errorResponses(400, 401, 403, 404, 409),
    },
  });

  const RunsQuery = z.object({
    taskId: z.string().regex(TASK_ID, "not a task id").optional(),
    status: z.enum(["running", "succeeded", "failed", "interrupted"]).optional(),
    from: When.optional().openapi({ description: "Started at or after (ISO 8601)" }),
    to: When.optional().openapi({ description: "Started before (ISO 8601)" }),
    limit: Limit(500, 50),
    cursor: Cursor,
  });
  const listRunsRoute = createRoute({
    method: "get",
    path: "/runs",
    tags,
    summary: "Run history, newest first / 采集运行记录",
    security: BEARER,
    middleware: [requirePermission("collection:read")] as const,
    request: { query: RunsQuery },
    responses: {
      200: { description: "A page of runs", content: { "application/json": { schema: z.object({ items: z.array(RunSchema), nextCursor: z.string().optional() }).openapi("CollectionRunPage") } } },
      ...errorResponses(400, 401, 403, 404),
    },
  });

  const getRunRoute = createRoute({
    method: "get",
    path: "/runs/{runId}",
    tags,
    summary: "One run with its quality report / 运行详情与质量报告",
    security: BEARER,
    middleware: [requirePermission("collection:read")] as const,
    request: { params: RunIdParam },
    responses: {
      200: {
        description: "The run",
        content: {
          "application/json": {
            schema: RunSchema.extend({ quality: z.object({ createdAt: z.string(), report: z.unknown() }).nullable() }).openapi("CollectionRunDetail"),
          },
        },
      },
      ...errorResponses(400, 401, 403, 404),
    },
  });

  const QuarantineQuery = z.object({
    taskId: z.string().regex(TASK_ID, "not a task id").optional(),
    status: z.enum(["open", "replayed", "discarded"]).optional(),
    reason: z.string().min(1).max(100).optional(),
    stage: z.string().min(1).max(32).optional(),
    limit: Limit(500, 50),
    cursor: Cursor,
  });
  const listQuarantineRoute = createRoute({
    method: "get",
    path: "/quarantine",
    tags,
    summary: "Quarantined items, newest first (without what was received) / 隔离区",
    security: BEARER,
    middleware: [requirePermission("collection:read")] as const,
    request: { query: QuarantineQuery },
    responses: {
      200: {
        description: "A page of items",
        content: { "application/json": { schema: z.object({ items: z.array(QuarantineItemSchema), nextCursor: z.string().optional() }).openapi("QuarantinePage") } },
      },
      ...errorResponses(400, 401, 403, 404),
    },
  });

  const getQuarantineRoute = createRoute({
    method: "get",
    path: "/quarantine/{id}",
    tags,
    summary: "One quarantined item with what was received (the read is audited) / 隔离条目详情",
    security: BEARER,
    middleware: [requirePermission("collection:read")] as const,
    request: { params: ItemIdParam },
    responses: { 200: { description: "The item", content: { "application/json": { schema: QuarantineDetailSchema } } }, ...errorResponses(400, 401, 403, 404) },
  });

  const ReplayBody = z
    .object({
      taskId: z.string().regex(TASK_ID, "not a task id"),
      ids: z.array(z.number().int().min(1)).min(1).max(1000).optional().openapi({ description: "Open items of the task to replay; absent: all its open items" }),
    })
    .strict()
    .openapi("ReplayRequest");
  const replayRoute = createRoute({
    method: "post",
    path: "/quarantine/replay",
    tags,
    summary: "Ask the collection service to replay quarantined items / 重放隔离条目",
    security: BEARER,
    middleware: [requirePermission("collection:manage"), audited(deps, "collection.quarantine.replay", bodyTaskId)] as const,
    request: { body: { required: true, content: { "application/json": { schema: ReplayBody } } } },
    responses: {
      202: {
        description: "Marked for replay; the service's scheduler replays them within seconds",
        content: { "application/json": { schema: z.object({ taskId: z.string(), requested: z.number().int(), requestedAt: z.string() }).openapi("ReplayRequested") } },
      },
      ...errorResponses(400, 401, 403, 404),
    },
  });

  const discardRoute = createRoute({
    method: "post",
    path: "/quarantine/{id}/discard",
    tags,
    summary: "Discard a quarantined item, saying why (it is kept, marked) / 丢弃隔离条目",
    security: BEARER,
    middleware: [requirePermission("collection:manage"), audited(deps, "collection.quarantine.discard", (c) => c.req.param("id"))] as const,
    request: {
      params: ItemIdParam,
      body: { required: true, content: { "application/json": { schema: z.object({ reason: z.string().max(2000) }).strict().openapi("DiscardRequest") } } },
    },
    responses: { 200: { description: "Discarded", content: { "application/json": { schema: QuarantineItemSchema } } }, ...errorResponses(400, 401, 403, 404) },
  });

  const QualityQuery = z.object({ taskId: z.string().regex(TASK_ID, "not a task id").optional(), limit: Limit(200, 20), cursor: Cursor });
  const qualityRoute = createRoute({
    method: "get",
    path: "/quality",
    tags,
    summary: "Recent per-run quality reports / 数据质量报告",
    security: BEARER,
    middleware: [requirePermission("collection:read")] as const,
    request: { query: QualityQuery },
    responses: {
      200: { description: "Reports, newest run first", content: { "application/json": { schema: z.object({ items: z.array(QualitySchema), nextCursor: z.string().optional() }).openapi("QualityReportPage") } } },
      ...errorResponses(400, 401, 403, 404),
    },
  });

  const anchoringRoute = createRoute({
    method: "get",
    path: "/anchoring",
    tags,
    summary: "The anchoring queue: records and changes by state and model, recent batches / 上链状态",
    security: BEARER,
    middleware: [requirePermission("collection:read")] as const,
    request: { query: z.object({ limit: Limit(200, 20).openapi({ description: "Recent batches shown" }) }) },
    responses: { 200: { description: "The anchoring state", content: { "application/json": { schema: AnchoringSchema } } }, ...errorResponses(400, 401, 403, 404) },
  });

  const PolicyVersion = z
    .object({ version: z.number().int(), hash: z.string(), active: z.boolean(), createdBy: z.string(), note: z.string().nullable(), createdAt: z.string(), policy: z.unknown() })
    .openapi("AnchoringPolicyVersion");
  const getPolicyRoute = createRoute({
    method: "get",
    path: "/anchoring/policy",
    tags,
    summary: "The anchoring policy (可配置化数据上链): the active version and its history / 上链策略",
    description: "Which record models are anchored, in which mode and how often (per record, per batch, T+1 nightly), and how change records are anchored. Versions are never edited; the service applies the active one at its next anchoring pass.",
    security: BEARER,
    middleware: [requirePermission("collection:read")] as const,
    responses: { 200: { description: "Newest first", content: { "application/json": { schema: z.object({ items: z.array(PolicyVersion) }) } } }, ...errorResponses(401, 403, 404) },
  });
  const putPolicyRoute = createRoute({
    method: "put",
    path: "/anchoring/policy",
    tags,
    summary: "Publish a new version of the anchoring policy / 发布新版上链策略",
    security: BEARER,
    middleware: [requirePermission("collection:manage"), audited(deps, "collection.anchoring.policy", () => "anchoring:default")] as const,
    request: { body: { required: true, content: { "application/json": { schema: z.object({ policy: z.record(z.string(), z.unknown()), note: z.string().max(500).optional() }) } } } },
    responses: { 200: { description: "The active version (unchanged when equal to it)", content: { "application/json": { schema: PolicyVersion } } }, ...errorResponses(400, 401, 403, 404) },
  });
  const policyView = (v: Awaited<ReturnType<typeof configHistory>>[number]) => ({
    version: v.version,
    hash: v.hash,
    active: v.active,
    createdBy: v.createdBy,
    note: v.note,
    createdAt: v.createdAt.toISOString(),
    policy: v.value,
  });

  return createRouter()
    .openapi(getPolicyRoute, async (c) => c.json({ items: (await configHistory(hisOf(deps), "anchoring", "default")).map(policyView) }, 200))
    .openapi(putPolicyRoute, async (c) => {
      const db = hisOf(deps);
      const { policy, note } = c.req.valid("json");
      const published = await publishConfig(db, { kind: "anchoring", name: "default", value: parseAnchoringPolicy(policy), actor: subject(c), ...(note ? { note } : {}) });
      await recordAudit(deps.db, c, { target: "anchoring:default", purpose: "publish", details: { version: published.version, hash: published.hash } });
      return c.json(policyView(published), 200);
    })
    .openapi(listTasksRoute, async (c) => c.json({ items: await taskViews(hisOf(deps)) }, 200))
    .openapi(getTaskRoute, async (c) => c.json(await taskView(hisOf(deps), c.req.valid("param").taskId), 200))
    .openapi(putTaskRoute, async (c) => {
      const db = hisOf(deps);
      const { taskId } = c.req.valid("param");
      const body = c.req.valid("json") as Record<string, unknown>;
      if (body.id !== undefined && body.id !== taskId) {
        throw platformError("INVALID_INPUT", {
          message: `The task's id (${String(body.id)}) differs from the path's (${taskId}).`,
          messageZh: `任务 id（${String(body.id)}）与路径中的 id（${taskId}）不一致。`,
          details: { path: "id", taskId },
        });
      }
      const existing = await db.collectionTask.findUnique({ where: { id: taskId } });
      const input = restoreMaskedUrls({ ...body, id: taskId }, existing === null ? null : taskOfRow(existing));
      const task = await saveTask(db, input, subject(c));
      await recordAudit(deps.db, c, {
        target: taskId,
        purpose: existing === null ? "create" : "replace",
        details: { format: task.source.format, schedule: task.schedule, timezone: task.timezone, enabled: task.enabled },
      });
      return c.json(await taskView(db, taskId), existing === null ? 201 : 200);
    })
    .openapi(enableRoute, async (c) => {
      const db = hisOf(deps);
      const { taskId } = c.req.valid("param");
      await taskOf(db, taskId);
      await db.collectionTask.update({ where: { id: taskId }, data: { enabled: true } });
      return c.json(await taskView(db, taskId), 200);
    })
    .openapi(disableRoute, async (c) => {
      const db = hisOf(deps);
      const { taskId } = c.req.valid("param");
      await taskOf(db, taskId);
      // A requested run would still start (the scheduler takes requests of any task): withdraw it.
      await db.collectionTask.update({ where: { id: taskId }, data: { enabled: false, runRequestedAt: null, runRequestedBy: null } });
      return c.json(await taskView(db, taskId), 200);
    })
    .openapi(runRoute, async (c) => {
      const db = hisOf(deps);
      const { taskId } = c.req.valid("param");
      const task = await taskOf(db, taskId);
      if (!task.enabled) conflict(`Task ${taskId} is disabled: enable it first.`, `采集任务 ${taskId} 已停用，请先启用。`, { taskId, reason: "task-disabled" });
      if (task.source.format === "hl7v2" || (task.source.format === "fhir-r4" && task.source.baseUrl === undefined)) {
        conflict(`Task ${taskId} receives pushed messages; it has nothing to pull.`, `采集任务 ${taskId} 接收推送消息，无需主动拉取。`, { taskId, reason: "push-only" });
      }
      const now = deps.clock.now();
      const live = (await db.collectionRun.findMany({ where: { taskId, status: "running" } })).find((r) => isLive(r, now));
      if (live) {
        conflict(`Task ${taskId} is running (run ${live.id}, since ${live.startedAt.toISOString()}).`, `采集任务 ${taskId} 正在运行（第 ${live.id} 次运行）。`, {
          taskId,
          reason: "running",
          runId: live.id,
        });
      }
      const by = subject(c);
      // Conditional on no request pending, so two operators asking at once make one run.
      const marked = await db.collectionTask.updateMany({ where: { id: taskId, runRequestedAt: null }, data: { runRequestedAt: now, runRequestedBy: by } });
      if (marked.count === 0) {
        const row = await db.collectionTask.findUnique({ where: { id: taskId }, select: { runRequestedAt: true, runRequestedBy: true } });
        conflict(`A run of task ${taskId} is already requested.`, `采集任务 ${taskId} 已请求执行，等待调度。`, {
          taskId,
          reason: "already-requested",
          requestedAt: iso(row?.runRequestedAt ?? null),
          requestedBy: row?.runRequestedBy ?? null,
        });
      }
      return c.json({ taskId, requestedAt: now.toISOString(), requestedBy: by }, 202);
    })
    .openapi(listRunsRoute, async (c) => {
      const db = hisOf(deps);
      const q = c.req.valid("query");
      const rows = await db.collectionRun.findMany({
        where: {
          ...(q.taskId ? { taskId: q.taskId } : {}),
          ...(q.status ? { status: q.status } : {}),
          ...(q.from || q.to ? { startedAt: { ...(q.from ? { gte: new Date(q.from) } : {}), ...(q.to ? { lt: new Date(q.to) } : {}) } } : {}),
          ...(q.cursor ? { id: { lt: Number(q.cursor) } } : {}),
        },
        orderBy: { id: "desc" },
        take: q.limit + 1,
      });
      const now = deps.clock.now();
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return c.json({ items: page.map((r) => runView(r, now)), ...(rows.length > q.limit && last ? { nextCursor: String(last.id) } : {}) }, 200);
    })
    .openapi(getRunRoute, async (c) => {
      const db = hisOf(deps);
      const { runId } = c.req.valid("param");
      const run = await db.collectionRun.findUnique({ where: { id: runId }, include: { quality: true } });
      if (!run) throw platformError("NOT_FOUND", { message: `No collection run ${runId}.`, messageZh: `没有第 ${runId} 次采集运行。`, details: { runId } });
      const quality = run.quality === null ? null : { createdAt: run.quality.createdAt.toISOString(), report: parsed(run.quality.reportJson) };
      return c.json({ ...runView(run, deps.clock.now()), quality }, 200);
    })
    .openapi(listQuarantineRoute, async (c) => {
      const db = hisOf(deps);
      const q = c.req.valid("query");
      const rows = await db.quarantineItem.findMany({
        where: {
          ...(q.taskId ? { taskId: q.taskId } : {}),
          ...(q.status ? { status: q.status } : {}),
          ...(q.reason ? { reason: q.reason } : {}),
          ...(q.stage ? { stage: q.stage } : {}),
          ...(q.cursor ? { id: { lt: Number(q.cursor) } } : {}),
        },
        omit: SUMMARY_OMIT,
        orderBy: { id: "desc" },
        take: q.limit + 1,
      });
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return c.json(
        {
          items: page.map(quarantineView),
          ...(rows.length > q.limit && last ? { nextCursor: String(last.id) } : {}),
        },
        200,
      );
    })
    .openapi(getQuarantineRoute, async (c) => {
      const db = hisOf(deps);
      const { id } = c.req.valid("param");
      const row = await db.quarantineItem.findUnique({ where: { id } });
      if (!row) throw platformError("NOT_FOUND", { message: `No quarantined item ${id}.`, messageZh: `没有隔离条目 ${id}。`, details: { id } });
      // What was received holds personal data: who looked at it is worth a line.
      await recordAudit(deps.db, c, { target: String(id), purpose: "inspect", details: { taskId: row.taskId } }, "collection.quarantine.read");
      // Auditors see why an item is held, not the personal data it carries (as on /v1/empi).
      const admin = hasRole(principalOf(c), "admin");
      return c.json({ ...quarantineView(row), raw: admin ? row.raw : null, details: parsed(row.detailsJson), item: admin ? parsed(row.itemJson) : null }, 200);
    })
    .openapi(replayRoute, async (c) => {
      const db = hisOf(deps);
      const { taskId, ids } = c.req.valid("json");
      await taskOf(db, taskId);
      const now = deps.clock.now();
      const by = subject(c);
      const requested = await db.$transaction(async (tx) => {
        const where = { taskId, status: "open", ...(ids ? { id: { in: ids } } : {}) };
        if (ids) {
          const found = new Set((await tx.quarantineItem.findMany({ where, select: { id: true } })).map((r) => r.id));
          const missing = [...new Set(ids)].filter((id) => !found.has(id));
          if (missing.length > 0) {
            throw platformError("NOT_FOUND", {
              message: `No open quarantined item ${missing.join(", ")} in task ${taskId}.`,
              messageZh: `采集任务 ${taskId} 中没有待处理的隔离条目 ${missing.join("、")}。`,
              details: { taskId, ids: missing },
            });
          }
        }
        return (await tx.quarantineItem.updateMany({ where, data: { replayRequestedAt: now, replayRequestedBy: by } })).count;
      });
      await recordAudit(deps.db, c, { target: taskId, purpose: "replay", details: { ids: ids ?? "all-open", requested } });
      return c.json({ taskId, requested, requestedAt: now.toISOString() }, 202);
    })
    .openapi(discardRoute, async (c) => {
      const db = hisOf(deps);
      const { id } = c.req.valid("param");
      const { reason } = c.req.valid("json");
      await discardQuarantined({ db }, id, subject(c), reason);
      const row = await db.quarantineItem.findUniqueOrThrow({ where: { id } });
      await recordAudit(deps.db, c, { target: String(id), purpose: reason.trim(), details: { taskId: row.taskId, reason: row.reason } });
      return c.json(quarantineView(row), 200);
    })
    .openapi(qualityRoute, async (c) => {
      const db = hisOf(deps);
      const q = c.req.valid("query");
      const rows = await db.qualityReport.findMany({
        where: { ...(q.taskId ? { run: { taskId: q.taskId } } : {}), ...(q.cursor ? { runId: { lt: Number(q.cursor) } } : {}) },
        include: { run: true },
        orderBy: { runId: "desc" },
        take: q.limit + 1,
      });
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      const items = page.map((r) => ({
        runId: r.runId,
        taskId: r.run.taskId,
        trigger: r.run.trigger,
        status: r.run.status,
        startedAt: r.run.startedAt.toISOString(),
        finishedAt: iso(r.run.finishedAt),
        createdAt: r.createdAt.toISOString(),
        report: parsed(r.reportJson),
      }));
      return c.json({ items, ...(rows.length > q.limit && last ? { nextCursor: String(last.runId) } : {}) }, 200);
    })
    .openapi(anchoringRoute, async (c) => {
      const db = hisOf(deps);
      const { limit } = c.req.valid("query");
      const [records, changes, oldestRecord, oldestChange, batches] = await Promise.all([
        db.collectedRecord.groupBy({ by: ["model", "anchorState"], _count: { _all: true } }),
        // A change record names its record, not its model: join (quoted names work on SQLite and PostgreSQL).
        db.$queryRaw<{ model: string | null; state: string; n: bigint | number }[]>`
          SELECT r."model" AS "model", c."anchorState" AS "state", COUNT(*) AS "n"
          FROM "RecordChange" c LEFT JOIN "CollectedRecord" r ON r."recordId" = c."recordId"
          GROUP BY r."model", c."anchorState"`,
        db.collectedRecord.findFirst({ where: { anchorState: "pending" }, orderBy: { createdAt: "asc" }, select: { createdAt: true } }),
        db.recordChange.findFirst({ where: { anchorState: "pending" }, orderBy: { changedAt: "asc" }, select: { changedAt: true } }),
        db.anchorBatch.findMany({ orderBy: { id: "desc" }, take: limit }),
      ]);
      return c.json(
        {
          records: anchoringCounts(records.map((r) => ({ model: r.model, state: r.anchorState, n: r._count._all }))),
          changes: anchoringCounts(changes.map((r) => ({ model: r.model, state: r.state, n: Number(r.n) }))),
          oldestPending: { record: iso(oldestRecord?.createdAt ?? null), change: iso(oldestChange?.changedAt ?? null) },
          batches: batches.map(batchView),
        },
        200,
      );
    });
}

// The collection service's endpoints inside the hospital's network (前置机): hospital systems push
// FHIR R4 Bundles and HL7 v2 ORU^R01 messages over HTTP, LIS send HL7 v2 over MLLP. Every message is
// one run of its push task, answered only after its page is committed (an acknowledged message is
// never lost), with what became of each item. Errors of every route are mapped in one place
// (`refusalOf`) and rendered in the channel's own language: an OperationOutcome for FHIR, an AR
// acknowledgement for HL7, JSON elsewhere. /healthz and /metrics serve the operators.
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import type { ServerOptions } from "node:http";
import type { AddressInfo } from "node:net";
import { Hl7Message } from "@medplum/core";
import { createAdaptorServer, type ServerType } from "@hono/node-server";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Logger } from "pino";
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { isPlatformError, platformError, type HealthChainError } from "@health-chain/sdk";
import { closeHttpServer } from "../../../gateway/src/http-close.ts";
import { loadFhirR4Definitions, readFhirBundle, type EntryReading } from "./adapters/fhir/index.ts";
import { CONSORTIUM_FHIR_BASE } from "./adapters/fhir/systems.ts";
import { ackMessage, parseOruR01, startMllpListener, type MllpListener } from "./adapters/hl7v2/index.ts";
import type { ParseResult, RejectedItem } from "./adapters/types.ts";
import type { ItemOutcome } from "./collection/process.ts";
import { takePushed, type PushResult } from "./collection/push.ts";
import { taskOf } from "./collection/tasks.ts";
import type { HisService } from "./service.ts";

/** The largest message accepted: a day's Bundle of a busy clinic fits; a runaway sender does not. */
export const DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024;

/** Keep-alive above the HIS's and proxies' idle timeouts (60 s), headers within 66 s, a whole request within 5 min (a 20 MB Bundle on a slow link). */
const HTTP_SERVER_OPTIONS: ServerOptions = { keepAliveTimeout: 65_000, headersTimeout: 66_000, requestTimeout: 300_000, noDelay: true };

/** Codes of this service in FHIR answers: the platform's error codes and the quarantine's reason codes. */
export const ERROR_CODE_SYSTEM = `${CONSORTIUM_FHIR_BASE}/CodeSystem/error-code`;
export const QUARANTINE_REASON_SYSTEM = `${CONSORTIUM_FHIR_BASE}/CodeSystem/quarantine-reason`;

export type HisLog = Pick<Logger, "info" | "warn" | "error" | "debug">;

/** An MLLP listener of one HL7 v2 push task (the task source has no port: the process configuration says where it listens). */
export interface MllpEndpoint {
  readonly taskId: string;
  /** The address to bind: the 前置机's internal interface. */
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** The byte stream's encoding (default utf-8; gb18030 for older LIS). */
  readonly encoding?: string;
}

export interface HisServerOptions {
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** When set, every push must carry `Authorization: Bearer <pushToken>`. */
  readonly pushToken?: string;
  readonly log: HisLog;
  readonly mllp?: readonly MllpEndpoint[];
  /** Default DEFAULT_MAX_BODY_BYTES. */
  readonly maxBodyBytes?: number;
  /** Default: a registry of its own, without Node's process metrics. */
  readonly metrics?: PushMetrics;
}

export interface RunningHisServer {
  readonly url: string;
  readonly port: number;
  readonly mllp: readonly { readonly taskId: string; readonly host: string; readonly port: number }[];
  readonly metrics: PushMetrics;
  readonly server: ServerType;
  /** Stops accepting, lets pushes in hand commit and be answered (HTTP connections are cut after `graceMs`); the service stays open. */
  close(graceMs?: number): Promise<void>;
}

// ---------------------------------------------------------------------------------------- metrics

export interface PushMetrics {
  readonly registry: Registry;
  /** Pushed messages by format, channel (http, mllp) and result (taken, refused: a typed 4xx, failed). */
  readonly messages: Counter<"format" | "channel" | "result">;
  /** Items of taken messages by outcome (new, duplicate, change, quarantined, skipped, filtered). */
  readonly items: Counter<"format" | "outcome">;
  /** Parse-to-commit time of a push run. */
  readonly runSeconds: Histogram<"format">;
}

export function createPushMetrics(options: { defaultMetrics?: boolean } = {}): PushMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: "his_" });
  return {
    registry,
    messages: new Counter({ name: "his_push_messages_total", help: "Pushed messages by format, channel and result", labelNames: ["format", "channel", "result"], registers: [registry] }),
    items: new Counter({ name: "his_push_items_total", help: "Items of taken pushed messages by outcome", labelNames: ["format", "outcome"], registers: [registry] }),
    runSeconds: new Histogram({
      name: "his_push_run_duration_seconds",
      help: "Parse-to-commit duration of a push run",
      labelNames: ["format"],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
}

// ---------------------------------------------------------------------------------------- errors

type Channel = "fhir" | "hl7v2" | "service";
type Refusal = HealthChainError & { status?: number };

/** A typed INVALID_INPUT answered with a status of its own (413, 415). */
const refusal = (status: number, message: string, messageZh: string, details: Record<string, unknown>): Refusal =>
  Object.assign(platformError("INVALID_INPUT", { message, messageZh, details }), { status });

/** Anything thrown in a request → its platform error and HTTP status. The one place errors are mapped. */
export function refusalOf(error: unknown): { status: number; error: HealthChainError } {
  if (isPlatformError(error)) return { status: (error as Refusal).status ?? error.httpStatus, error };
  return { status: 500, error: platformError("INTERNAL", { cause: error }) };
}

/** FHIR issue-type of an error code or status. */
function issueTypeOf(status: number, code: string): string {
  if (code === "UNAUTHENTICATED") return "login";
  if (status === 404) return "not-found";
  if (status === 409) return "conflict";
  if (status === 413) return "too-costly";
  if (status === 415) return "not-supported";
  if (status >= 500) return "exception";
  return "invalid";
}

// ---------------------------------------------------------------------------------------- FHIR answers

interface Issue {
  severity: "fatal" | "error" | "warning" | "information";
  code: string;
  diagnostics: string;
  details: { coding: { system: string; code: string }[]; text: string };
}
interface OperationOutcome {
  resourceType: "OperationOutcome";
  issue: Issue[];
}
interface ResponseEntry {
  response: { status: string; outcome?: OperationOutcome };
}
/** The FHIR answer to a pushed Bundle (`Bundle` of type transaction-response or batch-response). */
export interface PushResponseBundle {
  resourceType: "Bundle";
  type: "transaction-response" | "batch-response";
  timestamp: string;
  entry: ResponseEntry[];
}

const outcomeOf = (...issue: Issue[]): OperationOutcome => ({ resourceType: "OperationOutcome", issue });

function issue(severity: Issue["severity"], code: string, system: string, reason: string, message: string, messageZh: string): Issue {
  return { severity, code, diagnostics: message, details: { coding: [{ system, code: reason }], text: messageZh } };
}

function errorOutcome(status: number, error: HealthChainError): OperationOutcome {
  return outcomeOf(issue(status >= 500 ? "fatal" : "error", issueTypeOf(status, error.code), ERROR_CODE_SYSTEM, error.code, error.message, error.messageZh));
}

const heldIssueType = (stage: string, reason: string) =>
  stage === "link" ? "not-found" : stage === "code" ? "code-invalid" : reason.startsWith("unsupported-") ? "not-supported" : "invalid";

/** Why an item is held, as FHIR issues: 202 when it waits for its patient's registration (replayed then), 422 otherwise. */
function heldEntry(problems: readonly { stage: string; reason: string; message: string; messageZh: string }[]): ResponseEntry {
  const waiting = problems.every((p) => p.stage === "link");
  return {
    response: {
      status: waiting ? "202 Accepted" : "422 Unprocessable Entity",
      outcome: outcomeOf(...problems.map((p) => issue(waiting ? "warning" : "error", heldIssueType(p.stage, p.reason), QUARANTINE_REASON_SYSTEM, p.reason, p.message, p.messageZh))),
    },
  };
}

const INFO = {
  duplicate: ["duplicate", "The record was already taken in with the same content; nothing changed.", "该记录已以相同内容接收，未作更改。"],
  skipped: ["already-received", "This resource was already received; it is not taken in twice.", "该资源此前已接收，不会重复接收。"],
  filtered: ["out-of-scope", "Left out by the collection task's scope or cleaning rules.", "按采集任务的范围或清洗规则未予采集。"],
  stale: ["stale", "A newer version of this record was already taken in; this older one changes nothing.", "已接收该记录的较新版本，此较旧版本不作更改。"],
  context: ["context-only", "Read as the context of the other resources; it is not a record of its own.", "作为其他资源的上下文读取，本身不作为记录采集。"],
} as const;

function infoEntry(status: string, kind: keyof typeof INFO): ResponseEntry {
  const [reason, message, messageZh] = INFO[kind];
  return { response: { status, outcome: outcomeOf(issue("information", "informational", QUARANTINE_REASON_SYSTEM, reason, message, messageZh)) } };
}

interface HeldRow {
  stage: string;
  reason: string;
  message: string;
  messageZh: string;
}

/** One answer entry per Bundle entry, in order. The first entry of an item key gets its outcome; repeats of it in the same Bundle were skipped. */
function responseEntries(entries: readonly EntryReading[], result: PushResult, held: ReadonlyMap<string, HeldRow>): ResponseEntry[] {
  const byKey = new Map<string, ItemOutcome>();
  for (const outcome of result.outcomes) {
    const known = byKey.get(outcome.itemKey);
    if (known === undefined || (known.outcome === "skipped" && outcome.outcome !== "skipped")) byKey.set(outcome.itemKey, outcome);
  }
  const answered = new Set<string>();
  return entries.map((entry): ResponseEntry => {
    if (entry.rejected) return heldEntry([{ stage: "parse", ...entry.rejected }]);
    if (!entry.item) return infoEntry("200 OK", "context");
    const key = entry.item.itemKey;
    const outcome = answered.has(key) ? { itemKey: key, outcome: "skipped" as const } : byKey.get(key);
    answered.add(key);
    if (outcome === undefined) return infoEntry("200 OK", "filtered");
    switch (outcome.outcome) {
      case "new":
        return { response: { status: "201 Created" } };
      case "change":
        return { response: { status: "200 OK" } };
      case "duplicate":
        return infoEntry("200 OK", "duplicate");
      case "stale":
        return infoEntry("200 OK", "stale");
      case "quarantined":
        return heldEntry(outcome.problems ?? []);
      case "skipped": {
        const row = held.get(key);
        return row ? heldEntry([row]) : infoEntry("200 OK", "skipped");
      }
    }
  });
}

// ---------------------------------------------------------------------------------------- the app

interface Env {
  Variables: { requestId: string; hl7Text?: string };
}

const SANE_REQUEST_ID = /^[\w.:-]{1,128}$/;

function charsetOf(contentType: string | undefined): string | undefined {
  return /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? "")?.[1];
}

/** The body as text in its declared charset; bytes that are not text in it are refused, not replaced (a Chinese name must never be silently altered). */
async function bodyText(c: Context<Env>, defaultCharset: string): Promise<string> {
  const charset = charsetOf(c.req.header("content-type")) ?? defaultCharset;
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset, { fatal: true });
  } catch {
    throw refusal(415, `The charset ${JSON.stringify(charset)} is not supported.`, `不支持字符集 ${JSON.stringify(charset)}。`, { charset });
  }
  const bytes = await c.req.arrayBuffer();
  try {
    return decoder.decode(bytes);
  } catch {
    throw refusal(400, `The body is not valid ${charset} text.`, `请求体不是有效的 ${charset} 文本。`, { charset });
  }
}

const FHIR_MEDIA_TYPES = new Set(["application/fhir+json", "application/json", "application/json+fhir"]);

/** Builds the Hono app of the push endpoints (startHisServer serves it; exported for in-process use). */
export function createHisApp(
  service: HisService,
  options: { pushToken?: string; log: HisLog; maxBodyBytes?: number; metrics: PushMetrics; track?: <T>(work: Promise<T>) => Promise<T> },
) {
  const { log, metrics } = options;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const push = pushOf(service, metrics, options.track ?? ((work) => work));
  preloadFhirDefinitions();
  const app = new Hono<Env>();

  app.use("*", async (c, next) => {
    const given = c.req.header("x-request-id");
    const id = given !== undefined && SANE_REQUEST_ID.test(given) ? given : randomUUID();
    c.set("requestId", id);
    c.header("X-Request-Id", id);
    await next();
  });

  const guard: MiddlewareHandler<Env> = async (c, next) => {
    if (options.pushToken !== undefined && !tokenMatches(c.req.header("authorization"), options.pushToken)) {
      c.header("WWW-Authenticate", 'Bearer realm="his-push"');
      const channel = channelOf(c.req.path);
      metrics.messages.inc({ format: channel === "fhir" ? "fhir-r4" : "hl7v2", channel: "http", result: "refused" });
      throw platformError("UNAUTHENTICATED", { message: "A push needs the front-end gateway's bearer token.", messageZh: "推送须携带前置机的 Bearer 令牌。" });
    }
    await next();
  };
  const limit = bodyLimit({
    maxSize: maxBodyBytes,
    onError: () => {
      throw refusal(413, `The message is larger than ${maxBodyBytes} bytes; send it in smaller Bundles or messages.`, `消息超过 ${maxBodyBytes} 字节，请拆分后发送。`, { maxBytes: maxBodyBytes });
    },
  });
  for (const path of ["/fhir/*", "/hl7v2/*"]) app.use(path, guard, limit);

  app.post("/fhir/:taskId", async (c) => {
    const mediaType = (c.req.header("content-type") ?? "application/fhir+json").split(";")[0]!.trim().toLowerCase();
    if (!FHIR_MEDIA_TYPES.has(mediaType)) {
      throw refusal(415, `A FHIR push is application/fhir+json, not ${mediaType}.`, `FHIR 推送的内容类型须为 application/fhir+json，而非 ${mediaType}。`, { contentType: mediaType });
    }
    const taskId = c.req.param("taskId");
    const reading = readBundle(await bodyText(c, "utf-8"));
    const parsed: ParseResult = "rejected" in reading ? { items: [], rejected: [reading.rejected] } : flatten(reading.entries);
    const result = await push(taskId, "fhir-r4", "http", parsed);
    c.header("X-Run-Id", String(result.runId));
    c.header("Content-Type", "application/fhir+json; charset=utf-8");
    log.info({ requestId: c.get("requestId"), taskId, runId: result.runId, ...result.counts }, "FHIR push taken");
    if ("rejected" in reading) {
      // The message itself is unreadable: kept in the quarantine (an operator sees what was sent), refused to the sender.
      const r: RejectedItem = reading.rejected;
      return c.body(JSON.stringify(outcomeOf(issue("error", heldIssueType("parse", r.reason), QUARANTINE_REASON_SYSTEM, r.reason, r.message, r.messageZh))), 400);
    }
    const held = await heldRows(service, taskId, result);
    const answer: PushResponseBundle = { resourceType: "Bundle", type: reading.type, timestamp: new Date().toISOString(), entry: responseEntries(reading.entries, result, held) };
    return c.body(JSON.stringify(answer), 200);
  });

  app.post("/hl7v2/:taskId", async (c) => {
    const taskId = c.req.param("taskId");
    const text = await bodyText(c, "utf-8");
    c.set("hl7Text", text);
    const parsed = parseOruR01(text);
    const result = await push(taskId, "hl7v2", "http", parsed);
    c.header("X-Run-Id", String(result.runId));
    c.header("Content-Type", hl7MediaType(c));
    log.info({ requestId: c.get("requestId"), taskId, runId: result.runId, ...result.counts }, "HL7 v2 push taken");
    // HL7 over HTTP: a message received and kept is 200; the ACK says AA, AE or AR.
    return c.body(parsed.ack, 200);
  });

  app.get("/healthz", async (c) => {
    try {
      await service.db.prisma.$queryRawUnsafe("SELECT 1");
      return c.json({ status: "ok", checks: { database: "ok" } });
    } catch (err) {
      log.warn({ err }, "health check: database unreachable");
      return c.json({ status: "unhealthy", checks: { database: "unreachable" } }, 503);
    }
  });

  app.get("/metrics", async (c) => {
    c.header("Content-Type", metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });

  app.notFound(() => {
    throw platformError("NOT_FOUND", { message: "No such endpoint: push to POST /fhir/{taskId} or /hl7v2/{taskId}.", messageZh: "没有该接口：请推送至 POST /fhir/{taskId} 或 /hl7v2/{taskId}。" });
  });

  app.onError((err, c) => {
    const { status, error } = refusalOf(err);
    const requestId = c.get("requestId") ?? "";
    if (status >= 500) log.error({ err, requestId, path: c.req.path }, "push failed");
    else log.debug({ requestId, code: error.code, path: c.req.path }, "push refused");
    const code = status as ContentfulStatusCode;
    // Internal errors may carry a reason that helps an attacker: logged, not sent.
    const shown = error.code === "INTERNAL" ? platformError("INTERNAL") : error;
    const channel = channelOf(c.req.path);
    if (channel === "fhir") {
      c.header("Content-Type", "application/fhir+json; charset=utf-8");
      return c.body(JSON.stringify(errorOutcome(status, shown)), code);
    }
    if (channel === "hl7v2") {
      c.header("Content-Type", hl7MediaType(c));
      return c.body(arAck(c.get("hl7Text"), shown), code);
    }
    return c.json({ code: shown.code, message: shown.message, messageZh: shown.messageZh, ...(Object.keys(shown.details).length > 0 ? { details: shown.details } : {}), requestId }, code);
  });

  return app;
}

function channelOf(path: string): Channel {
  return path.startsWith("/fhir/") ? "fhir" : path.startsWith("/hl7v2/") ? "hl7v2" : "service";
}

function hl7MediaType(c: Context<Env>): string {
  return (c.req.header("content-type") ?? "").toLowerCase().startsWith("text/plain") ? "text/plain; charset=utf-8" : "application/hl7-v2; charset=utf-8";
}

/** An AR acknowledgement of a message the service could not take (of the message itself when it can be read). */
function arAck(text: string | undefined, error: HealthChainError): string {
  let message: Hl7Message | null = null;
  if (text !== undefined && text.trimStart().startsWith("MSH")) {
    try {
      message = Hl7Message.parse(text.trim());
    } catch {
      message = null;
    }
  }
  return ackMessage(message, "AR", [{ hl7Code: 207, reason: error.code, message: error.message, messageZh: error.messageZh }]).toString();
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
  if (given === undefined) return false;
  // Digests of equal length: the comparison takes the same time whatever the token's length or content.
  const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();
  return timingSafeEqual(digest(given), digest(token));
}

function flatten(entries: readonly EntryReading[]): ParseResult {
  const items = [];
  const rejected = [];
  for (const entry of entries) {
    if (entry.item) items.push(entry.item);
    if (entry.rejected) rejected.push(entry.rejected);
  }
  return { items, rejected };
}

/**
 * Reads a pushed Bundle, and the type of its answer. Entries are taken one by one even in a
 * transaction: a refused resource goes to the quarantine while the others are kept (the platform's
 * rule: nothing accepted is lost), which each entry's status tells.
 */
function readBundle(text: string): { rejected: RejectedItem } | { entries: readonly EntryReading[]; type: PushResponseBundle["type"] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  // The adapter parses the text itself when it is not an object (its refusal names the JSON error).
  const reading = typeof json === "object" && json !== null ? readFhirBundle(json) : readFhirBundle(text);
  // A refused envelope is quarantined verbatim, as received.
  if ("rejected" in reading) return typeof json === "object" && json !== null ? (readFhirBundle(text) as { rejected: RejectedItem }) : reading;
  return { entries: reading.entries, type: (json as { type?: unknown }).type === "transaction" ? "transaction-response" : "batch-response" };
}

/** The open quarantine rows of items received before (a resent Bundle): they are still held, and the sender is told why. */
async function heldRows(service: HisService, taskId: string, result: PushResult): Promise<Map<string, HeldRow>> {
  const keys = result.outcomes.filter((o) => o.outcome === "skipped").map((o) => o.itemKey);
  const rows = new Map<string, HeldRow>();
  for (let i = 0; i < keys.length; i += 500) {
    const found = await service.db.prisma.quarantineItem.findMany({
      where: { taskId, status: "open", itemKey: { in: keys.slice(i, i + 500) } },
      select: { itemKey: true, stage: true, reason: true, message: true, messageZh: true },
    });
    for (const row of found) rows.set(row.itemKey, row);
  }
  return rows;
}

/** Takes one parsed message in as a run of its task (takePushed: in turn per task, answered after the commit), counted. */
function pushOf(service: HisService, metrics: PushMetrics, track: <T>(work: Promise<T>) => Promise<T>) {
  return async (taskId: string, format: "fhir-r4" | "hl7v2", channel: "http" | "mllp", parsed: ParseResult): Promise<PushResult> => {
    const started = performance.now();
    try {
      // The service's own context, so that pushes of one task over HTTP and MLLP take turns.
      const result = await track(takePushed(service.context, taskId, parsed, format));
      metrics.messages.inc({ format, channel, result: "taken" });
      metrics.runSeconds.observe({ format }, (performance.now() - started) / 1000);
      const byOutcome = new Map<string, number>();
      for (const o of result.outcomes) byOutcome.set(o.outcome, (byOutcome.get(o.outcome) ?? 0) + 1);
      if (result.counts.filtered > 0) byOutcome.set("filtered", result.counts.filtered);
      for (const [outcome, n] of byOutcome) metrics.items.inc({ format, outcome }, n);
      return result;
    } catch (error) {
      metrics.messages.inc({ format, channel, result: refusalOf(error).status < 500 ? "refused" : "failed" });
      throw error;
    }
  };
}

// ---------------------------------------------------------------------------------------- serving

/** Loads the FHIR R4 definitions the validator needs once per process, before the first push (which is spared the 0.4 s). */
export function preloadFhirDefinitions(): void {
  loadFhirR4Definitions();
}

/** Checks that each MLLP endpoint names an HL7 v2 push task (a typo must stop the start, not refuse every message). */
async function checkMllpTasks(service: HisService, endpoints: readonly MllpEndpoint[]): Promise<void> {
  for (const endpoint of endpoints) {
    const task = await taskOf(service.db.prisma, endpoint.taskId);
    if (task.source.format !== "hl7v2") {
      throw platformError("INVALID_INPUT", {
        message: `The MLLP listener on port ${endpoint.port} names task ${task.id}, which is not an HL7 v2 push task (${task.source.format}).`,
        messageZh: `端口 ${endpoint.port} 的 MLLP 监听所指采集任务 ${task.id} 不是 HL7 v2 推送任务（${task.source.format}）。`,
        details: { taskId: task.id, format: task.source.format },
      });
    }
  }
}

/** Serves the push endpoints over HTTP and the configured MLLP listeners. */
export async function startHisServer(service: HisService, options: HisServerOptions): Promise<RunningHisServer> {
  const { log } = options;
  const metrics = options.metrics ?? createPushMetrics();
  const endpoints = options.mllp ?? [];
  if (options.pushToken !== undefined && !/^[\w.~+/-]{16,}=*$/.test(options.pushToken)) {
    throw platformError("INVALID_INPUT", {
      message: "The push token must be at least 16 characters of A-Z a-z 0-9 - . _ ~ + / (an RFC 6750 bearer token).",
      messageZh: "推送令牌须为至少 16 个字符，仅含 A-Z a-z 0-9 - . _ ~ + /（RFC 6750 Bearer 令牌）。",
      details: { length: options.pushToken.length },
    });
  }
  await checkMllpTasks(service, endpoints);

  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    const settled = work.then(() => undefined, () => undefined);
    inFlight.add(settled);
    void settled.then(() => inFlight.delete(settled));
    return work;
  };
  const push = pushOf(service, metrics, track);
  const app = createHisApp(service, { log, metrics, track, ...(options.pushToken === undefined ? {} : { pushToken: options.pushToken }), ...(options.maxBodyBytes === undefined ? {} : { maxBodyBytes: options.maxBodyBytes }) });

  const listeners: { endpoint: MllpEndpoint; listener: MllpListener }[] = [];
  const server = createAdaptorServer({ fetch: app.fetch, hostname: options.host, serverOptions: HTTP_SERVER_OPTIONS });
  try {
    for (const endpoint of endpoints) {
      const listener = await startMllpListener({
        host: endpoint.host,
        port: endpoint.port,
        ...(endpoint.encoding ? { encoding: endpoint.encoding } : {}),
        onMessage: async (parsed) => {
          const result = await push(endpoint.taskId, "hl7v2", "mllp", parsed);
          log.info({ taskId: endpoint.taskId, runId: result.runId, ...result.counts }, "MLLP message taken");
        },
        onError: (err) => log.warn({ err, taskId: endpoint.taskId }, "MLLP connection problem"),
      });
      listeners.push({ endpoint, listener });
    }
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: options.host, port: options.port }, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    await Promise.all(listeners.map(({ listener }) => listener.close()));
    throw error;
  }
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}`;
  const mllp = listeners.map(({ endpoint, listener }) => ({ taskId: endpoint.taskId, host: endpoint.host, port: listener.port }));
  log.info({ url, mllp, auth: options.pushToken !== undefined }, "collection service listening");

  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    mllp,
    metrics,
    server,
    close(graceMs = 10_000) {
      closing ??= (async () => {
        await Promise.all([closeHttpServer(server, graceMs), ...listeners.map(({ listener }) => listener.close())]);
        // A push whose connection was cut still commits before the service is closed.
        await Promise.all(inFlight);
      })();
      return closing;
    },
  };
}

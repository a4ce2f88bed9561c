// The collection service assembled: its database, the standard model and each source format's
// mapping rules, the dictionary code mapper with the reviewers' decisions, the EMPI, the adapters, the
// anchoring worker and the scheduler. What the CLI (`his serve`), `npm start` and the end-to-end
// tests and benchmark run.
import { platformError } from "@health-chain/sdk";
import type { Hex } from "viem";
import type { ParseResult, PullAdapter, SourceFormat, SourceItem } from "./adapters/types.ts";
import { createFhirPullAdapter, parseFhirBundle } from "./adapters/fhir/index.ts";
import { parseOruR01 } from "./adapters/hl7v2/index.ts";
import { createSqlAdapter } from "./adapters/sql/index.ts";
import { anchorDue, type Anchorer, type AnchoringSummary } from "./anchoring/anchor.ts";
import { DEFAULT_ANCHORING_POLICY, parseAnchoringPolicy, type AnchoringPolicy } from "./anchoring/policy.ts";
import { loadCodeDecisions } from "./collection/code-reviews.ts";
import { createIdentityReconciler } from "./collection/identities.ts";
import { residentRefs } from "./collection/ids.ts";
import type { MapItem, ResidentDirectory } from "./collection/ports.ts";
import { takePushed, type PushResult } from "./collection/push.ts";
import { discardQuarantined, replayQuarantine, type ReplaySummary } from "./collection/quarantine.ts";
import { runTask, type RunnerContext, type RunSummary, type RunTrigger } from "./collection/runner.ts";
import { startScheduler, type Scheduler } from "./collection/scheduler.ts";
import { saveTask, type Task } from "./collection/tasks.ts";
import { activeConfig, publishConfig } from "./config/versions.ts";
import { migrateHisDatabase, openHisDatabase, type HisDatabase } from "./db.ts";
import { createEmpi, type Empi } from "./empi/index.ts";
import { CodeMapper, DecisionLog, standardLabDictionary } from "./mapping/index.ts";
import { compileRules, createQualityTally, loadMappingRules, loadStandard, mapToStandard, type CompiledRules, type Standard } from "./model/index.ts";

export interface HisServiceOptions {
  /** The service's database (`file:` SQLite or `postgres://`); migrated at start. */
  readonly databaseUrl: string;
  /** The secret salt of residentRefs (≥ 16 bytes). The same salt must be used by every collector of one platform. */
  readonly residentSalt: string;
  readonly directory: ResidentDirectory;
  readonly anchorer: Anchorer;
  /** Defaults: config/standard and config/mapping-rules of this package. */
  readonly standard?: Standard;
  readonly rules?: Partial<Record<SourceFormat, unknown>>;
  /** The anchoring policy when none is published yet (published as version 1 at start). */
  readonly anchoringPolicy?: unknown;
  readonly now?: () => Date;
  readonly log?: { info(details: object, message: string): void; warn(details: object, message: string): void; error(details: object, message: string): void };
}

export interface HisService {
  readonly db: HisDatabase;
  readonly empi: Empi;
  readonly codeMapper: CodeMapper;
  readonly context: RunnerContext;
  saveTask(input: unknown, actor: string): Promise<Task>;
  runTask(taskId: string, trigger?: RunTrigger, options?: { maxPages?: number }): Promise<RunSummary>;
  push(taskId: string, format: "fhir-r4" | "hl7v2", message: string | object): Promise<PushResult & { ack?: string }>;
  replay(taskId: string, options: { ids?: readonly number[]; actor: string }): Promise<ReplaySummary>;
  discard(id: number, actor: string, reason: string): Promise<void>;
  /** One anchoring pass; `nightly` is the T+1 run, `upTo` anchors on demand what was collected before it. */
  anchor(options?: { nightly?: boolean; upTo?: Date }): Promise<AnchoringSummary>;
  /** Loads reviewers' code decisions written since the last call (the gateway writes them). */
  refreshCodeDecisions(): Promise<void>;
  /** Follows the EMPI's merges, unmerges and moves (made here or through the gateway): records take their current resident; anchored ones get identity-merge change records. */
  reconcileIdentities(): Promise<{ moved: number; changes: number }>;
  /** Starts the scheduler (cron tasks, requested runs and replays, anchoring ticks, the T+1 run). */
  startScheduler(options?: { pollMs?: number }): Scheduler;
  close(): Promise<void>;
}

const FORMATS: readonly SourceFormat[] = ["sql", "fhir-r4", "hl7v2"];

/** Opens the source of a pulled task. */
export function adapterOfTask(task: Task): PullAdapter | Promise<PullAdapter> {
  const source = task.source;
  if (source.format === "sql") {
    const url = source.url ?? process.env[source.urlEnv!];
    if (!url) {
      throw platformError("INVALID_INPUT", {
        message: `The environment variable ${source.urlEnv} holding task ${task.id}'s database URL is not set.`,
        messageZh: `采集任务 ${task.id} 的数据库地址所在的环境变量 ${source.urlEnv} 未设置。`,
        details: { taskId: task.id },
      });
    }
    return createSqlAdapter({ url });
  }
  if (source.format === "fhir-r4" && source.baseUrl) return createFhirPullAdapter({ baseUrl: source.baseUrl });
  throw platformError("INVALID_INPUT", {
    message: `Task ${task.id} is pushed to the service; it has nothing to pull.`,
    messageZh: `采集任务 ${task.id} 为推送接入，没有可拉取的数据源。`,
    details: { taskId: task.id, format: source.format },
  });
}

/** Re-reads a raw message that a parser once refused (replay after a fix). */
export function reparse(format: SourceFormat, raw: string): ParseResult | null {
  if (format === "fhir-r4") {
    // A resource refused inside a Bundle was kept alone: it is read again as a one-entry collection.
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return parseFhirBundle(raw);
    }
    const resource = parsed as { resourceType?: unknown };
    return parseFhirBundle(resource.resourceType === "Bundle" ? raw : { resourceType: "Bundle", type: "collection", entry: [{ resource }] });
  }
  if (format === "hl7v2") return parseOruR01(raw);
  // A refused row of the intermediate tables is corrected at the source, which sends it again
  // under a new change sequence; the refused row itself stays quarantined until an operator discards it.
  return null;
}

export async function openHisService(options: HisServiceOptions): Promise<HisService> {
  await migrateHisDatabase(options.databaseUrl);
  const db = openHisDatabase(options.databaseUrl);
  try {
    const standard = options.standard ?? loadStandard();
    const compiled = new Map<SourceFormat, CompiledRules>();
    for (const format of FORMATS) compiled.set(format, compileRules(standard, options.rules?.[format] ?? loadMappingRules(format)));
    const codeMapper = new CodeMapper(standardLabDictionary(), { decisions: new DecisionLog() });
    let lastDecision = await loadCodeDecisions(db.prisma, codeMapper);

    let policyRow = await activeConfig<AnchoringPolicy>(db.prisma, "anchoring", "default");
    if (!policyRow) {
      policyRow = await publishConfig(db.prisma, {
        kind: "anchoring",
        name: "default",
        value: options.anchoringPolicy === undefined ? DEFAULT_ANCHORING_POLICY : parseAnchoringPolicy(options.anchoringPolicy),
        actor: "service-start",
        note: "initial policy",
      });
    }
    let policy = { value: parseAnchoringPolicy(policyRow.value), version: policyRow.version, hash: policyRow.hash };
    /** The active policy, re-read before each pass: a version published through the gateway applies at the next pass. */
    const currentPolicy = async () => {
      const active = await activeConfig<AnchoringPolicy>(db.prisma, "anchoring", "default");
      if (active && active.version !== policy.version) policy = { value: parseAnchoringPolicy(active.value), version: active.version, hash: active.hash };
      return policy;
    };

    const empi = createEmpi(db.prisma);
    const residentRefOf = residentRefs(options.residentSalt) as (personId: string) => Hex;
    const mapItem: MapItem = (item: SourceItem) => {
      const rules = compiled.get(item.format)!;
      return mapToStandard(item, { standard, rules, codeMapper });
    };
    const context: RunnerContext & { reparse: typeof reparse } = {
      db: db.prisma,
      mapItem,
      linker: empi.residentLinker(),
      residentRefOf,
      adapterOf: adapterOfTask,
      tallyOf: () => createQualityTally({ standard }),
      reparse,
      ...(options.now ? { now: options.now } : {}),
    };
    const anchoringWith = (current: typeof policy) => ({
      db: db.prisma,
      anchorer: options.anchorer,
      policy: current,
      directory: options.directory,
      ...(options.now ? { now: options.now } : {}),
      ...(options.log ? { log: options.log } : {}),
    });
    const refreshCodeDecisions = async () => {
      lastDecision = await loadCodeDecisions(db.prisma, codeMapper, lastDecision);
    };
    const reconciler = createIdentityReconciler({ db: db.prisma, personOf: (institution, patientId) => empi.personOf(institution, patientId), residentRefOf });
    const reconcileIdentities = async () => {
      await empi.refresh();
      return reconciler.reconcile();
    };

    const service: HisService = {
      db,
      empi,
      codeMapper,
      context,
      saveTask: (input, actor) => saveTask(db.prisma, input, actor),
      runTask: (taskId, trigger = "manual", runOptions = {}) => runTask(context, taskId, trigger, runOptions),
      async push(taskId, format, message) {
        if (format === "hl7v2") {
          const parsed = parseOruR01(typeof message === "string" ? message : JSON.stringify(message));
          return { ...(await takePushed(context, taskId, parsed, format)), ack: parsed.ack };
        }
        return takePushed(context, taskId, parseFhirBundle(message), format);
      },
      async replay(taskId, replayOptions) {
        await refreshCodeDecisions();
        return replayQuarantine(context, taskId, replayOptions);
      },
      discard: (id, actor, reason) => discardQuarantined(context, id, actor, reason),
      anchor: async (anchorOptions = {}) => anchorDue(anchoringWith(await currentPolicy()), anchorOptions),
      refreshCodeDecisions,
      reconcileIdentities,
      startScheduler(schedulerOptions = {}) {
        return startScheduler({
          db: db.prisma,
          runTask: async (taskId, trigger) => {
            await empi.refresh();
            return runTask(context, taskId, trigger);
          },
          anchor: async ({ nightly }) => {
            await refreshCodeDecisions();
            await reconcileIdentities();
            return anchorDue(anchoringWith(await currentPolicy()), { nightly });
          },
          replay: (taskId, ids, actor) => service.replay(taskId, { ids, actor }),
          nightly: { cron: policy.value.nightly, timezone: policy.value.timezone },
          ...(schedulerOptions.pollMs === undefined ? {} : { pollMs: schedulerOptions.pollMs }),
          ...(options.log ? { log: options.log } : {}),
        });
      },
      close: () => db.close(),
    };
    return service;
  } catch (error) {
    await db.close();
    throw error;
  }
}

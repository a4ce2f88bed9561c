#!/usr/bin/env node
// eqa <command> --config <file>: the EQA service's process. `serve` runs the worker (evaluation
// requests, document issuing, anchoring) until SIGINT/SIGTERM; `migrate`, `evaluate`, `publish` and
// `anchor` are the operator's one-shot commands. Results are JSON on stdout, logs (pino) on stderr.
// The configuration is a JSON file (paths relative to it) with environment overrides; the gateway
// SM2 key never lives in it.
import { readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { dirname, isAbsolute, resolve } from "node:path";
import { parseArgs } from "node:util";
import { systemGatewayProblems, systemGatewaySchema, systemKeyOf } from "../../../gateway/src/system-key.ts";
import { pino, type Logger } from "pino";
import { z } from "zod";
import { isPlatformError, platformError } from "@health-chain/sdk";
import { migrateEqaDatabase, openEqaDatabase, type EqaDb } from "./db.ts";
import { anchorPendingDocuments, createGatewayCertificateAnchorer, type AnchorPendingResult, type CertificateAnchorer } from "./publication/anchor.ts";
import { evaluateStoredRound } from "./publication/evaluate.ts";
import { publishRoundDocuments, type PublishOptions } from "./publication/publish.ts";
import { seedDemo } from "./seed/seed-demo.ts";
import { passDidWork, runWorkerPass, type WorkerOptions } from "./worker.ts";

const USAGE = `Usage: node services/eqa/src/cli.ts <command> --config <file>

Commands:
  migrate            apply the database migrations
  serve              the worker (evaluation requests, documents of published rounds, anchoring)
                     until SIGINT/SIGTERM
  evaluate <round>   evaluate a closed (or re-evaluate an evaluated) round now; prints a summary
  publish <round>    issue the documents of a published round for every lab still without them,
                     then anchor the pending documents; prints the counts (exit 1 if any failed)
  anchor             anchor the pending and failed documents now (exit 1 if any failed)
  seed               dev mode only: the demonstration (labs, plans, round 1 published with its
                     documents anchored through the gateway, round 2 open); existing data is kept

  --config, -c   the service configuration (JSON), e.g. services/eqa/config/eqa.dev.json; default $EQA_CONFIG

Environment overrides: EQA_DATABASE_URL, EQA_GATEWAY_URL, EQA_VERIFY_BASE_URL, EQA_LOG_LEVEL, EQA_PDF_FONT.
Secret: the gateway SM2 key (gateway.keyFile / gateway.keyEnv; dev mode: "keyFrom": "dev-staff-keys").`;

/** The public development SM2 keys of the gateway's dev staff (gateway/config/dev.json). */


const fileSchema = z
  .object({
    mode: z.enum(["dev", "production"]).default("production"),
    /** The service's database: `file:` (SQLite, relative to this file) or `postgres(ql)://`. */
    databaseUrl: z.string().min(1),
    /** How the worker anchors: as the centre's institution system in the platform's gateway. */
    gateway: systemGatewaySchema,
    /** The centre as printed on documents, and its consortium address (the issuer on chain). */
    centre: z
      .object({
        name: z.string().min(1),
        nameEn: z.string().min(1),
        address: z.string().regex(/^0x[0-9a-fA-F]{40}$/, "a 20-byte hex address (0x…)"),
      })
      .strict(),
    /** Printed on certificates. */
    signatory: z.string().min(1),
    /** Base of the public verification page printed in the QR codes. */
    verifyBaseUrl: z.url(),
    /** Validity of certificates and recognition from publication. */
    validityDays: z.number().int().min(1).max(3660).default(365),
    worker: z
      .object({
        /** Sleep after an idle pass (a pass that did work is followed at once by the next). */
        pollMs: z.number().int().min(100).default(5000),
        /** Labs whose documents are rendered per pass (anchoring runs in between). */
        labsPerPass: z.number().int().min(1).max(10_000).default(50),
        /** Documents anchored at once (each waits for its block). */
        anchorConcurrency: z.number().int().min(1).max(64).default(8),
        /** Who the worker acts as in audit records; default the gateway staff id. */
        actor: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    render: z
      .object({
        /** A TrueType/OpenType font (or .ttc) with CJK glyphs, relative to this file; $EQA_PDF_FONT wins. */
        fontPath: z.string().min(1).optional(),
        fontName: z.string().min(1).optional(),
        language: z.enum(["zh", "en"]).optional(),
      })
      .strict()
      .prefault({}),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .strict();

export type EqaConfigFile = z.input<typeof fileSchema>;
export type EqaConfig = z.infer<typeof fileSchema> & { readonly baseDir: string; readonly source: string };

function invalid(problems: string[], source: string): Error {
  return platformError("INVALID_INPUT", {
    message: `The EQA service configuration ${source} is not valid: ${problems.join("; ")}`,
    messageZh: `室间质评服务配置 ${source} 无效：${problems.join("；")}`,
    details: { source, problems },
  });
}

/**
 * Checks a configuration object; relative paths are resolved against `baseDir`. `env` overrides:
 * EQA_DATABASE_URL, EQA_GATEWAY_URL, EQA_VERIFY_BASE_URL, EQA_LOG_LEVEL, EQA_PDF_FONT (drops render.fontPath so the
 * renderer takes the variable).
 */
export function parseEqaConfig(value: unknown, options: { baseDir: string; env?: NodeJS.ProcessEnv; source?: string }): EqaConfig {
  const env = options.env ?? {};
  const source = options.source ?? "(object)";
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(["(root): an object"], source);
  const raw = structuredClone(value) as Record<string, unknown>;
  const section = (key: string) => (raw[key] = { ...((raw[key] as object | undefined) ?? {}) }) as Record<string, unknown>;
  if (env.EQA_DATABASE_URL) raw.databaseUrl = env.EQA_DATABASE_URL;
  if (env.EQA_GATEWAY_URL) section("gateway").baseUrl = env.EQA_GATEWAY_URL;
  if (env.EQA_VERIFY_BASE_URL) raw.verifyBaseUrl = env.EQA_VERIFY_BASE_URL;
  if (env.EQA_LOG_LEVEL) raw.logLevel = env.EQA_LOG_LEVEL;

  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) throw invalid(parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`), source);
  const c = parsed.data;
  const problems: string[] = [];
  problems.push(...systemGatewayProblems(c.gateway, c.mode));
  if (problems.length > 0) throw invalid(problems, source);

  const path = (p: string) => (isAbsolute(p) ? p : resolve(options.baseDir, p));
  const rest = c.databaseUrl.slice("file:".length);
  const databaseUrl = c.databaseUrl.startsWith("file:") && !rest.startsWith("/") && rest !== ":memory:" ? `file:${path(rest)}` : c.databaseUrl;
  const { fontPath, ...render } = c.render;
  return {
    ...c,
    databaseUrl,
    gateway: { ...c.gateway, ...(c.gateway.keyFile ? { keyFile: path(c.gateway.keyFile) } : {}) },
    render: { ...render, ...(fontPath !== undefined && !env.EQA_PDF_FONT ? { fontPath: path(fontPath) } : {}) },
    baseDir: options.baseDir,
    source,
  };
}

/** Reads and checks the configuration file with the process environment's overrides. */
export function loadEqaConfig(file: string, env: NodeJS.ProcessEnv = process.env): EqaConfig {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw platformError("INVALID_INPUT", {
      message: `Cannot read the EQA service configuration ${file}: ${(cause as Error).message}`,
      messageZh: `无法读取室间质评服务配置 ${file}：${(cause as Error).message}`,
      details: { file },
      cause,
    });
  }
  return parseEqaConfig(value, { baseDir: dirname(resolve(file)), env, source: file });
}

/** The SM2 private key the worker signs in to the gateway and signs document hashes with. */
export function gatewayKeyOf(config: EqaConfig, env: NodeJS.ProcessEnv = process.env): string {
  return systemKeyOf(config.gateway, env);
}

/**
 * The anchoring the worker does. The key is read and checked now (a bad key stops the start), but
 * the gateway is only signed in to when a document is to be anchored (createSystemSession is lazy),
 * so a worker with nothing pending runs without a gateway.
 */
function anchoringOf(config: EqaConfig, env: NodeJS.ProcessEnv): { anchorer: CertificateAnchorer; privateKey: string; concurrency: number } {
  const privateKey = gatewayKeyOf(config, env);
  const anchorer = createGatewayCertificateAnchorer({
    baseUrl: config.gateway.baseUrl,
    staffId: config.gateway.staffId,
    privateKey,
    ...(config.gateway.timeoutMs ? { timeoutMs: config.gateway.timeoutMs } : {}),
  });
  return { anchorer, privateKey, concurrency: config.worker.anchorConcurrency };
}

function publishOptionsOf(config: EqaConfig): WorkerOptions["publish"] {
  return {
    centre: config.centre,
    signatory: config.signatory,
    verifyBaseUrl: config.verifyBaseUrl,
    validityDays: config.validityDays,
    render: config.render as NonNullable<PublishOptions["render"]>,
  };
}

const workerActor = (config: EqaConfig) => config.worker.actor ?? config.gateway.staffId;
const operator = () => `cli:${userInfo().username}`;

/**
 * Anchors every pending document (and retries the failed ones once): the first call retries failed
 * documents, the next ones take only pending documents, so each call shrinks the pending set and
 * the loop ends even when the gateway refuses everything.
 */
async function anchorAll(db: EqaDb, anchoring: ReturnType<typeof anchoringOf>): Promise<AnchorPendingResult> {
  const total: AnchorPendingResult = { anchored: 0, superseded: 0, failed: [] };
  for (let first = true; ; first = false) {
    const pass = await anchorPendingDocuments(db, anchoring.anchorer, { privateKey: anchoring.privateKey, concurrency: anchoring.concurrency, retryFailed: first });
    total.anchored += pass.anchored;
    total.superseded += pass.superseded;
    total.failed.push(...pass.failed);
    if (pass.anchored + pass.failed.length === 0) return total;
  }
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((done) => {
    if (signal.aborted) return done();
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), done()), { once: true });
  });

async function serve(config: EqaConfig, env: NodeJS.ProcessEnv, log: Logger): Promise<void> {
  // Dev mode sets up its own database, like the gateway's dev mode; production runs `migrate` first.
  if (config.mode === "dev") await migrateEqaDatabase(config.databaseUrl);
  const options: WorkerOptions = {
    actor: workerActor(config),
    publish: publishOptionsOf(config),
    labsPerPass: config.worker.labsPerPass,
    anchoring: anchoringOf(config, env),
    log,
  };
  const database = openEqaDatabase(config.databaseUrl);
  const stopping = new AbortController();
  const stop = (signal: string) => {
    log.info({ signal }, "stopping: finishing the pass in hand");
    // A second signal does not wait.
    process.once(signal, () => process.exit(1));
    stopping.abort();
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
  log.info({ pollMs: config.worker.pollMs, staffId: config.gateway.staffId, gateway: config.gateway.baseUrl }, "worker started");
  try {
    while (!stopping.signal.aborted) {
      let busy = false;
      try {
        busy = passDidWork(await runWorkerPass(database.prisma, options));
      } catch (err) {
        // A database or gateway outage: retried at the next poll, never the end of the process.
        log.error({ err }, "worker pass failed; retrying at the next poll");
      }
      if (!busy) await sleep(config.worker.pollMs, stopping.signal);
    }
  } finally {
    await database.close();
    log.info("stopped");
  }
}

/**
 * `seed`: the demonstration data (src/seed), then the worker's passes until idle, so that round 1's
 * documents are issued and anchored through the gateway before it returns. Dev mode only: demo labs
 * and rounds have no place in a production database.
 */
async function seed(config: EqaConfig, env: NodeJS.ProcessEnv, log: Logger): Promise<{ summary: unknown; failed: number }> {
  if (config.mode !== "dev") {
    throw platformError("FORBIDDEN", {
      message: `eqa seed writes demonstration data: it runs in dev mode only (${config.source} is "${config.mode}").`,
      messageZh: `eqa seed 写入演示数据，仅限开发模式（${config.source} 为“${config.mode}”）。`,
      details: { mode: config.mode },
    });
  }
  // Read the key before writing anything: a bad key changes nothing.
  const anchoring = anchoringOf(config, env);
  await migrateEqaDatabase(config.databaseUrl);
  const database = openEqaDatabase(config.databaseUrl);
  try {
    const db = database.prisma;
    const seeded = await seedDemo(db);
    for (const note of seeded.skipped) log.info({ note }, "seed: kept what exists");
    const options: WorkerOptions = { actor: workerActor(config), publish: publishOptionsOf(config), labsPerPass: config.worker.labsPerPass, anchoring, log };
    const work = { labsIssued: 0, documentsIssued: 0, anchored: 0, failed: [] as { number: string; error: string }[] };
    for (;;) {
      const pass = await runWorkerPass(db, options);
      for (const p of pass.published) {
        work.labsIssued += p.labsIssued;
        work.documentsIssued += p.documents;
      }
      work.anchored += pass.anchoring?.anchored ?? 0;
      work.failed.push(...(pass.anchoring?.failed ?? []));
      // A pass that anchored nothing new ends it: failures are left to `eqa serve` / `eqa anchor`.
      if (!passDidWork(pass)) break;
    }
    const documents = await db.document.groupBy({ by: ["status"], where: { round: { code: { in: seeded.publishedRounds } } }, _count: { _all: true } });
    const summary = {
      database: config.databaseUrl,
      ...seeded,
      documents: { ...work, byStatus: Object.fromEntries(documents.map((d) => [d.status, d._count._all])) },
    };
    return { summary, failed: work.failed.length };
  } finally {
    await database.close();
  }
}

/** Runs a command; returns the process exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { config: { type: "string", short: "c" }, help: { type: "boolean", short: "h" } },
  });
  const [command, ...args] = positionals;
  const file = values.config ?? env.EQA_CONFIG;
  const needsRound = command === "evaluate" || command === "publish";
  const known = ["migrate", "serve", "evaluate", "publish", "anchor", "seed"];
  if (values.help || command === undefined || !known.includes(command) || file === undefined || (needsRound && args[0] === undefined)) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const config = loadEqaConfig(file, env);
  const log = pino({ level: config.logLevel, base: { component: "eqa" } }, pino.destination(2));
  const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

  if (command === "migrate") {
    print({ applied: await migrateEqaDatabase(config.databaseUrl) });
    return 0;
  }
  if (command === "serve") {
    await serve(config, env, log);
    return 0;
  }
  if (command === "seed") {
    const { summary, failed } = await seed(config, env, log);
    print(summary);
    return failed === 0 ? 0 : 1;
  }
  // Read the key before opening the database: a bad key changes nothing.
  const anchoring = command === "evaluate" ? undefined : anchoringOf(config, env);
  const database = openEqaDatabase(config.databaseUrl);
  try {
    const db = database.prisma;
    if (command === "evaluate") {
      const stored = await evaluateStoredRound(db, args[0]!, operator());
      const { evaluation } = stored;
      if (evaluation.consistency.status === "red") log.warn({ differences: evaluation.consistency.differences }, "the consistency check is red: submitted, stored and reported counts differ");
      print({
        round: stored.roundCode,
        version: stored.version,
        computedAt: stored.computedAt.toISOString(),
        computedBy: stored.computedBy,
        consistency: { status: evaluation.consistency.status, differences: evaluation.consistency.differences },
        labs: evaluation.labs.length,
        labsSubmitted: evaluation.labs.filter((l) => l.submitted).length,
        cells: evaluation.cells.length,
        cellsNotComputable: evaluation.cells.filter((c) => c.notComputable !== null).length,
        scores: evaluation.scores.length,
      });
      return 0;
    }
    const total = { labsIssued: 0, documents: 0, labsRemaining: 0 };
    if (command === "publish") {
      // In slices of labsPerPass, as the worker does, so one lab's failure costs at most its slice.
      for (;;) {
        const slice = await publishRoundDocuments(db, args[0]!, { ...publishOptionsOf(config), actor: operator(), maxLabs: config.worker.labsPerPass });
        total.labsIssued += slice.labsIssued;
        total.documents += slice.documents;
        total.labsRemaining = slice.labsRemaining;
        if (slice.labsIssued > 0) log.info(slice, "documents issued");
        if (slice.labsRemaining === 0 || slice.labsIssued === 0) break;
      }
    }
    const anchored = await anchorAll(db, anchoring!);
    print(command === "publish" ? { round: args[0], ...total, anchoring: anchored } : anchored);
    return anchored.failed.length === 0 ? 0 : 1;
  } finally {
    await database.close();
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (isPlatformError(error)) console.error(`eqa: ${error.code}: ${error.message}\n${error.messageZh}`);
      else console.error("eqa:", error);
      process.exit(1);
    },
  );
}

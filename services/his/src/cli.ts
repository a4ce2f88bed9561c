#!/usr/bin/env node
// his <command> --config <file>: the collection service's process. `serve` runs the scheduler, the
// HTTP push endpoints and the MLLP listeners and stops cleanly on SIGINT/SIGTERM; `migrate`, `run`,
// `anchor` and `task save` are the operator's one-shot commands (their result as JSON on stdout,
// logs on stderr). The configuration is a JSON file (paths relative to it) with environment
// overrides; secrets (push token, SM2 key, salts) never live in it.
import { readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { dirname, isAbsolute, resolve } from "node:path";
import { parseArgs } from "node:util";
import { systemGatewayProblems, systemGatewaySchema, systemKeyOf } from "../../../gateway/src/system-key.ts";
import { pino, type Logger } from "pino";
import { z } from "zod";
import { isPlatformError, platformError } from "@health-chain/sdk";
import type { Anchorer } from "./anchoring/anchor.ts";
import { createGatewayAnchorer } from "./anchoring/gateway.ts";
import { checkSalt, derivedDirectory } from "./collection/ids.ts";
import type { ResidentDirectory } from "./collection/ports.ts";
import { parseTaskInput } from "./collection/tasks.ts";
import { migrateHisDatabase } from "./db.ts";
import { DEFAULT_MAX_BODY_BYTES, preloadFhirDefinitions, startHisServer } from "./server.ts";
import { seedDistrict } from "./seed.ts";
import { openHisService, type HisService } from "./service.ts";

const USAGE = `Usage: node services/his/src/cli.ts <command> --config <file>

Commands:
  migrate                 apply the database migrations
  serve [--port <n>]      scheduler + HTTP push endpoints + MLLP listeners, until SIGINT/SIGTERM
  run <taskId>            one run of a pulled task now; prints its summary (exit 1 if it failed)
  anchor [--nightly]      one anchoring pass now (--nightly: the T+1 run, change records included)
  task save <file.json>   create or replace a collection task (one definition or an array)
  seed --source-url <url> [--residents <n>]
                          the synthetic district: writes the regional platform's intermediate
                          database, sets up its tasks, collects and anchors one T+1 run (npm start)

  --config, -c   the service configuration (JSON), e.g. services/his/config/his.dev.json; default $HIS_CONFIG

Environment overrides: HIS_DATABASE_URL, HIS_HOST, HIS_PORT, HIS_MLLP_HOST, HIS_MLLP_PORT, HIS_GATEWAY_URL, HIS_LOG_LEVEL.
Secrets: the push token ($HIS_PUSH_TOKEN, or push.tokenEnv), the resident salt ($HIS_RESIDENT_SALT),
the demo wallet secret ($HIS_WALLET_SECRET), the gateway SM2 key (gateway.keyFile / gateway.keyEnv).`;

/** Development secrets of `mode: "dev"` when the environment sets none: public, never for production. */
const DEV_RESIDENT_SALT = "health-chain development resident salt; never use in production";
const DEV_WALLET_SECRET = "health-chain development wallet secret; never use in production";
/** The public development SM2 keys of the gateway's dev staff (gateway/config/dev.json). */

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable name");
const port = z.number().int().min(0).max(65535);

const fileSchema = z
  .object({
    mode: z.enum(["dev", "production"]).default("production"),
    /** The service's database: `file:` (SQLite, relative to this file) or `postgres(ql)://`. */
    databaseUrl: z.string().min(1),
    push: z
      .object({
        host: z.string().min(1).default("127.0.0.1"),
        port: port.default(8090),
        /** The environment variable holding the bearer token the HIS sends; required outside dev mode. */
        tokenEnv: envName.default("HIS_PUSH_TOKEN"),
        maxBodyBytes: z.number().int().min(1024).max(512 * 1024 * 1024).default(DEFAULT_MAX_BODY_BYTES),
      })
      .strict()
      .prefault({}),
    /** One MLLP listener per HL7 v2 push task. */
    mllp: z
      .array(z.object({ taskId: z.string().min(1), host: z.string().min(1).default("127.0.0.1"), port, encoding: z.string().min(1).optional() }).strict())
      .default([]),
    /** How the service anchors: as an institution system of the platform's gateway. */
    gateway: systemGatewaySchema,
    secrets: z
      .object({ residentSaltEnv: envName.default("HIS_RESIDENT_SALT"), walletSecretEnv: envName.default("HIS_WALLET_SECRET") })
      .strict()
      .prefault({}),
    scheduler: z.object({ enabled: z.boolean().default(true), pollMs: z.number().int().min(100).default(5000) }).strict().prefault({}),
    /** Tasks created at start when missing (an existing task is left as the admin screens made it). */
    tasks: z.array(z.unknown()).default([]),
    logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  })
  .strict();

export type HisConfigFile = z.input<typeof fileSchema>;
export type HisConfig = z.infer<typeof fileSchema> & { readonly baseDir: string; readonly source: string };

function invalid(problems: string[], source: string): Error {
  return platformError("INVALID_INPUT", {
    message: `The collection service configuration ${source} is not valid: ${problems.join("; ")}`,
    messageZh: `采集服务配置 ${source} 无效：${problems.join("；")}`,
    details: { source, problems },
  });
}

/**
 * Checks a configuration object; relative paths are resolved against `baseDir`. `env` overrides:
 * HIS_DATABASE_URL, HIS_HOST, HIS_PORT, HIS_MLLP_HOST (every listener), HIS_MLLP_PORT (the only
 * listener), HIS_GATEWAY_URL, HIS_LOG_LEVEL.
 */
export function parseHisConfig(value: unknown, options: { baseDir: string; env?: NodeJS.ProcessEnv; source?: string }): HisConfig {
  const env = options.env ?? {};
  const source = options.source ?? "(object)";
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(["(root): an object"], source);
  const raw = structuredClone(value) as Record<string, Record<string, unknown> | unknown>;
  const section = (key: string) => (raw[key] = { ...((raw[key] as object | undefined) ?? {}) }) as Record<string, unknown>;
  if (env.HIS_DATABASE_URL) raw.databaseUrl = env.HIS_DATABASE_URL;
  if (env.HIS_HOST) section("push").host = env.HIS_HOST;
  if (env.HIS_PORT) section("push").port = Number(env.HIS_PORT);
  if (env.HIS_GATEWAY_URL) section("gateway").baseUrl = env.HIS_GATEWAY_URL;
  if (env.HIS_LOG_LEVEL) raw.logLevel = env.HIS_LOG_LEVEL;
  if (env.HIS_MLLP_HOST && Array.isArray(raw.mllp)) raw.mllp = raw.mllp.map((l: unknown) => ({ ...(l as object), host: env.HIS_MLLP_HOST }));
  if (env.HIS_MLLP_PORT && Array.isArray(raw.mllp) && raw.mllp.length === 1) raw.mllp = [{ ...(raw.mllp[0] as object), port: Number(env.HIS_MLLP_PORT) }];

  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) throw invalid(parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`), source);
  const c = parsed.data;
  const problems: string[] = [];
  problems.push(...systemGatewayProblems(c.gateway, c.mode));
  const endpoints = new Set<string>([`${c.push.host}:${c.push.port}`]);
  for (const [i, l] of c.mllp.entries()) {
    if (l.port !== 0 && endpoints.has(`${l.host}:${l.port}`)) problems.push(`mllp.${i}: ${l.host}:${l.port} is already used`);
    endpoints.add(`${l.host}:${l.port}`);
  }
  for (const [i, task] of c.tasks.entries()) {
    try {
      parseTaskInput(task);
    } catch (error) {
      problems.push(`tasks.${i}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw invalid(problems, source);

  const path = (p: string) => (isAbsolute(p) ? p : resolve(options.baseDir, p));
  const rest = c.databaseUrl.slice("file:".length);
  const databaseUrl = c.databaseUrl.startsWith("file:") && !rest.startsWith("/") && rest !== ":memory:" ? `file:${path(rest)}` : c.databaseUrl;
  return {
    ...c,
    databaseUrl,
    gateway: { ...c.gateway, ...(c.gateway.keyFile ? { keyFile: path(c.gateway.keyFile) } : {}) },
    baseDir: options.baseDir,
    source,
  };
}

/** Reads and checks the configuration file with the process environment's overrides. */
export function loadHisConfig(file: string, env: NodeJS.ProcessEnv = process.env): HisConfig {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, "utf8"));
  } catch (cause) {
    throw platformError("INVALID_INPUT", {
      message: `Cannot read the collection service configuration ${file}: ${(cause as Error).message}`,
      messageZh: `无法读取采集服务配置 ${file}：${(cause as Error).message}`,
      details: { file },
      cause,
    });
  }
  return parseHisConfig(value, { baseDir: dirname(resolve(file)), env, source: file });
}

/** A secret from the environment, or (dev mode only) the public development value. */
function secretOf(config: HisConfig, env: NodeJS.ProcessEnv, name: string, what: string, devValue: string, log: Logger): string {
  const value = env[name];
  if (value !== undefined && value !== "") {
    checkSalt(value, what);
    return value;
  }
  if (config.mode === "dev") {
    log.warn({ variable: name }, `${what}: the public development value (set $${name} for anything real)`);
    return devValue;
  }
  throw platformError("INVALID_INPUT", {
    message: `The ${what} is not set: put it in the environment variable ${name} (at least 16 bytes).`,
    messageZh: `未设置${what === "resident salt" ? "居民标识盐值" : "钱包派生密钥"}：请在环境变量 ${name} 中设置（至少 16 字节）。`,
    details: { variable: name },
  });
}

/** The SM2 private key the service signs in to the gateway with. */
export function gatewayKeyOf(config: HisConfig, env: NodeJS.ProcessEnv = process.env): string {
  return systemKeyOf(config.gateway, env);
}

/** For the commands that never anchor: the service needs an anchorer and a directory, which must not be called. */
const notAnchoring = (): never => {
  throw platformError("INTERNAL", { message: "This command does not anchor.", messageZh: "该命令不执行上链。" });
};
const noAnchorer: Anchorer = { anchorRecords: notAnchoring, anchorRecord: notAnchoring, anchorChanges: notAnchoring, anchorChange: notAnchoring, anchoredState: notAnchoring };
const noDirectory: ResidentDirectory = { walletOf: notAnchoring };

async function openService(config: HisConfig, env: NodeJS.ProcessEnv, log: Logger, anchoring: boolean): Promise<HisService> {
  const residentSalt = secretOf(config, env, config.secrets.residentSaltEnv, "resident salt", DEV_RESIDENT_SALT, log);
  const anchorer = anchoring
    ? createGatewayAnchorer({ baseUrl: config.gateway.baseUrl, staffId: config.gateway.staffId, privateKey: gatewayKeyOf(config, env), ...(config.gateway.timeoutMs ? { timeoutMs: config.gateway.timeoutMs } : {}) })
    : noAnchorer;
  const directory = anchoring ? derivedDirectory(secretOf(config, env, config.secrets.walletSecretEnv, "wallet secret", DEV_WALLET_SECRET, log)) : noDirectory;
  // A FHIR pull run or a replay reads Bundles: see preloadFhirDefinitions.
  preloadFhirDefinitions();
  return openHisService({ databaseUrl: config.databaseUrl, residentSalt, directory, anchorer, log });
}

const actor = () => `cli:${userInfo().username}`;

async function serve(config: HisConfig, env: NodeJS.ProcessEnv, log: Logger): Promise<void> {
  const pushToken = env[config.push.tokenEnv] || undefined;
  if (pushToken === undefined) {
    if (config.mode !== "dev") {
      throw platformError("INVALID_INPUT", {
        message: `The push token is not set: put it in the environment variable ${config.push.tokenEnv}.`,
        messageZh: `未设置推送令牌：请在环境变量 ${config.push.tokenEnv} 中设置。`,
        details: { variable: config.push.tokenEnv },
      });
    }
    log.warn({ variable: config.push.tokenEnv }, "pushes are not authenticated (dev mode without a push token)");
  }
  const service = await openService(config, env, log, true);
  let scheduler: ReturnType<HisService["startScheduler"]> | undefined;
  let server: Awaited<ReturnType<typeof startHisServer>> | undefined;
  try {
    for (const input of config.tasks) {
      const task = parseTaskInput(input);
      if ((await service.db.prisma.collectionTask.count({ where: { id: task.id } })) === 0) {
        await service.saveTask(task, "configuration");
        log.info({ taskId: task.id }, "task created from the configuration");
      }
    }
    server = await startHisServer(service, {
      host: config.push.host,
      port: config.push.port,
      log,
      mllp: config.mllp,
      maxBodyBytes: config.push.maxBodyBytes,
      ...(pushToken === undefined ? {} : { pushToken }),
    });
    if (config.scheduler.enabled) scheduler = service.startScheduler({ pollMs: config.scheduler.pollMs });
  } catch (error) {
    await server?.close();
    await service.close();
    throw error;
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, "stopping: no new messages or runs; finishing those in hand");
      // A second signal does not wait.
      process.once(signal, () => process.exit(1));
      void Promise.all([scheduler?.stop(), server!.close()])
        .catch((err: unknown) => log.error({ err }, "stopping"))
        .then(() => service.close())
        .then(() => log.info("stopped"))
        .finally(resolve);
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
}

/** Runs a command; returns the process exit code. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      config: { type: "string", short: "c" },
      port: { type: "string", short: "p" },
      nightly: { type: "boolean" },
      "max-pages": { type: "string" },
      "source-url": { type: "string" },
      residents: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, ...args] = positionals;
  const file = values.config ?? env.HIS_CONFIG;
  const known = ["migrate", "serve", "run", "anchor", "task", "seed"];
  if (values.help || command === undefined || !known.includes(command) || file === undefined) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const config = loadHisConfig(file, { ...env, ...(values.port ? { HIS_PORT: values.port } : {}) });
  // serve logs to stdout like every service; the one-shot commands keep stdout for their JSON result.
  const log = pino({ level: config.logLevel, base: { component: "his" } }, pino.destination(command === "serve" ? 1 : 2));
  const print = (value: unknown) => console.log(JSON.stringify(value, null, 2));

  if (command === "migrate") {
    const applied = await migrateHisDatabase(config.databaseUrl);
    print({ applied });
    return 0;
  }
  if (command === "serve") {
    await serve(config, env, log);
    return 0;
  }
  if (command === "task" && (args[0] !== "save" || args[1] === undefined)) {
    console.log(USAGE);
    return 2;
  }
  if (command === "run" && args[0] === undefined) {
    console.log(USAGE);
    return 2;
  }
  if (command === "seed" && values["source-url"] === undefined) {
    console.log(USAGE);
    return 2;
  }
  const service = await openService(config, env, log, command === "anchor" || command === "seed");
  try {
    if (command === "seed") {
      const residents = values.residents === undefined ? undefined : Number(values.residents);
      const summary = await seedDistrict(service, { sourceUrl: values["source-url"]!, ...(residents === undefined ? {} : { residents }), actor: actor() });
      print(summary);
      return summary.run.status === "succeeded" && summary.anchoring.failedBatches === 0 ? 0 : 1;
    }
    if (command === "run") {
      const maxPages = values["max-pages"] === undefined ? undefined : Number(values["max-pages"]);
      const summary = await service.runTask(args[0]!, "manual", maxPages === undefined ? {} : { maxPages });
      print(summary);
      return summary.status === "succeeded" ? 0 : 1;
    }
    if (command === "anchor") {
      const summary = await service.anchor({ nightly: values.nightly === true });
      print(summary);
      return summary.failedBatches === 0 ? 0 : 1;
    }
    let input: unknown;
    try {
      input = JSON.parse(readFileSync(args[1]!, "utf8"));
    } catch (cause) {
      throw platformError("INVALID_INPUT", {
        message: `Cannot read the task definition ${args[1]}: ${(cause as Error).message}`,
        messageZh: `无法读取采集任务定义 ${args[1]}：${(cause as Error).message}`,
        details: { file: args[1] },
        cause,
      });
    }
    const saved = [];
    for (const task of Array.isArray(input) ? input : [input]) saved.push(await service.saveTask(task, actor()));
    print(Array.isArray(input) ? saved : saved[0]);
    return 0;
  } finally {
    await service.close();
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (isPlatformError(error)) console.error(`his: ${error.code}: ${error.message}\n${error.messageZh}`);
      else console.error("his:", error);
      process.exit(1);
    },
  );
}

#!/usr/bin/env node
// analytics <command> --config <file>: the research and analytics service's process. `serve` runs
// the worker (topic databases rebuilt on their schedules, export packages anchored) until
// SIGINT/SIGTERM; the rest are the operator's one-shot commands. Results are JSON on stdout, logs
// (pino) on stderr. The gateway serves the service's data under /v1/research.
import { parseArgs } from "node:util";
import { pino } from "pino";
import { isPlatformError } from "@health-chain/sdk";
import { createGatewayCertificateAnchorer } from "../../../gateway/src/client.ts";
import { systemKeyOf } from "../../../gateway/src/system-key.ts";
import { migrateHisDatabase, openHisDatabase } from "../../his/src/db.ts";
import { activeDeidPolicy, publishDeidPolicy } from "../../his/src/deid/versions.ts";
import { exampleDeidPolicy } from "../../his/src/deid/examples.ts";
import { loadAnalyticsConfig, type AnalyticsConfig } from "./config.ts";
import { migrateAnalyticsDatabase, openAnalyticsDatabase } from "./db.ts";
import { buildTopic } from "./topics/index.ts";
import { anchorPendingPackages, startAnalyticsWorker } from "./worker/index.ts";

const USAGE = `Usage: node services/analytics/src/cli.ts <command> --config <file>

Commands:
  migrate                 apply the database migrations
  serve                   the worker (topic databases on their schedules, export packages anchored)
                          until SIGINT/SIGTERM
  topics build [name…]    build a new version of the topics named (default: all) now; prints each result
  anchor                  anchor the pending export packages now (exit 1 if any failed)
  seed                    dev mode only: publish the example research-export de-identification policy
                          when none is active, and build every topic

  --config, -c   the service configuration (JSON), e.g. services/analytics/config/analytics.dev.json;
                 default $ANALYTICS_CONFIG

Environment overrides: ANALYTICS_DATABASE_URL, ANALYTICS_HIS_DATABASE_URL, ANALYTICS_TOPIC_DIR,
ANALYTICS_GATEWAY_URL, ANALYTICS_LOG_LEVEL. Secret: the gateway SM2 key (gateway.keyFile / gateway.keyEnv;
dev mode: "keyFrom": "dev-staff-keys").`;

function anchoringOf(config: AnalyticsConfig) {
  const privateKey = systemKeyOf(config.gateway, process.env);
  const anchorer = createGatewayCertificateAnchorer({
    baseUrl: config.gateway.baseUrl,
    staffId: config.gateway.staffId,
    privateKey,
    ...(config.gateway.timeoutMs ? { timeoutMs: config.gateway.timeoutMs } : {}),
  });
  return { anchorer, privateKey };
}

async function buildTopics(config: AnalyticsConfig, names: readonly string[]) {
  const unknown = names.filter((n) => !config.topics.some((t) => t.name === n));
  if (unknown.length > 0) throw new Error(`unknown topic(s) ${unknown.join(", ")}; configured: ${config.topics.map((t) => t.name).join(", ")}`);
  const his = openHisDatabase(config.hisDatabaseUrl);
  try {
    const results = [];
    for (const definition of config.topics.filter((t) => names.length === 0 || names.includes(t.name))) {
      const result = await buildTopic({ directory: config.topicDirectory, his: his.prisma, definition, keep: config.keepVersions });
      results.push({ topic: definition.name, status: result.status, version: result.manifest.version });
    }
    return results;
  } finally {
    await his.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { config: { type: "string", short: "c" }, help: { type: "boolean", short: "h" } } });
  const [command, ...rest] = positionals;
  if (values.help || command === undefined) {
    console.log(USAGE);
    return command === undefined && !values.help ? 2 : 0;
  }
  const file = values.config ?? process.env.ANALYTICS_CONFIG;
  if (file === undefined) {
    console.error("analytics: --config <file> is required\n\n" + USAGE);
    return 2;
  }
  const config = loadAnalyticsConfig(file);
  const log = pino({ level: config.logLevel, base: { component: "analytics" } }, pino.destination(2));

  switch (command) {
    case "migrate":
      console.log(JSON.stringify({ applied: await migrateAnalyticsDatabase(config.databaseUrl) }));
      return 0;
    case "topics": {
      if (rest[0] !== "build") {
        console.error(USAGE);
        return 2;
      }
      console.log(JSON.stringify(await buildTopics(config, rest.slice(1))));
      return 0;
    }
    case "anchor": {
      await migrateAnalyticsDatabase(config.databaseUrl);
      const db = openAnalyticsDatabase(config.databaseUrl);
      try {
        const { anchorer, privateKey } = anchoringOf(config);
        const result = await anchorPendingPackages(db.prisma, anchorer, { privateKey });
        console.log(JSON.stringify(result));
        return result.failed.length > 0 ? 1 : 0;
      } finally {
        await db.close();
      }
    }
    case "seed": {
      if (config.mode !== "dev") {
        console.error("analytics: seed runs in dev mode only");
        return 2;
      }
      await migrateAnalyticsDatabase(config.databaseUrl);
      await migrateHisDatabase(config.hisDatabaseUrl);
      const his = openHisDatabase(config.hisDatabaseUrl);
      let policy;
      try {
        policy = (await activeDeidPolicy(his.prisma, "research-export")) ?? (await publishDeidPolicy(his.prisma, exampleDeidPolicy("research-export"), { actor: "analytics seed", note: "example policy (dev)" }));
      } finally {
        await his.close();
      }
      console.log(JSON.stringify({ policy: { name: policy.name, version: policy.version }, topics: await buildTopics(config, []) }));
      return 0;
    }
    case "serve": {
      await migrateAnalyticsDatabase(config.databaseUrl);
      const db = openAnalyticsDatabase(config.databaseUrl);
      const his = openHisDatabase(config.hisDatabaseUrl);
      const worker = startAnalyticsWorker({
        db: db.prisma,
        his: his.prisma,
        topicDirectory: config.topicDirectory,
        topics: config.topics,
        keepVersions: config.keepVersions,
        anchoring: anchoringOf(config),
        pollMs: config.worker.pollMs,
        log,
      });
      await new Promise<void>((resolve) => {
        for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => resolve());
      });
      log.info("stopping");
      await worker.stop();
      await Promise.all([db.close(), his.close()]);
      return 0;
    }
    default:
      console.error(`analytics: unknown command ${command}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (isPlatformError(error)) console.error(JSON.stringify({ code: error.code, message: error.message, messageZh: error.messageZh, details: error.details }));
    else console.error(error);
    process.exit(1);
  },
);

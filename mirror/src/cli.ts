#!/usr/bin/env node
// mirror — the SQL mirror of the consortium chain (docs/MIRROR.md).
//
//   mirror migrate                      apply the database migrations
//   mirror run                          index and follow the chain (metrics on /metrics)
//   mirror verify --from N --to M       compare the range's events on chain with the SQL rows
//   mirror status                       indexed head per contract and lag
//
// Flags (over the environment): --database-url (MIRROR_DATABASE_URL), --rpc-url (CHAIN_RPC_URL),
// --deployments-dir (DEPLOYMENTS_DIR), --confirmations (MIRROR_CONFIRMATIONS), --metrics-port
// (MIRROR_METRICS_PORT), --poll-interval-ms (MIRROR_POLL_INTERVAL_MS), --max-block-range
// (MIRROR_MAX_BLOCK_RANGE), --log-level (MIRROR_LOG_LEVEL).
import { parseArgs } from "node:util";
import { isPlatformError } from "../../sdk/src/index.ts";
import { loadMirrorConfig, type MirrorConfig } from "./config.ts";
import { migrateMirrorDatabase } from "./database.ts";
import { connectChain, mirrorStatus, openMirror } from "./mirror.ts";
import { verifyRange } from "./verify.ts";
import { openMirrorDatabase } from "./database.ts";
import { loadDeployments, platformError } from "../../sdk/src/index.ts";

const USAGE = `usage: mirror <migrate|run|verify|status> [--database-url URL] [--rpc-url URL] [--deployments-dir DIR]
       [--confirmations N] [--metrics-port N] [--poll-interval-ms N] [--max-block-range N] [--log-level L]
       mirror verify --from BLOCK --to BLOCK`;

const FLAGS = {
  "database-url": "databaseUrl",
  "rpc-url": "rpcUrl",
  "deployments-dir": "deploymentsDir",
  confirmations: "confirmations",
  "metrics-port": "metricsPort",
  "poll-interval-ms": "pollIntervalMs",
  "max-block-range": "maxBlockRange",
  "log-level": "logLevel",
} as const satisfies Record<string, keyof MirrorConfig>;

function blockArg(value: string | undefined, flag: string): number {
  if (value === undefined || !/^\d+$/.test(value)) {
    throw platformError("INVALID_INPUT", {
      message: `${flag} needs a block number.`,
      messageZh: `${flag} 需要一个区块号。`,
      details: { flag, value },
    });
  }
  return Number(value);
}

export async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...Object.fromEntries(Object.keys(FLAGS).map((f) => [f, { type: "string" as const }])),
      from: { type: "string" },
      to: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 2;
  }
  const overrides = Object.fromEntries(Object.entries(FLAGS).map(([flag, key]) => [key, (values as Record<string, unknown>)[flag]]));
  const config = loadMirrorConfig(overrides);

  switch (command) {
    case "migrate": {
      const applied = await migrateMirrorDatabase(config.databaseUrl);
      console.log(applied.length > 0 ? `applied ${applied.join(", ")}` : "up to date");
      return 0;
    }
    case "run": {
      const mirror = await openMirror(config);
      const stop = () => {
        mirror.log.info("stopping");
        void mirror.close();
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
      mirror.log.info({ rpcUrl: config.rpcUrl, chainId: mirror.deployments.chainId, confirmations: config.confirmations }, "mirror running");
      await mirror.indexer.run();
      return 0;
    }
    case "verify": {
      const from = blockArg(values.from, "--from");
      const to = blockArg(values.to, "--to");
      const { client, chainId } = await connectChain(config.rpcUrl);
      const deployments = await loadDeployments({ chainId, dir: config.deploymentsDir });
      const db = await openMirrorDatabase(config.databaseUrl);
      try {
        const result = await verifyRange({ prisma: db.prisma, client, deployments, from, to });
        console.log(`chain  ${result.algorithm} ${result.chain.digest} (${result.chain.events} events)`);
        console.log(`mirror ${result.algorithm} ${result.mirror.digest} (${result.mirror.events} events)`);
        if (result.ok) {
          console.log(`OK: blocks ${from}..${to} agree / 区块 ${from}..${to} 一致`);
          return 0;
        }
        const d = result.firstDivergence;
        console.log(
          d
            ? `DIVERGENCE at block ${d.blockNumber}, log index ${d.logIndex}, field ${d.field}: chain ${d.chain ?? "(none)"} / mirror ${d.mirror ?? "(none)"}\n` +
                `不一致：区块 ${d.blockNumber}，日志序号 ${d.logIndex}，字段 ${d.field}`
            : "DIVERGENCE: digests differ / 摘要不一致",
        );
        return 1;
      } finally {
        await db.close();
      }
    }
    case "status": {
      const { client } = await connectChain(config.rpcUrl);
      const db = await openMirrorDatabase(config.databaseUrl, { migrate: false });
      try {
        console.log(JSON.stringify(await mirrorStatus({ db, client }), null, 2));
      } finally {
        await db.close();
      }
      return 0;
    }
    default:
      console.error(`unknown command "${command}"\n${USAGE}`);
      return 2;
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      if (isPlatformError(error)) {
        console.error(`mirror: ${error.message}\nmirror: ${error.messageZh}`);
        if (Object.keys(error.details).length > 0) console.error(JSON.stringify(error.details, null, 2));
      } else {
        console.error(`mirror: ${(error as Error).stack ?? String(error)}`);
      }
      process.exitCode = 1;
    },
  );
}

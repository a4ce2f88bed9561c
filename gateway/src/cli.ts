#!/usr/bin/env node
// gateway serve --config <file>: migrates the gateway database, serves the API, and stops
// gracefully on SIGINT/SIGTERM (stops accepting, lets requests in flight finish, closes databases).
import { parseArgs } from "node:util";
import { isPlatformError } from "@health-chain/sdk";
import { loadConfig } from "./config.ts";
import { startGateway } from "./server.ts";

const USAGE = `Usage: gateway serve --config <file>

  --config, -c   the gateway configuration (JSON); e.g. gateway/config/dev.json
  --port, -p     override listen.port

Environment overrides: GATEWAY_HOST, GATEWAY_PORT, GATEWAY_DATABASE_URL, GATEWAY_MIRROR_DATABASE_URL,
GATEWAY_RPC_URL, GATEWAY_DEPLOYMENTS_DIR, GATEWAY_TOKEN_SECRET, AUDIT_BATCH_INTERVAL_MS.`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { config: { type: "string", short: "c" }, port: { type: "string", short: "p" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help || positionals[0] !== "serve" || !values.config) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const env = { ...process.env, ...(values.port ? { GATEWAY_PORT: values.port } : {}) };
  const config = loadConfig(values.config, env);
  const gateway = await startGateway(config);
  console.log(`gateway listening on ${gateway.url} (chain ${gateway.deps.chain.chainId}); docs at ${gateway.url}/docs`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      gateway.deps.log.info({ signal }, "stopping");
      void gateway.close().then(resolve);
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (isPlatformError(error)) console.error(`gateway: ${error.code}: ${error.message}\n${error.messageZh}`);
    else console.error("gateway:", error);
    process.exit(1);
  },
);

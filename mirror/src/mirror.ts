// Wiring for the CLI and services: the indexer from a configuration — database, RPC client,
// deployments, metrics server — and the status report.
import { pino, type Logger } from "pino";
import { createPublicClient, http, type PublicClient } from "viem";
import { loadDeployments, platformError, type Deployments } from "../../sdk/src/index.ts";
import type { MirrorConfig } from "./config.ts";
import { openMirrorDatabase, type MirrorDatabase } from "./database.ts";
import { createIndexer, type Indexer, type IndexerOptions } from "./indexer.ts";
import { createMirrorMetrics, serveMetrics, type MirrorMetrics } from "./metrics.ts";
import { createMirrorQueries, type ChainStatus } from "./queries.ts";

export interface Mirror {
  config: MirrorConfig;
  db: MirrorDatabase;
  client: PublicClient;
  deployments: Deployments;
  indexer: Indexer;
  metrics: MirrorMetrics;
  /** Port of the /metrics server, when one runs. */
  metricsPort?: number;
  log: Logger;
  close(): Promise<void>;
}

/** The RPC client of a configuration, checked to answer. */
export async function connectChain(rpcUrl: string): Promise<{ client: PublicClient; chainId: number }> {
  const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 2, timeout: 60_000 }) });
  try {
    return { client, chainId: await client.getChainId() };
  } catch (cause) {
    throw platformError("CHAIN_UNAVAILABLE", {
      message: `The chain node at ${rpcUrl} cannot be reached (CHAIN_RPC_URL).`,
      messageZh: `无法连接区块链节点 ${rpcUrl}（CHAIN_RPC_URL）。`,
      details: { rpcUrl },
      cause,
    });
  }
}

/** Opens everything a configuration names; `serveMetrics: false` skips the HTTP server. */
export async function openMirror(
  config: MirrorConfig,
  options: { serveMetrics?: boolean; log?: Logger; hooks?: IndexerOptions["hooks"] } = {},
): Promise<Mirror> {
  const log = options.log ?? pino({ name: "mirror", level: config.logLevel });
  const { client, chainId } = await connectChain(config.rpcUrl);
  const deployments = await loadDeployments({ chainId, dir: config.deploymentsDir });
  const db = await openMirrorDatabase(config.databaseUrl);
  const metrics = createMirrorMetrics({ defaultMetrics: options.serveMetrics !== false });
  let server: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  if (options.serveMetrics !== false && config.metricsPort !== null) {
    server = await serveMetrics(metrics.registry, config.metricsPort);
    log.info({ port: server.port }, "metrics on /metrics");
  }
  const indexer = createIndexer({
    prisma: db.prisma,
    client,
    deployments,
    confirmations: config.confirmations,
    pollIntervalMs: config.pollIntervalMs,
    maxBlockRange: config.maxBlockRange,
    log,
    metrics,
    ...(options.hooks ? { hooks: options.hooks } : {}),
  });
  return {
    config,
    db,
    client,
    deployments,
    indexer,
    metrics,
    ...(server ? { metricsPort: server.port } : {}),
    log,
    async close() {
      await indexer.stop();
      await new Promise<void>((resolveClose) => (server ? server.server.close(() => resolveClose()) : resolveClose()));
      await db.close();
    },
  };
}

/** Where the mirror stands against the chain. */
export async function mirrorStatus(mirror: Pick<Mirror, "db" | "client">): Promise<ChainStatus> {
  return createMirrorQueries(mirror.db, { chainHead: () => mirror.client.getBlockNumber() }).chain.status();
}

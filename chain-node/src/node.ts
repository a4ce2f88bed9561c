// A running node: the chain, its JSON-RPC (HTTP + WebSocket on one port), metrics, health, logs.
import { join } from "node:path";
import type { Logger } from "pino";
import { Chain, type BlockEvent, type ChainOptions } from "./chain.ts";
import { loadGenesis, loadValidatorKey, type Genesis, type LoadedConfig } from "./config.ts";
import { createLogger } from "./log.ts";
import { createMetrics, STANDARD_RPC_METHODS, type Metrics } from "./metrics.ts";
import { createMethods } from "./rpc/methods.ts";
import { formatHeader, formatLog } from "./rpc/format.ts";
import { startRpcServer, type RpcServer } from "./rpc/server.ts";
import { SubscriptionManager } from "./rpc/subscriptions.ts";
import type { ChainFeed, CommittedBlock } from "./rpc/types.ts";
import { toHex } from "./codec.ts";

export interface RunningNode {
  chain: Chain;
  server: RpcServer;
  metrics: Metrics;
  logger: Logger;
  url: string;
  wsUrl: string;
  close(): Promise<void>;
}

export interface StartOptions {
  config: LoadedConfig;
  /** Overrides the genesis file named in the config (tests). */
  genesis?: Genesis;
  /** Overrides the key file named in the config (tests). */
  validatorKey?: Uint8Array;
  logger?: Logger;
}

function committedBlock(event: BlockEvent): CommittedBlock {
  const header = formatHeader(event.block, event.header);
  const hashes = event.txs.map((tx) => tx.hash);
  return {
    number: BigInt(event.block.number),
    hash: toHex(event.block.hash),
    header,
    transactionHashes: hashes.map(toHex),
    logs: event.logs.map((log) => formatLog(log, event.block.hash, event.header.timestamp, hashes[log.txIdx]!)),
  };
}

/** The chain's options as a configuration gives them (also for opening a chain without serving it). */
export function chainOptions(config: LoadedConfig, genesis: Genesis, validatorKey: Uint8Array, logger: Logger): ChainOptions {
  return {
    dbPath: join(config.dataDir, "chain.sqlite"),
    genesis,
    validatorKey,
    logger,
    blockTime: config.blockTime,
    emptyBlocks: config.emptyBlocks,
    maxBlockTransactions: config.maxBlockTransactions,
    pool: config.pool,
    gasCap: config.rpc.gasCap,
    dev: config.dev,
  };
}

export async function startNode(options: StartOptions): Promise<RunningNode> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ level: config.log.level });
  // Method labels: the standard names plus this node's own table (development methods included);
  // anything else is recorded as "unknown".
  let ownMethods: ReadonlySet<string> = new Set();
  const metrics = createMetrics({ knownMethods: (method) => STANDARD_RPC_METHODS.has(method) || ownMethods.has(method) });
  const genesis = options.genesis ?? loadGenesis(config.genesis);
  const validatorKey = options.validatorKey ?? loadValidatorKey(config.validatorKey);
  const started = performance.now();
  const chain = await Chain.open({
    ...chainOptions(config, genesis, validatorKey, logger),
    onCommitted: (info) => {
      metrics.observeBlock(info);
    },
  });
  metrics.setHead(chain.head.number);
  const poolGauge = setInterval(() => {
    const { pending, queued } = chain.poolCounts();
    metrics.setPool(pending, queued);
  }, 1000);
  poolGauge.unref();

  const methods = createMethods(chain, config.rpc);
  ownMethods = methods.methods;
  const feed: ChainFeed = {
    // Formatting a block for subscribers costs time at 2,000 tx/s: only when someone listens.
    onBlock: (listener) => chain.onBlock((event) => listener(committedBlock(event))),
    onPendingTransaction: (listener) => chain.onPendingTransaction(listener),
    headNumber: () => BigInt(chain.head.number),
    getLogs: (filter) => methods.getLogs(filter),
  };
  const backend = new SubscriptionManager(feed, methods);
  const server = await startRpcServer({
    host: config.http.host,
    port: config.http.port,
    backend,
    maxBodyBytes: config.rpc.maxBodyBytes,
    maxBatch: config.rpc.maxBatch,
    cors: config.http.cors,
    metrics,
    logger,
    health: () => chain.health(),
    metricsText: () => metrics.text(),
  });
  logger.info(
    { url: server.url, ws: server.wsUrl, chainId: Number(chain.chainId), head: chain.head.number, validator: toHex(chain.validator), dev: config.dev, startMs: Math.round(performance.now() - started) },
    "chain node serving JSON-RPC",
  );

  let closing: Promise<void> | undefined;
  return {
    chain,
    server,
    metrics,
    logger,
    url: server.url,
    wsUrl: server.wsUrl,
    close() {
      closing ??= (async () => {
        clearInterval(poolGauge);
        await server.close();
        backend.close?.();
        await chain.close();
      })();
      return closing;
    },
  };
}

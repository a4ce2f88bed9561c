// Prometheus metrics of one node. Each node gets its own Registry (not prom-client's global one), so
// several nodes can live in one process, as they do in the tests.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** What the RPC server records: one observation per dispatched JSON-RPC call. */
export interface RpcMetrics {
  observeRpc(method: string, seconds: number, ok: boolean): void;
}

export interface BlockObservation {
  number: bigint | number;
  txCount: number;
  /** Time spent building and sealing the block. */
  buildSeconds: number;
  /** Wall-clock time at which the block was committed, in milliseconds since the epoch. */
  timestampMs: number;
}

export interface Metrics extends RpcMetrics {
  readonly registry: Registry;
  /** The Content-Type of `text()`. */
  readonly contentType: string;
  observeBlock(block: BlockObservation): void;
  /** Sets head_block without counting a block (at start-up, from the stored chain). */
  setHead(number: bigint | number): void;
  setPool(pending: number, queued: number): void;
  setPeers(count: number): void;
  /** The Prometheus exposition text of every metric in the registry. */
  text(): Promise<string>;
}

export interface MetricsOptions {
  /** Prepended to every metric name, the default process metrics included. */
  prefix?: string;
  /**
   * The method names recorded as themselves in the `method` label; any other name is recorded as
   * "unknown", so that a client sending random method names cannot create unbounded series.
   * Defaults to STANDARD_RPC_METHODS.
   */
  knownMethods?: ReadonlySet<string> | ((method: string) => boolean);
  /** Collect prom-client's default process metrics (CPU, memory, event loop lag, GC). Default true. */
  processMetrics?: boolean;
}

/** The Ethereum JSON-RPC methods (execution API, filters, subscriptions, net_, web3_, txpool_). */
export const STANDARD_RPC_METHODS: ReadonlySet<string> = new Set([
  "web3_clientVersion",
  "web3_sha3",
  "net_version",
  "net_listening",
  "net_peerCount",
  "eth_chainId",
  "eth_syncing",
  "eth_coinbase",
  "eth_accounts",
  "eth_blockNumber",
  "eth_gasPrice",
  "eth_maxPriorityFeePerGas",
  "eth_blobBaseFee",
  "eth_feeHistory",
  "eth_getBalance",
  "eth_getStorageAt",
  "eth_getTransactionCount",
  "eth_getCode",
  "eth_getProof",
  "eth_call",
  "eth_estimateGas",
  "eth_createAccessList",
  "eth_simulateV1",
  "eth_sendRawTransaction",
  "eth_sendTransaction",
  "eth_sign",
  "eth_signTransaction",
  "eth_getBlockByHash",
  "eth_getBlockByNumber",
  "eth_getBlockTransactionCountByHash",
  "eth_getBlockTransactionCountByNumber",
  "eth_getUncleCountByBlockHash",
  "eth_getUncleCountByBlockNumber",
  "eth_getUncleByBlockHashAndIndex",
  "eth_getUncleByBlockNumberAndIndex",
  "eth_getBlockReceipts",
  "eth_getTransactionByHash",
  "eth_getTransactionByBlockHashAndIndex",
  "eth_getTransactionByBlockNumberAndIndex",
  "eth_getTransactionReceipt",
  "eth_getLogs",
  "eth_newFilter",
  "eth_newBlockFilter",
  "eth_newPendingTransactionFilter",
  "eth_getFilterChanges",
  "eth_getFilterLogs",
  "eth_uninstallFilter",
  "eth_subscribe",
  "eth_unsubscribe",
  "txpool_status",
  "txpool_content",
  "txpool_inspect",
]);

// 0.5 ms to 10 s: a cached eth_blockNumber takes well under a millisecond, a heavy eth_getLogs seconds.
const RPC_DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BLOCK_INTERVAL_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 15, 30, 60];
const BLOCK_BUILD_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
// The benchmark targets 2,000 tx/s, i.e. a few thousand transactions per block.
const BLOCK_TRANSACTIONS_BUCKETS = [0, 1, 10, 50, 100, 250, 500, 1000, 2000, 4000, 8000, 16000];

interface MethodSeries {
  ok: Counter.Internal;
  error: Counter.Internal;
  duration: Histogram.Internal<"method">;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const { prefix = "chain_node_", knownMethods = STANDARD_RPC_METHODS, processMetrics = true } = options;
  const isKnown = typeof knownMethods === "function" ? knownMethods : (method: string) => knownMethods.has(method);
  const registry = new Registry();
  if (processMetrics) collectDefaultMetrics({ register: registry, prefix });
  const registers = [registry];

  const headBlock = new Gauge({ name: `${prefix}head_block`, help: "Number of the latest committed block", registers });
  const txpoolPending = new Gauge({ name: `${prefix}txpool_pending`, help: "Executable transactions in the pool", registers });
  const txpoolQueued = new Gauge({ name: `${prefix}txpool_queued`, help: "Transactions in the pool waiting for a nonce gap to close", registers });
  const peers = new Gauge({ name: `${prefix}peers`, help: "Connected peers", registers });
  const transactions = new Counter({ name: `${prefix}transactions_total`, help: "Committed transactions (tx/s is the rate of this counter)", registers });
  const blocks = new Counter({ name: `${prefix}blocks_total`, help: "Committed blocks", registers });
  const rpcRequests = new Counter({
    name: `${prefix}rpc_requests_total`,
    help: "JSON-RPC calls by method and outcome",
    labelNames: ["method", "outcome"] as const,
    registers,
  });
  const blockInterval = new Histogram({
    name: `${prefix}block_interval_seconds`,
    help: "Time between consecutive blocks",
    buckets: BLOCK_INTERVAL_BUCKETS,
    registers,
  });
  const blockBuild = new Histogram({
    name: `${prefix}block_build_seconds`,
    help: "Time to build and seal a block",
    buckets: BLOCK_BUILD_BUCKETS,
    registers,
  });
  const blockTransactions = new Histogram({
    name: `${prefix}block_transactions`,
    help: "Transactions per block",
    buckets: BLOCK_TRANSACTIONS_BUCKETS,
    registers,
  });
  const rpcDuration = new Histogram({
    name: `${prefix}rpc_request_duration_seconds`,
    help: "JSON-RPC call latency by method",
    labelNames: ["method"] as const,
    buckets: RPC_DURATION_BUCKETS,
    registers,
  });
  peers.set(0);

  // The labelled children, resolved once per method: observeRpc runs for every call on the hot path
  // and prom-client otherwise hashes the label set on each observation. Bounded by the known methods.
  const series = new Map<string, MethodSeries>();
  const seriesOf = (method: string): MethodSeries => {
    const label = isKnown(method) ? method : "unknown";
    let entry = series.get(label);
    if (entry === undefined) {
      entry = {
        ok: rpcRequests.labels(label, "ok"),
        error: rpcRequests.labels(label, "error"),
        duration: rpcDuration.labels(label),
      };
      series.set(label, entry);
    }
    return entry;
  };

  let last: { number: bigint; timestampMs: number } | undefined;

  return {
    registry,
    contentType: registry.contentType,
    observeRpc(method, seconds, ok) {
      const entry = seriesOf(method);
      (ok ? entry.ok : entry.error).inc();
      entry.duration.observe(seconds);
    },
    observeBlock({ number, txCount, buildSeconds, timestampMs }) {
      const n = BigInt(number);
      // Only consecutive blocks give an interval: not the first one after start-up.
      if (last !== undefined && n === last.number + 1n) blockInterval.observe(Math.max(0, timestampMs - last.timestampMs) / 1000);
      last = { number: n, timestampMs };
      headBlock.set(Number(n));
      blocks.inc();
      transactions.inc(txCount);
      blockBuild.observe(buildSeconds);
      blockTransactions.observe(txCount);
    },
    setHead(number) {
      headBlock.set(Number(number));
    },
    setPool(pending, queued) {
      txpoolPending.set(pending);
      txpoolQueued.set(queued);
    },
    setPeers(count) {
      peers.set(count);
    },
    text() {
      return registry.metrics();
    },
  };
}

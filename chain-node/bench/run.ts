// The chain benchmark: transaction throughput and read latency of an EVM node, measured over standard
// JSON-RPC by an external client, printed with the machine they ran on. See README.md beside this file.
//
//   node chain-node/bench/run.ts [--only client|throughput|latency|restart] [--target hardhat|chain-node] [--txs 20000]
//
// Each target is started fresh, gets the anchoring contract (workload.ts) deployed, then runs the parts
// asked for, and is stopped. A target is one entry of TARGETS: a name and a start() that resolves once the
// node's JSON-RPC answers. The restart part (restart.ts) runs chain-node on a data directory of its own.
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Address, Hex } from "viem";
import {
  ANCHORED_TOPIC,
  DEV_KEYS,
  FREE_GAS,
  RpcClient,
  anchoredAtCalldata,
  deployAnchor,
  describeMachine,
  latencyRun,
  othersBusy,
  pendingNonces,
  prepareHistory,
  presign,
  submitAll,
  waitForReceipts,
  type Fees,
  type LatencyResult,
  type RpcRequest,
} from "./workload.ts";
import { RESTART_LIMIT_S, restart, type NodeControl, type RestartFigures } from "./restart.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const HOST = "127.0.0.1";
const RPC_WAIT_MS = 60_000;
const STOP_GRACE_MS = 10_000;
/** The read-latency target: p99 at or under this, with no errors. */
const P99_LIMIT_MS = 50;

// ---------------------------------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------------------------------

/** A running node. */
interface Chain {
  readonly url: string;
  readonly chainId: number;
  /** Fee fields its transactions need; FREE_GAS when absent. */
  readonly fees?: Fees;
  /** How the fees were chosen, printed with the figures. */
  readonly feesNote?: string;
  stop(): Promise<void>;
}

interface Target {
  readonly name: string;
  start(): Promise<Chain>;
  /**
   * Keep each sender's transactions in nonce order on the wire (one in flight per sender), for nodes that
   * refuse nonce gaps. Hardhat's node does while automining ("transactions can't be queued").
   */
  readonly orderedPerSender?: boolean;
  /** Why the target cannot run here (checked before starting it), or undefined. */
  unavailable?(): string | undefined;
}

const hardhatCli = (() => {
  const require = createRequire(import.meta.url);
  const manifest = require.resolve("hardhat/package.json");
  const { bin } = JSON.parse(readFileSync(manifest, "utf8")) as { bin: Record<string, string> };
  return join(dirname(manifest), bin.hardhat!);
})();

/** The chain-node command line; CHAIN_NODE_CLI points the benchmark at another build of it. */
const CHAIN_NODE_CLI = resolve(process.env.CHAIN_NODE_CLI ?? join(ROOT, "chain-node/src/cli.ts"));

const TARGETS: readonly Target[] = [
  { name: "hardhat", start: startHardhat, orderedPerSender: true },
  {
    name: "chain-node",
    start: startChainNode,
    unavailable: () => (existsSync(CHAIN_NODE_CLI) ? undefined : `${CHAIN_NODE_CLI} does not exist yet`),
  },
];

async function freePort(): Promise<number> {
  return new Promise((done, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => done(port));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((done) => child.once("exit", (code) => done(code)));
}

/** Spawns `node <args>` in its own process group, its output appended to `logFile`. */
function spawnNode(args: readonly string[], logFile: string): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const log = createWriteStream(logFile, { flags: "a" });
  child.stdout!.pipe(log, { end: false });
  child.stderr!.pipe(log, { end: false });
  child.once("exit", () => log.end());
  running.add(child);
  child.once("exit", () => running.delete(child));
  return child;
}

/** SIGTERM to the child's process group, SIGKILL after a grace period. */
async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = exitOf(child);
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  signalGroup("SIGTERM");
  const timer = setTimeout(() => signalGroup("SIGKILL"), STOP_GRACE_MS);
  await exited;
  clearTimeout(timer);
}

const running = new Set<ChildProcess>();

function logTail(file: string): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-15).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Polls eth_chainId until the node answers; fails early if the process exits. */
async function waitForRpc(url: string, child: ChildProcess, logFile: string): Promise<number> {
  const client = new RpcClient(url, { connections: 1, timeoutMs: 2_000 });
  const deadline = performance.now() + RPC_WAIT_MS;
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the node exited while starting; ${logFile} ends:\n${logTail(logFile)}`);
      try {
        return Number(await client.call<Hex>("eth_chainId"));
      } catch {
        if (performance.now() > deadline) throw new Error(`no answer to eth_chainId at ${url} within ${RPC_WAIT_MS / 1000} s; ${logFile} ends:\n${logTail(logFile)}`);
        await sleep(200);
      }
    }
  } finally {
    client.close();
  }
}

const gwei = (wei: bigint) => `${Number(wei) / 1e9} gwei`;

/** Hardhat's node (EDR) as `npm start` runs it: chain id 31337, automine, the dev accounts funded. */
async function startHardhat(): Promise<Chain> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "bench-hardhat-"));
  const logFile = join(dir, "node.log");
  const child = spawnNode([hardhatCli, "node", "--hostname", HOST, "--port", String(port)], logFile);
  const url = `http://${HOST}:${port}`;
  const chainId = await waitForRpc(url, child, logFile);
  // Hardhat's node refuses maxFeePerGas below the block's base fee (1 gwei at genesis, then falling while
  // blocks are nearly empty), so its transactions carry twice the current base fee and no tip.
  const client = new RpcClient(url);
  const latest = await client.call<{ baseFeePerGas?: Hex }>("eth_getBlockByNumber", ["latest", false]);
  const gasPrice = BigInt(await client.call<Hex>("eth_gasPrice"));
  client.close();
  const baseFee = BigInt(latest.baseFeePerGas ?? "0x0");
  const fees: Fees = { maxFeePerGas: 2n * baseFee, maxPriorityFeePerGas: 0n };
  return {
    url,
    chainId,
    fees,
    feesNote: `maxFeePerGas ${gwei(fees.maxFeePerGas)} (2 x base fee ${gwei(baseFee)}; eth_gasPrice said ${gwei(gasPrice)}), maxPriorityFeePerGas 0`,
    stop: async () => {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---- chain-node target -------------------------------------------------------------------------------
/**
 * THE CHAIN-NODE TARGET. Initialises a fresh development chain in a temporary directory with
 *   node chain-node/src/cli.ts init --dev --dir <dir> --http-port <port>
 * then runs it with
 *   node chain-node/src/cli.ts run --config <dir>/config.json
 * and resolves once eth_chainId answers. Gas is free: transactions carry maxFeePerGas 0.
 */
async function startChainNode(): Promise<Chain> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "bench-chain-node-"));
  const logFile = join(dir, "node.log");
  const init = spawnNode([CHAIN_NODE_CLI, "init", "--dev", "--dir", dir, "--http-port", String(port)], join(dir, "init.log"));
  const initCode = await exitOf(init);
  if (initCode !== 0) throw new Error(`chain-node init exited with ${initCode}; ${join(dir, "init.log")} ends:\n${logTail(join(dir, "init.log"))}`);
  const child = spawnNode([CHAIN_NODE_CLI, "run", "--config", join(dir, "config.json")], logFile);
  const url = `http://${HOST}:${port}`;
  const chainId = await waitForRpc(url, child, logFile);
  return {
    url,
    chainId,
    fees: FREE_GAS,
    feesNote: "maxFeePerGas 0, maxPriorityFeePerGas 0 (gas is free)",
    stop: async () => {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
// ---- end of the chain-node target ------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------------------
// Parts
// ---------------------------------------------------------------------------------------------------------

interface Settings {
  readonly txs: number;
  /** Requests in flight per sender during submission: the target's default when undefined, 0 for no limit. */
  readonly perSender: number | undefined;
  readonly concurrency: number;
  readonly clients: number;
  readonly seconds: number;
  readonly historyBlocks: number;
  readonly historyTxs: number;
  /** The restart part's data directory, kept between runs. */
  readonly historyDir: string;
  readonly restartTxs: number;
  readonly restartBlocks: number;
  readonly restartInFlight: number;
  readonly restartCycles: number;
  readonly restartStream: number;
  readonly restartBurst: number;
}

/** What a part needs of a started target. */
interface Context {
  readonly target: Target;
  readonly chain: Chain;
  readonly contract: Address;
  readonly settings: Settings;
}

interface ThroughputFigures {
  readonly target: string;
  readonly txs: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly ok: boolean;
}

interface LatencyFigures {
  readonly target: string;
  readonly query: string;
  readonly result: LatencyResult;
}

const throughputTable: ThroughputFigures[] = [];
const latencyTable: LatencyFigures[] = [];

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "-");

/**
 * Throughput: N anchor(id) transactions signed beforehand, submitted `concurrency` at a time; the clock
 * runs from the first eth_sendRawTransaction to the poll that sees the last receipt.
 */
async function throughput({ target, chain, contract, settings }: Context): Promise<void> {
  const { txs, concurrency } = settings;
  const keys = DEV_KEYS;

  // The node's bare request rate at the same concurrency: the ceiling its HTTP/JSON-RPC layer puts on
  // any workload (eth_chainId does no work).
  const trivial = await latencyRun(chain.url, () => ({ method: "eth_chainId", params: [] }), { clients: concurrency, durationMs: 3_000, warmupMs: 500 });
  console.log(
    `  eth_chainId, ${concurrency} clients: ${fmt(trivial.perSecond)} req/s, p50 ${fmt(trivial.p50, 1)} ms, p99 ${fmt(trivial.p99, 1)} ms (client used ${fmt(trivial.clientCores, 2)} cores)`,
  );

  const signStart = performance.now();
  const signed = await presign({ chainId: chain.chainId, keys, count: txs, to: contract, nonceStart: await pendingNonces(chain.url, keys), fees: chain.fees });
  const signMs = performance.now() - signStart;
  console.log(`  signed ${fmt(txs)} transactions from ${keys.length} senders in ${fmt(signMs / 1000, 2)} s (${fmt((signMs * 1000) / txs)} µs each, before the clock)`);
  console.log(`  fees: ${chain.feesNote ?? "none"}`);

  const perSender = settings.perSender ?? (target.orderedPerSender ? 1 : 0);
  const inFlight = perSender > 0 ? Math.min(concurrency, perSender * keys.length) : concurrency;
  const why = settings.perSender === undefined && target.orderedPerSender ? ": the node refuses nonce gaps" : "";
  console.log(`  submitting: ${inFlight} requests in flight${perSender > 0 ? ` (${perSender} per sender${why})` : ""}, one eth_sendRawTransaction per request`);
  const submitted = await submitAll(chain.url, signed, { concurrency, maxInFlightPerSender: perSender > 0 ? perSender : undefined });
  const receipts = await waitForReceipts(chain.url, signed);
  const seconds = (receipts.lastReceiptAt - submitted.startedAt) / 1000;
  const submitSeconds = (submitted.finishedAt - submitted.startedAt) / 1000;
  const ok = submitted.errorCount === 0 && receipts.failed.length === 0 && receipts.missing.length === 0 && receipts.unexpectedLogs === 0;

  console.log(
    `  submit phase: ${fmt(submitSeconds, 2)} s, ${fmt(txs / submitSeconds)} tx/s accepted; ${submitted.errorCount} refused; client used ${fmt(submitted.clientCores, 2)} cores`,
  );
  for (const error of submitted.errors.slice(0, 3)) console.log(`    refused #${error.index}: ${error.message}`);
  console.log(
    `  receipts: ${fmt(receipts.receipts)} (${receipts.failed.length} not status 0x1, ${receipts.missing.length} missing, ${receipts.unexpectedLogs} without exactly one log), ` +
      `blocks ${receipts.firstBlock}..${receipts.lastBlock}: ${receipts.blocks} blocks, ${fmt(receipts.receipts / Math.max(1, receipts.blocks), 1)} tx/block, ` +
      `${fmt(Number(receipts.gasUsed) / Math.max(1, receipts.receipts))} gas/tx`,
  );
  console.log(`  first submit -> last receipt: ${fmt(seconds, 2)} s = ${fmt(txs / seconds)} tx/s${ok ? "" : "   (NOT ALL TRANSACTIONS SUCCEEDED)"}`);
  throughputTable.push({ target: target.name, txs, seconds, perSecond: txs / seconds, ok });
}

/**
 * Read latency over ≥10,000 blocks of history: 200 closed-loop clients doing eth_call of anchoredAt(id),
 * then 200 doing eth_getLogs for one id over the last 10,000 blocks. p99 must be ≤ 50 ms.
 */
async function latency({ target, chain, contract, settings }: Context): Promise<void> {
  const history = await prepareHistory(chain.url, {
    chainId: chain.chainId,
    contract,
    keys: DEV_KEYS,
    fees: chain.fees,
    blocks: settings.historyBlocks,
    txs: settings.historyTxs,
    onProgress: (message) => console.log(message),
  });
  const client = new RpcClient(chain.url);
  const head = Number(await client.call<Hex>("eth_blockNumber"));
  client.close();
  const window = settings.historyBlocks;
  const fromBlock = Math.max(0, head - (window - 1));
  const anchors = history.anchors.filter((a) => a.block >= fromBlock);
  console.log(
    `  history: ${history.anchors.length} anchors over blocks ${history.fromBlock}..${history.toBlock} (${history.toBlock - history.fromBlock + 1} blocks, ` +
      `empty blocks by ${history.mining}) in ${fmt(history.seconds, 1)} s; head ${head}; ${anchors.length} anchors inside the queried window`,
  );
  if (anchors.length === 0) throw new Error("no anchors inside the queried window");
  const blockOf = new Map(anchors.map((a) => [a.id, a.block]));
  const idOf = (data: string) => `0x${data.slice(10)}` as Hex;

  const runs: { query: string; make: (i: number) => RpcRequest; validate: (result: unknown, request: RpcRequest) => boolean }[] = [
    {
      query: "eth_call anchoredAt(id)",
      make: (i) => ({ method: "eth_call", params: [{ to: contract, data: anchoredAtCalldata(anchors[i % anchors.length]!.id) }, "latest"] }),
      validate: (result, request) => {
        const data = (request.params[0] as { data: string }).data;
        return typeof result === "string" && BigInt(result) === BigInt(blockOf.get(idOf(data)) ?? -1);
      },
    },
    {
      query: `eth_getLogs 1 id, ${fmt(window)} blocks`,
      make: (i) => ({
        method: "eth_getLogs",
        params: [{ fromBlock: `0x${fromBlock.toString(16)}`, toBlock: `0x${head.toString(16)}`, address: contract, topics: [ANCHORED_TOPIC, anchors[(i * 7919) % anchors.length]!.id] }],
      }),
      validate: (result) => Array.isArray(result) && result.length === 1,
    },
  ];
  for (const run of runs) {
    const result = await latencyRun(chain.url, run.make, { clients: settings.clients, durationMs: settings.seconds * 1000, validate: run.validate });
    const pass = result.p99 <= P99_LIMIT_MS && result.errors === 0 && result.count > 0;
    console.log(
      `  ${run.query.padEnd(30)} ${settings.clients} clients: p50 ${fmt(result.p50, 1)}  p90 ${fmt(result.p90, 1)}  p99 ${fmt(result.p99, 1)}  max ${fmt(result.max, 1)} ms, ` +
        `${fmt(result.perSecond)} req/s, ${result.errors} errors, client ${fmt(result.clientCores, 2)} cores   ${pass ? "PASS" : "FAIL"} (p99 <= ${P99_LIMIT_MS} ms)`,
    );
    if (result.firstError) console.log(`    first error: ${result.firstError}`);
    latencyTable.push({ target: target.name, query: run.query, result });
  }
}

/** A JSON-RPC endpoint that answers every request at once with the same result: the client's own ceiling. */
function serveStub(): void {
  const reply = Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: 1, result: `0x${"ab".repeat(32)}` }));
  const server = http.createServer({ keepAliveTimeout: 60_000 }, (request, response) => {
    request.resume();
    request.on("end", () => {
      response.writeHead(200, { "content-type": "application/json", "content-length": reply.length });
      response.end(reply);
    });
  });
  server.listen(0, HOST, () => {
    const address = server.address();
    console.log(`listening ${typeof address === "object" && address ? address.port : 0}`);
  });
  // Stop with the benchmark, however it ends: it holds the other end of stdin.
  process.stdin.on("close", () => process.exit(0));
  process.stdin.resume();
}

/**
 * The client's own cost, without a node: signing, and how fast submitAll and latencyRun go against a stub
 * endpoint in another process (which, like a node, gets the other core).
 */
async function clientOverhead(settings: Settings): Promise<void> {
  const stub = spawn(process.execPath, [import.meta.filename, "--serve-stub"], { stdio: ["pipe", "pipe", "inherit"], detached: true });
  running.add(stub);
  try {
    const port = await new Promise<number>((done, reject) => {
      let output = "";
      stub.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        const match = /listening (\d+)/.exec(output);
        if (match) done(Number(match[1]));
      });
      stub.once("exit", () => reject(new Error("the stub endpoint exited")));
    });
    const url = `http://${HOST}:${port}`;
    const contract: Address = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
    const signStart = performance.now();
    const signed = await presign({ chainId: 31337, keys: DEV_KEYS, count: settings.txs, to: contract, nonceStart: 0 });
    const signMs = performance.now() - signStart;
    console.log(`  signing (viem, one core): ${fmt(settings.txs)} txs in ${fmt(signMs / 1000, 2)} s = ${fmt((settings.txs * 1000) / signMs)} tx/s, ${fmt((signMs * 1000) / settings.txs)} µs each`);
    for (const perSender of [undefined, 1]) {
      const result = await submitAll(url, signed, { concurrency: settings.concurrency, maxInFlightPerSender: perSender });
      const seconds = (result.finishedAt - result.startedAt) / 1000;
      const inFlight = perSender ? Math.min(settings.concurrency, DEV_KEYS.length) : settings.concurrency;
      console.log(
        `  submitAll to the stub, ${inFlight} in flight${perSender ? " (one per sender)" : ""}: ${fmt(settings.txs / seconds)} tx/s, client ${fmt(result.clientCores, 2)} cores (${result.errorCount} errors)`,
      );
    }
    const reads = await latencyRun(url, () => ({ method: "eth_chainId", params: [] }), { clients: settings.clients, durationMs: 3_000, warmupMs: 500 });
    console.log(
      `  latencyRun against the stub, ${settings.clients} clients: ${fmt(reads.perSecond)} req/s, p50 ${fmt(reads.p50, 2)} ms, p99 ${fmt(reads.p99, 2)} ms, client ${fmt(reads.clientCores, 2)} cores`,
    );
    console.log(`  (closed loop: latency ≈ clients / rate, so p99 <= ${P99_LIMIT_MS} ms with ${settings.clients} clients needs roughly ${fmt((settings.clients * 1000) / P99_LIMIT_MS)}+ req/s)`);
  } finally {
    await stopProcess(stub);
  }
}

const restartTable: RestartFigures[] = [];

/**
 * Restart: chain-node with `--restart-txs` committed transactions in its history (built once into
 * `--history-dir`, in process), killed with SIGKILL mid-stream and restarted `--restart-cycles` times;
 * each restarted process must serve eth_blockNumber at the pre-kill head, eth_call and eth_getLogs
 * within RESTART_LIMIT_S seconds of its spawn.
 */
async function restartPart(settings: Settings): Promise<void> {
  const control: NodeControl = { cli: CHAIN_NODE_CLI, freePort, spawnNode, stopProcess, waitForRpc, logTail };
  const figures = await restart({
    dir: settings.historyDir,
    txs: settings.restartTxs,
    minBlocks: settings.restartBlocks,
    inFlight: settings.restartInFlight,
    cycles: settings.restartCycles,
    streamSeconds: settings.restartStream,
    burst: settings.restartBurst,
    control,
    log: (line) => console.log(line),
  });
  restartTable.push(figures);
}

/** Parts that run against a started target, in this order. */
const TARGET_PARTS: Readonly<Record<string, (context: Context) => Promise<void>>> = { throughput, latency };
/** Parts that need no node. */
const CLIENT_PARTS: Readonly<Record<string, (settings: Settings) => Promise<void>>> = { client: clientOverhead };
/**
 * Parts that start chain-node themselves, on a data directory of their own, after the target parts. Hardhat's
 * node keeps its chain in memory, so there is nothing of it to restart.
 */
const CHAIN_NODE_PARTS: Readonly<Record<string, (settings: Settings) => Promise<void>>> = { restart: restartPart };

// ---------------------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------------------

function printTables(): void {
  if (throughputTable.length > 0) {
    console.log(`\nthroughput (first submit -> last receipt)\n`);
    console.log(`  ${"target".padEnd(12)} ${"txs".padStart(8)} ${"seconds".padStart(9)} ${"tx/s".padStart(9)}`);
    for (const row of throughputTable) {
      console.log(`  ${row.target.padEnd(12)} ${fmt(row.txs).padStart(8)} ${fmt(row.seconds, 2).padStart(9)} ${fmt(row.perSecond).padStart(9)}${row.ok ? "" : "  (failures)"}`);
    }
    const hardhat = throughputTable.find((r) => r.target === "hardhat");
    const node = throughputTable.find((r) => r.target === "chain-node");
    if (hardhat && node) console.log(`\n  chain-node / hardhat: ${fmt(node.perSecond / hardhat.perSecond, 2)} x`);
  }
  if (latencyTable.length > 0) {
    console.log(`\nread latency, closed loop (ms; PASS: p99 <= ${P99_LIMIT_MS} ms and no errors)\n`);
    console.log(`  ${"target".padEnd(12)} ${"query".padEnd(30)} ${"p50".padStart(7)} ${"p90".padStart(7)} ${"p99".padStart(7)} ${"max".padStart(7)} ${"req/s".padStart(8)}`);
    for (const { target, query, result: r } of latencyTable) {
      const pass = r.p99 <= P99_LIMIT_MS && r.errors === 0 && r.count > 0;
      console.log(
        `  ${target.padEnd(12)} ${query.padEnd(30)} ${fmt(r.p50, 1).padStart(7)} ${fmt(r.p90, 1).padStart(7)} ${fmt(r.p99, 1).padStart(7)} ${fmt(r.max, 1).padStart(7)} ${fmt(r.perSecond).padStart(8)}  ${pass ? "PASS" : "FAIL"}`,
      );
    }
  }
  for (const figures of restartTable) {
    console.log(
      `\nrestart after kill -9 (chain-node, ${fmt(figures.historyTxs)} transactions in ${fmt(figures.head)} blocks, data ${fmt(figures.dataBytes / 2 ** 20)} MB; ` +
        `seconds from spawn; PASS: all three <= ${RESTART_LIMIT_S} s)\n`,
    );
    console.log(`  ${"kill".padEnd(5)} ${"head".padStart(10)} ${"blockNumber".padStart(12)} ${"eth_call".padStart(9)} ${"getLogs".padStart(8)} ${"RSS MB".padStart(7)} ${"restored".padStart(9)}`);
    for (const c of figures.cycles) {
      console.log(
        `  ${`#${c.cycle}`.padEnd(5)} ${fmt(c.headBefore).padStart(10)} ${fmt(c.blockNumberS, 2).padStart(12)} ${fmt(c.callS, 2).padStart(9)} ${fmt(c.logsS, 2).padStart(8)} ` +
          `${fmt(c.rss / 2 ** 20).padStart(7)} ${fmt(c.restored).padStart(9)}  ${c.pass ? "PASS" : "FAIL"}${c.minedAfter < c.acceptedBeforeKill ? `  (${c.acceptedBeforeKill - c.minedAfter} accepted transactions lost)` : ""}`,
      );
    }
    if (figures.build) console.log(`\n  history built in this run: ${fmt(figures.build.added)} transactions at ${fmt(figures.build.perSecond)} tx/s`);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: "string", multiple: true },
      target: { type: "string", multiple: true },
      txs: { type: "string", default: "20000" },
      concurrency: { type: "string", default: "200" },
      "per-sender": { type: "string" },
      clients: { type: "string", default: "200" },
      seconds: { type: "string", default: "10" },
      "history-blocks": { type: "string", default: "10000" },
      "history-txs": { type: "string", default: "1000" },
      "history-dir": { type: "string", default: join(tmpdir(), "chain-node-bench-history") },
      "restart-txs": { type: "string", default: "1000000" },
      "restart-blocks": { type: "string", default: "10000" },
      "restart-in-flight": { type: "string", default: "2000" },
      "restart-cycles": { type: "string", default: "3" },
      "restart-stream": { type: "string", default: "3" },
      "restart-burst": { type: "string", default: "1000" },
      "serve-stub": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values["serve-stub"]) return serveStub();
  const partNames = [...Object.keys(CLIENT_PARTS), ...Object.keys(TARGET_PARTS), ...Object.keys(CHAIN_NODE_PARTS)];
  if (values.help) {
    console.log(
      `usage: node chain-node/bench/run.ts [--only ${partNames.join("|")}]... [--target ${TARGETS.map((t) => t.name).join("|")}]...\n` +
        `         [--txs 20000] [--concurrency 200] [--per-sender N] [--clients 200] [--seconds 10] [--history-blocks 10000] [--history-txs 1000]\n` +
        `         [--history-dir DIR] [--restart-txs 1000000] [--restart-blocks 10000] [--restart-in-flight 2000] [--restart-cycles 3] [--restart-stream 3] [--restart-burst 1000]`,
    );
    return;
  }
  const integer = (name: string, text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, not "${text}"`);
    return n;
  };
  const settings: Settings = {
    txs: integer("txs", values.txs),
    perSender: values["per-sender"] === undefined ? undefined : values["per-sender"] === "0" ? 0 : integer("per-sender", values["per-sender"]),
    concurrency: integer("concurrency", values.concurrency),
    clients: integer("clients", values.clients),
    seconds: integer("seconds", values.seconds),
    historyBlocks: integer("history-blocks", values["history-blocks"]),
    historyTxs: integer("history-txs", values["history-txs"]),
    historyDir: resolve(values["history-dir"]),
    restartTxs: integer("restart-txs", values["restart-txs"]),
    restartBlocks: integer("restart-blocks", values["restart-blocks"]),
    restartInFlight: integer("restart-in-flight", values["restart-in-flight"]),
    restartCycles: integer("restart-cycles", values["restart-cycles"]),
    restartStream: integer("restart-stream", values["restart-stream"]),
    restartBurst: values["restart-burst"] === "0" ? 0 : integer("restart-burst", values["restart-burst"]),
  };
  const only = values.only ?? partNames;
  for (const name of only) if (!partNames.includes(name)) throw new Error(`unknown part "${name}"; the parts are ${partNames.join(", ")}`);
  const targetNames = values.target ?? TARGETS.map((t) => t.name);
  for (const name of targetNames) if (!TARGETS.some((t) => t.name === name)) throw new Error(`unknown target "${name}"; the targets are ${TARGETS.map((t) => t.name).join(", ")}`);

  console.log(`\nchain benchmark — ${describeMachine()}`);
  const busy = await othersBusy(1_000);
  if (busy >= 0.1) {
    console.log(`WARNING: other processes kept ${fmt(busy * 100)} % of the CPU busy just before the run: the figures will be low and noisy`);
  }
  console.log(`parts: ${only.join(", ")}; txs ${fmt(settings.txs)}, concurrency ${settings.concurrency}, latency clients ${settings.clients}, ${settings.seconds} s per latency run`);
  if (only.includes("restart")) {
    console.log(
      `restart: history of ${fmt(settings.restartTxs)} transactions and ${fmt(settings.restartBlocks)} blocks in ${settings.historyDir}, ` +
        `${settings.restartCycles} kills after ${settings.restartStream} s of stream each`,
    );
  }
  console.log();

  for (const [name, part] of Object.entries(CLIENT_PARTS)) {
    if (!only.includes(name)) continue;
    console.log(`client overhead (no node)`);
    await part(settings);
    console.log();
  }
  const targetParts = Object.entries(TARGET_PARTS).filter(([name]) => only.includes(name));
  let failures = 0;
  if (targetParts.length > 0) {
    for (const target of TARGETS.filter((t) => targetNames.includes(t.name))) {
      const why = target.unavailable?.();
      if (why) {
        console.log(`${target.name}: skipped, ${why}\n`);
        continue;
      }
      console.log(`${target.name}: starting ...`);
      let chain: Chain | undefined;
      try {
        chain = await target.start();
        const contract = await deployAnchor(chain.url, { chainId: chain.chainId, key: DEV_KEYS[0]!, fees: chain.fees });
        console.log(`${target.name}: ${chain.url}, chain id ${chain.chainId}, anchoring contract at ${contract.address} (block ${contract.block})`);
        for (const [name, part] of targetParts) {
          console.log(`${target.name} — ${name}`);
          await part({ target, chain, contract: contract.address, settings });
        }
      } catch (error) {
        // One target failing does not hide the figures of the others.
        failures += 1;
        console.log(`${target.name}: FAILED: ${error instanceof Error ? error.message : String(error)}`);
      } finally {
        await chain?.stop();
      }
      console.log();
    }
  }
  for (const [name, part] of Object.entries(CHAIN_NODE_PARTS)) {
    if (!only.includes(name)) continue;
    if (targetNames.includes("hardhat")) console.log(`hardhat — ${name}: skipped, Hardhat's node keeps its chain in memory: nothing survives a restart\n`);
    if (!targetNames.includes("chain-node")) continue;
    const chainNode = TARGETS.find((t) => t.name === "chain-node")!;
    const why = chainNode.unavailable?.();
    if (why) {
      console.log(`chain-node — ${name}: skipped, ${why}\n`);
      continue;
    }
    console.log(`chain-node — ${name}`);
    try {
      await part(settings);
    } catch (error) {
      failures += 1;
      console.log(`chain-node — ${name}: FAILED: ${error instanceof Error ? error.message : String(error)}`);
    }
    console.log();
  }
  printTables();
  console.log(`\nmachine: ${describeMachine()}\n`);
  if (failures > 0) process.exitCode = 1;
}

let stopping = false;
async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await Promise.all([...running].map(stopProcess));
  }
  process.exit(code);
}
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void stopAll(130));
// Output piped into `head` and closed early: stop quietly.
process.stdout.on("error", () => void stopAll(0));
// Whatever way this process ends, the nodes it started (each a process group) end with it.
process.on("exit", () => {
  for (const child of running) {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

main().catch(async (error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  await stopAll(1);
});

// The restart part of the chain benchmark: chain-node with a long history (1,000,000 committed
// transactions by default) is killed with SIGKILL in the middle of a stream of transactions, restarted,
// and timed until it serves JSON-RPC at the head it had before the kill. See README.md beside this file.
//
// 1. The history is built once into a data directory (`init --dev`, then reused while it holds at least
//    the transactions asked for): in this process, through the node's own Chain (the code behind
//    eth_sendRawTransaction: decoding, sender recovery, validation, the pool and its journal, execution,
//    durable commit), with anchor(id) transactions signed in a worker thread by libsecp256k1.
// 2. The node is started by its command line (`chain-node run --config`), a light stream of
//    transactions runs over JSON-RPC, the process group gets SIGKILL, and a new process is spawned. The
//    clock runs from that spawn to the first eth_blockNumber at (or above) the pre-kill head, the first
//    correct eth_call and the first correct eth_getLogs over the last 10,000 blocks.
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync, createWriteStream } from "node:fs";
import { join } from "node:path";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { RLP } from "@ethereumjs/rlp";
import { keccak_256 } from "@noble/hashes/sha3.js";
import secp256k1 from "secp256k1";
import { bytesToHex, getContractAddress, type Address, type Hex } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import type { Chain as NodeChain } from "../src/chain.ts";
import { ANCHOR_INIT_CODE, ANCHOR_RUNTIME, ANCHOR_SELECTOR, ANCHORED_TOPIC, RpcClient, anchorId, anchoredAtCalldata, waitForReceipts } from "./workload.ts";

/** The restart target: serving at the pre-kill head (and the two reads) within this many seconds. */
export const RESTART_LIMIT_S = 10;
/** Id namespace of the restart history and stream (1 is throughput, 2 the latency history). */
const NAMESPACE = 3;
/** The eth_getLogs window after the restart, in blocks. */
const LOGS_WINDOW = 10_000;
const SENDER_COUNT = 20;
const DEV_MNEMONIC = "test test test test test test test test test test test junk";
const PROBE_TIMEOUT_MS = 120_000;

// ---------------------------------------------------------------------------------------------------------
// Signing: EIP-1559, fees 0, value 0, with libsecp256k1 (~65 µs per transaction here, against ~560 µs for
// @ethereumjs/tx's sign(), which uses the JavaScript secp256k1, and ~300 µs for viem). Byte-identical to
// @ethereumjs/tx's encoding; buildHistory checks that once against the node's own Common.
// ---------------------------------------------------------------------------------------------------------

const EMPTY = new Uint8Array(0);

function intBytes(value: number | bigint): Uint8Array {
  if (value === 0 || value === 0n) return EMPTY;
  const hex = value.toString(16);
  return Uint8Array.from(Buffer.from(hex.length % 2 === 1 ? `0${hex}` : hex, "hex"));
}

const hexBytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex.replace(/^0x/, ""), "hex"));

function stripZeros(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  return bytes.subarray(i);
}

function typed(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 1);
  out[0] = 2;
  out.set(body, 1);
  return out;
}

/** A signed EIP-1559 transaction with zero fees and value; `to` undefined creates a contract. */
export function signFreeTx(key: Uint8Array, chainId: number, nonce: number, gas: number, to: Uint8Array | undefined, data: Uint8Array): { raw: Uint8Array; hash: Uint8Array } {
  const fields = [intBytes(chainId), intBytes(nonce), EMPTY, EMPTY, intBytes(gas), to ?? EMPTY, EMPTY, data, []];
  const { signature, recid } = secp256k1.ecdsaSign(keccak_256(typed(RLP.encode(fields))), key);
  const raw = typed(RLP.encode([...fields, intBytes(recid), stripZeros(signature.subarray(0, 32)), stripZeros(signature.subarray(32))]));
  return { raw, hash: keccak_256(raw) };
}

/** The id anchored by `sender`'s transaction with `nonce`: anchorId(3, sender · 2³² + nonce), unique for ever. */
function restartId(sender: number, nonce: number): Uint8Array {
  const preimage = new Uint8Array(32);
  const view = new DataView(preimage.buffer);
  view.setUint32(0, NAMESPACE);
  view.setUint32(24, sender);
  view.setUint32(28, nonce);
  return keccak_256(preimage);
}
if (bytesToHex(restartId(7, 123_456)) !== anchorId(NAMESPACE, 7 * 2 ** 32 + 123_456)) throw new Error("restartId disagrees with anchorId");

const ANCHOR_GAS = 100_000;
const selector = hexBytes(ANCHOR_SELECTOR);

function anchorTx(key: Uint8Array, chainId: number, sender: number, nonce: number, to: Uint8Array): { raw: Uint8Array; hash: Uint8Array; id: Uint8Array } {
  const id = restartId(sender, nonce);
  const data = new Uint8Array(36);
  data.set(selector);
  data.set(id, 4);
  return { ...signFreeTx(key, chainId, nonce, ANCHOR_GAS, to, data), id };
}

/** Private keys of accounts 0..19 of the development mnemonic: the senders `init --dev` funds and allows. */
function devKeys(): Uint8Array[] {
  return Array.from({ length: SENDER_COUNT }, (_, i) => {
    const key = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: i }).getHdKey().privateKey;
    if (!key) throw new Error(`no private key for development account ${i}`);
    return key;
  });
}

const addressOf = (key: Uint8Array): Address => bytesToHex(keccak_256(secp256k1.publicKeyCreate(key, false).subarray(1)).subarray(12));

// ---- the signing worker ---------------------------------------------------------------------------------

interface SignerData {
  readonly role: "restart-signer";
  readonly chainId: number;
  readonly to: Hex;
  readonly keys: readonly Hex[];
  /** Transaction i is sent by i % keys.length with nonce nonceStart[sender] + floor(i / keys.length). */
  readonly nonceStart: readonly number[];
}

interface SignRequest {
  readonly from: number;
  readonly to: number;
}

interface SignedChunk {
  readonly from: number;
  readonly bytes: Uint8Array;
  /** End offset of each transaction in `bytes`. */
  readonly ends: Uint32Array;
  /** Time the worker spent signing the chunk. */
  readonly ms: number;
}

if (!isMainThread && (workerData as SignerData | undefined)?.role === "restart-signer") {
  const data = workerData as SignerData;
  const keys = data.keys.map(hexBytes);
  const to = hexBytes(data.to);
  parentPort!.on("message", ({ from, to: end }: SignRequest) => {
    const started = performance.now();
    const raws: Uint8Array[] = [];
    for (let i = from; i < end; i++) {
      const sender = i % keys.length;
      raws.push(anchorTx(keys[sender]!, data.chainId, sender, data.nonceStart[sender]! + Math.floor(i / keys.length), to).raw);
    }
    const bytes = new Uint8Array(raws.reduce((sum, raw) => sum + raw.length, 0));
    const ends = new Uint32Array(raws.length);
    let offset = 0;
    raws.forEach((raw, i) => {
      bytes.set(raw, offset);
      offset += raw.length;
      ends[i] = offset;
    });
    const chunk: SignedChunk = { from, bytes, ends, ms: performance.now() - started };
    parentPort!.postMessage(chunk, [bytes.buffer, ends.buffer]);
  });
}

/** Signs chunks on another core; sign() resolves with the raw transactions [from, to). */
class Signer {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, { resolve: (raws: Uint8Array[]) => void; reject: (error: Error) => void }>();
  /** Milliseconds the worker spent signing, and transactions signed. */
  busyMs = 0;
  signed = 0;

  constructor(data: Omit<SignerData, "role">) {
    this.#worker = new Worker(new URL(import.meta.url), { workerData: { ...data, role: "restart-signer" } satisfies SignerData });
    this.#worker.on("message", ({ from, bytes, ends, ms }: SignedChunk) => {
      this.busyMs += ms;
      this.signed += ends.length;
      const raws: Uint8Array[] = [];
      let start = 0;
      for (const end of ends) {
        raws.push(bytes.slice(start, end));
        start = end;
      }
      this.#waiting.get(from)?.resolve(raws);
      this.#waiting.delete(from);
    });
    this.#worker.on("error", (error) => {
      for (const waiter of this.#waiting.values()) waiter.reject(error);
      this.#waiting.clear();
    });
  }

  sign(from: number, to: number): Promise<Uint8Array[]> {
    return new Promise((resolve, reject) => {
      this.#waiting.set(from, { resolve, reject });
      this.#worker.postMessage({ from, to } satisfies SignRequest);
    });
  }

  close(): Promise<number> {
    return this.#worker.terminate();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }) : "-");
const mb = (bytes: number) => `${fmt(bytes / 2 ** 20)} MB`;

/** Apparent and on-disk bytes of every file under `dir`. */
function diskUsage(dir: string): { bytes: number; onDisk: number; files: Record<string, number> } {
  let bytes = 0;
  let onDisk = 0;
  const files: Record<string, number> = {};
  const walk = (path: string) => {
    if (!existsSync(path)) return;
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        const stat = statSync(full);
        bytes += stat.size;
        onDisk += stat.blocks * 512;
        files[entry.name] = stat.size;
      }
    }
  };
  walk(dir);
  return { bytes, onDisk, files };
}

/** VmRSS and VmHWM (peak) of a process, in bytes (Linux; NaN elsewhere). */
function memoryOf(pid: number | undefined): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN) * 1024;
    return { rss: kb("VmRSS"), peak: kb("VmHWM") };
  } catch {
    return { rss: Number.NaN, peak: Number.NaN };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Building the history, in process
// ---------------------------------------------------------------------------------------------------------

export interface BuildFigures {
  /** Transactions in the history before and after. */
  readonly before: number;
  readonly after: number;
  readonly added: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly blocksAdded: number;
  /** Anchor transactions that did not emit their log (should be 0). */
  readonly failedAnchors: number;
  readonly peakRss: number;
  /** Time the signing worker spent per transaction, in µs (on the other core). */
  readonly signUs: number;
}

interface BuildOptions {
  readonly dir: string;
  readonly txs: number;
  readonly inFlight: number;
  readonly minBlocks: number;
  readonly log: (line: string) => void;
}

const CHUNK = 500;
const PREFETCH = 4;
const STALL_MS = 120_000;

/**
 * Opens the chain of `<dir>/config.json` in this process and adds anchor transactions through
 * Chain.submitRawTransaction until its senders have sent `txs` in all (deploying the anchoring contract
 * first), `inFlight` accepted-but-unmined at most; empty blocks are sealed along the way (chain.mine, a
 * development method) so that the history has at least `minBlocks` blocks, spread through it.
 * Returns undefined when the history already had enough.
 */
async function buildHistory(options: BuildOptions): Promise<BuildFigures | undefined> {
  const { Chain } = await import("../src/chain.ts");
  const { loadConfig, loadGenesis, loadValidatorKey } = await import("../src/config.ts");
  const { createLogger } = await import("../src/log.ts");
  const { chainOptions } = await import("../src/node.ts");
  const { createFeeMarket1559Tx } = await import("@ethereumjs/tx");
  const config = loadConfig(join(options.dir, "config.json"));
  const logFile = join(options.dir, "logs", "build.log");
  const logStream = createWriteStream(logFile, { flags: "a" });
  const chain: NodeChain = await Chain.open(
    chainOptions(config, loadGenesis(config.genesis), loadValidatorKey(config.validatorKey), createLogger({ level: "info", destination: logStream })),
  );
  let signer: Signer | undefined;
  try {
    const chainId = Number(chain.chainId);
    const keys = devKeys();
    const addresses = keys.map((key) => hexBytes(addressOf(key)));
    const committed = () => addresses.reduce((sum, address) => sum + Number(chain.nonceAt(address)), 0);
    const before = committed();
    if (before >= options.txs && chain.head.number >= options.minBlocks) return undefined;

    // The signing here must be what the node decodes: one transaction both ways.
    const probe = signFreeTx(keys[0]!, chainId, 1, ANCHOR_GAS, addresses[1]!, selector);
    const reference = createFeeMarket1559Tx(
      { chainId: BigInt(chainId), nonce: 1n, maxFeePerGas: 0n, maxPriorityFeePerGas: 0n, gasLimit: BigInt(ANCHOR_GAS), to: addresses[1]!, value: 0n, data: selector },
      { common: chain.common },
    ).sign(keys[0]!);
    if (bytesToHex(reference.serialize()) !== bytesToHex(probe.raw)) throw new Error("the libsecp256k1 signer disagrees with @ethereumjs/tx");

    // Blocks as they commit: every transaction of ours emits exactly one log (the deployment none).
    let mined = 0;
    let logs = 0;
    let blocksAdded = 0;
    let lastBlockAt = performance.now();
    let waiters: (() => void)[] = [];
    chain.onBlock((event) => {
      mined += event.txs.length;
      logs += event.logs.length;
      blocksAdded += 1;
      lastBlockAt = performance.now();
      const woken = waiters;
      waiters = [];
      for (const wake of woken) wake();
    });
    const nextBlock = async () => {
      await Promise.race([new Promise<void>((wake) => waiters.push(wake)), sleep(1_000)]);
      if (performance.now() - lastBlockAt > STALL_MS) throw new Error(`no block for ${STALL_MS / 1000} s; ${chain.pool.size} transactions in the pool`);
    };
    const drain = async () => {
      while (chain.pool.size > 0) await nextBlock();
    };
    let firstError: Error | undefined;
    const submit = (raw: Uint8Array) =>
      chain.submitRawTransaction(raw).catch((error: unknown) => {
        firstError ??= error instanceof Error ? error : new Error(String(error));
      });

    const started = performance.now();
    const startHead = chain.head.number;
    // Transactions journaled by an earlier, interrupted build are back in the pool: mine them first.
    await drain();
    const contract = getContractAddress({ from: addressOf(keys[0]!), nonce: 0n });
    const contractBytes = hexBytes(contract);
    let deployments = 0;
    if (chain.nonceAt(addresses[0]!) === 0n) {
      options.log(`  deploying the anchoring contract at ${contract}`);
      await submit(signFreeTx(keys[0]!, chainId, 0, 200_000, undefined, hexBytes(ANCHOR_INIT_CODE)).raw);
      deployments = 1;
      await drain();
    }
    const account = chain.headState.account(contractBytes, contract.toLowerCase());
    const code = account === undefined ? undefined : chain.headState.code(account.codeHash);
    if (code === undefined || bytesToHex(code) !== ANCHOR_RUNTIME) throw new Error(`${options.dir} holds no anchoring contract at ${contract}: not a history this benchmark built`);

    const nonceStart = addresses.map((address) => Number(chain.pendingNonce(address)));
    const count = Math.max(0, options.txs - nonceStart.reduce((a, b) => a + b, 0));
    const blocksWanted = Math.max(0, options.minBlocks - chain.head.number);
    options.log(
      `  building: ${fmt(count)} anchor transactions from ${SENDER_COUNT} senders, ${fmt(options.inFlight)} in flight, signed in a worker thread; ` +
        `${fmt(blocksWanted)} more blocks wanted (empty ones sealed in between); node log ${logFile}`,
    );
    signer = new Signer({ chainId, to: contract, keys: keys.map((key) => bytesToHex(key)), nonceStart });
    const chunks = Math.ceil(count / CHUNK);
    const ahead: Promise<Uint8Array[]>[] = [];
    let requested = 0;
    const request = () => {
      if (requested < chunks) ahead.push(signer!.sign(requested * CHUNK, Math.min(count, (requested + 1) * CHUNK)));
      requested += 1;
    };
    for (let i = 0; i < PREFETCH; i++) request();

    const minedAtStart = mined;
    let submitted = 0;
    let waitingForSigner = 0;
    let lastReport = performance.now();
    let lastReportMined = 0;
    const minedOurs = () => mined - minedAtStart;
    while (ahead.length > 0) {
      const waitStart = performance.now();
      const raws = await ahead.shift()!;
      waitingForSigner += performance.now() - waitStart;
      request();
      while (submitted - minedOurs() + raws.length > options.inFlight) await nextBlock();
      for (const raw of raws) void submit(raw);
      submitted += raws.length;
      if (firstError) throw new Error(`a history transaction was refused: ${firstError.message}`);

      // Empty blocks in step with the transactions, so that blocks and transactions spread alike.
      const headWanted = startHead + Math.ceil((blocksWanted * submitted) / Math.max(1, count));
      if (chain.head.number < headWanted - 10) await chain.mine(headWanted - chain.head.number);

      const now = performance.now();
      if (now - lastReport > 15_000) {
        const recent = (minedOurs() - lastReportMined) / ((now - lastReport) / 1000);
        options.log(
          `  ${fmt(minedOurs())} / ${fmt(count)} mined, ${fmt(recent)} tx/s over the last ${fmt((now - lastReport) / 1000)} s, ${fmt(minedOurs() / ((now - started) / 1000))} tx/s overall; ` +
            `head ${fmt(chain.head.number)}; this process RSS ${mb(memoryOf(process.pid).rss)}; data ${mb(diskUsage(config.dataDir).bytes)}`,
        );
        lastReport = now;
        lastReportMined = minedOurs();
      }
    }
    await drain();
    if (firstError) throw new Error(`a history transaction was refused: ${firstError.message}`);
    if (chain.head.number < options.minBlocks) await chain.mine(options.minBlocks - chain.head.number);
    const seconds = (performance.now() - started) / 1000;
    const after = committed();
    if (waitingForSigner > 1_000) options.log(`  (the node waited ${fmt(waitingForSigner / 1000, 1)} s for the signer)`);
    return {
      before,
      after,
      added: after - before,
      seconds,
      perSecond: (after - before) / seconds,
      blocksAdded,
      failedAnchors: mined - deployments - logs,
      peakRss: memoryOf(process.pid).peak,
      signUs: signer.signed > 0 ? (signer.busyMs * 1000) / signer.signed : Number.NaN,
    };
  } finally {
    await signer?.close();
    await chain.close();
    logStream.end();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Kill and restart, over JSON-RPC
// ---------------------------------------------------------------------------------------------------------

/** Process handling shared with run.ts (its targets start nodes the same way). */
export interface NodeControl {
  /** The chain-node command line (`chain-node/src/cli.ts`, or CHAIN_NODE_CLI). */
  readonly cli: string;
  freePort(): Promise<number>;
  /** Spawns `node <args>` in its own process group, output appended to `logFile`. */
  spawnNode(args: readonly string[], logFile: string): ChildProcess;
  /** SIGTERM to the process group, SIGKILL after a grace period. */
  stopProcess(child: ChildProcess): Promise<void>;
  /** Polls eth_chainId until it answers. */
  waitForRpc(url: string, child: ChildProcess, logFile: string): Promise<number>;
  logTail(file: string): string;
}

export interface RestartOptions {
  /** The history's directory: config.json, genesis.json, validator.key, data/, logs/. */
  readonly dir: string;
  /** Committed transactions the history must hold. */
  readonly txs: number;
  /** Blocks the history must reach (the eth_getLogs window needs LOGS_WINDOW). */
  readonly minBlocks: number;
  /** Accepted but unmined transactions at most while building. */
  readonly inFlight: number;
  /** kill -9 / restart cycles. */
  readonly cycles: number;
  /** Seconds of the transaction stream before each kill. */
  readonly streamSeconds: number;
  /** Transactions sent in one batch just before the kill (the kill lands as soon as they are accepted). */
  readonly burst: number;
  readonly control: NodeControl;
  readonly log: (line: string) => void;
}

export interface RestartCycle {
  readonly cycle: number;
  /** eth_blockNumber read just before the SIGKILL (a lower bound of the head at the kill). */
  readonly headBefore: number;
  /** Seconds from spawning the new process to the first successful answer of each probe. */
  readonly blockNumberS: number;
  readonly callS: number;
  readonly logsS: number;
  /** The node's own figure (Chain.open + listen), from its log line "chain node serving JSON-RPC". */
  readonly nodeStartS: number;
  readonly rss: number;
  /** Stream transactions the node had accepted before the kill, and how many of them got a receipt after. */
  readonly acceptedBeforeKill: number;
  readonly minedAfter: number;
  /** Transactions the restarted node put back in its pool from the journal (its log). */
  readonly restored: number;
  readonly pass: boolean;
}

export interface RestartFigures {
  readonly historyTxs: number;
  readonly head: number;
  readonly dataBytes: number;
  readonly dataOnDisk: number;
  readonly build: BuildFigures | undefined;
  readonly cycles: readonly RestartCycle[];
}

function setPort(configFile: string, port: number): void {
  const config = JSON.parse(readFileSync(configFile, "utf8")) as { http?: { port?: number } };
  config.http = { ...config.http, port };
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
}

function killGroup(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done();
    else child.once("exit", () => done());
  });
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    // already gone
  }
  return exited;
}

/** The node's own start-up figure from its log: startMs of its last "chain node serving JSON-RPC" line. */
function nodeStartMs(logFile: string): number {
  try {
    const lines = readFileSync(logFile, "utf8").trimEnd().split("\n").reverse();
    for (const line of lines) {
      if (!line.includes("chain node serving JSON-RPC")) continue;
      const startMs = (JSON.parse(line) as { startMs?: number }).startMs;
      return startMs ?? Number.NaN;
    }
  } catch {
    // no log, or not JSON
  }
  return Number.NaN;
}

/** How many journaled transactions the node put back in its pool at start, from its log (0 when it says nothing). */
function restoredFromJournal(logFile: string): number {
  try {
    for (const line of readFileSync(logFile, "utf8").trimEnd().split("\n").reverse()) {
      if (line.includes("restored from its journal")) return (JSON.parse(line) as { restored?: number }).restored ?? Number.NaN;
    }
  } catch {
    // no log
  }
  return 0;
}

interface StreamTx {
  readonly hash: Hex;
  readonly id: Hex;
}

/**
 * A light, steady stream of anchor transactions over JSON-RPC: every `tickMs`, one JSON-RPC batch of
 * `perTick` eth_sendRawTransaction, senders in turn. Errors after stop() (the node was killed) are expected.
 */
class TxStream {
  readonly accepted: StreamTx[] = [];
  sent = 0;
  errors = 0;
  firstError: string | undefined;
  #stopping = false;
  #done: Promise<void> | undefined;
  readonly #client: RpcClient;
  readonly chainId: number;
  readonly contract: Uint8Array;
  readonly keys: readonly Uint8Array[];
  readonly perTick: number;
  readonly tickMs: number;

  constructor(url: string, chainId: number, contract: Uint8Array, keys: readonly Uint8Array[], perTick = 20, tickMs = 200) {
    this.#client = new RpcClient(url, { connections: 2, timeoutMs: 10_000 });
    this.chainId = chainId;
    this.contract = contract;
    this.keys = keys;
    this.perTick = perTick;
    this.tickMs = tickMs;
  }

  #nonces: number[] = [];
  #turn = 0;
  /** A request failed: the node may or may not have taken it, so the nonces are read again before the next. */
  #resync = false;

  async #syncNonces(client: RpcClient): Promise<void> {
    const addresses = this.keys.map(addressOf);
    const answers = await client.batch(addresses.map((address) => ({ method: "eth_getTransactionCount", params: [address, "pending"] })));
    this.#nonces = answers.map((answer, i) => {
      if (answer.error) throw new Error(`eth_getTransactionCount(${addresses[i]}): ${answer.error.message}`);
      return Number(answer.result);
    });
    this.#resync = false;
  }

  async start(): Promise<void> {
    await this.#syncNonces(this.#client);
    this.#done = (async () => {
      while (!this.#stopping) {
        const tick = performance.now();
        const ok = await this.#send(this.perTick, this.#client);
        if (!ok) break;
        await sleep(Math.max(0, this.tickMs - (performance.now() - tick)));
      }
    })();
  }

  /** Signs `count` transactions (senders in turn) and sends them as one JSON-RPC batch; false if the request failed. */
  async #send(count: number, client: RpcClient): Promise<boolean> {
    if (this.#resync) {
      try {
        await this.#syncNonces(client);
      } catch {
        return !this.#stopping;
      }
    }
    const txs: (StreamTx & { raw: Hex })[] = [];
    for (let i = 0; i < count; i++) {
      const sender = this.#turn++ % this.keys.length;
      const tx = anchorTx(this.keys[sender]!, this.chainId, sender, this.#nonces[sender]!++, this.contract);
      txs.push({ raw: bytesToHex(tx.raw), hash: bytesToHex(tx.hash), id: bytesToHex(tx.id) });
    }
    this.sent += txs.length;
    try {
      const results = await client.batch(txs.map((tx) => ({ method: "eth_sendRawTransaction", params: [tx.raw] })));
      results.forEach((result, i) => {
        if (result.error) {
          if (this.#stopping) return;
          this.errors += 1;
          this.firstError ??= result.error.message;
        } else this.accepted.push({ hash: txs[i]!.hash, id: txs[i]!.id });
      });
      return true;
    } catch (error) {
      if (this.#stopping) return false;
      this.errors += txs.length;
      this.firstError ??= String(error);
      this.#resync = true;
      return true;
    }
  }

  /**
   * `count` more transactions at once beside the steady ones, in concurrent JSON-RPC batches of at most
   * 1,000 (chain-node's default rpc.maxBatch); resolves when the node has answered them all.
   */
  async burst(count: number): Promise<void> {
    const batches = Math.ceil(count / 1_000);
    const client = new RpcClient(this.#client.url, { connections: batches, timeoutMs: 30_000 });
    try {
      await Promise.all(Array.from({ length: batches }, (_, b) => this.#send(Math.min(1_000, count - b * 1_000), client)));
    } finally {
      client.close();
    }
  }

  /** Stops sending; resolves when the last batch has been answered or has failed. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#done;
    this.#client.close();
  }
}

/** Calls `attempt` every 10 ms until it returns true (errors count as false); resolves with the time it did, or NaN. */
async function firstSuccess(attempt: () => Promise<boolean>, deadline: number): Promise<number> {
  for (;;) {
    try {
      if (await attempt()) return performance.now();
    } catch {
      // not up yet (connection refused), or an error answer
    }
    if (performance.now() > deadline) return Number.NaN;
    await sleep(10);
  }
}

/**
 * The restart part: builds (or reuses) the history in `dir`, then runs the node from its command line
 * and kills it `cycles` times, each time mid-stream, timing the restarted process.
 */
export async function restart(options: RestartOptions): Promise<RestartFigures> {
  const { dir, control, log } = options;
  const configFile = join(dir, "config.json");
  mkdirSync(join(dir, "logs"), { recursive: true });
  if (!existsSync(configFile)) {
    const initLog = join(dir, "logs", "init.log");
    const init = control.spawnNode([control.cli, "init", "--dev", "--dir", dir, "--http-port", String(await control.freePort())], initLog);
    const code = await new Promise<number | null>((done) => init.once("exit", done));
    if (code !== 0) throw new Error(`chain-node init exited with ${code}; ${initLog} ends:\n${control.logTail(initLog)}`);
    log(`  history directory ${dir}: initialised (init --dev)`);
  } else log(`  history directory ${dir}: exists, reused`);

  // 1. The history.
  const build = await buildHistory({ dir, txs: options.txs, inFlight: options.inFlight, minBlocks: options.minBlocks, log });
  if (build) {
    log(
      `  built ${fmt(build.added)} transactions (history ${fmt(build.before)} -> ${fmt(build.after)}) and ${fmt(build.blocksAdded)} blocks in ${fmt(build.seconds, 1)} s: ` +
        `${fmt(build.perSecond)} tx/s through Chain.submitRawTransaction and block production, in process; ` +
        `signing ${fmt(build.signUs)} µs/tx in the worker; peak RSS ${mb(build.peakRss)}; ${build.failedAnchors} anchors without their log`,
    );
    if (build.failedAnchors !== 0) throw new Error(`${build.failedAnchors} history transactions did not anchor`);
    writeFileSync(join(dir, "bench-history.json"), `${JSON.stringify({ builtAt: new Date().toISOString(), ...build }, null, 2)}\n`);
  } else {
    let note = "";
    try {
      const earlier = JSON.parse(readFileSync(join(dir, "bench-history.json"), "utf8")) as BuildFigures & { builtAt: string };
      note = ` (last built ${earlier.builtAt}: ${fmt(earlier.added)} transactions at ${fmt(earlier.perSecond)} tx/s)`;
    } catch {
      // built by hand, or by an older run
    }
    log(`  the history already holds >= ${fmt(options.txs)} transactions and >= ${fmt(options.minBlocks)} blocks: not rebuilt${note}`);
  }

  // 2. The node from its command line.
  const keys = devKeys();
  const addresses = keys.map(addressOf);
  const contract = getContractAddress({ from: addresses[0]!, nonce: 0n });
  const contractBytes = hexBytes(contract);
  let child: ChildProcess | undefined;
  let url = "";
  let launches = 0;
  const spawnNode = async () => {
    const port = await control.freePort();
    setPort(configFile, port);
    url = `http://127.0.0.1:${port}`;
    const logFile = join(dir, "logs", `node-${++launches}.log`);
    writeFileSync(logFile, "");
    const spawnedAt = performance.now();
    child = control.spawnNode([control.cli, "run", "--config", configFile], logFile);
    return { child, logFile, spawnedAt };
  };

  const first = await spawnNode();
  const chainId = await control.waitForRpc(url, first.child, first.logFile);
  const startS = (performance.now() - first.spawnedAt) / 1000;
  const client = () => new RpcClient(url, { connections: 1, timeoutMs: 30_000 });
  const history = async () => {
    const rpc = client();
    try {
      const nonces = await rpc.batch(addresses.map((address) => ({ method: "eth_getTransactionCount", params: [address, "latest"] })));
      const head = Number(await rpc.call<Hex>("eth_blockNumber"));
      return { txs: nonces.reduce((sum, answer) => sum + Number(answer.result ?? Number.NaN), 0), head };
    } finally {
      rpc.close();
    }
  };
  const atStart = await history();
  const sizeAtStart = diskUsage(join(dir, "data"));
  log(
    `  history: ${fmt(atStart.txs)} committed transactions (sum of the senders' nonces), head block ${fmt(atStart.head)}, ` +
      `data ${mb(sizeAtStart.bytes)} (${mb(sizeAtStart.onDisk)} on disk, ${fmt(sizeAtStart.bytes / Math.max(1, atStart.txs))} bytes per transaction)`,
  );
  log(`  first start (after a clean close): serving in ${fmt(startS, 2)} s (node reports ${fmt(nodeStartMs(first.logFile))} ms to open and listen), RSS ${mb(memoryOf(first.child.pid).rss)}`);

  const cycles: RestartCycle[] = [];
  let stream: TxStream | undefined;
  try {
    for (let cycle = 1; cycle <= options.cycles; cycle++) {
      // The stream runs, the kill lands in the middle of it.
      stream = new TxStream(url, chainId, contractBytes, keys);
      await stream.start();
      await sleep(options.streamSeconds * 1000);
      // A transaction of this stream with its receipt: the reads after the restart must find it.
      const rpc = client();
      let probe: { id: Hex; block: number } | undefined;
      const probeDeadline = performance.now() + 30_000;
      while (!probe) {
        const candidate = stream.accepted[0];
        if (candidate) {
          const receipt = await rpc.call<{ blockNumber: Hex; status: Hex } | null>("eth_getTransactionReceipt", [candidate.hash]);
          if (receipt) {
            if (receipt.status !== "0x1") throw new Error(`stream transaction ${candidate.hash} failed`);
            probe = { id: candidate.id, block: Number(receipt.blockNumber) };
            break;
          }
        }
        if (performance.now() > probeDeadline) throw new Error(`no stream transaction got a receipt within 30 s (${stream.errors} errors, first: ${stream.firstError})`);
        await sleep(50);
      }
      // The burst, then the kill as soon as the node has accepted it: most of it is still in the pool
      // (journaled) or in the block being built.
      if (options.burst > 0) await stream.burst(options.burst);
      const headBefore = Number(await rpc.call<Hex>("eth_blockNumber"));
      const peakBefore = memoryOf(child!.pid).peak;
      const sentBefore = stream.sent;
      const streamErrors = stream.errors;
      await killGroup(child!);
      rpc.close();
      await stream.stop();
      const acceptedBeforeKill = [...stream.accepted];

      // The new process, and the clock.
      const next = await spawnNode();
      const deadline = next.spawnedAt + PROBE_TIMEOUT_MS;
      const fromBlock = Math.max(0, headBefore - (LOGS_WINDOW - 1));
      const probeClient = (fn: (rpc: RpcClient) => Promise<boolean>) => {
        const rpc = new RpcClient(url, { connections: 1, timeoutMs: 30_000 });
        return firstSuccess(() => fn(rpc), deadline).finally(() => rpc.close());
      };
      const exited = new Promise<number>((done) => next.child.once("exit", () => done(Number.NaN)));
      const [blockNumberAt, callAt, logsAt] = await Promise.race([
        Promise.all([
          probeClient(async (rpc) => Number(await rpc.call<Hex>("eth_blockNumber")) >= headBefore),
          probeClient(async (rpc) => BigInt(await rpc.call<Hex>("eth_call", [{ to: contract, data: anchoredAtCalldata(probe.id) }, "latest"])) === BigInt(probe.block)),
          probeClient(async (rpc) => {
            const found = await rpc.call<{ blockNumber: Hex }[]>("eth_getLogs", [
              { fromBlock: `0x${fromBlock.toString(16)}`, toBlock: `0x${headBefore.toString(16)}`, address: contract, topics: [ANCHORED_TOPIC, probe.id] },
            ]);
            return found.length === 1 && Number(found[0]!.blockNumber) === probe.block;
          }),
        ]),
        exited.then(() => {
          throw new Error(`the restarted node exited; ${next.logFile} ends:\n${control.logTail(next.logFile)}`);
        }),
      ]);
      const seconds = (at: number) => (at - next.spawnedAt) / 1000;
      const rss = memoryOf(next.child.pid).rss;
      // Durability, not timed: every transaction the node had accepted before the kill gets its receipt.
      const receipts = await waitForReceipts(url, acceptedBeforeKill.map((tx) => tx.hash), { stallMs: 15_000 });
      const figures: RestartCycle = {
        cycle,
        headBefore,
        blockNumberS: seconds(blockNumberAt),
        callS: seconds(callAt),
        logsS: seconds(logsAt),
        nodeStartS: nodeStartMs(next.logFile) / 1000,
        rss,
        acceptedBeforeKill: acceptedBeforeKill.length,
        minedAfter: receipts.receipts - receipts.failed.length,
        restored: restoredFromJournal(next.logFile),
        pass: Math.max(seconds(blockNumberAt), seconds(callAt), seconds(logsAt)) <= RESTART_LIMIT_S,
      };
      cycles.push(figures);
      log(
        `  kill -9 #${cycle} at head ${fmt(headBefore)}, ${options.streamSeconds} s into the stream, as a burst of ${fmt(options.burst)} was accepted ` +
          `(${fmt(sentBefore)} sent, ${fmt(acceptedBeforeKill.length)} accepted, ${streamErrors} refused; node peak RSS ${mb(peakBefore)})\n` +
          `    restarted process: eth_blockNumber >= head ${fmt(figures.blockNumberS, 2)} s, eth_call ${fmt(figures.callS, 2)} s, ` +
          `eth_getLogs ${fmt(headBefore - fromBlock + 1)} blocks ${fmt(figures.logsS, 2)} s   ${figures.pass ? "PASS" : "FAIL"} (<= ${RESTART_LIMIT_S} s)\n` +
          `    node reports ${fmt(figures.nodeStartS, 2)} s to open and listen, ${fmt(figures.restored)} transactions back in its pool from the journal; RSS ${mb(rss)}; ` +
          `${fmt(figures.minedAfter)} / ${fmt(figures.acceptedBeforeKill)} transactions accepted before the kill have a receipt after it`,
      );
      if (stream.firstError && streamErrors > 0) log(`    stream refusal before the kill: ${stream.firstError}`);
      stream = undefined;
    }
  } finally {
    await stream?.stop();
  }
  const atEnd = await history();
  if (child) await control.stopProcess(child);
  const sizeAtEnd = diskUsage(join(dir, "data"));
  log(`  at the end: ${fmt(atEnd.txs)} transactions, head ${fmt(atEnd.head)}, data ${mb(sizeAtEnd.bytes)} (${Object.entries(sizeAtEnd.files).map(([name, bytes]) => `${name} ${mb(bytes)}`).join(", ")})`);
  return { historyTxs: atStart.txs, head: atStart.head, dataBytes: sizeAtStart.bytes, dataOnDisk: sizeAtStart.onDisk, build, cycles };
}

// The chain benchmark's workload and client, written against standard Ethereum JSON-RPC only, so the same
// code measures Hardhat's node, our chain-node or any other EVM node. `run.ts` is the command line.
//
//   ANCHOR_INIT_CODE / ANCHOR_RUNTIME   a tiny "anchoring" contract in raw EVM bytecode (below)
//   presign()                           EIP-1559 anchor(id) transactions, signed before any clock starts
//   submitAll()                         eth_sendRawTransaction, one HTTP request per transaction, N in flight
//   waitForReceipts()                   polls the last transaction of each sender, then checks every receipt
//   latencyRun()                        closed-loop load generator: p50/p90/p99/max
//   prepareHistory()                    >= 10,000 blocks containing Anchored logs, for the latency part
//   describeMachine()                   the machine the figures came from
//
// The client is plain node:http with a keep-alive Agent: on a 2-core machine it reaches about three times
// the request rate of the undici-backed global fetch, and every cycle it spends is taken from the node.
import http from "node:http";
import https from "node:https";
import { availableParallelism, cpus, loadavg, release, totalmem, type as osType } from "node:os";
import { keccak256, toFunctionSelector, toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";

// ---------------------------------------------------------------------------------------------------------
// The anchoring contract
// ---------------------------------------------------------------------------------------------------------

/** `anchor(bytes32 id)`: records `id` once (storage[id] = block.number) and emits `Anchored(id)`. */
export const ANCHOR_SELECTOR: Hex = "0xeecdf927";
/** `anchoredAt(bytes32 id) view returns (uint256)`: the block that anchored `id`, 0 if none. */
export const ANCHORED_AT_SELECTOR: Hex = "0x9591a610";
/** topic0 of `event Anchored(bytes32 indexed id)`. */
export const ANCHORED_TOPIC: Hex = "0xc8f7565859107929ba4b285bfb17dfba069f69ab64447f49d6fecb70f6bd552b";

// Runtime code, 91 bytes. No PUSH0 and nothing newer than Constantinople (SHR), so any EVM runs it.
// Stack shown after each instruction, top on the right. An id that is already anchored reverts, so every
// successful anchor(id) does exactly one fresh SSTORE (zero -> non-zero) and one LOG2 with no data.
const RUNTIME_LISTING: readonly (readonly [hex: string, asm: string])[] = [
  ["6004", "00 PUSH1 0x04"],
  ["35", "02 CALLDATALOAD                 [id]            id = calldata[4:36]"],
  ["6000", "03 PUSH1 0x00"],
  ["35", "05 CALLDATALOAD                 [id, word0]"],
  ["60e0", "06 PUSH1 0xe0"],
  ["1c", "08 SHR                          [id, sel]       sel = calldata[0:4]"],
  ["80", "09 DUP1                         [id, sel, sel]"],
  ["639591a610", "0a PUSH4 anchoredAt(bytes32)"],
  ["14", "0f EQ                           [id, sel, isView]"],
  ["6050", "10 PUSH1 0x50 (view)"],
  ["57", "12 JUMPI                        [id, sel]"],
  ["63eecdf927", "13 PUSH4 anchor(bytes32)"],
  ["14", "18 EQ                           [id, isAnchor]"],
  ["6021", "19 PUSH1 0x21 (anchor)"],
  ["57", "1b JUMPI                        [id]"],
  ["5b", "1c JUMPDEST (fail)              unknown selector, or id already anchored"],
  ["6000", "1d PUSH1 0x00"],
  ["80", "1f DUP1"],
  ["fd", "20 REVERT                       revert(0, 0)"],
  ["5b", "21 JUMPDEST (anchor)            [id]"],
  ["80", "22 DUP1                         [id, id]"],
  ["54", "23 SLOAD                        [id, storage[id]]"],
  ["601c", "24 PUSH1 0x1c (fail)"],
  ["57", "26 JUMPI                        [id]            already anchored: revert"],
  ["43", "27 NUMBER                       [id, block.number]"],
  ["81", "28 DUP2                         [id, block.number, id]"],
  ["55", "29 SSTORE                       [id]            storage[id] = block.number"],
  [`7f${ANCHORED_TOPIC.slice(2)}`, "2a PUSH32 keccak256(\"Anchored(bytes32)\")"],
  ["6000", "4b PUSH1 0x00                   [id, topic0, 0]"],
  ["80", "4d DUP1                         [id, topic0, 0, 0]"],
  ["a2", "4e LOG2                         []              log2(mem[0:0], topic0, id)"],
  ["00", "4f STOP"],
  ["5b", "50 JUMPDEST (view)              [id, sel]"],
  ["50", "51 POP                          [id]"],
  ["54", "52 SLOAD                        [storage[id]]"],
  ["6000", "53 PUSH1 0x00"],
  ["52", "55 MSTORE                       []              mem[0:32] = storage[id]"],
  ["6020", "56 PUSH1 0x20"],
  ["6000", "58 PUSH1 0x00"],
  ["f3", "5a RETURN                       return mem[0:32]"],
];

/** The deployed code of the anchoring contract. */
export const ANCHOR_RUNTIME: Hex = `0x${RUNTIME_LISTING.map(([hex]) => hex).join("")}`;

// Init code, 11 bytes, followed by the runtime: copies the runtime to memory and returns it.
//   00 PUSH1 0x5b (runtime length)  02 DUP1  03 PUSH1 0x0b (runtime offset)  05 PUSH1 0x00
//   07 CODECOPY (mem[0:0x5b] = code[0x0b:0x66])  08 PUSH1 0x00  0a RETURN (return mem[0:0x5b])
/** The creation code: the `data` of the deployment transaction. */
export const ANCHOR_INIT_CODE: Hex = `0x605b80600b6000396000f3${ANCHOR_RUNTIME.slice(2)}`;

// The listing's offsets and constants are hand-written: check them once, at load.
if (
  (ANCHOR_RUNTIME.length - 2) / 2 !== 0x5b ||
  toFunctionSelector("anchor(bytes32)") !== ANCHOR_SELECTOR ||
  toFunctionSelector("anchoredAt(bytes32)") !== ANCHORED_AT_SELECTOR ||
  keccak256(toHex("Anchored(bytes32)")) !== ANCHORED_TOPIC
) {
  throw new Error("the anchoring contract's bytecode listing is inconsistent");
}

/** The calldata of `anchor(id)`. */
export function anchorCalldata(id: Hex): Hex {
  return `${ANCHOR_SELECTOR}${id.slice(2)}`;
}

/** The calldata of `anchoredAt(id)`. */
export function anchoredAtCalldata(id: Hex): Hex {
  return `${ANCHORED_AT_SELECTOR}${id.slice(2)}`;
}

/**
 * The `index`-th id of a workload: keccak256 of (namespace, index), so ids look like the hashes real
 * callers anchor (random storage keys and non-zero calldata), and workloads with different namespaces
 * never collide. The benchmark uses namespace 1 for throughput and 2 for the latency history.
 */
export function anchorId(namespace: number, index: number): Hex {
  return keccak256(`0x${namespace.toString(16).padStart(8, "0")}${index.toString(16).padStart(56, "0")}`);
}

// ---------------------------------------------------------------------------------------------------------
// Keys and transactions
// ---------------------------------------------------------------------------------------------------------

/**
 * Private keys of accounts 0..9 of the well-known development mnemonic
 * "test test test test test test test test test test test junk" (m/44'/60'/0'/0/i), which Hardhat's node
 * funds and `chain-node init --dev` is expected to allow. Public test keys: never use them on a real chain.
 */
export const DEV_KEYS: readonly Hex[] = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
  "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
  "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
  "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
  "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
  "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
];

/** The fee fields of every transaction; zero on a chain whose gas is free (but metered). */
export interface Fees {
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

export const FREE_GAS: Fees = { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n };

/** Gas limit of an anchor(id) transaction; it uses about 45,000 (44,889 on Hardhat's node, Prague rules). */
export const ANCHOR_GAS = 100_000n;

/** A transaction signed ahead of time. */
export interface SignedTx {
  /** The signed transaction, as eth_sendRawTransaction takes it. */
  readonly raw: Hex;
  readonly hash: Hex;
  /** Index of the signing key in the `keys` given to presign(). */
  readonly sender: number;
  readonly from: Address;
  readonly nonce: number;
  /** The id it anchors. */
  readonly id: Hex;
}

export interface PresignOptions {
  readonly chainId: number;
  readonly keys: readonly Hex[];
  /** How many transactions, spread round-robin over the keys. */
  readonly count: number;
  /** The anchoring contract. */
  readonly to: Address;
  /** The first nonce of every key, or one per key (eth_getTransactionCount(from, "pending")). */
  readonly nonceStart: number | readonly number[];
  /** Default FREE_GAS (0 / 0). */
  readonly fees?: Fees;
  /** Default ANCHOR_GAS. */
  readonly gas?: bigint;
  /** Transaction i anchors anchorId(idNamespace, firstId + i); defaults 1 and 0. */
  readonly idNamespace?: number;
  readonly firstId?: number;
}

/**
 * Signs `count` anchor(id) transactions (EIP-1559, value 0), each with its own id. Transaction i is signed
 * by keys[i % keys.length], so consecutive transactions come from different senders and each sender's
 * transactions appear in nonce order. Costs about 0.3 ms per transaction on one core.
 */
export async function presign(options: PresignOptions): Promise<SignedTx[]> {
  const { chainId, keys, count, to } = options;
  const fees = options.fees ?? FREE_GAS;
  const gas = options.gas ?? ANCHOR_GAS;
  const namespace = options.idNamespace ?? 1;
  const firstId = options.firstId ?? 0;
  if (keys.length === 0) throw new Error("presign: no keys");
  const accounts = keys.map((key) => privateKeyToAccount(key));
  const nonces = keys.map((_, k) => {
    const start = typeof options.nonceStart === "number" ? options.nonceStart : options.nonceStart[k];
    if (start === undefined) throw new Error(`presign: no nonceStart for key ${k}`);
    return start;
  });
  const signed: SignedTx[] = [];
  for (let i = 0; i < count; i++) {
    const sender = i % keys.length;
    const account = accounts[sender]!;
    const nonce = nonces[sender]!;
    nonces[sender] = nonce + 1;
    const id = anchorId(namespace, firstId + i);
    const raw = await account.signTransaction({
      type: "eip1559",
      chainId,
      nonce,
      to,
      value: 0n,
      gas,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
      data: anchorCalldata(id),
    });
    signed.push({ raw, hash: keccak256(raw), sender, from: account.address, nonce, id });
  }
  return signed;
}

// ---------------------------------------------------------------------------------------------------------
// JSON-RPC over keep-alive HTTP
// ---------------------------------------------------------------------------------------------------------

export interface RpcRequest {
  readonly method: string;
  readonly params: readonly unknown[];
}

interface RpcResponse {
  id?: unknown;
  result?: unknown;
  error?: { code?: number; message?: string; data?: unknown };
}

/** A JSON-RPC error response (the request reached the node, which refused it). */
export class RpcError extends Error {
  readonly code: number | undefined;
  constructor(method: string, error: { code?: number; message?: string }) {
    super(`${method}: ${error.message ?? "error"}${error.code === undefined ? "" : ` (${error.code})`}`);
    this.code = error.code;
  }
}

/** One HTTP endpoint, one keep-alive connection pool. Call close() when done, or the process lingers. */
export class RpcClient {
  readonly url: string;
  private readonly target: URL;
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;
  private readonly timeoutMs: number;
  private nextId = 1;
  private batchSupported = true;

  constructor(url: string, options: { connections?: number; timeoutMs?: number } = {}) {
    this.url = url;
    this.target = new URL(url);
    this.transport = this.target.protocol === "https:" ? https : http;
    this.agent = new this.transport.Agent({ keepAlive: true, maxSockets: options.connections ?? 16 });
    this.timeoutMs = options.timeoutMs ?? 120_000;
  }

  /** POSTs a JSON body and resolves with the parsed JSON answer. */
  post(body: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const request = this.transport.request(
        {
          protocol: this.target.protocol,
          hostname: this.target.hostname,
          port: this.target.port,
          path: `${this.target.pathname}${this.target.search}`,
          method: "POST",
          agent: this.agent,
          timeout: this.timeoutMs,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", reject);
          response.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            try {
              resolve(JSON.parse(text));
            } catch {
              reject(new Error(`HTTP ${response.statusCode} from ${this.url}: ${text.slice(0, 200)}`));
            }
          });
        },
      );
      request.on("timeout", () => request.destroy(new Error(`no answer from ${this.url} within ${this.timeoutMs} ms`)));
      request.on("error", reject);
      request.end(body);
    });
  }

  /** Calls one method; throws RpcError on a JSON-RPC error. */
  async call<T = unknown>(method: string, params: readonly unknown[] = []): Promise<T> {
    const answer = (await this.post(JSON.stringify({ jsonrpc: "2.0", id: this.nextId++, method, params }))) as RpcResponse;
    if (answer.error) throw new RpcError(method, answer.error);
    return answer.result as T;
  }

  /**
   * Sends the calls as one JSON-RPC batch and returns the answers in the calls' order. A node that does
   * not answer batches with an array gets the calls one by one instead (remembered for later batches).
   */
  async batch(calls: readonly RpcRequest[]): Promise<RpcResponse[]> {
    if (calls.length === 0) return [];
    if (this.batchSupported) {
      const first = this.nextId;
      this.nextId += calls.length;
      const body = JSON.stringify(calls.map((c, i) => ({ jsonrpc: "2.0", id: first + i, method: c.method, params: c.params })));
      const answer = await this.post(body);
      if (Array.isArray(answer)) {
        const byId = new Map<unknown, RpcResponse>();
        for (const item of answer as RpcResponse[]) byId.set(item.id, item);
        return calls.map((c, i) => byId.get(first + i) ?? { error: { message: `no answer to ${c.method} in the batch` } });
      }
      this.batchSupported = false;
    }
    return Promise.all(
      calls.map((c) =>
        this.post(JSON.stringify({ jsonrpc: "2.0", id: this.nextId++, method: c.method, params: c.params })).then(
          (answer) => answer as RpcResponse,
          (error: unknown) => ({ error: { message: String(error) } }),
        ),
      ),
    );
  }

  close(): void {
    this.agent.destroy();
  }
}

/** CPU time this process used since `before`, as a fraction of `wallMs` (user + system, all threads). */
function coresUsed(before: NodeJS.CpuUsage, wallMs: number): number {
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000 / wallMs;
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** A counting semaphore for at most `slots` concurrent operations. */
function semaphore(slots: number): <T>(task: () => Promise<T>) => Promise<T> {
  let free = slots;
  const waiting: (() => void)[] = [];
  return async (task) => {
    if (free > 0) free -= 1;
    else await new Promise<void>((go) => waiting.push(go));
    try {
      return await task();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free += 1;
    }
  };
}

// ---------------------------------------------------------------------------------------------------------
// Submitting and waiting
// ---------------------------------------------------------------------------------------------------------

export interface SubmitOptions {
  /** Requests in flight at once (default 64). */
  readonly concurrency?: number;
  /**
   * At most this many requests in flight per sender (needs SignedTx input). 1 keeps each sender's
   * transactions in nonce order on the wire, for nodes that refuse nonce gaps (Hardhat's node while it
   * automines); unset, requests go out in input order and the node must queue early-arriving nonces.
   */
  readonly maxInFlightPerSender?: number;
  /** Connections to open; default `concurrency`. */
  readonly connections?: number;
}

export interface SubmitResult {
  readonly sent: number;
  readonly accepted: number;
  /** The first few refusals (error message and transaction), and how many there were in all. */
  readonly errors: readonly { readonly index: number; readonly hash?: Hex; readonly message: string }[];
  readonly errorCount: number;
  /** performance.now() when the first request was sent, and when the last answer arrived. */
  readonly startedAt: number;
  readonly finishedAt: number;
  /** CPU this process used meanwhile, in cores (1 = one core busy the whole time). */
  readonly clientCores: number;
}

/**
 * Sends every transaction with eth_sendRawTransaction, one HTTP request each (no batches), `concurrency`
 * in flight. Refusals are counted and kept, never retried.
 */
export async function submitAll(url: string, txs: readonly (SignedTx | Hex)[], options: SubmitOptions = {}): Promise<SubmitResult> {
  const concurrency = Math.max(1, options.concurrency ?? 64);
  const client = new RpcClient(url, { connections: options.connections ?? concurrency });
  const bodies = txs.map((tx) =>
    JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_sendRawTransaction", params: [typeof tx === "string" ? tx : tx.raw] }),
  );
  const errors: { index: number; hash?: Hex; message: string }[] = [];
  let errorCount = 0;
  let accepted = 0;
  const send = async (index: number) => {
    try {
      const answer = (await client.post(bodies[index]!)) as RpcResponse;
      if (answer.error) throw new RpcError("eth_sendRawTransaction", answer.error);
      accepted += 1;
    } catch (error) {
      errorCount += 1;
      const tx = txs[index]!;
      if (errors.length < 20) errors.push({ index, hash: typeof tx === "string" ? undefined : tx.hash, message: String(error) });
    }
  };

  const cpuBefore = process.cpuUsage();
  const startedAt = performance.now();
  try {
    if (options.maxInFlightPerSender === undefined) {
      let next = 0;
      const worker = async () => {
        while (next < bodies.length) await send(next++);
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, bodies.length) }, worker));
    } else {
      const lanes = new Map<number, number[]>();
      txs.forEach((tx, index) => {
        if (typeof tx === "string") throw new Error("submitAll: maxInFlightPerSender needs SignedTx input");
        const lane = lanes.get(tx.sender) ?? [];
        lane.push(index);
        lanes.set(tx.sender, lane);
      });
      const limit = semaphore(concurrency);
      const perLane = Math.max(1, options.maxInFlightPerSender);
      const workers: Promise<void>[] = [];
      for (const lane of lanes.values()) {
        let next = 0;
        for (let w = 0; w < Math.min(perLane, lane.length); w++) {
          workers.push(
            (async () => {
              while (next < lane.length) {
                const index = lane[next++]!;
                await limit(() => send(index));
              }
            })(),
          );
        }
      }
      await Promise.all(workers);
    }
  } finally {
    client.close();
  }
  const finishedAt = performance.now();
  return { sent: bodies.length, accepted, errors, errorCount, startedAt, finishedAt, clientCores: coresUsed(cpuBefore, finishedAt - startedAt) };
}

interface RawReceipt {
  transactionHash: Hex;
  status?: Hex;
  blockNumber: Hex;
  gasUsed: Hex;
  logs?: unknown[];
}

export interface ReceiptsResult {
  /** performance.now() when the poll that found the last outstanding receipt was answered. */
  readonly lastReceiptAt: number;
  readonly receipts: number;
  /** Transactions with a receipt whose status is not 0x1, and transactions without a receipt. */
  readonly failed: readonly Hex[];
  readonly missing: readonly Hex[];
  /** The blocks the transactions landed in: lowest, highest, how many distinct. */
  readonly firstBlock: number;
  readonly lastBlock: number;
  readonly blocks: number;
  readonly gasUsed: bigint;
  /** Receipts whose log count was not 1 (the anchoring contract emits exactly one log). */
  readonly unexpectedLogs: number;
  /** The block of each transaction that has a receipt. */
  readonly blockOf: ReadonlyMap<Hex, number>;
}

export interface WaitOptions {
  /** Polling interval while waiting (default 25 ms: the resolution of lastReceiptAt). */
  readonly pollMs?: number;
  /** Give up after this long without progress (default 120 s). */
  readonly stallMs?: number;
  /** Receipts per JSON-RPC batch (default 500). */
  readonly batchSize?: number;
}

async function fetchReceipts(client: RpcClient, hashes: readonly Hex[], batchSize: number): Promise<Map<Hex, RawReceipt>> {
  const found = new Map<Hex, RawReceipt>();
  for (let i = 0; i < hashes.length; i += batchSize) {
    const slice = hashes.slice(i, i + batchSize);
    const answers = await client.batch(slice.map((hash) => ({ method: "eth_getTransactionReceipt", params: [hash] })));
    answers.forEach((answer, j) => {
      if (answer.error) throw new RpcError("eth_getTransactionReceipt", answer.error);
      if (answer.result) found.set(slice[j]!, answer.result as RawReceipt);
    });
  }
  return found;
}

/**
 * Waits until every transaction has a receipt. With SignedTx input it polls only the highest nonce of each
 * sender (a sender's earlier nonces are necessarily mined before it); plain hashes are all polled. Then it
 * fetches every receipt in JSON-RPC batches and reports the ones that failed or never appeared.
 */
export async function waitForReceipts(url: string, txs: readonly (SignedTx | Hex)[], options: WaitOptions = {}): Promise<ReceiptsResult> {
  const pollMs = options.pollMs ?? 25;
  const stallMs = options.stallMs ?? 120_000;
  const batchSize = options.batchSize ?? 500;
  const client = new RpcClient(url, { connections: 4 });
  try {
    const all = txs.map((tx) => (typeof tx === "string" ? tx : tx.hash));
    const tails = new Map<string, { nonce: number; hash: Hex }>();
    txs.forEach((tx, i) => {
      if (typeof tx === "string") tails.set(`#${i}`, { nonce: 0, hash: tx });
      else if ((tails.get(tx.from)?.nonce ?? -1) < tx.nonce) tails.set(tx.from, { nonce: tx.nonce, hash: tx.hash });
    });

    let pending = [...tails.values()].map((tail) => tail.hash);
    let lastReceiptAt = performance.now();
    let lastProgress = performance.now();
    while (pending.length > 0) {
      const found = await fetchReceipts(client, pending, batchSize);
      const now = performance.now();
      if (found.size > 0) {
        pending = pending.filter((hash) => !found.has(hash));
        lastReceiptAt = now;
        lastProgress = now;
      } else if (now - lastProgress > stallMs) {
        break;
      }
      if (pending.length > 0) await sleep(pollMs);
    }

    const receipts = await fetchReceipts(client, all, batchSize);
    const failed: Hex[] = [];
    const missing: Hex[] = [];
    let firstBlock = Number.MAX_SAFE_INTEGER;
    let lastBlock = 0;
    let gasUsed = 0n;
    let unexpectedLogs = 0;
    const blocks = new Set<number>();
    const blockOf = new Map<Hex, number>();
    for (const hash of all) {
      const receipt = receipts.get(hash);
      if (!receipt) {
        missing.push(hash);
        continue;
      }
      if (receipt.status !== "0x1") failed.push(hash);
      if (receipt.logs?.length !== 1) unexpectedLogs += 1;
      const block = Number(receipt.blockNumber);
      blockOf.set(hash, block);
      blocks.add(block);
      firstBlock = Math.min(firstBlock, block);
      lastBlock = Math.max(lastBlock, block);
      gasUsed += BigInt(receipt.gasUsed);
    }
    return {
      lastReceiptAt,
      receipts: receipts.size,
      failed,
      missing,
      firstBlock: blocks.size > 0 ? firstBlock : 0,
      lastBlock,
      blocks: blocks.size,
      gasUsed,
      unexpectedLogs,
      blockOf,
    };
  } finally {
    client.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// Closed-loop latency
// ---------------------------------------------------------------------------------------------------------

export interface LatencyOptions {
  /** Concurrent clients, each sending its next request as soon as the previous one is answered (default 200). */
  readonly clients?: number;
  /** Measured duration (default 10 s), after a warm-up whose requests are not recorded (default 1 s). */
  readonly durationMs?: number;
  readonly warmupMs?: number;
  /** Checks each result; a false return counts the request as an error. */
  readonly validate?: (result: unknown, request: RpcRequest) => boolean;
}

export interface LatencyResult {
  /** Requests answered without error inside the measured window, and their rate. */
  readonly count: number;
  readonly perSecond: number;
  readonly errors: number;
  readonly firstError?: string;
  /** Latency in milliseconds of the successful requests. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
  /** CPU this process used during the run, in cores (1 = one core busy the whole time). */
  readonly clientCores: number;
}

/** The q-quantile (0..1) of sorted values, nearest rank. */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/**
 * Closed-loop load: `clients` loops, each on its own keep-alive connection, send makeRequest(i) (i counts
 * up across all clients) and wait for the answer. Latency is HTTP request start to parsed answer.
 */
export async function latencyRun(url: string, makeRequest: (i: number) => RpcRequest, options: LatencyOptions = {}): Promise<LatencyResult> {
  const clients = options.clients ?? 200;
  const durationMs = options.durationMs ?? 10_000;
  const warmupMs = options.warmupMs ?? 1_000;
  const client = new RpcClient(url, { connections: clients, timeoutMs: 60_000 });
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let sequence = 0;
  const cpuBefore = process.cpuUsage();
  const begin = performance.now();
  const measureFrom = begin + warmupMs;
  const measureUntil = measureFrom + durationMs;
  const loop = async () => {
    while (performance.now() < measureUntil) {
      const request = makeRequest(sequence++);
      const body = JSON.stringify({ jsonrpc: "2.0", id: sequence, method: request.method, params: request.params });
      const sentAt = performance.now();
      let problem: string | undefined;
      try {
        const answer = (await client.post(body)) as RpcResponse;
        if (answer.error) problem = new RpcError(request.method, answer.error).message;
        else if (options.validate && !options.validate(answer.result, request)) problem = `${request.method}: unexpected result ${JSON.stringify(answer.result).slice(0, 200)}`;
      } catch (error) {
        problem = String(error);
      }
      const doneAt = performance.now();
      if (sentAt < measureFrom || doneAt > measureUntil) continue;
      if (problem === undefined) latencies.push(doneAt - sentAt);
      else {
        errors += 1;
        firstError ??= problem;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: clients }, loop));
  } finally {
    client.close();
  }
  const clientCores = coresUsed(cpuBefore, performance.now() - begin);
  const sorted = Float64Array.from(latencies).sort();
  const sum = latencies.reduce((a, b) => a + b, 0);
  return {
    count: sorted.length,
    perSecond: sorted.length / (durationMs / 1000),
    errors,
    firstError,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN,
    mean: sorted.length > 0 ? sum / sorted.length : Number.NaN,
    clientCores,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Chain set-up: nonces, deployment, history
// ---------------------------------------------------------------------------------------------------------

/** eth_getTransactionCount(address, "pending") of each key's account. */
export async function pendingNonces(url: string, keys: readonly Hex[]): Promise<number[]> {
  const client = new RpcClient(url);
  try {
    const answers = await client.batch(
      keys.map((key) => ({ method: "eth_getTransactionCount", params: [privateKeyToAccount(key).address, "pending"] })),
    );
    return answers.map((answer) => {
      if (answer.error) throw new RpcError("eth_getTransactionCount", answer.error);
      return Number(answer.result);
    });
  } finally {
    client.close();
  }
}

/** Deploys the anchoring contract with a raw signed transaction from `key`; resolves with its address. */
export async function deployAnchor(url: string, options: { chainId: number; key: Hex; fees?: Fees }): Promise<{ address: Address; block: number }> {
  const fees = options.fees ?? FREE_GAS;
  const account = privateKeyToAccount(options.key);
  const [nonce] = await pendingNonces(url, [options.key]);
  const raw = await account.signTransaction({
    type: "eip1559",
    chainId: options.chainId,
    nonce: nonce!,
    value: 0n,
    gas: 200_000n,
    maxFeePerGas: fees.maxFeePerGas,
    maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    data: ANCHOR_INIT_CODE,
  });
  const client = new RpcClient(url);
  try {
    const hash = await client.call<Hex>("eth_sendRawTransaction", [raw]);
    const deadline = performance.now() + 120_000;
    for (;;) {
      const receipt = await client.call<(RawReceipt & { contractAddress: Address | null }) | null>("eth_getTransactionReceipt", [hash]);
      if (receipt) {
        if (receipt.status !== "0x1" || !receipt.contractAddress) throw new Error(`deploying the anchoring contract failed (tx ${hash})`);
        const code = await client.call<Hex>("eth_getCode", [receipt.contractAddress, "latest"]);
        if (code.toLowerCase() !== ANCHOR_RUNTIME) throw new Error(`the anchoring contract at ${receipt.contractAddress} has unexpected code`);
        return { address: receipt.contractAddress, block: Number(receipt.blockNumber) };
      }
      if (performance.now() > deadline) throw new Error(`the deployment ${hash} got no receipt within 120 s`);
      await sleep(50);
    }
  } finally {
    client.close();
  }
}

export type MiningMethod = "hardhat_mine" | "evm_mine" | "transactions only";

/** Which way of making empty blocks the node offers: hardhat_mine (n blocks per call), evm_mine, or none. */
export async function detectMining(url: string): Promise<MiningMethod> {
  const client = new RpcClient(url);
  try {
    for (const [method, params] of [["hardhat_mine", ["0x1"]], ["evm_mine", []]] as const) {
      try {
        await client.call(method, params);
        return method;
      } catch (error) {
        if (!(error instanceof RpcError)) throw error;
      }
    }
    return "transactions only";
  } finally {
    client.close();
  }
}

export interface HistoryOptions {
  readonly chainId: number;
  readonly contract: Address;
  readonly keys: readonly Hex[];
  readonly fees?: Fees;
  /** Blocks of history to add (default 10,000): the window eth_getLogs queries. */
  readonly blocks?: number;
  /** Anchor transactions spread over those blocks (default 1,000), sent `burst` at a time (default keys.length). */
  readonly txs?: number;
  readonly burst?: number;
  /** Called now and then with progress. */
  readonly onProgress?: (message: string) => void;
}

export interface History {
  /** The ids anchored (namespace 2) and the block of each, all inside [fromBlock, toBlock]. */
  readonly anchors: readonly { readonly id: Hex; readonly block: number }[];
  readonly fromBlock: number;
  readonly toBlock: number;
  readonly mining: MiningMethod;
  readonly seconds: number;
}

/**
 * Adds at least `blocks` blocks containing `txs` Anchored logs spread evenly through them: bursts of
 * anchor transactions, each burst waited for, then empty blocks up to the burst's share of the window,
 * made with hardhat_mine or evm_mine where the node has them. A node with neither only gets the
 * transactions, and the bursts go on (with fresh ids) until the window is `blocks` long; that takes
 * `blocks` block intervals if the node seals on a timer.
 */
export async function prepareHistory(url: string, options: HistoryOptions): Promise<History> {
  const started = performance.now();
  const blocks = options.blocks ?? 10_000;
  const txs = options.txs ?? 1_000;
  const burst = Math.max(1, options.burst ?? options.keys.length);
  const report = options.onProgress ?? (() => undefined);
  const mining = await detectMining(url);
  const client = new RpcClient(url);
  const anchors: { id: Hex; block: number }[] = [];
  try {
    const head = async () => Number(await client.call<Hex>("eth_blockNumber"));
    const fromBlock = (await head()) + 1;
    const bursts = Math.ceil(txs / burst);
    let lastReport = performance.now();
    for (let b = 0; ; b++) {
      const count = b < bursts ? Math.min(burst, txs - b * burst) : burst;
      const nonceStart = await pendingNonces(url, options.keys);
      const signed = await presign({
        chainId: options.chainId,
        keys: options.keys,
        count,
        to: options.contract,
        nonceStart,
        fees: options.fees,
        idNamespace: 2,
        firstId: anchors.length,
      });
      const sent = await submitAll(url, signed, { concurrency: burst, maxInFlightPerSender: 1 });
      if (sent.errorCount > 0) throw new Error(`history: ${sent.errorCount} transactions refused, first: ${sent.errors[0]?.message}`);
      const mined = await waitForReceipts(url, signed, { pollMs: 10 });
      if (mined.failed.length + mined.missing.length > 0) throw new Error(`history: ${mined.failed.length} failed, ${mined.missing.length} without receipt`);
      for (const tx of signed) anchors.push({ id: tx.id, block: mined.blockOf.get(tx.hash)! });

      const current = await head();
      const target = fromBlock - 1 + Math.ceil((blocks * Math.min(b + 1, bursts)) / bursts);
      if (mining === "hardhat_mine" && current < target) await client.call("hardhat_mine", [`0x${(target - current).toString(16)}`]);
      if (mining === "evm_mine") for (let n = current; n < target; n++) await client.call("evm_mine");
      const reached = await head();
      if (performance.now() - lastReport > 5_000) {
        lastReport = performance.now();
        report(`  history: ${anchors.length} anchors, ${reached - fromBlock + 1} / ${blocks} blocks`);
      }
      if (b + 1 >= bursts && reached - fromBlock + 1 >= blocks) {
        return { anchors, fromBlock, toBlock: reached, mining, seconds: (performance.now() - started) / 1000 };
      }
    }
  } finally {
    client.close();
  }
}

// ---------------------------------------------------------------------------------------------------------
// The machine
// ---------------------------------------------------------------------------------------------------------

/** The fraction (0..1) of all cores that other processes kept busy during the next `ms` milliseconds. */
export async function othersBusy(ms: number): Promise<number> {
  const total = () => cpus().reduce((sum, cpu) => {
    const t = cpu.times;
    return { busy: sum.busy + t.user + t.nice + t.sys + t.irq, all: sum.all + t.user + t.nice + t.sys + t.irq + t.idle };
  }, { busy: 0, all: 0 });
  const before = total();
  const own = process.cpuUsage();
  await sleep(ms);
  const after = total();
  const ownMs = (process.cpuUsage(own).user + process.cpuUsage(own).system) / 1000;
  const all = after.all - before.all;
  return all > 0 ? Math.max(0, (after.busy - before.busy - ownMs) / all) : 0;
}

/** One line: CPU model, cores, memory, Node version, OS, and the load average at the time. */
export function describeMachine(): string {
  const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
  const memory = (totalmem() / 2 ** 30).toFixed(1);
  const load = loadavg().map((l) => l.toFixed(2)).join(" ");
  return `${cpu}, ${availableParallelism()} cores, ${memory} GiB, Node ${process.version}, ${osType()} ${release()} ${process.arch} (load ${load})`;
}

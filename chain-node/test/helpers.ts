// Shared by the node-level tests (clients, bad-input, crash, node): temporary directories, the node as a
// child process (the real CLI) or in-process, raw JSON-RPC, polling, the development keys, and two
// hand-assembled contracts (no compiler: each is listed opcode by opcode below).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { HDNodeWallet, id as keccakId } from "ethers";
import { publicKeyOf } from "../src/common.ts";
import { keccak256, toHex } from "../src/codec.ts";
import { parseConfig, parseGenesis, type Genesis } from "../src/config.ts";
import { DEV_ACCOUNTS } from "../src/dev-accounts.ts";
import { startNode, type RunningNode } from "../src/node.ts";

export const CLI = resolve(import.meta.dirname, "../src/cli.ts");
export const CHAIN_ID = 424242;
export const MNEMONIC = "test test test test test test test test test test test junk";
export const DEV_BALANCE = 0x21e19e0c9bab2400000n; // 10,000 ether, as `init --dev` funds them

// Temporary directories ----------------------------------------------------------------------------

const dirs: string[] = [];

export async function tempDir(prefix = "chain-node-test-"): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

// Development keys -----------------------------------------------------------------------------------

let devWalletCache: HDNodeWallet[] | undefined;

/** The 20 accounts of the development mnemonic (m/44'/60'/0'/0/i), which `init --dev` funds as operators. */
export function devWallets(): HDNodeWallet[] {
  if (devWalletCache === undefined) {
    const parent = HDNodeWallet.fromPhrase(MNEMONIC, undefined, "m/44'/60'/0'/0");
    devWalletCache = DEV_ACCOUNTS.map((address, i) => {
      const wallet = parent.deriveChild(i);
      if (wallet.address !== address) throw new Error(`development account ${i} derives to ${wallet.address}, not ${address}`);
      return wallet;
    });
  }
  return devWalletCache;
}

export function addressOfKey(key: Uint8Array): string {
  return toHex(keccak256(publicKeyOf(key)).subarray(12));
}

// In-process nodes -----------------------------------------------------------------------------------

/** A genesis as `init --dev` writes it (operators and funds for the 20 development accounts), with overrides. */
export function devGenesis(validator: string, overrides: Record<string, unknown> = {}): Genesis {
  return parseGenesis({
    chainId: CHAIN_ID,
    hardfork: "shanghai",
    timestamp: 1_700_000_000,
    validators: [validator],
    operators: DEV_ACCOUNTS,
    alloc: Object.fromEntries(DEV_ACCOUNTS.map((a) => [a, { balance: `0x${DEV_BALANCE.toString(16)}` }])),
    ...overrides,
  });
}

export interface InProcessOptions {
  dir?: string;
  dev?: boolean;
  genesis?: Genesis | ((validator: string) => Genesis);
  validatorKey?: Uint8Array;
  config?: Record<string, unknown>;
}

/** startNode on an ephemeral port in a temporary directory, logging only errors. */
export async function startInProcess(options: InProcessOptions = {}): Promise<RunningNode & { dir: string; validatorKey: Uint8Array; genesis: Genesis }> {
  const dir = options.dir ?? (await tempDir());
  const validatorKey = options.validatorKey ?? Uint8Array.from(randomBytes(32));
  const validator = addressOfKey(validatorKey);
  const genesis = typeof options.genesis === "function" ? options.genesis(validator) : (options.genesis ?? devGenesis(validator));
  const config = parseConfig({ http: { port: 0 }, dev: options.dev ?? true, log: { level: "error" }, ...options.config }, dir);
  const node = await startNode({ config, genesis, validatorKey });
  inProcess.add(node);
  const close = node.close.bind(node);
  node.close = () => {
    inProcess.delete(node);
    return close();
  };
  return Object.assign(node, { dir, validatorKey, genesis });
}

const inProcess = new Set<RunningNode>();

// The node as a child process ----------------------------------------------------------------------

/** `chain-node init --dev --dir <dir> --http-port 0` (0: the node takes an ephemeral port and logs it). */
export function initDevDir(dir: string, extra: string[] = []): string {
  const result = spawnSync(process.execPath, [CLI, "init", "--dev", "--dir", dir, "--http-port", "0", ...extra], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`chain-node init failed (${result.status}): ${result.stderr}${result.stdout}`);
  return join(dir, "config.json");
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** `chain-node run --config <file>`, ready once it logs the URL it serves on (pino JSON lines on stdout). */
export class NodeProcess {
  readonly child: ChildProcess;
  readonly output: string[] = [];
  readonly exited: Promise<Exit>;
  readonly startedAt: number;
  url = "";
  wsUrl = "";
  /** Milliseconds from spawning the process to its "serving" log line. */
  startupMs = 0;
  #exit: Exit | undefined;

  private constructor(configFile: string) {
    this.startedAt = performance.now();
    this.child = spawn(process.execPath, [CLI, "run", "--config", configFile], { stdio: ["ignore", "pipe", "pipe"] });
    this.exited = new Promise((resolve) => {
      this.child.once("exit", (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
    });
    live.add(this);
    void this.exited.then(() => live.delete(this));
  }

  static async start(configFile: string, timeoutMs = 30_000): Promise<NodeProcess> {
    const node = new NodeProcess(configFile);
    await node.#ready(timeoutMs);
    return node;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  #ready(timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let buffered = "";
      const timer = setTimeout(() => fail(new Error(`node not serving after ${timeoutMs} ms`)), timeoutMs);
      const fail = (error: Error) => {
        clearTimeout(timer);
        this.child.kill("SIGKILL");
        reject(new Error(`${error.message}\n--- node output ---\n${this.output.join("")}`));
      };
      this.child.stderr!.on("data", (chunk: Buffer) => this.output.push(chunk.toString("utf8")));
      this.child.stdout!.on("data", (chunk: Buffer) => {
        const text = chunk.toString("utf8");
        this.output.push(text);
        if (this.url !== "") return;
        buffered += text;
        let newline: number;
        while ((newline = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          let entry: { msg?: string; url?: string };
          try {
            entry = JSON.parse(line) as typeof entry;
          } catch {
            continue;
          }
          // The server listens only once the chain is open: its first URL line means the node serves.
          if (typeof entry.url === "string" && entry.url.startsWith("http://")) {
            this.url = entry.url;
            this.wsUrl = entry.url.replace(/^http/, "ws");
            this.startupMs = performance.now() - this.startedAt;
            clearTimeout(timer);
            resolve();
            return;
          }
        }
      });
      void this.exited.then((exit) => {
        if (this.url === "") fail(new Error(`node exited before serving (code ${exit.code}, signal ${exit.signal})`));
      });
    });
  }

  /** Sends `signal` and waits for the process to end. */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 20_000): Promise<Exit> {
    if (this.#exit !== undefined) return this.#exit;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

const live = new Set<NodeProcess>();

/** For `after` hooks: kills (SIGKILL) every node process still running, closes in-process nodes, removes the temporary directories. */
export async function cleanup(): Promise<void> {
  await Promise.all([...live].map((node) => node.stop("SIGKILL")));
  await Promise.all([...inProcess].map((node) => node.close()));
  await removeTempDirs();
}

// JSON-RPC -------------------------------------------------------------------------------------------

export class RpcFailure extends Error {
  readonly code: number;
  readonly data: unknown;
  constructor(code: number, message: string, data: unknown) {
    super(`${message} (code ${code})`);
    this.name = "RpcFailure";
    this.code = code;
    this.data = data;
  }
}

export interface RpcResponse {
  jsonrpc: string;
  id: unknown;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

/** POSTs `body` (a string is sent as is) and returns the HTTP status and the parsed JSON (or undefined). */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown; text: string }> {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const text = await response.text();
  let json: unknown;
  try {
    json = text === "" ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
}

let nextId = 1;

/** One JSON-RPC call; an error response throws RpcFailure. */
export async function rpc<T = unknown>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const { status, json, text } = await post(url, { jsonrpc: "2.0", id: nextId++, method, params });
  const response = json as RpcResponse | undefined;
  if (response === undefined) throw new Error(`HTTP ${status}: ${text}`);
  if (response.error !== undefined) throw new RpcFailure(response.error.code, response.error.message, response.error.data);
  return response.result as T;
}

/** One JSON-RPC call; resolves to the error object (fails if the call succeeded). */
export async function rpcError(url: string, method: string, params: unknown[] = []): Promise<{ code: number; message: string; data?: unknown }> {
  const { json } = await post(url, { jsonrpc: "2.0", id: nextId++, method, params });
  const response = json as RpcResponse;
  if (response.error === undefined) throw new Error(`${method} succeeded (${JSON.stringify(response.result)}) where an error was expected`);
  return response.error;
}

/** A JSON-RPC batch; responses are returned in request order (matched by id). */
export async function rpcBatch(url: string, calls: Array<{ method: string; params: unknown[] }>): Promise<RpcResponse[]> {
  const first = nextId;
  nextId += calls.length;
  const { json, status, text } = await post(
    url,
    calls.map((call, i) => ({ jsonrpc: "2.0", id: first + i, ...call })),
  );
  if (!Array.isArray(json)) throw new Error(`batch: HTTP ${status}: ${text}`);
  const byId = new Map((json as RpcResponse[]).map((response) => [response.id, response]));
  return calls.map((_, i) => {
    const response = byId.get(first + i);
    if (response === undefined) throw new Error(`batch: no response for call ${i}`);
    return response;
  });
}

/** The value of one Prometheus counter line of the node's /metrics (0 if absent). */
export async function metric(url: string, series: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** Successful eth_subscribe calls the node has answered (a subscription exists once this counts it). */
export const subscribeCount = (url: string): Promise<number> => metric(url, 'chain_node_rpc_requests_total{method="eth_subscribe",outcome="ok"}');

// Polling --------------------------------------------------------------------------------------------

/** Polls `probe` until it returns something other than undefined/false; fails after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 15_000, intervalMs = 10): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface Receipt {
  transactionHash: string;
  blockNumber: string;
  blockHash: string;
  transactionIndex: string;
  status: string;
  gasUsed: string;
  cumulativeGasUsed: string;
  logs: Array<{ address: string; topics: string[]; data: string; logIndex: string; blockHash: string; transactionHash: string }>;
  contractAddress: string | null;
  type: string;
  logsBloom: string;
  from: string;
  to: string | null;
  effectiveGasPrice: string;
}

export function waitForReceipt(url: string, hash: string, timeoutMs = 15_000): Promise<Receipt> {
  return waitFor(async () => (await rpc<Receipt | null>(url, "eth_getTransactionReceipt", [hash])) ?? undefined, `the receipt of ${hash}`, timeoutMs);
}

/** Sends a raw transaction and waits for its receipt. */
export async function sendAndWait(url: string, raw: string): Promise<Receipt> {
  const hash = await rpc<string>(url, "eth_sendRawTransaction", [raw]);
  return waitForReceipt(url, hash);
}

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence. */
export { prng } from "../../test/helpers/prng.ts";

// A tiny EVM assembler --------------------------------------------------------------------------------

const OPCODES: Record<string, number> = {
  STOP: 0x00,
  EQ: 0x14,
  ISZERO: 0x15,
  SHL: 0x1b,
  SHR: 0x1c,
  CALLER: 0x33,
  CALLDATALOAD: 0x35,
  CODECOPY: 0x39,
  MSTORE: 0x52,
  SLOAD: 0x54,
  SSTORE: 0x55,
  JUMPI: 0x57,
  JUMPDEST: 0x5b,
  DUP1: 0x80,
  LOG2: 0xa2,
  RETURN: 0xf3,
  REVERT: 0xfd,
};

/** An opcode by name, `["PUSH", hex]` (PUSHn of the value's byte length), `["@", label]` (a JUMPDEST), `[">", label]` (PUSH2 of a label's offset). */
export type Asm = string | ["PUSH", string] | ["@", string] | [">", string];

/** Assembles to 0x hex; labels resolve to byte offsets (PUSH2). */
export function assemble(program: Asm[]): string {
  const bytes: number[] = [];
  const labels = new Map<string, number>();
  const fixups: Array<{ at: number; label: string }> = [];
  for (const item of program) {
    if (typeof item === "string") {
      const op = OPCODES[item];
      if (op === undefined) throw new Error(`unknown opcode ${item}`);
      bytes.push(op);
    } else if (item[0] === "PUSH") {
      const hex = item[1].replace(/^0x/, "");
      const value = Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex");
      if (value.length < 1 || value.length > 32) throw new Error(`cannot push ${item[1]}`);
      bytes.push(0x5f + value.length, ...value);
    } else if (item[0] === "@") {
      labels.set(item[1], bytes.length);
      bytes.push(OPCODES.JUMPDEST!);
    } else {
      bytes.push(0x61, 0, 0); // PUSH2, patched below
      fixups.push({ at: bytes.length - 2, label: item[1] });
    }
  }
  for (const { at, label } of fixups) {
    const offset = labels.get(label);
    if (offset === undefined) throw new Error(`undefined label ${label}`);
    bytes[at] = offset >> 8;
    bytes[at + 1] = offset & 0xff;
  }
  return `0x${Buffer.from(bytes).toString("hex")}`;
}

/**
 * Creation code that returns `runtime` as the contract's code:
 *   PUSH2 len DUP1 PUSH2 13 PUSH1 0 CODECOPY   ; memory[0..len] = code[13..13+len]
 *   PUSH1 0 RETURN                              ; return memory[0..len]
 *   <runtime>                                   ; starts at byte 13
 */
export function creationCode(runtime: string): string {
  const length = (runtime.length - 2) / 2;
  const len = length.toString(16).padStart(4, "0");
  return `0x61${len}8061000d6000396000f3${runtime.slice(2)}`;
}

export const selector = (signature: string): string => keccakId(signature).slice(0, 10);
const pad32 = (hex: string): string => hex.replace(/^0x/, "").padStart(64, "0");

/**
 * "Store": one uint256 in slot 0, an event on every write, and a function that reverts with a custom error.
 *
 *   function set(uint256 v)            slot0 = v; emit Stored(msg.sender, v)
 *   function get() view returns (uint256)
 *   function fail(uint256 x)            revert Nope(x)
 *   event Stored(address indexed by, uint256 value)
 *   error Nope(uint256 code)
 *   anything else                       revert()
 */
export const STORE_ABI = [
  "function set(uint256 v)",
  "function get() view returns (uint256)",
  "function fail(uint256 x)",
  "event Stored(address indexed by, uint256 value)",
  "error Nope(uint256 code)",
] as const;

export const STORED_TOPIC = keccakId("Stored(address,uint256)");

export const STORE_RUNTIME = assemble([
  // Dispatch on the selector: calldata[0..4].
  ["PUSH", "0x00"], "CALLDATALOAD", ["PUSH", "0xe0"], "SHR",
  "DUP1", ["PUSH", selector("set(uint256)")], "EQ", [">", "set"], "JUMPI",
  "DUP1", ["PUSH", selector("get()")], "EQ", [">", "get"], "JUMPI",
  "DUP1", ["PUSH", selector("fail(uint256)")], "EQ", [">", "fail"], "JUMPI",
  ["PUSH", "0x00"], "DUP1", "REVERT", // unknown selector: revert()
  // set(v): sstore(0, v); mstore(0, v); log2(0, 32, Stored, caller)
  ["@", "set"],
  ["PUSH", "0x04"], "CALLDATALOAD", "DUP1", ["PUSH", "0x00"], "SSTORE",
  ["PUSH", "0x00"], "MSTORE",
  "CALLER", ["PUSH", STORED_TOPIC], ["PUSH", "0x20"], ["PUSH", "0x00"], "LOG2",
  "STOP",
  // get(): mstore(0, sload(0)); return(0, 32)
  ["@", "get"],
  ["PUSH", "0x00"], "SLOAD", ["PUSH", "0x00"], "MSTORE", ["PUSH", "0x20"], ["PUSH", "0x00"], "RETURN",
  // fail(x): mstore(0, Nope selector << 224); mstore(4, x); revert(0, 36)
  ["@", "fail"],
  ["PUSH", selector("Nope(uint256)")], ["PUSH", "0xe0"], "SHL", ["PUSH", "0x00"], "MSTORE",
  ["PUSH", "0x04"], "CALLDATALOAD", ["PUSH", "0x04"], "MSTORE",
  ["PUSH", "0x24"], ["PUSH", "0x00"], "REVERT",
]);
export const STORE_BYTECODE = creationCode(STORE_RUNTIME);

export const storeCall = {
  set: (v: bigint | number): string => `${selector("set(uint256)")}${pad32(BigInt(v).toString(16))}`,
  get: (): string => selector("get()"),
  fail: (x: bigint | number): string => `${selector("fail(uint256)")}${pad32(BigInt(x).toString(16))}`,
};

/**
 * "Registry": an allowlist for `permissioning.registry`, one storage slot per account (slot = address).
 *
 *   function isAllowedAccount(address a) view returns (bool)   sload(a) != 0
 *   function setAllowed(address a, bool on)                      sstore(a, on) (no access control: tests only)
 */
export const REGISTRY_RUNTIME = assemble([
  ["PUSH", "0x00"], "CALLDATALOAD", ["PUSH", "0xe0"], "SHR",
  "DUP1", ["PUSH", selector("isAllowedAccount(address)")], "EQ", [">", "is"], "JUMPI",
  "DUP1", ["PUSH", selector("setAllowed(address,bool)")], "EQ", [">", "set"], "JUMPI",
  ["PUSH", "0x00"], "DUP1", "REVERT",
  // isAllowedAccount(a): mstore(0, iszero(iszero(sload(a)))); return(0, 32)
  ["@", "is"],
  ["PUSH", "0x04"], "CALLDATALOAD", "SLOAD", "ISZERO", "ISZERO", ["PUSH", "0x00"], "MSTORE", ["PUSH", "0x20"], ["PUSH", "0x00"], "RETURN",
  // setAllowed(a, on): sstore(a, on)
  ["@", "set"],
  ["PUSH", "0x24"], "CALLDATALOAD", ["PUSH", "0x04"], "CALLDATALOAD", "SSTORE", "STOP",
]);

export const registryCall = {
  isAllowedAccount: (account: string): string => `${selector("isAllowedAccount(address)")}${pad32(account)}`,
  setAllowed: (account: string, on: boolean): string => `${selector("setAllowed(address,bool)")}${pad32(account)}${pad32(on ? "1" : "0")}`,
};

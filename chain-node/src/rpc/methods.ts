// The eth_*, net_*, web3_* methods (and, in development mode, the evm_* / hardhat_* controls that
// Hardhat's test helpers use), over the Chain.
import { Account, Address } from "@ethereumjs/util";
import { z } from "zod";
import type { Chain } from "../chain.ts";
import { bytesToBigInt, decodeHeader, fromHex, keccak256 as keccak, quantity, toHex, type Header } from "../codec.ts";
import type { StoredBlock } from "../db.ts";
import { EMPTY_CODE_HASH } from "../state.ts";
import { RpcCode, RpcError, invalidParams } from "./errors.ts";
import { parseLogFilter } from "./filters.ts";
import { formatBlock, formatLog, formatReceipt, formatTx } from "./format.ts";
import type { LogFilter, RpcBackend, RpcLog } from "./types.ts";

export const CLIENT_NAME = "health-chain-node";
export const CLIENT_VERSION = "0.1.0";

export interface MethodOptions {
  maxLogs: number;
  maxBlockRange: number;
  gasCap: number;
}

type Handler = (params: unknown[]) => unknown;

const HEX_DATA = /^0x([0-9a-fA-F]{2})*$/;
const HEX_QUANTITY = /^0x(0|[1-9a-fA-F][0-9a-fA-F]*)$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const HASH = /^0x[0-9a-fA-F]{64}$/;
/** How long a development node with automine holds a send's answer for its block at most. */
const AUTOMINE_SETTLE_MS = 30_000;

function data(value: unknown, name: string): Uint8Array {
  if (typeof value !== "string" || !HEX_DATA.test(value)) throw invalidParams(`invalid argument ${name}: hex string expected, with an even number of digits and 0x prefix`);
  return fromHex(value);
}

function address(value: unknown, name: string): Uint8Array {
  if (typeof value !== "string" || !ADDRESS.test(value)) throw invalidParams(`invalid argument ${name}: hex string of 20 bytes (0x + 40 hex digits) expected`);
  return fromHex(value);
}

function hash(value: unknown, name: string): Uint8Array {
  if (typeof value !== "string" || !HASH.test(value)) throw invalidParams(`invalid argument ${name}: hex string of 32 bytes (0x + 64 hex digits) expected`);
  return fromHex(value);
}

function qty(value: unknown, name: string): bigint {
  if (typeof value !== "string" || !HEX_QUANTITY.test(value)) throw invalidParams(`invalid argument ${name}: hex quantity without leading zeros expected (e.g. 0x1a)`);
  return BigInt(value);
}

function bool(value: unknown, name: string): boolean {
  if (typeof value !== "boolean") throw invalidParams(`invalid argument ${name}: boolean expected`);
  return value;
}

const quantitySchema = z.string().regex(HEX_QUANTITY, "hex quantity without leading zeros expected");
const callSchema = z.looseObject({
  from: z.string().regex(ADDRESS, "20-byte address expected").optional(),
  to: z.string().regex(ADDRESS, "20-byte address expected").nullable().optional(),
  gas: quantitySchema.optional(),
  gasPrice: quantitySchema.optional(),
  maxFeePerGas: quantitySchema.optional(),
  maxPriorityFeePerGas: quantitySchema.optional(),
  value: quantitySchema.optional(),
  data: z.string().regex(HEX_DATA, "hex bytes expected").optional(),
  input: z.string().regex(HEX_DATA, "hex bytes expected").optional(),
  nonce: quantitySchema.optional(),
  accessList: z.array(z.object({ address: z.string().regex(ADDRESS), storageKeys: z.array(z.string().regex(HASH)) })).optional(),
});

interface ParsedCall {
  from?: Uint8Array;
  to?: Uint8Array;
  gas?: bigint;
  value: bigint;
  data: Uint8Array;
  accessList: Array<{ address: string; storageKeys: string[] }>;
}

function parseCall(value: unknown): ParsedCall {
  const parsed = callSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalidParams(`invalid argument 0: ${issue.path.join(".") || "transaction"}: ${issue.message}`);
  }
  const call = parsed.data;
  if (call.data !== undefined && call.input !== undefined && call.data.toLowerCase() !== call.input.toLowerCase()) {
    throw invalidParams('both "data" and "input" are set and not equal. Please use "input" to pass transaction call data');
  }
  const input = call.input ?? call.data ?? "0x";
  return {
    from: call.from === undefined ? undefined : fromHex(call.from),
    to: call.to === undefined || call.to === null ? undefined : fromHex(call.to),
    gas: call.gas === undefined ? undefined : BigInt(call.gas),
    value: call.value === undefined ? 0n : BigInt(call.value),
    data: fromHex(input),
    accessList: call.accessList ?? [],
  };
}

/** The message geth gives a reverted call: with the reason when the data is Error(string). */
function revertMessage(returnValue: Uint8Array): string {
  if (returnValue.length >= 68 && toHex(returnValue.subarray(0, 4)) === "0x08c379a0") {
    try {
      const length = Number(bytesToBigInt(returnValue.subarray(36, 68)));
      const reason = new TextDecoder("utf-8", { fatal: true }).decode(returnValue.subarray(68, 68 + length));
      return `execution reverted: ${reason}`;
    } catch {
      // Not a well-formed reason: the plain message.
    }
  }
  return "execution reverted";
}

function intrinsicGas(call: ParsedCall): bigint {
  let gas = 21_000n;
  for (const byte of call.data) gas += byte === 0 ? 4n : 16n;
  if (call.to === undefined) gas += 32_000n + 2n * BigInt(Math.ceil(call.data.length / 32));
  for (const entry of call.accessList) gas += 2_400n + 1_900n * BigInt(entry.storageKeys.length);
  return gas;
}

/** The methods, their names (for metrics labels), and eth_getLogs for the filter machinery. */
export interface Methods extends RpcBackend {
  methods: Set<string>;
  getLogs(filter: LogFilter): Promise<RpcLog[]>;
}

export function createMethods(chain: Chain, options: MethodOptions): Methods {
  const db = chain.db;
  const dev = chain.options.dev;

  /** Block number of a block tag / number / EIP-1898 object for state queries. */
  function stateBlock(value: unknown, name = "block"): number {
    if (value === undefined || value === null) return chain.head.number;
    if (typeof value === "object") {
      const ref = value as { blockNumber?: unknown; blockHash?: unknown };
      if (ref.blockHash !== undefined) {
        const block = db.blockByHash(hash(ref.blockHash, `${name}.blockHash`));
        if (block === undefined) throw new RpcError(RpcCode.SERVER_ERROR, `header for hash ${String(ref.blockHash)} not found`);
        return block.number;
      }
      if (ref.blockNumber !== undefined) return stateBlock(ref.blockNumber, `${name}.blockNumber`);
      throw invalidParams(`invalid argument ${name}: block number, tag, or {blockNumber|blockHash} expected`);
    }
    const number = blockNumberOf(value, name);
    if (number > chain.head.number) throw new RpcError(RpcCode.SERVER_ERROR, "header not found");
    return number;
  }

  /** A tag or number, possibly beyond the head (callers decide what that means). */
  function blockNumberOf(value: unknown, name: string): number {
    switch (value) {
      case "latest":
      case "pending":
      case "safe":
      case "finalized":
        // One validator, instant finality: the head is final as soon as it is sealed.
        return chain.head.number;
      case "earliest":
        return 0;
      default: {
        const number = qty(value, name);
        return number > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(number);
      }
    }
  }

  function headerOf(block: StoredBlock): Header {
    return block.number === chain.head.number ? chain.head.header : decodeHeader(block.header);
  }

  function blockResult(block: StoredBlock | undefined, full: boolean): unknown {
    if (block === undefined) return null;
    const header = headerOf(block);
    const txs = db.txsOfBlock(block.number);
    const transactions = full
      ? txs.map((tx) => formatTx(tx.hash, tx.sender, tx.raw, { blockHash: block.hash, blockNumber: block.number, index: tx.idx, baseFee: header.baseFeePerGas }))
      : txs.map((tx) => toHex(tx.hash));
    return formatBlock(block, header, transactions);
  }

  function txResult(txHash: Uint8Array): unknown {
    const stored = db.txByHash(txHash);
    if (stored !== undefined) {
      const block = db.blockByNumber(stored.block)!;
      return formatTx(stored.hash, stored.sender, stored.raw, { blockHash: block.hash, blockNumber: block.number, index: stored.idx, baseFee: headerOf(block).baseFeePerGas });
    }
    const pooled = chain.pool.get(toHex(txHash));
    return pooled === undefined ? null : formatTx(pooled.hash, pooled.sender, pooled.raw, null);
  }

  function receiptResult(txHash: Uint8Array): unknown {
    const stored = db.txByHash(txHash);
    if (stored === undefined) return null;
    const receipt = db.receipt(stored.block, stored.idx);
    const block = db.blockByNumber(stored.block);
    if (receipt === undefined || block === undefined) return null;
    return formatReceipt(stored, receipt, db.logsOfReceipt(receipt), block.hash, headerOf(block));
  }

  function getLogs(filter: LogFilter): RpcLog[] {
    let from: number;
    let to: number;
    if (filter.blockHash !== undefined) {
      const block = db.blockByHash(fromHex(filter.blockHash));
      if (block === undefined) throw new RpcError(RpcCode.SERVER_ERROR, "unknown block");
      from = to = block.number;
    } else {
      from = typeof filter.fromBlock === "bigint" ? Number(filter.fromBlock) : blockNumberOf(filter.fromBlock, "fromBlock");
      to = typeof filter.toBlock === "bigint" ? Number(filter.toBlock) : blockNumberOf(filter.toBlock, "toBlock");
      if (to > chain.head.number) to = chain.head.number;
      if (from > to) {
        if (typeof filter.fromBlock === "bigint" && filter.fromBlock > BigInt(chain.head.number)) return [];
        throw invalidParams("invalid block range params");
      }
      if (to - from + 1 > options.maxBlockRange) throw new RpcError(RpcCode.LIMIT_EXCEEDED, `query exceeds max block range ${options.maxBlockRange}`);
    }
    const rows = db.queryLogs({
      from,
      to,
      addresses: filter.addresses === null ? null : filter.addresses.map(fromHex),
      topics: filter.topics.map((position) => (position === null ? null : position.map(fromHex))),
      limit: options.maxLogs,
    });
    if (rows.length > options.maxLogs) throw new RpcError(RpcCode.LIMIT_EXCEEDED, `query returned more than ${options.maxLogs} results`);
    const blocks = new Map<number, { hash: Uint8Array; timestamp: bigint; txHashes: Map<number, Uint8Array> }>();
    return rows.map((log) => {
      let block = blocks.get(log.block);
      if (block === undefined) {
        const stored = db.blockByNumber(log.block)!;
        block = { hash: stored.hash, timestamp: headerOf(stored).timestamp, txHashes: new Map() };
        blocks.set(log.block, block);
      }
      let txHash = block.txHashes.get(log.txIdx);
      if (txHash === undefined) {
        txHash = db.txByPosition(log.block, log.txIdx)!.hash;
        block.txHashes.set(log.txIdx, txHash);
      }
      return formatLog(log, block.hash, block.timestamp, txHash);
    });
  }

  /** eth_call and eth_estimateGas: "pending" runs in the next block's context. */
  function callBlock(value: unknown, fallback: "latest" | "pending"): number | "pending" {
    const tag = value ?? fallback;
    return tag === "pending" ? "pending" : stateBlock(tag);
  }

  async function call(params: unknown[]): Promise<string> {
    const request = parseCall(params[0]);
    const at = callBlock(params[1], "latest");
    const gas = request.gas !== undefined && request.gas < BigInt(options.gasCap) ? request.gas : BigInt(options.gasCap);
    const intrinsic = intrinsicGas(request);
    if (request.gas !== undefined && request.gas < intrinsic) throw new RpcError(RpcCode.SERVER_ERROR, `intrinsic gas too low: have ${request.gas}, want ${intrinsic}`);
    const result = await chain.call({ ...request, gas: gas - (request.gas !== undefined ? intrinsic : 0n) }, at);
    if (result.ok) return toHex(result.returnValue);
    if (result.error === "revert") throw new RpcError(RpcCode.EXECUTION_REVERTED, revertMessage(result.returnValue), toHex(result.returnValue));
    throw new RpcError(RpcCode.SERVER_ERROR, result.error ?? "execution failed");
  }

  // Without a block, estimates where the transaction will run: the next block (as Hardhat and
  // Besu do), so that a contract reading block.timestamp is estimated against the right time.
  async function estimateGas(params: unknown[]): Promise<string> {
    const request = parseCall(params[0]);
    const at = callBlock(params[1], "pending");
    const intrinsic = intrinsicGas(request);
    const cap = request.gas !== undefined && request.gas < BigInt(options.gasCap) ? request.gas : BigInt(options.gasCap);
    if (cap < intrinsic) throw new RpcError(RpcCode.SERVER_ERROR, `gas required exceeds allowance (${cap})`);
    const tryGas = async (total: bigint) => chain.call({ ...request, gas: total - intrinsic }, at);
    const first = await tryGas(cap);
    if (!first.ok) {
      if (first.error === "revert") throw new RpcError(RpcCode.EXECUTION_REVERTED, revertMessage(first.returnValue), toHex(first.returnValue));
      throw new RpcError(RpcCode.SERVER_ERROR, first.error === "out of gas" ? `gas required exceeds allowance (${cap})` : (first.error ?? "execution failed"));
    }
    // Binary search for the least gas limit that succeeds (geth's method, to within 1.5 %), starting
    // from what the call used: the 63/64 rule can make the limit exceed the gas used.
    let lo = intrinsic + first.gasUsed - 1n;
    let hi = cap;
    const optimistic = intrinsic + ((first.gasUsed + 2_300n) * 64n) / 63n;
    if (optimistic < hi && (await tryGas(optimistic)).ok) hi = optimistic;
    while (hi - lo > 1n && (hi - lo) * 1000n > hi * 15n) {
      const mid = (lo + hi) / 2n;
      if ((await tryGas(mid)).ok) hi = mid;
      else lo = mid;
    }
    return quantity(hi);
  }

  const handlers: Record<string, Handler> = {
    web3_clientVersion: () => (dev ? `HardhatNetwork-compatible/${CLIENT_NAME}/v${CLIENT_VERSION}` : `${CLIENT_NAME}/v${CLIENT_VERSION}/${process.platform}-${process.arch}/node${process.version}`),
    web3_sha3: (p) => toHex(keccak(data(p[0], "0"))),
    net_version: () => chain.chainId.toString(),
    net_listening: () => true,
    net_peerCount: () => "0x0",
    eth_chainId: () => quantity(chain.chainId),
    eth_syncing: () => false,
    eth_mining: () => true,
    eth_hashrate: () => "0x0",
    eth_coinbase: () => toHex(chain.validator),
    eth_accounts: () => [],
    eth_blockNumber: () => quantity(chain.head.number),
    eth_gasPrice: () => "0x0",
    eth_maxPriorityFeePerGas: () => "0x0",
    eth_blobBaseFee: () => {
      throw new RpcError(RpcCode.METHOD_NOT_FOUND, "the method eth_blobBaseFee does not exist/is not available");
    },
    eth_feeHistory: (p) => {
      const count = Math.min(1024, Number(typeof p[0] === "number" ? BigInt(p[0]) : qty(p[0], "blockCount")));
      const newest = Math.min(blockNumberOf(p[1], "newestBlock"), chain.head.number);
      // As geth: ascending percentiles between 0 and 100; at most 100 of them (the answer is
      // blocks x percentiles, so an unbounded list would let a small request build a huge answer).
      const percentiles =
        p[2] === undefined || p[2] === null
          ? undefined
          : z
              .array(z.number().min(0).max(100))
              .max(100)
              .refine((list) => list.every((value, i) => i === 0 || value > list[i - 1]!))
              .safeParse(p[2]);
      if (percentiles !== undefined && !percentiles.success) throw invalidParams("invalid argument 2: rewardPercentiles must be at most 100 ascending numbers between 0 and 100");
      const oldest = Math.max(0, newest - count + 1);
      const ratios: number[] = [];
      for (let n = oldest; n <= newest; n++) {
        const header = headerOf(db.blockByNumber(n)!);
        ratios.push(header.gasLimit === 0n ? 0 : Number(header.gasUsed) / Number(header.gasLimit));
      }
      const result: Record<string, unknown> = { oldestBlock: quantity(oldest), baseFeePerGas: Array.from({ length: ratios.length + 1 }, () => "0x0"), gasUsedRatio: ratios };
      if (percentiles?.success) result.reward = ratios.map(() => percentiles.data.map(() => "0x0"));
      return result;
    },
    eth_getBalance: (p) => {
      const who = address(p[0], "0");
      const account = chain.stateAt(stateBlock(p[1])).account(who, toHex(who));
      return quantity(account === undefined || account.deleted ? 0n : account.balance);
    },
    eth_getTransactionCount: async (p) => {
      const who = address(p[0], "0");
      if (p[1] === "pending") {
        // Right after a restart the journaled pool is still coming back: wait for it.
        await chain.restoring;
        return quantity(chain.pendingNonce(who));
      }
      return quantity(chain.nonceAt(who, chain.stateAt(stateBlock(p[1]))));
    },
    eth_getCode: (p) => {
      const who = address(p[0], "0");
      const reader = chain.stateAt(stateBlock(p[1]));
      const account = reader.account(who, toHex(who));
      if (account === undefined || account.deleted) return "0x";
      return toHex(reader.code(account.codeHash) ?? new Uint8Array(0));
    },
    eth_getStorageAt: (p) => {
      const who = address(p[0], "0");
      const position = qtyOrData(p[1], "1");
      const reader = chain.stateAt(stateBlock(p[2]));
      const account = reader.account(who, toHex(who));
      const value = account === undefined || account.deleted ? new Uint8Array(0) : reader.storage(who, position, toHex(who) + toHex(position), account.storageEpoch);
      const out = new Uint8Array(32);
      out.set(value, 32 - value.length);
      return toHex(out);
    },
    eth_getBlockByNumber: (p) => {
      const number = blockNumberOf(p[0], "0");
      return blockResult(number > chain.head.number ? undefined : db.blockByNumber(number), bool(p[1] ?? false, "1"));
    },
    eth_getBlockByHash: (p) => blockResult(db.blockByHash(hash(p[0], "0")), bool(p[1] ?? false, "1")),
    eth_getBlockTransactionCountByNumber: (p) => {
      const number = blockNumberOf(p[0], "0");
      const block = number > chain.head.number ? undefined : db.blockByNumber(number);
      return block === undefined ? null : quantity(block.txCount);
    },
    eth_getBlockTransactionCountByHash: (p) => {
      const block = db.blockByHash(hash(p[0], "0"));
      return block === undefined ? null : quantity(block.txCount);
    },
    eth_getUncleCountByBlockNumber: () => "0x0",
    eth_getUncleCountByBlockHash: () => "0x0",
    eth_getTransactionByHash: async (p) => {
      const txHash = hash(p[0], "0");
      await chain.restoring;
      return txResult(txHash);
    },
    eth_getTransactionByBlockNumberAndIndex: (p) => {
      const number = blockNumberOf(p[0], "0");
      const tx = db.txByPosition(number, Number(qty(p[1], "1")));
      return tx === undefined ? null : txResult(tx.hash);
    },
    eth_getTransactionByBlockHashAndIndex: (p) => {
      const block = db.blockByHash(hash(p[0], "0"));
      const tx = block === undefined ? undefined : db.txByPosition(block.number, Number(qty(p[1], "1")));
      return tx === undefined ? null : txResult(tx.hash);
    },
    eth_getTransactionReceipt: (p) => receiptResult(hash(p[0], "0")),
    eth_getBlockReceipts: (p) => {
      const number = typeof p[0] === "string" && HASH.test(p[0]) ? db.blockByHash(fromHex(p[0]))?.number : blockNumberOf(p[0], "0");
      if (number === undefined || number > chain.head.number) return null;
      return db.txsOfBlock(number).map((tx) => receiptResult(tx.hash));
    },
    eth_getLogs: (p) => getLogs(parseLogFilter(p[0])),
    eth_call: call,
    eth_estimateGas: estimateGas,
    eth_sendRawTransaction: async (p) => {
      const hash = await chain.submitRawTransaction(data(p[0], "0"));
      // Development mode with automine (hardhat_getAutomine true): answer once the transaction is in a block.
      if (dev && chain.options.blockTime === 0) await chain.settled(hash, AUTOMINE_SETTLE_MS);
      return hash;
    },
    eth_sendTransaction: () => {
      throw new RpcError(RpcCode.METHOD_NOT_FOUND, "the node holds no account keys: sign the transaction and use eth_sendRawTransaction");
    },
  };

  if (dev) {
    const editAccount = async (who: Uint8Array, change: (account: Account) => void) => {
      await chain.editState(async (state) => {
        const target = new Address(who);
        const account = (await state.getAccount(target)) ?? new Account();
        change(account);
        await state.putAccount(target, account);
      });
    };
    Object.assign(handlers, {
      evm_snapshot: () => quantity(chain.snapshot()),
      evm_revert: (p: unknown[]) => chain.revertTo(Number(qty(p[0], "0"))),
      evm_increaseTime: (p: unknown[]) => {
        const seconds = typeof p[0] === "number" ? BigInt(p[0]) : qty(p[0], "0");
        return String(chain.increaseTime(seconds));
      },
      evm_setNextBlockTimestamp: (p: unknown[]) => {
        chain.setNextBlockTimestamp(typeof p[0] === "number" ? BigInt(p[0]) : qty(p[0], "0"));
        return null;
      },
      evm_mine: async (p: unknown[]) => {
        const timestamp = p[0] === undefined ? undefined : typeof p[0] === "number" ? BigInt(p[0]) : qty(p[0], "0");
        await chain.mine(1, 1n, timestamp);
        return "0x0";
      },
      hardhat_mine: async (p: unknown[]) => {
        const count = p[0] === undefined ? 1n : qty(p[0], "0");
        if (count > 100_000n) throw invalidParams("hardhat_mine: at most 100000 blocks at once");
        await chain.mine(Number(count), p[1] === undefined ? 1n : qty(p[1], "1"));
        return true;
      },
      hardhat_getAutomine: () => chain.options.blockTime === 0,
      hardhat_setCode: async (p: unknown[]) => {
        const who = address(p[0], "0");
        const code = data(p[1], "1");
        await chain.editState(async (state) => state.putCode(new Address(who), code));
        return true;
      },
      hardhat_setBalance: async (p: unknown[]) => {
        const balance = qty(p[1], "1");
        await editAccount(address(p[0], "0"), (account) => (account.balance = balance));
        return true;
      },
      hardhat_setNonce: async (p: unknown[]) => {
        const nonce = qty(p[1], "1");
        await editAccount(address(p[0], "0"), (account) => (account.nonce = nonce));
        return true;
      },
      hardhat_setStorageAt: async (p: unknown[]) => {
        const who = address(p[0], "0");
        const slot = qtyOrData(p[1], "1");
        const value = data(p[2], "2");
        if (value.length !== 32) throw invalidParams("invalid argument 2: storage value must be 32 bytes");
        await chain.editState(async (state) => {
          const target = new Address(who);
          if ((await state.getAccount(target)) === undefined) await state.putAccount(target, new Account(0n, 0n, undefined, EMPTY_CODE_HASH));
          await state.putStorage(target, slot, value);
        });
        return true;
      },
    } satisfies Record<string, Handler>);
  }

  const methods = new Set(Object.keys(handlers));
  return {
    methods,
    async dispatch(method: string, params: unknown): Promise<unknown> {
      const handler = Object.hasOwn(handlers, method) ? handlers[method] : undefined;
      if (handler === undefined) throw new RpcError(RpcCode.METHOD_NOT_FOUND, `the method ${method} does not exist/is not available`);
      if (params !== undefined && params !== null && !Array.isArray(params)) throw invalidParams("params must be an array");
      return handler((params as unknown[] | undefined) ?? []);
    },
    getLogs: async (filter: LogFilter) => getLogs(filter),
  };
}

/** A storage position: a quantity or 32 bytes of data, left-padded to 32 bytes. */
function qtyOrData(value: unknown, name: string): Uint8Array {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{1,64}$/.test(value)) throw invalidParams(`invalid argument ${name}: storage position as hex (at most 32 bytes) expected`);
  const bytes = fromHex(value);
  const out = new Uint8Array(32);
  out.set(bytes, 32 - bytes.length);
  return out;
}


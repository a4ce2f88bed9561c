// JSON-RPC result objects (the Ethereum execution API's shapes) from stored blocks, transactions,
// receipts and logs.
import { RLP } from "@ethereumjs/rlp";
import { bytesToBigInt, logsBloom, quantity, toHex, type Header } from "../codec.ts";
import type { StoredBlock, StoredLog, StoredReceipt, StoredTx } from "../db.ts";
import type { RpcLog } from "./types.ts";

/** The fields of a raw signed transaction that results need, decoded without building a tx object. */
export interface TxFields {
  type: number;
  chainId?: bigint;
  nonce: bigint;
  gasPrice?: bigint;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  gas: bigint;
  to: Uint8Array | null;
  value: bigint;
  input: Uint8Array;
  accessList?: Array<[Uint8Array, Uint8Array[]]>;
  v: bigint;
  r: bigint;
  s: bigint;
}

export function decodeTxFields(raw: Uint8Array): TxFields {
  const type = raw[0]! >= 0xc0 ? 0 : raw[0]!;
  const f = RLP.decode(type === 0 ? raw : raw.subarray(1)) as unknown as Array<Uint8Array & Array<Uint8Array>>;
  const n = (b: Uint8Array) => bytesToBigInt(b);
  const to = (b: Uint8Array) => (b.length === 0 ? null : b);
  const accessList = (list: unknown) => list as Array<[Uint8Array, Uint8Array[]]>;
  if (type === 0) {
    const v = n(f[6]!);
    return { type, chainId: v >= 35n ? (v - 35n) / 2n : undefined, nonce: n(f[0]!), gasPrice: n(f[1]!), gas: n(f[2]!), to: to(f[3]!), value: n(f[4]!), input: f[5]!, v, r: n(f[7]!), s: n(f[8]!) };
  }
  if (type === 1) {
    return { type, chainId: n(f[0]!), nonce: n(f[1]!), gasPrice: n(f[2]!), gas: n(f[3]!), to: to(f[4]!), value: n(f[5]!), input: f[6]!, accessList: accessList(f[7]), v: n(f[8]!), r: n(f[9]!), s: n(f[10]!) };
  }
  return {
    type,
    chainId: n(f[0]!),
    nonce: n(f[1]!),
    maxPriorityFeePerGas: n(f[2]!),
    maxFeePerGas: n(f[3]!),
    gas: n(f[4]!),
    to: to(f[5]!),
    value: n(f[6]!),
    input: f[7]!,
    accessList: accessList(f[8]),
    v: n(f[9]!),
    r: n(f[10]!),
    s: n(f[11]!),
  };
}

/** What a sender actually pays per gas: the base fee is always zero on this chain. */
export function effectiveGasPrice(fields: TxFields, baseFee: bigint): bigint {
  if (fields.type < 2) return fields.gasPrice!;
  const tip = fields.maxPriorityFeePerGas!;
  const cap = fields.maxFeePerGas!;
  return baseFee + tip < cap ? baseFee + tip : cap;
}

export function formatHeader(block: StoredBlock, header: Header): Record<string, unknown> {
  return {
    number: quantity(header.number),
    hash: toHex(block.hash),
    parentHash: toHex(header.parentHash),
    nonce: toHex(header.nonce),
    sha3Uncles: toHex(header.uncleHash),
    logsBloom: toHex(header.logsBloom),
    transactionsRoot: toHex(header.transactionsRoot),
    stateRoot: toHex(header.stateRoot),
    receiptsRoot: toHex(header.receiptsRoot),
    miner: toHex(header.coinbase),
    difficulty: "0x0",
    totalDifficulty: "0x0",
    extraData: toHex(header.extraData),
    size: quantity(block.size),
    gasLimit: quantity(header.gasLimit),
    gasUsed: quantity(header.gasUsed),
    timestamp: quantity(header.timestamp),
    mixHash: toHex(header.mixHash),
    baseFeePerGas: quantity(header.baseFeePerGas),
    withdrawalsRoot: toHex(header.withdrawalsRoot),
  };
}

export function formatBlock(block: StoredBlock, header: Header, transactions: unknown[]): Record<string, unknown> {
  return { ...formatHeader(block, header), transactions, uncles: [], withdrawals: [] };
}

interface TxLocation {
  blockHash: Uint8Array;
  blockNumber: number;
  index: number;
  baseFee: bigint;
}

export function formatTx(hash: Uint8Array, sender: Uint8Array, raw: Uint8Array, at: TxLocation | null): Record<string, unknown> {
  const f = decodeTxFields(raw);
  const out: Record<string, unknown> = {
    blockHash: at === null ? null : toHex(at.blockHash),
    blockNumber: at === null ? null : quantity(at.blockNumber),
    transactionIndex: at === null ? null : quantity(at.index),
    hash: toHex(hash),
    from: toHex(sender),
    to: f.to === null ? null : toHex(f.to),
    nonce: quantity(f.nonce),
    gas: quantity(f.gas),
    value: quantity(f.value),
    input: toHex(f.input),
    type: quantity(f.type),
    gasPrice: quantity(f.type < 2 ? f.gasPrice! : at === null ? f.maxFeePerGas! : effectiveGasPrice(f, at.baseFee)),
    v: quantity(f.v),
    r: quantity(f.r),
    s: quantity(f.s),
  };
  if (f.chainId !== undefined) out.chainId = quantity(f.chainId);
  if (f.type >= 1) {
    out.yParity = quantity(f.v);
    out.accessList = (f.accessList ?? []).map(([address, keys]) => ({ address: toHex(address), storageKeys: keys.map(toHex) }));
  }
  if (f.type === 2) {
    out.maxFeePerGas = quantity(f.maxFeePerGas!);
    out.maxPriorityFeePerGas = quantity(f.maxPriorityFeePerGas!);
  }
  return out;
}

export function formatLog(log: StoredLog, blockHash: Uint8Array, timestamp: bigint, txHash: Uint8Array): RpcLog {
  return {
    address: toHex(log.address),
    topics: log.topics.map(toHex),
    data: toHex(log.data),
    blockNumber: quantity(log.block),
    blockHash: toHex(blockHash),
    blockTimestamp: quantity(timestamp),
    transactionHash: toHex(txHash),
    transactionIndex: quantity(log.txIdx),
    logIndex: quantity(log.logIndex),
    removed: false,
  };
}

export function formatReceipt(tx: StoredTx, receipt: StoredReceipt, logs: StoredLog[], blockHash: Uint8Array, header: Header): Record<string, unknown> {
  const f = decodeTxFields(tx.raw);
  const entries = logs.map((log) => ({ address: log.address, topics: log.topics, data: log.data }));
  return {
    transactionHash: toHex(tx.hash),
    transactionIndex: quantity(tx.idx),
    blockHash: toHex(blockHash),
    blockNumber: quantity(tx.block),
    from: toHex(tx.sender),
    to: f.to === null ? null : toHex(f.to),
    cumulativeGasUsed: quantity(receipt.cumulativeGas),
    gasUsed: quantity(receipt.gasUsed),
    contractAddress: receipt.contract === null ? null : toHex(receipt.contract),
    logs: logs.map((log) => formatLog(log, blockHash, header.timestamp, tx.hash)),
    logsBloom: toHex(logsBloom(entries)),
    status: quantity(receipt.status),
    effectiveGasPrice: quantity(effectiveGasPrice(f, header.baseFeePerGas)),
    type: quantity(f.type),
  };
}


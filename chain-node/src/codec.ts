// Byte-level formats of the chain: hex quantities, block headers (the Shanghai header layout, RLP),
// typed receipts (EIP-2718), and the ordered Merkle-Patricia roots of a block's transactions and
// receipts, computed in one synchronous pass (the generic async trie costs ~125 µs per item here,
// which alone would halve the node's throughput).
import { RLP } from "@ethereumjs/rlp";
import { keccak_256 } from "@noble/hashes/sha3.js";

export const keccak256 = (data: Uint8Array): Uint8Array => keccak_256(data);

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function toHex(bytes: Uint8Array): string {
  let out = "0x";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
  return out;
}

/** 0x-prefixed hex (validated by the caller) to bytes. */
export function fromHex(hex: string): Uint8Array {
  const body = hex.startsWith("0x") || hex.startsWith("0X") ? hex.slice(2) : hex;
  return Uint8Array.from(Buffer.from(body.length % 2 === 1 ? `0${body}` : body, "hex"));
}

/** An Ethereum JSON-RPC quantity: 0x-hex without leading zeros. */
export const quantity = (value: bigint | number): string => `0x${value.toString(16)}`;

/** Big-endian minimal bytes of a non-negative integer (RLP's integer form; 0 is empty). */
export function intToBytes(value: bigint | number): Uint8Array {
  if (value === 0 || value === 0n) return new Uint8Array(0);
  const hex = value.toString(16);
  return fromHex(hex.length % 2 ? `0${hex}` : hex);
}

export function bytesToBigInt(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  return BigInt(toHex(bytes));
}

export const EMPTY_BYTES = new Uint8Array(0);
/** keccak256(rlp("")): the root of an empty trie. */
export const EMPTY_TRIE_ROOT = keccak256(RLP.encode(EMPTY_BYTES));
/** keccak256(rlp([])): the hash of an empty uncle list. */
export const EMPTY_UNCLES_HASH = keccak256(RLP.encode([]));
export const ZERO_HASH = new Uint8Array(32);
export const ZERO_ADDRESS = new Uint8Array(20);

/** Fields of a Shanghai block header, in RLP order. */
export interface Header {
  parentHash: Uint8Array;
  uncleHash: Uint8Array;
  coinbase: Uint8Array;
  stateRoot: Uint8Array;
  transactionsRoot: Uint8Array;
  receiptsRoot: Uint8Array;
  logsBloom: Uint8Array;
  difficulty: bigint;
  number: bigint;
  gasLimit: bigint;
  gasUsed: bigint;
  timestamp: bigint;
  extraData: Uint8Array;
  mixHash: Uint8Array;
  nonce: Uint8Array;
  baseFeePerGas: bigint;
  withdrawalsRoot: Uint8Array;
}

export function headerFields(header: Header): Uint8Array[] {
  return [
    header.parentHash,
    header.uncleHash,
    header.coinbase,
    header.stateRoot,
    header.transactionsRoot,
    header.receiptsRoot,
    header.logsBloom,
    intToBytes(header.difficulty),
    intToBytes(header.number),
    intToBytes(header.gasLimit),
    intToBytes(header.gasUsed),
    intToBytes(header.timestamp),
    header.extraData,
    header.mixHash,
    header.nonce,
    intToBytes(header.baseFeePerGas),
    header.withdrawalsRoot,
  ];
}

export const encodeHeader = (header: Header): Uint8Array => RLP.encode(headerFields(header));

export function decodeHeader(encoded: Uint8Array): Header {
  const f = RLP.decode(encoded) as Uint8Array[];
  if (!Array.isArray(f) || f.length !== 17) throw new Error("not a Shanghai block header");
  return {
    parentHash: f[0]!,
    uncleHash: f[1]!,
    coinbase: f[2]!,
    stateRoot: f[3]!,
    transactionsRoot: f[4]!,
    receiptsRoot: f[5]!,
    logsBloom: f[6]!,
    difficulty: bytesToBigInt(f[7]!),
    number: bytesToBigInt(f[8]!),
    gasLimit: bytesToBigInt(f[9]!),
    gasUsed: bytesToBigInt(f[10]!),
    timestamp: bytesToBigInt(f[11]!),
    extraData: f[12]!,
    mixHash: f[13]!,
    nonce: f[14]!,
    baseFeePerGas: bytesToBigInt(f[15]!),
    withdrawalsRoot: f[16]!,
  };
}

export interface LogEntry {
  address: Uint8Array;
  topics: Uint8Array[];
  data: Uint8Array;
}

export interface ReceiptData {
  type: number;
  status: 0 | 1;
  cumulativeGasUsed: bigint;
  logsBloom: Uint8Array;
  logs: LogEntry[];
}

/** The consensus encoding of a receipt (EIP-2718: type byte, then the RLP payload). */
export function encodeReceipt(receipt: ReceiptData): Uint8Array {
  const payload = RLP.encode([
    receipt.status === 1 ? Uint8Array.of(1) : EMPTY_BYTES,
    intToBytes(receipt.cumulativeGasUsed),
    receipt.logsBloom,
    receipt.logs.map((log) => [log.address, log.topics, log.data]),
  ]);
  if (receipt.type === 0) return payload;
  const typed = new Uint8Array(payload.length + 1);
  typed[0] = receipt.type;
  typed.set(payload, 1);
  return typed;
}

/** The 2048-bit log bloom of a set of logs (yellow paper, section 4.3.1). */
export function logsBloom(logs: readonly LogEntry[], into: Uint8Array = new Uint8Array(256)): Uint8Array {
  const add = (value: Uint8Array) => {
    const hash = keccak256(value);
    for (let i = 0; i < 6; i += 2) {
      const bit = ((hash[i]! << 8) | hash[i + 1]!) & 2047;
      into[255 - (bit >> 3)]! |= 1 << (bit & 7);
    }
  };
  for (const log of logs) {
    add(log.address);
    for (const topic of log.topics) add(topic);
  }
  return into;
}

// ---------------------------------------------------------------------------------------------
// Ordered trie roots: the Merkle-Patricia trie keyed by rlp(index), built bottom-up from the
// sorted keys in one pass, as go-ethereum's StackTrie does for DeriveSha.

type Node = Uint8Array | Node[];

function nibbles(key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length * 2);
  for (let i = 0; i < key.length; i++) {
    out[2 * i] = key[i]! >> 4;
    out[2 * i + 1] = key[i]! & 15;
  }
  return out;
}

/** Hex-prefix encoding of a nibble path (yellow paper, appendix C). */
function hexPrefix(path: Uint8Array, leaf: boolean): Uint8Array {
  const odd = path.length % 2;
  const out = new Uint8Array(Math.floor(path.length / 2) + 1);
  out[0] = ((leaf ? 2 : 0) + odd) << 4;
  let j = 0;
  if (odd) out[0]! |= path[j++]!;
  for (let i = 1; i < out.length; i++, j += 2) out[i] = (path[j]! << 4) | path[j + 1]!;
  return out;
}

/** A child reference: the node itself when its encoding is shorter than 32 bytes, else its hash. */
function reference(node: Node[]): Node {
  const encoded = RLP.encode(node);
  return encoded.length < 32 ? node : keccak256(encoded);
}

function build(keys: Uint8Array[], values: Uint8Array[], from: number, to: number, depth: number): Node[] {
  if (to - from === 1) return [hexPrefix(keys[from]!.subarray(depth), true), values[from]!];
  // Shared prefix of the range: the keys are sorted, so the first and last bound it.
  const first = keys[from]!;
  const last = keys[to - 1]!;
  let shared = 0;
  while (depth + shared < first.length && depth + shared < last.length && first[depth + shared] === last[depth + shared]) shared++;
  if (shared > 0) return [hexPrefix(first.subarray(depth, depth + shared), false), reference(build(keys, values, from, to, depth + shared))];
  const branch: Node[] = Array.from({ length: 17 }, () => EMPTY_BYTES);
  let i = from;
  if (keys[i]!.length === depth) branch[16] = values[i++]!;
  while (i < to) {
    const nibble = keys[i]![depth]!;
    let j = i + 1;
    while (j < to && keys[j]![depth] === nibble) j++;
    branch[nibble] = reference(build(keys, values, i, j, depth + 1));
    i = j;
  }
  return branch;
}

/** The root of the trie mapping rlp(i) to values[i]: a block's transactionsRoot or receiptsRoot. */
export function orderedTrieRoot(values: readonly Uint8Array[]): Uint8Array {
  if (values.length === 0) return EMPTY_TRIE_ROOT;
  const entries = values.map((value, i) => ({ key: RLP.encode(intToBytes(i)), value }));
  entries.sort((a, b) => Buffer.compare(a.key, b.key));
  const keys = entries.map((entry) => nibbles(entry.key));
  return keccak256(RLP.encode(build(keys, entries.map((entry) => entry.value), 0, keys.length, 0)));
}

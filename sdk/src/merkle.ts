// Merkle batches, byte for byte as docs/MERKLE.md specifies and contracts/src/common/MerkleBatch.sol
// verifies: leaf = keccak256(0x00 ‖ item), node = keccak256(0x01 ‖ left ‖ right), leaves in batch
// order, the last node of an odd level carried up unchanged (never duplicated).
//
// The platform anchors access-log periods and T+1 record runs of 100,000 elements and more, and
// keeps a proof for each, so building is done over one flat Uint8Array per level with a keccak256
// specialised for the two one-block messages of the tree (33 and 65 bytes, @noble/hashes'
// permutation), without allocating or converting to hex in the hot loop; each node is turned into
// hex at most once, when a proof asks.
import { keccakP } from "@noble/hashes/sha3.js";
import { encodeAbiParameters, getAbiItem, keccak256, type ContractFunctionArgs, type Hex } from "viem";
import type { BytesLike } from "./bytes.ts";
import { BATCH_KINDS } from "./codes.ts";
import { isPlatformError, platformError } from "./errors.ts";
import { dataIndexAbi } from "./generated/abis.ts";

/** Longest proof accepted: a batch holds at most 2^32 elements (`MerkleBatch.MAX_DEPTH`). */
export const MERKLE_MAX_DEPTH = 32;
/** Most elements in one batch by MERKLE.md (the contracts store the count as a uint32: 2^32 − 1). */
export const MERKLE_MAX_LEAVES = 2 ** 32;

/** A built batch: its root and size, as anchored, and the inclusion proof of each element. */
export interface MerkleBatch {
  /** The Merkle root, as passed to `anchorBatch` / `recordAccessBatch`. */
  readonly root: Hex;
  /** Number of elements, anchored beside the root. */
  readonly leafCount: number;
  /** The proof of element `index`: sibling nodes from the leaf level up, none where carried up. */
  proof(index: number): Hex[];
}

/** Builds the batch over `items` (32-byte digests, in batch order). */
export function buildBatch(items: readonly BytesLike[]): MerkleBatch {
  if (!Array.isArray(items) || items.length === 0) {
    throw platformError("INVALID_INPUT", {
      message: "A Merkle batch needs at least one item.",
      messageZh: "默克尔批次至少需要一个元素。",
      details: { what: "items", count: Array.isArray(items) ? 0 : typeof items },
    });
  }
  const leafCount = items.length;
  const leaves = new Uint8Array(32 * leafCount);
  for (let i = 0; i < leafCount; i++) {
    if (!readDigest(items[i], LEAF_BLOCK, 1)) throw invalidItem(items[i], i);
    keccakBlock(LEAF_BLOCK, leaves, 32 * i);
  }
  const levels: Uint8Array[] = [leaves];
  const widths: number[] = [leafCount];
  for (let width = leafCount, below = leaves; width > 1;) {
    const upWidth = Math.ceil(width / 2);
    const up = new Uint8Array(32 * upWidth);
    for (let j = 0; 2 * j + 1 < width; j++) {
      copy32(below, 64 * j, NODE_BLOCK, 1);
      copy32(below, 64 * j + 32, NODE_BLOCK, 33);
      keccakBlock(NODE_BLOCK, up, 32 * j);
    }
    if (width % 2 === 1) copy32(below, 32 * (width - 1), up, 32 * (upWidth - 1));
    levels.push(up);
    widths.push(upWidth);
    below = up;
    width = upWidth;
  }
  // Hex of each node, made when a proof first needs it and shared by every proof that contains it.
  const hexes: (Hex | undefined)[][] = widths.map((w) => new Array<Hex | undefined>(w));
  const hexAt = (level: number, j: number): Hex => (hexes[level]![j] ??= hexOf(levels[level]!, 32 * j));
  const top = levels.length - 1;
  return {
    root: hexAt(top, 0),
    leafCount,
    proof(index: number): Hex[] {
      if (!Number.isSafeInteger(index) || index < 0 || index >= leafCount) {
        throw platformError("INVALID_INPUT", {
          message: `Index ${String(index)} is outside the batch of ${leafCount} elements.`,
          messageZh: `索引 ${String(index)} 超出批次范围（共 ${leafCount} 个元素）。`,
          details: { what: "index", index, leafCount },
        });
      }
      const proof: Hex[] = [];
      for (let level = 0, i = index; level < top; level++, i = Math.floor(i / 2)) {
        const sibling = i % 2 === 1 ? i - 1 : i + 1;
        if (sibling < widths[level]!) proof.push(hexAt(level, sibling));
      }
      return proof;
    },
  };
}

/** The Merkle root over `items`. */
export function merkleRoot(items: readonly BytesLike[]): Hex {
  return buildBatch(items).root;
}

/** The inclusion proof of element `index` of `items` (build the batch once when you need many). */
export function merkleProof(items: readonly BytesLike[], index: number): Hex[] {
  return buildBatch(items).proof(index);
}

/** The leaf of an item: keccak256(0x00 ‖ item). */
export function merkleLeaf(item: BytesLike): Hex {
  if (!readDigest(item, LEAF_BLOCK, 1)) throw invalidItem(item, 0);
  keccakBlock(LEAF_BLOCK, DIGEST, 0);
  return hexOf(DIGEST, 0);
}

/** The parent of two ordered nodes: keccak256(0x01 ‖ left ‖ right). */
export function merkleNode(left: BytesLike, right: BytesLike): Hex {
  if (!readDigest(left, NODE_BLOCK, 1)) throw invalidItem(left, 0, "left");
  if (!readDigest(right, NODE_BLOCK, 33)) throw invalidItem(right, 0, "right");
  keccakBlock(NODE_BLOCK, DIGEST, 0);
  return hexOf(DIGEST, 0);
}

/**
 * Whether `item` is element `index` of the batch of `leafCount` elements anchored with `root`,
 * exactly as `MerkleBatch.verify` answers on chain. Take `leafCount` from the anchored batch, never
 * from the prover. A proof that does not lead to the root — wrong item, sibling, index, count or
 * length — answers false; input that is not a proof at all (a root, item or sibling that is not
 * 32 bytes, a negative or fractional number, more than 32 siblings, a count above 2^32) throws
 * INVALID_PROOF, where the contract, which cannot receive most of these, would answer false.
 */
export function verifyMerkleProof(
  root: BytesLike,
  leafCount: number | bigint,
  item: BytesLike,
  index: number | bigint,
  proof: readonly BytesLike[],
): boolean {
  if (!Array.isArray(proof)) throw invalidProof("proof", "not a list", typeof proof);
  if (proof.length > MERKLE_MAX_DEPTH) throw invalidProof("proof", `longer than ${MERKLE_MAX_DEPTH}`, proof.length);
  const count = nonNegative(leafCount, "leafCount");
  if (count > MERKLE_MAX_LEAVES) throw invalidProof("leafCount", "above 2^32", String(leafCount));
  const position = nonNegative(index, "index");
  if (!readDigest(root, ROOT, 0)) throw invalidProof("root", "not 32 bytes", shown(root));
  if (!readDigest(item, LEAF_BLOCK, 1)) throw invalidProof("item", "not 32 bytes", shown(item));
  for (let k = 0; k < proof.length; k++) {
    if (!readDigest(proof[k], SIBLINGS, 32 * k)) throw invalidProof(`proof[${k}]`, "not 32 bytes", shown(proof[k]));
  }
  if (count === 0 || position >= count) return false;

  keccakBlock(LEAF_BLOCK, DIGEST, 0);
  let used = 0;
  for (let width = count, i = position; width > 1; width = Math.ceil(width / 2), i = Math.floor(i / 2)) {
    const odd = i % 2 === 1;
    if (!odd && i + 1 >= width) continue; // the last node of an odd level: carried up
    if (used === proof.length) return false;
    copy32(SIBLINGS, 32 * used, NODE_BLOCK, odd ? 1 : 33);
    copy32(DIGEST, 0, NODE_BLOCK, odd ? 33 : 1);
    keccakBlock(NODE_BLOCK, DIGEST, 0);
    used++;
  }
  if (used !== proof.length) return false;
  for (let b = 0; b < 32; b++) if (DIGEST[b] !== ROOT[b]) return false;
  return true;
}

// ---------------------------------------------------------------- items of DataIndex batches

/** An index entry as `DataIndex` takes it (types from the contract's ABI). */
export type IndexEntry = ContractFunctionArgs<typeof dataIndexAbi, "pure", "entryItem">[0];
/** A record change as `DataIndex` takes it (types from the contract's ABI). */
export type RecordChange = ContractFunctionArgs<typeof dataIndexAbi, "pure", "changeItem">[0];

const ENTRY_PARAMETERS = getAbiItem({ abi: dataIndexAbi, name: "entryItem" }).inputs;
const CHANGE_PARAMETERS = getAbiItem({ abi: dataIndexAbi, name: "changeItem" }).inputs;

/** The item of an entry in a records batch: keccak256(abi.encode(entry)), as `DataIndex.entryItem`. */
export function entryItem(entry: IndexEntry): Hex {
  return keccak256(encodeAbiParameters(ENTRY_PARAMETERS, [entry]));
}

/** The item of a change in a changes batch: keccak256(abi.encode(change)), as `DataIndex.changeItem`. */
export function changeItem(change: RecordChange): Hex {
  return keccak256(encodeAbiParameters(CHANGE_PARAMETERS, [change]));
}

/** A DataIndex batch built off chain: what `anchorBatch(kind, root, leafCount)` takes, and each item's proof. */
export interface DataIndexBatch {
  /** A `DataIndex.BatchKind` code: 0 records (`entryItem`), 1 changes (`changeItem`). */
  readonly kind: number;
  readonly root: Hex;
  readonly leafCount: number;
  /** The inclusion proof of item i, in batch order. */
  readonly proofs: readonly Hex[][];
}

/** A DataIndex batch as anchored (`DataIndex.getBatch`): read it from the chain, never take it from the prover. */
export interface AnchoredDataIndexBatch {
  readonly root: BytesLike;
  readonly leafCount: number | bigint;
  readonly kind: number | bigint;
  readonly institution: string;
}

/** The records batch (kind 0) over index entries, in order, with each entry's proof. */
export function buildEntryBatch(entries: readonly IndexEntry[]): DataIndexBatch {
  return dataIndexBatch(BATCH_KINDS.records.code, entries.map(entryItem));
}

/** The changes batch (kind 1) over record changes, in order, with each change's proof. */
export function buildChangeBatch(changes: readonly RecordChange[]): DataIndexBatch {
  return dataIndexBatch(BATCH_KINDS.changes.code, changes.map(changeItem));
}

/**
 * `DataIndex.verifyEntry(batchId, entry, index, proof)` answered off chain against the batch as
 * anchored: false when the batch is unknown (undefined), holds changes, belongs to another
 * institution, or the proof fails — the contract's checks and Merkle algorithm.
 */
export function verifyEntryInBatch(batch: AnchoredDataIndexBatch | undefined, entry: IndexEntry, index: number | bigint, proof: readonly BytesLike[]): boolean {
  return verifyItemInBatch(batch, BATCH_KINDS.records.code, entry.institution, () => entryItem(entry), index, proof);
}

/** `DataIndex.verifyChange(batchId, change, index, proof)` answered off chain, as `verifyEntryInBatch` for entries. */
export function verifyChangeInBatch(batch: AnchoredDataIndexBatch | undefined, change: RecordChange, index: number | bigint, proof: readonly BytesLike[]): boolean {
  return verifyItemInBatch(batch, BATCH_KINDS.changes.code, change.institution, () => changeItem(change), index, proof);
}

// Entries and changes differ only in their item and kind: one batch builder and one check for both.
function dataIndexBatch(kind: number, items: readonly Hex[]): DataIndexBatch {
  const batch = buildBatch(items);
  return { kind, root: batch.root, leafCount: batch.leafCount, proofs: items.map((_, i) => batch.proof(i)) };
}

function verifyItemInBatch(
  batch: AnchoredDataIndexBatch | undefined,
  kind: number,
  institution: string,
  item: () => Hex,
  index: number | bigint,
  proof: readonly BytesLike[],
): boolean {
  if (batch === undefined || Number(batch.kind) !== kind || batch.institution.toLowerCase() !== institution.toLowerCase()) return false;
  const digest = item();
  try {
    return verifyMerkleProof(batch.root, batch.leafCount, digest, index, proof);
  } catch (error) {
    // Not a proof at all (a sibling that is not 32 bytes, a negative index): the contract answers false.
    if (isPlatformError(error, "INVALID_PROOF")) return false;
    throw error;
  }
}

// ---------------------------------------------------------------- bytes and errors

// One-block messages, padded once (keccak padding 0x01 … 0x80 for a 136-byte rate): only the
// 32-byte slots change between hashes. JavaScript runs this code to completion, so module-level
// scratch buffers are never shared by two callers at once.
const LEAF_BLOCK = paddedBlock(0x00, 33);
const NODE_BLOCK = paddedBlock(0x01, 65);
const DIGEST = new Uint8Array(32);
const ROOT = new Uint8Array(32);
const SIBLINGS = new Uint8Array(32 * MERKLE_MAX_DEPTH);

function paddedBlock(prefix: number, messageLength: number): Uint8Array {
  const block = new Uint8Array(136);
  block[0] = prefix;
  block[messageLength] = 0x01;
  block[135]! |= 0x80;
  return block;
}

function copy32(from: Uint8Array, fromOffset: number, to: Uint8Array, toOffset: number): void {
  for (let b = 0; b < 32; b++) to[toOffset + b] = from[fromOffset + b]!;
}

// Hex digit values by character code, -1 for anything else.
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let c = 0; c < 10; c++) HEX_VALUE[48 + c] = c;
for (let c = 0; c < 6; c++) HEX_VALUE[65 + c] = HEX_VALUE[97 + c] = 10 + c;

/** Writes a 32-byte digest (bytes, or hex with or without 0x) to `to[offset..]`; false if it is not one. */
function readDigest(value: unknown, to: Uint8Array, offset: number): boolean {
  if (value instanceof Uint8Array) {
    if (value.length !== 32) return false;
    copy32(value, 0, to, offset);
    return true;
  }
  if (typeof value !== "string") return false;
  const start = value.length === 66 && value[0] === "0" && (value[1] === "x" || value[1] === "X") ? 2 : 0;
  if (value.length - start !== 64) return false;
  for (let b = 0; b < 32; b++) {
    const hi = HEX_VALUE[value.charCodeAt(start + 2 * b)] ?? -1;
    const lo = HEX_VALUE[value.charCodeAt(start + 2 * b + 1)] ?? -1;
    if (hi < 0 || lo < 0) return false;
    to[offset + b] = (hi << 4) | lo;
  }
  return true;
}

// Character codes of "0x" and 64 hex digits, filled per node: String.fromCharCode makes a flat
// string in one step, where concatenating pairs builds a rope that every later reader flattens.
const HEX_DIGITS = Array.from("0123456789abcdef", (c) => c.charCodeAt(0));
const HEX_CHARS: number[] = [48, 120, ...new Array<number>(64).fill(48)];

function hexOf(bytes: Uint8Array, offset: number): Hex {
  for (let b = 0; b < 32; b++) {
    const v = bytes[offset + b]!;
    HEX_CHARS[2 + 2 * b] = HEX_DIGITS[v >> 4]!;
    HEX_CHARS[3 + 2 * b] = HEX_DIGITS[v & 15]!;
  }
  return String.fromCharCode.apply(null, HEX_CHARS) as Hex;
}

function nonNegative(value: number | bigint, what: string): number {
  if (typeof value === "bigint") {
    if (value < 0n) throw invalidProof(what, "negative", String(value));
    return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
  }
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw invalidProof(what, "not a non-negative integer", typeof value === "number" ? value : typeof value);
  }
  return value;
}

function shown(value: unknown): unknown {
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  return typeof value === "string" ? value.slice(0, 80) : typeof value;
}

function invalidProof(what: string, problem: string, value: unknown) {
  return platformError("INVALID_PROOF", { details: { what, problem, value } });
}

function invalidItem(value: unknown, index: number, what = "items") {
  return platformError("INVALID_INPUT", {
    message: "A Merkle item must be a 32-byte digest.",
    messageZh: "默克尔元素必须是 32 字节摘要。",
    details: { what, index, value: shown(value) },
  });
}

// ---------------------------------------------------------------- keccak256 of one block

// The tree hashes only one-block messages (33 and 65 bytes), so the sponge is a single absorb of
// the padded 136-byte block into a zeroed state and one keccak-f[1600] permutation — @noble/hashes'
// `keccakP` — on a reused state, with no allocation per hash (a general keccak256 allocates per
// call, which costs more than the permutation itself at these sizes).
// sdk/test/merkle.test.ts checks it against viem's keccak256 for every message length 0..135.
const STATE = new Uint32Array(50);
const STATE_BYTES = new Uint8Array(STATE.buffer);
// keccakP reads the state as little-endian lanes, which is how a Uint32Array lies on every
// platform JavaScript runs on; refuse to hash wrong rather than assume.
if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw platformError("INTERNAL", { message: "Merkle batches need a little-endian platform." });
}

/**
 * keccak256 of one padded 136-byte block (message ≤ 135 bytes), written to out[offset..offset+32).
 * Internal to the Merkle batches; exported for its test.
 */
export function keccakBlock(block: Uint8Array, out: Uint8Array, offset: number): void {
  STATE.fill(0);
  STATE_BYTES.set(block);
  keccakP(STATE, 24);
  out.set(STATE_BYTES.subarray(0, 32), offset);
}

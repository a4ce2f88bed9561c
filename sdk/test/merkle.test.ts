import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { bytesToHex, concat, encodeAbiParameters, keccak256, parseAbiParameters, type Hex } from "viem";
import { isPlatformError } from "../src/errors.ts";
import {
  MERKLE_MAX_DEPTH,
  buildBatch,
  changeItem,
  entryItem,
  keccakBlock,
  merkleLeaf,
  merkleNode,
  merkleProof,
  merkleRoot,
  verifyMerkleProof,
  type IndexEntry,
  type RecordChange,
} from "../src/merkle.ts";
import { throwsCode } from "./helpers/throws-code.ts";

// A deliberately naive reference, straight from docs/MERKLE.md, with viem's general keccak256.
const leaf = (item: Hex) => keccak256(concat(["0x00", item]));
const node = (left: Hex, right: Hex) => keccak256(concat(["0x01", left, right]));
function referenceLevels(items: readonly Hex[]): Hex[][] {
  const levels = [items.map(leaf)];
  for (let level = levels[0]!; level.length > 1;) {
    const up: Hex[] = [];
    for (let i = 0; i < level.length; i += 2)
      up.push(i + 1 < level.length ? node(level[i]!, level[i + 1]!) : level[i]!);
    levels.push(up);
    level = up;
  }
  return levels;
}
function referenceProof(levels: Hex[][], index: number): Hex[] {
  const proof: Hex[] = [];
  for (let l = 0, i = index; l < levels.length - 1; l++, i >>= 1) {
    if ((i ^ 1) < levels[l]!.length) proof.push(levels[l]![i ^ 1]!);
  }
  return proof;
}

const random32 = (): Hex => bytesToHex(randomBytes(32));
const items = (n: number) => Array.from({ length: n }, random32);

test("the one-block keccak256 equals viem's keccak256 for every message length 0..135", () => {
  const out = new Uint8Array(40);
  for (let length = 0; length <= 135; length++) {
    for (let trial = 0; trial < 4; trial++) {
      const message = randomBytes(length);
      const block = new Uint8Array(136);
      block.set(message);
      block[length]! ^= 0x01;
      block[135]! ^= 0x80;
      keccakBlock(block, out, 8);
      assert.equal(bytesToHex(out.subarray(8, 40)), keccak256(message), `length ${length}`);
    }
  }
});

test("hashes leaves and nodes with the 0x00 / 0x01 domain prefixes", () => {
  const [a, b] = [random32(), random32()];
  assert.equal(merkleLeaf(a), leaf(a));
  assert.equal(merkleNode(a, b), node(a, b));
  assert.notEqual(merkleNode(a, b), merkleNode(b, a));
  assert.notEqual(merkleLeaf(a), keccak256(a));
});

test("builds the five-item example of docs/MERKLE.md: l4 carried up twice", () => {
  const i = items(5);
  const l = i.map(leaf);
  const n01 = node(l[0]!, l[1]!);
  const n0123 = node(n01, node(l[2]!, l[3]!));
  const batch = buildBatch(i);
  assert.equal(batch.root, node(n0123, l[4]!));
  assert.equal(batch.leafCount, 5);
  assert.deepEqual(batch.proof(4), [n0123]);
  assert.deepEqual(batch.proof(2), [l[3], n01, l[4]]);
});

test("a one-item batch has root leaf(item) and an empty proof", () => {
  const [item] = items(1) as [Hex];
  const batch = buildBatch([item]);
  assert.equal(batch.root, leaf(item));
  assert.deepEqual(batch.proof(0), []);
  assert.equal(verifyMerkleProof(batch.root, 1, item, 0, []), true);
});

test("agrees with the reference on every root and every proof for sizes 1..130", () => {
  for (let n = 1; n <= 130; n++) {
    const batchItems = items(n);
    const levels = referenceLevels(batchItems);
    const batch = buildBatch(batchItems);
    assert.equal(batch.root, levels.at(-1)![0], `root of ${n}`);
    for (let index = 0; index < n; index++) {
      const proof = batch.proof(index);
      assert.deepEqual(proof, referenceProof(levels, index), `proof ${index} of ${n}`);
      assert.equal(verifyMerkleProof(batch.root, n, batchItems[index]!, index, proof), true, `verify ${index} of ${n}`);
    }
  }
});

test("never duplicates the odd node: [a,b,c] and [a,b,c,c] have different roots", () => {
  const [a, b, c] = items(3) as [Hex, Hex, Hex];
  assert.notEqual(merkleRoot([a, b, c]), merkleRoot([a, b, c, c]));
  assert.equal(merkleRoot([a, b, c]), node(node(leaf(a), leaf(b)), leaf(c)));
});

test("keeps order: a permutation changes the root, and a proof proves a position", () => {
  const [a, b, c, d] = items(4) as [Hex, Hex, Hex, Hex];
  const batch = buildBatch([a, b, c, d]);
  assert.notEqual(batch.root, merkleRoot([b, a, c, d]));
  assert.equal(verifyMerkleProof(batch.root, 4, c, 2, batch.proof(2)), true);
  assert.equal(verifyMerkleProof(batch.root, 4, c, 3, batch.proof(2)), false);
  assert.deepEqual(merkleProof([a, b, c, d], 1), batch.proof(1));
});

test("answers false for every wrong proof, never throwing", () => {
  const batchItems = items(37);
  const batch = buildBatch(batchItems);
  for (const index of [0, 1, 17, 31, 32, 35, 36]) {
    const item = batchItems[index]!;
    const proof = batch.proof(index);
    const flipped = (hex: Hex): Hex => `${hex.slice(0, -1)}${hex.endsWith("0") ? "1" : "0"}` as Hex;
    assert.equal(verifyMerkleProof(batch.root, 37, item, index, proof), true);
    assert.equal(verifyMerkleProof(batch.root, 37, flipped(item), index, proof), false, "tampered item");
    assert.equal(verifyMerkleProof(flipped(batch.root), 37, item, index, proof), false, "other root");
    for (let k = 0; k < proof.length; k++) {
      const tampered = proof.map((p, j) => (j === k ? flipped(p) : p));
      assert.equal(verifyMerkleProof(batch.root, 37, item, index, tampered), false, `tampered sibling ${k}`);
    }
    assert.equal(verifyMerkleProof(batch.root, 37, item, index ^ 1, proof), false, "other index");
    assert.equal(verifyMerkleProof(batch.root, 37, item, index, proof.slice(0, -1)), false, "truncated proof");
    assert.equal(verifyMerkleProof(batch.root, 37, item, index, [...proof, proof[0]!]), false, "extra sibling");
    assert.equal(verifyMerkleProof(batch.root, 37, item, index, [...proof].reverse()), proof.length < 2, "reordered");
    // With 38 leaves only element 36 gains a sibling at the leaf level; every other path is unchanged.
    assert.equal(verifyMerkleProof(batch.root, 38, item, index, proof), index !== 36, "count 38");
  }
  assert.equal(verifyMerkleProof(batch.root, 37, batchItems[0]!, 37, []), false, "index = leafCount");
  assert.equal(verifyMerkleProof(batch.root, 0, batchItems[0]!, 0, []), false, "empty batch");
});

test("takes the count from the anchored batch: the root alone does not commit to it", () => {
  // MERKLE.md: index 0 of a 6-leaf tree has the same path as in a 7-leaf tree.
  const batchItems = items(6);
  const batch = buildBatch(batchItems);
  assert.equal(verifyMerkleProof(batch.root, 6, batchItems[0]!, 0, batch.proof(0)), true);
  assert.equal(verifyMerkleProof(batch.root, 7, batchItems[0]!, 0, batch.proof(0)), true);
  // …whereas the last element's path depends on the count.
  assert.equal(verifyMerkleProof(batch.root, 7, batchItems[5]!, 5, batch.proof(5)), false);
});

test("accepts bytes, hex with or without 0x and upper-case hex; numbers or bigints", () => {
  const batchItems = items(9);
  const batch = buildBatch(
    batchItems.map((h, i) => (i % 2 === 0 ? Buffer.from(h.slice(2), "hex") : h.slice(2).toUpperCase())),
  );
  assert.equal(batch.root, merkleRoot(batchItems));
  const proof = batch.proof(4).map((h) => new Uint8Array(Buffer.from(h.slice(2), "hex")));
  assert.equal(verifyMerkleProof(batch.root.toUpperCase().replace("0X", "0x"), 9n, batchItems[4]!, 4n, proof), true);
  assert.equal(verifyMerkleProof(batch.root, 9n, batchItems[4]!, 2n ** 70n, proof), false, "huge index");
});

test("throws INVALID_PROOF for input that is not a proof", () => {
  const batchItems = items(5);
  const batch = buildBatch(batchItems);
  const [root, item, proof] = [batch.root, batchItems[2]!, batch.proof(2)];
  throwsCode(
    () => verifyMerkleProof(root, 5, item, 2, [...proof.slice(0, 2), proof[2]!.slice(0, -2) as Hex]),
    "INVALID_PROOF",
    "proof[2]",
  );
  throwsCode(() => verifyMerkleProof(root, 5, item, 2, [new Uint8Array(33)]), "INVALID_PROOF", "proof[0]");
  throwsCode(() => verifyMerkleProof(root, 5, item, 2, [`0x${"zz".repeat(32)}`]), "INVALID_PROOF", "proof[0]");
  throwsCode(
    () => verifyMerkleProof(root, 5, item, 2, Array(MERKLE_MAX_DEPTH + 1).fill(root)),
    "INVALID_PROOF",
    "proof",
  );
  throwsCode(() => verifyMerkleProof(root, 5, item, 2, "0x" as never), "INVALID_PROOF", "proof");
  throwsCode(() => verifyMerkleProof(root, 5, item.slice(0, 10) as Hex, 2, proof), "INVALID_PROOF", "item");
  throwsCode(() => verifyMerkleProof("0x1234", 5, item, 2, proof), "INVALID_PROOF", "root");
  throwsCode(() => verifyMerkleProof(root, 5, item, -1, proof), "INVALID_PROOF", "index");
  throwsCode(() => verifyMerkleProof(root, 5.5, item, 2, proof), "INVALID_PROOF", "leafCount");
  throwsCode(() => verifyMerkleProof(root, -1n, item, 2, proof), "INVALID_PROOF", "leafCount");
  throwsCode(() => verifyMerkleProof(root, 2 ** 32 + 1, item, 2, proof), "INVALID_PROOF", "leafCount");
  // 32 siblings and 2^32 leaves are the limits themselves: a wrong proof, not a malformed one.
  assert.equal(verifyMerkleProof(root, 2 ** 32, item, 2 ** 32 - 1, Array(32).fill(root)), false);
});

test("refuses to build an empty batch, a non-digest item or a proof outside the batch", () => {
  throwsCode(() => buildBatch([]), "INVALID_INPUT", "items");
  assert.throws(
    () => buildBatch([random32(), "0x1234"]),
    (e: unknown) => isPlatformError(e, "INVALID_INPUT") && e.details.index === 1,
  );
  const batch = buildBatch(items(3));
  throwsCode(() => batch.proof(3), "INVALID_INPUT", "index");
  throwsCode(() => batch.proof(-1), "INVALID_INPUT", "index");
  throwsCode(() => batch.proof(1.5), "INVALID_INPUT", "index");
});

test("computes DataIndex items as keccak256(abi.encode(struct))", () => {
  const entry: IndexEntry = {
    recordId: random32(),
    residentRef: random32(),
    institution: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    category: random32(),
    contentHash: random32(),
    schemaVersion: 3,
    pointerHash: random32(),
    sourceTime: 1_760_000_000n,
  };
  const entryTuple = parseAbiParameters("(bytes32,bytes32,address,bytes32,bytes32,uint32,bytes32,uint64)");
  assert.equal(entryItem(entry), keccak256(encodeAbiParameters(entryTuple, [Object.values(entry) as never])));
  const change: RecordChange = {
    recordId: entry.recordId,
    institution: entry.institution,
    previousContentHash: entry.contentHash,
    newContentHash: random32(),
    newPointerHash: random32(),
    newResidentRef: `0x${"00".repeat(32)}`,
    reason: 0,
    changedAt: 1_760_000_100n,
  };
  const changeTuple = parseAbiParameters("(bytes32,address,bytes32,bytes32,bytes32,bytes32,uint8,uint64)");
  assert.equal(changeItem(change), keccak256(encodeAbiParameters(changeTuple, [Object.values(change) as never])));
});

test("builds the root and every proof of 100,000 items well within budget", () => {
  const batchItems = items(100_000);
  buildBatch(batchItems.slice(0, 2_000)).proof(0); // warm-up
  const start = performance.now();
  const batch = buildBatch(batchItems);
  let siblings = 0;
  for (let i = 0; i < batchItems.length; i++) siblings += batch.proof(i).length;
  const ms = performance.now() - start;
  console.log(`# root + 100,000 proofs (${siblings} siblings): ${ms.toFixed(0)} ms`);
  // The target is 1 s on one core (npm run bench prints the figure); the test leaves room for a
  // loaded machine running other test files in parallel, and fails only on a real regression.
  assert.ok(ms < 3_000, `${ms.toFixed(0)} ms`);
  assert.equal(verifyMerkleProof(batch.root, 100_000, batchItems[99_999]!, 99_999, batch.proof(99_999)), true);
});

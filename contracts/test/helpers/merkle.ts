// Reference Merkle batch for tests, exactly as contracts/src/common/MerkleBatch.sol verifies it:
//   leaf = keccak256(0x00 ‖ item), node = keccak256(0x01 ‖ left ‖ right), leaves in order,
//   the last node of an odd level carried up unchanged (never duplicated).
// Deliberately independent of the SDK's implementation so that the two can be cross-checked.
import { concat, keccak256 } from "ethers";

export type Hex = string;

/** The leaf of a batch item. */
export function leafHash(item: Hex): Hex {
  return keccak256(concat(["0x00", item]));
}

/** The parent of two ordered nodes. */
export function nodeHash(left: Hex, right: Hex): Hex {
  return keccak256(concat(["0x01", left, right]));
}

/** A built batch: levels[0] are the leaves, the last level holds the root alone. */
export interface MerkleTree {
  readonly leafCount: number;
  readonly levels: readonly (readonly Hex[])[];
  readonly root: Hex;
}

/** Builds the tree over `items` (32-byte hex digests), in order. */
export function buildTree(items: readonly Hex[]): MerkleTree {
  if (items.length === 0) throw new Error("a batch needs at least one item");
  const levels: Hex[][] = [items.map(leafHash)];
  let level = levels[0]!;
  while (level.length > 1) {
    const next: Hex[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(i + 1 < level.length ? nodeHash(level[i]!, level[i + 1]!) : level[i]!);
    }
    levels.push(next);
    level = next;
  }
  return { leafCount: items.length, levels, root: level[0]! };
}

/** The root over `items`. */
export function merkleRoot(items: readonly Hex[]): Hex {
  return buildTree(items).root;
}

/** The inclusion proof of item `index`: siblings from the leaf up, none for carried-up levels. */
export function merkleProof(tree: MerkleTree, index: number): Hex[] {
  if (!Number.isInteger(index) || index < 0 || index >= tree.leafCount) {
    throw new Error(`index ${index} is outside a batch of ${tree.leafCount}`);
  }
  const proof: Hex[] = [];
  let i = index;
  for (const level of tree.levels.slice(0, -1)) {
    const sibling = i ^ 1;
    if (sibling < level.length) proof.push(level[sibling]!);
    i >>= 1;
  }
  return proof;
}

/** Off-chain verification, the same algorithm as `MerkleBatch.verify`. */
export function verifyProof(root: Hex, leafCount: number, item: Hex, index: number, proof: readonly Hex[]): boolean {
  if (leafCount === 0 || index < 0 || index >= leafCount || proof.length > 32) return false;
  let node = leafHash(item);
  let used = 0;
  let width = leafCount;
  let i = index;
  while (width > 1) {
    if ((i & 1) === 1) {
      if (used === proof.length) return false;
      node = nodeHash(proof[used++]!, node);
    } else if (i + 1 < width) {
      if (used === proof.length) return false;
      node = nodeHash(node, proof[used++]!);
    }
    i >>= 1;
    width = (width + 1) >> 1;
  }
  return used === proof.length && node.toLowerCase() === root.toLowerCase();
}

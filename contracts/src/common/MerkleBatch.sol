// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title MerkleBatch
/// @notice Inclusion proofs for batches anchored as one Merkle root (record indexes, changes, audit
///         log lines). The specification, shared with `sdk/`, is in docs/MERKLE.md:
///         - item: a 32-byte digest of one batch element (an SM3 fingerprint computed off chain, or
///           the keccak256 of an ABI-encoded index entry);
///         - leaf  = keccak256(0x00 ‖ item), node = keccak256(0x01 ‖ left ‖ right): the prefixes keep
///           a leaf from ever being read as an inner node (second-preimage resistance);
///         - leaves keep their order (position matters: the proof proves "item i of n");
///         - odd rule: the last node of a level with an odd count is carried up unchanged, never
///           duplicated (duplication lets two different batches share a root).
///         Nodes are keccak256 because every EVM computes it natively; SM3 has no precompile on a
///         standard EVM, and the SM3 fingerprints enter the tree as items.
library MerkleBatch {
    /// @notice Deepest proof accepted: a batch holds at most 2^32 leaves.
    uint256 internal constant MAX_DEPTH = 32;

    /// @notice The leaf of a batch element.
    /// @param item The element's 32-byte digest.
    /// @return leaf keccak256(0x00 ‖ item).
    function leafHash(bytes32 item) internal pure returns (bytes32 leaf) {
        assembly ("memory-safe") {
            mstore8(0x00, 0x00)
            mstore(0x01, item)
            leaf := keccak256(0x00, 0x21)
        }
    }

    /// @notice The parent of two ordered nodes.
    /// @param left The left child.
    /// @param right The right child.
    /// @return node keccak256(0x01 ‖ left ‖ right).
    function nodeHash(bytes32 left, bytes32 right) internal pure returns (bytes32 node) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore8(ptr, 0x01)
            mstore(add(ptr, 0x01), left)
            mstore(add(ptr, 0x21), right)
            node := keccak256(ptr, 0x41)
        }
    }

    /// @notice Whether `item` is element `index` of a batch of `leafCount` elements with root `root`.
    /// @dev False (never a revert) for an index out of range, a proof of the wrong length, or a
    ///      proof that does not lead to the root: a verifier asks, it does not change anything.
    /// @param root The batch's anchored Merkle root.
    /// @param leafCount Number of elements in the batch.
    /// @param item The element's 32-byte digest.
    /// @param index The element's position in the batch, from 0.
    /// @param proof The sibling nodes from the leaf's level up to the root, skipping levels where
    ///        the node is carried up unchanged.
    /// @return True when the proof leads from `item` at `index` to `root`.
    function verify(
        bytes32 root,
        uint256 leafCount,
        bytes32 item,
        uint256 index,
        bytes32[] calldata proof
    ) internal pure returns (bool) {
        if (leafCount == 0 || index >= leafCount || proof.length > MAX_DEPTH) return false;
        bytes32 node = leafHash(item);
        uint256 used = 0;
        uint256 width = leafCount;
        while (width > 1) {
            if (index & 1 == 1) {
                if (used == proof.length) return false;
                node = nodeHash(proof[used++], node);
            } else if (index + 1 < width) {
                if (used == proof.length) return false;
                node = nodeHash(node, proof[used++]);
            }
            index >>= 1;
            width = (width + 1) >> 1;
        }
        return used == proof.length && node == root;
    }
}

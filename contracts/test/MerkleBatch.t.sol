// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {MerkleBatch} from "../src/common/MerkleBatch.sol";

/// @notice Property tests of `MerkleBatch.verify` against an independent tree builder written here
///         with `abi.encodePacked` (not the library's assembly), and against reference vectors from
///         contracts/test/helpers/merkle.ts.
contract MerkleBatchTest {
    /// @dev Largest random batch: deep enough for nine levels, small enough for 256 fuzz runs.
    uint256 private constant MAX_LEAVES = 600;

    // ------------------------------------------------------------------ reference vectors

    /// Items keccak256(abi.encode(uint256(i))); roots and last-index proofs from helpers/merkle.ts.
    function test_matchesTypeScriptReference() public view {
        _checkVector(1, 0xc3b9b62c67c1cf3f0984fa209099964d6bee11d4c4dafb1b02e3b6a2258351d0);
        _checkVector(5, 0xe9f03fd6cde449589c5ae1a7372890d88446d3dbcd1b5301da3ea99f6920d219);
        _checkVector(6, 0xd43a09284a513e5e19ee3ba8845fcead26b1ef8e7b8aa6584221699a746fb51b);
        _checkVector(7, 0x6cadd03899aa270353f9a2d7815e7b7c233a6fa9dab58833e869fd08ebf28e6f);

        bytes32[] memory proof = _proof(_levels(_vectorItems(7)), 6);
        require(proof.length == 2, "proof of the carried-up last leaf of 7 has two nodes");
        require(proof[0] == 0x008552044b8249a2ebbd1fd9641b077e5d9348062d722c98effd2593228cb473, "7: proof[0]");
        require(proof[1] == 0x25a6df6fcae202696e784a1594551a6683a440d438b785b11a59d653cf1dfa3a, "7: proof[1]");
    }

    /// A batch of one: the root is the leaf, the proof is empty.
    function test_singleLeafRootIsTheLeaf() public view {
        bytes32 item = keccak256("only item");
        bytes32 root = keccak256(abi.encodePacked(bytes1(0x00), item));
        require(this.verify(root, 1, item, 0, new bytes32[](0)), "single leaf verifies");
        require(!this.verify(item, 1, item, 0, new bytes32[](0)), "the bare item is not the root");
    }

    /// Leaf and node prefixes differ: an inner node cannot be passed off as an item.
    function test_innerNodeIsNotAnItem() public view {
        bytes32[] memory items = _vectorItems(4);
        bytes32[][] memory levels = _levels(items);
        bytes32 root = levels[levels.length - 1][0];
        bytes32[] memory proof = new bytes32[](1);
        proof[0] = levels[1][1];
        // levels[1][0] is node(leaf0, leaf1): as an item of a 2-leaf batch with the real sibling it fails.
        require(!this.verify(root, 2, levels[1][0], 0, proof), "inner node accepted as an item");
    }

    /// Zero leaves, index out of range and over-deep proofs are false, never a revert.
    function test_degenerateInputsAreFalse() public view {
        bytes32[] memory items = _vectorItems(3);
        bytes32[][] memory levels = _levels(items);
        bytes32 root = levels[levels.length - 1][0];
        bytes32[] memory proof = _proof(levels, 0);
        require(this.verify(root, 3, items[0], 0, proof), "baseline verifies");
        require(!this.verify(root, 0, items[0], 0, proof), "zero leafCount");
        require(!this.verify(root, 3, items[0], 3, proof), "index == leafCount");
        require(!this.verify(root, 3, items[0], type(uint256).max, proof), "huge index");
        require(!this.verify(root, 3, items[0], 0, new bytes32[](33)), "proof deeper than 32");
    }

    // ------------------------------------------------------------------ fuzz: completeness

    function testFuzz_proofVerifies(uint256 seed, uint256 countSeed, uint256 indexSeed) public view {
        uint256 n = 1 + (countSeed % MAX_LEAVES);
        uint256 index = indexSeed % n;
        bytes32[] memory items = _randomItems(seed, n);
        bytes32[][] memory levels = _levels(items);
        bytes32[] memory proof = _proof(levels, index);
        require(proof.length <= MerkleBatch.MAX_DEPTH, "proof length bounded");
        require(this.verify(_root(levels), n, items[index], index, proof), "proof of a built tree verifies");
    }

    function testFuzz_everyIndexOfSmallBatchVerifies(uint256 seed, uint256 countSeed) public view {
        uint256 n = 1 + (countSeed % 40);
        bytes32[] memory items = _randomItems(seed, n);
        bytes32[][] memory levels = _levels(items);
        bytes32 root = _root(levels);
        for (uint256 i = 0; i < n; ++i) {
            require(this.verify(root, n, items[i], i, _proof(levels, i)), "every index verifies");
        }
    }

    // ------------------------------------------------------------------ fuzz: soundness

    function testFuzz_flippedItemBitFails(uint256 seed, uint256 countSeed, uint256 indexSeed, uint8 bit) public view {
        (bytes32[] memory items, bytes32[][] memory levels, uint256 n, uint256 index) = _batch(
            seed,
            countSeed,
            indexSeed
        );
        bytes32 tampered = items[index] ^ bytes32(uint256(1) << bit);
        require(!this.verify(_root(levels), n, tampered, index, _proof(levels, index)), "flipped item bit verified");
    }

    function testFuzz_flippedProofBitFails(
        uint256 seed,
        uint256 countSeed,
        uint256 indexSeed,
        uint256 which,
        uint8 bit
    ) public view {
        // At least two leaves, so that the proof has a node to flip.
        uint256 n = 2 + (countSeed % (MAX_LEAVES - 1));
        uint256 index = indexSeed % n;
        bytes32[] memory items = _randomItems(seed, n);
        bytes32[][] memory levels = _levels(items);
        bytes32[] memory proof = _proof(levels, index);
        require(proof.length > 0, "a batch of two or more has a non-empty proof");
        proof[which % proof.length] ^= bytes32(uint256(1) << bit);
        require(!this.verify(_root(levels), n, items[index], index, proof), "flipped proof bit verified");
    }

    function testFuzz_flippedIndexBitFails(uint256 seed, uint256 countSeed, uint256 indexSeed, uint8 bit) public view {
        (bytes32[] memory items, bytes32[][] memory levels, uint256 n, uint256 index) = _batch(
            seed,
            countSeed,
            indexSeed
        );
        uint256 otherIndex = index ^ (uint256(1) << bit);
        bool verified = this.verify(_root(levels), n, items[index], otherIndex, _proof(levels, index));
        require(!verified, "flipped index bit verified");
    }

    /// The root does not commit to leafCount (the spec of docs/MERKLE.md): the count comes from the
    /// anchored batch, and a changed count must never move an item to another position. A flipped
    /// count bit therefore fails unless it leaves the item's path (left/right/carried at every level)
    /// exactly as it was; and when it does, the proof still proves the same position.
    function testFuzz_flippedLeafCountBitFailsUnlessPathUnchanged(
        uint256 seed,
        uint256 countSeed,
        uint256 indexSeed,
        uint8 bit
    ) public view {
        (bytes32[] memory items, bytes32[][] memory levels, uint256 n, uint256 index) = _batch(
            seed,
            countSeed,
            indexSeed
        );
        uint256 otherCount = n ^ (uint256(1) << bit);
        bool samePath = _samePath(index, n, otherCount);
        bool verified = this.verify(_root(levels), otherCount, items[index], index, _proof(levels, index));
        require(verified == samePath, "flipped leafCount verified with a different path");
    }

    /// The case the property above allows, pinned down: index 0 of 6 and of 7 share their path.
    function test_leafCountIsNotCommittedByTheRoot() public view {
        bytes32[] memory items = _vectorItems(6);
        bytes32[][] memory levels = _levels(items);
        require(this.verify(_root(levels), 7, items[0], 0, _proof(levels, 0)), "same path under 7");
        require(!this.verify(_root(levels), 7, items[5], 5, _proof(levels, 5)), "last leaf path differs under 7");
    }

    function testFuzz_extraOrMissingProofNodeFails(uint256 seed, uint256 countSeed, uint256 indexSeed, bytes32 extra)
        public
        view
    {
        (bytes32[] memory items, bytes32[][] memory levels, uint256 n, uint256 index) = _batch(
            seed,
            countSeed,
            indexSeed
        );
        bytes32[] memory proof = _proof(levels, index);
        bytes32[] memory longer = new bytes32[](proof.length + 1);
        for (uint256 i = 0; i < proof.length; ++i) longer[i] = proof[i];
        longer[proof.length] = extra;
        require(!this.verify(_root(levels), n, items[index], index, longer), "extra proof node verified");
        if (proof.length > 0) {
            bytes32[] memory shorter = new bytes32[](proof.length - 1);
            for (uint256 i = 0; i < shorter.length; ++i) shorter[i] = proof[i];
            require(!this.verify(_root(levels), n, items[index], index, shorter), "missing proof node verified");
        }
    }

    // ------------------------------------------------------------------ harness

    /// @dev Calldata entry point: `MerkleBatch.verify` takes its proof from calldata.
    function verify(
        bytes32 root,
        uint256 leafCount,
        bytes32 item,
        uint256 index,
        bytes32[] calldata proof
    ) external pure returns (bool) {
        return MerkleBatch.verify(root, leafCount, item, index, proof);
    }

    function _batch(
        uint256 seed,
        uint256 countSeed,
        uint256 indexSeed
    ) private pure returns (bytes32[] memory items, bytes32[][] memory levels, uint256 n, uint256 index) {
        n = 1 + (countSeed % MAX_LEAVES);
        index = indexSeed % n;
        items = _randomItems(seed, n);
        levels = _levels(items);
    }

    function _randomItems(uint256 seed, uint256 n) private pure returns (bytes32[] memory items) {
        items = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) items[i] = keccak256(abi.encode(seed, i));
    }

    function _vectorItems(uint256 n) private pure returns (bytes32[] memory items) {
        items = new bytes32[](n);
        for (uint256 i = 0; i < n; ++i) items[i] = keccak256(abi.encode(i));
    }

    function _checkVector(uint256 n, bytes32 expectedRoot) private view {
        bytes32[] memory items = _vectorItems(n);
        bytes32[][] memory levels = _levels(items);
        require(_root(levels) == expectedRoot, "root differs from helpers/merkle.ts");
        for (uint256 i = 0; i < n; ++i) {
            require(this.verify(expectedRoot, n, items[i], i, _proof(levels, i)), "reference proof verifies");
        }
    }

    /// @dev All levels of the tree: leaves first, root last; an odd last node is carried up.
    function _levels(bytes32[] memory items) private pure returns (bytes32[][] memory levels) {
        uint256 depth = 1;
        for (uint256 w = items.length; w > 1; w = (w + 1) >> 1) ++depth;
        levels = new bytes32[][](depth);
        bytes32[] memory level = new bytes32[](items.length);
        for (uint256 i = 0; i < items.length; ++i) level[i] = keccak256(abi.encodePacked(bytes1(0x00), items[i]));
        levels[0] = level;
        for (uint256 d = 1; d < depth; ++d) {
            bytes32[] memory next = new bytes32[]((level.length + 1) >> 1);
            for (uint256 j = 0; j < next.length; ++j) {
                uint256 left = 2 * j;
                next[j] = left + 1 < level.length
                    ? keccak256(abi.encodePacked(bytes1(0x01), level[left], level[left + 1]))
                    : level[left];
            }
            levels[d] = next;
            level = next;
        }
    }

    function _root(bytes32[][] memory levels) private pure returns (bytes32) {
        return levels[levels.length - 1][0];
    }

    /// @dev Siblings from the leaf up; none for a level where the node is carried up.
    function _proof(bytes32[][] memory levels, uint256 index) private pure returns (bytes32[] memory proof) {
        uint256 count = 0;
        uint256 i = index;
        for (uint256 d = 0; d + 1 < levels.length; ++d) {
            if ((i ^ 1) < levels[d].length) ++count;
            i >>= 1;
        }
        proof = new bytes32[](count);
        count = 0;
        i = index;
        for (uint256 d = 0; d + 1 < levels.length; ++d) {
            if ((i ^ 1) < levels[d].length) proof[count++] = levels[d][i ^ 1];
            i >>= 1;
        }
    }

    /// @dev Whether `index` takes the same path (right / left / carried, level by level) in a batch
    ///      of `a` and in a batch of `b` leaves. An index out of range has no path.
    function _samePath(uint256 index, uint256 a, uint256 b) private pure returns (bool) {
        if (index >= a || index >= b) return false;
        uint256 wa = a;
        uint256 wb = b;
        while (wa > 1 || wb > 1) {
            if (wa <= 1 || wb <= 1) return false; // one path ends earlier: different lengths
            if (index & 1 == 0 && ((index + 1 < wa) != (index + 1 < wb))) return false;
            index >>= 1;
            wa = (wa + 1) >> 1;
            wb = (wb + 1) >> 1;
        }
        return true;
    }
}

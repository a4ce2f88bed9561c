// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ConsortiumGuarded} from "./common/ConsortiumGuarded.sol";
import {MerkleBatch} from "./common/MerkleBatch.sol";
import {Roles} from "./common/Roles.sol";
import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";

/// @title DataIndex (数据资源存证)
/// @notice Anchors the index of residents' health records: which institution holds which record of
///         which (salted) resident, its SM3 fingerprint and a hash of where the encrypted original
///         lives. The record itself stays in the institution's own store; nothing personal comes on
///         chain. Records are anchored one by one (`anchorRecord`, changed with `recordChange`) or,
///         for the bulk T+1 runs, as one Merkle root per batch (`anchorBatch`), each entry then
///         proven by its inclusion proof (`verifyEntry`, `verifyChange`, see `MerkleBatch`).
///         Record ids and batch roots are scoped by institution: what one member anchors never
///         blocks, shadows or vouches for another member's record or batch.
/// @dev External functions take `uint8` codes rather than enum parameters: the ABI decoder rejects an
///      out-of-range enum with an empty revert, and callers deserve a typed error with the bad code.
contract DataIndex is ConsortiumGuarded {
    /// @notice What the items of a batch are. Codes as passed to `anchorBatch`.
    enum BatchKind {
        Records, // 0 items are `entryItem(IndexEntry)`
        Changes // 1 items are `changeItem(RecordChange)`: the T+1 change run
    }

    /// @notice Why a record changed. Codes as carried in `RecordChange.reason`.
    enum ChangeReason {
        Correction, // 0 更正
        Amendment, // 1 补充
        LateResult, // 2 迟发结果
        IdentityMerge, // 3 主索引合并
        Void, // 4 作废
        Other // 5 其他
    }

    /// @notice The index of one record, as the institution anchors it.
    struct IndexEntry {
        bytes32 recordId; // the institution's record id, unique within the institution
        bytes32 residentRef; // salted hash of the resident (never an identifier)
        address institution; // the institution holding the original
        bytes32 category; // record category code, e.g. keccak256("LAB_REPORT")
        bytes32 contentHash; // SM3 fingerprint of the canonical record
        uint32 schemaVersion; // version of the standard model the record was mapped to
        bytes32 pointerHash; // hash of the off-chain CID of the encrypted original (never a path)
        uint64 sourceTime; // when the record came into being at the source system (unix seconds)
    }

    /// @notice A change of an anchored record.
    struct RecordChange {
        bytes32 recordId;
        address institution; // the institution that owns the record
        bytes32 previousContentHash; // the fingerprint being replaced: guards against lost updates
        bytes32 newContentHash;
        bytes32 newPointerHash;
        bytes32 newResidentRef; // IdentityMerge only: the surviving resident reference; zero otherwise
        uint8 reason; // a `ChangeReason` code
        uint64 changedAt; // when the change happened at the source system (unix seconds)
    }

    /// @notice The current state of a singly anchored record. Six slots: the first and the last are
    ///         packed (institution, anchoredAt, schemaVersion; sourceTime, version).
    struct Record {
        address institution; // zero: no such record
        uint64 anchoredAt; // block time of `anchorRecord`
        uint32 schemaVersion;
        bytes32 residentRef;
        bytes32 category;
        bytes32 contentHash; // current fingerprint
        bytes32 pointerHash; // current pointer
        uint64 sourceTime;
        uint32 version; // 1 when anchored, +1 for every change
        bool voided; // a Void change ended the record: no further change, `isAnchored` false
    }

    /// @notice An anchored batch.
    struct Batch {
        bytes32 root; // zero: no such batch
        address institution;
        BatchKind kind;
        uint32 leafCount;
        uint64 anchoredAt; // block time of `anchorBatch`
    }

    /// @notice How far ahead of the block time a source timestamp may be: institutions' clocks and
    ///         the validators' block times drift apart by seconds to minutes, never by more.
    uint64 public constant MAX_CLOCK_SKEW = 15 minutes;

    mapping(address institution => mapping(bytes32 recordId => Record)) private _records;
    mapping(uint256 batchId => Batch) private _batches;
    mapping(address institution => mapping(bytes32 root => uint256 batchId)) private _batchIdByRoot;
    uint256 private _batchCount;

    /// @notice A record was anchored.
    /// @param recordId The record id.
    /// @param residentRef Salted hash of the resident.
    /// @param institution The institution holding the original.
    /// @param category Record category code.
    /// @param contentHash SM3 fingerprint of the record.
    /// @param schemaVersion Version of the standard model.
    /// @param pointerHash Hash of the off-chain CID.
    /// @param sourceTime When the record came into being at the source.
    event RecordAnchored(
        bytes32 indexed recordId,
        bytes32 indexed residentRef,
        address indexed institution,
        bytes32 category,
        bytes32 contentHash,
        uint32 schemaVersion,
        bytes32 pointerHash,
        uint64 sourceTime
    );

    /// @notice A singly anchored record changed.
    /// @param recordId The record id.
    /// @param institution The owning institution.
    /// @param previousContentHash The fingerprint replaced.
    /// @param newContentHash The new fingerprint.
    /// @param newPointerHash The new pointer hash.
    /// @param newResidentRef The surviving resident reference of an IdentityMerge, zero otherwise.
    /// @param reason A `ChangeReason` code.
    /// @param changedAt When the change happened at the source.
    /// @param version The record's version after the change.
    event RecordChanged(
        bytes32 indexed recordId,
        address indexed institution,
        bytes32 previousContentHash,
        bytes32 newContentHash,
        bytes32 newPointerHash,
        bytes32 newResidentRef,
        uint8 reason,
        uint64 changedAt,
        uint32 version
    );

    /// @notice A batch root was anchored.
    /// @param batchId The sequential batch id (from 1).
    /// @param institution The anchoring institution.
    /// @param kind A `BatchKind` code.
    /// @param root The Merkle root (see `MerkleBatch`).
    /// @param leafCount Number of items in the batch.
    event BatchAnchored(
        uint256 indexed batchId,
        address indexed institution,
        uint8 kind,
        bytes32 root,
        uint32 leafCount
    );

    /// @notice An institution tried to anchor or change a record in another institution's name.
    error InstitutionMismatch(address expected, address given);
    /// @notice The record id is zero.
    error ZeroRecordId();
    /// @notice The resident reference of `recordId` is zero.
    error ZeroResidentRef(bytes32 recordId);
    /// @notice The category of `recordId` is zero.
    error ZeroCategory(bytes32 recordId);
    /// @notice The (new) content hash of `recordId` is zero.
    error ZeroContentHash(bytes32 recordId);
    /// @notice The (new) pointer hash of `recordId` is zero.
    error ZeroPointerHash(bytes32 recordId);
    /// @notice The schema version of `recordId` is zero.
    error ZeroSchemaVersion(bytes32 recordId);
    /// @notice `sourceTime` is zero or later than `latestAllowed` (block time plus `MAX_CLOCK_SKEW`).
    error InvalidSourceTime(bytes32 recordId, uint64 sourceTime, uint64 latestAllowed);
    /// @notice `changedAt` is zero or later than `latestAllowed` (block time plus `MAX_CLOCK_SKEW`).
    error InvalidChangeTime(bytes32 recordId, uint64 changedAt, uint64 latestAllowed);
    /// @notice `institution` has already anchored a record with this id.
    error RecordAlreadyAnchored(address institution, bytes32 recordId);
    /// @notice `institution` has anchored no record with this id singly.
    error RecordNotFound(address institution, bytes32 recordId);
    /// @notice The change was made against a fingerprint that is no longer the current one.
    error StaleContentHash(bytes32 recordId, bytes32 current, bytes32 given);
    /// @notice The new fingerprint equals the current one: nothing changed.
    error ContentHashUnchanged(bytes32 recordId, bytes32 contentHash);
    /// @notice An IdentityMerge needs a new, different resident reference; other changes none.
    error InvalidResidentRef(bytes32 recordId, uint8 reason, bytes32 newResidentRef);
    /// @notice An IdentityMerge or a Void (`reason`) must keep the current content and pointer hashes.
    error ContentMustNotChange(bytes32 recordId, uint8 reason);
    /// @notice The record was voided: it takes no further change.
    error RecordVoided(bytes32 recordId);
    /// @notice `reason` is not a `ChangeReason` code.
    error InvalidChangeReason(uint8 reason);
    /// @notice `kind` is not a `BatchKind` code.
    error InvalidBatchKind(uint8 kind);
    /// @notice The batch root is zero.
    error ZeroRoot();
    /// @notice The batch with this root has no items.
    error ZeroLeafCount(bytes32 root);
    /// @notice The caller's institution already anchored this root, as batch `existingBatchId`.
    error BatchAlreadyAnchored(bytes32 root, uint256 existingBatchId);

    /// @notice Binds the contract to the consortium registry for its whole life.
    /// @param registry_ The consortium registry that decides who may act as `DATA_PROVIDER`.
    constructor(IConsortiumRegistry registry_) ConsortiumGuarded(registry_) {}

    /// @notice Anchors the index of one record of the caller's institution.
    /// @dev Needs `Roles.DATA_PROVIDER`. Records are keyed by (institution, record id): an
    ///      institution anchors each of its record ids once (later versions go through
    ///      `recordChange`), and the same id anchored by another institution is another record.
    /// @param entry The index entry; `entry.institution` must be the caller's institution.
    function anchorRecord(IndexEntry calldata entry) external {
        address institution = _requireRole(Roles.DATA_PROVIDER);
        bytes32 recordId = entry.recordId;
        if (entry.institution != institution) revert InstitutionMismatch(institution, entry.institution);
        if (recordId == bytes32(0)) revert ZeroRecordId();
        if (entry.residentRef == bytes32(0)) revert ZeroResidentRef(recordId);
        if (entry.category == bytes32(0)) revert ZeroCategory(recordId);
        if (entry.contentHash == bytes32(0)) revert ZeroContentHash(recordId);
        if (entry.pointerHash == bytes32(0)) revert ZeroPointerHash(recordId);
        if (entry.schemaVersion == 0) revert ZeroSchemaVersion(recordId);
        uint64 latest = _latestAllowedTime();
        if (entry.sourceTime == 0 || entry.sourceTime > latest) {
            revert InvalidSourceTime(recordId, entry.sourceTime, latest);
        }
        Record storage record = _records[institution][recordId];
        if (record.institution != address(0)) revert RecordAlreadyAnchored(institution, recordId);

        record.institution = institution;
        record.anchoredAt = uint64(block.timestamp);
        record.schemaVersion = entry.schemaVersion;
        record.residentRef = entry.residentRef;
        record.category = entry.category;
        record.contentHash = entry.contentHash;
        record.pointerHash = entry.pointerHash;
        record.sourceTime = entry.sourceTime;
        record.version = 1;

        emit RecordAnchored(
            recordId,
            entry.residentRef,
            institution,
            entry.category,
            entry.contentHash,
            entry.schemaVersion,
            entry.pointerHash,
            entry.sourceTime
        );
    }

    /// @notice Records one change of a singly anchored record of the caller's institution.
    /// @dev Needs `Roles.DATA_PROVIDER`. The record is looked up under the caller's institution,
    ///      so an institution only ever changes its own records. `previousContentHash` must be the
    ///      current fingerprint, so that two concurrent changes cannot silently overwrite each
    ///      other. An IdentityMerge (the resident's records merged under one master index) moves
    ///      the record to `newResidentRef`; a Void ends the record for good. Both must keep the
    ///      current content and pointer hashes (`ContentMustNotChange`): a merge changes whose
    ///      record it is, not what it says, and a void keeps the last content as the evidence of
    ///      what was voided. Every other reason changes the content.
    /// @param change The change; `change.institution` must be the caller's institution.
    function recordChange(RecordChange calldata change) external {
        address institution = _requireRole(Roles.DATA_PROVIDER);
        bytes32 recordId = change.recordId;
        if (change.institution != institution) revert InstitutionMismatch(institution, change.institution);
        if (change.reason > uint8(type(ChangeReason).max)) revert InvalidChangeReason(change.reason);
        if (change.newContentHash == bytes32(0)) revert ZeroContentHash(recordId);
        if (change.newPointerHash == bytes32(0)) revert ZeroPointerHash(recordId);
        uint64 latest = _latestAllowedTime();
        if (change.changedAt == 0 || change.changedAt > latest) {
            revert InvalidChangeTime(recordId, change.changedAt, latest);
        }
        Record storage record = _records[institution][recordId];
        if (record.institution == address(0)) revert RecordNotFound(institution, recordId);
        bytes32 current = record.contentHash;
        if (change.previousContentHash != current) {
            revert StaleContentHash(recordId, current, change.previousContentHash);
        }
        if (record.voided) revert RecordVoided(recordId);
        bool merge = change.reason == uint8(ChangeReason.IdentityMerge);
        bool voiding = change.reason == uint8(ChangeReason.Void);
        if (merge ? change.newResidentRef == bytes32(0) || change.newResidentRef == record.residentRef : change.newResidentRef != bytes32(0)) {
            revert InvalidResidentRef(recordId, change.reason, change.newResidentRef);
        }
        if (merge || voiding) {
            if (change.newContentHash != current || change.newPointerHash != record.pointerHash) {
                revert ContentMustNotChange(recordId, change.reason);
            }
        } else if (change.newContentHash == current) {
            revert ContentHashUnchanged(recordId, current);
        }

        record.contentHash = change.newContentHash;
        record.pointerHash = change.newPointerHash;
        if (merge) record.residentRef = change.newResidentRef;
        if (voiding) record.voided = true;
        uint32 version = record.version + 1;
        record.version = version;

        _emitChanged(change, version);
    }

    /// @notice Anchors the Merkle root of a batch of the caller's institution's entries or changes.
    /// @dev Needs `Roles.DATA_PROVIDER`. An institution anchors a root once (a second anchoring
    ///      would make "which of its batches proves this item" ambiguous); roots are keyed by
    ///      (institution, root), so another institution anchoring the same root first blocks
    ///      nothing, and its batch never proves this institution's items (`verifyEntry`).
    /// @param kind A `BatchKind` code: 0 records (`entryItem`), 1 changes (`changeItem`).
    /// @param root The Merkle root over the items, per `MerkleBatch`.
    /// @param leafCount Number of items.
    /// @return batchId The new batch's id (sequential from 1).
    function anchorBatch(uint8 kind, bytes32 root, uint32 leafCount) external returns (uint256 batchId) {
        address institution = _requireRole(Roles.DATA_PROVIDER);
        if (kind > uint8(type(BatchKind).max)) revert InvalidBatchKind(kind);
        if (root == bytes32(0)) revert ZeroRoot();
        if (leafCount == 0) revert ZeroLeafCount(root);
        uint256 existing = _batchIdByRoot[institution][root];
        if (existing != 0) revert BatchAlreadyAnchored(root, existing);

        batchId = ++_batchCount;
        _batchIdByRoot[institution][root] = batchId;
        _batches[batchId] = Batch({
            root: root,
            institution: institution,
            kind: BatchKind(kind),
            leafCount: leafCount,
            anchoredAt: uint64(block.timestamp)
        });

        emit BatchAnchored(batchId, institution, kind, root, leafCount);
    }

    /// @notice The current state of a record `institution` anchored singly.
    /// @param institution The institution that anchored the record.
    /// @param recordId The record id.
    /// @return The record; all zero (institution zero) when `institution` anchored no such record
    ///         singly.
    function getRecord(address institution, bytes32 recordId) external view returns (Record memory) {
        return _records[institution][recordId];
    }

    /// @notice An anchored batch.
    /// @param batchId The batch id.
    /// @return The batch; all zero (root zero) when no such batch exists.
    function getBatch(uint256 batchId) external view returns (Batch memory) {
        return _batches[batchId];
    }

    /// @notice The id of the batch `institution` anchored with `root`.
    /// @param institution The anchoring institution.
    /// @param root A Merkle root.
    /// @return The batch id, or 0 when `institution` never anchored the root.
    function batchIdOf(address institution, bytes32 root) external view returns (uint256) {
        return _batchIdByRoot[institution][root];
    }

    /// @notice Number of batches anchored so far (also the id of the latest).
    /// @return The count.
    function batchCount() external view returns (uint256) {
        return _batchCount;
    }

    /// @notice The Merkle item of an index entry in a records batch.
    /// @param entry The index entry.
    /// @return keccak256(abi.encode(entry)).
    function entryItem(IndexEntry calldata entry) public pure returns (bytes32) {
        return keccak256(abi.encode(entry));
    }

    /// @notice The Merkle item of a change in a changes batch.
    /// @param change The change.
    /// @return keccak256(abi.encode(change)).
    function changeItem(RecordChange calldata change) public pure returns (bytes32) {
        return keccak256(abi.encode(change));
    }

    /// @notice Whether `entry` is item `index` of records batch `batchId` of the entry's institution.
    /// @param batchId The batch id.
    /// @param entry The index entry.
    /// @param index The entry's position in the batch.
    /// @param proof The inclusion proof (sibling nodes from the leaf up).
    /// @return False when the batch is unknown, holds changes, belongs to another institution, or
    ///         the proof fails.
    function verifyEntry(
        uint256 batchId,
        IndexEntry calldata entry,
        uint256 index,
        bytes32[] calldata proof
    ) external view returns (bool) {
        return _verifyItem(batchId, BatchKind.Records, entry.institution, entryItem(entry), index, proof);
    }

    /// @notice Whether `change` is item `index` of changes batch `batchId` of the change's institution.
    /// @param batchId The batch id.
    /// @param change The change.
    /// @param index The change's position in the batch.
    /// @param proof The inclusion proof (sibling nodes from the leaf up).
    /// @return False when the batch is unknown, holds records, belongs to another institution, or
    ///         the proof fails.
    function verifyChange(
        uint256 batchId,
        RecordChange calldata change,
        uint256 index,
        bytes32[] calldata proof
    ) external view returns (bool) {
        return _verifyItem(batchId, BatchKind.Changes, change.institution, changeItem(change), index, proof);
    }

    /// @notice Whether `entry` is exactly the current state of a not voided record that
    ///         `entry.institution` anchored singly.
    /// @dev The record is looked up under `entry.institution`. After a change the original entry
    ///      no longer matches: compare against the new contentHash and pointerHash.
    /// @param entry The index entry.
    /// @return True when every field equals the stored current state.
    function isAnchored(IndexEntry calldata entry) external view returns (bool) {
        // Found under entry.institution, so a record that exists belongs to it.
        Record storage record = _records[entry.institution][entry.recordId];
        return
            record.institution != address(0) &&
            !record.voided &&
            record.schemaVersion == entry.schemaVersion &&
            record.residentRef == entry.residentRef &&
            record.category == entry.category &&
            record.contentHash == entry.contentHash &&
            record.pointerHash == entry.pointerHash &&
            record.sourceTime == entry.sourceTime;
    }

    /// @dev A separate frame for the event's many fields (the caller's stack is full).
    ///      `previousContentHash` was checked to be the replaced fingerprint.
    function _emitChanged(RecordChange calldata change, uint32 version) private {
        emit RecordChanged(
            change.recordId,
            change.institution,
            change.previousContentHash,
            change.newContentHash,
            change.newPointerHash,
            change.newResidentRef,
            change.reason,
            change.changedAt,
            version
        );
    }

    /// @dev Latest acceptable source-side timestamp now.
    function _latestAllowedTime() private view returns (uint64) {
        return uint64(block.timestamp) + MAX_CLOCK_SKEW;
    }

    function _verifyItem(
        uint256 batchId,
        BatchKind kind,
        address institution,
        bytes32 item,
        uint256 index,
        bytes32[] calldata proof
    ) private view returns (bool) {
        Batch storage batch = _batches[batchId];
        // An unknown batch has a zero root and leafCount: MerkleBatch.verify returns false for it.
        if (batch.kind != kind || batch.institution != institution) return false;
        return MerkleBatch.verify(batch.root, batch.leafCount, item, index, proof);
    }
}

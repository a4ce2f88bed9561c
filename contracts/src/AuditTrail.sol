// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ConsortiumGuarded} from "./common/ConsortiumGuarded.sol";
import {MerkleBatch} from "./common/MerkleBatch.sol";
import {Purposes} from "./common/Purposes.sol";
import {Roles} from "./common/Roles.sol";
import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";

/// @title AuditTrail (业务审计 / 行为存证)
/// @notice Evidence of what was done with residents' data, verifiable from the outside:
///         - access evidence, one read or refused attempt at a time (`recordAccess`), or a whole
///           period of the detailed off-chain access log as one Merkle root over the SM3 hashes of
///           its lines (`recordAccessBatch`), so that "on-chain root + off-chain line + proof"
///           proves each line (`verifyAccessLine`);
///         - the administrative data-sharing workflow (application → multi-level approval →
///           compliance check → download), each step with its actor, decision and document hash.
///           Duties are separated: an `AUDIT_RECORDER` institution applies and records its own
///           downloads; approvals and compliance checks are recorded by a `SHARING_APPROVER`
///           institution (the approval office of the health authority or the platform) other than
///           the applicant.
///         Only references and hashes come on chain, never personal data. Access-log batch roots
///         are scoped by recorder: one recorder's batch never blocks or vouches for another's.
/// @dev External functions take `uint8` codes rather than enum parameters: the ABI decoder rejects an
///      out-of-range enum with an empty revert, and callers deserve a typed error with the bad code.
contract AuditTrail is ConsortiumGuarded {
    /// @notice Result of an access attempt. Codes as carried in `AccessEvidence.outcome`.
    enum AccessOutcome {
        Granted, // 0 data was returned under a grant
        Refused // 1 the attempt was refused: evidence too
    }

    /// @notice Steps of the data-sharing workflow, as emitted in `WorkflowStepRecorded.step`.
    enum WorkflowStep {
        Application, // 0 申请
        Approval, // 1 审批 (one per level)
        ComplianceCheck, // 2 合规检查
        Download // 3 下载
    }

    /// @notice Decisions, as emitted in `WorkflowStepRecorded.decision`.
    enum Decision {
        None, // 0 the step takes no decision (application, download)
        Approved, // 1 approved / compliance passed
        Rejected // 2 rejected / compliance failed: closes the workflow
    }

    /// @notice Where a workflow stands, as returned in `Workflow.status`.
    enum WorkflowStatus {
        None, // 0 no such workflow
        Approving, // 1 waiting for approval level `approvals + 1`
        Approved, // 2 all levels approved, waiting for the compliance check
        Cleared, // 3 compliance passed: downloads may be recorded
        Rejected, // 4 closed: an approval level rejected it
        NonCompliant // 5 closed: the compliance check failed
    }

    /// @notice One access to (or refused attempt at) a resident's record.
    struct AccessEvidence {
        bytes32 accessor; // the doctor's or institution's account as bytes32, or a research project id
        bytes32 residentRef; // salted hash of the resident
        bytes32 recordId; // the record read (see `DataIndex`)
        bytes32[] fields; // the fields returned (Granted) or asked for (Refused)
        uint8 purpose; // a `Purposes` code
        bytes32 grantId; // the consent grant relied on; may be zero when Refused
        uint64 accessedAt; // when the gateway served or refused the read (unix seconds)
        uint8 outcome; // an `AccessOutcome` code
    }

    /// @notice What is kept of one piece of access evidence: its hash; the detail is in the event.
    struct EvidenceRecord {
        bytes32 evidenceHash; // `evidenceHash(e)`; zero: no such evidence
        address recorder; // the institution that recorded it
        uint64 recordedAt; // block time
    }

    /// @notice A period of the off-chain access log, anchored as one Merkle root.
    struct AccessBatch {
        bytes32 root; // zero: no such batch
        address recorder; // the institution that recorded it
        uint32 lineCount;
        uint64 fromTime; // first access time covered (unix seconds)
        uint64 toTime; // last access time covered (unix seconds)
        uint64 recordedAt; // block time
    }

    /// @notice A data-sharing workflow.
    struct Workflow {
        bytes32 applicant; // the applicant's account as bytes32, or a project id
        bytes32 applicationHash; // SM3 of the application document
        address institution; // the applicant institution: recorded the application, records downloads
        uint64 appliedAt; // block time of the application
        uint8 requiredApprovals; // number of approval levels, 1..MAX_APPROVAL_LEVELS
        uint8 approvals; // levels approved so far
        WorkflowStatus status;
        uint32 downloads; // downloads recorded so far
    }

    /// @notice How far ahead of the block time a gateway-side timestamp may be: clocks drift apart
    ///         by seconds to minutes, never by more.
    uint64 public constant MAX_CLOCK_SKEW = 15 minutes;
    /// @notice Most fields one piece of access evidence may list: a record's field set is far
    ///         smaller, and the bound keeps the event and the hash cheap.
    uint256 public constant MAX_FIELDS = 64;
    /// @notice Most approval levels a workflow may require.
    uint8 public constant MAX_APPROVAL_LEVELS = 8;

    mapping(uint256 evidenceId => EvidenceRecord) private _evidence;
    uint256 private _evidenceCount;
    mapping(uint256 batchId => AccessBatch) private _accessBatches;
    mapping(address recorder => mapping(bytes32 root => uint256 batchId)) private _accessBatchIdByRoot;
    uint256 private _accessBatchCount;
    mapping(bytes32 workflowId => Workflow) private _workflows;

    /// @notice Access evidence was recorded.
    /// @param evidenceId The sequential evidence id (from 1).
    /// @param accessor Who accessed.
    /// @param residentRef Salted hash of the resident.
    /// @param recordId The record accessed.
    /// @param fields The fields returned or asked for.
    /// @param purpose A `Purposes` code.
    /// @param grantId The consent grant relied on (zero possible when refused).
    /// @param accessedAt When the access happened.
    /// @param outcome An `AccessOutcome` code.
    /// @param recorder The institution that recorded the evidence.
    event AccessRecorded(
        uint256 indexed evidenceId,
        bytes32 indexed accessor,
        bytes32 indexed residentRef,
        bytes32 recordId,
        bytes32[] fields,
        uint8 purpose,
        bytes32 grantId,
        uint64 accessedAt,
        uint8 outcome,
        address recorder
    );

    /// @notice A period of the access log was anchored.
    /// @param batchId The sequential batch id (from 1).
    /// @param recorder The institution that recorded it.
    /// @param root The Merkle root over the lines' SM3 hashes (see `MerkleBatch`).
    /// @param lineCount Number of log lines.
    /// @param fromTime First access time covered.
    /// @param toTime Last access time covered.
    event AccessBatchRecorded(
        uint256 indexed batchId,
        address indexed recorder,
        bytes32 root,
        uint32 lineCount,
        uint64 fromTime,
        uint64 toTime
    );

    /// @notice A step of a data-sharing workflow was recorded.
    /// @param workflowId The workflow id.
    /// @param step A `WorkflowStep` code: 0 application, 1 approval, 2 compliance check, 3 download.
    /// @param decision A `Decision` code: 0 none (application, download), 1 approved/passed,
    ///        2 rejected/failed.
    /// @param actor The applicant, approver, checker or downloader.
    /// @param documentHash The application, opinion, compliance report or package hash.
    /// @param level The approval level (1..8) for approvals, 0 for the other steps.
    /// @param institution The institution that recorded the step.
    /// @param timestamp Block time of the step.
    event WorkflowStepRecorded(
        bytes32 indexed workflowId,
        uint8 step,
        uint8 decision,
        bytes32 indexed actor,
        bytes32 documentHash,
        uint8 level,
        address institution,
        uint64 timestamp
    );

    /// @notice The accessor is zero.
    error ZeroAccessor();
    /// @notice The resident reference is zero.
    error ZeroResidentRef();
    /// @notice The record id is zero.
    error ZeroRecordId();
    /// @notice `outcome` is not an `AccessOutcome` code.
    error InvalidOutcome(uint8 outcome);
    /// @notice A granted access names no grant.
    error MissingGrantId(bytes32 recordId);
    /// @notice A granted access lists no fields.
    error NoFields(bytes32 recordId);
    /// @notice The evidence lists `count` fields, more than `max`.
    error TooManyFields(uint256 count, uint256 max);
    /// @notice `accessedAt` is zero or later than `latestAllowed` (block time plus `MAX_CLOCK_SKEW`).
    error InvalidAccessTime(uint64 accessedAt, uint64 latestAllowed);
    /// @notice The access-log batch root is zero.
    error ZeroRoot();
    /// @notice The access-log batch with this root has no lines.
    error ZeroLineCount(bytes32 root);
    /// @notice The period is empty-ended or reversed: `fromTime` is zero or after `toTime`.
    error InvalidTimeRange(uint64 fromTime, uint64 toTime);
    /// @notice The period ends later than `latestAllowed` (block time plus `MAX_CLOCK_SKEW`).
    error TimeRangeInFuture(uint64 toTime, uint64 latestAllowed);
    /// @notice The caller's institution already recorded this root, as access batch `existingBatchId`.
    error AccessBatchAlreadyRecorded(bytes32 root, uint256 existingBatchId);
    /// @notice The workflow id is zero.
    error ZeroWorkflowId();
    /// @notice A workflow with this id already exists.
    error WorkflowExists(bytes32 workflowId);
    /// @notice No workflow with this id exists.
    error WorkflowNotFound(bytes32 workflowId);
    /// @notice The workflow was closed by a rejection or a failed compliance check (`status`).
    error WorkflowClosed(bytes32 workflowId, uint8 status);
    /// @notice `requiredApprovals` is outside 1..`MAX_APPROVAL_LEVELS`.
    error InvalidRequiredApprovals(uint8 requiredApprovals);
    /// @notice The actor of a step of `workflowId` is zero.
    error ZeroActor(bytes32 workflowId);
    /// @notice The document hash of a step of `workflowId` is zero.
    error ZeroDocumentHash(bytes32 workflowId);
    /// @notice Approval levels are recorded in order: `expected` is next, `given` was offered.
    error ApprovalOutOfOrder(bytes32 workflowId, uint8 expected, uint8 given);
    /// @notice All `requiredApprovals` levels are already approved.
    error ApprovalsAlreadyComplete(bytes32 workflowId, uint8 requiredApprovals);
    /// @notice The compliance check needs all approvals: `have` of `need`.
    error ApprovalsIncomplete(bytes32 workflowId, uint8 have, uint8 need);
    /// @notice The compliance check of this workflow has already passed.
    error ComplianceAlreadyChecked(bytes32 workflowId);
    /// @notice A download needs a passed compliance check; the workflow is at `status`.
    error ComplianceNotPassed(bytes32 workflowId, uint8 status);
    /// @notice `institution` applied for `workflowId` itself: it may not approve or check it.
    error SelfApproval(bytes32 workflowId, address institution);
    /// @notice Only the applicant institution `applicant` records downloads of `workflowId`;
    ///         `caller` is the institution the caller acts for.
    error NotApplicant(bytes32 workflowId, address applicant, address caller);

    /// @notice Binds the contract to the consortium registry for its whole life.
    /// @param registry_ The consortium registry that decides who may act as `AUDIT_RECORDER` or
    ///        `SHARING_APPROVER`.
    constructor(IConsortiumRegistry registry_) ConsortiumGuarded(registry_) {}

    // ---------------------------------------------------------------- access evidence

    /// @notice Records one access to, or refused attempt at, a resident's record.
    /// @dev Needs `Roles.AUDIT_RECORDER`. Only the hash is stored; the detail is in the event, so
    ///      the mirror has it and anyone holding it can check it with `verifyEvidence`.
    /// @param e The evidence.
    /// @return evidenceId The new evidence id (sequential from 1).
    function recordAccess(AccessEvidence calldata e) external returns (uint256 evidenceId) {
        address recorder = _requireRole(Roles.AUDIT_RECORDER);
        _checkEvidence(e);

        evidenceId = ++_evidenceCount;
        _evidence[evidenceId] = EvidenceRecord({
            evidenceHash: evidenceHash(e),
            recorder: recorder,
            recordedAt: uint64(block.timestamp)
        });

        emit AccessRecorded(
            evidenceId,
            e.accessor,
            e.residentRef,
            e.recordId,
            e.fields,
            e.purpose,
            e.grantId,
            e.accessedAt,
            e.outcome,
            recorder
        );
    }

    /// @notice Anchors a period of the detailed off-chain access log as one Merkle root.
    /// @dev Needs `Roles.AUDIT_RECORDER`. Items are the SM3 hashes of the log lines, in log order.
    ///      A recorder records a root once (a second recording would make "which of its batches
    ///      proves this line" ambiguous); roots are keyed by (recorder, root), so another
    ///      institution recording the same root first blocks nothing, and its batch never proves
    ///      this recorder's lines (`verifyAccessLine`).
    /// @param root The Merkle root over the lines' hashes, per `MerkleBatch`.
    /// @param lineCount Number of lines.
    /// @param fromTime First access time covered (unix seconds).
    /// @param toTime Last access time covered (unix seconds).
    /// @return batchId The new batch id (sequential from 1).
    function recordAccessBatch(
        bytes32 root,
        uint32 lineCount,
        uint64 fromTime,
        uint64 toTime
    ) external returns (uint256 batchId) {
        address recorder = _requireRole(Roles.AUDIT_RECORDER);
        if (root == bytes32(0)) revert ZeroRoot();
        if (lineCount == 0) revert ZeroLineCount(root);
        if (fromTime == 0 || fromTime > toTime) revert InvalidTimeRange(fromTime, toTime);
        uint64 latest = _latestAllowedTime();
        if (toTime > latest) revert TimeRangeInFuture(toTime, latest);
        uint256 existing = _accessBatchIdByRoot[recorder][root];
        if (existing != 0) revert AccessBatchAlreadyRecorded(root, existing);

        batchId = ++_accessBatchCount;
        _accessBatchIdByRoot[recorder][root] = batchId;
        _accessBatches[batchId] = AccessBatch({
            root: root,
            recorder: recorder,
            lineCount: lineCount,
            fromTime: fromTime,
            toTime: toTime,
            recordedAt: uint64(block.timestamp)
        });

        emit AccessBatchRecorded(batchId, recorder, root, lineCount, fromTime, toTime);
    }

    /// @notice The hash under which access evidence is stored.
    /// @param e The evidence.
    /// @return keccak256(abi.encode(e)).
    function evidenceHash(AccessEvidence calldata e) public pure returns (bytes32) {
        return keccak256(abi.encode(e));
    }

    /// @notice Whether `e` is exactly the evidence recorded as `evidenceId`.
    /// @param evidenceId The evidence id.
    /// @param e The evidence presented.
    /// @return False when the id is unknown or any field differs.
    function verifyEvidence(uint256 evidenceId, AccessEvidence calldata e) external view returns (bool) {
        bytes32 stored = _evidence[evidenceId].evidenceHash;
        return stored != bytes32(0) && stored == evidenceHash(e);
    }

    /// @notice Whether `lineHash` is line `index` of access-log batch `batchId`, recorded by
    ///         `recorder`.
    /// @param batchId The access-log batch id.
    /// @param recorder The institution whose log line it is claimed to be.
    /// @param lineHash SM3 hash of the log line.
    /// @param index The line's position in the batch.
    /// @param proof The inclusion proof (sibling nodes from the leaf up).
    /// @return False when the batch is unknown, was recorded by another institution, or the proof
    ///         fails.
    function verifyAccessLine(
        uint256 batchId,
        address recorder,
        bytes32 lineHash,
        uint256 index,
        bytes32[] calldata proof
    ) external view returns (bool) {
        AccessBatch storage batch = _accessBatches[batchId];
        if (batch.recorder != recorder) return false;
        // An unknown batch has lineCount zero, for which MerkleBatch.verify returns false.
        return MerkleBatch.verify(batch.root, batch.lineCount, lineHash, index, proof);
    }

    /// @notice What is stored of access evidence `evidenceId`.
    /// @param evidenceId The evidence id.
    /// @return The record; all zero when unknown.
    function getEvidence(uint256 evidenceId) external view returns (EvidenceRecord memory) {
        return _evidence[evidenceId];
    }

    /// @notice Number of pieces of access evidence recorded (also the latest id).
    /// @return The count.
    function evidenceCount() external view returns (uint256) {
        return _evidenceCount;
    }

    /// @notice An access-log batch.
    /// @param batchId The batch id.
    /// @return The batch; all zero (root zero) when unknown.
    function getAccessBatch(uint256 batchId) external view returns (AccessBatch memory) {
        return _accessBatches[batchId];
    }

    /// @notice The id of the access-log batch `recorder` recorded with `root`.
    /// @param recorder The recording institution.
    /// @param root A Merkle root.
    /// @return The batch id, or 0 when `recorder` never recorded the root.
    function accessBatchIdOf(address recorder, bytes32 root) external view returns (uint256) {
        return _accessBatchIdByRoot[recorder][root];
    }

    /// @notice Number of access-log batches recorded (also the latest id).
    /// @return The count.
    function accessBatchCount() external view returns (uint256) {
        return _accessBatchCount;
    }

    // ---------------------------------------------------------------- data-sharing workflow

    /// @notice Records a data-sharing application, opening its workflow.
    /// @dev Needs `Roles.AUDIT_RECORDER`. The caller's institution becomes the workflow's applicant
    ///      institution (`Workflow.institution`): it alone records the downloads, and it never
    ///      approves or checks the workflow itself.
    /// @param workflowId A fresh, non-zero workflow id.
    /// @param applicant The applicant's account as bytes32, or a project id.
    /// @param applicationHash SM3 of the application document.
    /// @param requiredApprovals Number of approval levels, 1..`MAX_APPROVAL_LEVELS`.
    function applyForSharing(
        bytes32 workflowId,
        bytes32 applicant,
        bytes32 applicationHash,
        uint8 requiredApprovals
    ) external {
        address institution = _requireRole(Roles.AUDIT_RECORDER);
        if (workflowId == bytes32(0)) revert ZeroWorkflowId();
        _checkStep(workflowId, applicant, applicationHash);
        if (requiredApprovals == 0 || requiredApprovals > MAX_APPROVAL_LEVELS) {
            revert InvalidRequiredApprovals(requiredApprovals);
        }
        Workflow storage workflow = _workflows[workflowId];
        if (workflow.status != WorkflowStatus.None) revert WorkflowExists(workflowId);

        workflow.applicant = applicant;
        workflow.applicationHash = applicationHash;
        workflow.institution = institution;
        workflow.appliedAt = uint64(block.timestamp);
        workflow.requiredApprovals = requiredApprovals;
        workflow.status = WorkflowStatus.Approving;

        _emitStep(workflowId, WorkflowStep.Application, Decision.None, applicant, applicationHash, 0, institution);
    }

    /// @notice Records one approval level's decision; a rejection closes the workflow.
    /// @dev Needs `Roles.SHARING_APPROVER`, held by an institution other than the applicant
    ///      institution (`SelfApproval`). Levels are recorded strictly in order 1, 2, ...
    /// @param workflowId The workflow id.
    /// @param level The approval level, the next one due.
    /// @param approver The approver's account as bytes32.
    /// @param approved Whether this level approved.
    /// @param opinionHash SM3 of the approval opinion.
    function recordApproval(
        bytes32 workflowId,
        uint8 level,
        bytes32 approver,
        bool approved,
        bytes32 opinionHash
    ) external {
        address institution = _requireRole(Roles.SHARING_APPROVER);
        _checkStep(workflowId, approver, opinionHash);
        Workflow storage workflow = _openWorkflow(workflowId);
        if (workflow.institution == institution) revert SelfApproval(workflowId, institution);
        if (workflow.status != WorkflowStatus.Approving) {
            revert ApprovalsAlreadyComplete(workflowId, workflow.requiredApprovals);
        }
        uint8 expected = workflow.approvals + 1;
        if (level != expected) revert ApprovalOutOfOrder(workflowId, expected, level);

        if (!approved) {
            workflow.status = WorkflowStatus.Rejected;
        } else {
            workflow.approvals = expected;
            if (expected == workflow.requiredApprovals) workflow.status = WorkflowStatus.Approved;
        }

        _emitStep(workflowId, WorkflowStep.Approval, _decision(approved), approver, opinionHash, level, institution);
    }

    /// @notice Records the compliance check of a fully approved workflow; a failure closes it.
    /// @dev Needs `Roles.SHARING_APPROVER`, held by an institution other than the applicant
    ///      institution (`SelfApproval`).
    /// @param workflowId The workflow id.
    /// @param checker The checker's account as bytes32.
    /// @param passed Whether the check passed.
    /// @param reportHash SM3 of the compliance report.
    function recordComplianceCheck(bytes32 workflowId, bytes32 checker, bool passed, bytes32 reportHash) external {
        address institution = _requireRole(Roles.SHARING_APPROVER);
        _checkStep(workflowId, checker, reportHash);
        Workflow storage workflow = _openWorkflow(workflowId);
        if (workflow.institution == institution) revert SelfApproval(workflowId, institution);
        WorkflowStatus status = workflow.status;
        if (status == WorkflowStatus.Approving) {
            revert ApprovalsIncomplete(workflowId, workflow.approvals, workflow.requiredApprovals);
        }
        if (status == WorkflowStatus.Cleared) revert ComplianceAlreadyChecked(workflowId);

        workflow.status = passed ? WorkflowStatus.Cleared : WorkflowStatus.NonCompliant;

        _emitStep(workflowId, WorkflowStep.ComplianceCheck, _decision(passed), checker, reportHash, 0, institution);
    }

    /// @notice Records a download of the shared package. Repeatable: every download is evidence.
    /// @dev Needs `Roles.AUDIT_RECORDER`, an account of the applicant institution (`NotApplicant`)
    ///      and a passed compliance check.
    /// @param workflowId The workflow id.
    /// @param downloader The downloader's account as bytes32.
    /// @param packageHash SM3 of the package downloaded.
    function recordDownload(bytes32 workflowId, bytes32 downloader, bytes32 packageHash) external {
        address institution = _requireRole(Roles.AUDIT_RECORDER);
        _checkStep(workflowId, downloader, packageHash);
        Workflow storage workflow = _openWorkflow(workflowId);
        address applicant = workflow.institution;
        if (applicant != institution) revert NotApplicant(workflowId, applicant, institution);
        if (workflow.status != WorkflowStatus.Cleared) {
            revert ComplianceNotPassed(workflowId, uint8(workflow.status));
        }

        ++workflow.downloads;

        _emitStep(workflowId, WorkflowStep.Download, Decision.None, downloader, packageHash, 0, institution);
    }

    /// @notice A data-sharing workflow.
    /// @param workflowId The workflow id.
    /// @return The workflow; all zero (status 0) when unknown.
    function getWorkflow(bytes32 workflowId) external view returns (Workflow memory) {
        return _workflows[workflowId];
    }

    // ---------------------------------------------------------------- internals

    function _checkEvidence(AccessEvidence calldata e) private view {
        if (e.accessor == bytes32(0)) revert ZeroAccessor();
        if (e.residentRef == bytes32(0)) revert ZeroResidentRef();
        if (e.recordId == bytes32(0)) revert ZeroRecordId();
        Purposes.check(e.purpose);
        if (e.outcome > uint8(type(AccessOutcome).max)) revert InvalidOutcome(e.outcome);
        uint256 fieldCount = e.fields.length;
        if (fieldCount > MAX_FIELDS) revert TooManyFields(fieldCount, MAX_FIELDS);
        if (e.outcome == uint8(AccessOutcome.Granted)) {
            // A granted read rests on a grant and returns something; a refusal may have neither.
            if (e.grantId == bytes32(0)) revert MissingGrantId(e.recordId);
            if (fieldCount == 0) revert NoFields(e.recordId);
        }
        uint64 latest = _latestAllowedTime();
        if (e.accessedAt == 0 || e.accessedAt > latest) revert InvalidAccessTime(e.accessedAt, latest);
    }

    /// @dev Checks shared by every workflow step.
    function _checkStep(bytes32 workflowId, bytes32 actor, bytes32 documentHash) private pure {
        if (actor == bytes32(0)) revert ZeroActor(workflowId);
        if (documentHash == bytes32(0)) revert ZeroDocumentHash(workflowId);
    }

    /// @dev The workflow, which must exist and still be open.
    function _openWorkflow(bytes32 workflowId) private view returns (Workflow storage workflow) {
        workflow = _workflows[workflowId];
        WorkflowStatus status = workflow.status;
        if (status == WorkflowStatus.None) revert WorkflowNotFound(workflowId);
        if (status == WorkflowStatus.Rejected || status == WorkflowStatus.NonCompliant) {
            revert WorkflowClosed(workflowId, uint8(status));
        }
    }

    function _emitStep(
        bytes32 workflowId,
        WorkflowStep step,
        Decision decision,
        bytes32 actor,
        bytes32 documentHash,
        uint8 level,
        address institution
    ) private {
        emit WorkflowStepRecorded(
            workflowId,
            uint8(step),
            uint8(decision),
            actor,
            documentHash,
            level,
            institution,
            uint64(block.timestamp)
        );
    }

    function _decision(bool approved) private pure returns (Decision) {
        return approved ? Decision.Approved : Decision.Rejected;
    }

    /// @dev Latest acceptable gateway-side timestamp now.
    function _latestAllowedTime() private view returns (uint64) {
        return uint64(block.timestamp) + MAX_CLOCK_SKEW;
    }
}

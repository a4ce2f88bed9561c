// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";

/// @title ConsortiumRegistry (联盟管理)
/// @notice The consortium's membership, roles, alliances (医联体 and other business alliances),
///         node and account allowlists, and the versioned directory of the suite's contracts.
///         Every change is made by a member vote: a proposal passes when the yes votes of active
///         members reach `thresholdBps` of the active members counted when it was made, before its
///         deadline. The proposer's own yes vote counts; the passing vote executes the change.
///         A member never votes on its own status: a proposal to change an active member's status
///         counts its voters, and the votes it needs, over the other active members, so that no
///         member can block its own suspension (see `requiredStatusVotes`).
///         No change may leave the chain without a validator once it has one (see `validatorCount`).
/// @dev Governance is done by an institution's primary account (its own address); the extra
///      accounts on the allowlist act for the institution in business roles only.
contract ConsortiumRegistry is IConsortiumRegistry {
    using EnumerableSet for EnumerableSet.AddressSet;
    using EnumerableSet for EnumerableSet.Bytes32Set;

    // ---------------------------------------------------------------- codes

    /// @notice Institution kinds: 0 district health authority (卫健委), 1 hospital, 2 community health
    ///         centre, 3 EQA centre (临检中心), 4 research institute, 5 auditor, 6 platform operator.
    uint8 public constant INSTITUTION_KIND_COUNT = 7;
    /// @notice Member status codes. A member is admitted Active; Active and Suspended alternate;
    ///         Exited is final.
    ///         `STATUS_NONE` (0): never admitted, not a member.
    uint8 public constant STATUS_NONE = 0;
    /// @notice Member status 1, active: its accounts may transact, it holds its roles and votes.
    uint8 public constant STATUS_ACTIVE = 1;
    /// @notice Member status 2, suspended: kept in the registry but may neither act nor vote until
    ///         a vote reactivates it.
    uint8 public constant STATUS_SUSPENDED = 2;
    /// @notice Member status 3, exited: final; it has left every alliance and may never act again.
    uint8 public constant STATUS_EXITED = 3;
    /// @notice Alliance kinds: 0 medical alliance (医联体), 1 county/district medical community
    ///         (医共体), 2 specialist alliance (专科联盟), 3 research alliance, 4 other.
    uint8 public constant ALLIANCE_KIND_COUNT = 5;
    /// @notice Bounds of the governance settings: the shortest voting period, in seconds.
    uint64 public constant MIN_VOTING_PERIOD = 1 hours;
    /// @notice Bounds of the governance settings: the longest voting period, in seconds.
    uint64 public constant MAX_VOTING_PERIOD = 90 days;
    /// @notice Most roles granted in one change, to keep every loop bounded.
    uint256 public constant MAX_ROLES = 16;

    /// @notice What a proposal changes.
    enum Action {
        AddMember,
        SetMemberStatus,
        SetMemberRoles,
        AddAccount,
        RemoveAccount,
        AddNode,
        RemoveNode,
        CreateAlliance,
        JoinAlliance,
        LeaveAlliance,
        SetGovernance,
        RegisterContract
    }

    /// @notice Where a proposal stands.
    enum ProposalState {
        None,
        Pending,
        Executed,
        Rejected,
        Expired
    }

    /// @notice A founding member given at deployment.
    struct FoundingMember {
        address institution;
        uint8 kind;
        string name;
        bytes32[] roles;
    }

    struct Member {
        uint8 kind;
        uint8 status;
        uint64 joinedAt;
        // Allowlisted validator nodes it operates; they count in `validatorCount` while it is active.
        uint32 validatorNodes;
        // Proposals numbered up to this one were made before the member joined or was last
        // reactivated: it was not counted among their voters, so it may not vote on them.
        uint256 votesFromProposal;
        string name;
    }

    struct Node {
        address institution;
        bool validator;
        uint64 addedAt;
        bytes publicKey;
    }

    struct Alliance {
        uint8 kind;
        address lead;
        uint64 createdAt;
        string name;
        EnumerableSet.AddressSet members;
    }

    /// @notice One registered version of a contract of the suite.
    struct ContractVersion {
        address deployment;
        uint32 version;
        uint64 registeredAt;
    }

    /// @notice A proposal as stored; `params` is the ABI encoding of the action's arguments.
    struct Proposal {
        Action action;
        address proposer;
        uint64 createdAt;
        uint64 deadline;
        uint32 eligible;
        uint32 required;
        uint32 yes;
        uint32 no;
        bool executed;
        bool rejected;
        bytes params;
    }

    // ---------------------------------------------------------------- state

    /// @notice Share of the active members whose yes votes pass a proposal, in basis points.
    uint16 public thresholdBps;
    /// @notice How long a proposal stays open, in seconds.
    uint64 public votingPeriod;
    /// @notice Number of proposals made; proposal ids run from 1.
    uint256 public proposalCount;
    /// @notice Number of members whose status is active.
    uint256 public activeMemberCount;
    /// @notice Number of validators: allowlisted validator nodes whose operators are active, the
    ///         length of `validators()`. Once it is at least one, no change may bring it to zero:
    ///         a BFT chain without validators could never produce the block that undoes the change.
    uint256 public validatorCount;

    mapping(address institution => Member) private _members;
    EnumerableSet.AddressSet private _memberSet;
    mapping(address institution => EnumerableSet.Bytes32Set) private _roles;
    mapping(address account => address institution) private _accountInstitution;
    EnumerableSet.AddressSet private _accountSet;
    mapping(address node => Node) private _nodes;
    EnumerableSet.AddressSet private _nodeSet;
    mapping(bytes32 allianceId => Alliance) private _alliances;
    EnumerableSet.Bytes32Set private _allianceSet;
    mapping(address institution => EnumerableSet.Bytes32Set) private _memberAlliances;
    mapping(bytes32 name => ContractVersion[]) private _contractVersions;
    EnumerableSet.Bytes32Set private _contractNames;
    mapping(uint256 proposalId => Proposal) private _proposals;
    mapping(uint256 proposalId => mapping(address voter => bool)) private _voted;

    // ---------------------------------------------------------------- events

    /// @notice A member institution was admitted.
    /// @param institution The new member's primary account, which identifies it.
    /// @param kind Its institution kind code.
    /// @param name Its registered name.
    /// @param roles The roles granted on admission.
    event MemberAdded(address indexed institution, uint8 kind, string name, bytes32[] roles);
    /// @notice A member's status changed.
    /// @param institution The member.
    /// @param previousStatus Its status code before the change.
    /// @param status Its status code from now on.
    event MemberStatusChanged(address indexed institution, uint8 previousStatus, uint8 status);
    /// @notice A member's roles were replaced.
    /// @param institution The member.
    /// @param roles Its complete set of roles from now on.
    event MemberRolesChanged(address indexed institution, bytes32[] roles);
    /// @notice An account was put on the allowlist, acting for `institution`.
    /// @param account The allowlisted account.
    /// @param institution The member it acts for (itself for a member's primary account).
    event AccountAllowed(address indexed account, address indexed institution);
    /// @notice An account was taken off the allowlist.
    /// @param account The account taken off.
    /// @param institution The member it acted for.
    event AccountRemoved(address indexed account, address indexed institution);
    /// @notice A node was put on the node allowlist.
    /// @param node The node's address, derived from its public key.
    /// @param institution The member operating the node.
    /// @param validator Whether it takes part in consensus (else an observer node).
    /// @param publicKey Its secp256k1 public key (64 bytes, X ‖ Y).
    event NodeAdded(address indexed node, address indexed institution, bool validator, bytes publicKey);
    /// @notice A node was taken off the node allowlist.
    /// @param node The node's address.
    /// @param institution The member that operated it.
    /// @param validator Whether it was a validator.
    event NodeRemoved(address indexed node, address indexed institution, bool validator);
    /// @notice An alliance was created.
    /// @param allianceId The alliance's id.
    /// @param kind Its alliance kind code.
    /// @param lead The leading institution, also its first member.
    /// @param name Its name.
    event AllianceCreated(bytes32 indexed allianceId, uint8 kind, address indexed lead, string name);
    /// @notice An institution joined an alliance.
    /// @param allianceId The alliance.
    /// @param institution The joining member.
    event AllianceJoined(bytes32 indexed allianceId, address indexed institution);
    /// @notice An institution left an alliance.
    /// @param allianceId The alliance.
    /// @param institution The leaving member.
    event AllianceLeft(bytes32 indexed allianceId, address indexed institution);
    /// @notice An alliance's lead exited the consortium; the alliance has no lead from now on.
    /// @param allianceId The alliance.
    /// @param formerLead The exited institution that led it.
    event AllianceLeadCleared(bytes32 indexed allianceId, address indexed formerLead);
    /// @notice The governance settings changed.
    /// @param thresholdBps Share of active members whose yes votes pass a proposal, in basis points.
    /// @param votingPeriod How long a proposal stays open from now on, in seconds.
    event GovernanceChanged(uint16 thresholdBps, uint64 votingPeriod);
    /// @notice A version of a contract of the suite was registered in the directory.
    /// @param name The contract's name in the directory.
    /// @param deployment The registered deployment.
    /// @param version Its version number (from 1).
    event ContractRegistered(bytes32 indexed name, address indexed deployment, uint32 version);
    /// @notice A proposal was made.
    /// @param proposalId The new proposal's id.
    /// @param proposer The member that made it (its yes vote follows, unless it proposes its own exit:
    ///        a member never votes on its own status).
    /// @param action What it changes.
    /// @param params The ABI encoding of the action's arguments.
    /// @param deadline The last moment it can pass.
    /// @param required Yes votes it needs to pass, of the members counted as its voters.
    event ProposalCreated(
        uint256 indexed proposalId,
        address indexed proposer,
        Action action,
        bytes params,
        uint64 deadline,
        uint32 required
    );
    /// @notice A member voted.
    /// @param proposalId The proposal.
    /// @param voter The voting member.
    /// @param support True for yes, false for no.
    /// @param yes The proposal's yes votes so far, this one included.
    /// @param no The proposal's no votes so far, this one included.
    event VoteCast(uint256 indexed proposalId, address indexed voter, bool support, uint32 yes, uint32 no);
    /// @notice A proposal passed and its change was made.
    /// @param proposalId The proposal.
    /// @param action The change made (its own events follow).
    event ProposalExecuted(uint256 indexed proposalId, Action action);
    /// @notice A proposal can no longer pass.
    /// @param proposalId The proposal: its no votes leave too few eligible voters to reach `required`.
    event ProposalRejected(uint256 indexed proposalId);

    // ---------------------------------------------------------------- errors

    /// @notice The consortium was deployed without founding members.
    error NoFoundingMembers();
    /// @notice `thresholdBps` is outside 1..10000.
    error InvalidThreshold(uint16 thresholdBps);
    /// @notice `votingPeriod` is outside `MIN_VOTING_PERIOD`..`MAX_VOTING_PERIOD`.
    error InvalidVotingPeriod(uint64 votingPeriod);
    /// @notice The institution's address is zero.
    error InvalidInstitution(address institution);
    /// @notice `kind` is not an institution kind code (see `INSTITUTION_KIND_COUNT`).
    error InvalidInstitutionKind(uint8 kind);
    /// @notice A member or alliance name is empty.
    error EmptyName();
    /// @notice A role id is zero.
    error InvalidRole(bytes32 role);
    /// @notice `count` roles were given, more than `max`.
    error TooManyRoles(uint256 count, uint256 max);
    /// @notice `role` appears twice in one list.
    error DuplicateRole(bytes32 role);
    /// @notice `institution` is or was a member (an exited member is never re-admitted).
    error MemberAlreadyExists(address institution);
    /// @notice `institution` is not a current member (never admitted, or exited).
    error MemberNotFound(address institution);
    /// @notice A member's status may not go from `from` to `to`.
    error InvalidStatusTransition(address institution, uint8 from, uint8 to);
    /// @notice `institution` is the last active member: suspending it or its exit would leave
    ///         nobody to vote.
    error LastActiveMember(address institution);
    /// @notice The change would take `validatorCount` from at least one to zero: `target` is the
    ///         institution operating every remaining validator, or the last validator node.
    error LastValidator(address target);
    /// @notice A member may not propose a change of its own status other than its exit, from
    ///         `institution`'s status to `status`.
    error OwnStatusChange(address institution, uint8 status);
    /// @notice `account` is not the primary account of an active member.
    error NotActiveMember(address account);
    /// @notice The account's address is zero.
    error InvalidAccount(address account);
    /// @notice `account` is already allowlisted, acting for `institution`.
    error AccountAlreadyAllowed(address account, address institution);
    /// @notice `account` is not on the account allowlist.
    error AccountNotAllowed(address account);
    /// @notice `account` is an institution's primary account, which stays on the allowlist.
    error CannotRemovePrimaryAccount(address account);
    /// @notice `publicKey` is not a 64-byte point of secp256k1.
    error InvalidNodeKey(bytes publicKey);
    /// @notice `node` is already on the node allowlist.
    error NodeAlreadyAllowed(address node);
    /// @notice `node` is not on the node allowlist.
    error NodeNotFound(address node);
    /// @notice The alliance id is zero.
    error InvalidAllianceId();
    /// @notice `kind` is not an alliance kind code (see `ALLIANCE_KIND_COUNT`).
    error InvalidAllianceKind(uint8 kind);
    /// @notice An alliance with this id exists already.
    error AllianceAlreadyExists(bytes32 allianceId);
    /// @notice No alliance with this id.
    error AllianceNotFound(bytes32 allianceId);
    /// @notice `institution` is already in the alliance.
    error AlreadyInAlliance(bytes32 allianceId, address institution);
    /// @notice `institution` is not in the alliance.
    error NotInAlliance(bytes32 allianceId, address institution);
    /// @notice The alliance's `lead` may not leave it.
    error LeadCannotLeave(bytes32 allianceId, address lead);
    /// @notice The contract name is zero.
    error InvalidContractName();
    /// @notice `deployment` has no code.
    error NotAContract(address deployment);
    /// @notice No proposal with this id.
    error ProposalNotFound(uint256 proposalId);
    /// @notice The proposal is no longer open: it is in `state`.
    error ProposalNotPending(uint256 proposalId, ProposalState state);
    /// @notice `voter` is not among the proposal's voters: it was admitted or reactivated after the
    ///         proposal was made, or the proposal changes its own status.
    error NotEligibleToVote(uint256 proposalId, address voter);
    /// @notice `voter` has already voted on the proposal.
    error AlreadyVoted(uint256 proposalId, address voter);

    // ---------------------------------------------------------------- construction

    /// @notice Sets up the consortium with its founding members and governance settings.
    /// @param founders The founding member institutions, each active with the given roles.
    /// @param thresholdBps_ Share of active members whose yes votes pass a proposal (1..10000).
    /// @param votingPeriod_ How long proposals stay open, in seconds.
    constructor(FoundingMember[] memory founders, uint16 thresholdBps_, uint64 votingPeriod_) {
        if (founders.length == 0) revert NoFoundingMembers();
        _setGovernance(thresholdBps_, votingPeriod_);
        for (uint256 i = 0; i < founders.length; ++i) {
            FoundingMember memory f = founders[i];
            _checkNewMember(f.institution, f.kind, f.name);
            _addMember(f.institution, f.kind, f.name, f.roles);
        }
    }

    // ---------------------------------------------------------------- proposals

    /// @notice Proposes to admit a new member institution, active, with the given roles.
    /// @param institution The institution's primary account.
    /// @param kind The institution kind code.
    /// @param name The institution's registered name (an organisation, not a person).
    /// @param roles The roles to grant (see `Roles`).
    /// @return proposalId The new proposal's id.
    function proposeAddMember(
        address institution,
        uint8 kind,
        string calldata name,
        bytes32[] calldata roles
    ) external returns (uint256 proposalId) {
        _checkNewMember(institution, kind, name);
        _checkRoles(roles);
        return _propose(address(0), Action.AddMember, abi.encode(institution, kind, name, roles));
    }

    /// @notice Proposes to change a member's status (suspend, reactivate, or exit).
    /// @dev The member never votes on its own status: when it is active, the proposal counts its
    ///      voters and required votes over the other active members (`requiredStatusVotes`), and
    ///      its vote is refused. A member may propose its own exit (a voluntary exit, decided by
    ///      the others like any status change: its proposal carries no vote), but not its own
    ///      suspension. Refused when it would leave no active member (`LastActiveMember`) or take
    ///      `validatorCount` to zero (`LastValidator`); both are checked again at the passing vote.
    /// @param institution The member.
    /// @param status The new status code.
    /// @return proposalId The new proposal's id.
    function proposeSetMemberStatus(address institution, uint8 status) external returns (uint256 proposalId) {
        _checkStatusChange(institution, status);
        if (institution == msg.sender && status != STATUS_EXITED) revert OwnStatusChange(institution, status);
        return _propose(institution, Action.SetMemberStatus, abi.encode(institution, status));
    }

    /// @notice Proposes to replace a member's roles.
    /// @param institution The member.
    /// @param roles The complete new set of roles.
    /// @return proposalId The new proposal's id.
    function proposeSetMemberRoles(address institution, bytes32[] calldata roles) external returns (uint256 proposalId) {
        _checkCurrentMember(institution);
        _checkRoles(roles);
        return _propose(address(0), Action.SetMemberRoles, abi.encode(institution, roles));
    }

    /// @notice Proposes to put an account on the allowlist, acting for an institution.
    /// @param account The account (e.g. the institution's front-end gateway or relayer key).
    /// @param institution The member it acts for.
    /// @return proposalId The new proposal's id.
    function proposeAddAccount(address account, address institution) external returns (uint256 proposalId) {
        _checkNewAccount(account, institution);
        return _propose(address(0), Action.AddAccount, abi.encode(account, institution));
    }

    /// @notice Proposes to take an account off the allowlist.
    /// @param account The account; an institution's primary account cannot be removed this way.
    /// @return proposalId The new proposal's id.
    function proposeRemoveAccount(address account) external returns (uint256 proposalId) {
        _checkRemovableAccount(account);
        return _propose(address(0), Action.RemoveAccount, abi.encode(account));
    }

    /// @notice Proposes to put a node on the node allowlist.
    /// @param publicKey The node's secp256k1 public key, 64 bytes (X ‖ Y, uncompressed, no prefix);
    ///        the node's address, which identifies it, is derived from it.
    /// @param institution The member operating the node.
    /// @param validator Whether the node takes part in consensus (else an observer node).
    /// @return proposalId The new proposal's id.
    function proposeAddNode(
        bytes calldata publicKey,
        address institution,
        bool validator
    ) external returns (uint256 proposalId) {
        _checkNewNode(publicKey, institution);
        return _propose(address(0), Action.AddNode, abi.encode(publicKey, institution, validator));
    }

    /// @notice Proposes to take a node off the node allowlist.
    /// @dev Refused, here and at the passing vote, for the last validator (`LastValidator`).
    /// @param node The node's address.
    /// @return proposalId The new proposal's id.
    function proposeRemoveNode(address node) external returns (uint256 proposalId) {
        _checkNodeRemoval(node);
        return _propose(address(0), Action.RemoveNode, abi.encode(node));
    }

    /// @notice Proposes to create an alliance led by a member, who is its first member.
    /// @param allianceId The alliance's id (e.g. keccak256 of its registration number).
    /// @param kind The alliance kind code.
    /// @param name The alliance's name.
    /// @param lead The leading institution (e.g. the tertiary hospital of a 医联体).
    /// @return proposalId The new proposal's id.
    function proposeCreateAlliance(
        bytes32 allianceId,
        uint8 kind,
        string calldata name,
        address lead
    ) external returns (uint256 proposalId) {
        _checkNewAlliance(allianceId, kind, name, lead);
        return _propose(address(0), Action.CreateAlliance, abi.encode(allianceId, kind, name, lead));
    }

    /// @notice Proposes that a member joins an alliance.
    /// @param allianceId The alliance.
    /// @param institution The joining member.
    /// @return proposalId The new proposal's id.
    function proposeJoinAlliance(bytes32 allianceId, address institution) external returns (uint256 proposalId) {
        _checkJoin(allianceId, institution);
        return _propose(address(0), Action.JoinAlliance, abi.encode(allianceId, institution));
    }

    /// @notice Proposes that a member leaves an alliance.
    /// @param allianceId The alliance.
    /// @param institution The leaving member (not the lead).
    /// @return proposalId The new proposal's id.
    function proposeLeaveAlliance(bytes32 allianceId, address institution) external returns (uint256 proposalId) {
        _checkLeave(allianceId, institution);
        return _propose(address(0), Action.LeaveAlliance, abi.encode(allianceId, institution));
    }

    /// @notice Proposes new governance settings.
    /// @param thresholdBps_ Share of active members whose yes votes pass a proposal (1..10000).
    /// @param votingPeriod_ How long proposals stay open, in seconds.
    /// @return proposalId The new proposal's id.
    function proposeSetGovernance(uint16 thresholdBps_, uint64 votingPeriod_) external returns (uint256 proposalId) {
        _checkGovernance(thresholdBps_, votingPeriod_);
        return _propose(address(0), Action.SetGovernance, abi.encode(thresholdBps_, votingPeriod_));
    }

    /// @notice Proposes to register a deployment as the next version of a contract of the suite.
    /// @param name The contract's name in the directory (e.g. keccak256("DataIndex")).
    /// @param deployment The deployed contract.
    /// @return proposalId The new proposal's id.
    function proposeRegisterContract(bytes32 name, address deployment) external returns (uint256 proposalId) {
        _checkContract(name, deployment);
        return _propose(address(0), Action.RegisterContract, abi.encode(name, deployment));
    }

    /// @notice Votes on a pending proposal; the vote that reaches the threshold makes the change.
    /// @dev If the change is no longer valid (the state moved on since the proposal), the passing
    ///      vote reverts with the reason and nothing changes; the proposal then expires.
    /// @param proposalId The proposal.
    /// @param support True for yes, false for no.
    function vote(uint256 proposalId, bool support) external {
        _castVote(proposalId, msg.sender, support);
    }

    // ---------------------------------------------------------------- IConsortiumRegistry

    /// @inheritdoc IConsortiumRegistry
    function institutionOf(address account) external view returns (address institution) {
        return _accountInstitution[account];
    }

    /// @inheritdoc IConsortiumRegistry
    function isActiveMember(address institution) public view returns (bool) {
        return _members[institution].status == STATUS_ACTIVE;
    }

    /// @inheritdoc IConsortiumRegistry
    function hasRole(bytes32 role, address account) public view returns (bool) {
        address institution = _accountInstitution[account];
        return isActiveMember(institution) && _roles[institution].contains(role);
    }

    /// @inheritdoc IConsortiumRegistry
    function institutionWithRole(address account, bytes32 role) external view returns (address institution) {
        institution = _accountInstitution[account];
        if (!isActiveMember(institution) || !_roles[institution].contains(role)) return address(0);
    }

    /// @inheritdoc IConsortiumRegistry
    function isAllowedAccount(address account) external view returns (bool) {
        return isActiveMember(_accountInstitution[account]);
    }

    // ---------------------------------------------------------------- views

    /// @notice A member's record.
    /// @param institution The member.
    /// @return kind The institution kind code.
    /// @return status The status code (0 when not a member).
    /// @return joinedAt When it was admitted.
    /// @return name Its registered name.
    /// @return roles Its roles.
    function memberInfo(
        address institution
    ) external view returns (uint8 kind, uint8 status, uint64 joinedAt, string memory name, bytes32[] memory roles) {
        Member storage m = _members[institution];
        return (m.kind, m.status, m.joinedAt, m.name, _roles[institution].values());
    }

    /// @notice All institutions ever admitted, in order of admission (exited ones included).
    /// @return The members' addresses.
    function members() external view returns (address[] memory) {
        return _memberSet.values();
    }

    /// @notice All allowlisted accounts (an account of a suspended or exited member may not transact).
    /// @return The accounts.
    function accounts() external view returns (address[] memory) {
        return _accountSet.values();
    }

    /// @notice Whether a node may connect to the consortium's network: allowlisted, and its
    ///         operator is active.
    /// @param node The node's address.
    /// @return True when allowed.
    function isNodeAllowed(address node) public view returns (bool) {
        return _nodeSet.contains(node) && isActiveMember(_nodes[node].institution);
    }

    /// @notice A node's record.
    /// @param node The node's address.
    /// @return institution The operator.
    /// @return validator Whether it is a validator.
    /// @return addedAt When it was allowlisted.
    /// @return publicKey Its public key (64 bytes).
    function nodeInfo(
        address node
    ) external view returns (address institution, bool validator, uint64 addedAt, bytes memory publicKey) {
        Node storage n = _nodes[node];
        return (n.institution, n.validator, n.addedAt, n.publicKey);
    }

    /// @notice All allowlisted nodes, whatever their operator's status.
    /// @return The nodes' addresses.
    function nodes() external view returns (address[] memory) {
        return _nodeSet.values();
    }

    /// @notice The current validator set: allowlisted validator nodes whose operators are active.
    /// @return result The validators' addresses.
    function validators() external view returns (address[] memory result) {
        address[] memory all = _nodeSet.values();
        result = new address[](all.length);
        uint256 count = 0;
        for (uint256 i = 0; i < all.length; ++i) {
            if (_nodes[all[i]].validator && isNodeAllowed(all[i])) result[count++] = all[i];
        }
        assembly ("memory-safe") {
            mstore(result, count)
        }
    }

    /// @notice All alliance ids.
    /// @return The ids.
    function alliances() external view returns (bytes32[] memory) {
        return _allianceSet.values();
    }

    /// @notice An alliance's record.
    /// @param allianceId The alliance.
    /// @return kind The alliance kind code.
    /// @return lead The leading institution.
    /// @return createdAt When it was created.
    /// @return name Its name.
    /// @return memberList Its member institutions.
    function allianceInfo(
        bytes32 allianceId
    )
        external
        view
        returns (uint8 kind, address lead, uint64 createdAt, string memory name, address[] memory memberList)
    {
        Alliance storage a = _alliances[allianceId];
        return (a.kind, a.lead, a.createdAt, a.name, a.members.values());
    }

    /// @notice The alliances an institution belongs to.
    /// @param institution The institution.
    /// @return The alliance ids.
    function alliancesOf(address institution) external view returns (bytes32[] memory) {
        return _memberAlliances[institution].values();
    }

    /// @notice Whether an institution belongs to an alliance.
    /// @param allianceId The alliance.
    /// @param institution The institution.
    /// @return True when it is a member of the alliance.
    function isInAlliance(bytes32 allianceId, address institution) external view returns (bool) {
        return _alliances[allianceId].members.contains(institution);
    }

    /// @notice The current deployment of a contract of the suite, or zero when none is registered.
    /// @param name The contract's name in the directory.
    /// @return deployment The latest registered deployment.
    /// @return version Its version number (from 1).
    function contractAddress(bytes32 name) external view returns (address deployment, uint32 version) {
        ContractVersion[] storage history = _contractVersions[name];
        if (history.length == 0) return (address(0), 0);
        ContractVersion storage latest = history[history.length - 1];
        return (latest.deployment, latest.version);
    }

    /// @notice Every registered version of a contract of the suite, oldest first: evidence anchored
    ///         in an older version stays verifiable at its own address.
    /// @param name The contract's name in the directory.
    /// @return The versions.
    function contractVersions(bytes32 name) external view returns (ContractVersion[] memory) {
        return _contractVersions[name];
    }

    /// @notice The names registered in the contract directory.
    /// @return The names.
    function contractNames() external view returns (bytes32[] memory) {
        return _contractNames.values();
    }

    /// @notice A proposal as stored.
    /// @param proposalId The proposal.
    /// @return The proposal.
    function getProposal(uint256 proposalId) external view returns (Proposal memory) {
        return _proposals[proposalId];
    }

    /// @notice Where a proposal stands now.
    /// @param proposalId The proposal.
    /// @return The state.
    function proposalState(uint256 proposalId) public view returns (ProposalState) {
        Proposal storage p = _proposals[proposalId];
        if (p.createdAt == 0) return ProposalState.None;
        if (p.executed) return ProposalState.Executed;
        if (p.rejected) return ProposalState.Rejected;
        if (block.timestamp > p.deadline) return ProposalState.Expired;
        return ProposalState.Pending;
    }

    /// @notice Whether a member has voted on a proposal.
    /// @param proposalId The proposal.
    /// @param voter The member.
    /// @return True when it has voted.
    function hasVoted(uint256 proposalId, address voter) external view returns (bool) {
        return _voted[proposalId][voter];
    }

    /// @notice Yes votes a proposal made now would need, for every action but a change of an active
    ///         member's status (see `requiredStatusVotes`): `thresholdBps` of the active members,
    ///         rounded up.
    /// @return The number of yes votes.
    function requiredVotes() external view returns (uint32) {
        // At least one member is always active and the threshold is at least 1 bps: never zero.
        return _requiredVotes(activeMemberCount);
    }

    /// @notice Yes votes a proposal made now to change `institution`'s status would need:
    ///         `thresholdBps` of the active members other than `institution`, rounded up (the
    ///         same as `requiredVotes()` when `institution` is not active).
    /// @param institution The member whose status would change.
    /// @return The number of yes votes; 0 when `institution` is the only active member, whose
    ///         suspension or exit is refused.
    function requiredStatusVotes(address institution) external view returns (uint32) {
        return _requiredVotes(_votersOtherThan(institution));
    }

    // ---------------------------------------------------------------- voting internals

    /// @dev `target` is the member whose status the proposal changes (zero for other actions): it
    ///      is not among the voters, and a proposal of its own (its exit) carries no vote.
    function _propose(address target, Action action, bytes memory params) private returns (uint256 proposalId) {
        if (!isActiveMember(msg.sender)) revert NotActiveMember(msg.sender);
        proposalId = ++proposalCount;
        uint64 deadline = uint64(block.timestamp) + votingPeriod;
        // At least one voter: the proposer, or, when it proposes its own exit, another active
        // member (else `LastActiveMember`).
        uint256 eligible = _votersOtherThan(target);
        uint32 required = _requiredVotes(eligible);
        Proposal storage p = _proposals[proposalId];
        p.action = action;
        p.proposer = msg.sender;
        p.createdAt = uint64(block.timestamp);
        p.deadline = deadline;
        p.eligible = uint32(eligible);
        p.required = required;
        p.params = params;
        emit ProposalCreated(proposalId, msg.sender, action, params, deadline, required);
        if (msg.sender != target) _castVote(proposalId, msg.sender, true);
    }

    /// @dev The active members other than `target` (all of them when `target` is not active).
    function _votersOtherThan(address target) private view returns (uint256) {
        return isActiveMember(target) ? activeMemberCount - 1 : activeMemberCount;
    }

    /// @dev `thresholdBps` of `eligible` voters, rounded up: at least one when there is a voter.
    function _requiredVotes(uint256 eligible) private view returns (uint32) {
        return uint32((eligible * thresholdBps + 9_999) / 10_000);
    }

    function _castVote(uint256 proposalId, address voter, bool support) private {
        ProposalState state = proposalState(proposalId);
        if (state == ProposalState.None) revert ProposalNotFound(proposalId);
        if (state != ProposalState.Pending) revert ProposalNotPending(proposalId, state);
        Member storage m = _members[voter];
        if (m.status != STATUS_ACTIVE) revert NotActiveMember(voter);
        if (m.votesFromProposal >= proposalId) revert NotEligibleToVote(proposalId, voter);
        Proposal storage p = _proposals[proposalId];
        if (p.action == Action.SetMemberStatus && _statusTarget(p.params) == voter) {
            revert NotEligibleToVote(proposalId, voter);
        }
        if (_voted[proposalId][voter]) revert AlreadyVoted(proposalId, voter);

        _voted[proposalId][voter] = true;
        if (support) p.yes += 1;
        else p.no += 1;
        emit VoteCast(proposalId, voter, support, p.yes, p.no);

        if (p.yes >= p.required) {
            p.executed = true;
            emit ProposalExecuted(proposalId, p.action);
            _execute(p.action, p.params);
        } else if (p.no > p.eligible - p.required) {
            p.rejected = true;
            emit ProposalRejected(proposalId);
        }
    }

    /// @dev The member whose status a `SetMemberStatus` proposal changes.
    function _statusTarget(bytes memory params) private pure returns (address institution) {
        (institution, ) = abi.decode(params, (address, uint8));
    }

    /// @dev Makes a passed proposal's change. Each action re-checks its arguments first: the state
    ///      may have moved on since the proposal was made, and then the passing vote reverts.
    function _execute(Action action, bytes memory params) private {
        if (action == Action.AddMember) _executeAddMember(params);
        else if (action == Action.SetMemberStatus) _executeSetMemberStatus(params);
        else if (action == Action.SetMemberRoles) _executeSetMemberRoles(params);
        else if (action == Action.AddAccount) _executeAddAccount(params);
        else if (action == Action.RemoveAccount) _executeRemoveAccount(params);
        else if (action == Action.AddNode) _executeAddNode(params);
        else if (action == Action.RemoveNode) _executeRemoveNode(params);
        else if (action == Action.CreateAlliance) _executeCreateAlliance(params);
        else if (action == Action.JoinAlliance) _executeJoinAlliance(params);
        else if (action == Action.LeaveAlliance) _executeLeaveAlliance(params);
        else if (action == Action.SetGovernance) _executeSetGovernance(params);
        else _executeRegisterContract(params);
    }

    // ---------------------------------------------------------------- execution, one per action

    function _executeAddMember(bytes memory params) private {
        (address institution, uint8 kind, string memory name, bytes32[] memory roles) = abi.decode(
            params,
            (address, uint8, string, bytes32[])
        );
        _checkNewMember(institution, kind, name);
        _addMember(institution, kind, name, roles);
    }

    function _executeSetMemberStatus(bytes memory params) private {
        (address institution, uint8 status) = abi.decode(params, (address, uint8));
        _checkStatusChange(institution, status);
        _setStatus(institution, status);
    }

    function _executeSetMemberRoles(bytes memory params) private {
        (address institution, bytes32[] memory roles) = abi.decode(params, (address, bytes32[]));
        _checkCurrentMember(institution);
        _setRoles(institution, roles);
    }

    function _executeAddAccount(bytes memory params) private {
        (address account, address institution) = abi.decode(params, (address, address));
        _checkNewAccount(account, institution);
        _allowAccount(account, institution);
    }

    function _executeRemoveAccount(bytes memory params) private {
        address account = abi.decode(params, (address));
        _checkRemovableAccount(account);
        address institution = _accountInstitution[account];
        delete _accountInstitution[account];
        _accountSet.remove(account);
        emit AccountRemoved(account, institution);
    }

    function _executeAddNode(bytes memory params) private {
        (bytes memory publicKey, address institution, bool validator) = abi.decode(params, (bytes, address, bool));
        address node = _checkNewNode(publicKey, institution);
        _nodes[node] = Node(institution, validator, uint64(block.timestamp), publicKey);
        _nodeSet.add(node);
        if (validator) {
            _members[institution].validatorNodes += 1;
            if (isActiveMember(institution)) validatorCount += 1;
        }
        emit NodeAdded(node, institution, validator, publicKey);
    }

    function _executeRemoveNode(bytes memory params) private {
        address node = abi.decode(params, (address));
        _checkNodeRemoval(node);
        Node storage n = _nodes[node];
        address institution = n.institution;
        if (n.validator) {
            _members[institution].validatorNodes -= 1;
            if (isActiveMember(institution)) validatorCount -= 1;
        }
        emit NodeRemoved(node, institution, n.validator);
        _nodeSet.remove(node);
        delete _nodes[node];
    }

    function _executeCreateAlliance(bytes memory params) private {
        (bytes32 allianceId, uint8 kind, string memory name, address lead) = abi.decode(
            params,
            (bytes32, uint8, string, address)
        );
        _checkNewAlliance(allianceId, kind, name, lead);
        Alliance storage a = _alliances[allianceId];
        a.kind = kind;
        a.lead = lead;
        a.createdAt = uint64(block.timestamp);
        a.name = name;
        _allianceSet.add(allianceId);
        emit AllianceCreated(allianceId, kind, lead, name);
        _join(allianceId, lead);
    }

    function _executeJoinAlliance(bytes memory params) private {
        (bytes32 allianceId, address institution) = abi.decode(params, (bytes32, address));
        _checkJoin(allianceId, institution);
        _join(allianceId, institution);
    }

    function _executeLeaveAlliance(bytes memory params) private {
        (bytes32 allianceId, address institution) = abi.decode(params, (bytes32, address));
        _checkLeave(allianceId, institution);
        _leave(allianceId, institution);
    }

    function _executeSetGovernance(bytes memory params) private {
        (uint16 bps, uint64 period) = abi.decode(params, (uint16, uint64));
        _setGovernance(bps, period);
    }

    function _executeRegisterContract(bytes memory params) private {
        (bytes32 name, address deployment) = abi.decode(params, (bytes32, address));
        _checkContract(name, deployment);
        ContractVersion[] storage history = _contractVersions[name];
        uint32 version = uint32(history.length + 1);
        history.push(ContractVersion(deployment, version, uint64(block.timestamp)));
        _contractNames.add(name);
        emit ContractRegistered(name, deployment, version);
    }

    // ---------------------------------------------------------------- effects

    function _addMember(address institution, uint8 kind, string memory name, bytes32[] memory roles) private {
        Member storage m = _members[institution];
        m.kind = kind;
        m.status = STATUS_ACTIVE;
        m.joinedAt = uint64(block.timestamp);
        m.votesFromProposal = proposalCount;
        m.name = name;
        _memberSet.add(institution);
        activeMemberCount += 1;
        emit MemberAdded(institution, kind, name, roles);
        _setRoles(institution, roles);
        _allowAccount(institution, institution);
    }

    function _setRoles(address institution, bytes32[] memory roles) private {
        _checkRoles(roles);
        EnumerableSet.Bytes32Set storage set = _roles[institution];
        bytes32[] memory old = set.values();
        for (uint256 i = 0; i < old.length; ++i) set.remove(old[i]);
        for (uint256 i = 0; i < roles.length; ++i) set.add(roles[i]);
        emit MemberRolesChanged(institution, roles);
    }

    function _setStatus(address institution, uint8 status) private {
        Member storage m = _members[institution];
        uint8 previous = m.status;
        m.status = status;
        if (previous == STATUS_ACTIVE) {
            activeMemberCount -= 1;
            validatorCount -= m.validatorNodes;
        }
        if (status == STATUS_ACTIVE) {
            activeMemberCount += 1;
            validatorCount += m.validatorNodes;
            m.votesFromProposal = proposalCount;
        }
        emit MemberStatusChanged(institution, previous, status);
        if (status == STATUS_EXITED) _leaveAllAlliances(institution);
    }

    function _join(bytes32 allianceId, address institution) private {
        _alliances[allianceId].members.add(institution);
        _memberAlliances[institution].add(allianceId);
        emit AllianceJoined(allianceId, institution);
    }

    function _leave(bytes32 allianceId, address institution) private {
        _alliances[allianceId].members.remove(institution);
        _memberAlliances[institution].remove(allianceId);
        emit AllianceLeft(allianceId, institution);
    }

    /// @dev An exiting member leaves every alliance it belongs to; an alliance it led keeps its
    ///      other members and has no lead (zero) from then on.
    function _leaveAllAlliances(address institution) private {
        bytes32[] memory ids = _memberAlliances[institution].values();
        for (uint256 i = 0; i < ids.length; ++i) {
            Alliance storage a = _alliances[ids[i]];
            if (a.lead == institution) {
                a.lead = address(0);
                emit AllianceLeadCleared(ids[i], institution);
            }
            _leave(ids[i], institution);
        }
    }

    function _allowAccount(address account, address institution) private {
        _accountInstitution[account] = institution;
        _accountSet.add(account);
        emit AccountAllowed(account, institution);
    }

    function _setGovernance(uint16 bps, uint64 period) private {
        _checkGovernance(bps, period);
        thresholdBps = bps;
        votingPeriod = period;
        emit GovernanceChanged(bps, period);
    }

    // ---------------------------------------------------------------- checks

    function _checkGovernance(uint16 bps, uint64 period) private pure {
        if (bps == 0 || bps > 10_000) revert InvalidThreshold(bps);
        if (period < MIN_VOTING_PERIOD || period > MAX_VOTING_PERIOD) revert InvalidVotingPeriod(period);
    }

    function _checkNewMember(address institution, uint8 kind, string memory name) private view {
        if (institution == address(0)) revert InvalidInstitution(institution);
        if (kind >= INSTITUTION_KIND_COUNT) revert InvalidInstitutionKind(kind);
        if (bytes(name).length == 0) revert EmptyName();
        if (_members[institution].status != STATUS_NONE) revert MemberAlreadyExists(institution);
        // An address already acting for another institution cannot become an institution itself.
        if (_accountInstitution[institution] != address(0)) {
            revert AccountAlreadyAllowed(institution, _accountInstitution[institution]);
        }
    }

    function _checkRoles(bytes32[] memory roles) private pure {
        if (roles.length > MAX_ROLES) revert TooManyRoles(roles.length, MAX_ROLES);
        for (uint256 i = 0; i < roles.length; ++i) {
            if (roles[i] == bytes32(0)) revert InvalidRole(roles[i]);
            for (uint256 j = 0; j < i; ++j) {
                if (roles[j] == roles[i]) revert DuplicateRole(roles[i]);
            }
        }
    }

    function _checkCurrentMember(address institution) private view {
        uint8 status = _members[institution].status;
        if (status == STATUS_NONE || status == STATUS_EXITED) revert MemberNotFound(institution);
    }

    function _checkStatusChange(address institution, uint8 status) private view {
        Member storage m = _members[institution];
        uint8 from = m.status;
        if (from == STATUS_NONE) revert MemberNotFound(institution);
        bool allowed = (from == STATUS_ACTIVE && (status == STATUS_SUSPENDED || status == STATUS_EXITED)) ||
            (from == STATUS_SUSPENDED && (status == STATUS_ACTIVE || status == STATUS_EXITED));
        if (!allowed) revert InvalidStatusTransition(institution, from, status);
        if (from == STATUS_ACTIVE) {
            // Someone must remain able to vote, or the consortium could never change again.
            if (activeMemberCount == 1) revert LastActiveMember(institution);
            // Some node must remain able to seal blocks, or no vote could ever be mined again. A
            // chain that has no validator (e.g. a development chain) is left alone.
            if (validatorCount != 0 && m.validatorNodes == validatorCount) revert LastValidator(institution);
        }
    }

    function _checkNewAccount(address account, address institution) private view {
        if (account == address(0)) revert InvalidAccount(account);
        _checkCurrentMember(institution);
        // A member's own address is always allowlisted for itself, so this also refuses members.
        address current = _accountInstitution[account];
        if (current != address(0)) revert AccountAlreadyAllowed(account, current);
    }

    function _checkRemovableAccount(address account) private view {
        address institution = _accountInstitution[account];
        if (institution == address(0)) revert AccountNotAllowed(account);
        if (institution == account) revert CannotRemovePrimaryAccount(account);
    }

    function _checkNewNode(bytes memory publicKey, address institution) private view returns (address node) {
        if (publicKey.length != 64 || !_onSecp256k1(publicKey)) revert InvalidNodeKey(publicKey);
        _checkCurrentMember(institution);
        node = address(uint160(uint256(keccak256(publicKey))));
        if (_nodeSet.contains(node)) revert NodeAlreadyAllowed(node);
    }

    /// @dev Whether a 64-byte X ‖ Y is a point of secp256k1 (y² = x³ + 7 mod p): a node key that
    ///      is not could never sign, and its derived address would mean nothing.
    function _onSecp256k1(bytes memory publicKey) private pure returns (bool) {
        uint256 p = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEFFFFFC2F;
        uint256 x;
        uint256 y;
        assembly ("memory-safe") {
            x := mload(add(publicKey, 0x20))
            y := mload(add(publicKey, 0x40))
        }
        if (x >= p || y >= p) return false;
        return mulmod(y, y, p) == addmod(mulmod(mulmod(x, x, p), x, p), 7, p);
    }

    function _checkNodeRemoval(address node) private view {
        if (!_nodeSet.contains(node)) revert NodeNotFound(node);
        Node storage n = _nodes[node];
        // The last validator stays, as in `_checkStatusChange`.
        if (n.validator && validatorCount == 1 && isActiveMember(n.institution)) revert LastValidator(node);
    }

    function _checkNewAlliance(bytes32 allianceId, uint8 kind, string memory name, address lead) private view {
        if (allianceId == bytes32(0)) revert InvalidAllianceId();
        if (kind >= ALLIANCE_KIND_COUNT) revert InvalidAllianceKind(kind);
        if (bytes(name).length == 0) revert EmptyName();
        if (_allianceSet.contains(allianceId)) revert AllianceAlreadyExists(allianceId);
        _checkCurrentMember(lead);
    }

    function _checkJoin(bytes32 allianceId, address institution) private view {
        if (!_allianceSet.contains(allianceId)) revert AllianceNotFound(allianceId);
        _checkCurrentMember(institution);
        if (_alliances[allianceId].members.contains(institution)) revert AlreadyInAlliance(allianceId, institution);
    }

    function _checkLeave(bytes32 allianceId, address institution) private view {
        if (!_allianceSet.contains(allianceId)) revert AllianceNotFound(allianceId);
        Alliance storage a = _alliances[allianceId];
        if (!a.members.contains(institution)) revert NotInAlliance(allianceId, institution);
        if (a.lead == institution) revert LeadCannotLeave(allianceId, institution);
    }

    function _checkContract(bytes32 name, address deployment) private view {
        if (name == bytes32(0)) revert InvalidContractName();
        if (deployment.code.length == 0) revert NotAContract(deployment);
    }
}

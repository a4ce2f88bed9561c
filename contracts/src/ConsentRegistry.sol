// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ConsortiumGuarded} from "./common/ConsortiumGuarded.sol";
import {Purposes} from "./common/Purposes.sol";
import {Roles} from "./common/Roles.sol";
import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";

/// @title ConsentRegistry (数据授权)
/// @notice Residents' field-level consent. Every change is an EIP-712 message signed with the
///         resident's own wallet key (or by a guardian or family member the resident delegated to)
///         and relayed by anyone, so residents never pay gas. A grant names its grantee, its record
///         scope (categories and/or record ids), its field scope, its purposes and its validity
///         window; `checkAccess` answers whether a read is allowed and which grant allows it.
///         Residents appear only as wallet addresses; record ids, categories and fields are opaque
///         32-byte identifiers, so no personal data is needed to decide.
/// @dev Nonces are unordered (any unused number per signer), so a resident may sign several
///      messages offline and have them relayed in any order; each signature also has a deadline.
contract ConsentRegistry is ConsortiumGuarded, EIP712 {
    // ---------------------------------------------------------------- codes and limits

    /// @notice Grantee kinds: an institution (its address), a doctor (the doctor's account), or a
    ///         research project (its project id).
    uint8 public constant GRANTEE_INSTITUTION = 0;
    /// @notice Grantee kind 1: a doctor, identified by the doctor's account.
    uint8 public constant GRANTEE_DOCTOR = 1;
    /// @notice Grantee kind 2: a research project, identified by its project id.
    uint8 public constant GRANTEE_PROJECT = 2;
    /// @notice How a resident answered an access request: remotely (on their phone) or on site.
    uint8 public constant MODE_REMOTE = 0;
    /// @notice Answer mode 1: the resident answered on site, at the institution.
    uint8 public constant MODE_ON_SITE = 1;
    /// @notice Delegate relations: guardian (监护人), family member, authorised agent.
    uint8 public constant RELATION_GUARDIAN = 0;
    /// @notice Delegate relation 1: a family member.
    uint8 public constant RELATION_FAMILY = 1;
    /// @notice Delegate relation 2: an authorised agent.
    uint8 public constant RELATION_AGENT = 2;
    /// @notice Wildcard scope item: in `categories`, every category; in `fields`, every field.
    bytes32 public constant ALL = bytes32(type(uint256).max);
    /// @notice Most items in one scope list.
    uint256 public constant MAX_SCOPE_ITEMS = 32;
    /// @notice Most live grants between one resident and one grantee (bounds `checkAccess`).
    uint256 public constant MAX_GRANTS_PER_GRANTEE = 16;
    /// @notice Most of those that may be re-shared grants, so that a re-sharing grantee can never
    ///         fill a resident's list for another grantee and crowd out the resident's own grants.
    uint256 public constant MAX_RESHARES_PER_GRANTEE = 8;
    /// @notice Most fields one `checkAccessFields` call answers (as many as one read may ask for).
    uint256 public constant MAX_FIELDS_PER_CHECK = 64;
    /// @notice Longest time a doctor's access request stays answerable.
    uint64 public constant MAX_REQUEST_TTL = 30 days;

    // ---------------------------------------------------------------- signed messages

    /// @notice A consent grant, signed by the resident or a delegate.
    struct ConsentGrant {
        address resident;
        bytes32 grantee;
        uint8 granteeKind;
        bytes32[] categories;
        bytes32[] recordIds;
        bytes32[] fields;
        uint8 purposes;
        uint64 notBefore;
        uint64 notAfter;
        bool mayReshare;
        uint256 nonce;
        uint64 deadline;
    }

    /// @notice A narrowing of a grant: items, purposes or time taken away, never added.
    struct ConsentNarrowing {
        bytes32 grantId;
        bytes32[] removeCategories;
        bytes32[] removeRecordIds;
        bytes32[] removeFields;
        uint8 removePurposes;
        uint64 notAfter;
        uint256 nonce;
        uint64 deadline;
    }

    /// @notice The revocation of a grant.
    struct ConsentRevocation {
        bytes32 grantId;
        uint256 nonce;
        uint64 deadline;
    }

    /// @notice A resident's answer to a doctor's access request; `requestHash` is the request's
    ///         `requestContentHash`, so the resident signs what was asked, not just a request number.
    struct RequestAnswer {
        bytes32 requestId;
        bytes32 requestHash;
        bool approve;
        uint8 mode;
        uint64 notBefore;
        uint64 notAfter;
        uint256 nonce;
        uint64 deadline;
    }

    /// @notice A resident's delegation of consent management to a guardian or family member.
    struct Delegation {
        address resident;
        address delegate;
        uint8 relation;
        uint64 notAfter;
        uint256 nonce;
        uint64 deadline;
    }

    /// @notice The end of a delegation, signed by the resident; names the delegation it ends (the
    ///         digest of its `Delegation` message), so it can never end a later one.
    struct DelegationRevocation {
        address resident;
        address delegate;
        bytes32 delegationId;
        uint256 nonce;
        uint64 deadline;
    }

    /// @notice A grantee passing on part of its grant (only where the resident allowed re-sharing),
    ///         signed by the grantee's account.
    struct Reshare {
        bytes32 parentId;
        bytes32 grantee;
        uint8 granteeKind;
        bytes32[] categories;
        bytes32[] recordIds;
        bytes32[] fields;
        uint8 purposes;
        uint64 notAfter;
        uint256 nonce;
        uint64 deadline;
    }

    /// @notice A doctor's (or institution's, or project's) request to access a resident's records.
    struct AccessRequest {
        address resident;
        bytes32 grantee;
        uint8 granteeKind;
        bytes32[] categories;
        bytes32[] recordIds;
        bytes32[] fields;
        uint8 purposes;
        uint64 validFor;
        uint64 answerBy;
        bytes32 reasonHash;
    }

    /// @notice EIP-712 type hash of `ConsentGrant`, the message a resident or delegate signs to grant access.
    bytes32 public constant CONSENT_GRANT_TYPEHASH =
        keccak256(
            "ConsentGrant(address resident,bytes32 grantee,uint8 granteeKind,bytes32[] categories,bytes32[] recordIds,bytes32[] fields,uint8 purposes,uint64 notBefore,uint64 notAfter,bool mayReshare,uint256 nonce,uint64 deadline)"
        );
    /// @notice EIP-712 type hash of `ConsentNarrowing`, the message a resident or delegate signs to narrow a grant.
    bytes32 public constant CONSENT_NARROWING_TYPEHASH =
        keccak256(
            "ConsentNarrowing(bytes32 grantId,bytes32[] removeCategories,bytes32[] removeRecordIds,bytes32[] removeFields,uint8 removePurposes,uint64 notAfter,uint256 nonce,uint64 deadline)"
        );
    /// @notice EIP-712 type hash of `ConsentRevocation`, the message a resident or delegate signs to revoke a grant.
    bytes32 public constant CONSENT_REVOCATION_TYPEHASH =
        keccak256("ConsentRevocation(bytes32 grantId,uint256 nonce,uint64 deadline)");
    /// @notice EIP-712 type hash of `RequestAnswer`, the message a resident or delegate signs to answer an
    ///         access request.
    bytes32 public constant REQUEST_ANSWER_TYPEHASH =
        keccak256(
            "RequestAnswer(bytes32 requestId,bytes32 requestHash,bool approve,uint8 mode,uint64 notBefore,uint64 notAfter,uint256 nonce,uint64 deadline)"
        );
    /// @notice EIP-712 type hash of `Delegation`, the message a resident signs to appoint a delegate.
    bytes32 public constant DELEGATION_TYPEHASH =
        keccak256(
            "Delegation(address resident,address delegate,uint8 relation,uint64 notAfter,uint256 nonce,uint64 deadline)"
        );
    /// @notice EIP-712 type hash of `DelegationRevocation`, the message a resident signs to end a delegation.
    bytes32 public constant DELEGATION_REVOCATION_TYPEHASH =
        keccak256(
            "DelegationRevocation(address resident,address delegate,bytes32 delegationId,uint256 nonce,uint64 deadline)"
        );
    /// @notice EIP-712 type hash of `Reshare`, the message a grantee signs to pass on part of its grant.
    bytes32 public constant RESHARE_TYPEHASH =
        keccak256(
            "Reshare(bytes32 parentId,bytes32 grantee,uint8 granteeKind,bytes32[] categories,bytes32[] recordIds,bytes32[] fields,uint8 purposes,uint64 notAfter,uint256 nonce,uint64 deadline)"
        );

    // ---------------------------------------------------------------- state

    /// @notice A grant as stored. Scope items are kept as membership sets; their lists are in the
    ///         `GrantCreated` and `GrantNarrowed` events.
    struct Grant {
        address resident;
        uint8 granteeKind;
        uint8 purposes;
        bool mayReshare;
        bool revoked;
        uint64 notBefore;
        uint64 notAfter;
        bytes32 grantee;
        bytes32 parentId;
        uint64 createdAt;
        uint64 revokedAt;
        uint16 targetCount;
        uint16 fieldCount;
    }

    /// @notice An access request as stored; its content is bound by `contentHash`.
    struct StoredRequest {
        address resident;
        address institution;
        uint64 answerBy;
        uint8 status;
        bytes32 contentHash;
        bytes32 grantId;
    }

    /// @notice Request status codes. `REQUEST_NONE` (0): no request with this id was filed.
    uint8 public constant REQUEST_NONE = 0;
    /// @notice Request status 1: filed and awaiting the resident's answer (until `answerBy`).
    uint8 public constant REQUEST_PENDING = 1;
    /// @notice Request status 2: approved by the resident; the grant it created is recorded with it.
    uint8 public constant REQUEST_APPROVED = 2;
    /// @notice Request status 3: rejected by the resident; no grant was created.
    uint8 public constant REQUEST_REJECTED = 3;

    struct DelegateRecord {
        uint8 relation;
        uint64 notAfter;
        bytes32 delegationId;
    }

    mapping(bytes32 grantId => Grant) private _grants;
    mapping(bytes32 grantId => mapping(bytes32 category => bool)) private _categories;
    mapping(bytes32 grantId => mapping(bytes32 recordId => bool)) private _records;
    mapping(bytes32 grantId => mapping(bytes32 field => bool)) private _fields;
    mapping(bytes32 pair => bytes32[] grantIds) private _liveGrants;
    mapping(address signer => mapping(uint256 nonce => bool)) private _usedNonces;
    mapping(address resident => mapping(address delegate => DelegateRecord)) private _delegates;
    mapping(bytes32 requestId => StoredRequest) private _requests;
    /// @notice Number of access requests filed; part of each request id.
    uint256 public requestCount;

    // ---------------------------------------------------------------- events

    /// @notice The terms of a grant other than its scope, as carried by `GrantCreated`.
    struct GrantTerms {
        address resident;
        bytes32 grantee;
        uint8 granteeKind;
        uint8 purposes;
        uint64 notBefore;
        uint64 notAfter;
        bool mayReshare;
        bytes32 parentId;
    }

    /// @notice The scope of a grant, as carried by events.
    struct Scope {
        bytes32[] categories;
        bytes32[] recordIds;
        bytes32[] fields;
    }

    /// @notice A grant was created (by the resident, by answering a request, or by re-sharing).
    /// @param grantId The grant's id: the EIP-712 digest of the message that created it.
    /// @param resident The resident whose records it opens.
    /// @param grantee Who may read: an institution or doctor account (as bytes32), or a project id.
    /// @param terms Grantee kind, purposes, validity window, re-share permission and parent grant
    ///        (zero unless re-shared).
    /// @param scope The categories, record ids and fields it covers.
    /// @param signer Who signed it: the resident, a delegate, or the re-sharing grantee.
    event GrantCreated(
        bytes32 indexed grantId,
        address indexed resident,
        bytes32 indexed grantee,
        GrantTerms terms,
        Scope scope,
        address signer
    );
    /// @notice A grant was narrowed; `purposes` and `notAfter` are the new values.
    /// @param grantId The grant.
    /// @param resident The resident whose grant it is.
    /// @param removed The categories, record ids and fields taken out of its scope.
    /// @param purposes Its purpose mask from now on.
    /// @param notAfter The end of its validity from now on.
    /// @param signer Who signed the narrowing: the resident or a delegate.
    event GrantNarrowed(
        bytes32 indexed grantId,
        address indexed resident,
        Scope removed,
        uint8 purposes,
        uint64 notAfter,
        address signer
    );
    /// @notice A grant was revoked.
    /// @param grantId The grant.
    /// @param resident The resident whose grant it was.
    /// @param signer Who signed the revocation: the resident or a delegate.
    event GrantRevoked(bytes32 indexed grantId, address indexed resident, address signer);
    /// @notice A doctor's access request was filed by `institution` on its behalf.
    /// @param requestId The request's id, which the resident's answer names.
    /// @param resident The resident asked.
    /// @param grantee Who would be the grantee: a doctor or institution account (as bytes32), or a
    ///        project id.
    /// @param institution The member institution that filed it on the doctor's behalf.
    /// @param granteeKind The grantee kind code.
    /// @param scope The categories, record ids and fields asked for.
    /// @param purposes The purpose mask asked for.
    /// @param validFor Longest validity, in seconds, that an approval may give.
    /// @param answerBy Time after which the request can no longer be answered.
    /// @param reasonHash Digest of the stated reason, kept off chain.
    event AccessRequested(
        bytes32 indexed requestId,
        address indexed resident,
        bytes32 indexed grantee,
        address institution,
        uint8 granteeKind,
        Scope scope,
        uint8 purposes,
        uint64 validFor,
        uint64 answerBy,
        bytes32 reasonHash
    );
    /// @notice A resident answered an access request; `grantId` is zero when rejected.
    /// @param requestId The request.
    /// @param resident The resident whose answer it is.
    /// @param approved Whether the request was approved.
    /// @param mode How the answer was given: `MODE_REMOTE` or `MODE_ON_SITE`.
    /// @param grantId The grant the approval created, or zero.
    /// @param signer Who signed the answer: the resident or a delegate.
    event AccessRequestAnswered(
        bytes32 indexed requestId,
        address indexed resident,
        bool approved,
        uint8 mode,
        bytes32 grantId,
        address signer
    );
    /// @notice A resident delegated consent management; `delegationId` is the digest of the signed
    ///         `Delegation`, which a revocation names.
    /// @param resident The resident who delegated.
    /// @param delegate The guardian, family member or agent who may now manage the resident's consent.
    /// @param delegationId The digest of the signed `Delegation`.
    /// @param relation The delegate relation code.
    /// @param notAfter The end of the delegation.
    event DelegateSet(
        address indexed resident,
        address indexed delegate,
        bytes32 delegationId,
        uint8 relation,
        uint64 notAfter
    );
    /// @notice A delegation ended.
    /// @param resident The resident.
    /// @param delegate The delegate who may no longer act.
    /// @param delegationId The delegation that ended.
    event DelegateRevoked(address indexed resident, address indexed delegate, bytes32 delegationId);

    // ---------------------------------------------------------------- errors

    error InvalidResident(address resident);
    error InvalidGrantee(bytes32 grantee, uint8 granteeKind);
    error NotOwnGrantee(bytes32 grantee, uint8 granteeKind, address institution);
    error TooManyReshares(address resident, bytes32 grantee, uint256 max);
    error EmptyScope();
    error EmptyFieldScope();
    error ScopeTooLarge(uint256 length, uint256 max);
    error InvalidScopeItem(bytes32 item);
    error InvalidWindow(uint64 notBefore, uint64 notAfter);
    error WindowEnded(uint64 notAfter, uint64 now_);
    error SignatureExpired(uint64 deadline, uint64 now_);
    error NonceAlreadyUsed(address signer, uint256 nonce);
    error InvalidSignature(address signer);
    error NotAuthorizedSigner(address resident, address signer);
    error TooManyGrants(address resident, bytes32 grantee, uint256 max);
    error TooManyFields(uint256 length, uint256 max);
    error GrantNotFound(bytes32 grantId);
    error GrantAlreadyExists(bytes32 grantId);
    error GrantRevokedAlready(bytes32 grantId, uint64 revokedAt);
    error NotANarrowing(bytes32 grantId);
    error ScopeItemNotInGrant(bytes32 grantId, bytes32 item);
    error GrantWouldBeEmpty(bytes32 grantId);
    error ReshareNotAllowed(bytes32 grantId);
    error ReshareExceedsGrant(bytes32 grantId, bytes32 item);
    error NotGrantee(bytes32 grantId, address signer);
    error GrantNotInWindow(bytes32 grantId, uint64 notBefore, uint64 notAfter, uint64 now_);
    error InvalidMode(uint8 mode);
    error InvalidRelation(uint8 relation);
    error InvalidDelegate(address delegate);
    error DelegateNotFound(address resident, address delegate);
    error InvalidRequestValidity(uint64 validFor, uint64 answerBy);
    error RequestNotFound(bytes32 requestId);
    error RequestNotPending(bytes32 requestId, uint8 status);
    error RequestExpired(bytes32 requestId, uint64 answerBy);
    error RequestMismatch(bytes32 requestId);

    // ---------------------------------------------------------------- construction

    /// @notice Deploys the registry of consents of the consortium.
    /// @param registry_ The consortium registry.
    constructor(IConsortiumRegistry registry_) ConsortiumGuarded(registry_) EIP712("HealthChain ConsentRegistry", "1") {}

    // ---------------------------------------------------------------- grants

    /// @notice Records a grant signed by the resident or one of the resident's delegates.
    /// @param g The signed grant.
    /// @param signer The signer (the resident, or a delegate); may be a contract wallet (ERC-1271).
    /// @param signature The EIP-712 signature.
    /// @return grantId The grant's id: the EIP-712 digest of `g`, known before relaying.
    function grant(
        ConsentGrant calldata g,
        address signer,
        bytes calldata signature
    ) external returns (bytes32 grantId) {
        if (g.resident == address(0)) revert InvalidResident(g.resident);
        grantId = grantDigest(g);
        _checkResidentSignature(g.resident, signer, g.nonce, g.deadline, grantId, signature);
        if (g.notAfter <= g.notBefore) revert InvalidWindow(g.notBefore, g.notAfter);
        _createGrant(
            grantId,
            GrantTerms(g.resident, g.grantee, g.granteeKind, g.purposes, g.notBefore, g.notAfter, g.mayReshare, 0),
            Scope(g.categories, g.recordIds, g.fields),
            signer
        );
    }

    /// @notice Narrows a grant: removes record scope items, fields or purposes, or ends it sooner.
    ///         Takes effect for every check made after this transaction.
    /// @param n The signed narrowing.
    /// @param signer The resident or a delegate.
    /// @param signature The EIP-712 signature.
    function narrow(ConsentNarrowing calldata n, address signer, bytes calldata signature) external {
        Grant storage gr = _liveGrant(n.grantId);
        _checkResidentSignature(gr.resident, signer, n.nonce, n.deadline, narrowingDigest(n), signature);

        bytes32 id = n.grantId;
        uint256 removedTargets = _removeItems(id, _categories[id], n.removeCategories) +
            _removeItems(id, _records[id], n.removeRecordIds);
        uint256 removedFields = _removeItems(id, _fields[id], n.removeFields);
        uint8 purposes = gr.purposes;
        if (n.removePurposes & ~purposes != 0) revert NotANarrowing(id);
        purposes &= ~n.removePurposes;
        uint64 notAfter = n.notAfter == 0 ? gr.notAfter : n.notAfter;
        if (notAfter > gr.notAfter || notAfter <= gr.notBefore) revert NotANarrowing(id);
        if (notAfter < block.timestamp) revert WindowEnded(notAfter, uint64(block.timestamp));
        if (removedTargets == gr.targetCount || removedFields == gr.fieldCount || purposes == 0) {
            revert GrantWouldBeEmpty(id);
        }
        if (removedTargets == 0 && removedFields == 0 && purposes == gr.purposes && notAfter == gr.notAfter) {
            revert NotANarrowing(id);
        }

        gr.targetCount -= uint16(removedTargets);
        gr.fieldCount -= uint16(removedFields);
        gr.purposes = purposes;
        gr.notAfter = notAfter;
        emit GrantNarrowed(
            id,
            gr.resident,
            Scope(n.removeCategories, n.removeRecordIds, n.removeFields),
            purposes,
            notAfter,
            signer
        );
    }

    /// @notice Revokes a grant; grants re-shared from it end with it. Takes effect for every check
    ///         made after this transaction.
    /// @param r The signed revocation.
    /// @param signer The resident or a delegate.
    /// @param signature The EIP-712 signature.
    function revoke(ConsentRevocation calldata r, address signer, bytes calldata signature) external {
        Grant storage gr = _liveGrant(r.grantId);
        _checkResidentSignature(gr.resident, signer, r.nonce, r.deadline, revocationDigest(r), signature);
        gr.revoked = true;
        gr.revokedAt = uint64(block.timestamp);
        _unlist(gr.resident, gr.grantee, r.grantId);
        emit GrantRevoked(r.grantId, gr.resident, signer);
    }

    /// @notice A grantee passes on part of its grant (e.g. to a colleague in the region), where the
    ///         resident allowed re-sharing. The new grant lies within the parent grant (scope,
    ///         purposes, time) and ends when the parent ends, is narrowed below it, or is revoked.
    /// @param s The signed re-share.
    /// @param signer The parent grant's grantee: the doctor's account, or an account of the grantee
    ///        institution.
    /// @param signature The EIP-712 signature.
    /// @return grantId The new grant's id (the digest of `s`).
    function reshare(Reshare calldata s, address signer, bytes calldata signature) external returns (bytes32 grantId) {
        Grant storage parent = _liveGrant(s.parentId);
        if (!parent.mayReshare) revert ReshareNotAllowed(s.parentId);
        if (!_actsForGrantee(parent, signer)) revert NotGrantee(s.parentId, signer);
        uint64 now_ = uint64(block.timestamp);
        if (now_ < parent.notBefore || now_ > parent.notAfter) {
            revert GrantNotInWindow(s.parentId, parent.notBefore, parent.notAfter, now_);
        }
        grantId = reshareDigest(s);
        _checkSignature(signer, s.nonce, s.deadline, grantId, signature);
        _checkWithin(s.parentId, _categories[s.parentId], s.categories);
        _checkWithin(s.parentId, _records[s.parentId], s.recordIds);
        _checkWithin(s.parentId, _fields[s.parentId], s.fields);
        if (s.purposes & ~parent.purposes != 0 || s.notAfter > parent.notAfter) revert ReshareExceedsGrant(s.parentId, 0);
        if (s.notAfter <= now_) revert InvalidWindow(now_, s.notAfter);
        _createGrant(
            grantId,
            GrantTerms(parent.resident, s.grantee, s.granteeKind, s.purposes, now_, s.notAfter, false, s.parentId),
            Scope(s.categories, s.recordIds, s.fields),
            signer
        );
    }

    // ---------------------------------------------------------------- access requests

    /// @notice Files a doctor's access request for the resident to answer, on site or remotely.
    ///         Filed by an institution's system (Roles.DATA_CONSUMER) on its doctor's behalf.
    /// @param r The request: who would be the grantee, what, for which purposes, for how long.
    /// @return requestId The request's id.
    function requestAccess(AccessRequest calldata r) external returns (bytes32 requestId) {
        address institution = _requireRole(Roles.DATA_CONSUMER);
        if (r.resident == address(0)) revert InvalidResident(r.resident);
        _checkGrantee(r.grantee, r.granteeKind);
        _checkRequestedGrantee(r.grantee, r.granteeKind, institution);
        _checkScope(Scope(r.categories, r.recordIds, r.fields));
        Purposes.checkMask(r.purposes);
        uint64 now_ = uint64(block.timestamp);
        if (r.validFor == 0 || r.answerBy <= now_ || r.answerBy > now_ + MAX_REQUEST_TTL) {
            revert InvalidRequestValidity(r.validFor, r.answerBy);
        }
        requestId = keccak256(abi.encode(block.chainid, address(this), ++requestCount));
        _requests[requestId] = StoredRequest(
            r.resident,
            institution,
            r.answerBy,
            REQUEST_PENDING,
            requestContentHash(r),
            bytes32(0)
        );
        emit AccessRequested(
            requestId,
            r.resident,
            r.grantee,
            institution,
            r.granteeKind,
            Scope(r.categories, r.recordIds, r.fields),
            r.purposes,
            r.validFor,
            r.answerBy,
            r.reasonHash
        );
    }

    /// @notice Records the resident's answer to an access request; an approval creates the grant
    ///         the request asked for, in the window the resident chose.
    /// @param r The request's content exactly as filed (checked against its stored hash).
    /// @param a The signed answer.
    /// @param signer The resident or a delegate.
    /// @param signature The EIP-712 signature.
    /// @return grantId The created grant's id (the digest of `a`), or zero when rejected.
    function answerRequest(
        AccessRequest calldata r,
        RequestAnswer calldata a,
        address signer,
        bytes calldata signature
    ) external returns (bytes32 grantId) {
        StoredRequest storage stored = _requests[a.requestId];
        if (stored.status == REQUEST_NONE) revert RequestNotFound(a.requestId);
        if (stored.status != REQUEST_PENDING) revert RequestNotPending(a.requestId, stored.status);
        if (block.timestamp > stored.answerBy) revert RequestExpired(a.requestId, stored.answerBy);
        if (requestContentHash(r) != stored.contentHash || a.requestHash != stored.contentHash) {
            revert RequestMismatch(a.requestId);
        }
        if (a.mode > MODE_ON_SITE) revert InvalidMode(a.mode);
        bytes32 digest = answerDigest(a);
        _checkResidentSignature(stored.resident, signer, a.nonce, a.deadline, digest, signature);

        if (a.approve) {
            if (a.notAfter <= a.notBefore || a.notAfter - a.notBefore > r.validFor) {
                revert InvalidWindow(a.notBefore, a.notAfter);
            }
            grantId = digest;
            stored.status = REQUEST_APPROVED;
            stored.grantId = grantId;
            _createGrant(
                grantId,
                GrantTerms(stored.resident, r.grantee, r.granteeKind, r.purposes, a.notBefore, a.notAfter, false, 0),
                Scope(r.categories, r.recordIds, r.fields),
                signer
            );
        } else {
            stored.status = REQUEST_REJECTED;
        }
        emit AccessRequestAnswered(a.requestId, stored.resident, a.approve, a.mode, grantId, signer);
    }

    // ---------------------------------------------------------------- delegation

    /// @notice Lets a guardian, family member or agent manage the resident's consent until `notAfter`.
    /// @param d The delegation, signed by the resident (a delegate cannot delegate).
    /// @param signature The resident's EIP-712 signature.
    function setDelegate(Delegation calldata d, bytes calldata signature) external {
        if (d.resident == address(0)) revert InvalidResident(d.resident);
        if (d.delegate == address(0) || d.delegate == d.resident) revert InvalidDelegate(d.delegate);
        if (d.relation > RELATION_AGENT) revert InvalidRelation(d.relation);
        if (d.notAfter <= block.timestamp) revert WindowEnded(d.notAfter, uint64(block.timestamp));
        bytes32 delegationId = delegationDigest(d);
        _checkSignature(d.resident, d.nonce, d.deadline, delegationId, signature);
        _delegates[d.resident][d.delegate] = DelegateRecord(d.relation, d.notAfter, delegationId);
        emit DelegateSet(d.resident, d.delegate, delegationId, d.relation, d.notAfter);
    }

    /// @notice Ends a delegation.
    /// @param d The revocation, signed by the resident.
    /// @param signature The resident's EIP-712 signature.
    function revokeDelegate(DelegationRevocation calldata d, bytes calldata signature) external {
        DelegateRecord storage current = _delegates[d.resident][d.delegate];
        if (current.notAfter < block.timestamp || current.delegationId != d.delegationId) {
            revert DelegateNotFound(d.resident, d.delegate);
        }
        _checkSignature(d.resident, d.nonce, d.deadline, delegationRevocationDigest(d), signature);
        delete _delegates[d.resident][d.delegate];
        emit DelegateRevoked(d.resident, d.delegate, d.delegationId);
    }

    // ---------------------------------------------------------------- checks

    /// @notice Whether `grantee` may read `field` of a resident's record for `purpose` at time `at`,
    ///         and the grant that allows it. The record is matched by its id, or by its category.
    /// @param resident The resident's wallet address.
    /// @param grantee The reader: an institution or doctor account as bytes32, or a project id.
    /// @param recordId The record's id, or zero to ask by category only.
    /// @param category The record's category, or zero to ask by record id only.
    /// @param field The field asked for.
    /// @param purpose The purpose code.
    /// @param at The time of the access (seconds).
    /// @return allowed Whether a live grant allows it.
    /// @return grantId The grant that allows it, or zero.
    function checkAccess(
        address resident,
        bytes32 grantee,
        bytes32 recordId,
        bytes32 category,
        bytes32 field,
        uint8 purpose,
        uint64 at
    ) external view returns (bool allowed, bytes32 grantId) {
        bytes32[] storage ids = _liveGrants[_pair(resident, grantee)];
        for (uint256 i = 0; i < ids.length; ++i) {
            if (_allows(ids[i], recordId, category, field, purpose, at)) return (true, ids[i]);
        }
        return (false, bytes32(0));
    }

    /// @notice `checkAccess` for several fields of one record at once: for each field, whether
    ///         `grantee` may read it for `purpose` at time `at`, and the grant that allows it (the
    ///         same grant `checkAccess` names: the first listed grant that allows the field).
    /// @dev Each listed grant's terms (revocation, window, purpose, record scope, the grantee's
    ///      standing, and those of its parents) are looked at once for all the fields, not once per
    ///      field; the grantee's standing only when the grant covers a field still open.
    /// @param resident The resident's wallet address.
    /// @param grantee The reader: an institution or doctor account as bytes32, or a project id.
    /// @param recordId The record's id, or zero to ask by category only.
    /// @param category The record's category, or zero to ask by record id only.
    /// @param fields The fields asked for, at most `MAX_FIELDS_PER_CHECK` (repeats are answered alike).
    /// @param purpose The purpose code.
    /// @param at The time of the access (seconds).
    /// @return allowed Per field, whether a live grant allows it.
    /// @return grantIds Per field, the grant that allows it, or zero.
    function checkAccessFields(
        address resident,
        bytes32 grantee,
        bytes32 recordId,
        bytes32 category,
        bytes32[] calldata fields,
        uint8 purpose,
        uint64 at
    ) external view returns (bool[] memory allowed, bytes32[] memory grantIds) {
        if (fields.length > MAX_FIELDS_PER_CHECK) revert TooManyFields(fields.length, MAX_FIELDS_PER_CHECK);
        allowed = new bool[](fields.length);
        grantIds = new bytes32[](fields.length);
        // Bit j set: field j is not allowed yet.
        uint256 open = (1 << fields.length) - 1;
        bytes32[] storage ids = _liveGrants[_pair(resident, grantee)];
        for (uint256 i = 0; i < ids.length && open != 0; ++i) {
            uint256 covered = _allowsFields(ids[i], recordId, category, fields, open, purpose, at);
            if (covered == 0) continue;
            open &= ~covered;
            _answer(allowed, grantIds, covered, ids[i]);
        }
    }

    /// @notice A grant as stored.
    /// @param grantId The grant.
    /// @return The grant (zero values when unknown).
    function getGrant(bytes32 grantId) external view returns (Grant memory) {
        return _grants[grantId];
    }

    /// @notice Whether a grant's scope contains an item.
    /// @param grantId The grant.
    /// @param category A category, or zero.
    /// @param recordId A record id, or zero.
    /// @param field A field, or zero.
    /// @return inCategories Whether `category` (or ALL) is in the category scope.
    /// @return inRecords Whether `recordId` is in the record scope.
    /// @return inFields Whether `field` (or ALL) is in the field scope.
    function grantCovers(
        bytes32 grantId,
        bytes32 category,
        bytes32 recordId,
        bytes32 field
    ) external view returns (bool inCategories, bool inRecords, bool inFields) {
        return (
            _categories[grantId][category] || _categories[grantId][ALL],
            _records[grantId][recordId],
            _fields[grantId][field] || _fields[grantId][ALL]
        );
    }

    /// @notice The grants listed from a resident to a grantee: not revoked; a re-shared grant whose
    ///         parent was revoked or ended allows nothing and is dropped when room is needed.
    /// @param resident The resident.
    /// @param grantee The grantee.
    /// @return The grant ids.
    function liveGrants(address resident, bytes32 grantee) external view returns (bytes32[] memory) {
        return _liveGrants[_pair(resident, grantee)];
    }

    /// @notice An access request as stored.
    /// @param requestId The request.
    /// @return The stored request.
    function getRequest(bytes32 requestId) external view returns (StoredRequest memory) {
        return _requests[requestId];
    }

    /// @notice A delegation and whether it is in force.
    /// @param resident The resident.
    /// @param delegate The delegate.
    /// @return relation The relation code.
    /// @return notAfter When it ends.
    /// @return active Whether it is in force now.
    /// @return delegationId The digest of the `Delegation` message that set it.
    function delegation(
        address resident,
        address delegate
    ) external view returns (uint8 relation, uint64 notAfter, bool active, bytes32 delegationId) {
        DelegateRecord storage d = _delegates[resident][delegate];
        return (d.relation, d.notAfter, d.notAfter >= block.timestamp, d.delegationId);
    }

    /// @notice Whether a signer's nonce has been used.
    /// @param signer The signer.
    /// @param nonce The nonce.
    /// @return True when used.
    function isNonceUsed(address signer, uint256 nonce) external view returns (bool) {
        return _usedNonces[signer][nonce];
    }

    // ---------------------------------------------------------------- EIP-712 digests

    /// @notice The EIP-712 digest a grant's signer signs; also the grant's id.
    /// @param g The grant.
    /// @return The digest.
    function grantDigest(ConsentGrant calldata g) public view returns (bytes32) {
        bytes memory head = abi.encode(CONSENT_GRANT_TYPEHASH, g.resident, g.grantee, g.granteeKind);
        bytes memory lists = abi.encode(_hashList(g.categories), _hashList(g.recordIds), _hashList(g.fields));
        bytes memory tail = abi.encode(g.purposes, g.notBefore, g.notAfter, g.mayReshare, g.nonce, g.deadline);
        return _hashTypedDataV4(keccak256(bytes.concat(head, lists, tail)));
    }

    /// @notice The EIP-712 digest of a narrowing.
    /// @param n The narrowing.
    /// @return The digest.
    function narrowingDigest(ConsentNarrowing calldata n) public view returns (bytes32) {
        bytes memory lists = abi.encode(
            _hashList(n.removeCategories),
            _hashList(n.removeRecordIds),
            _hashList(n.removeFields)
        );
        bytes memory tail = abi.encode(n.removePurposes, n.notAfter, n.nonce, n.deadline);
        return _hashTypedDataV4(keccak256(bytes.concat(abi.encode(CONSENT_NARROWING_TYPEHASH, n.grantId), lists, tail)));
    }

    /// @notice The EIP-712 digest of a revocation.
    /// @param r The revocation.
    /// @return The digest.
    function revocationDigest(ConsentRevocation calldata r) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(CONSENT_REVOCATION_TYPEHASH, r.grantId, r.nonce, r.deadline)));
    }

    /// @notice The EIP-712 digest of an answer to an access request; also the id of the grant an
    ///         approval creates.
    /// @param a The answer.
    /// @return The digest.
    function answerDigest(RequestAnswer calldata a) public view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        REQUEST_ANSWER_TYPEHASH,
                        a.requestId,
                        a.requestHash,
                        a.approve,
                        a.mode,
                        a.notBefore,
                        a.notAfter,
                        a.nonce,
                        a.deadline
                    )
                )
            );
    }

    /// @notice The EIP-712 digest of a delegation.
    /// @param d The delegation.
    /// @return The digest.
    function delegationDigest(Delegation calldata d) public view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(DELEGATION_TYPEHASH, d.resident, d.delegate, d.relation, d.notAfter, d.nonce, d.deadline)
                )
            );
    }

    /// @notice The EIP-712 digest of the end of a delegation.
    /// @param d The revocation.
    /// @return The digest.
    function delegationRevocationDigest(DelegationRevocation calldata d) public view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(DELEGATION_REVOCATION_TYPEHASH, d.resident, d.delegate, d.delegationId, d.nonce, d.deadline)
                )
            );
    }

    /// @notice The EIP-712 digest of a re-share; also the new grant's id.
    /// @param s The re-share.
    /// @return The digest.
    function reshareDigest(Reshare calldata s) public view returns (bytes32) {
        bytes memory head = abi.encode(RESHARE_TYPEHASH, s.parentId, s.grantee, s.granteeKind);
        bytes memory lists = abi.encode(_hashList(s.categories), _hashList(s.recordIds), _hashList(s.fields));
        bytes memory tail = abi.encode(s.purposes, s.notAfter, s.nonce, s.deadline);
        return _hashTypedDataV4(keccak256(bytes.concat(head, lists, tail)));
    }

    /// @notice The hash binding an access request's content to its stored record.
    /// @param r The request.
    /// @return The content hash.
    function requestContentHash(AccessRequest calldata r) public pure returns (bytes32) {
        return keccak256(abi.encode(r));
    }

    // ---------------------------------------------------------------- internals

    /// @dev An institution files requests for itself or for its own doctors: an institution grantee
    ///      must be the filing institution, a doctor's account must not be another institution's.
    function _checkRequestedGrantee(bytes32 grantee, uint8 granteeKind, address institution) private view {
        if (granteeKind == GRANTEE_PROJECT) return;
        address account = address(uint160(uint256(grantee)));
        address owner = granteeKind == GRANTEE_INSTITUTION ? account : registry.institutionOf(account);
        if (owner != institution && !(granteeKind == GRANTEE_DOCTOR && owner == address(0))) {
            revert NotOwnGrantee(grantee, granteeKind, institution);
        }
    }

    /// @dev `t.resident` is never zero: `grant` checks it, the other paths take a stored resident.
    function _createGrant(bytes32 grantId, GrantTerms memory t, Scope memory scope, address signer) private {
        _checkGrantee(t.grantee, t.granteeKind);
        _checkScope(scope);
        Purposes.checkMask(t.purposes);
        if (t.notAfter <= block.timestamp) revert WindowEnded(t.notAfter, uint64(block.timestamp));
        Grant storage gr = _grants[grantId];
        // The same message signed twice (by the resident and by a delegate, each with its own
        // nonces) has the same id: the first relay made the grant, the second must not remake it.
        if (gr.resident != address(0)) revert GrantAlreadyExists(grantId);

        gr.resident = t.resident;
        gr.granteeKind = t.granteeKind;
        gr.purposes = t.purposes;
        gr.mayReshare = t.mayReshare;
        gr.notBefore = t.notBefore;
        gr.notAfter = t.notAfter;
        gr.grantee = t.grantee;
        gr.parentId = t.parentId;
        gr.createdAt = uint64(block.timestamp);
        uint256 targets = _addItems(_categories[grantId], scope.categories) + _addItems(_records[grantId], scope.recordIds);
        gr.targetCount = uint16(targets);
        gr.fieldCount = uint16(_addItems(_fields[grantId], scope.fields));
        _list(t.resident, t.grantee, grantId, t.parentId != 0);
        emit GrantCreated(grantId, t.resident, t.grantee, t, scope, signer);
    }

    function _allows(
        bytes32 id,
        bytes32 recordId,
        bytes32 category,
        bytes32 field,
        uint8 purpose,
        uint64 at
    ) private view returns (bool) {
        if (!_termsAllow(id, recordId, category, purpose, at)) return false;
        if (!_fields[id][field] && !_fields[id][ALL]) return false;
        Grant storage gr = _grants[id];
        // A suspended or exited institution reads nothing, whatever its residents granted it, and
        // neither do its accounts when they are the grantee (as a doctor's account may be).
        if (gr.granteeKind != GRANTEE_PROJECT && !_granteeInGoodStanding(gr.granteeKind, gr.grantee)) return false;
        // A re-shared grant never reaches beyond what its parent allows at the same moment.
        return gr.parentId == bytes32(0) || _allows(gr.parentId, recordId, category, field, purpose, at);
    }

    /// @dev `_allows` for the fields whose bits are set in `open` (a bit per index of `fields`):
    ///      the bits of those the grant allows. The terms of the grant and its parents are read once;
    ///      a re-shared grant allows a field only where its parent does.
    function _allowsFields(
        bytes32 id,
        bytes32 recordId,
        bytes32 category,
        bytes32[] calldata fields,
        uint256 open,
        uint8 purpose,
        uint64 at
    ) private view returns (uint256 covered) {
        covered = open;
        for (bytes32 g = id; g != bytes32(0); g = _grants[g].parentId) {
            if (!_termsAllow(g, recordId, category, purpose, at)) return 0;
            if (!_fields[g][ALL]) {
                for (uint256 j = 0; j < fields.length; ++j) {
                    if (covered & (1 << j) != 0 && !_fields[g][fields[j]]) covered &= ~(1 << j);
                }
                if (covered == 0) return 0;
            }
        }
        // Standing costs calls to the consortium registry: asked last, once per grant.
        for (bytes32 g = id; g != bytes32(0); g = _grants[g].parentId) {
            Grant storage gr = _grants[g];
            if (gr.granteeKind != GRANTEE_PROJECT && !_granteeInGoodStanding(gr.granteeKind, gr.grantee)) return 0;
        }
    }

    /// @dev The field-independent terms of one grant (not its parent's, not its grantee's standing).
    function _termsAllow(
        bytes32 id,
        bytes32 recordId,
        bytes32 category,
        uint8 purpose,
        uint64 at
    ) private view returns (bool) {
        Grant storage gr = _grants[id];
        if (gr.revoked || at < gr.notBefore || at > gr.notAfter) return false;
        if (!Purposes.contains(gr.purposes, purpose)) return false;
        if (recordId != bytes32(0) && _records[id][recordId]) return true;
        return category != bytes32(0) && (_categories[id][category] || _categories[id][ALL]);
    }

    /// @dev Marks the fields whose bits are set in `covered` as allowed by `grantId`.
    function _answer(bool[] memory allowed, bytes32[] memory grantIds, uint256 covered, bytes32 grantId) private pure {
        for (uint256 j = 0; j < allowed.length; ++j) {
            if (covered & (1 << j) != 0) {
                allowed[j] = true;
                grantIds[j] = grantId;
            }
        }
    }

    function _checkResidentSignature(
        address resident,
        address signer,
        uint256 nonce,
        uint64 deadline,
        bytes32 digest,
        bytes calldata signature
    ) private {
        if (signer != resident && _delegates[resident][signer].notAfter < block.timestamp) {
            revert NotAuthorizedSigner(resident, signer);
        }
        _checkSignature(signer, nonce, deadline, digest, signature);
    }

    function _checkSignature(
        address signer,
        uint256 nonce,
        uint64 deadline,
        bytes32 digest,
        bytes calldata signature
    ) private {
        if (deadline < block.timestamp) revert SignatureExpired(deadline, uint64(block.timestamp));
        if (_usedNonces[signer][nonce]) revert NonceAlreadyUsed(signer, nonce);
        if (signer == address(0) || !SignatureChecker.isValidSignatureNow(signer, digest, signature)) {
            revert InvalidSignature(signer);
        }
        _usedNonces[signer][nonce] = true;
    }

    /// @dev Institution and doctor grantees are accounts (an address in the low 20 bytes); a
    ///      project id is never address-shaped, so an account cannot be granted under the project
    ///      kind and escape the checks that accounts get.
    function _checkGrantee(bytes32 grantee, uint8 granteeKind) private pure {
        bool isAccount = granteeKind == GRANTEE_INSTITUTION || granteeKind == GRANTEE_DOCTOR;
        bool addressShaped = uint256(grantee) >> 160 == 0;
        if (grantee == bytes32(0) || granteeKind > GRANTEE_PROJECT || isAccount != addressShaped) {
            revert InvalidGrantee(grantee, granteeKind);
        }
    }

    function _checkScope(Scope memory scope) private pure {
        _checkList(scope.categories);
        _checkList(scope.recordIds);
        _checkList(scope.fields);
        if (scope.categories.length + scope.recordIds.length == 0) revert EmptyScope();
        if (scope.fields.length == 0) revert EmptyFieldScope();
        for (uint256 i = 0; i < scope.recordIds.length; ++i) {
            if (scope.recordIds[i] == ALL) revert InvalidScopeItem(ALL);
        }
    }

    function _checkList(bytes32[] memory items) private pure {
        if (items.length > MAX_SCOPE_ITEMS) revert ScopeTooLarge(items.length, MAX_SCOPE_ITEMS);
        for (uint256 i = 0; i < items.length; ++i) {
            if (items[i] == bytes32(0)) revert InvalidScopeItem(items[i]);
        }
    }

    function _checkWithin(bytes32 parentId, mapping(bytes32 => bool) storage set, bytes32[] calldata items) private view {
        if (set[ALL]) return;
        for (uint256 i = 0; i < items.length; ++i) {
            if (!set[items[i]]) revert ReshareExceedsGrant(parentId, items[i]);
        }
    }

    function _addItems(mapping(bytes32 => bool) storage set, bytes32[] memory items) private returns (uint256 added) {
        for (uint256 i = 0; i < items.length; ++i) {
            if (!set[items[i]]) {
                set[items[i]] = true;
                ++added;
            }
        }
    }

    function _removeItems(
        bytes32 grantId,
        mapping(bytes32 => bool) storage set,
        bytes32[] calldata items
    ) private returns (uint256 removed) {
        if (items.length > MAX_SCOPE_ITEMS) revert ScopeTooLarge(items.length, MAX_SCOPE_ITEMS);
        for (uint256 i = 0; i < items.length; ++i) {
            if (!set[items[i]]) revert ScopeItemNotInGrant(grantId, items[i]);
            set[items[i]] = false;
            ++removed;
        }
    }

    function _liveGrant(bytes32 grantId) private view returns (Grant storage gr) {
        gr = _grants[grantId];
        if (gr.resident == address(0)) revert GrantNotFound(grantId);
        if (gr.revoked) revert GrantRevokedAlready(grantId, gr.revokedAt);
    }

    /// @dev An institution grantee must be an active member; a doctor's account that is allowlisted
    ///      for an institution reads only while that institution is active (a doctor's account that is
    ///      not on the allowlist is vouched for by the institution that filed its request).
    function _granteeInGoodStanding(uint8 granteeKind, bytes32 grantee) private view returns (bool) {
        address account = address(uint160(uint256(grantee)));
        if (granteeKind == GRANTEE_INSTITUTION) return registry.isActiveMember(account);
        address institution = registry.institutionOf(account);
        return institution == address(0) || registry.isActiveMember(institution);
    }

    function _actsForGrantee(Grant storage parent, address signer) private view returns (bool) {
        address granteeAccount = address(uint160(uint256(parent.grantee)));
        if (parent.granteeKind == GRANTEE_DOCTOR) return signer == granteeAccount;
        if (parent.granteeKind == GRANTEE_INSTITUTION) {
            return registry.institutionOf(signer) == granteeAccount && registry.isActiveMember(granteeAccount);
        }
        return false;
    }

    function _list(address resident, bytes32 grantee, bytes32 grantId, bool reshared) private {
        bytes32[] storage ids = _liveGrants[_pair(resident, grantee)];
        if (ids.length >= MAX_GRANTS_PER_GRANTEE || reshared) {
            // Make room by dropping grants that can never allow anything again: their window has
            // ended, or they were re-shared from a grant since revoked or ended.
            uint256 reshares = 0;
            for (uint256 i = ids.length; i > 0; --i) {
                if (_isSpent(_grants[ids[i - 1]])) {
                    ids[i - 1] = ids[ids.length - 1];
                    ids.pop();
                } else if (_grants[ids[i - 1]].parentId != 0) {
                    ++reshares;
                }
            }
            if (reshared && reshares >= MAX_RESHARES_PER_GRANTEE) {
                revert TooManyReshares(resident, grantee, MAX_RESHARES_PER_GRANTEE);
            }
            if (ids.length >= MAX_GRANTS_PER_GRANTEE) revert TooManyGrants(resident, grantee, MAX_GRANTS_PER_GRANTEE);
        }
        ids.push(grantId);
    }

    /// @dev Whether a listed grant can never allow anything again.
    function _isSpent(Grant storage g) private view returns (bool) {
        if (g.notAfter < block.timestamp) return true;
        if (g.parentId == 0) return false;
        Grant storage parent = _grants[g.parentId];
        return parent.revoked || parent.notAfter < block.timestamp;
    }

    function _unlist(address resident, bytes32 grantee, bytes32 grantId) private {
        bytes32[] storage ids = _liveGrants[_pair(resident, grantee)];
        for (uint256 i = 0; i < ids.length; ++i) {
            if (ids[i] == grantId) {
                ids[i] = ids[ids.length - 1];
                ids.pop();
                return;
            }
        }
    }

    function _pair(address resident, bytes32 grantee) private pure returns (bytes32) {
        return keccak256(abi.encode(resident, grantee));
    }

    function _hashList(bytes32[] calldata items) private pure returns (bytes32) {
        return keccak256(abi.encodePacked(items));
    }
}

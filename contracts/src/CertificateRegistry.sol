// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ConsortiumGuarded} from "./common/ConsortiumGuarded.sol";
import {Roles} from "./common/Roles.sol";
import {IConsortiumRegistry} from "./interfaces/IConsortiumRegistry.sol";

/// @title CertificateRegistry (证书与时间戳存证)
/// @notice Anchors the fingerprint of a certificate or document (EQA certificates, proficiency-testing
///         reports, discharge summaries, research export packages) with a trusted timestamp, the
///         issuing institution and its SM2 signature, so that anyone holding the document can check
///         it against the chain. The document itself never comes on chain: only its SM3 hash and a
///         `subject` reference (an institution's address or a salted reference, never personal data).
/// @dev External functions take `uint8` codes rather than enum parameters: the ABI decoder rejects an
///      out-of-range enum with an empty revert, and callers deserve a typed error with the bad code.
///      Certificate ids are global and first-come: an issuer must derive its ids within its own
///      namespace (e.g. SM3 of its issuer code and its local certificate number), so that no other
///      issuer can take, or guess in advance, an id it will need.
contract CertificateRegistry is ConsortiumGuarded {
    /// @notice What an anchored document is. Codes as passed to `issue`.
    enum DocumentType {
        EqaCertificate, // 0 室间质评合格证书
        ProficiencyTestingReport, // 1 能力验证报告
        DischargeSummary, // 2 出院小结
        ExportPackage, // 3 科研导出数据包
        Other // 4 其他
    }

    /// @notice Why a certificate was revoked. Codes as passed to `revoke`.
    enum RevocationReason {
        Unspecified, // 0
        Superseded, // 1 被新证书取代
        IssuedInError, // 2 误签发
        KeyCompromise, // 3 签名密钥泄露
        Withdrawn // 4 撤回
    }

    /// @notice Result of `verify`. The codes follow the declaration order below; `verify` checks
    ///         Unknown, HashMismatch, Revoked, NotYetValid, Expired, in that order (the first that
    ///         applies wins), and answers Valid when none does.
    enum Status {
        Unknown, // 0 no certificate with this id
        Valid, // 1 hash matches, not revoked, validFrom <= now < validUntil
        Revoked, // 2
        Expired, // 3 now >= validUntil
        HashMismatch, // 4 the document presented is not the one anchored
        NotYetValid // 5 now < validFrom
    }

    /// @notice One anchored document: four packed slots, plus the signature (its length slot and
    ///         two or three data slots).
    struct Certificate {
        bytes32 subject; // whom or what the document is about (never personal data)
        bytes32 documentHash; // SM3 of the document
        address issuer; // the issuing institution (not the account that sent the transaction)
        uint64 issuedAt; // trusted timestamp: the block time of issuance
        DocumentType documentType;
        RevocationReason revocationReason; // meaningful only when revokedAt != 0
        uint64 validFrom; // first second of validity
        uint64 validUntil; // first second of invalidity; 0: never expires
        uint64 revokedAt; // 0: not revoked
        bytes issuerSignature; // the issuer's SM2 signature over documentHash (raw r||s or DER)
    }

    /// @notice Length of a raw SM2 signature r||s.
    uint256 private constant _RAW_SIGNATURE_LENGTH = 64;
    /// @notice Shortest and longest DER-encoded SM2 signature accepted: SEQUENCE { INTEGER r,
    ///         INTEGER s } with r and s of 1..33 bytes (shorter than 32 when they have leading zeros).
    ///         Only the SEQUENCE header (tag and length) is checked, not the INTEGERs inside.
    uint256 private constant _DER_SIGNATURE_MIN_LENGTH = 8;
    uint256 private constant _DER_SIGNATURE_MAX_LENGTH = 72;

    mapping(bytes32 certId => Certificate) private _certificates;
    mapping(bytes32 subject => bytes32[] certIds) private _certificatesBySubject;

    /// @notice A document was anchored.
    /// @param certId The certificate id chosen by the issuer.
    /// @param issuer The issuing institution.
    /// @param subject Whom or what the document is about.
    /// @param documentType A `DocumentType` code.
    /// @param documentHash SM3 of the document.
    /// @param issuedAt The trusted timestamp (block time).
    /// @param validFrom First second of validity (issuedAt when none was given).
    /// @param validUntil First second of invalidity, or 0 for no expiry.
    /// @param issuerSignature The issuer's SM2 signature over documentHash.
    event CertificateIssued(
        bytes32 indexed certId,
        address indexed issuer,
        bytes32 indexed subject,
        uint8 documentType,
        bytes32 documentHash,
        uint64 issuedAt,
        uint64 validFrom,
        uint64 validUntil,
        bytes issuerSignature
    );

    /// @notice A certificate was revoked by its issuing institution.
    /// @param certId The certificate id.
    /// @param issuer The issuing institution.
    /// @param reason A `RevocationReason` code; indexed so auditors can pull every `KeyCompromise`.
    /// @param revokedAt Block time of the revocation.
    event CertificateRevoked(
        bytes32 indexed certId,
        address indexed issuer,
        uint8 indexed reason,
        uint64 revokedAt
    );

    /// @notice The certificate id is zero.
    error ZeroCertificateId();
    /// @notice The document hash of `certId` is zero.
    error ZeroDocumentHash(bytes32 certId);
    /// @notice The subject of `certId` is zero.
    error ZeroSubject(bytes32 certId);
    /// @notice A certificate with this id was already anchored (ids are never reused, even after revocation).
    error CertificateAlreadyExists(bytes32 certId);
    /// @notice `code` is not a `DocumentType`.
    error InvalidDocumentType(uint8 code);
    /// @notice The validity window is empty or already over: `validFrom` is the effective start
    ///         (issuance time when 0 was given), `validUntil` must be 0 or after both it and `now`.
    error InvalidValidity(uint64 validFrom, uint64 validUntil, uint64 now);
    /// @notice The signature is neither 64 bytes (raw r||s) nor a DER SEQUENCE of 8..72 bytes whose
    ///         header states its length.
    error InvalidSignatureEncoding(uint256 length);
    /// @notice No certificate with this id.
    error CertificateNotFound(bytes32 certId);
    /// @notice Only an account of the issuing institution may revoke; the caller acts for
    ///         `callerInstitution` (zero when it is not on the account allowlist).
    error NotIssuer(bytes32 certId, address issuer, address callerInstitution);
    /// @notice The certificate was already revoked at `revokedAt`.
    error AlreadyRevoked(bytes32 certId, uint64 revokedAt);
    /// @notice `code` is not a `RevocationReason`.
    error InvalidRevocationReason(uint8 code);

    /// @notice Deploys the certificate registry, taking roles from `registry_`.
    /// @param registry_ The consortium registry that decides who holds `Roles.CERT_ISSUER` and which
    ///        accounts act for which institution.
    constructor(IConsortiumRegistry registry_) ConsortiumGuarded(registry_) {}

    /// @notice Anchors a document with the block time as its trusted timestamp, on behalf of the
    ///         caller's institution, which must hold `Roles.CERT_ISSUER` and be active.
    /// @param certId Unique id of the certificate (non-zero, never used before, by any issuer). Ids
    ///        are global and taken first-come: derive them within the issuer's own namespace, e.g.
    ///        SM3 of the issuer code and the local certificate number.
    /// @param documentType A `DocumentType` code (0..4).
    /// @param subject Whom or what the document is about: e.g. the lab institution's address as
    ///        bytes32, or a salted reference; non-zero.
    /// @param documentHash SM3 of the document; non-zero.
    /// @param validFrom First second of validity; 0 means the issuance time.
    /// @param validUntil First second of invalidity; 0 means no expiry, otherwise after both
    ///        `validFrom` and now.
    /// @param issuerSignature The issuing institution's SM2 signature over `documentHash`, kept as
    ///        evidence for off-chain verification (a standard EVM cannot verify SM2): 64 bytes raw
    ///        r||s, or DER: a SEQUENCE (tag 0x30, then the length of the rest in one byte) of 8..72
    ///        bytes in all (70..72 for full-size r and s, shorter when they have leading zeros).
    ///        Only this shape is checked on chain.
    function issue(
        bytes32 certId,
        uint8 documentType,
        bytes32 subject,
        bytes32 documentHash,
        uint64 validFrom,
        uint64 validUntil,
        bytes calldata issuerSignature
    ) external {
        address issuer = _requireRole(Roles.CERT_ISSUER);
        uint64 issuedAt = uint64(block.timestamp);
        uint64 effectiveFrom = _checkIssue(
            certId,
            documentType,
            subject,
            documentHash,
            validFrom,
            validUntil,
            issuedAt
        );
        _checkSignatureEncoding(issuerSignature);

        Certificate storage cert = _certificates[certId];
        cert.subject = subject;
        cert.documentHash = documentHash;
        cert.issuer = issuer;
        cert.issuedAt = issuedAt;
        cert.documentType = DocumentType(documentType);
        cert.validFrom = effectiveFrom;
        cert.validUntil = validUntil;
        cert.issuerSignature = issuerSignature;
        _certificatesBySubject[subject].push(certId);

        emit CertificateIssued(
            certId,
            issuer,
            subject,
            documentType,
            documentHash,
            issuedAt,
            effectiveFrom,
            validUntil,
            issuerSignature
        );
    }

    /// @notice Revokes a certificate for good. Any account on the allowlist acting for the issuing
    ///         institution may revoke its certificates, whatever the institution's status (active,
    ///         suspended or exited) and roles: an issuer that lost `Roles.CERT_ISSUER` or was
    ///         suspended, e.g. after its signing key was compromised, can still withdraw what it
    ///         signed, so that `verify` stops answering Valid.
    /// @param certId The certificate to revoke.
    /// @param reason A `RevocationReason` code (0..4).
    function revoke(bytes32 certId, uint8 reason) external {
        if (reason > uint8(type(RevocationReason).max)) revert InvalidRevocationReason(reason);
        Certificate storage cert = _certificates[certId];
        address issuer = cert.issuer;
        if (issuer == address(0)) revert CertificateNotFound(certId);
        // The allowlist, not the role: revoking only ever takes trust away.
        address callerInstitution = registry.institutionOf(msg.sender);
        if (issuer != callerInstitution) revert NotIssuer(certId, issuer, callerInstitution);
        if (cert.revokedAt != 0) revert AlreadyRevoked(certId, cert.revokedAt);

        uint64 revokedAt = uint64(block.timestamp);
        cert.revokedAt = revokedAt;
        cert.revocationReason = RevocationReason(reason);

        emit CertificateRevoked(certId, issuer, reason, revokedAt);
    }

    /// @notice Checks a presented document against its anchored certificate at the current block time.
    /// @dev Checks in order: Unknown, HashMismatch, Revoked, NotYetValid, Expired; otherwise Valid.
    ///      Validity is the half-open window [validFrom, validUntil). The issuer's current membership
    ///      status does not change the answer: what was anchored stays as anchored.
    /// @param certId The certificate id.
    /// @param documentHash SM3 of the presented document.
    /// @return status A `Status` code: 0 Unknown, 1 Valid, 2 Revoked, 3 Expired, 4 HashMismatch,
    ///         5 NotYetValid.
    function verify(bytes32 certId, bytes32 documentHash) external view returns (uint8 status) {
        Certificate storage cert = _certificates[certId];
        if (cert.issuer == address(0)) return uint8(Status.Unknown);
        if (cert.documentHash != documentHash) return uint8(Status.HashMismatch);
        if (cert.revokedAt != 0) return uint8(Status.Revoked);
        if (block.timestamp < cert.validFrom) return uint8(Status.NotYetValid);
        if (cert.validUntil != 0 && block.timestamp >= cert.validUntil) return uint8(Status.Expired);
        return uint8(Status.Valid);
    }

    /// @notice The anchored certificate, with its revocation state.
    /// @param certId The certificate id.
    /// @return The certificate; reverts with `CertificateNotFound` when there is none.
    function getCertificate(bytes32 certId) external view returns (Certificate memory) {
        Certificate storage cert = _certificates[certId];
        if (cert.issuer == address(0)) revert CertificateNotFound(certId);
        return cert;
    }

    /// @notice How many certificates were anchored about `subject` (revoked ones included).
    /// @param subject The subject reference.
    /// @return count The number of certificates.
    function certificateCountOf(bytes32 subject) external view returns (uint256 count) {
        return _certificatesBySubject[subject].length;
    }

    /// @notice A page of the certificate ids anchored about `subject`, in issuance order.
    /// @dev Paged so that a subject with many certificates never needs an unbounded read.
    /// @param subject The subject reference.
    /// @param offset Index of the first id to return.
    /// @param limit Most ids to return.
    /// @return certIds The ids at [offset, offset + limit), cut at the end; empty past the end.
    function certificatesOf(
        bytes32 subject,
        uint256 offset,
        uint256 limit
    ) external view returns (bytes32[] memory certIds) {
        bytes32[] storage all = _certificatesBySubject[subject];
        uint256 total = all.length;
        if (offset >= total) return new bytes32[](0);
        uint256 count = total - offset < limit ? total - offset : limit;
        certIds = new bytes32[](count);
        for (uint256 i = 0; i < count; ++i) {
            certIds[i] = all[offset + i];
        }
    }

    /// @dev Reverts on bad input to `issue`; returns the effective start of validity.
    function _checkIssue(
        bytes32 certId,
        uint8 documentType,
        bytes32 subject,
        bytes32 documentHash,
        uint64 validFrom,
        uint64 validUntil,
        uint64 issuedAt
    ) private view returns (uint64 effectiveFrom) {
        if (certId == bytes32(0)) revert ZeroCertificateId();
        if (subject == bytes32(0)) revert ZeroSubject(certId);
        if (documentHash == bytes32(0)) revert ZeroDocumentHash(certId);
        if (documentType > uint8(type(DocumentType).max)) revert InvalidDocumentType(documentType);
        if (_certificates[certId].issuer != address(0)) revert CertificateAlreadyExists(certId);
        effectiveFrom = validFrom == 0 ? issuedAt : validFrom;
        if (validUntil != 0 && (validUntil <= effectiveFrom || validUntil <= issuedAt)) {
            revert InvalidValidity(effectiveFrom, validUntil, issuedAt);
        }
    }

    /// @dev SM2 signatures: 64 bytes raw r||s, or DER SEQUENCE{INTEGER r, INTEGER s}: tag 0x30, then
    ///      the length of the rest in one byte. A standard EVM cannot verify SM2, so only the shape is
    ///      checked here; the signature itself is verified off chain with the issuer's key.
    function _checkSignatureEncoding(bytes calldata signature) private pure {
        uint256 length = signature.length;
        if (length == _RAW_SIGNATURE_LENGTH) return;
        if (
            length < _DER_SIGNATURE_MIN_LENGTH ||
            length > _DER_SIGNATURE_MAX_LENGTH ||
            signature[0] != 0x30 ||
            uint8(signature[1]) != length - 2
        ) revert InvalidSignatureEncoding(length);
    }
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Roles
/// @notice The business roles a member institution can hold in the consortium. Roles are granted to
///         institutions by member vote in `ConsortiumRegistry`; an allowlisted account acts with the
///         roles of the institution it belongs to, and only while that institution is active.
library Roles {
    /// @notice May anchor its own records and their changes in `DataIndex`.
    bytes32 internal constant DATA_PROVIDER = keccak256("DATA_PROVIDER");
    /// @notice May file doctors' access requests in `ConsentRegistry`.
    bytes32 internal constant DATA_CONSUMER = keccak256("DATA_CONSUMER");
    /// @notice May issue and revoke certificates and timestamped documents in `CertificateRegistry`.
    bytes32 internal constant CERT_ISSUER = keccak256("CERT_ISSUER");
    /// @notice May record access evidence in `AuditTrail`, open data-sharing workflows there
    ///         (`applyForSharing`) and record the downloads of its own cleared workflows.
    bytes32 internal constant AUDIT_RECORDER = keccak256("AUDIT_RECORDER");
    /// @notice May record approval decisions and compliance checks of data-sharing workflows in
    ///         `AuditTrail`: the approval office of the health authority or the platform. Never on a
    ///         workflow its own institution applied for (no self-approval).
    bytes32 internal constant SHARING_APPROVER = keccak256("SHARING_APPROVER");
}

// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IConsortiumRegistry
/// @notice What the other contracts of the suite ask the consortium registry: who an account acts
///         for, and whether it may act in a given role now.
interface IConsortiumRegistry {
    /// @notice The institution an allowlisted account acts for (the institution's own address for its
    ///         primary account), or the zero address when the account is not allowlisted.
    /// @param account Any account.
    /// @return institution The institution's address, or zero.
    function institutionOf(address account) external view returns (address institution);

    /// @notice Whether an institution is a member whose status is active.
    /// @param institution The institution's address.
    /// @return True when the institution is an active member.
    function isActiveMember(address institution) external view returns (bool);

    /// @notice Whether an account may act in `role` now: it is allowlisted, its institution is active
    ///         and holds the role.
    /// @param role The role id (see `Roles`).
    /// @param account The acting account.
    /// @return True when the account may act in the role.
    function hasRole(bytes32 role, address account) external view returns (bool);

    /// @notice The institution an account acts for when it may act in `role` now, else zero.
    /// @dev One call for the common "check the role, then attribute the action" step.
    /// @param account The acting account.
    /// @param role The role id.
    /// @return institution The institution, or zero when the account may not act in the role.
    function institutionWithRole(address account, bytes32 role) external view returns (address institution);

    /// @notice Whether an account is on the account allowlist (may send transactions to the chain).
    /// @param account Any account.
    /// @return True when allowlisted.
    function isAllowedAccount(address account) external view returns (bool);
}

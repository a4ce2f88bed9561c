// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IConsortiumRegistry} from "../interfaces/IConsortiumRegistry.sol";

/// @title ConsortiumGuarded
/// @notice Base of every contract that takes its roles from `ConsortiumRegistry`, the one place
///         where membership and roles are decided.
abstract contract ConsortiumGuarded {
    /// @notice The consortium registry that decides membership and roles.
    IConsortiumRegistry public immutable registry;

    /// @notice The registry address given at deployment is zero.
    error ZeroRegistry();
    /// @notice `account` may not act in `role` (not allowlisted, institution inactive, or role missing).
    error MissingRole(address account, bytes32 role);

    constructor(IConsortiumRegistry registry_) {
        if (address(registry_) == address(0)) revert ZeroRegistry();
        registry = registry_;
    }

    /// @dev Reverts unless the sender may act in `role` now; returns the institution it acts for.
    function _requireRole(bytes32 role) internal view returns (address institution) {
        institution = registry.institutionWithRole(msg.sender, role);
        if (institution == address(0)) revert MissingRole(msg.sender, role);
    }
}

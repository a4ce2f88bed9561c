// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @notice A purpose code outside the defined purposes.
error InvalidPurpose(uint8 purpose);

/// @title Purposes
/// @notice Purposes of use, shared by consent grants (`ConsentRegistry`) and access evidence
///         (`AuditTrail`). A purpose is a number; a set of purposes is a bit mask (bit `1 << p`).
///         External functions take `uint8` codes (not Solidity enums) so that an unknown code
///         reverts with `InvalidPurpose` instead of the ABI decoder's silent revert.
library Purposes {
    uint8 internal constant TREATMENT = 0; // 诊疗
    uint8 internal constant REFERRAL = 1; // 转诊
    uint8 internal constant RESEARCH = 2; // 科研
    uint8 internal constant INSURANCE = 3; // 医保/商保
    uint8 internal constant PUBLIC_HEALTH = 4; // 公共卫生
    uint8 internal constant OTHER = 5; // 其他
    /// @notice Number of defined purposes.
    uint8 internal constant COUNT = 6;
    /// @notice The mask of all defined purposes.
    uint8 internal constant ALL_MASK = uint8((1 << COUNT) - 1);

    /// @dev Reverts with `InvalidPurpose` unless `purpose` is defined.
    function check(uint8 purpose) internal pure {
        if (purpose >= COUNT) revert InvalidPurpose(purpose);
    }

    /// @dev Reverts with `InvalidPurpose` unless `mask` is a non-empty set of defined purposes.
    function checkMask(uint8 mask) internal pure {
        if (mask == 0 || mask & ~ALL_MASK != 0) revert InvalidPurpose(mask);
    }

    /// @dev Whether `mask` contains `purpose`.
    function contains(uint8 mask, uint8 purpose) internal pure returns (bool) {
        return purpose < COUNT && (mask >> purpose) & 1 == 1;
    }
}

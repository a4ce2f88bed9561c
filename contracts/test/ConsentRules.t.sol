// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {ConsentRegistry} from "../src/ConsentRegistry.sol";
import {ConsortiumRegistry} from "../src/ConsortiumRegistry.sol";
import {IConsortiumRegistry} from "../src/interfaces/IConsortiumRegistry.sol";

/// @dev The Foundry cheatcodes this file uses (EDR serves them at the standard address).
interface IVm {
    function sign(uint256 privateKey, bytes32 digest) external returns (uint8 v, bytes32 r, bytes32 s);
    function addr(uint256 privateKey) external returns (address);
    function warp(uint256) external;
    function prank(address) external;
    function expectRevert(bytes4) external;
    function expectRevert(bytes calldata) external;
}

/// @dev A contract wallet (ERC-1271) owned by one key, as a resident's smart-contract wallet would be.
contract OwnerWallet {
    address private immutable _owner;

    constructor(address owner_) {
        _owner = owner_;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (signature.length != 65) return 0xffffffff;
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        return ecrecover(hash, v, r, s) == _owner ? this.isValidSignature.selector : bytes4(0xffffffff);
    }
}

/// @notice Property tests of the consent rules of `ConsentRegistry`, on a real `ConsortiumRegistry`:
///         access exactly within scope, purposes and window; revocation and narrowing effective at
///         once and never widening; re-shares never beyond their parent; no replay, and a signature
///         over one message never validates another. Each fuzz query is compared with a model of
///         the rule written here, so a test checks both "no access outside" and "access inside".
contract ConsentRulesTest {
    IVm private constant VM = IVm(0x7109709ECfa91a80626fF3989D68f67F5b1DD12D);

    uint64 private constant T0 = 1_750_000_000;
    uint64 private constant DAY = 1 days;
    uint8 private constant DOCTOR = 1;
    uint8 private constant TREATMENT = 0;
    uint8 private constant ALL_PURPOSES = 0x3f;
    bytes32 private constant ALL = bytes32(type(uint256).max);
    uint256 private constant SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    uint256 private constant RESIDENT_KEY = 0xA11CE;
    uint256 private constant GUARDIAN_KEY = 0x6A4D1A;
    uint256 private constant DOCTOR_KEY = 0xD0C;
    uint256 private constant DOCTOR2_KEY = 0xD0C2;

    ConsortiumRegistry private registry;
    ConsentRegistry private consent;
    address private resident;
    address private guardian;
    address private doctor;
    bytes32 private doctorId;
    bytes32 private doctor2Id;

    /// Four known items per list: the first two are granted by `_baseGrant`, the last two are not.
    bytes32[4] private cats;
    bytes32[4] private recs;
    bytes32[4] private fieldIds;

    /// A checkAccess question.
    struct Query {
        bytes32 recordId;
        bytes32 category;
        bytes32 field;
        uint8 purpose;
        uint64 at;
    }

    /// What a grant holds, as the model of the rule sees it.
    struct Model {
        bool[4] cats;
        bool[4] recs;
        bool[4] fields;
        uint8 purposes;
        uint64 notBefore;
        uint64 notAfter;
    }

    function setUp() public {
        VM.warp(T0);
        resident = VM.addr(RESIDENT_KEY);
        guardian = VM.addr(GUARDIAN_KEY);
        doctor = VM.addr(DOCTOR_KEY);
        doctorId = bytes32(uint256(uint160(doctor)));
        doctor2Id = bytes32(uint256(uint160(VM.addr(DOCTOR2_KEY))));
        for (uint256 i = 0; i < 4; ++i) {
            cats[i] = keccak256(abi.encode("category", i));
            recs[i] = keccak256(abi.encode("record", i));
            fieldIds[i] = keccak256(abi.encode("field", i));
        }

        bytes32[] memory roles = new bytes32[](1);
        roles[0] = keccak256("DATA_CONSUMER");
        ConsortiumRegistry.FoundingMember[] memory founders = new ConsortiumRegistry.FoundingMember[](1);
        founders[0] = ConsortiumRegistry.FoundingMember(address(this), 1, "District Central Hospital", roles);
        registry = new ConsortiumRegistry(founders, 5000, 1 hours);
        consent = new ConsentRegistry(IConsortiumRegistry(address(registry)));
    }

    // ------------------------------------------------------------------ access within scope, purposes, window

    /// Allowed exactly when the record (by id or by category) and the field are in the grant.
    function testFuzz_accessOnlyWithinRecordAndFieldScope(
        uint8 recSel,
        bytes32 recRand,
        uint8 catSel,
        bytes32 catRand,
        uint8 fieldSel,
        bytes32 fieldRand
    ) public {
        (ConsentRegistry.ConsentGrant memory g, Model memory m) = _baseGrant(ALL_PURPOSES, T0 - DAY, T0 + 30 * DAY);
        bytes32 grantId = _relay(g);
        Query memory q = Query(
            _pick(recSel, recRand, recs),
            _pick(catSel, catRand, cats),
            _pick(fieldSel, fieldRand, fieldIds),
            TREATMENT,
            T0 + DAY
        );
        (bool allowed, bytes32 id) = _check(doctorId, q);
        bool expected = _modelAllows(m, q);
        require(allowed == expected, "access differs from the grant's scope");
        require(id == (expected ? grantId : bytes32(0)), "wrong grant named");
    }

    /// With ALL in categories and fields, any record asked by a (non-zero) category and any field
    /// is allowed; ALL never works as a record id, and asking with ALL is no way in either.
    function testFuzz_wildcardCoversEveryCategoryAndFieldOnly(bytes32 recordId, bytes32 category, bytes32 field) public {
        (ConsentRegistry.ConsentGrant memory g, ) = _baseGrant(ALL_PURPOSES, T0 - DAY, T0 + 30 * DAY);
        g.categories = _list(ALL);
        g.recordIds = _list(recs[0]);
        g.fields = _list(ALL);
        _relay(g);
        (bool allowed, ) = _check(doctorId, Query(recordId, category, field, TREATMENT, T0 + DAY));
        require(allowed == (category != bytes32(0) || recordId == recs[0]), "wildcard scope");
    }

    /// Allowed exactly for the purposes in the grant's mask; undefined purpose codes never.
    function testFuzz_accessOnlyForGrantedPurposes(uint8 maskSeed, uint8 purpose) public {
        uint8 mask = uint8(1 + (maskSeed % ALL_PURPOSES));
        (ConsentRegistry.ConsentGrant memory g, ) = _baseGrant(mask, T0 - DAY, T0 + 30 * DAY);
        _relay(g);
        (bool allowed, ) = _check(doctorId, Query(recs[0], bytes32(0), fieldIds[0], purpose, T0 + DAY));
        require(allowed == (purpose < 6 && (mask >> purpose) & 1 == 1), "access differs from the purposes");
    }

    /// Allowed exactly from notBefore to notAfter, both included.
    function testFuzz_accessOnlyWithinWindow(uint64 endSeed, uint64 startSeed, uint8 atSel, uint64 atRand) public {
        uint64 notAfter = T0 + 1 + uint64(endSeed % (730 * DAY));
        uint64 notBefore = uint64(startSeed % notAfter);
        (ConsentRegistry.ConsentGrant memory g, ) = _baseGrant(ALL_PURPOSES, notBefore, notAfter);
        _relay(g);
        uint64 at = _pickTime(atSel, atRand, notBefore, notAfter);
        (bool allowed, ) = _check(doctorId, Query(recs[0], bytes32(0), fieldIds[0], TREATMENT, at));
        require(allowed == (at >= notBefore && at <= notAfter), "access differs from the window");
    }

    /// Other grantees and other residents get nothing from a grant.
    function testFuzz_noAccessForOtherGranteesOrResidents(bytes32 grantee, address other) public {
        (ConsentRegistry.ConsentGrant memory g, ) = _baseGrant(ALL_PURPOSES, T0 - DAY, T0 + 30 * DAY);
        _relay(g);
        Query memory q = Query(recs[0], cats[0], fieldIds[0], TREATMENT, T0 + DAY);
        (bool allowed, ) = consent.checkAccess(resident, grantee, q.recordId, q.category, q.field, q.purpose, q.at);
        require(allowed == (grantee == doctorId), "another grantee allowed");
        (allowed, ) = consent.checkAccess(other, doctorId, q.recordId, q.category, q.field, q.purpose, q.at);
        require(allowed == (other == resident), "another resident's records allowed");
    }

    // ------------------------------------------------------------------ revocation and narrowing

    /// After a revocation, no question about the grant is allowed, from the next call on.
    function testFuzz_revocationIsImmediate(uint256 seed) public {
        (ConsentRegistry.ConsentGrant memory g, Model memory m) = _baseGrant(ALL_PURPOSES, T0 - DAY, T0 + 30 * DAY);
        bytes32 grantId = _relay(g);
        (bool before, ) = _check(doctorId, Query(recs[0], bytes32(0), fieldIds[0], TREATMENT, T0));
        require(before, "granted read allowed before revocation");

        _revoke(grantId, uint256(keccak256(abi.encode("revoke", seed))));
        for (uint256 i = 0; i < 6; ++i) {
            Query memory q = _query(uint256(keccak256(abi.encode(seed, i))), m);
            (bool allowed, ) = _check(doctorId, q);
            require(!allowed, "revoked grant still allows");
        }
        require(consent.liveGrants(resident, doctorId).length == 0, "revoked grant still listed");
    }

    /// A random narrowing (items, fields, purposes, end) never allows anything that was not allowed
    /// before, and takes away exactly what it names.
    function testFuzz_narrowingNeverWidens(uint256 removeBits, uint8 removePurposes, uint64 endSeed, uint256 seed) public {
        (ConsentRegistry.ConsentGrant memory g, Model memory m) = _baseGrant(ALL_PURPOSES, T0 - DAY, T0 + 30 * DAY);
        g.categories = _all(cats);
        g.recordIds = _all(recs);
        g.fields = _all(fieldIds);
        for (uint256 i = 0; i < 4; ++i) (m.cats[i], m.recs[i], m.fields[i]) = (true, true, true);
        bytes32 grantId = _relay(g);

        Query[8] memory qs;
        bool[8] memory before;
        for (uint256 i = 0; i < 8; ++i) {
            qs[i] = _query(uint256(keccak256(abi.encode(seed, i))), m);
            (before[i], ) = _check(doctorId, qs[i]);
        }

        (ConsentRegistry.ConsentNarrowing memory n, Model memory after_) = _narrowing(
            grantId,
            m,
            removeBits,
            removePurposes,
            endSeed
        );
        n.nonce = uint256(keccak256(abi.encode("narrow", seed)));
        consent.narrow(n, resident, _sign(RESIDENT_KEY, consent.narrowingDigest(n)));

        for (uint256 i = 0; i < 8; ++i) {
            (bool allowed, ) = _check(doctorId, qs[i]);
            require(!allowed || before[i], "narrowing allowed something new");
            require(allowed == _modelAllows(after_, qs[i]), "narrowing took away other than it named");
        }
    }

    /// A re-shared grant never allows what its parent does not allow at the same moment, also after
    /// the parent is narrowed at random; and nothing once the parent is revoked.
    function testFuzz_reshareNeverReachesBeyondItsParent(uint256 removeBits, uint8 removePurposes, uint64 endSeed, uint256 seed) public {
        (ConsentRegistry.ConsentGrant memory g, Model memory m) = _baseGrant(ALL_PURPOSES, T0 - DAY, T0 + 30 * DAY);
        bytes32 parentId = _relay(g);
        ConsentRegistry.Reshare memory s = ConsentRegistry.Reshare({
            parentId: parentId,
            grantee: doctor2Id,
            granteeKind: DOCTOR,
            categories: _list(cats[0]),
            recordIds: _pair(recs[0], recs[1]),
            fields: _pair(fieldIds[0], fieldIds[1]),
            purposes: 0x07,
            notAfter: T0 + 20 * DAY,
            nonce: 1,
            deadline: T0 + DAY
        });
        consent.reshare(s, doctor, _sign(DOCTOR_KEY, consent.reshareDigest(s)));

        (ConsentRegistry.ConsentNarrowing memory n, ) = _narrowing(parentId, m, removeBits, removePurposes, endSeed);
        consent.narrow(n, resident, _sign(RESIDENT_KEY, consent.narrowingDigest(n)));
        for (uint256 i = 0; i < 8; ++i) {
            Query memory q = _query(uint256(keccak256(abi.encode(seed, i))), m);
            (bool childAllows, ) = _check(doctor2Id, q);
            (bool parentAllows, ) = _check(doctorId, q);
            require(!childAllows || parentAllows, "re-share allowed beyond its parent");
        }

        _revoke(parentId, uint256(keccak256(abi.encode("revoke", seed))));
        for (uint256 i = 0; i < 4; ++i) {
            (bool childAllows, ) = _check(doctor2Id, _query(uint256(keccak256(abi.encode(seed, "after", i))), m));
            require(!childAllows, "re-share outlived its revoked parent");
        }
    }

    // ------------------------------------------------------------------ signatures

    /// Relaying the same signed grant twice, or another grant under a used nonce, reverts.
    function testFuzz_noReplayOfAGrant(uint256 nonce, uint8 maskSeed, uint64 lengthSeed) public {
        (ConsentRegistry.ConsentGrant memory g, ) = _baseGrant(
            uint8(1 + (maskSeed % ALL_PURPOSES)),
            T0,
            T0 + 1 + uint64(lengthSeed % (3650 * DAY))
        );
        g.nonce = nonce;
        bytes memory signature = _sign(RESIDENT_KEY, consent.grantDigest(g));
        consent.grant(g, resident, signature);
        require(consent.isNonceUsed(resident, nonce), "nonce spent");

        bytes memory used = abi.encodeWithSelector(ConsentRegistry.NonceAlreadyUsed.selector, resident, nonce);
        VM.expectRevert(used);
        consent.grant(g, resident, signature);

        g.purposes = g.purposes == ALL_PURPOSES ? 1 : ALL_PURPOSES;
        signature = _sign(RESIDENT_KEY, consent.grantDigest(g));
        VM.expectRevert(used);
        consent.grant(g, resident, signature);
    }

    /// Relaying the same signed narrowing or revocation twice reverts.
    function testFuzz_noReplayOfANarrowingOrRevocation(uint256 nonceN, uint256 nonceR) public {
        if (nonceN == nonceR) nonceR = ~nonceN;
        (ConsentRegistry.ConsentGrant memory g, ) = _baseGrant(ALL_PURPOSES, T0 - DAY, T0 + 30 * DAY);
        g.nonce = uint256(keccak256(abi.encode("grant", nonceN, nonceR)));
        bytes32 grantId = _relay(g);

        ConsentRegistry.ConsentNarrowing memory n = _emptyNarrowing(grantId);
        n.removeFields = _list(fieldIds[1]);
        n.nonce = nonceN;
        bytes memory signature = _sign(RESIDENT_KEY, consent.narrowingDigest(n));
        consent.narrow(n, resident, signature);
        VM.expectRevert(abi.encodeWithSelector(ConsentRegistry.NonceAlreadyUsed.selector, resident, nonceN));
        consent.narrow(n, resident, signature);

        ConsentRegistry.ConsentRevocation memory r = ConsentRegistry.ConsentRevocation(grantId, nonceR, T0 + DAY);
        signature = _sign(RESIDENT_KEY, consent.revocationDigest(r));
        consent.revoke(r, resident, signature);
        // The grant is revoked now, which is checked first; a second grant shows the nonce is spent.
        bytes32 second = _relay(_withNonce(g, uint256(keccak256(abi.encode(nonceN, nonceR)))));
        r.grantId = second;
        signature = _sign(RESIDENT_KEY, consent.revocationDigest(r));
        VM.expectRevert(abi.encodeWithSelector(ConsentRegistry.NonceAlreadyUsed.selector, resident, nonceR));
        consent.revoke(r, resident, signature);
    }

    /// A signature over one grant never validates a grant that differs in any one field.
    function testFuzz_signatureNeverValidatesAModifiedGrant(uint8 which, uint256 value) public {
        (ConsentRegistry.ConsentGrant memory g, ) = _baseGrant(0x05, T0, T0 + 30 * DAY);
        bytes memory signature = _sign(RESIDENT_KEY, consent.grantDigest(g));
        ConsentRegistry.ConsentGrant memory t = _modified(g, which % 12, value);
        require(consent.grantDigest(t) != consent.grantDigest(g), "modification changed nothing");
        VM.expectRevert(abi.encodeWithSelector(ConsentRegistry.InvalidSignature.selector, resident));
        consent.grant(t, resident, signature);
        // The untouched grant, with the same signature, is accepted.
        consent.grant(g, resident, signature);
    }

    /// Only the resident, or a delegate while the delegation lasts, may sign for the resident.
    function testFuzz_onlyTheResidentOrAnActiveDelegateSigns(uint8 who, uint256 keySeed, uint64 later) public {
        uint64 delegationEnd = T0 + 10 * DAY;
        ConsentRegistry.Delegation memory d = ConsentRegistry.Delegation(resident, guardian, 0, delegationEnd, 1, T0);
        consent.setDelegate(d, _sign(RESIDENT_KEY, consent.delegationDigest(d)));

        uint64 now_ = T0 + uint64(later % (20 * DAY));
        VM.warp(now_);
        uint256 key = who % 3 == 0 ? RESIDENT_KEY : who % 3 == 1 ? GUARDIAN_KEY : 1 + (keySeed % (SECP256K1_N - 1));
        address signer = VM.addr(key);
        (ConsentRegistry.ConsentGrant memory g, ) = _baseGrant(ALL_PURPOSES, T0, T0 + 60 * DAY);
        g.nonce = 2; // the resident's nonce 1 went to the delegation
        g.deadline = T0 + 60 * DAY;
        bytes memory signature = _sign(key, consent.grantDigest(g));

        bool authorised = signer == resident || (signer == guardian && now_ <= delegationEnd);
        if (!authorised) {
            VM.expectRevert(abi.encodeWithSelector(ConsentRegistry.NotAuthorizedSigner.selector, resident, signer));
        }
        consent.grant(g, signer, signature);
        require(consent.liveGrants(resident, doctorId).length == (authorised ? 1 : 0), "grant recorded or not");
    }

    /// A resident whose wallet is a contract (ERC-1271) grants through its owner key's signature.
    function test_contractWalletResidentGrants() public {
        OwnerWallet wallet = new OwnerWallet(VM.addr(RESIDENT_KEY));
        (ConsentRegistry.ConsentGrant memory g, ) = _baseGrant(ALL_PURPOSES, T0, T0 + 30 * DAY);
        g.resident = address(wallet);
        bytes memory signature = _sign(RESIDENT_KEY, consent.grantDigest(g));
        bytes32 grantId = consent.grant(g, address(wallet), signature);
        (bool allowed, bytes32 id) = consent.checkAccess(address(wallet), doctorId, recs[0], 0, fieldIds[0], 0, T0 + 1);
        require(allowed && id == grantId, "contract wallet's grant allows");

        // Another key's signature is refused by the wallet.
        g.nonce = 2;
        signature = _sign(DOCTOR_KEY, consent.grantDigest(g));
        VM.expectRevert(abi.encodeWithSelector(ConsentRegistry.InvalidSignature.selector, address(wallet)));
        consent.grant(g, address(wallet), signature);
    }

    // ------------------------------------------------------------------ building blocks

    /// Categories 0-1, records 0-1, fields 0-1, re-sharing allowed; nonce 1, deadline a day away.
    function _baseGrant(
        uint8 purposes,
        uint64 notBefore,
        uint64 notAfter
    ) private view returns (ConsentRegistry.ConsentGrant memory g, Model memory m) {
        g = ConsentRegistry.ConsentGrant({
            resident: resident,
            grantee: doctorId,
            granteeKind: DOCTOR,
            categories: _pair(cats[0], cats[1]),
            recordIds: _pair(recs[0], recs[1]),
            fields: _pair(fieldIds[0], fieldIds[1]),
            purposes: purposes,
            notBefore: notBefore,
            notAfter: notAfter,
            mayReshare: true,
            nonce: 1,
            deadline: T0 + DAY
        });
        m.cats[0] = m.cats[1] = m.recs[0] = m.recs[1] = m.fields[0] = m.fields[1] = true;
        m.purposes = purposes;
        m.notBefore = notBefore;
        m.notAfter = notAfter;
    }

    /// A valid narrowing of a grant modelled by `m` (never empty, never a no-op), and the model after it.
    function _narrowing(
        bytes32 grantId,
        Model memory m,
        uint256 removeBits,
        uint8 removePurposes,
        uint64 endSeed
    ) private view returns (ConsentRegistry.ConsentNarrowing memory n, Model memory a) {
        a = _copyModel(m);
        n = _emptyNarrowing(grantId);
        // Keep at least one target and one field: the last held record and field are never removed.
        n.removeCategories = _removals(a.cats, cats, removeBits, 4);
        n.removeRecordIds = _removals(a.recs, recs, removeBits >> 4, _lastHeld(m.recs));
        n.removeFields = _removals(a.fields, fieldIds, removeBits >> 8, _lastHeld(m.fields));
        uint8 taken = removePurposes & m.purposes;
        if (taken == m.purposes) taken &= taken - 1; // keep one purpose
        n.removePurposes = taken;
        a.purposes = m.purposes & ~taken;
        if ((removeBits >> 12) & 1 == 1) {
            // A new end between now and the current end (and after notBefore).
            uint64 low = T0 > m.notBefore ? T0 : m.notBefore + 1;
            n.notAfter = low + uint64(endSeed % (m.notAfter - low + 1));
            a.notAfter = n.notAfter;
        }
        bool changed = n.removeCategories.length + n.removeRecordIds.length + n.removeFields.length > 0 ||
            taken != 0 ||
            (n.notAfter != 0 && n.notAfter != m.notAfter);
        if (!changed) {
            n.notAfter = m.notAfter - 1;
            a.notAfter = n.notAfter;
        }
        n.nonce = uint256(keccak256(abi.encode(removeBits, removePurposes, endSeed)));
    }

    /// Removes from `held` the held items whose bit is set, except the one at `keep`.
    function _removals(
        bool[4] memory held,
        bytes32[4] storage items,
        uint256 bits,
        uint256 keep
    ) private view returns (bytes32[] memory removed) {
        removed = new bytes32[](4);
        uint256 count = 0;
        for (uint256 i = 0; i < 4; ++i) {
            if (held[i] && i != keep && (bits >> i) & 1 == 1) {
                removed[count++] = items[i];
                held[i] = false;
            }
        }
        assembly ("memory-safe") {
            mstore(removed, count)
        }
    }

    function _lastHeld(bool[4] memory held) private pure returns (uint256 last) {
        for (uint256 i = 0; i < 4; ++i) if (held[i]) last = i;
    }

    function _modelAllows(Model memory m, Query memory q) private view returns (bool) {
        if (q.at < m.notBefore || q.at > m.notAfter) return false;
        if (q.purpose >= 6 || (m.purposes >> q.purpose) & 1 == 0) return false;
        if (!_holds(m.fields, fieldIds, q.field)) return false;
        return _holds(m.recs, recs, q.recordId) || _holds(m.cats, cats, q.category);
    }

    function _holds(bool[4] memory held, bytes32[4] storage items, bytes32 item) private view returns (bool) {
        for (uint256 i = 0; i < 4; ++i) if (held[i] && items[i] == item) return true;
        return false;
    }

    /// A question derived from `seed`: known items (granted or not), zero, or random; any purpose
    /// code up to 7; a time at or around the window's edges, inside it, or anywhere.
    function _query(uint256 seed, Model memory m) private view returns (Query memory q) {
        q.recordId = _pick(uint8(seed), keccak256(abi.encode(seed, "r")), recs);
        q.category = _pick(uint8(seed >> 8), keccak256(abi.encode(seed, "c")), cats);
        q.field = _pick(uint8(seed >> 16), keccak256(abi.encode(seed, "f")), fieldIds);
        q.purpose = uint8(seed >> 24) % 8;
        q.at = _pickTime(uint8(seed >> 32), uint64(seed >> 40), m.notBefore, m.notAfter);
    }

    function _pick(uint8 sel, bytes32 random, bytes32[4] storage known) private view returns (bytes32) {
        uint8 kind = sel % 6;
        if (kind == 0) return random;
        if (kind == 1) return bytes32(0);
        return known[(sel / 6) % 4];
    }

    function _pickTime(uint8 sel, uint64 random, uint64 notBefore, uint64 notAfter) private pure returns (uint64) {
        uint8 kind = sel % 6;
        if (kind == 0 && notBefore > 0) return notBefore - 1;
        if (kind == 1) return notBefore;
        if (kind == 2) return notAfter;
        if (kind == 3) return notAfter + 1;
        if (kind == 4) return notBefore + (random % (notAfter - notBefore + 1));
        return random;
    }

    function _modified(
        ConsentRegistry.ConsentGrant memory g,
        uint256 which,
        uint256 value
    ) private pure returns (ConsentRegistry.ConsentGrant memory t) {
        t = _withNonce(g, g.nonce);
        uint256 nonZero = value == 0 ? 1 : value;
        if (which == 0) t.grantee = g.grantee ^ bytes32(nonZero);
        else if (which == 1) t.granteeKind = uint8(g.granteeKind + 1 + (value % 255));
        else if (which == 2) t.categories[value % 2] ^= bytes32(nonZero);
        else if (which == 3) t.recordIds[value % 2] ^= bytes32(nonZero);
        else if (which == 4) t.fields[value % 2] ^= bytes32(nonZero);
        else if (which == 5) t.purposes = uint8(g.purposes ^ (1 + (value % 255)));
        else if (which == 6) t.notBefore = g.notBefore ^ uint64(1 + (value % type(uint64).max));
        else if (which == 7) t.notAfter = g.notAfter ^ uint64(1 + (value % type(uint64).max));
        else if (which == 8) t.mayReshare = !g.mayReshare;
        else if (which == 9) t.nonce = g.nonce ^ nonZero;
        else if (which == 10) t.deadline = g.deadline + 1 + uint64(value % (365 * DAY));
        else t.fields = _triple(g.fields[0], g.fields[1], bytes32(nonZero)); // one item more
    }

    function _withNonce(
        ConsentRegistry.ConsentGrant memory g,
        uint256 nonce
    ) private pure returns (ConsentRegistry.ConsentGrant memory t) {
        t = ConsentRegistry.ConsentGrant({
            resident: g.resident,
            grantee: g.grantee,
            granteeKind: g.granteeKind,
            categories: _copy(g.categories),
            recordIds: _copy(g.recordIds),
            fields: _copy(g.fields),
            purposes: g.purposes,
            notBefore: g.notBefore,
            notAfter: g.notAfter,
            mayReshare: g.mayReshare,
            nonce: nonce,
            deadline: g.deadline
        });
    }

    function _emptyNarrowing(bytes32 grantId) private pure returns (ConsentRegistry.ConsentNarrowing memory n) {
        n.grantId = grantId;
        n.removeCategories = new bytes32[](0);
        n.removeRecordIds = new bytes32[](0);
        n.removeFields = new bytes32[](0);
        n.deadline = T0 + DAY;
    }

    function _copyModel(Model memory m) private pure returns (Model memory a) {
        // Element by element: assigning a memory array would share it.
        for (uint256 i = 0; i < 4; ++i) (a.cats[i], a.recs[i], a.fields[i]) = (m.cats[i], m.recs[i], m.fields[i]);
        a.purposes = m.purposes;
        a.notBefore = m.notBefore;
        a.notAfter = m.notAfter;
    }

    function _relay(ConsentRegistry.ConsentGrant memory g) private returns (bytes32) {
        return consent.grant(g, resident, _sign(RESIDENT_KEY, consent.grantDigest(g)));
    }

    function _revoke(bytes32 grantId, uint256 nonce) private {
        ConsentRegistry.ConsentRevocation memory r = ConsentRegistry.ConsentRevocation(grantId, nonce, T0 + DAY);
        consent.revoke(r, resident, _sign(RESIDENT_KEY, consent.revocationDigest(r)));
    }

    function _check(bytes32 grantee, Query memory q) private view returns (bool, bytes32) {
        return consent.checkAccess(resident, grantee, q.recordId, q.category, q.field, q.purpose, q.at);
    }

    function _sign(uint256 key, bytes32 digest) private returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = VM.sign(key, digest);
        return abi.encodePacked(r, s, v);
    }

    function _list(bytes32 a) private pure returns (bytes32[] memory list) {
        list = new bytes32[](1);
        list[0] = a;
    }

    function _pair(bytes32 a, bytes32 b) private pure returns (bytes32[] memory list) {
        list = new bytes32[](2);
        (list[0], list[1]) = (a, b);
    }

    function _triple(bytes32 a, bytes32 b, bytes32 c) private pure returns (bytes32[] memory list) {
        list = new bytes32[](3);
        (list[0], list[1], list[2]) = (a, b, c);
    }

    function _all(bytes32[4] storage items) private view returns (bytes32[] memory list) {
        list = new bytes32[](4);
        for (uint256 i = 0; i < 4; ++i) list[i] = items[i];
    }

    function _copy(bytes32[] memory items) private pure returns (bytes32[] memory list) {
        list = new bytes32[](items.length);
        for (uint256 i = 0; i < items.length; ++i) list[i] = items[i];
    }
}

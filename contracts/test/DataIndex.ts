import { expect } from "chai";
import {
  BATCH_KINDS,
  CHANGE_REASONS,
  codesOf,
  LIMITS,
  ROLES,
} from "@health-chain/sdk";
import { network } from "hardhat";
import type { DataIndex } from "../../types/ethers-contracts/index.js";
import { buildTree, merkleProof, verifyProof } from "./helpers/merkle.ts";
import { enact, suspendMember } from "./helpers/governance.ts";

const { ethers, networkHelpers } = await network.create();
const { time, loadFixture } = networkHelpers;

const DATA_PROVIDER = ROLES.dataProvider.id;
const AUDIT_RECORDER = ROLES.auditRecorder.id;
const THRESHOLD_BPS = 5000; // 3 founders: 2 yes votes pass a proposal
const VOTING_PERIOD = 3600;
const MAX_CLOCK_SKEW = LIMITS.maxClockSkew;
const ZERO = ethers.ZeroHash;

const BatchKind = codesOf(BATCH_KINDS);
const Reason = codesOf(CHANGE_REASONS);

type IndexEntry = DataIndex.IndexEntryStruct & { institution: string; sourceTime: number };
type RecordChange = DataIndex.RecordChangeStruct & { institution: string };

type Signer = Awaited<ReturnType<typeof ethers.getSigners>>[number];

const abi = ethers.AbiCoder.defaultAbiCoder();
const ENTRY_TUPLE = "tuple(bytes32,bytes32,address,bytes32,bytes32,uint32,bytes32,uint64)";
const CHANGE_TUPLE = "tuple(bytes32,address,bytes32,bytes32,bytes32,bytes32,uint8,uint64)";

/** keccak256(abi.encode(entry)), computed off chain as an institution's batch job would. */
function entryItem(e: IndexEntry): string {
  return ethers.keccak256(
    abi.encode(
      [ENTRY_TUPLE],
      [
        [
          e.recordId,
          e.residentRef,
          e.institution,
          e.category,
          e.contentHash,
          e.schemaVersion,
          e.pointerHash,
          e.sourceTime,
        ],
      ],
    ),
  );
}

function changeItem(c: RecordChange): string {
  return ethers.keccak256(
    abi.encode(
      [CHANGE_TUPLE],
      [[c.recordId, c.institution, c.previousContentHash, c.newContentHash, c.newPointerHash, c.newResidentRef, c.reason, c.changedAt]],
    ),
  );
}

async function deployFixture() {
  const [authority, hospitalA, hospitalB, gatewayA, outsider] = (await ethers.getSigners()) as [
    Signer,
    Signer,
    Signer,
    Signer,
    Signer,
  ];
  const registry = await ethers.deployContract("ConsortiumRegistry", [
    [
      { institution: authority.address, kind: 0, name: "District Health Commission", roles: [AUDIT_RECORDER] },
      { institution: hospitalA.address, kind: 1, name: "District Central Hospital", roles: [DATA_PROVIDER] },
      { institution: hospitalB.address, kind: 1, name: "District TCM Hospital", roles: [DATA_PROVIDER] },
    ],
    THRESHOLD_BPS,
    VOTING_PERIOD,
  ]);
  // Hospital A's integration gateway: an extra account acting for hospital A, added by vote.
  await enact(registry, hospitalA, (r) => r.proposeAddAccount(gatewayA.address, hospitalA.address), [authority]);
  const index = await ethers.deployContract("DataIndex", [await registry.getAddress()]);
  const now = await time.latest();
  return { registry, index, authority, hospitalA, hospitalB, gatewayA, outsider, now };
}

type Fixture = Awaited<ReturnType<typeof deployFixture>>;

function entryOf(institution: string, n: number, sourceTime: number): IndexEntry {
  return {
    recordId: ethers.id(`record-${institution}-${n}`),
    residentRef: ethers.id(`salted resident ${n % 7}`),
    institution,
    category: ethers.id(n % 2 === 0 ? "LAB_REPORT" : "OUTPATIENT_VISIT"),
    contentHash: ethers.id(`sm3 of record ${n}`),
    schemaVersion: 3,
    pointerHash: ethers.id(`cid of record ${n}`),
    sourceTime,
  };
}

/**
 * Suspends `institution` by a real registry vote: the authority proposes, `voter` seconds when the
 * proposer's vote alone does not pass it (the registry counts a status change's votes over the
 * members other than the one concerned).
 */
async function suspend(f: Fixture, institution: string, voter: Fixture["hospitalA"]) {
  await suspendMember(f.registry, institution, f.authority, [voter]);
}

/** Hospital A's record 1, anchored singly. */
async function anchoredFixture() {
  const f = await deployFixture();
  const entry = entryOf(f.hospitalA.address, 1, f.now - 3600);
  await f.index.connect(f.hospitalA).anchorRecord(entry);
  const change: RecordChange = {
    recordId: entry.recordId,
    institution: f.hospitalA.address,
    previousContentHash: entry.contentHash,
    newContentHash: ethers.id("sm3 of record 1, corrected"),
    newPointerHash: ethers.id("cid of record 1, corrected"),
    newResidentRef: ZERO,
    reason: Reason.correction,
    changedAt: f.now - 60,
  };
  return { ...f, entry, change };
}

describe("DataIndex", function () {
  describe("deployment", function () {
    it("keeps the registry it was given", async function () {
      const f = await loadFixture(deployFixture);
      expect(await f.index.registry()).to.equal(await f.registry.getAddress());
      expect(await f.index.MAX_CLOCK_SKEW()).to.equal(MAX_CLOCK_SKEW);
      expect(await f.index.batchCount()).to.equal(0n);
    });

    it("refuses a zero registry", async function () {
      const factory = await ethers.getContractFactory("DataIndex");
      await expect(ethers.deployContract("DataIndex", [ethers.ZeroAddress])).to.be.revertedWithCustomError(
        factory,
        "ZeroRegistry",
      );
    });
  });

  describe("anchorRecord", function () {
    it("stores the record compactly and emits RecordAnchored", async function () {
      const f = await loadFixture(deployFixture);
      const entry = entryOf(f.hospitalA.address, 1, f.now - 3600);
      const at = f.now + 5;
      await time.setNextBlockTimestamp(at);
      await expect(f.index.connect(f.hospitalA).anchorRecord(entry))
        .to.emit(f.index, "RecordAnchored")
        .withArgs(
          entry.recordId,
          entry.residentRef,
          f.hospitalA.address,
          entry.category,
          entry.contentHash,
          entry.schemaVersion,
          entry.pointerHash,
          entry.sourceTime,
        );
      const record = await f.index.getRecord(entry.institution, entry.recordId);
      expect(record.institution).to.equal(f.hospitalA.address);
      expect(record.anchoredAt).to.equal(BigInt(at));
      expect(record.schemaVersion).to.equal(3n);
      expect(record.residentRef).to.equal(entry.residentRef);
      expect(record.category).to.equal(entry.category);
      expect(record.contentHash).to.equal(entry.contentHash);
      expect(record.pointerHash).to.equal(entry.pointerHash);
      expect(record.sourceTime).to.equal(BigInt(entry.sourceTime));
      expect(record.version).to.equal(1n);
      expect(await f.index.isAnchored(entry)).to.equal(true);
    });

    it("attributes a record sent by an institution's extra account to the institution", async function () {
      const f = await loadFixture(deployFixture);
      const entry = entryOf(f.hospitalA.address, 2, f.now);
      await expect(f.index.connect(f.gatewayA).anchorRecord(entry))
        .to.emit(f.index, "RecordAnchored")
        .withArgs(
          entry.recordId,
          entry.residentRef,
          f.hospitalA.address,
          entry.category,
          entry.contentHash,
          entry.schemaVersion,
          entry.pointerHash,
          entry.sourceTime,
        );
      expect((await f.index.getRecord(entry.institution, entry.recordId)).institution).to.equal(f.hospitalA.address);
    });

    it("accepts a source time up to the clock-skew allowance ahead of the block", async function () {
      const f = await loadFixture(deployFixture);
      const at = f.now + 100;
      await time.setNextBlockTimestamp(at);
      const entry = entryOf(f.hospitalA.address, 3, at + MAX_CLOCK_SKEW);
      await f.index.connect(f.hospitalA).anchorRecord(entry);
      expect(await f.index.isAnchored(entry)).to.equal(true);
    });

    it("refuses accounts that may not provide data", async function () {
      const f = await loadFixture(deployFixture);
      const entry = entryOf(f.hospitalA.address, 1, f.now);
      await expect(f.index.connect(f.outsider).anchorRecord(entry))
        .to.be.revertedWithCustomError(f.index, "MissingRole")
        .withArgs(f.outsider.address, DATA_PROVIDER);
      // The health authority is a member, but holds no DATA_PROVIDER role.
      await expect(f.index.connect(f.authority).anchorRecord({ ...entry, institution: f.authority.address }))
        .to.be.revertedWithCustomError(f.index, "MissingRole")
        .withArgs(f.authority.address, DATA_PROVIDER);
    });

    it("refuses a suspended institution and its accounts", async function () {
      const f = await loadFixture(deployFixture);
      await suspend(f, f.hospitalA.address, f.hospitalB);
      const entry = entryOf(f.hospitalA.address, 1, f.now);
      for (const signer of [f.hospitalA, f.gatewayA]) {
        await expect(f.index.connect(signer).anchorRecord(entry))
          .to.be.revertedWithCustomError(f.index, "MissingRole")
          .withArgs(signer.address, DATA_PROVIDER);
      }
      expect(await f.index.isAnchored(entry)).to.equal(false);
    });

    it("refuses to anchor a record in another institution's name", async function () {
      const f = await loadFixture(deployFixture);
      const entry = entryOf(f.hospitalB.address, 1, f.now);
      await expect(f.index.connect(f.hospitalA).anchorRecord(entry))
        .to.be.revertedWithCustomError(f.index, "InstitutionMismatch")
        .withArgs(f.hospitalA.address, f.hospitalB.address);
      expect((await f.index.getRecord(entry.institution, entry.recordId)).institution).to.equal(ethers.ZeroAddress);
      expect((await f.index.getRecord(f.hospitalA.address, entry.recordId)).institution).to.equal(ethers.ZeroAddress);
    });

    it("refuses zero ids, hashes and versions, each with its own error", async function () {
      const f = await loadFixture(deployFixture);
      const entry = entryOf(f.hospitalA.address, 1, f.now);
      const a = f.index.connect(f.hospitalA);
      await expect(a.anchorRecord({ ...entry, recordId: ZERO })).to.be.revertedWithCustomError(f.index, "ZeroRecordId");
      const cases = [
        ["residentRef", ZERO, "ZeroResidentRef"],
        ["category", ZERO, "ZeroCategory"],
        ["contentHash", ZERO, "ZeroContentHash"],
        ["pointerHash", ZERO, "ZeroPointerHash"],
        ["schemaVersion", 0, "ZeroSchemaVersion"],
      ] as const;
      for (const [field, value, error] of cases) {
        await expect(a.anchorRecord({ ...entry, [field]: value }))
          .to.be.revertedWithCustomError(f.index, error)
          .withArgs(entry.recordId);
      }
      expect((await f.index.getRecord(entry.institution, entry.recordId)).institution).to.equal(ethers.ZeroAddress);
    });

    it("refuses a source time of zero or beyond the clock-skew allowance", async function () {
      const f = await loadFixture(deployFixture);
      const at = f.now + 100;
      const a = f.index.connect(f.hospitalA);
      const zero = entryOf(f.hospitalA.address, 1, 0);
      await time.setNextBlockTimestamp(at);
      await expect(a.anchorRecord(zero))
        .to.be.revertedWithCustomError(f.index, "InvalidSourceTime")
        .withArgs(zero.recordId, 0, at + MAX_CLOCK_SKEW);
      const future = entryOf(f.hospitalA.address, 1, at + 1 + MAX_CLOCK_SKEW + 1);
      await time.setNextBlockTimestamp(at + 1);
      await expect(a.anchorRecord(future))
        .to.be.revertedWithCustomError(f.index, "InvalidSourceTime")
        .withArgs(future.recordId, future.sourceTime, at + 1 + MAX_CLOCK_SKEW);
    });

    it("anchors a record id once per institution; another institution's same id is another record", async function () {
      const f = await loadFixture(anchoredFixture);
      const again = { ...f.entry, contentHash: ethers.id("another fingerprint") };
      for (const signer of [f.hospitalA, f.gatewayA]) {
        await expect(f.index.connect(signer).anchorRecord(again))
          .to.be.revertedWithCustomError(f.index, "RecordAlreadyAnchored")
          .withArgs(f.hospitalA.address, f.entry.recordId);
      }
      const theirs = { ...again, institution: f.hospitalB.address };
      await expect(f.index.connect(f.hospitalB).anchorRecord(theirs))
        .to.emit(f.index, "RecordAnchored")
        .withArgs(
          f.entry.recordId,
          theirs.residentRef,
          f.hospitalB.address,
          theirs.category,
          theirs.contentHash,
          theirs.schemaVersion,
          theirs.pointerHash,
          theirs.sourceTime,
        );
      expect((await f.index.getRecord(f.hospitalA.address, f.entry.recordId)).contentHash).to.equal(
        f.entry.contentHash,
      );
      expect((await f.index.getRecord(f.hospitalB.address, f.entry.recordId)).contentHash).to.equal(theirs.contentHash);
      expect(await f.index.isAnchored(f.entry)).to.equal(true);
      expect(await f.index.isAnchored(theirs)).to.equal(true);
      await expect(f.index.connect(f.hospitalB).anchorRecord(theirs))
        .to.be.revertedWithCustomError(f.index, "RecordAlreadyAnchored")
        .withArgs(f.hospitalB.address, f.entry.recordId);
    });

    it("audit B: a record id squatted by another institution neither blocks nor shadows the owner's record", async function () {
      const f = await loadFixture(deployFixture);
      // Hospital A's record ids are predictable; hospital B anchors A's next id first, in its own name.
      const mine = entryOf(f.hospitalA.address, 1, f.now - 3600);
      const squat = { ...mine, institution: f.hospitalB.address, contentHash: ethers.id("squatter's content") };
      await f.index.connect(f.hospitalB).anchorRecord(squat);
      // A still anchors its record under the same id, and every lookup under A finds A's record.
      await expect(f.index.connect(f.hospitalA).anchorRecord(mine))
        .to.emit(f.index, "RecordAnchored")
        .withArgs(
          mine.recordId,
          mine.residentRef,
          f.hospitalA.address,
          mine.category,
          mine.contentHash,
          mine.schemaVersion,
          mine.pointerHash,
          mine.sourceTime,
        );
      const record = await f.index.getRecord(f.hospitalA.address, mine.recordId);
      expect([record.institution, record.contentHash]).to.deep.equal([f.hospitalA.address, mine.contentHash]);
      expect(await f.index.isAnchored(mine)).to.equal(true);
      // The squatter's entry never passes as A's, and B's changes reach only B's own record.
      expect(await f.index.isAnchored({ ...squat, institution: f.hospitalA.address })).to.equal(false);
      const change: RecordChange = {
        recordId: mine.recordId,
        institution: f.hospitalB.address,
        previousContentHash: mine.contentHash,
        newContentHash: ethers.id("B rewrites A's record"),
        newPointerHash: ethers.id("B's pointer"),
        newResidentRef: ZERO,
        reason: Reason.correction,
        changedAt: f.now,
      };
      await expect(f.index.connect(f.hospitalB).recordChange(change))
        .to.be.revertedWithCustomError(f.index, "StaleContentHash")
        .withArgs(mine.recordId, squat.contentHash, mine.contentHash);
      await f.index.connect(f.hospitalB).recordChange({ ...change, previousContentHash: squat.contentHash });
      expect((await f.index.getRecord(f.hospitalB.address, mine.recordId)).version).to.equal(2n);
      expect((await f.index.getRecord(f.hospitalA.address, mine.recordId)).version).to.equal(1n);
      expect(await f.index.isAnchored(mine)).to.equal(true);
    });
  });

  describe("isAnchored", function () {
    it("is false for an unknown record and for any field that differs", async function () {
      const f = await loadFixture(anchoredFixture);
      expect(await f.index.isAnchored(entryOf(f.hospitalA.address, 99, f.now))).to.equal(false);
      const differing: Partial<IndexEntry>[] = [
        { residentRef: ethers.id("someone else") },
        { institution: f.hospitalB.address },
        { category: ethers.id("IMAGING") },
        { contentHash: ethers.id("tampered") },
        { schemaVersion: 4 },
        { pointerHash: ethers.id("elsewhere") },
        { sourceTime: f.entry.sourceTime + 1 },
      ];
      for (const diff of differing) {
        expect(await f.index.isAnchored({ ...f.entry, ...diff }), JSON.stringify(diff)).to.equal(false);
      }
    });
  });

  describe("recordChange", function () {
    it("updates the fingerprint and pointer, bumps the version and emits RecordChanged", async function () {
      const f = await loadFixture(anchoredFixture);
      await expect(f.index.connect(f.gatewayA).recordChange(f.change))
        .to.emit(f.index, "RecordChanged")
        .withArgs(
          f.entry.recordId,
          f.hospitalA.address,
          f.entry.contentHash,
          f.change.newContentHash,
          f.change.newPointerHash,
          ZERO,
          Reason.correction,
          f.change.changedAt,
          2,
        );
      const record = await f.index.getRecord(f.hospitalA.address, f.entry.recordId);
      expect(record.contentHash).to.equal(f.change.newContentHash);
      expect(record.pointerHash).to.equal(f.change.newPointerHash);
      expect(record.version).to.equal(2n);
      expect(record.sourceTime).to.equal(BigInt(f.entry.sourceTime));
      expect(await f.index.isAnchored(f.entry)).to.equal(false);
      const current = { ...f.entry, contentHash: f.change.newContentHash, pointerHash: f.change.newPointerHash };
      expect(await f.index.isAnchored(current)).to.equal(true);
    });

    it("accepts every content-changing reason code and chains versions", async function () {
      const f = await loadFixture(anchoredFixture);
      let previous = f.entry.contentHash;
      const reasons = [Reason.correction, Reason.amendment, Reason.lateResult, Reason.other];
      for (const [i, reason] of reasons.entries()) {
        const next = ethers.id(`version ${i + 2}`);
        const change = { ...f.change, previousContentHash: previous, newContentHash: next, reason };
        await expect(f.index.connect(f.hospitalA).recordChange(change))
          .to.emit(f.index, "RecordChanged")
          .withArgs(
            f.entry.recordId,
            f.hospitalA.address,
            previous,
            next,
            f.change.newPointerHash,
            ZERO,
            reason,
            f.change.changedAt,
            i + 2,
          );
        previous = next;
      }
      expect((await f.index.getRecord(f.hospitalA.address, f.entry.recordId)).version).to.equal(5n);
    });

    it("moves a record to the surviving resident reference on an identity merge, content unchanged", async function () {
      const f = await loadFixture(anchoredFixture);
      const survivor = ethers.id("salted ref of the surviving master index");
      const merge = {
        ...f.change,
        newContentHash: f.entry.contentHash,
        newPointerHash: f.entry.pointerHash,
        newResidentRef: survivor,
        reason: Reason.identityMerge,
      };
      await expect(f.index.connect(f.hospitalA).recordChange(merge))
        .to.emit(f.index, "RecordChanged")
        .withArgs(
          f.entry.recordId,
          f.hospitalA.address,
          f.entry.contentHash,
          f.entry.contentHash,
          f.entry.pointerHash,
          survivor,
          Reason.identityMerge,
          f.change.changedAt,
          2,
        );
      const record = await f.index.getRecord(f.hospitalA.address, f.entry.recordId);
      expect(record.residentRef).to.equal(survivor);
      expect(await f.index.isAnchored({ ...f.entry, residentRef: survivor })).to.equal(true);
      expect(await f.index.isAnchored(f.entry)).to.equal(false);
    });

    it("refuses an identity merge without a new resident reference, and a resident reference on other changes", async function () {
      const f = await loadFixture(anchoredFixture);
      const merge = { ...f.change, reason: Reason.identityMerge };
      for (const newResidentRef of [ZERO, f.entry.residentRef]) {
        await expect(f.index.connect(f.hospitalA).recordChange({ ...merge, newResidentRef }))
          .to.be.revertedWithCustomError(f.index, "InvalidResidentRef")
          .withArgs(f.entry.recordId, Reason.identityMerge, newResidentRef);
      }
      const stray = ethers.id("a resident ref on a correction");
      await expect(f.index.connect(f.hospitalA).recordChange({ ...f.change, newResidentRef: stray }))
        .to.be.revertedWithCustomError(f.index, "InvalidResidentRef")
        .withArgs(f.entry.recordId, Reason.correction, stray);
      expect((await f.index.getRecord(f.hospitalA.address, f.entry.recordId)).version).to.equal(1n);
    });

    it("voids a record for good: no further change, no longer anchored as current", async function () {
      const f = await loadFixture(anchoredFixture);
      const voiding = {
        ...f.change,
        newContentHash: f.entry.contentHash,
        newPointerHash: f.entry.pointerHash,
        reason: Reason.void,
      };
      await f.index.connect(f.hospitalA).recordChange(voiding);
      const record = await f.index.getRecord(f.hospitalA.address, f.entry.recordId);
      expect([record.voided, record.version, record.contentHash]).to.deep.equal([true, 2n, f.entry.contentHash]);
      expect(await f.index.isAnchored(f.entry)).to.equal(false);
      await expect(f.index.connect(f.hospitalA).recordChange(f.change))
        .to.be.revertedWithCustomError(f.index, "RecordVoided")
        .withArgs(f.entry.recordId);
    });

    it("audit C: refuses an identity merge or a void that changes the content or the pointer", async function () {
      const f = await loadFixture(anchoredFixture);
      const survivor = ethers.id("salted ref of the surviving master index");
      const kept = { newContentHash: f.entry.contentHash, newPointerHash: f.entry.pointerHash };
      const altered = [
        { newContentHash: f.change.newContentHash, newPointerHash: f.entry.pointerHash },
        { newContentHash: f.entry.contentHash, newPointerHash: f.change.newPointerHash },
        { newContentHash: f.change.newContentHash, newPointerHash: f.change.newPointerHash },
      ];
      const changes = [
        { ...f.change, reason: Reason.identityMerge, newResidentRef: survivor },
        { ...f.change, reason: Reason.void, newResidentRef: ZERO },
      ];
      for (const change of changes) {
        for (const diff of altered) {
          await expect(f.index.connect(f.hospitalA).recordChange({ ...change, ...diff }), JSON.stringify(diff))
            .to.be.revertedWithCustomError(f.index, "ContentMustNotChange")
            .withArgs(f.entry.recordId, change.reason);
        }
      }
      let record = await f.index.getRecord(f.hospitalA.address, f.entry.recordId);
      expect([record.version, record.contentHash, record.pointerHash, record.residentRef, record.voided]).to.deep.equal(
        [1n, f.entry.contentHash, f.entry.pointerHash, f.entry.residentRef, false],
      );
      // With content and pointer kept, both go through.
      await f.index.connect(f.hospitalA).recordChange({ ...changes[0]!, ...kept });
      const merged = { ...f.entry, residentRef: survivor };
      expect(await f.index.isAnchored(merged)).to.equal(true);
      await f.index.connect(f.hospitalA).recordChange({ ...changes[1]!, ...kept });
      record = await f.index.getRecord(f.hospitalA.address, f.entry.recordId);
      expect([record.version, record.contentHash, record.pointerHash, record.voided]).to.deep.equal([
        3n,
        f.entry.contentHash,
        f.entry.pointerHash,
        true,
      ]);
    });

    it("accepts a change time up to the clock-skew allowance ahead of the block", async function () {
      const f = await loadFixture(anchoredFixture);
      const at = f.now + 100;
      await time.setNextBlockTimestamp(at);
      await f.index.connect(f.hospitalA).recordChange({ ...f.change, changedAt: at + MAX_CLOCK_SKEW });
      expect((await f.index.getRecord(f.hospitalA.address, f.entry.recordId)).version).to.equal(2n);
    });

    it("refuses accounts that may not provide data, including a suspended owner", async function () {
      const f = await loadFixture(anchoredFixture);
      await expect(f.index.connect(f.outsider).recordChange(f.change))
        .to.be.revertedWithCustomError(f.index, "MissingRole")
        .withArgs(f.outsider.address, DATA_PROVIDER);
      await suspend(f, f.hospitalA.address, f.hospitalB);
      await expect(f.index.connect(f.hospitalA).recordChange(f.change))
        .to.be.revertedWithCustomError(f.index, "MissingRole")
        .withArgs(f.hospitalA.address, DATA_PROVIDER);
      expect(await f.index.isAnchored(f.entry)).to.equal(true);
    });

    it("refuses a change in another institution's name", async function () {
      const f = await loadFixture(anchoredFixture);
      await expect(f.index.connect(f.hospitalB).recordChange(f.change))
        .to.be.revertedWithCustomError(f.index, "InstitutionMismatch")
        .withArgs(f.hospitalB.address, f.hospitalA.address);
    });

    it("never reaches another institution's record: it is looked up under the caller's institution", async function () {
      const f = await loadFixture(anchoredFixture);
      const change = { ...f.change, institution: f.hospitalB.address };
      await expect(f.index.connect(f.hospitalB).recordChange(change))
        .to.be.revertedWithCustomError(f.index, "RecordNotFound")
        .withArgs(f.hospitalB.address, f.entry.recordId);
      expect(await f.index.isAnchored(f.entry)).to.equal(true);
      expect((await f.index.getRecord(f.hospitalA.address, f.entry.recordId)).version).to.equal(1n);
    });

    it("refuses a change of a record never anchored singly", async function () {
      const f = await loadFixture(anchoredFixture);
      const recordId = ethers.id("unknown record");
      await expect(f.index.connect(f.hospitalA).recordChange({ ...f.change, recordId }))
        .to.be.revertedWithCustomError(f.index, "RecordNotFound")
        .withArgs(f.hospitalA.address, recordId);
    });

    it("refuses an unknown reason code", async function () {
      const f = await loadFixture(anchoredFixture);
      for (const reason of [6, 255]) {
        await expect(f.index.connect(f.hospitalA).recordChange({ ...f.change, reason }))
          .to.be.revertedWithCustomError(f.index, "InvalidChangeReason")
          .withArgs(reason);
      }
    });

    it("refuses a zero new fingerprint or pointer", async function () {
      const f = await loadFixture(anchoredFixture);
      await expect(f.index.connect(f.hospitalA).recordChange({ ...f.change, newContentHash: ZERO }))
        .to.be.revertedWithCustomError(f.index, "ZeroContentHash")
        .withArgs(f.entry.recordId);
      await expect(f.index.connect(f.hospitalA).recordChange({ ...f.change, newPointerHash: ZERO }))
        .to.be.revertedWithCustomError(f.index, "ZeroPointerHash")
        .withArgs(f.entry.recordId);
    });

    it("refuses a change time of zero or beyond the clock-skew allowance", async function () {
      const f = await loadFixture(anchoredFixture);
      const at = f.now + 100;
      await time.setNextBlockTimestamp(at);
      await expect(f.index.connect(f.hospitalA).recordChange({ ...f.change, changedAt: 0 }))
        .to.be.revertedWithCustomError(f.index, "InvalidChangeTime")
        .withArgs(f.entry.recordId, 0, at + MAX_CLOCK_SKEW);
      await time.setNextBlockTimestamp(at + 1);
      await expect(f.index.connect(f.hospitalA).recordChange({ ...f.change, changedAt: at + 2 + MAX_CLOCK_SKEW }))
        .to.be.revertedWithCustomError(f.index, "InvalidChangeTime")
        .withArgs(f.entry.recordId, at + 2 + MAX_CLOCK_SKEW, at + 1 + MAX_CLOCK_SKEW);
    });

    it("refuses a change made against a stale fingerprint (lost update)", async function () {
      const f = await loadFixture(anchoredFixture);
      await f.index.connect(f.hospitalA).recordChange(f.change);
      // A second writer still holding the original fingerprint.
      const late = { ...f.change, newContentHash: ethers.id("a concurrent edit") };
      await expect(f.index.connect(f.hospitalA).recordChange(late))
        .to.be.revertedWithCustomError(f.index, "StaleContentHash")
        .withArgs(f.entry.recordId, f.change.newContentHash, f.entry.contentHash);
      expect((await f.index.getRecord(f.hospitalA.address, f.entry.recordId)).version).to.equal(2n);
    });

    it("refuses a change that changes nothing", async function () {
      const f = await loadFixture(anchoredFixture);
      await expect(f.index.connect(f.hospitalA).recordChange({ ...f.change, newContentHash: f.entry.contentHash }))
        .to.be.revertedWithCustomError(f.index, "ContentHashUnchanged")
        .withArgs(f.entry.recordId, f.entry.contentHash);
      expect((await f.index.getRecord(f.hospitalA.address, f.entry.recordId)).version).to.equal(1n);
    });
  });

  describe("anchorBatch", function () {
    it("numbers batches from 1, stores them and emits BatchAnchored", async function () {
      const f = await loadFixture(deployFixture);
      const rootA = ethers.id("root A");
      const rootB = ethers.id("root B");
      expect(await f.index.connect(f.hospitalA).anchorBatch.staticCall(BatchKind.records, rootA, 10)).to.equal(1n);
      const at = f.now + 7;
      await time.setNextBlockTimestamp(at);
      await expect(f.index.connect(f.gatewayA).anchorBatch(BatchKind.records, rootA, 10))
        .to.emit(f.index, "BatchAnchored")
        .withArgs(1, f.hospitalA.address, BatchKind.records, rootA, 10);
      await expect(f.index.connect(f.hospitalB).anchorBatch(BatchKind.changes, rootB, 3))
        .to.emit(f.index, "BatchAnchored")
        .withArgs(2, f.hospitalB.address, BatchKind.changes, rootB, 3);
      expect(await f.index.batchCount()).to.equal(2n);
      const batch = await f.index.getBatch(1);
      expect(batch.root).to.equal(rootA);
      expect(batch.institution).to.equal(f.hospitalA.address);
      expect(batch.kind).to.equal(BigInt(BatchKind.records));
      expect(batch.leafCount).to.equal(10n);
      expect(batch.anchoredAt).to.equal(BigInt(at));
      expect((await f.index.getBatch(2)).kind).to.equal(BigInt(BatchKind.changes));
      expect((await f.index.getBatch(3)).root).to.equal(ZERO);
      expect(await f.index.batchIdOf(f.hospitalA.address, rootA)).to.equal(1n);
      expect(await f.index.batchIdOf(f.hospitalB.address, rootB)).to.equal(2n);
      expect(await f.index.batchIdOf(f.hospitalA.address, rootB)).to.equal(0n);
      expect(await f.index.batchIdOf(f.hospitalA.address, ethers.id("never"))).to.equal(0n);
    });

    it("refuses accounts that may not provide data", async function () {
      const f = await loadFixture(deployFixture);
      await expect(f.index.connect(f.outsider).anchorBatch(BatchKind.records, ethers.id("r"), 1))
        .to.be.revertedWithCustomError(f.index, "MissingRole")
        .withArgs(f.outsider.address, DATA_PROVIDER);
      await suspend(f, f.hospitalB.address, f.hospitalA);
      await expect(f.index.connect(f.hospitalB).anchorBatch(BatchKind.records, ethers.id("r"), 1))
        .to.be.revertedWithCustomError(f.index, "MissingRole")
        .withArgs(f.hospitalB.address, DATA_PROVIDER);
      expect(await f.index.batchCount()).to.equal(0n);
    });

    it("refuses an unknown kind, a zero root and an empty batch", async function () {
      const f = await loadFixture(deployFixture);
      const a = f.index.connect(f.hospitalA);
      const root = ethers.id("root");
      for (const kind of [2, 255]) {
        await expect(a.anchorBatch(kind, root, 1))
          .to.be.revertedWithCustomError(f.index, "InvalidBatchKind")
          .withArgs(kind);
      }
      await expect(a.anchorBatch(BatchKind.records, ZERO, 1)).to.be.revertedWithCustomError(f.index, "ZeroRoot");
      await expect(a.anchorBatch(BatchKind.records, root, 0))
        .to.be.revertedWithCustomError(f.index, "ZeroLeafCount")
        .withArgs(root);
      expect(await f.index.batchCount()).to.equal(0n);
    });

    it("anchors a root once per institution, across kinds", async function () {
      const f = await loadFixture(deployFixture);
      const root = ethers.id("root");
      await f.index.connect(f.hospitalA).anchorBatch(BatchKind.records, root, 4);
      for (const kind of [BatchKind.records, BatchKind.changes]) {
        await expect(f.index.connect(f.gatewayA).anchorBatch(kind, root, 4))
          .to.be.revertedWithCustomError(f.index, "BatchAlreadyAnchored")
          .withArgs(root, 1);
      }
      await expect(f.index.connect(f.hospitalB).anchorBatch(BatchKind.records, root, 5))
        .to.emit(f.index, "BatchAnchored")
        .withArgs(2, f.hospitalB.address, BatchKind.records, root, 5);
      await expect(f.index.connect(f.hospitalB).anchorBatch(BatchKind.changes, root, 5))
        .to.be.revertedWithCustomError(f.index, "BatchAlreadyAnchored")
        .withArgs(root, 2);
      expect(await f.index.batchCount()).to.equal(2n);
      expect((await f.index.getBatch(1)).leafCount).to.equal(4n);
      expect(await f.index.batchIdOf(f.hospitalA.address, root)).to.equal(1n);
      expect(await f.index.batchIdOf(f.hospitalB.address, root)).to.equal(2n);
    });

    it("audit B: a root front-run by another institution neither blocks the owner nor proves its entries", async function () {
      const f = await loadFixture(deployFixture);
      const entries = [0, 1, 2].map((i) => entryOf(f.hospitalA.address, i, f.now));
      const tree = buildTree(entries.map(entryItem));
      // Hospital B copies A's root from the mempool and anchors it first.
      await f.index.connect(f.hospitalB).anchorBatch(BatchKind.records, tree.root, 3);
      await expect(f.index.connect(f.hospitalA).anchorBatch(BatchKind.records, tree.root, 3))
        .to.emit(f.index, "BatchAnchored")
        .withArgs(2, f.hospitalA.address, BatchKind.records, tree.root, 3);
      expect(await f.index.batchIdOf(f.hospitalA.address, tree.root)).to.equal(2n);
      expect(await f.index.batchIdOf(f.hospitalB.address, tree.root)).to.equal(1n);
      for (const [i, entry] of entries.entries()) {
        const proof = merkleProof(tree, i);
        expect(await f.index.verifyEntry(2, entry, i, proof)).to.equal(true);
        expect(await f.index.verifyEntry(1, entry, i, proof)).to.equal(false);
      }
    });
  });

  describe("Merkle items", function () {
    it("entryItem and changeItem are keccak256 of the ABI encoding, as computed off chain", async function () {
      const f = await loadFixture(anchoredFixture);
      expect(await f.index.entryItem(f.entry)).to.equal(entryItem(f.entry));
      expect(await f.index.changeItem(f.change)).to.equal(changeItem(f.change));
    });
  });

  describe("verifyEntry", function () {
    for (const size of [1, 2, 3, 5, 256, 1000]) {
      it(`proves entries of a records batch of ${size}, and fails when tampered`, async function () {
        const f = await loadFixture(deployFixture);
        const entries = Array.from({ length: size }, (_, i) => entryOf(f.hospitalA.address, i, f.now - i));
        const tree = buildTree(entries.map(entryItem));
        await f.index.connect(f.hospitalA).anchorBatch(BatchKind.records, tree.root, size);

        // Every index off chain; on chain every index of small batches, a spread of the large ones.
        for (let i = 0; i < size; i++) {
          expect(verifyProof(tree.root, size, entryItem(entries[i]!), i, merkleProof(tree, i))).to.equal(true);
        }
        const onChain = size <= 5 ? [...Array(size).keys()] : [0, 1, size >> 1, size - 2, size - 1, 127, 255];
        for (const i of onChain) {
          expect(await f.index.verifyEntry(1, entries[i]!, i, merkleProof(tree, i)), `index ${i}`).to.equal(true);
        }

        const i = size - 1;
        const entry = entries[i]!;
        const proof = merkleProof(tree, i);
        expect(await f.index.verifyEntry(1, { ...entry, contentHash: ethers.id("tampered") }, i, proof)).to.equal(
          false,
        );
        expect(await f.index.verifyEntry(1, { ...entry, sourceTime: entry.sourceTime + 1 }, i, proof)).to.equal(false);
        expect(await f.index.verifyEntry(1, entry, i + 1, proof)).to.equal(false);
        expect(await f.index.verifyEntry(2, entry, i, proof)).to.equal(false);
        if (size > 1) {
          expect(await f.index.verifyEntry(1, entry, i - 1, proof)).to.equal(false);
          const flipped = [...proof];
          flipped[0] = ethers.toBeHex(BigInt(proof[0]!) ^ 1n, 32);
          expect(await f.index.verifyEntry(1, entry, i, flipped)).to.equal(false);
          expect(await f.index.verifyEntry(1, entry, i, proof.slice(1))).to.equal(false);
        }
        expect(await f.index.verifyEntry(1, entry, i, [...proof, ZERO])).to.equal(false);
      });
    }

    it("is false for a batch of another kind or institution even when the proof holds", async function () {
      const f = await loadFixture(deployFixture);
      const entries = [0, 1, 2].map((i) => entryOf(f.hospitalA.address, i, f.now));
      const tree = buildTree(entries.map(entryItem));
      // The same items anchored by hospital B as a records batch, and by hospital A as a changes batch.
      await f.index.connect(f.hospitalB).anchorBatch(BatchKind.records, tree.root, 3);
      const other = buildTree([...entries.map(entryItem), ethers.id("padding")]);
      await f.index.connect(f.hospitalA).anchorBatch(BatchKind.changes, other.root, 4);
      const proof = merkleProof(tree, 1);
      expect(verifyProof(tree.root, 3, entryItem(entries[1]!), 1, proof)).to.equal(true);
      expect(await f.index.verifyEntry(1, entries[1]!, 1, proof)).to.equal(false);
      expect(await f.index.verifyEntry(2, entries[1]!, 1, merkleProof(other, 1))).to.equal(false);
    });

    it("is false for an unknown batch, including id 0 and a zero institution", async function () {
      const f = await loadFixture(deployFixture);
      // An unknown batch reads as kind Records of institution zero: only its zero leafCount stops it.
      const entry = { ...entryOf(f.hospitalA.address, 0, f.now), institution: ethers.ZeroAddress };
      expect(await f.index.verifyEntry(0, entry, 0, [])).to.equal(false);
      expect(await f.index.verifyEntry(7, entry, 0, [])).to.equal(false);
    });
  });

  describe("verifyChange", function () {
    for (const size of [1, 2, 3, 5, 256]) {
      it(`proves changes of a changes batch of ${size}, and fails when tampered`, async function () {
        const f = await loadFixture(deployFixture);
        const changes: RecordChange[] = Array.from({ length: size }, (_, i) => ({
          recordId: ethers.id(`record ${i}`),
          institution: f.hospitalB.address,
          previousContentHash: ethers.id(`old ${i}`),
          newContentHash: ethers.id(`new ${i}`),
          newPointerHash: ethers.id(`cid ${i}`),
          newResidentRef: i % 6 === Reason.identityMerge ? ethers.id(`surviving ref ${i}`) : ZERO,
          reason: i % 6,
          changedAt: f.now - i,
        }));
        const tree = buildTree(changes.map(changeItem));
        await f.index.connect(f.hospitalB).anchorBatch(BatchKind.changes, tree.root, size);
        const indices = size <= 5 ? [...Array(size).keys()] : [0, 100, size - 1];
        for (const i of indices) {
          expect(await f.index.verifyChange(1, changes[i]!, i, merkleProof(tree, i))).to.equal(true);
        }
        const i = size - 1;
        const proof = merkleProof(tree, i);
        expect(await f.index.verifyChange(1, { ...changes[i]!, reason: (i + 1) % 6 }, i, proof)).to.equal(false);
        expect(await f.index.verifyChange(1, { ...changes[i]!, institution: f.hospitalA.address }, i, proof)).to.equal(
          false,
        );
        expect(await f.index.verifyChange(1, changes[i]!, i + 1, proof)).to.equal(false);
        expect(await f.index.verifyChange(2, changes[i]!, i, proof)).to.equal(false);
      });
    }

    it("is false against a records batch holding the same items", async function () {
      const f = await loadFixture(deployFixture);
      const change: RecordChange = {
        recordId: ethers.id("record"),
        institution: f.hospitalA.address,
        previousContentHash: ethers.id("old"),
        newContentHash: ethers.id("new"),
        newPointerHash: ethers.id("cid"),
        newResidentRef: ZERO,
        reason: Reason.lateResult,
        changedAt: f.now,
      };
      const tree = buildTree([changeItem(change), ethers.id("another item")]);
      await f.index.connect(f.hospitalA).anchorBatch(BatchKind.records, tree.root, 2);
      expect(await f.index.verifyChange(1, change, 0, merkleProof(tree, 0))).to.equal(false);
    });
  });
});

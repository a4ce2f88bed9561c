import { expect } from "chai";
import {
  ACCESS_OUTCOMES,
  codesOf,
  LIMITS,
  PURPOSES,
  ROLES,
  WORKFLOW_DECISIONS,
  WORKFLOW_STATUS,
  WORKFLOW_STEPS,
} from "@health-chain/sdk";
import { network } from "hardhat";
import type { AuditTrail } from "../../types/ethers-contracts/index.js";
import { buildTree, merkleProof, verifyProof } from "./helpers/merkle.ts";
import { enact, suspendMember } from "./helpers/governance.ts";

const { ethers, networkHelpers } = await network.create();
const { time, loadFixture } = networkHelpers;

const AUDIT_RECORDER = ROLES.auditRecorder.id;
const SHARING_APPROVER = ROLES.sharingApprover.id;
const DATA_PROVIDER = ROLES.dataProvider.id;
const THRESHOLD_BPS = 5000; // 4 founders: 2 yes votes pass a proposal
const VOTING_PERIOD = 3600;
const MAX_CLOCK_SKEW = LIMITS.maxClockSkew;
const MAX_FIELDS = LIMITS.maxEvidenceFields;
const ZERO = ethers.ZeroHash;

const Purpose = codesOf(PURPOSES);
const Outcome = codesOf(ACCESS_OUTCOMES);
const Step = codesOf(WORKFLOW_STEPS);
const Decision = codesOf(WORKFLOW_DECISIONS);
const WorkflowStatus = codesOf(WORKFLOW_STATUS);

type AccessEvidence = AuditTrail.AccessEvidenceStruct & { fields: string[]; accessedAt: number };

type Signer = Awaited<ReturnType<typeof ethers.getSigners>>[number];

const EVIDENCE_TUPLE = "tuple(bytes32,bytes32,bytes32,bytes32[],uint8,bytes32,uint64,uint8)";

/** keccak256(abi.encode(e)), computed off chain as an auditor would. */
function evidenceHash(e: AccessEvidence): string {
  return ethers.keccak256(
    ethers.AbiCoder.defaultAbiCoder().encode(
      [EVIDENCE_TUPLE],
      [[e.accessor, e.residentRef, e.recordId, e.fields, e.purpose, e.grantId, e.accessedAt, e.outcome]],
    ),
  );
}

async function deployFixture() {
  const [platform, hospital, authority, gateway, outsider, tcm] = (await ethers.getSigners()) as [
    Signer,
    Signer,
    Signer,
    Signer,
    Signer,
    Signer,
  ];
  const registry = await ethers.deployContract("ConsortiumRegistry", [
    [
      { institution: platform.address, kind: 6, name: "Regional Health Data Platform", roles: [AUDIT_RECORDER] },
      { institution: hospital.address, kind: 1, name: "District Central Hospital", roles: [DATA_PROVIDER] },
      { institution: authority.address, kind: 0, name: "District Health Commission", roles: [AUDIT_RECORDER] },
      // Another recording hospital: it applies for sharing, but holds no approval office.
      { institution: tcm.address, kind: 1, name: "District TCM Hospital", roles: [AUDIT_RECORDER] },
    ],
    THRESHOLD_BPS,
    VOTING_PERIOD,
  ]);
  // The platform's gateway relays evidence under the platform's name: an extra account, added by vote.
  await enact(registry, platform, (r) => r.proposeAddAccount(gateway.address, platform.address), [authority]);
  // The health authority's approval office: SHARING_APPROVER granted by member vote.
  const roles = [AUDIT_RECORDER, SHARING_APPROVER];
  const grant = await registry.connect(authority).proposeSetMemberRoles.staticCall(authority.address, roles);
  await registry.connect(authority).proposeSetMemberRoles(authority.address, roles);
  await registry.connect(platform).vote(grant, true);
  expect(await registry.hasRole(SHARING_APPROVER, authority.address)).to.equal(true);
  const audit = await ethers.deployContract("AuditTrail", [await registry.getAddress()]);
  const now = await time.latest();
  const doctor = ethers.zeroPadValue(hospital.address, 32);
  const evidence: AccessEvidence = {
    accessor: doctor,
    residentRef: ethers.id("salted resident 42"),
    recordId: ethers.id("record-hospital-0001"),
    fields: [ethers.id("diagnosis"), ethers.id("lab.hba1c")],
    purpose: Purpose.treatment,
    grantId: ethers.id("grant-7"),
    accessedAt: now - 30,
    outcome: Outcome.granted,
  };
  return { registry, audit, platform, hospital, authority, gateway, outsider, tcm, now, evidence };
}

type Fixture = Awaited<ReturnType<typeof deployFixture>>;

/**
 * Suspends `institution` by a real registry vote: `proposer` proposes, `voter` seconds when the
 * proposer's vote alone does not pass it (the registry counts a status change's votes over the
 * members other than the one concerned).
 */
async function suspend(f: Fixture, institution: string, proposer: Fixture["platform"], voter: Fixture["platform"]) {
  await suspendMember(f.registry, institution, proposer, [voter]);
}

const WF = ethers.id("share-2025-0001");
const WF_TCM = ethers.id("share-2025-0002");
const WF_AUTHORITY = ethers.id("share-2025-0003");
const APPLICANT = ethers.id("research project P-17");
const APPLICATION = ethers.id("sm3 of the application");
const APPROVER = (level: number) => ethers.id(`approver level ${level}`);
const OPINION = (level: number) => ethers.id(`opinion level ${level}`);
const CHECKER = ethers.id("compliance officer");
const REPORT = ethers.id("sm3 of the compliance report");
const DOWNLOADER = ethers.id("researcher 3");
const PACKAGE = ethers.id("sm3 of the de-identified package");

/** Workflow WF opened by the platform (the applicant institution), needing three approval levels. */
async function appliedFixture() {
  const f = await deployFixture();
  await f.audit.connect(f.platform).applyForSharing(WF, APPLICANT, APPLICATION, 3);
  return f;
}

/** Workflow WF with all three levels approved by the health authority's approval office. */
async function approvedFixture() {
  const f = await appliedFixture();
  for (const level of [1, 2, 3]) {
    await f.audit.connect(f.authority).recordApproval(WF, level, APPROVER(level), true, OPINION(level));
  }
  return f;
}

/** Workflow WF cleared for download. */
async function clearedFixture() {
  const f = await approvedFixture();
  await f.audit.connect(f.authority).recordComplianceCheck(WF, CHECKER, true, REPORT);
  return f;
}

describe("AuditTrail", function () {
  describe("deployment", function () {
    it("keeps the registry it was given and starts empty", async function () {
      const f = await loadFixture(deployFixture);
      expect(await f.audit.registry()).to.equal(await f.registry.getAddress());
      expect(await f.audit.MAX_CLOCK_SKEW()).to.equal(MAX_CLOCK_SKEW);
      expect(await f.audit.MAX_FIELDS()).to.equal(MAX_FIELDS);
      expect(await f.audit.MAX_APPROVAL_LEVELS()).to.equal(8);
      expect(await f.audit.evidenceCount()).to.equal(0n);
      expect(await f.audit.accessBatchCount()).to.equal(0n);
    });

    it("refuses a zero registry", async function () {
      const factory = await ethers.getContractFactory("AuditTrail");
      await expect(ethers.deployContract("AuditTrail", [ethers.ZeroAddress])).to.be.revertedWithCustomError(
        factory,
        "ZeroRegistry",
      );
    });
  });

  describe("recordAccess", function () {
    it("stores the evidence hash under sequential ids and emits AccessRecorded with the detail", async function () {
      const f = await loadFixture(deployFixture);
      const e = f.evidence;
      expect(await f.audit.connect(f.gateway).recordAccess.staticCall(e)).to.equal(1n);
      const at = f.now + 3;
      await time.setNextBlockTimestamp(at);
      await expect(f.audit.connect(f.gateway).recordAccess(e))
        .to.emit(f.audit, "AccessRecorded")
        .withArgs(
          1,
          e.accessor,
          e.residentRef,
          e.recordId,
          e.fields,
          e.purpose,
          e.grantId,
          e.accessedAt,
          e.outcome,
          f.platform.address,
        );
      const second = { ...e, purpose: Purpose.referral };
      await expect(f.audit.connect(f.authority).recordAccess(second))
        .to.emit(f.audit, "AccessRecorded")
        .withArgs(
          2,
          e.accessor,
          e.residentRef,
          e.recordId,
          e.fields,
          Purpose.referral,
          e.grantId,
          e.accessedAt,
          e.outcome,
          f.authority.address,
        );
      expect(await f.audit.evidenceCount()).to.equal(2n);
      const stored = await f.audit.getEvidence(1);
      expect(stored.evidenceHash).to.equal(evidenceHash(e));
      expect(stored.recorder).to.equal(f.platform.address);
      expect(stored.recordedAt).to.equal(BigInt(at));
      expect(await f.audit.evidenceHash(e)).to.equal(evidenceHash(e));
      expect((await f.audit.getEvidence(3)).evidenceHash).to.equal(ZERO);
    });

    it("records a refused attempt, which needs neither grant nor fields", async function () {
      const f = await loadFixture(deployFixture);
      const refused = { ...f.evidence, fields: [], grantId: ZERO, outcome: Outcome.refused };
      await expect(f.audit.connect(f.platform).recordAccess(refused))
        .to.emit(f.audit, "AccessRecorded")
        .withArgs(
          1,
          refused.accessor,
          refused.residentRef,
          refused.recordId,
          [],
          refused.purpose,
          ZERO,
          refused.accessedAt,
          Outcome.refused,
          f.platform.address,
        );
      expect(await f.audit.verifyEvidence(1, refused)).to.equal(true);
    });

    it("accepts every purpose, MAX_FIELDS fields and an access time up to the skew allowance", async function () {
      const f = await loadFixture(deployFixture);
      for (const purpose of Object.values(Purpose)) {
        await f.audit.connect(f.platform).recordAccess({ ...f.evidence, purpose });
      }
      const fields = Array.from({ length: MAX_FIELDS }, (_, i) => ethers.id(`field ${i}`));
      await f.audit.connect(f.platform).recordAccess({ ...f.evidence, fields });
      const at = f.now + 100;
      await time.setNextBlockTimestamp(at);
      await f.audit.connect(f.platform).recordAccess({ ...f.evidence, accessedAt: at + MAX_CLOCK_SKEW });
      expect(await f.audit.evidenceCount()).to.equal(8n);
    });

    it("refuses accounts that may not record evidence, including a suspended recorder", async function () {
      const f = await loadFixture(deployFixture);
      for (const signer of [f.outsider, f.hospital]) {
        await expect(f.audit.connect(signer).recordAccess(f.evidence))
          .to.be.revertedWithCustomError(f.audit, "MissingRole")
          .withArgs(signer.address, AUDIT_RECORDER);
      }
      await suspend(f, f.platform.address, f.authority, f.hospital);
      await expect(f.audit.connect(f.gateway).recordAccess(f.evidence))
        .to.be.revertedWithCustomError(f.audit, "MissingRole")
        .withArgs(f.gateway.address, AUDIT_RECORDER);
      expect(await f.audit.evidenceCount()).to.equal(0n);
    });

    it("refuses zero references, each with its own error", async function () {
      const f = await loadFixture(deployFixture);
      const r = f.audit.connect(f.platform);
      await expect(r.recordAccess({ ...f.evidence, accessor: ZERO })).to.be.revertedWithCustomError(
        f.audit,
        "ZeroAccessor",
      );
      await expect(r.recordAccess({ ...f.evidence, residentRef: ZERO })).to.be.revertedWithCustomError(
        f.audit,
        "ZeroResidentRef",
      );
      await expect(r.recordAccess({ ...f.evidence, recordId: ZERO })).to.be.revertedWithCustomError(
        f.audit,
        "ZeroRecordId",
      );
      expect(await f.audit.evidenceCount()).to.equal(0n);
    });

    it("refuses unknown purpose and outcome codes", async function () {
      const f = await loadFixture(deployFixture);
      const r = f.audit.connect(f.platform);
      for (const purpose of [6, 255]) {
        await expect(r.recordAccess({ ...f.evidence, purpose }))
          .to.be.revertedWithCustomError(f.audit, "InvalidPurpose")
          .withArgs(purpose);
      }
      for (const outcome of [2, 255]) {
        await expect(r.recordAccess({ ...f.evidence, outcome }))
          .to.be.revertedWithCustomError(f.audit, "InvalidOutcome")
          .withArgs(outcome);
      }
    });

    it("refuses a granted access without a grant or without fields", async function () {
      const f = await loadFixture(deployFixture);
      const r = f.audit.connect(f.platform);
      await expect(r.recordAccess({ ...f.evidence, grantId: ZERO }))
        .to.be.revertedWithCustomError(f.audit, "MissingGrantId")
        .withArgs(f.evidence.recordId);
      await expect(r.recordAccess({ ...f.evidence, fields: [] }))
        .to.be.revertedWithCustomError(f.audit, "NoFields")
        .withArgs(f.evidence.recordId);
    });

    it("refuses more than MAX_FIELDS fields", async function () {
      const f = await loadFixture(deployFixture);
      const fields = Array.from({ length: MAX_FIELDS + 1 }, (_, i) => ethers.id(`field ${i}`));
      for (const outcome of [Outcome.granted, Outcome.refused]) {
        await expect(f.audit.connect(f.platform).recordAccess({ ...f.evidence, fields, outcome }))
          .to.be.revertedWithCustomError(f.audit, "TooManyFields")
          .withArgs(MAX_FIELDS + 1, MAX_FIELDS);
      }
    });

    it("refuses an access time of zero or beyond the clock-skew allowance", async function () {
      const f = await loadFixture(deployFixture);
      const at = f.now + 100;
      await time.setNextBlockTimestamp(at);
      await expect(f.audit.connect(f.platform).recordAccess({ ...f.evidence, accessedAt: 0 }))
        .to.be.revertedWithCustomError(f.audit, "InvalidAccessTime")
        .withArgs(0, at + MAX_CLOCK_SKEW);
      await time.setNextBlockTimestamp(at + 1);
      await expect(f.audit.connect(f.platform).recordAccess({ ...f.evidence, accessedAt: at + 2 + MAX_CLOCK_SKEW }))
        .to.be.revertedWithCustomError(f.audit, "InvalidAccessTime")
        .withArgs(at + 2 + MAX_CLOCK_SKEW, at + 1 + MAX_CLOCK_SKEW);
      expect(await f.audit.evidenceCount()).to.equal(0n);
    });
  });

  describe("verifyEvidence", function () {
    it("is true for the exact evidence and false for any difference or unknown id", async function () {
      const f = await loadFixture(deployFixture);
      await f.audit.connect(f.platform).recordAccess(f.evidence);
      expect(await f.audit.verifyEvidence(1, f.evidence)).to.equal(true);
      expect(await f.audit.verifyEvidence(2, f.evidence)).to.equal(false);
      expect(await f.audit.verifyEvidence(0, f.evidence)).to.equal(false);
      const differing: Partial<AccessEvidence>[] = [
        { accessor: ethers.id("another doctor") },
        { residentRef: ethers.id("another resident") },
        { recordId: ethers.id("another record") },
        { fields: [ethers.id("diagnosis")] },
        { fields: [...f.evidence.fields].reverse() },
        { purpose: Purpose.research },
        { grantId: ethers.id("grant-8") },
        { accessedAt: f.evidence.accessedAt + 1 },
        { outcome: Outcome.refused },
      ];
      for (const diff of differing) {
        expect(await f.audit.verifyEvidence(1, { ...f.evidence, ...diff }), JSON.stringify(diff)).to.equal(false);
      }
    });
  });

  describe("recordAccessBatch", function () {
    it("numbers batches from 1, stores them and emits AccessBatchRecorded", async function () {
      const f = await loadFixture(deployFixture);
      const root = ethers.id("log root 1");
      const from = f.now - 86400;
      const to = f.now - 1;
      expect(await f.audit.connect(f.gateway).recordAccessBatch.staticCall(root, 500, from, to)).to.equal(1n);
      const at = f.now + 4;
      await time.setNextBlockTimestamp(at);
      await expect(f.audit.connect(f.gateway).recordAccessBatch(root, 500, from, to))
        .to.emit(f.audit, "AccessBatchRecorded")
        .withArgs(1, f.platform.address, root, 500, from, to);
      // A one-second period (from == to) is a valid period.
      const root2 = ethers.id("log root 2");
      await expect(f.audit.connect(f.authority).recordAccessBatch(root2, 1, to, to))
        .to.emit(f.audit, "AccessBatchRecorded")
        .withArgs(2, f.authority.address, root2, 1, to, to);
      const batch = await f.audit.getAccessBatch(1);
      expect(batch.root).to.equal(root);
      expect(batch.recorder).to.equal(f.platform.address);
      expect(batch.lineCount).to.equal(500n);
      expect(batch.fromTime).to.equal(BigInt(from));
      expect(batch.toTime).to.equal(BigInt(to));
      expect(batch.recordedAt).to.equal(BigInt(at));
      expect(await f.audit.accessBatchCount()).to.equal(2n);
      expect(await f.audit.accessBatchIdOf(f.platform.address, root)).to.equal(1n);
      expect(await f.audit.accessBatchIdOf(f.authority.address, root2)).to.equal(2n);
      expect(await f.audit.accessBatchIdOf(f.platform.address, root2)).to.equal(0n);
      expect(await f.audit.accessBatchIdOf(f.platform.address, ethers.id("never"))).to.equal(0n);
      expect((await f.audit.getAccessBatch(3)).root).to.equal(ZERO);
    });

    it("accepts a period ending up to the clock-skew allowance ahead of the block", async function () {
      const f = await loadFixture(deployFixture);
      const at = f.now + 100;
      await time.setNextBlockTimestamp(at);
      await f.audit.connect(f.platform).recordAccessBatch(ethers.id("root"), 1, f.now, at + MAX_CLOCK_SKEW);
      expect(await f.audit.accessBatchCount()).to.equal(1n);
    });

    it("refuses accounts that may not record evidence", async function () {
      const f = await loadFixture(deployFixture);
      await expect(f.audit.connect(f.hospital).recordAccessBatch(ethers.id("root"), 1, f.now, f.now))
        .to.be.revertedWithCustomError(f.audit, "MissingRole")
        .withArgs(f.hospital.address, AUDIT_RECORDER);
    });

    it("refuses a zero root, an empty batch and a reversed or open-ended period", async function () {
      const f = await loadFixture(deployFixture);
      const r = f.audit.connect(f.platform);
      const root = ethers.id("root");
      await expect(r.recordAccessBatch(ZERO, 1, f.now, f.now)).to.be.revertedWithCustomError(f.audit, "ZeroRoot");
      await expect(r.recordAccessBatch(root, 0, f.now, f.now))
        .to.be.revertedWithCustomError(f.audit, "ZeroLineCount")
        .withArgs(root);
      await expect(r.recordAccessBatch(root, 1, f.now, f.now - 1))
        .to.be.revertedWithCustomError(f.audit, "InvalidTimeRange")
        .withArgs(f.now, f.now - 1);
      await expect(r.recordAccessBatch(root, 1, 0, f.now))
        .to.be.revertedWithCustomError(f.audit, "InvalidTimeRange")
        .withArgs(0, f.now);
      expect(await f.audit.accessBatchCount()).to.equal(0n);
    });

    it("refuses a period ending beyond the clock-skew allowance", async function () {
      const f = await loadFixture(deployFixture);
      const at = f.now + 100;
      await time.setNextBlockTimestamp(at);
      await expect(f.audit.connect(f.platform).recordAccessBatch(ethers.id("root"), 1, f.now, at + MAX_CLOCK_SKEW + 1))
        .to.be.revertedWithCustomError(f.audit, "TimeRangeInFuture")
        .withArgs(at + MAX_CLOCK_SKEW + 1, at + MAX_CLOCK_SKEW);
    });

    it("records a root once per recorder", async function () {
      const f = await loadFixture(deployFixture);
      const root = ethers.id("root");
      await f.audit.connect(f.platform).recordAccessBatch(root, 2, f.now, f.now);
      await expect(f.audit.connect(f.gateway).recordAccessBatch(root, 3, f.now, f.now))
        .to.be.revertedWithCustomError(f.audit, "AccessBatchAlreadyRecorded")
        .withArgs(root, 1);
      await expect(f.audit.connect(f.authority).recordAccessBatch(root, 3, f.now, f.now))
        .to.emit(f.audit, "AccessBatchRecorded")
        .withArgs(2, f.authority.address, root, 3, f.now, f.now);
      await expect(f.audit.connect(f.authority).recordAccessBatch(root, 4, f.now, f.now))
        .to.be.revertedWithCustomError(f.audit, "AccessBatchAlreadyRecorded")
        .withArgs(root, 2);
      expect(await f.audit.accessBatchCount()).to.equal(2n);
      expect((await f.audit.getAccessBatch(1)).lineCount).to.equal(2n);
      expect((await f.audit.getAccessBatch(2)).lineCount).to.equal(3n);
    });

    it("audit B: a root front-run by another recorder neither blocks the owner nor proves its lines", async function () {
      const f = await loadFixture(deployFixture);
      const lines = Array.from({ length: 5 }, (_, i) => ethers.id(`platform log line ${i}`));
      const tree = buildTree(lines);
      // The health authority copies the platform's root from the mempool and records it first.
      await f.audit.connect(f.authority).recordAccessBatch(tree.root, 5, f.now - 60, f.now);
      await expect(f.audit.connect(f.gateway).recordAccessBatch(tree.root, 5, f.now - 60, f.now))
        .to.emit(f.audit, "AccessBatchRecorded")
        .withArgs(2, f.platform.address, tree.root, 5, f.now - 60, f.now);
      expect(await f.audit.accessBatchIdOf(f.platform.address, tree.root)).to.equal(2n);
      expect(await f.audit.accessBatchIdOf(f.authority.address, tree.root)).to.equal(1n);
      for (const [i, line] of lines.entries()) {
        const proof = merkleProof(tree, i);
        // The platform's lines prove under the platform's batch, never under the squatter's.
        expect(await f.audit.verifyAccessLine(2, f.platform.address, line, i, proof)).to.equal(true);
        expect(await f.audit.verifyAccessLine(1, f.platform.address, line, i, proof)).to.equal(false);
        expect(await f.audit.verifyAccessLine(2, f.authority.address, line, i, proof)).to.equal(false);
      }
    });
  });

  describe("verifyAccessLine", function () {
    for (const size of [1, 2, 3, 5, 256, 1000]) {
      it(`proves lines of an access-log batch of ${size}, and fails when tampered`, async function () {
        const f = await loadFixture(deployFixture);
        // Stand-ins for the SM3 hashes of the detailed off-chain log lines.
        const lines = Array.from({ length: size }, (_, i) => ethers.id(`log line ${i}`));
        const tree = buildTree(lines);
        await f.audit.connect(f.gateway).recordAccessBatch(tree.root, size, f.now - 3600, f.now);
        for (let i = 0; i < size; i++) {
          expect(verifyProof(tree.root, size, lines[i]!, i, merkleProof(tree, i))).to.equal(true);
        }
        const onChain = size <= 5 ? [...Array(size).keys()] : [0, 1, 2, size >> 1, size - 2, size - 1, 511];
        for (const i of onChain.filter((i) => i < size)) {
          const proof = merkleProof(tree, i);
          expect(await f.audit.verifyAccessLine(1, f.platform.address, lines[i]!, i, proof), `line ${i}`).to.equal(
            true,
          );
        }

        const i = size >> 1;
        const proof = merkleProof(tree, i);
        const platform = f.platform.address;
        expect(await f.audit.verifyAccessLine(1, platform, ethers.id("forged line"), i, proof)).to.equal(false);
        expect(await f.audit.verifyAccessLine(1, platform, lines[i]!, i + 1, proof)).to.equal(false);
        expect(await f.audit.verifyAccessLine(2, platform, lines[i]!, i, proof)).to.equal(false);
        expect(await f.audit.verifyAccessLine(1, platform, lines[i]!, i, [...proof, ZERO])).to.equal(false);
        // Recorded by the platform: false when claimed for another recorder, its account or nobody.
        for (const other of [f.authority.address, f.gateway.address, ethers.ZeroAddress]) {
          expect(await f.audit.verifyAccessLine(1, other, lines[i]!, i, proof)).to.equal(false);
        }
        for (let p = 0; p < proof.length; p++) {
          const tampered = [...proof];
          tampered[p] = ethers.toBeHex(BigInt(proof[p]!) ^ (1n << 255n), 32);
          expect(await f.audit.verifyAccessLine(1, platform, lines[i]!, i, tampered)).to.equal(false);
        }
        if (proof.length > 0) {
          expect(await f.audit.verifyAccessLine(1, platform, lines[i]!, i, proof.slice(0, -1))).to.equal(false);
        }
      });
    }

    it("is false for an unknown batch, whatever recorder is named", async function () {
      const f = await loadFixture(deployFixture);
      // An unknown batch reads as recorded by address zero: only its zero lineCount stops it.
      for (const recorder of [ethers.ZeroAddress, f.platform.address]) {
        expect(await f.audit.verifyAccessLine(0, recorder, ethers.id("line"), 0, [])).to.equal(false);
        expect(await f.audit.verifyAccessLine(1, recorder, ethers.id("line"), 0, [])).to.equal(false);
      }
    });
  });

  describe("data-sharing workflow", function () {
    it("records application, approvals, compliance check and repeated downloads as steps", async function () {
      const f = await loadFixture(deployFixture);
      let at = f.now + 10;
      await time.setNextBlockTimestamp(at);
      await expect(f.audit.connect(f.platform).applyForSharing(WF, APPLICANT, APPLICATION, 2))
        .to.emit(f.audit, "WorkflowStepRecorded")
        .withArgs(WF, Step.application, Decision.none, APPLICANT, APPLICATION, 0, f.platform.address, at);
      let wf = await f.audit.getWorkflow(WF);
      expect(wf.applicant).to.equal(APPLICANT);
      expect(wf.applicationHash).to.equal(APPLICATION);
      expect(wf.institution).to.equal(f.platform.address);
      expect(wf.appliedAt).to.equal(BigInt(at));
      expect(wf.requiredApprovals).to.equal(2n);
      expect(wf.approvals).to.equal(0n);
      expect(wf.status).to.equal(BigInt(WorkflowStatus.approving));

      for (const level of [1, 2]) {
        at += 10;
        await time.setNextBlockTimestamp(at);
        // Approvals are recorded by an approval office (SHARING_APPROVER) other than the applicant.
        await expect(f.audit.connect(f.authority).recordApproval(WF, level, APPROVER(level), true, OPINION(level)))
          .to.emit(f.audit, "WorkflowStepRecorded")
          .withArgs(
            WF,
            Step.approval,
            Decision.approved,
            APPROVER(level),
            OPINION(level),
            level,
            f.authority.address,
            at,
          );
        expect((await f.audit.getWorkflow(WF)).approvals).to.equal(BigInt(level));
      }
      expect((await f.audit.getWorkflow(WF)).status).to.equal(BigInt(WorkflowStatus.approved));

      at += 10;
      await time.setNextBlockTimestamp(at);
      await expect(f.audit.connect(f.authority).recordComplianceCheck(WF, CHECKER, true, REPORT))
        .to.emit(f.audit, "WorkflowStepRecorded")
        .withArgs(WF, Step.complianceCheck, Decision.approved, CHECKER, REPORT, 0, f.authority.address, at);
      expect((await f.audit.getWorkflow(WF)).status).to.equal(BigInt(WorkflowStatus.cleared));

      // Downloads are recorded by the applicant institution, here through its gateway account.

      for (const n of [1, 2]) {
        at += 10;
        await time.setNextBlockTimestamp(at);
        await expect(f.audit.connect(f.gateway).recordDownload(WF, DOWNLOADER, PACKAGE))
          .to.emit(f.audit, "WorkflowStepRecorded")
          .withArgs(WF, Step.download, Decision.none, DOWNLOADER, PACKAGE, 0, f.platform.address, at);
        expect((await f.audit.getWorkflow(WF)).downloads).to.equal(BigInt(n));
      }
      wf = await f.audit.getWorkflow(WF);
      expect(wf.status).to.equal(BigInt(WorkflowStatus.cleared));
      expect(wf.approvals).to.equal(2n);
    });

    it("returns an empty workflow for an unknown id", async function () {
      const f = await loadFixture(deployFixture);
      const wf = await f.audit.getWorkflow(WF);
      expect(wf.status).to.equal(BigInt(WorkflowStatus.none));
      expect(wf.institution).to.equal(ethers.ZeroAddress);
    });

    it("refuses every step from accounts without the step's role, including a suspended recorder", async function () {
      const f = await loadFixture(clearedFixture);
      const h = f.audit.connect(f.hospital);
      const calls = [
        [() => h.applyForSharing(ethers.id("another"), APPLICANT, APPLICATION, 1), AUDIT_RECORDER],
        [() => h.recordApproval(WF, 1, APPROVER(1), true, OPINION(1)), SHARING_APPROVER],
        [() => h.recordComplianceCheck(WF, CHECKER, true, REPORT), SHARING_APPROVER],
        [() => h.recordDownload(WF, DOWNLOADER, PACKAGE), AUDIT_RECORDER],
      ] as const;
      for (const [call, role] of calls) {
        await expect(call()).to.be.revertedWithCustomError(f.audit, "MissingRole").withArgs(f.hospital.address, role);
      }
      await suspend(f, f.platform.address, f.authority, f.hospital);
      await expect(f.audit.connect(f.gateway).recordDownload(WF, DOWNLOADER, PACKAGE))
        .to.be.revertedWithCustomError(f.audit, "MissingRole")
        .withArgs(f.gateway.address, AUDIT_RECORDER);
      expect((await f.audit.getWorkflow(WF)).downloads).to.equal(0n);
    });

    it("refuses approvals and checks from a suspended approval office", async function () {
      const f = await loadFixture(approvedFixture);
      await f.audit.connect(f.tcm).applyForSharing(WF_TCM, APPLICANT, APPLICATION, 1);
      await suspend(f, f.authority.address, f.tcm, f.hospital);
      const a = f.audit.connect(f.authority);
      await expect(a.recordApproval(WF_TCM, 1, APPROVER(1), true, OPINION(1)))
        .to.be.revertedWithCustomError(f.audit, "MissingRole")
        .withArgs(f.authority.address, SHARING_APPROVER);
      await expect(a.recordComplianceCheck(WF, CHECKER, true, REPORT))
        .to.be.revertedWithCustomError(f.audit, "MissingRole")
        .withArgs(f.authority.address, SHARING_APPROVER);
      expect((await f.audit.getWorkflow(WF_TCM)).approvals).to.equal(0n);
      expect((await f.audit.getWorkflow(WF)).status).to.equal(BigInt(WorkflowStatus.approved));
    });

    describe("separation of duties (audit A)", function () {
      it("a recorder can neither approve nor pass its own application, nor another's: SHARING_APPROVER is required", async function () {
        const f = await loadFixture(deployFixture);
        // Hospital A (here the TCM hospital) applies and tries to walk its workflow through alone.
        const t = f.audit.connect(f.tcm);
        await t.applyForSharing(WF_TCM, APPLICANT, APPLICATION, 2);
        for (const level of [1, 2]) {
          await expect(t.recordApproval(WF_TCM, level, APPROVER(level), true, OPINION(level)))
            .to.be.revertedWithCustomError(f.audit, "MissingRole")
            .withArgs(f.tcm.address, SHARING_APPROVER);
        }
        await expect(t.recordComplianceCheck(WF_TCM, CHECKER, true, REPORT))
          .to.be.revertedWithCustomError(f.audit, "MissingRole")
          .withArgs(f.tcm.address, SHARING_APPROVER);
        await expect(t.recordDownload(WF_TCM, DOWNLOADER, PACKAGE))
          .to.be.revertedWithCustomError(f.audit, "ComplianceNotPassed")
          .withArgs(WF_TCM, WorkflowStatus.approving);
        // Hospital B (here the platform, another recorder) records approvals on A's workflow,
        // naming the health authority's approver as the actor.
        const authorityApprover = ethers.zeroPadValue(f.authority.address, 32);
        for (const signer of [f.platform, f.gateway]) {
          await expect(f.audit.connect(signer).recordApproval(WF_TCM, 1, authorityApprover, true, OPINION(1)))
            .to.be.revertedWithCustomError(f.audit, "MissingRole")
            .withArgs(signer.address, SHARING_APPROVER);
          await expect(f.audit.connect(signer).recordComplianceCheck(WF_TCM, authorityApprover, true, REPORT))
            .to.be.revertedWithCustomError(f.audit, "MissingRole")
            .withArgs(signer.address, SHARING_APPROVER);
        }
        const wf = await f.audit.getWorkflow(WF_TCM);
        expect([wf.status, wf.approvals, wf.downloads]).to.deep.equal([BigInt(WorkflowStatus.approving), 0n, 0n]);
      });

      it("an approval office never approves or checks a workflow its own institution applied for", async function () {
        const f = await loadFixture(deployFixture);
        const a = f.audit.connect(f.authority);
        await a.applyForSharing(WF_AUTHORITY, APPLICANT, APPLICATION, 1);
        await expect(a.recordApproval(WF_AUTHORITY, 1, APPROVER(1), true, OPINION(1)))
          .to.be.revertedWithCustomError(f.audit, "SelfApproval")
          .withArgs(WF_AUTHORITY, f.authority.address);
        await expect(a.recordComplianceCheck(WF_AUTHORITY, CHECKER, true, REPORT))
          .to.be.revertedWithCustomError(f.audit, "SelfApproval")
          .withArgs(WF_AUTHORITY, f.authority.address);
        expect((await f.audit.getWorkflow(WF_AUTHORITY)).approvals).to.equal(0n);
        // Nor once another approval office has approved every level.
        const roles = [AUDIT_RECORDER, SHARING_APPROVER];
        const id = await f.registry.connect(f.platform).proposeSetMemberRoles.staticCall(f.platform.address, roles);
        await f.registry.connect(f.platform).proposeSetMemberRoles(f.platform.address, roles);
        await f.registry.connect(f.tcm).vote(id, true);
        await f.audit.connect(f.gateway).recordApproval(WF_AUTHORITY, 1, APPROVER(1), true, OPINION(1));
        expect((await f.audit.getWorkflow(WF_AUTHORITY)).status).to.equal(BigInt(WorkflowStatus.approved));
        await expect(a.recordComplianceCheck(WF_AUTHORITY, CHECKER, true, REPORT))
          .to.be.revertedWithCustomError(f.audit, "SelfApproval")
          .withArgs(WF_AUTHORITY, f.authority.address);
        // The platform's office checks it; it in turn may not approve the platform's own WF.
        await f.audit.connect(f.platform).recordComplianceCheck(WF_AUTHORITY, CHECKER, true, REPORT);
        expect((await f.audit.getWorkflow(WF_AUTHORITY)).status).to.equal(BigInt(WorkflowStatus.cleared));
        await f.audit.connect(f.platform).applyForSharing(WF, APPLICANT, APPLICATION, 1);
        await expect(f.audit.connect(f.gateway).recordApproval(WF, 1, APPROVER(1), true, OPINION(1)))
          .to.be.revertedWithCustomError(f.audit, "SelfApproval")
          .withArgs(WF, f.platform.address);
      });

      it("only the applicant institution's accounts record downloads", async function () {
        const f = await loadFixture(clearedFixture);
        for (const signer of [f.authority, f.tcm]) {
          await expect(f.audit.connect(signer).recordDownload(WF, DOWNLOADER, PACKAGE))
            .to.be.revertedWithCustomError(f.audit, "NotApplicant")
            .withArgs(WF, f.platform.address, signer.address);
        }
        expect((await f.audit.getWorkflow(WF)).downloads).to.equal(0n);
        for (const signer of [f.platform, f.gateway])
          await f.audit.connect(signer).recordDownload(WF, DOWNLOADER, PACKAGE);
        expect((await f.audit.getWorkflow(WF)).downloads).to.equal(2n);
      });
    });

    describe("applyForSharing", function () {
      it("refuses a zero id, actor or document hash", async function () {
        const f = await loadFixture(deployFixture);
        const r = f.audit.connect(f.platform);
        await expect(r.applyForSharing(ZERO, APPLICANT, APPLICATION, 1)).to.be.revertedWithCustomError(
          f.audit,
          "ZeroWorkflowId",
        );
        await expect(r.applyForSharing(WF, ZERO, APPLICATION, 1))
          .to.be.revertedWithCustomError(f.audit, "ZeroActor")
          .withArgs(WF);
        await expect(r.applyForSharing(WF, APPLICANT, ZERO, 1))
          .to.be.revertedWithCustomError(f.audit, "ZeroDocumentHash")
          .withArgs(WF);
        expect((await f.audit.getWorkflow(WF)).status).to.equal(BigInt(WorkflowStatus.none));
      });

      it("needs 1 to 8 approval levels", async function () {
        const f = await loadFixture(deployFixture);
        for (const n of [0, 9, 255]) {
          await expect(f.audit.connect(f.platform).applyForSharing(WF, APPLICANT, APPLICATION, n))
            .to.be.revertedWithCustomError(f.audit, "InvalidRequiredApprovals")
            .withArgs(n);
        }
        await f.audit.connect(f.platform).applyForSharing(WF, APPLICANT, APPLICATION, 8);
        expect((await f.audit.getWorkflow(WF)).requiredApprovals).to.equal(8n);
      });

      it("refuses an id already in use, even of a closed workflow", async function () {
        const f = await loadFixture(appliedFixture);
        await expect(f.audit.connect(f.authority).applyForSharing(WF, APPLICANT, APPLICATION, 1))
          .to.be.revertedWithCustomError(f.audit, "WorkflowExists")
          .withArgs(WF);
        await f.audit.connect(f.authority).recordApproval(WF, 1, APPROVER(1), false, OPINION(1));
        await expect(f.audit.connect(f.platform).applyForSharing(WF, APPLICANT, APPLICATION, 1))
          .to.be.revertedWithCustomError(f.audit, "WorkflowExists")
          .withArgs(WF);
        expect((await f.audit.getWorkflow(WF)).requiredApprovals).to.equal(3n);
      });
    });

    describe("recordApproval", function () {
      it("needs levels strictly in order", async function () {
        const f = await loadFixture(appliedFixture);
        const r = f.audit.connect(f.authority);
        for (const level of [0, 2, 3]) {
          await expect(r.recordApproval(WF, level, APPROVER(level), true, OPINION(level)))
            .to.be.revertedWithCustomError(f.audit, "ApprovalOutOfOrder")
            .withArgs(WF, 1, level);
        }
        await r.recordApproval(WF, 1, APPROVER(1), true, OPINION(1));
        await expect(r.recordApproval(WF, 1, APPROVER(1), true, OPINION(1)))
          .to.be.revertedWithCustomError(f.audit, "ApprovalOutOfOrder")
          .withArgs(WF, 2, 1);
        expect((await f.audit.getWorkflow(WF)).approvals).to.equal(1n);
      });

      it("closes the workflow on a rejection", async function () {
        const f = await loadFixture(appliedFixture);
        await f.audit.connect(f.authority).recordApproval(WF, 1, APPROVER(1), true, OPINION(1));
        const at = (await time.latest()) + 5;
        await time.setNextBlockTimestamp(at);
        await expect(f.audit.connect(f.authority).recordApproval(WF, 2, APPROVER(2), false, OPINION(2)))
          .to.emit(f.audit, "WorkflowStepRecorded")
          .withArgs(WF, Step.approval, Decision.rejected, APPROVER(2), OPINION(2), 2, f.authority.address, at);
        const wf = await f.audit.getWorkflow(WF);
        expect(wf.status).to.equal(BigInt(WorkflowStatus.rejected));
        expect(wf.approvals).to.equal(1n);
        const r = f.audit.connect(f.authority);
        const closed = [
          () => r.recordApproval(WF, 2, APPROVER(2), true, OPINION(2)),
          () => r.recordComplianceCheck(WF, CHECKER, true, REPORT),
          () => f.audit.connect(f.platform).recordDownload(WF, DOWNLOADER, PACKAGE),
        ];
        for (const call of closed) {
          await expect(call())
            .to.be.revertedWithCustomError(f.audit, "WorkflowClosed")
            .withArgs(WF, WorkflowStatus.rejected);
        }
      });

      it("refuses an approval once every level has approved", async function () {
        const f = await loadFixture(approvedFixture);
        await expect(f.audit.connect(f.authority).recordApproval(WF, 4, APPROVER(4), true, OPINION(4)))
          .to.be.revertedWithCustomError(f.audit, "ApprovalsAlreadyComplete")
          .withArgs(WF, 3);
      });

      it("refuses an unknown workflow, a zero approver or opinion", async function () {
        const f = await loadFixture(appliedFixture);
        const r = f.audit.connect(f.authority);
        const unknown = ethers.id("unknown");
        await expect(r.recordApproval(unknown, 1, APPROVER(1), true, OPINION(1)))
          .to.be.revertedWithCustomError(f.audit, "WorkflowNotFound")
          .withArgs(unknown);
        await expect(r.recordApproval(WF, 1, ZERO, true, OPINION(1)))
          .to.be.revertedWithCustomError(f.audit, "ZeroActor")
          .withArgs(WF);
        await expect(r.recordApproval(WF, 1, APPROVER(1), true, ZERO))
          .to.be.revertedWithCustomError(f.audit, "ZeroDocumentHash")
          .withArgs(WF);
        expect((await f.audit.getWorkflow(WF)).approvals).to.equal(0n);
      });
    });

    describe("recordComplianceCheck", function () {
      it("needs every approval level first", async function () {
        const f = await loadFixture(appliedFixture);
        await expect(f.audit.connect(f.authority).recordComplianceCheck(WF, CHECKER, true, REPORT))
          .to.be.revertedWithCustomError(f.audit, "ApprovalsIncomplete")
          .withArgs(WF, 0, 3);
        await f.audit.connect(f.authority).recordApproval(WF, 1, APPROVER(1), true, OPINION(1));
        await expect(f.audit.connect(f.authority).recordComplianceCheck(WF, CHECKER, true, REPORT))
          .to.be.revertedWithCustomError(f.audit, "ApprovalsIncomplete")
          .withArgs(WF, 1, 3);
        expect((await f.audit.getWorkflow(WF)).status).to.equal(BigInt(WorkflowStatus.approving));
      });

      it("closes the workflow on a failed check", async function () {
        const f = await loadFixture(approvedFixture);
        const at = (await time.latest()) + 5;
        await time.setNextBlockTimestamp(at);
        await expect(f.audit.connect(f.authority).recordComplianceCheck(WF, CHECKER, false, REPORT))
          .to.emit(f.audit, "WorkflowStepRecorded")
          .withArgs(WF, Step.complianceCheck, Decision.rejected, CHECKER, REPORT, 0, f.authority.address, at);
        expect((await f.audit.getWorkflow(WF)).status).to.equal(BigInt(WorkflowStatus.nonCompliant));
        const r = f.audit.connect(f.authority);
        await expect(r.recordComplianceCheck(WF, CHECKER, true, REPORT))
          .to.be.revertedWithCustomError(f.audit, "WorkflowClosed")
          .withArgs(WF, WorkflowStatus.nonCompliant);
        await expect(f.audit.connect(f.platform).recordDownload(WF, DOWNLOADER, PACKAGE))
          .to.be.revertedWithCustomError(f.audit, "WorkflowClosed")
          .withArgs(WF, WorkflowStatus.nonCompliant);
      });

      it("refuses a second check once passed", async function () {
        const f = await loadFixture(clearedFixture);
        await expect(f.audit.connect(f.authority).recordComplianceCheck(WF, CHECKER, false, REPORT))
          .to.be.revertedWithCustomError(f.audit, "ComplianceAlreadyChecked")
          .withArgs(WF);
        expect((await f.audit.getWorkflow(WF)).status).to.equal(BigInt(WorkflowStatus.cleared));
      });

      it("refuses an unknown workflow, a zero checker or report", async function () {
        const f = await loadFixture(approvedFixture);
        const r = f.audit.connect(f.authority);
        const unknown = ethers.id("unknown");
        await expect(r.recordComplianceCheck(unknown, CHECKER, true, REPORT))
          .to.be.revertedWithCustomError(f.audit, "WorkflowNotFound")
          .withArgs(unknown);
        await expect(r.recordComplianceCheck(WF, ZERO, true, REPORT))
          .to.be.revertedWithCustomError(f.audit, "ZeroActor")
          .withArgs(WF);
        await expect(r.recordComplianceCheck(WF, CHECKER, true, ZERO))
          .to.be.revertedWithCustomError(f.audit, "ZeroDocumentHash")
          .withArgs(WF);
        expect((await f.audit.getWorkflow(WF)).status).to.equal(BigInt(WorkflowStatus.approved));
      });
    });

    describe("recordDownload", function () {
      it("needs a passed compliance check", async function () {
        const f = await loadFixture(appliedFixture);
        const r = f.audit.connect(f.platform);
        await expect(r.recordDownload(WF, DOWNLOADER, PACKAGE))
          .to.be.revertedWithCustomError(f.audit, "ComplianceNotPassed")
          .withArgs(WF, WorkflowStatus.approving);
        const approver = f.audit.connect(f.authority);
        for (const level of [1, 2, 3]) await approver.recordApproval(WF, level, APPROVER(level), true, OPINION(level));
        await expect(r.recordDownload(WF, DOWNLOADER, PACKAGE))
          .to.be.revertedWithCustomError(f.audit, "ComplianceNotPassed")
          .withArgs(WF, WorkflowStatus.approved);
        expect((await f.audit.getWorkflow(WF)).downloads).to.equal(0n);
      });

      it("refuses an unknown workflow, a zero downloader or package hash", async function () {
        const f = await loadFixture(clearedFixture);
        const r = f.audit.connect(f.platform);
        const unknown = ethers.id("unknown");
        await expect(r.recordDownload(unknown, DOWNLOADER, PACKAGE))
          .to.be.revertedWithCustomError(f.audit, "WorkflowNotFound")
          .withArgs(unknown);
        await expect(r.recordDownload(WF, ZERO, PACKAGE))
          .to.be.revertedWithCustomError(f.audit, "ZeroActor")
          .withArgs(WF);
        await expect(r.recordDownload(WF, DOWNLOADER, ZERO))
          .to.be.revertedWithCustomError(f.audit, "ZeroDocumentHash")
          .withArgs(WF);
        expect((await f.audit.getWorkflow(WF)).downloads).to.equal(0n);
      });
    });
  });
});

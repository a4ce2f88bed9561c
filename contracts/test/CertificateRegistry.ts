import { expect } from "chai";
import {
  CERTIFICATE_STATUS,
  codesOf,
  DOCUMENT_TYPES,
  MEMBER_STATUS,
  REVOCATION_REASONS,
  ROLES,
} from "@health-chain/sdk";
import { network } from "hardhat";
import { enact as enactProposal } from "./helpers/governance.ts";

const { ethers, networkHelpers } = await network.create();
const { time, loadFixture } = networkHelpers;

const CERT_ISSUER = ROLES.certIssuer.id;
const STATUS_SUSPENDED: number = MEMBER_STATUS.suspended.code;
const STATUS_EXITED: number = MEMBER_STATUS.exited.code;
const THRESHOLD_BPS = 5000; // 3 founders: 2 yes votes pass a proposal
const VOTING_PERIOD = 3600;

const DocumentType = codesOf(DOCUMENT_TYPES);
const Reason = codesOf(REVOCATION_REASONS);
const Status = codesOf(CERTIFICATE_STATUS);

const CERT_ID = ethers.id("EQA-2025-R1-0001");
const DOC_HASH = ethers.id("sm3 of the certificate PDF");
const OTHER_HASH = ethers.id("a different document");
const RAW_SIGNATURE = "0x" + "ab".repeat(32) + "cd".repeat(32);
const ZERO = ethers.ZeroHash;

/**
 * A DER-encoded SM2 signature, SEQUENCE { INTEGER r, INTEGER s }, whose r and s take `rBytes` and
 * `sBytes` bytes: 33 when the value's top bit is set (leading 0x00), fewer when it has leading zeros.
 */
function derSignature(rBytes: number, sBytes: number): string {
  const int = (bytes: number) =>
    "02" + bytes.toString(16).padStart(2, "0") + (bytes === 33 ? "00ff" + "7f".repeat(31) : "7f".repeat(bytes));
  const body = int(rBytes) + int(sBytes);
  return "0x30" + (body.length / 2).toString(16).padStart(2, "0") + body;
}

function bytesOfLength(length: number): string {
  return "0x" + "11".repeat(length);
}

async function deployFixture() {
  const signers = await ethers.getSigners();
  const signer = (i: number) => {
    const s = signers[i];
    if (s === undefined) throw new Error(`the test network has no signer #${i}`);
    return s;
  };
  const authority = signer(0); // district health commission: a member without CERT_ISSUER
  const eqa = signer(1); // clinical-laboratory quality centre: the usual issuer
  const hospital = signer(2); // a second issuer institution
  const eqaClerk = signer(3); // added to the EQA centre by vote in clerkFixture
  const outsider = signer(4); // not allowlisted
  const registry = await ethers.deployContract("ConsortiumRegistry", [
    [
      { institution: authority.address, kind: 0, name: "District Health Commission", roles: [] },
      { institution: eqa.address, kind: 3, name: "Municipal Clinical Laboratory Quality Centre", roles: [CERT_ISSUER] },
      { institution: hospital.address, kind: 1, name: "District Central Hospital", roles: [CERT_ISSUER] },
    ],
    THRESHOLD_BPS,
    VOTING_PERIOD,
  ]);
  const certificates = await ethers.deployContract("CertificateRegistry", [await registry.getAddress()]);
  // The certified laboratory, referenced by its institution address as bytes32.
  const labSubject = ethers.zeroPadValue(hospital.address, 32);
  return { registry, certificates, authority, eqa, hospital, eqaClerk, outsider, labSubject };
}

type Fixture = Awaited<ReturnType<typeof deployFixture>>;

/**
 * Suspends (or exits) `institution` by a real registry vote. The member a status change is about does
 * not vote on it, so of the 2 other founders at 50 % the authority's proposal alone passes it.
 */
async function setMemberStatus(f: Fixture, institution: string, status = STATUS_SUSPENDED) {
  await expect(f.registry.connect(f.authority).proposeSetMemberStatus(institution, status))
    .to.emit(f.registry, "MemberStatusChanged")
    .withArgs(institution, MEMBER_STATUS.active.code, status);
  expect(await f.registry.isActiveMember(institution)).to.equal(false);
}

/** Makes a registry proposal with the authority and seconds it with the hospital (2 of 3 at 50 %). */
async function enact(f: Fixture, call: (r: Fixture["registry"]) => Promise<unknown>) {
  await enactProposal(f.registry, f.authority, call, [f.hospital]);
}

/** Issues the default certificate from the EQA centre at a known block time. */
async function issueDefault(f: Fixture, validFrom = 0, validUntil = 0, at?: number) {
  const issuedAt = at ?? (await time.latest()) + 10;
  await time.setNextBlockTimestamp(issuedAt);
  await f.certificates
    .connect(f.eqa)
    .issue(CERT_ID, DocumentType.eqaCertificate, f.labSubject, DOC_HASH, validFrom, validUntil, RAW_SIGNATURE);
  return issuedAt;
}

/** A certificate valid for one year from issuance, issued by the EQA centre. */
async function issuedFixture() {
  const f = await deployFixture();
  const issuedAt = (await time.latest()) + 10;
  const validUntil = issuedAt + 365 * 86400;
  await issueDefault(f, 0, validUntil, issuedAt);
  return { ...f, issuedAt, validUntil };
}

/** The EQA centre also acts through a second allowlisted account, added by vote. */
async function clerkFixture() {
  const f = await issuedFixture();
  await enact(f, (r) => r.proposeAddAccount(f.eqaClerk.address, f.eqa.address));
  expect(await f.registry.institutionOf(f.eqaClerk.address)).to.equal(f.eqa.address);
  return f;
}

describe("CertificateRegistry", function () {
  describe("deployment", function () {
    it("keeps the consortium registry it takes roles from", async function () {
      const { certificates, registry } = await loadFixture(deployFixture);
      expect(await certificates.registry()).to.equal(await registry.getAddress());
    });

    it("rejects a zero registry address", async function () {
      const factory = await ethers.getContractFactory("CertificateRegistry");
      await expect(factory.deploy(ethers.ZeroAddress)).to.be.revertedWithCustomError(factory, "ZeroRegistry");
    });
  });

  describe("issue", function () {
    it("anchors a document with the block time as its trusted timestamp and emits every field", async function () {
      const f = await loadFixture(deployFixture);
      const issuedAt = (await time.latest()) + 10;
      const validUntil = issuedAt + 86400;
      await time.setNextBlockTimestamp(issuedAt);
      await expect(
        f.certificates
          .connect(f.eqa)
          .issue(CERT_ID, DocumentType.eqaCertificate, f.labSubject, DOC_HASH, 0, validUntil, RAW_SIGNATURE),
      )
        .to.emit(f.certificates, "CertificateIssued")
        .withArgs(
          CERT_ID,
          f.eqa.address,
          f.labSubject,
          DocumentType.eqaCertificate,
          DOC_HASH,
          issuedAt,
          issuedAt,
          validUntil,
          RAW_SIGNATURE,
        );

      const cert = await f.certificates.getCertificate(CERT_ID);
      expect(cert.subject).to.equal(f.labSubject);
      expect(cert.documentHash).to.equal(DOC_HASH);
      expect(cert.issuer).to.equal(f.eqa.address);
      expect(cert.issuedAt).to.equal(issuedAt);
      expect(cert.documentType).to.equal(DocumentType.eqaCertificate);
      expect(cert.revocationReason).to.equal(0);
      expect(cert.validFrom).to.equal(issuedAt);
      expect(cert.validUntil).to.equal(validUntil);
      expect(cert.revokedAt).to.equal(0);
      expect(cert.issuerSignature).to.equal(RAW_SIGNATURE);
      expect(await f.certificates.verify(CERT_ID, DOC_HASH)).to.equal(Status.valid);
      expect(await f.certificates.certificateCountOf(f.labSubject)).to.equal(1);
      expect(await f.certificates.certificatesOf(f.labSubject, 0, 10)).to.deep.equal([CERT_ID]);
    });

    it("keeps an explicit validity window starting in the past", async function () {
      const f = await loadFixture(deployFixture);
      const now = await time.latest();
      const validFrom = now - 30 * 86400;
      const validUntil = now + 30 * 86400;
      await issueDefault(f, validFrom, validUntil);
      const cert = await f.certificates.getCertificate(CERT_ID);
      expect(cert.validFrom).to.equal(validFrom);
      expect(cert.validUntil).to.equal(validUntil);
    });

    it("accepts every document type", async function () {
      const f = await loadFixture(deployFixture);
      for (const code of Object.values(DocumentType)) {
        const certId = ethers.id(`doc-type-${code}`);
        await expect(
          f.certificates.connect(f.hospital).issue(certId, code, f.labSubject, DOC_HASH, 0, 0, RAW_SIGNATURE),
        ).to.emit(f.certificates, "CertificateIssued");
        expect((await f.certificates.getCertificate(certId)).documentType).to.equal(code);
      }
    });

    it("accepts raw r||s and DER signatures from 72 bytes down to short r and s with leading zeros", async function () {
      const f = await loadFixture(deployFixture);
      const der = [derSignature(33, 33), derSignature(33, 32), derSignature(32, 32), derSignature(31, 32), derSignature(30, 29)];
      expect(der.map((d) => ethers.dataLength(d))).to.deep.equal([72, 71, 70, 69, 65]);
      for (const signature of [RAW_SIGNATURE, ...der]) {
        const certId = ethers.id(`sig-${signature.length}`);
        await f.certificates.connect(f.eqa).issue(certId, DocumentType.other, f.labSubject, DOC_HASH, 0, 0, signature);
        expect((await f.certificates.getCertificate(certId)).issuerSignature).to.equal(signature);
      }
    });

    it("attributes a certificate to the institution, not to the account that sent it", async function () {
      const f = await loadFixture(clerkFixture);
      const certId = ethers.id("issued-by-clerk");
      const type = DocumentType.proficiencyTestingReport;
      const issuedAt = (await time.latest()) + 10;
      await time.setNextBlockTimestamp(issuedAt);
      await expect(
        f.certificates.connect(f.eqaClerk).issue(certId, type, f.labSubject, DOC_HASH, 0, 0, RAW_SIGNATURE),
      )
        .to.emit(f.certificates, "CertificateIssued")
        .withArgs(certId, f.eqa.address, f.labSubject, type, DOC_HASH, issuedAt, issuedAt, 0, RAW_SIGNATURE);
      expect((await f.certificates.getCertificate(certId)).issuer).to.equal(f.eqa.address);
    });

    describe("rejects, changing nothing,", function () {
      async function expectNothingAnchored(f: Fixture, certId = CERT_ID) {
        expect(await f.certificates.verify(certId, DOC_HASH)).to.equal(Status.unknown);
        expect(await f.certificates.certificateCountOf(f.labSubject)).to.equal(0);
        await expect(f.certificates.getCertificate(certId))
          .to.be.revertedWithCustomError(f.certificates, "CertificateNotFound")
          .withArgs(certId);
      }

      it("an account that is not allowlisted", async function () {
        const f = await loadFixture(deployFixture);
        await expect(
          f.certificates.connect(f.outsider).issue(CERT_ID, 0, f.labSubject, DOC_HASH, 0, 0, RAW_SIGNATURE),
        )
          .to.be.revertedWithCustomError(f.certificates, "MissingRole")
          .withArgs(f.outsider.address, CERT_ISSUER);
        await expectNothingAnchored(f);
      });

      it("a member institution without the CERT_ISSUER role", async function () {
        const f = await loadFixture(deployFixture);
        await expect(
          f.certificates.connect(f.authority).issue(CERT_ID, 0, f.labSubject, DOC_HASH, 0, 0, RAW_SIGNATURE),
        )
          .to.be.revertedWithCustomError(f.certificates, "MissingRole")
          .withArgs(f.authority.address, CERT_ISSUER);
        await expectNothingAnchored(f);
      });

      it("an issuer suspended by a member vote", async function () {
        const f = await loadFixture(deployFixture);
        await setMemberStatus(f, f.eqa.address);
        await expect(f.certificates.connect(f.eqa).issue(CERT_ID, 0, f.labSubject, DOC_HASH, 0, 0, RAW_SIGNATURE))
          .to.be.revertedWithCustomError(f.certificates, "MissingRole")
          .withArgs(f.eqa.address, CERT_ISSUER);
        await expectNothingAnchored(f);
      });

      it("a zero certificate id", async function () {
        const f = await loadFixture(deployFixture);
        await expect(
          f.certificates.connect(f.eqa).issue(ZERO, 0, f.labSubject, DOC_HASH, 0, 0, RAW_SIGNATURE),
        ).to.be.revertedWithCustomError(f.certificates, "ZeroCertificateId");
        await expectNothingAnchored(f, ZERO);
      });

      it("a zero subject", async function () {
        const f = await loadFixture(deployFixture);
        await expect(f.certificates.connect(f.eqa).issue(CERT_ID, 0, ZERO, DOC_HASH, 0, 0, RAW_SIGNATURE))
          .to.be.revertedWithCustomError(f.certificates, "ZeroSubject")
          .withArgs(CERT_ID);
        await expectNothingAnchored(f);
        expect(await f.certificates.certificateCountOf(ZERO)).to.equal(0);
      });

      it("a zero document hash", async function () {
        const f = await loadFixture(deployFixture);
        await expect(f.certificates.connect(f.eqa).issue(CERT_ID, 0, f.labSubject, ZERO, 0, 0, RAW_SIGNATURE))
          .to.be.revertedWithCustomError(f.certificates, "ZeroDocumentHash")
          .withArgs(CERT_ID);
        await expectNothingAnchored(f);
      });

      it("an unknown document type, with the code", async function () {
        const f = await loadFixture(deployFixture);
        for (const code of [5, 255]) {
          await expect(
            f.certificates.connect(f.eqa).issue(CERT_ID, code, f.labSubject, DOC_HASH, 0, 0, RAW_SIGNATURE),
          )
            .to.be.revertedWithCustomError(f.certificates, "InvalidDocumentType")
            .withArgs(code);
        }
        await expectNothingAnchored(f);
      });

      it("an id already used, by any issuer, even after revocation", async function () {
        const f = await loadFixture(issuedFixture);
        const before = await f.certificates.getCertificate(CERT_ID);
        for (const issuer of [f.eqa, f.hospital]) {
          await expect(
            f.certificates.connect(issuer).issue(CERT_ID, 1, f.labSubject, OTHER_HASH, 0, 0, RAW_SIGNATURE),
          )
            .to.be.revertedWithCustomError(f.certificates, "CertificateAlreadyExists")
            .withArgs(CERT_ID);
        }
        await f.certificates.connect(f.eqa).revoke(CERT_ID, Reason.issuedInError);
        await expect(f.certificates.connect(f.eqa).issue(CERT_ID, 0, f.labSubject, DOC_HASH, 0, 0, RAW_SIGNATURE))
          .to.be.revertedWithCustomError(f.certificates, "CertificateAlreadyExists")
          .withArgs(CERT_ID);
        const after = await f.certificates.getCertificate(CERT_ID);
        expect(after.documentHash).to.equal(before.documentHash);
        expect(after.issuedAt).to.equal(before.issuedAt);
        expect(await f.certificates.certificateCountOf(f.labSubject)).to.equal(1);
      });

      it("an empty or already-ended validity window, with the effective values", async function () {
        const f = await loadFixture(deployFixture);
        const now = (await time.latest()) + 100;
        const cases: Array<[validFrom: number, validUntil: number, effectiveFrom: number]> = [
          [0, now, now], // ends the moment it is issued
          [0, now - 1, now], // ended before issuance
          [now + 50, now + 50, now + 50], // empty window in the future
          [now + 50, now + 40, now + 50], // ends before it starts
          [now - 100, now - 1, now - 100], // a window wholly in the past
          [now - 100, now, now - 100], // ending exactly now
        ];
        for (const [validFrom, validUntil, effectiveFrom] of cases) {
          await time.setNextBlockTimestamp(now);
          await expect(
            f.certificates
              .connect(f.eqa)
              .issue(CERT_ID, 0, f.labSubject, DOC_HASH, validFrom, validUntil, RAW_SIGNATURE),
          )
            .to.be.revertedWithCustomError(f.certificates, "InvalidValidity")
            .withArgs(effectiveFrom, validUntil, now);
        }
        await expectNothingAnchored(f);
      });

      it("a signature that is neither 64 bytes raw nor a well-formed DER SEQUENCE, with its length", async function () {
        const f = await loadFixture(deployFixture);
        const malformed = [
          ...[0, 7, 32, 63, 65, 70, 73, 128].map(bytesOfLength), // no DER header
          "0x3144" + "11".repeat(68), // 70 bytes with a consistent length but not the SEQUENCE tag
          derSignature(33, 33).replace(/^0x3046/, "0x3045"), // header states the wrong length
          "0x30" + "49" + "11".repeat(73), // 75 bytes: too long even with a consistent header
        ];
        for (const signature of malformed) {
          await expect(f.certificates.connect(f.eqa).issue(CERT_ID, 0, f.labSubject, DOC_HASH, 0, 0, signature))
            .to.be.revertedWithCustomError(f.certificates, "InvalidSignatureEncoding")
            .withArgs(ethers.dataLength(signature));
        }
        await expectNothingAnchored(f);
      });
    });
  });

  describe("revoke", function () {
    it("lets the issuer revoke, with a reason and the revocation time", async function () {
      const f = await loadFixture(issuedFixture);
      const revokedAt = (await time.latest()) + 60;
      await time.setNextBlockTimestamp(revokedAt);
      await expect(f.certificates.connect(f.eqa).revoke(CERT_ID, Reason.superseded))
        .to.emit(f.certificates, "CertificateRevoked")
        .withArgs(CERT_ID, f.eqa.address, Reason.superseded, revokedAt);
      const cert = await f.certificates.getCertificate(CERT_ID);
      expect(cert.revokedAt).to.equal(revokedAt);
      expect(cert.revocationReason).to.equal(Reason.superseded);
      expect(await f.certificates.verify(CERT_ID, DOC_HASH)).to.equal(Status.revoked);
    });

    it("accepts every revocation reason", async function () {
      const f = await loadFixture(deployFixture);
      for (const reason of Object.values(Reason)) {
        const certId = ethers.id(`reason-${reason}`);
        await f.certificates.connect(f.eqa).issue(certId, 0, f.labSubject, DOC_HASH, 0, 0, RAW_SIGNATURE);
        await expect(f.certificates.connect(f.eqa).revoke(certId, reason))
          .to.emit(f.certificates, "CertificateRevoked")
          .withArgs(certId, f.eqa.address, reason, (v: bigint) => v > 0n);
        expect((await f.certificates.getCertificate(certId)).revocationReason).to.equal(reason);
      }
    });

    it("lets another account of the issuing institution revoke", async function () {
      const f = await loadFixture(clerkFixture);
      await expect(f.certificates.connect(f.eqaClerk).revoke(CERT_ID, Reason.keyCompromise))
        .to.emit(f.certificates, "CertificateRevoked")
        .withArgs(CERT_ID, f.eqa.address, Reason.keyCompromise, (v: bigint) => v > 0n);
    });

    describe("lets the issuing institution revoke whatever its status and roles", function () {
      it("while suspended, e.g. after its signing key was compromised", async function () {
        const f = await loadFixture(issuedFixture);
        await setMemberStatus(f, f.eqa.address);
        expect(await f.registry.hasRole(CERT_ISSUER, f.eqa.address)).to.equal(false);
        expect(await f.certificates.verify(CERT_ID, DOC_HASH)).to.equal(Status.valid);
        await expect(f.certificates.connect(f.eqa).revoke(CERT_ID, Reason.keyCompromise))
          .to.emit(f.certificates, "CertificateRevoked")
          .withArgs(CERT_ID, f.eqa.address, Reason.keyCompromise, (v: bigint) => v > 0n);
        expect(await f.certificates.verify(CERT_ID, DOC_HASH)).to.equal(Status.revoked);
        // Issuing still needs an active institution with the role.
        await expect(
          f.certificates.connect(f.eqa).issue(ethers.id("after"), 0, f.labSubject, DOC_HASH, 0, 0, RAW_SIGNATURE),
        )
          .to.be.revertedWithCustomError(f.certificates, "MissingRole")
          .withArgs(f.eqa.address, CERT_ISSUER);
      });

      it("after it exited, through any of its allowlisted accounts", async function () {
        const f = await loadFixture(clerkFixture);
        await setMemberStatus(f, f.eqa.address, STATUS_EXITED);
        expect(await f.registry.isAllowedAccount(f.eqaClerk.address)).to.equal(false);
        await expect(f.certificates.connect(f.eqaClerk).revoke(CERT_ID, Reason.withdrawn))
          .to.emit(f.certificates, "CertificateRevoked")
          .withArgs(CERT_ID, f.eqa.address, Reason.withdrawn, (v: bigint) => v > 0n);
        expect(await f.certificates.verify(CERT_ID, DOC_HASH)).to.equal(Status.revoked);
      });

      it("after its CERT_ISSUER role was taken away", async function () {
        const f = await loadFixture(issuedFixture);
        await enact(f, (r) => r.proposeSetMemberRoles(f.eqa.address, []));
        expect(await f.registry.hasRole(CERT_ISSUER, f.eqa.address)).to.equal(false);
        await expect(f.certificates.connect(f.eqa).revoke(CERT_ID, Reason.superseded))
          .to.emit(f.certificates, "CertificateRevoked")
          .withArgs(CERT_ID, f.eqa.address, Reason.superseded, (v: bigint) => v > 0n);
        expect(await f.certificates.verify(CERT_ID, DOC_HASH)).to.equal(Status.revoked);
      });
    });

    it("still records a revocation after the certificate expired", async function () {
      const f = await loadFixture(issuedFixture);
      await time.increaseTo(f.validUntil + 1);
      expect(await f.certificates.verify(CERT_ID, DOC_HASH)).to.equal(Status.expired);
      await f.certificates.connect(f.eqa).revoke(CERT_ID, Reason.keyCompromise);
      expect(await f.certificates.verify(CERT_ID, DOC_HASH)).to.equal(Status.revoked);
    });

    describe("rejects, changing nothing,", function () {
      async function expectNotRevoked(f: Fixture) {
        const cert = await f.certificates.getCertificate(CERT_ID);
        expect(cert.revokedAt).to.equal(0);
        expect(cert.revocationReason).to.equal(0);
        expect(await f.certificates.verify(CERT_ID, DOC_HASH)).to.equal(Status.valid);
      }

      it("an account that is not allowlisted", async function () {
        const f = await loadFixture(issuedFixture);
        await expect(f.certificates.connect(f.outsider).revoke(CERT_ID, Reason.withdrawn))
          .to.be.revertedWithCustomError(f.certificates, "NotIssuer")
          .withArgs(CERT_ID, f.eqa.address, ethers.ZeroAddress);
        await expectNotRevoked(f);
      });

      it("a member institution without the CERT_ISSUER role", async function () {
        const f = await loadFixture(issuedFixture);
        await expect(f.certificates.connect(f.authority).revoke(CERT_ID, Reason.withdrawn))
          .to.be.revertedWithCustomError(f.certificates, "NotIssuer")
          .withArgs(CERT_ID, f.eqa.address, f.authority.address);
        await expectNotRevoked(f);
      });

      it("an account of the issuer taken off the allowlist", async function () {
        const f = await loadFixture(clerkFixture);
        await enact(f, (r) => r.proposeRemoveAccount(f.eqaClerk.address));
        await expect(f.certificates.connect(f.eqaClerk).revoke(CERT_ID, Reason.withdrawn))
          .to.be.revertedWithCustomError(f.certificates, "NotIssuer")
          .withArgs(CERT_ID, f.eqa.address, ethers.ZeroAddress);
        await expectNotRevoked(f);
      });

      it("another issuer institution, even once the issuer is suspended", async function () {
        const f = await loadFixture(issuedFixture);
        await setMemberStatus(f, f.eqa.address);
        await expect(f.certificates.connect(f.hospital).revoke(CERT_ID, Reason.withdrawn))
          .to.be.revertedWithCustomError(f.certificates, "NotIssuer")
          .withArgs(CERT_ID, f.eqa.address, f.hospital.address);
        await expectNotRevoked(f);
      });

      it("another issuer institution", async function () {
        const f = await loadFixture(issuedFixture);
        await expect(f.certificates.connect(f.hospital).revoke(CERT_ID, Reason.withdrawn))
          .to.be.revertedWithCustomError(f.certificates, "NotIssuer")
          .withArgs(CERT_ID, f.eqa.address, f.hospital.address);
        await expectNotRevoked(f);
      });

      it("an unknown certificate", async function () {
        const f = await loadFixture(issuedFixture);
        const unknown = ethers.id("never issued");
        await expect(f.certificates.connect(f.eqa).revoke(unknown, Reason.withdrawn))
          .to.be.revertedWithCustomError(f.certificates, "CertificateNotFound")
          .withArgs(unknown);
        await expectNotRevoked(f);
      });

      it("an unknown reason, with the code", async function () {
        const f = await loadFixture(issuedFixture);
        for (const code of [5, 255]) {
          await expect(f.certificates.connect(f.eqa).revoke(CERT_ID, code))
            .to.be.revertedWithCustomError(f.certificates, "InvalidRevocationReason")
            .withArgs(code);
        }
        await expectNotRevoked(f);
      });

      it("a second revocation, keeping the first time and reason", async function () {
        const f = await loadFixture(issuedFixture);
        const revokedAt = (await time.latest()) + 60;
        await time.setNextBlockTimestamp(revokedAt);
        await f.certificates.connect(f.eqa).revoke(CERT_ID, Reason.superseded);
        await expect(f.certificates.connect(f.eqa).revoke(CERT_ID, Reason.keyCompromise))
          .to.be.revertedWithCustomError(f.certificates, "AlreadyRevoked")
          .withArgs(CERT_ID, revokedAt);
        const cert = await f.certificates.getCertificate(CERT_ID);
        expect(cert.revokedAt).to.equal(revokedAt);
        expect(cert.revocationReason).to.equal(Reason.superseded);
      });
    });
  });

  describe("verify", function () {
    it("answers Unknown for an id never issued", async function () {
      const f = await loadFixture(issuedFixture);
      expect(await f.certificates.verify(ethers.id("never issued"), DOC_HASH)).to.equal(Status.unknown);
      expect(await f.certificates.verify(ZERO, ZERO)).to.equal(Status.unknown);
    });

    it("answers HashMismatch for another document, before any other status", async function () {
      const f = await loadFixture(deployFixture);
      const start = (await time.latest()) + 1000;
      await issueDefault(f, start, start + 100);
      expect(await f.certificates.verify(CERT_ID, OTHER_HASH)).to.equal(Status.hashMismatch); // not yet valid
      await time.increaseTo(start + 200);
      expect(await f.certificates.verify(CERT_ID, OTHER_HASH)).to.equal(Status.hashMismatch); // expired
      await f.certificates.connect(f.eqa).revoke(CERT_ID, Reason.withdrawn);
      expect(await f.certificates.verify(CERT_ID, OTHER_HASH)).to.equal(Status.hashMismatch); // revoked
    });

    it("answers Revoked before NotYetValid", async function () {
      const f = await loadFixture(deployFixture);
      const start = (await time.latest()) + 1000;
      await issueDefault(f, start, 0);
      expect(await f.certificates.verify(CERT_ID, DOC_HASH)).to.equal(Status.notYetValid);
      await f.certificates.connect(f.eqa).revoke(CERT_ID, Reason.issuedInError);
      expect(await f.certificates.verify(CERT_ID, DOC_HASH)).to.equal(Status.revoked);
    });

    it("follows the half-open window [validFrom, validUntil)", async function () {
      const f = await loadFixture(deployFixture);
      const start = (await time.latest()) + 1000;
      const end = start + 86400;
      await issueDefault(f, start, end);
      await time.increaseTo(start - 1);
      expect(await f.certificates.verify(CERT_ID, DOC_HASH)).to.equal(Status.notYetValid);
      await time.increaseTo(start);
      expect(await f.certificates.verify(CERT_ID, DOC_HASH)).to.equal(Status.valid);
      await time.increaseTo(end - 1);
      expect(await f.certificates.verify(CERT_ID, DOC_HASH)).to.equal(Status.valid);
      await time.increaseTo(end);
      expect(await f.certificates.verify(CERT_ID, DOC_HASH)).to.equal(Status.expired);
    });

    it("never expires a certificate without validUntil", async function () {
      const f = await loadFixture(deployFixture);
      await issueDefault(f, 0, 0);
      await time.increase(100 * 365 * 86400);
      expect(await f.certificates.verify(CERT_ID, DOC_HASH)).to.equal(Status.valid);
    });

    it("keeps answering for certificates of an issuer suspended later", async function () {
      const f = await loadFixture(issuedFixture);
      await setMemberStatus(f, f.eqa.address);
      expect(await f.certificates.verify(CERT_ID, DOC_HASH)).to.equal(Status.valid);
    });
  });

  describe("getCertificate", function () {
    it("rejects an unknown id", async function () {
      const f = await loadFixture(issuedFixture);
      const unknown = ethers.id("never issued");
      await expect(f.certificates.getCertificate(unknown))
        .to.be.revertedWithCustomError(f.certificates, "CertificateNotFound")
        .withArgs(unknown);
    });
  });

  describe("certificatesOf / certificateCountOf", function () {
    async function listedFixture() {
      const f = await deployFixture();
      const ids = [1, 2, 3, 4, 5].map((i) => ethers.id(`lab-cert-${i}`));
      for (const [i, certId] of ids.entries()) {
        const issuer = i % 2 === 0 ? f.eqa : f.hospital;
        await f.certificates.connect(issuer).issue(certId, 1, f.labSubject, DOC_HASH, 0, 0, RAW_SIGNATURE);
      }
      const otherSubject = ethers.zeroPadValue(f.authority.address, 32);
      await f.certificates.connect(f.eqa).issue(ethers.id("other"), 0, otherSubject, DOC_HASH, 0, 0, RAW_SIGNATURE);
      return { ...f, ids, otherSubject };
    }

    it("lists a subject's certificates in issuance order, revoked ones included", async function () {
      const f = await loadFixture(listedFixture);
      await f.certificates.connect(f.eqa).revoke(f.ids[0]!, Reason.superseded);
      expect(await f.certificates.certificateCountOf(f.labSubject)).to.equal(5);
      expect(await f.certificates.certificatesOf(f.labSubject, 0, 5)).to.deep.equal(f.ids);
      expect(await f.certificates.certificateCountOf(f.otherSubject)).to.equal(1);
      expect(await f.certificates.certificatesOf(f.otherSubject, 0, 5)).to.deep.equal([ethers.id("other")]);
      expect(await f.certificates.certificateCountOf(ethers.id("nobody"))).to.equal(0);
    });

    it("pages by offset and limit, cut at the end, empty past it", async function () {
      const f = await loadFixture(listedFixture);
      expect(await f.certificates.certificatesOf(f.labSubject, 0, 2)).to.deep.equal(f.ids.slice(0, 2));
      expect(await f.certificates.certificatesOf(f.labSubject, 2, 2)).to.deep.equal(f.ids.slice(2, 4));
      expect(await f.certificates.certificatesOf(f.labSubject, 4, 2)).to.deep.equal(f.ids.slice(4));
      expect(await f.certificates.certificatesOf(f.labSubject, 1, ethers.MaxUint256)).to.deep.equal(f.ids.slice(1));
      expect(await f.certificates.certificatesOf(f.labSubject, 2, 0)).to.deep.equal([]);
      expect(await f.certificates.certificatesOf(f.labSubject, 5, 10)).to.deep.equal([]);
      expect(await f.certificates.certificatesOf(f.labSubject, ethers.MaxUint256, ethers.MaxUint256)).to.deep.equal([]);
      expect(await f.certificates.certificatesOf(ethers.id("nobody"), 0, 10)).to.deep.equal([]);
    });
  });
});

import { expect } from "chai";
import {
  ALL_PURPOSES_MASK,
  codesOf,
  CONSENT_PRIMARY_TYPES,
  CONSENT_SCOPE_ALL,
  GRANTEE_KINDS,
  LIMITS,
  PURPOSES,
  RELATIONS,
  REQUEST_MODES,
  REQUEST_STATUS,
  ROLES,
} from "@health-chain/sdk";
import { network } from "hardhat";
import type { ConsentRegistry } from "../../types/ethers-contracts/index.js";
import {
  CONSENT_DOMAIN_NAME,
  CONSENT_DOMAIN_VERSION,
  consentDigest,
  consentDomain,
  consentDomainAt,
  signConsent,
  typeString,
  type ConsentMessageType,
  type ConsentMessages,
} from "./helpers/consent.ts";
import { enact, suspendMember } from "./helpers/governance.ts";

const { ethers, networkHelpers } = await network.create();
const { time, loadFixture } = networkHelpers;

const DATA_CONSUMER = ROLES.dataConsumer.id;
const AUDIT_RECORDER = ROLES.auditRecorder.id;
const THRESHOLD_BPS = 5000; // 3 founders: 2 yes votes pass a proposal
const VOTING_PERIOD = 3600;
const HOUR = 3600;
const DAY = 24 * HOUR;
const MAX_SCOPE_ITEMS = LIMITS.maxScopeItems;
const MAX_GRANTS_PER_GRANTEE = LIMITS.maxGrantsPerGrantee;
const MAX_REQUEST_TTL = LIMITS.maxRequestTtl;

const Kind = codesOf(GRANTEE_KINDS);
const Mode = codesOf(REQUEST_MODES);
const Relation = codesOf(RELATIONS);
const RequestStatus = codesOf(REQUEST_STATUS);
const Purpose = codesOf(PURPOSES);
const mask = (...purposes: number[]) => purposes.reduce((m, p) => m | (1 << p), 0);
const ALL_PURPOSES = ALL_PURPOSES_MASK;

const ZERO = ethers.ZeroHash;
const ALL = CONSENT_SCOPE_ALL;
const LAB = ethers.id("category:LAB_REPORT");
const IMAGING = ethers.id("category:IMAGING");
const OUTPATIENT = ethers.id("category:OUTPATIENT_VISIT");
const REC1 = ethers.id("record:hospital-a:1");
const REC2 = ethers.id("record:hospital-a:2");
const REC3 = ethers.id("record:hospital-b:3");
const DIAGNOSIS = ethers.id("field:diagnosis");
const RESULT = ethers.id("field:lab-result");
const ADDRESS_FIELD = ethers.id("field:home-address");
const PROJECT = ethers.id("project:diabetes-cohort-2025"); // a project id uses all 32 bytes

type Grant = ConsentRegistry.ConsentGrantStruct;
type Narrowing = ConsentRegistry.ConsentNarrowingStruct;
type Reshare = ConsentRegistry.ReshareStruct;
type AccessRequest = ConsentRegistry.AccessRequestStruct;
type Answer = ConsentRegistry.RequestAnswerStruct;
type Delegation = ConsentRegistry.DelegationStruct;

type Wallet = Awaited<ReturnType<typeof ethers.getSigners>>[number];

/** An account (institution or doctor) as a grantee id: the address, left-padded to 32 bytes. */
const asGrantee = (account: string) => ethers.zeroPadValue(account, 32);

// Unordered nonces: any unused number works, so one increasing counter keeps every message distinct.
let nonceSeq = 1_000n;
const nextNonce = () => ++nonceSeq;

async function deployFixture() {
  const signers = await ethers.getSigners();
  const account = (i: number): Wallet => {
    const s = signers[i];
    if (s === undefined) throw new Error(`the test network has no account ${i}`);
    return s;
  };
  const [authority, hospitalA, hospitalB, gatewayA, resident, resident2, guardian, doctor, doctor2, relayer, stranger] =
    Array.from({ length: 11 }, (_, i) => account(i)) as [
      Wallet,
      Wallet,
      Wallet,
      Wallet,
      Wallet,
      Wallet,
      Wallet,
      Wallet,
      Wallet,
      Wallet,
      Wallet,
    ];
  const registry = await ethers.deployContract("ConsortiumRegistry", [
    [
      { institution: authority.address, kind: 0, name: "District Health Commission", roles: [AUDIT_RECORDER] },
      { institution: hospitalA.address, kind: 1, name: "District Central Hospital", roles: [DATA_CONSUMER] },
      { institution: hospitalB.address, kind: 1, name: "District TCM Hospital", roles: [DATA_CONSUMER] },
    ],
    THRESHOLD_BPS,
    VOTING_PERIOD,
  ]);
  // Hospital A's gateway: an extra account acting for hospital A, added by vote.
  await enact(registry, hospitalA, (r) => r.proposeAddAccount(gatewayA.address, hospitalA.address), [authority]);
  const consent = await ethers.deployContract("ConsentRegistry", [await registry.getAddress()]);
  const { chainId } = await ethers.provider.getNetwork();
  const domain = consentDomainAt(chainId, await consent.getAddress());
  const now = await time.latest();
  return {
    registry,
    consent,
    domain,
    chainId,
    now,
    authority,
    hospitalA,
    hospitalB,
    gatewayA,
    resident,
    resident2,
    guardian,
    doctor,
    doctor2,
    relayer,
    stranger,
  };
}

type Fixture = Awaited<ReturnType<typeof deployFixture>>;

// ---------------------------------------------------------------- messages

/** Lab reports and records 1 and 2, diagnosis and result, for treatment and referral, 30 days. */
function grantOf(f: Fixture, over: Partial<Grant> = {}): Grant {
  return {
    resident: f.resident.address,
    grantee: asGrantee(f.doctor.address),
    granteeKind: Kind.doctor,
    categories: [LAB],
    recordIds: [REC1, REC2],
    fields: [DIAGNOSIS, RESULT],
    purposes: mask(Purpose.treatment, Purpose.referral),
    notBefore: f.now,
    notAfter: f.now + 30 * DAY,
    mayReshare: true,
    nonce: nextNonce(),
    deadline: f.now + 365 * DAY,
    ...over,
  };
}

function narrowingOf(f: Fixture, grantId: string, over: Partial<Narrowing> = {}): Narrowing {
  return {
    grantId,
    removeCategories: [],
    removeRecordIds: [],
    removeFields: [],
    removePurposes: 0,
    notAfter: 0,
    nonce: nextNonce(),
    deadline: f.now + 365 * DAY,
    ...over,
  };
}

/** Doctor 2 may read the diagnosis of lab reports, for treatment, 10 days. */
function reshareOf(f: Fixture, parentId: string, over: Partial<Reshare> = {}): Reshare {
  return {
    parentId,
    grantee: asGrantee(f.doctor2.address),
    granteeKind: Kind.doctor,
    categories: [LAB],
    recordIds: [],
    fields: [DIAGNOSIS],
    purposes: mask(Purpose.treatment),
    notAfter: f.now + 10 * DAY,
    nonce: nextNonce(),
    deadline: f.now + 365 * DAY,
    ...over,
  };
}

function requestOf(f: Fixture, over: Partial<AccessRequest> = {}): AccessRequest {
  return {
    resident: f.resident.address,
    grantee: asGrantee(f.doctor.address),
    granteeKind: Kind.doctor,
    categories: [IMAGING],
    recordIds: [REC3],
    fields: [DIAGNOSIS],
    purposes: mask(Purpose.treatment),
    validFor: 7 * DAY,
    answerBy: f.now + 2 * DAY,
    reasonHash: ethers.id("reason: follow-up of the chest CT"),
    ...over,
  };
}

const ACCESS_REQUEST_TUPLE = "tuple(address,bytes32,uint8,bytes32[],bytes32[],bytes32[],uint8,uint64,uint64,bytes32)";

/** keccak256(abi.encode(request)), as `requestContentHash`, computed off chain as the resident's app does. */
function requestHashOf(r: AccessRequest): string {
  return ethers.keccak256(
    ethers.AbiCoder.defaultAbiCoder().encode(
      [ACCESS_REQUEST_TUPLE],
      [[r.resident, r.grantee, r.granteeKind, r.categories, r.recordIds, r.fields, r.purposes, r.validFor, r.answerBy, r.reasonHash]],
    ),
  );
}

/** An answer to `requestId`, signing the content of the fixture's request (if it has one). */
function answerOf(f: Fixture, requestId: string, over: Partial<Answer> = {}): Answer {
  const request = (f as Fixture & { request?: AccessRequest }).request;
  return {
    requestId,
    requestHash: request ? requestHashOf(request) : ethers.ZeroHash,
    approve: true,
    mode: Mode.remote,
    notBefore: f.now,
    notAfter: f.now + 7 * DAY,
    nonce: nextNonce(),
    deadline: f.now + 365 * DAY,
    ...over,
  };
}

function delegationOf(f: Fixture, over: Partial<Delegation> = {}): Delegation {
  return {
    resident: f.resident.address,
    delegate: f.guardian.address,
    relation: Relation.guardian,
    notAfter: f.now + 180 * DAY,
    nonce: nextNonce(),
    deadline: f.now + 365 * DAY,
    ...over,
  };
}

const digestOf = <T extends ConsentMessageType>(f: Fixture, type: T, message: ConsentMessages[T]) =>
  consentDigest(f.domain, type, message);

// ---------------------------------------------------------------- relaying (always by a third party)

async function sendGrant(f: Fixture, g: Grant, by: Wallet = f.resident, signer: string = by.address) {
  const signature = await signConsent(by, f.domain, "ConsentGrant", g);
  return f.consent.connect(f.relayer).grant(g, signer, signature);
}

async function sendNarrow(f: Fixture, n: Narrowing, by: Wallet = f.resident, signer: string = by.address) {
  const signature = await signConsent(by, f.domain, "ConsentNarrowing", n);
  return f.consent.connect(f.relayer).narrow(n, signer, signature);
}

function revocationOf(f: Fixture, grantId: string) {
  return { grantId, nonce: nextNonce(), deadline: f.now + 365 * DAY };
}

/** Relays a grant and returns its id. */
async function sendAndId(f: Fixture, g: Grant): Promise<string> {
  await sendGrant(f, g);
  return digestOf(f, "ConsentGrant", g);
}

async function sendRevoke(f: Fixture, grantId: string, by: Wallet = f.resident, signer: string = by.address) {
  const r = revocationOf(f, grantId);
  const signature = await signConsent(by, f.domain, "ConsentRevocation", r);
  return f.consent.connect(f.relayer).revoke(r, signer, signature);
}

async function sendReshare(f: Fixture, s: Reshare, by: Wallet = f.doctor, signer: string = by.address) {
  const signature = await signConsent(by, f.domain, "Reshare", s);
  return f.consent.connect(f.relayer).reshare(s, signer, signature);
}

async function sendAnswer(
  f: Fixture,
  r: AccessRequest,
  a: Answer,
  by: Wallet = f.resident,
  signer: string = by.address,
) {
  const signature = await signConsent(by, f.domain, "RequestAnswer", a);
  return f.consent.connect(f.relayer).answerRequest(r, a, signer, signature);
}

async function sendDelegate(f: Fixture, d: Delegation, by: Wallet = f.resident) {
  const signature = await signConsent(by, f.domain, "Delegation", d);
  return f.consent.connect(f.relayer).setDelegate(d, signature);
}

/** Revokes the delegation currently in force between the resident and `delegate` (its id read from the chain). */
async function sendRevokeDelegate(f: Fixture, delegate: string, by: Wallet = f.resident, resident?: string) {
  const residentAddress = resident ?? f.resident.address;
  const [, , , delegationId] = await f.consent.delegation(residentAddress, delegate);
  const d = { resident: residentAddress, delegate, delegationId, nonce: nextNonce(), deadline: f.now + 365 * DAY };
  const signature = await signConsent(by, f.domain, "DelegationRevocation", d);
  return f.consent.connect(f.relayer).revokeDelegate(d, signature);
}

/** Files a request from hospital A (or `by`); returns its id. */
async function fileRequest(f: Fixture, r: AccessRequest, by: Wallet = f.hospitalA) {
  const requestId = await f.consent.connect(by).requestAccess.staticCall(r);
  await f.consent.connect(by).requestAccess(r);
  return requestId;
}

interface Query {
  resident?: string;
  grantee?: string;
  recordId?: string;
  category?: string;
  field?: string;
  purpose?: number;
  at?: number;
}

/** checkAccess with defaults: the doctor reads record 1's diagnosis for treatment, a day in. */
async function check(f: Fixture, q: Query = {}): Promise<[boolean, string]> {
  const [allowed, grantId] = await f.consent.checkAccess(
    q.resident ?? f.resident.address,
    q.grantee ?? asGrantee(f.doctor.address),
    q.recordId ?? REC1,
    q.category ?? ZERO,
    q.field ?? DIAGNOSIS,
    q.purpose ?? Purpose.treatment,
    q.at ?? f.now + DAY,
  );
  return [allowed, grantId];
}

const allows = async (f: Fixture, q: Query = {}) => (await check(f, q))[0];

/** Suspends `institution` by a real registry vote: the authority proposes, hospital B seconds. */
async function suspend(f: Fixture, institution: string) {
  await suspendMember(f.registry, institution, f.authority, [f.hospitalB]);
}

// ---------------------------------------------------------------- fixtures

/** The guardian manages the resident's consent for 180 days. */
async function delegatedFixture() {
  const f = await deployFixture();
  await sendDelegate(f, delegationOf(f));
  return f;
}

/** The resident granted the doctor `grantOf(f)` (re-sharing allowed); the guardian is a delegate. */
async function grantedFixture() {
  const f = await delegatedFixture();
  const g = grantOf(f);
  await sendGrant(f, g);
  return { ...f, g, grantId: digestOf(f, "ConsentGrant", g) };
}

/** Hospital A asked, for the doctor, for imaging and record 3's diagnosis, for treatment, 7 days. */
async function requestedFixture() {
  const f = await delegatedFixture();
  const request = requestOf(f);
  const requestId = await fileRequest(f, request);
  return { ...f, request, requestId };
}

async function grantSnapshot(f: Fixture, grantId: string) {
  return [...(await f.consent.getGrant(grantId))];
}

describe("ConsentRegistry", function () {
  describe("EIP-712: off-chain and on-chain agree", function () {
    const types: readonly ConsentMessageType[] = CONSENT_PRIMARY_TYPES;
    const typehashGetter: Record<ConsentMessageType, string> = {
      ConsentGrant: "CONSENT_GRANT_TYPEHASH",
      ConsentNarrowing: "CONSENT_NARROWING_TYPEHASH",
      ConsentRevocation: "CONSENT_REVOCATION_TYPEHASH",
      RequestAnswer: "REQUEST_ANSWER_TYPEHASH",
      Delegation: "DELEGATION_TYPEHASH",
      DelegationRevocation: "DELEGATION_REVOCATION_TYPEHASH",
      Reshare: "RESHARE_TYPEHASH",
    };

    for (const type of types) {
      it(`hashes the ${type} type string exactly as the contract`, async function () {
        const f = await loadFixture(deployFixture);
        expect(ethers.id(typeString(type))).to.equal(await f.consent.getFunction(typehashGetter[type])());
      });
    }

    it("publishes the signing domain (EIP-5267) the helpers use", async function () {
      const f = await loadFixture(deployFixture);
      const domain = await f.consent.eip712Domain();
      expect(domain.fields).to.equal("0x0f");
      expect(domain.name).to.equal(CONSENT_DOMAIN_NAME);
      expect(domain.version).to.equal(CONSENT_DOMAIN_VERSION);
      expect(domain.chainId).to.equal(f.chainId);
      expect(domain.verifyingContract).to.equal(await f.consent.getAddress());
      expect(await consentDomain(f.consent)).to.deep.equal(f.domain);
    });

    it("computes the grant digest (the grant id) as ethers does, with full, empty and wildcard lists", async function () {
      const f = await loadFixture(deployFixture);
      const samples: Grant[] = [
        grantOf(f),
        grantOf(f, { categories: [], recordIds: [REC1], fields: [ALL], mayReshare: false }),
        grantOf(f, { grantee: PROJECT, granteeKind: Kind.project, categories: [ALL, LAB, IMAGING], recordIds: [] }),
        grantOf(f, { purposes: ALL_PURPOSES, nonce: ethers.MaxUint256, deadline: 2n ** 64n - 1n }),
      ];
      for (const g of samples) expect(await f.consent.grantDigest(g)).to.equal(digestOf(f, "ConsentGrant", g));
    });

    it("computes the narrowing, revocation, answer, delegation, delegation-revocation and re-share digests as ethers does", async function () {
      const f = await loadFixture(deployFixture);
      const id = ethers.id("some grant");
      for (const n of [
        narrowingOf(f, id),
        narrowingOf(f, id, {
          removeCategories: [LAB],
          removeRecordIds: [REC1, REC2],
          removeFields: [RESULT],
          removePurposes: 3,
          notAfter: f.now + DAY,
        }),
      ]) {
        expect(await f.consent.narrowingDigest(n)).to.equal(digestOf(f, "ConsentNarrowing", n));
      }
      const r = revocationOf(f, id);
      expect(await f.consent.revocationDigest(r)).to.equal(digestOf(f, "ConsentRevocation", r));
      for (const a of [answerOf(f, id), answerOf(f, id, { approve: false, mode: Mode.onSite, notBefore: 0 })]) {
        expect(await f.consent.answerDigest(a)).to.equal(digestOf(f, "RequestAnswer", a));
      }
      const d = delegationOf(f, { relation: Relation.agent });
      expect(await f.consent.delegationDigest(d)).to.equal(digestOf(f, "Delegation", d));
      const dr = {
        resident: f.resident.address,
        delegate: f.guardian.address,
        delegationId: await f.consent.delegationDigest(d),
        nonce: 7n,
        deadline: f.now,
      };
      expect(await f.consent.delegationRevocationDigest(dr)).to.equal(digestOf(f, "DelegationRevocation", dr));
      for (const s of [
        reshareOf(f, id),
        reshareOf(f, id, { granteeKind: Kind.institution, categories: [], recordIds: [REC1, REC2], fields: [ALL] }),
      ]) {
        expect(await f.consent.reshareDigest(s)).to.equal(digestOf(f, "Reshare", s));
      }
    });

    it("binds the digest to the deployment: another contract address or chain id gives another digest", async function () {
      const f = await loadFixture(deployFixture);
      const g = grantOf(f);
      const onChain = await f.consent.grantDigest(g);
      expect(
        consentDigest(consentDomainAt(f.chainId + 1n, await f.consent.getAddress()), "ConsentGrant", g),
      ).to.not.equal(onChain);
      expect(consentDigest(consentDomainAt(f.chainId, f.stranger.address), "ConsentGrant", g)).to.not.equal(onChain);
    });

    it("binds an access request's content by keccak256(abi.encode(request))", async function () {
      const f = await loadFixture(deployFixture);
      const r = requestOf(f);
      const encoded = ethers.AbiCoder.defaultAbiCoder().encode(
        ["tuple(address,bytes32,uint8,bytes32[],bytes32[],bytes32[],uint8,uint64,uint64,bytes32)"],
        [
          [
            r.resident,
            r.grantee,
            r.granteeKind,
            r.categories,
            r.recordIds,
            r.fields,
            r.purposes,
            r.validFor,
            r.answerBy,
            r.reasonHash,
          ],
        ],
      );
      expect(await f.consent.requestContentHash(r)).to.equal(ethers.keccak256(encoded));
    });
  });

  describe("deployment", function () {
    it("keeps the registry and publishes its codes and limits", async function () {
      const f = await loadFixture(deployFixture);
      expect(await f.consent.registry()).to.equal(await f.registry.getAddress());
      expect(await f.consent.ALL()).to.equal(ALL);
      expect(await f.consent.MAX_SCOPE_ITEMS()).to.equal(BigInt(MAX_SCOPE_ITEMS));
      expect(await f.consent.MAX_GRANTS_PER_GRANTEE()).to.equal(BigInt(MAX_GRANTS_PER_GRANTEE));
      expect(await f.consent.MAX_REQUEST_TTL()).to.equal(BigInt(MAX_REQUEST_TTL));
      expect(await f.consent.MAX_FIELDS_PER_CHECK()).to.equal(BigInt(LIMITS.maxFieldsPerCheck));
      expect(await f.consent.requestCount()).to.equal(0n);
    });

    it("refuses a zero registry", async function () {
      const factory = await ethers.getContractFactory("ConsentRegistry");
      await expect(ethers.deployContract("ConsentRegistry", [ethers.ZeroAddress])).to.be.revertedWithCustomError(
        factory,
        "ZeroRegistry",
      );
    });
  });

  describe("grant", function () {
    it("records a grant relayed by a third party, under the id the resident could compute before relaying", async function () {
      const f = await loadFixture(deployFixture);
      const g = grantOf(f);
      const grantId = digestOf(f, "ConsentGrant", g);
      const signature = await signConsent(f.resident, f.domain, "ConsentGrant", g);
      expect(await f.consent.connect(f.relayer).grant.staticCall(g, f.resident.address, signature)).to.equal(grantId);

      const at = f.now + 10;
      await time.setNextBlockTimestamp(at);
      await expect(f.consent.connect(f.relayer).grant(g, f.resident.address, signature))
        .to.emit(f.consent, "GrantCreated")
        .withArgs(
          grantId,
          f.resident.address,
          g.grantee,
          [f.resident.address, g.grantee, Kind.doctor, g.purposes, g.notBefore, g.notAfter, true, ZERO],
          [g.categories, g.recordIds, g.fields],
          f.resident.address,
        );

      const stored = await f.consent.getGrant(grantId);
      expect(stored.resident).to.equal(f.resident.address);
      expect(stored.grantee).to.equal(g.grantee);
      expect(stored.granteeKind).to.equal(BigInt(Kind.doctor));
      expect(stored.purposes).to.equal(BigInt(mask(Purpose.treatment, Purpose.referral)));
      expect(stored.mayReshare).to.equal(true);
      expect(stored.revoked).to.equal(false);
      expect(stored.notBefore).to.equal(BigInt(g.notBefore));
      expect(stored.notAfter).to.equal(BigInt(g.notAfter));
      expect(stored.parentId).to.equal(ZERO);
      expect(stored.createdAt).to.equal(BigInt(at));
      expect(stored.revokedAt).to.equal(0n);
      expect(stored.targetCount).to.equal(3n);
      expect(stored.fieldCount).to.equal(2n);

      expect(await f.consent.grantCovers(grantId, LAB, REC1, DIAGNOSIS)).to.deep.equal([true, true, true]);
      expect(await f.consent.grantCovers(grantId, IMAGING, REC3, ADDRESS_FIELD)).to.deep.equal([false, false, false]);
      expect(await f.consent.liveGrants(f.resident.address, g.grantee)).to.deep.equal([grantId]);
      expect(await f.consent.isNonceUsed(f.resident.address, g.nonce)).to.equal(true);
      expect(await allows(f)).to.equal(true);
    });

    it("counts a scope item listed twice once", async function () {
      const f = await loadFixture(deployFixture);
      const g = grantOf(f, { categories: [LAB, LAB], recordIds: [REC1, REC1], fields: [DIAGNOSIS, DIAGNOSIS] });
      await sendGrant(f, g);
      const stored = await f.consent.getGrant(digestOf(f, "ConsentGrant", g));
      expect(stored.targetCount).to.equal(2n);
      expect(stored.fieldCount).to.equal(1n);
    });

    it("records a grant signed by the resident's delegate, naming the delegate as signer", async function () {
      const f = await loadFixture(delegatedFixture);
      const g = grantOf(f);
      const grantId = digestOf(f, "ConsentGrant", g);
      await expect(sendGrant(f, g, f.guardian))
        .to.emit(f.consent, "GrantCreated")
        .withArgs(
          grantId,
          f.resident.address,
          g.grantee,
          [f.resident.address, g.grantee, Kind.doctor, g.purposes, g.notBefore, g.notAfter, true, ZERO],
          [g.categories, g.recordIds, g.fields],
          f.guardian.address,
        );
      expect((await f.consent.getGrant(grantId)).resident).to.equal(f.resident.address);
      // The delegate spends its own nonce, not the resident's.
      expect(await f.consent.isNonceUsed(f.guardian.address, g.nonce)).to.equal(true);
      expect(await f.consent.isNonceUsed(f.resident.address, g.nonce)).to.equal(false);
    });

    it("accepts institution, doctor and research-project grantees", async function () {
      const f = await loadFixture(deployFixture);
      for (const [grantee, granteeKind] of [
        [asGrantee(f.hospitalA.address), Kind.institution],
        [asGrantee(f.doctor2.address), Kind.doctor],
        [PROJECT, Kind.project],
      ] as const) {
        const g = grantOf(f, { grantee, granteeKind });
        await sendGrant(f, g);
        expect(await f.consent.liveGrants(f.resident.address, grantee)).to.deep.equal([digestOf(f, "ConsentGrant", g)]);
      }
    });

    it("refuses the zero resident before looking at the signature", async function () {
      const f = await loadFixture(deployFixture);
      const g = grantOf(f, { resident: ethers.ZeroAddress });
      for (const signer of [f.resident.address, ethers.ZeroAddress]) {
        await expect(sendGrant(f, g, f.resident, signer))
          .to.be.revertedWithCustomError(f.consent, "InvalidResident")
          .withArgs(ethers.ZeroAddress);
      }
    });

    it("refuses an invalid grantee: zero, unknown kind, or an institution or doctor id that is not an address", async function () {
      const f = await loadFixture(deployFixture);
      const notAnAddress = "0x01" + f.doctor.address.slice(2).toLowerCase().padStart(62, "0");
      for (const [grantee, granteeKind] of [
        [ZERO, Kind.doctor],
        [ZERO, Kind.project],
        [asGrantee(f.doctor.address), 3],
        [PROJECT, 255],
        [notAnAddress, Kind.doctor],
        [notAnAddress, Kind.institution],
        [PROJECT, Kind.institution],
      ] as const) {
        const g = grantOf(f, { grantee, granteeKind });
        await expect(sendGrant(f, g))
          .to.be.revertedWithCustomError(f.consent, "InvalidGrantee")
          .withArgs(grantee, granteeKind);
        expect(await f.consent.isNonceUsed(f.resident.address, g.nonce)).to.equal(false);
      }
    });

    it("refuses a grant with no record scope", async function () {
      const f = await loadFixture(deployFixture);
      await expect(sendGrant(f, grantOf(f, { categories: [], recordIds: [] }))).to.be.revertedWithCustomError(
        f.consent,
        "EmptyScope",
      );
    });

    it("refuses a grant with no field scope", async function () {
      const f = await loadFixture(deployFixture);
      await expect(sendGrant(f, grantOf(f, { fields: [] }))).to.be.revertedWithCustomError(
        f.consent,
        "EmptyFieldScope",
      );
    });

    it("refuses a scope list of more than 32 items, in any list, and accepts exactly 32", async function () {
      const f = await loadFixture(deployFixture);
      const items = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ethers.id(`${tag}-${i}`));
      for (const over of [{ categories: items(33, "c") }, { recordIds: items(33, "r") }, { fields: items(33, "f") }]) {
        await expect(sendGrant(f, grantOf(f, over)))
          .to.be.revertedWithCustomError(f.consent, "ScopeTooLarge")
          .withArgs(33, MAX_SCOPE_ITEMS);
      }
      const g = grantOf(f, { categories: items(32, "c"), recordIds: items(32, "r"), fields: items(32, "f") });
      await sendGrant(f, g);
      const stored = await f.consent.getGrant(digestOf(f, "ConsentGrant", g));
      expect(stored.targetCount).to.equal(64n);
      expect(stored.fieldCount).to.equal(32n);
    });

    it("refuses a zero scope item in any list, and ALL as a record id", async function () {
      const f = await loadFixture(deployFixture);
      for (const over of [{ categories: [LAB, ZERO] }, { recordIds: [ZERO] }, { fields: [DIAGNOSIS, ZERO] }]) {
        await expect(sendGrant(f, grantOf(f, over)))
          .to.be.revertedWithCustomError(f.consent, "InvalidScopeItem")
          .withArgs(ZERO);
      }
      await expect(sendGrant(f, grantOf(f, { recordIds: [REC1, ALL] })))
        .to.be.revertedWithCustomError(f.consent, "InvalidScopeItem")
        .withArgs(ALL);
    });

    it("refuses a window that ends before or when it begins", async function () {
      const f = await loadFixture(deployFixture);
      for (const [notBefore, notAfter] of [
        [f.now + DAY, f.now + DAY],
        [f.now + 2 * DAY, f.now + DAY],
      ]) {
        await expect(sendGrant(f, grantOf(f, { notBefore, notAfter })))
          .to.be.revertedWithCustomError(f.consent, "InvalidWindow")
          .withArgs(notBefore, notAfter);
      }
    });

    it("refuses a window that has already ended, and accepts one ending in this very block", async function () {
      const f = await loadFixture(deployFixture);
      const at = (await time.latest()) + 100;
      await time.setNextBlockTimestamp(at);
      await expect(sendGrant(f, grantOf(f, { notBefore: 0, notAfter: at - 1 })))
        .to.be.revertedWithCustomError(f.consent, "WindowEnded")
        .withArgs(at - 1, at);
      // notAfter == now also counts as ended: a grant must have a future.
      await time.setNextBlockTimestamp(at + 1);
      await expect(sendGrant(f, grantOf(f, { notBefore: 0, notAfter: at + 1 })))
        .to.be.revertedWithCustomError(f.consent, "WindowEnded")
        .withArgs(at + 1, at + 1);
    });

    it("accepts a window that starts in the future", async function () {
      const f = await loadFixture(deployFixture);
      const g = grantOf(f, { notBefore: f.now + 5 * DAY, notAfter: f.now + 6 * DAY });
      await sendGrant(f, g);
      expect(await allows(f, { at: f.now + 5 * DAY })).to.equal(true);
      expect(await allows(f, { at: f.now + DAY })).to.equal(false);
    });

    it("refuses an empty purpose set and purposes beyond the six defined ones", async function () {
      const f = await loadFixture(deployFixture);
      for (const purposes of [0, 0x40, 0x80, 0x41, 0xff]) {
        await expect(sendGrant(f, grantOf(f, { purposes })))
          .to.be.revertedWithCustomError(f.consent, "InvalidPurpose")
          .withArgs(purposes);
      }
      await sendGrant(f, grantOf(f, { purposes: ALL_PURPOSES }));
    });

    it("refuses a signature past its deadline, and accepts one relayed at the deadline", async function () {
      const f = await loadFixture(deployFixture);
      const at = (await time.latest()) + 100;
      const late = grantOf(f, { deadline: at - 1 });
      await time.setNextBlockTimestamp(at);
      await expect(sendGrant(f, late))
        .to.be.revertedWithCustomError(f.consent, "SignatureExpired")
        .withArgs(at - 1, at);
      const onTime = grantOf(f, { deadline: at + 1 });
      await time.setNextBlockTimestamp(at + 1);
      await sendGrant(f, onTime);
    });

    it("refuses a replay of the very same signed grant, and changes nothing", async function () {
      const f = await loadFixture(deployFixture);
      const g = grantOf(f);
      const grantId = digestOf(f, "ConsentGrant", g);
      const signature = await signConsent(f.resident, f.domain, "ConsentGrant", g);
      await f.consent.connect(f.relayer).grant(g, f.resident.address, signature);
      const before = await grantSnapshot(f, grantId);
      await expect(f.consent.connect(f.stranger).grant(g, f.resident.address, signature))
        .to.be.revertedWithCustomError(f.consent, "NonceAlreadyUsed")
        .withArgs(f.resident.address, g.nonce);
      expect(await grantSnapshot(f, grantId)).to.deep.equal(before);
      expect(await f.consent.liveGrants(f.resident.address, g.grantee)).to.deep.equal([grantId]);
    });

    it("refuses another message signed with a nonce already used", async function () {
      const f = await loadFixture(deployFixture);
      const first = grantOf(f);
      await sendGrant(f, first);
      const second = grantOf(f, { nonce: first.nonce, categories: [IMAGING] });
      await expect(sendGrant(f, second))
        .to.be.revertedWithCustomError(f.consent, "NonceAlreadyUsed")
        .withArgs(f.resident.address, first.nonce);
    });

    it("refuses a signature by someone else than the named signer", async function () {
      const f = await loadFixture(deployFixture);
      const g = grantOf(f);
      await expect(sendGrant(f, g, f.stranger, f.resident.address))
        .to.be.revertedWithCustomError(f.consent, "InvalidSignature")
        .withArgs(f.resident.address);
      expect(await f.consent.isNonceUsed(f.resident.address, g.nonce)).to.equal(false);
    });

    it("refuses a grant altered after signing (every field is signed)", async function () {
      const f = await loadFixture(deployFixture);
      const g = grantOf(f);
      const signature = await signConsent(f.resident, f.domain, "ConsentGrant", g);
      const tampered: Partial<Grant>[] = [
        { grantee: asGrantee(f.doctor2.address) },
        { granteeKind: Kind.institution },
        { categories: [LAB, IMAGING] },
        { recordIds: [REC1, REC2, REC3] },
        { fields: [DIAGNOSIS, RESULT, ADDRESS_FIELD] },
        { purposes: mask(Purpose.treatment, Purpose.referral, Purpose.research) },
        { notBefore: f.now - DAY },
        { notAfter: f.now + 60 * DAY },
        { mayReshare: false },
        { nonce: nextNonce() },
        { deadline: f.now + 400 * DAY },
      ];
      for (const over of tampered) {
        await expect(f.consent.connect(f.relayer).grant({ ...g, ...over }, f.resident.address, signature))
          .to.be.revertedWithCustomError(f.consent, "InvalidSignature")
          .withArgs(f.resident.address);
      }
      await f.consent.connect(f.relayer).grant(g, f.resident.address, signature);
    });

    it("refuses a malformed signature and a signature made for another deployment", async function () {
      const f = await loadFixture(deployFixture);
      const g = grantOf(f);
      await expect(f.consent.connect(f.relayer).grant(g, f.resident.address, "0x1234"))
        .to.be.revertedWithCustomError(f.consent, "InvalidSignature")
        .withArgs(f.resident.address);
      const elsewhere = consentDomainAt(f.chainId, f.stranger.address);
      const signature = await signConsent(f.resident, elsewhere, "ConsentGrant", g);
      await expect(f.consent.connect(f.relayer).grant(g, f.resident.address, signature))
        .to.be.revertedWithCustomError(f.consent, "InvalidSignature")
        .withArgs(f.resident.address);
    });

    it("refuses a grant signed by a stranger for the resident", async function () {
      const f = await loadFixture(deployFixture);
      await expect(sendGrant(f, grantOf(f), f.stranger))
        .to.be.revertedWithCustomError(f.consent, "NotAuthorizedSigner")
        .withArgs(f.resident.address, f.stranger.address);
    });

    it("lets a delegate sign up to the end of the delegation and refuses it after", async function () {
      const f = await loadFixture(delegatedFixture);
      const [, notAfter] = await f.consent.delegation(f.resident.address, f.guardian.address);
      await time.setNextBlockTimestamp(notAfter);
      await sendGrant(f, grantOf(f, { notAfter: f.now + 365 * DAY }), f.guardian);
      await time.setNextBlockTimestamp(notAfter + 1n);
      await expect(sendGrant(f, grantOf(f, { notAfter: f.now + 365 * DAY }), f.guardian))
        .to.be.revertedWithCustomError(f.consent, "NotAuthorizedSigner")
        .withArgs(f.resident.address, f.guardian.address);
    });

    it("refuses a 17th live grant to the same grantee, but not to another grantee", async function () {
      const f = await loadFixture(deployFixture);
      for (let i = 0; i < MAX_GRANTS_PER_GRANTEE; i++) await sendGrant(f, grantOf(f));
      const grantee = asGrantee(f.doctor.address);
      const extra = grantOf(f);
      await expect(sendGrant(f, extra))
        .to.be.revertedWithCustomError(f.consent, "TooManyGrants")
        .withArgs(f.resident.address, grantee, MAX_GRANTS_PER_GRANTEE);
      expect(await f.consent.liveGrants(f.resident.address, grantee)).to.have.length(MAX_GRANTS_PER_GRANTEE);
      await sendGrant(f, grantOf(f, { grantee: asGrantee(f.doctor2.address) }));
      // Another resident's grants to the same doctor are counted apart.
      await sendGrant(f, grantOf(f, { resident: f.resident2.address }), f.resident2);
    });

    it("makes room by dropping grants whose window has ended (after notAfter, not at it)", async function () {
      const f = await loadFixture(deployFixture);
      const grantee = asGrantee(f.doctor.address);
      const shortEnd = f.now + HOUR;
      const ids: string[] = [];
      const expired = new Set<string>();
      for (let i = 0; i < MAX_GRANTS_PER_GRANTEE; i++) {
        // Grants 0, 7 and 15 (first, middle, last in the list) end after an hour.
        const short = i === 0 || i === 7 || i === 15;
        const g = grantOf(f, { notAfter: short ? shortEnd : f.now + 30 * DAY });
        await sendGrant(f, g);
        const id = digestOf(f, "ConsentGrant", g);
        ids.push(id);
        if (short) expired.add(id);
      }
      // A grant still allows at its notAfter: nothing can be dropped yet.
      await time.setNextBlockTimestamp(shortEnd);
      await expect(sendGrant(f, grantOf(f))).to.be.revertedWithCustomError(f.consent, "TooManyGrants");

      await time.setNextBlockTimestamp(shortEnd + 1);
      const g = grantOf(f);
      await sendGrant(f, g);
      const live = await f.consent.liveGrants(f.resident.address, grantee);
      expect(live).to.have.length(MAX_GRANTS_PER_GRANTEE - expired.size + 1);
      expect(live).to.include(digestOf(f, "ConsentGrant", g));
      for (const id of ids) expect(live.includes(id)).to.equal(!expired.has(id));
      // A dropped grant keeps its record; it simply can never allow anything again.
      const dropped = [...expired][0]!;
      expect((await f.consent.getGrant(dropped)).revoked).to.equal(false);
    });

    it("refuses a second signature of the same grant message (same id), leaving the grant as it was", async function () {
      // The resident and their guardian each sign byte-for-byte the same ConsentGrant (same nonce
      // value, each in their own nonce space): both digests, hence both grant ids, are equal.
      const f = await loadFixture(grantedFixture);
      const grantee = asGrantee(f.doctor.address);
      await sendNarrow(f, narrowingOf(f, f.grantId, { removeRecordIds: [REC2] }));
      const before = await grantSnapshot(f, f.grantId);
      await expect(sendGrant(f, f.g, f.guardian))
        .to.be.revertedWithCustomError(f.consent, "GrantAlreadyExists")
        .withArgs(f.grantId);
      expect(await f.consent.liveGrants(f.resident.address, grantee)).to.deep.equal([f.grantId]);
      expect(await allows(f, { recordId: REC2 }), "narrowed-away record 2 came back").to.equal(false);
      expect(await grantSnapshot(f, f.grantId)).to.deep.equal(before);
      expect(await f.consent.isNonceUsed(f.guardian.address, f.g.nonce)).to.equal(false);
      // The grant can still be narrowed.
      await sendNarrow(f, narrowingOf(f, f.grantId, { removeFields: [RESULT] }));
    });

    it("makes room by dropping grants re-shared from a grant since revoked", async function () {
      const f = await loadFixture(deployFixture);
      const doctor2 = asGrantee(f.doctor2.address);
      const parent = grantOf(f, { mayReshare: true });
      await sendGrant(f, parent);
      const parentId = digestOf(f, "ConsentGrant", parent);
      const child = reshareOf(f, parentId);
      await sendReshare(f, child);
      for (let i = 1; i < MAX_GRANTS_PER_GRANTEE; i++) await sendGrant(f, grantOf(f, { grantee: doctor2 }));
      await expect(sendGrant(f, grantOf(f, { grantee: doctor2 }))).to.be.revertedWithCustomError(f.consent, "TooManyGrants");
      await sendRevoke(f, parentId);
      const g = grantOf(f, { grantee: doctor2 });
      await sendGrant(f, g);
      const live = await f.consent.liveGrants(f.resident.address, doctor2);
      expect(live).to.have.length(MAX_GRANTS_PER_GRANTEE);
      expect(live).to.not.include(digestOf(f, "Reshare", child));
      expect(live).to.include(digestOf(f, "ConsentGrant", g));
    });
  });

  describe("checkAccess", function () {
    it("allows a granted field by record id and names the grant", async function () {
      const f = await loadFixture(grantedFixture);
      expect(await check(f, { recordId: REC1, category: ZERO })).to.deep.equal([true, f.grantId]);
      expect(await check(f, { recordId: REC2, field: RESULT, purpose: Purpose.referral })).to.deep.equal([
        true,
        f.grantId,
      ]);
    });

    it("allows a granted field by category, for any record of the category", async function () {
      const f = await loadFixture(grantedFixture);
      expect(await check(f, { recordId: ZERO, category: LAB })).to.deep.equal([true, f.grantId]);
      // A record not named by id is still covered through its category.
      expect(await check(f, { recordId: REC3, category: LAB })).to.deep.equal([true, f.grantId]);
    });

    it("refuses records, categories and fields outside the scope", async function () {
      const f = await loadFixture(grantedFixture);
      expect(await check(f, { recordId: REC3, category: ZERO })).to.deep.equal([false, ZERO]);
      expect(await allows(f, { recordId: REC3, category: IMAGING })).to.equal(false);
      expect(await allows(f, { recordId: ZERO, category: IMAGING })).to.equal(false);
      expect(await allows(f, { recordId: ZERO, category: ZERO })).to.equal(false);
      expect(await allows(f, { field: ADDRESS_FIELD })).to.equal(false);
      // Asking with the wildcard itself is not a way in.
      expect(await allows(f, { recordId: ZERO, category: ALL })).to.equal(false);
      expect(await allows(f, { recordId: ALL, category: ZERO })).to.equal(false);
      expect(await allows(f, { field: ALL })).to.equal(false);
    });

    it("refuses purposes outside the grant and undefined purpose codes", async function () {
      const f = await loadFixture(grantedFixture);
      expect(await allows(f, { purpose: Purpose.referral })).to.equal(true);
      for (const purpose of [Purpose.research, Purpose.insurance, Purpose.publicHealth, Purpose.other, 6, 8, 255]) {
        expect(await allows(f, { purpose }), `purpose ${purpose}`).to.equal(false);
      }
    });

    it("refuses other grantees and other residents", async function () {
      const f = await loadFixture(grantedFixture);
      expect(await allows(f, { grantee: asGrantee(f.doctor2.address) })).to.equal(false);
      expect(await allows(f, { grantee: asGrantee(f.hospitalA.address) })).to.equal(false);
      expect(await allows(f, { resident: f.resident2.address })).to.equal(false);
    });

    it("allows from notBefore to notAfter inclusive, and nothing outside", async function () {
      const f = await loadFixture(grantedFixture);
      const notBefore = Number(f.g.notBefore);
      const notAfter = Number(f.g.notAfter);
      expect(await allows(f, { at: notBefore - 1 })).to.equal(false);
      expect(await allows(f, { at: notBefore })).to.equal(true);
      expect(await allows(f, { at: notAfter })).to.equal(true);
      expect(await allows(f, { at: notAfter + 1 })).to.equal(false);
      expect(await allows(f, { at: 0 })).to.equal(false);
    });

    it("treats ALL in categories as every category and ALL in fields as every field, but never as a record id", async function () {
      const f = await loadFixture(deployFixture);
      const g = grantOf(f, { categories: [ALL], recordIds: [], fields: [ALL] });
      await sendGrant(f, g);
      const grantId = digestOf(f, "ConsentGrant", g);
      expect(await check(f, { recordId: ZERO, category: OUTPATIENT, field: ADDRESS_FIELD })).to.deep.equal([
        true,
        grantId,
      ]);
      expect(await allows(f, { recordId: REC3, category: IMAGING, field: ethers.id("field:any") })).to.equal(true);
      // Without a category, a record id alone does not match a categories-only grant.
      expect(await allows(f, { recordId: REC3, category: ZERO })).to.equal(false);
      expect(await f.consent.grantCovers(grantId, IMAGING, REC3, RESULT)).to.deep.equal([true, false, true]);
    });

    it("names the grant that allows the read when several grants exist", async function () {
      const f = await loadFixture(grantedFixture);
      const imaging = grantOf(f, { categories: [IMAGING], recordIds: [], fields: [ADDRESS_FIELD] });
      await sendGrant(f, imaging);
      const imagingId = digestOf(f, "ConsentGrant", imaging);
      expect(await check(f, { recordId: ZERO, category: IMAGING, field: ADDRESS_FIELD })).to.deep.equal([
        true,
        imagingId,
      ]);
      expect(await check(f, { recordId: ZERO, category: LAB, field: DIAGNOSIS })).to.deep.equal([true, f.grantId]);
      // Neither grant covers imaging's diagnosis.
      expect(await check(f, { recordId: ZERO, category: IMAGING, field: DIAGNOSIS })).to.deep.equal([false, ZERO]);
    });
  });

  describe("checkAccessFields", function () {
    const ALLERGY = ethers.id("field:allergy");
    const NOTE = ethers.id("field:note");
    const FIELDS = [DIAGNOSIS, RESULT, ADDRESS_FIELD, ALLERGY, NOTE, ALL];

    interface FieldsQuery extends Omit<Query, "field"> {
      fields: string[];
    }

    async function checkFields(f: Fixture, q: FieldsQuery): Promise<[boolean[], string[]]> {
      const [allowed, grantIds] = await f.consent.checkAccessFields(
        q.resident ?? f.resident.address,
        q.grantee ?? asGrantee(f.doctor.address),
        q.recordId ?? REC1,
        q.category ?? ZERO,
        q.fields,
        q.purpose ?? Purpose.treatment,
        q.at ?? f.now + DAY,
      );
      return [[...allowed], [...grantIds]];
    }

    /** What checkAccess answers field by field, in the shape checkAccessFields answers. */
    async function checkEachField(f: Fixture, q: FieldsQuery): Promise<[boolean[], string[]]> {
      const answers = await Promise.all(q.fields.map((field) => check(f, { ...q, field })));
      return [answers.map(([allowed]) => allowed), answers.map(([, grantId]) => grantId)];
    }

    /**
     * Every kind of grant checkAccess tells apart, listed for the doctor (several per field and
     * record, so that which one is named matters), for doctor 2 (only as parents of re-shares to
     * the doctor), for hospital A and its gateway account (as a doctor), and for hospital B.
     */
    async function mixedFixture() {
      const f = await grantedFixture(); // LAB + records 1, 2; diagnosis, result; treatment, referral
      const doctor2 = asGrantee(f.doctor2.address);
      const narrowed = grantOf(f, {
        categories: [IMAGING, LAB],
        recordIds: [REC3],
        fields: [DIAGNOSIS, RESULT, ADDRESS_FIELD],
        purposes: mask(Purpose.treatment, Purpose.research),
      });
      const narrowedId = await sendAndId(f, narrowed);
      await sendNarrow(
        f,
        narrowingOf(f, narrowedId, { removeCategories: [LAB], removeFields: [RESULT], removePurposes: mask(Purpose.research) }),
      );
      await sendRevoke(f, await sendAndId(f, grantOf(f, { categories: [ALL], recordIds: [], fields: [ALL] })));
      const grants: Partial<Grant>[] = [
        { categories: [OUTPATIENT], recordIds: [], fields: [ALLERGY], notAfter: f.now + 2 * DAY }, // ends early
        { categories: [ALL], recordIds: [], fields: [NOTE], notBefore: f.now + 10 * DAY }, // starts late
        { categories: [ALL], recordIds: [], fields: [ALL], purposes: mask(Purpose.research) }, // other purpose
        { categories: [], recordIds: [REC3], fields: [ALLERGY, DIAGNOSIS] }, // record level only
        { categories: [ALL], recordIds: [], fields: [DIAGNOSIS, NOTE], purposes: mask(Purpose.referral) }, // every category
        { categories: [OUTPATIENT], recordIds: [REC2], fields: [ALL] }, // every field
        { grantee: asGrantee(f.hospitalA.address), granteeKind: Kind.institution, categories: [ALL], fields: [RESULT, ALLERGY] },
        { grantee: asGrantee(f.gatewayA.address), granteeKind: Kind.doctor, categories: [LAB, IMAGING], fields: [ALL] },
        { grantee: asGrantee(f.hospitalB.address), granteeKind: Kind.institution, categories: [ALL], fields: [DIAGNOSIS] },
      ];
      for (const over of grants) await sendGrant(f, grantOf(f, over));
      // Re-shares to the doctor: one whose parent is then revoked, one whose parent is then narrowed.
      const revokedParent = await sendAndId(f, grantOf(f, { grantee: doctor2, categories: [ALL], fields: [NOTE, ALLERGY] }));
      const narrowedParent = await sendAndId(
        f,
        grantOf(f, { grantee: doctor2, categories: [IMAGING, OUTPATIENT], fields: [ADDRESS_FIELD, NOTE, RESULT] }),
      );
      const toDoctor = { grantee: asGrantee(f.doctor.address), purposes: mask(Purpose.treatment, Purpose.referral) };
      await sendReshare(f, reshareOf(f, revokedParent, { ...toDoctor, categories: [LAB], fields: [NOTE, ALLERGY] }), f.doctor2);
      await sendReshare(
        f,
        reshareOf(f, narrowedParent, { ...toDoctor, categories: [IMAGING, OUTPATIENT], fields: [ADDRESS_FIELD, NOTE] }),
        f.doctor2,
      );
      await sendRevoke(f, revokedParent);
      await sendNarrow(
        f,
        narrowingOf(f, narrowedParent, { removeCategories: [OUTPATIENT], removeFields: [NOTE], removePurposes: mask(Purpose.referral) }),
      );
      return f;
    }

    /** Deterministic pseudo-random queries over the mixed fixture's grantees, records, purposes, times and field lists. */
    function queriesOf(f: Fixture, count: number): FieldsQuery[] {
      let seed = 0x2545f491;
      const next = (n: number) => {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        return (seed >>> 0) % n;
      };
      const pick = <T>(items: readonly T[]): T => items[next(items.length)]!;
      const grantees = [f.doctor, f.doctor2, f.hospitalA, f.gatewayA, f.hospitalB].map((w) => asGrantee(w.address));
      const targets: [string, string][] = [
        [REC1, ZERO],
        [ZERO, LAB],
        [REC2, LAB],
        [REC3, IMAGING],
        [REC3, ZERO],
        [ZERO, OUTPATIENT],
        [REC2, OUTPATIENT],
        [ZERO, ZERO],
      ];
      const purposes = [Purpose.treatment, Purpose.referral, Purpose.research, 7];
      const times = [f.now - 1, f.now + DAY, f.now + 3 * DAY, f.now + 11 * DAY, f.now + 31 * DAY];
      return Array.from({ length: count }, () => {
        const [recordId, category] = pick(targets);
        // Any order, repeats allowed, sometimes every field.
        const fields = Array.from({ length: 1 + next(FIELDS.length + 2) }, () => pick(FIELDS));
        return { grantee: pick(grantees), recordId, category, fields, purpose: pick(purposes), at: pick(times) };
      });
    }

    /** Asserts that checkAccessFields answers as checkAccess field by field, for `count` queries. */
    async function expectSameAsCheckAccess(f: Fixture, count: number) {
      const queries = queriesOf(f, count);
      const [together, each] = await Promise.all([
        Promise.all(queries.map((q) => checkFields(f, q))),
        Promise.all(queries.map((q) => checkEachField(f, q))),
      ]);
      for (const [i, q] of queries.entries()) expect(together[i], `query ${i}: ${JSON.stringify(q)}`).to.deep.equal(each[i]);
      // The queries reach both answers, and more than one grant.
      const allowed = each.flatMap(([a]) => a);
      expect(allowed).to.include(true).and.to.include(false);
      expect(new Set(each.flatMap(([, ids]) => ids.filter((id) => id !== ZERO))).size).to.be.greaterThan(4);
    }

    it("answers each field as checkAccess does, over a mix of grants", async function () {
      const f = await loadFixture(mixedFixture);
      await expectSameAsCheckAccess(f, 120);
    });

    it("answers each field as checkAccess does once an institution is suspended", async function () {
      const f = await loadFixture(mixedFixture);
      await suspend(f, f.hospitalA.address);
      await expectSameAsCheckAccess(f, 120);
      const doctorOfHospitalA = asGrantee(f.gatewayA.address);
      for (const grantee of [asGrantee(f.hospitalA.address), doctorOfHospitalA]) {
        const [allowed] = await checkFields(f, { grantee, recordId: ZERO, category: LAB, fields: FIELDS });
        expect(allowed, grantee).to.deep.equal(FIELDS.map(() => false));
      }
    });

    it("names, per field, the first listed grant that allows it", async function () {
      const f = await loadFixture(grantedFixture);
      const later = await sendAndId(f, grantOf(f, { categories: [LAB], recordIds: [], fields: [DIAGNOSIS, ADDRESS_FIELD] }));
      expect(await checkFields(f, { fields: [ADDRESS_FIELD, DIAGNOSIS, RESULT, ALLERGY], category: LAB })).to.deep.equal([
        [true, true, true, false],
        [later, f.grantId, f.grantId, ZERO],
      ]);
    });

    it("answers repeated fields alike", async function () {
      const f = await loadFixture(grantedFixture);
      expect(await checkFields(f, { fields: [DIAGNOSIS, ADDRESS_FIELD, DIAGNOSIS, ADDRESS_FIELD] })).to.deep.equal([
        [true, false, true, false],
        [f.grantId, ZERO, f.grantId, ZERO],
      ]);
    });

    it("answers an empty list of fields with empty lists", async function () {
      const f = await loadFixture(grantedFixture);
      expect(await checkFields(f, { fields: [] })).to.deep.equal([[], []]);
    });

    it("answers up to MAX_FIELDS_PER_CHECK fields and refuses more with TooManyFields", async function () {
      const f = await loadFixture(grantedFixture);
      const max = Number(await f.consent.MAX_FIELDS_PER_CHECK());
      expect(max).to.equal(64);
      const fields = Array.from({ length: max }, (_, i) => (i % 2 === 0 ? DIAGNOSIS : ethers.id(`field:${i}`)));
      const [allowed, grantIds] = await checkFields(f, { fields });
      expect(allowed).to.deep.equal(fields.map((_, i) => i % 2 === 0));
      expect(grantIds).to.deep.equal(fields.map((_, i) => (i % 2 === 0 ? f.grantId : ZERO)));
      await expect(checkFields(f, { fields: [...fields, DIAGNOSIS] }))
        .to.be.revertedWithCustomError(f.consent, "TooManyFields")
        .withArgs(max + 1, max);
    });

    it("costs less than checkAccess field by field", async function () {
      const f = await loadFixture(mixedFixture);
      const q = { recordId: REC1, category: LAB, fields: [DIAGNOSIS, RESULT, ADDRESS_FIELD, ALLERGY, NOTE] };
      const args = [f.resident.address, asGrantee(f.doctor.address), q.recordId, q.category] as const;
      const together = await f.consent.checkAccessFields.estimateGas(...args, q.fields, Purpose.treatment, f.now + DAY);
      let each = 0n;
      for (const field of q.fields) each += await f.consent.checkAccess.estimateGas(...args, field, Purpose.treatment, f.now + DAY);
      const BASE = 21_000n; // every estimate carries one transaction's base cost
      expect(together - BASE).to.be.lessThan((each - BASE * BigInt(q.fields.length)) / 2n);
    });
  });

  describe("narrow", function () {
    it("removes a category: reads by that category stop right away, reads by record id go on", async function () {
      const f = await loadFixture(grantedFixture);
      const n = narrowingOf(f, f.grantId, { removeCategories: [LAB] });
      await expect(sendNarrow(f, n))
        .to.emit(f.consent, "GrantNarrowed")
        .withArgs(f.grantId, f.resident.address, [[LAB], [], []], f.g.purposes, f.g.notAfter, f.resident.address);
      expect(await allows(f, { recordId: ZERO, category: LAB })).to.equal(false);
      expect(await allows(f, { recordId: REC1, category: LAB })).to.equal(true);
      const stored = await f.consent.getGrant(f.grantId);
      expect(stored.targetCount).to.equal(2n);
      expect(stored.fieldCount).to.equal(2n);
      expect(await f.consent.isNonceUsed(f.resident.address, n.nonce)).to.equal(true);
    });

    it("removes a record id", async function () {
      const f = await loadFixture(grantedFixture);
      await sendNarrow(f, narrowingOf(f, f.grantId, { removeRecordIds: [REC1] }));
      expect(await allows(f, { recordId: REC1 })).to.equal(false);
      expect(await allows(f, { recordId: REC2 })).to.equal(true);
      expect(await f.consent.grantCovers(f.grantId, LAB, REC1, DIAGNOSIS)).to.deep.equal([true, false, true]);
    });

    it("removes a field", async function () {
      const f = await loadFixture(grantedFixture);
      await sendNarrow(f, narrowingOf(f, f.grantId, { removeFields: [DIAGNOSIS] }));
      expect(await allows(f, { field: DIAGNOSIS })).to.equal(false);
      expect(await allows(f, { field: RESULT })).to.equal(true);
      expect((await f.consent.getGrant(f.grantId)).fieldCount).to.equal(1n);
    });

    it("removes a purpose", async function () {
      const f = await loadFixture(grantedFixture);
      await expect(sendNarrow(f, narrowingOf(f, f.grantId, { removePurposes: mask(Purpose.referral) })))
        .to.emit(f.consent, "GrantNarrowed")
        .withArgs(
          f.grantId,
          f.resident.address,
          [[], [], []],
          mask(Purpose.treatment),
          f.g.notAfter,
          f.resident.address,
        );
      expect(await allows(f, { purpose: Purpose.referral })).to.equal(false);
      expect(await allows(f, { purpose: Purpose.treatment })).to.equal(true);
    });

    it("ends the grant sooner", async function () {
      const f = await loadFixture(grantedFixture);
      const notAfter = f.now + 2 * DAY;
      await expect(sendNarrow(f, narrowingOf(f, f.grantId, { notAfter })))
        .to.emit(f.consent, "GrantNarrowed")
        .withArgs(f.grantId, f.resident.address, [[], [], []], f.g.purposes, notAfter, f.resident.address);
      expect(await allows(f, { at: notAfter })).to.equal(true);
      expect(await allows(f, { at: notAfter + 1 })).to.equal(false);
      expect((await f.consent.getGrant(f.grantId)).notAfter).to.equal(BigInt(notAfter));
    });

    it("takes several things away at once, signed by a delegate", async function () {
      const f = await loadFixture(grantedFixture);
      const n = narrowingOf(f, f.grantId, {
        removeCategories: [LAB],
        removeRecordIds: [REC2],
        removeFields: [RESULT],
        removePurposes: mask(Purpose.referral),
        notAfter: f.now + 3 * DAY,
      });
      await expect(sendNarrow(f, n, f.guardian))
        .to.emit(f.consent, "GrantNarrowed")
        .withArgs(
          f.grantId,
          f.resident.address,
          [[LAB], [REC2], [RESULT]],
          mask(Purpose.treatment),
          f.now + 3 * DAY,
          f.guardian.address,
        );
      const stored = await f.consent.getGrant(f.grantId);
      expect(stored.targetCount).to.equal(1n);
      expect(stored.fieldCount).to.equal(1n);
      expect(stored.purposes).to.equal(BigInt(mask(Purpose.treatment)));
      expect(await allows(f)).to.equal(true);
      expect(await allows(f, { recordId: REC2, category: LAB })).to.equal(false);
    });

    it("may take away the ALL wildcard itself", async function () {
      const f = await loadFixture(deployFixture);
      const g = grantOf(f, { categories: [ALL], fields: [ALL, DIAGNOSIS] });
      await sendGrant(f, g);
      const grantId = digestOf(f, "ConsentGrant", g);
      await sendNarrow(f, narrowingOf(f, grantId, { removeCategories: [ALL], removeFields: [ALL] }));
      expect(await allows(f, { recordId: ZERO, category: IMAGING })).to.equal(false);
      expect(await allows(f, { field: RESULT })).to.equal(false);
      expect(await allows(f, { recordId: REC1, field: DIAGNOSIS })).to.equal(true);
    });

    it("refuses to add purposes, to extend or invert the window, and a change that changes nothing", async function () {
      const f = await loadFixture(grantedFixture);
      const before = await grantSnapshot(f, f.grantId);
      for (const over of [
        { removePurposes: mask(Purpose.research) },
        { removePurposes: mask(Purpose.referral, Purpose.research) },
        { removePurposes: 0x40 },
        { notAfter: Number(f.g.notAfter) + 1 },
        { notAfter: Number(f.g.notBefore) },
        {},
        { notAfter: f.g.notAfter },
      ]) {
        await expect(sendNarrow(f, narrowingOf(f, f.grantId, over)))
          .to.be.revertedWithCustomError(f.consent, "NotANarrowing")
          .withArgs(f.grantId);
      }
      expect(await grantSnapshot(f, f.grantId)).to.deep.equal(before);
    });

    it("refuses to remove items the grant does not hold, or the same item twice", async function () {
      const f = await loadFixture(grantedFixture);
      const cases: [Partial<Narrowing>, string][] = [
        [{ removeCategories: [IMAGING] }, IMAGING],
        [{ removeCategories: [ALL] }, ALL],
        [{ removeRecordIds: [REC3] }, REC3],
        [{ removeFields: [ADDRESS_FIELD] }, ADDRESS_FIELD],
        [{ removeRecordIds: [REC1, REC1] }, REC1],
        // Records and categories are separate sets: a record id is not a category.
        [{ removeCategories: [REC1] }, REC1],
      ];
      for (const [over, item] of cases) {
        await expect(sendNarrow(f, narrowingOf(f, f.grantId, over)))
          .to.be.revertedWithCustomError(f.consent, "ScopeItemNotInGrant")
          .withArgs(f.grantId, item);
      }
      expect(await allows(f, { recordId: REC1 })).to.equal(true);
    });

    it("refuses a removal list of more than 32 items", async function () {
      const f = await loadFixture(grantedFixture);
      const many = Array.from({ length: 33 }, () => LAB);
      await expect(sendNarrow(f, narrowingOf(f, f.grantId, { removeCategories: many })))
        .to.be.revertedWithCustomError(f.consent, "ScopeTooLarge")
        .withArgs(33, MAX_SCOPE_ITEMS);
    });

    it("refuses to take away every record, every field or every purpose (revoke instead)", async function () {
      const f = await loadFixture(grantedFixture);
      for (const over of [
        { removeCategories: [LAB], removeRecordIds: [REC1, REC2] },
        { removeFields: [DIAGNOSIS, RESULT] },
        { removePurposes: mask(Purpose.treatment, Purpose.referral) },
      ]) {
        await expect(sendNarrow(f, narrowingOf(f, f.grantId, over)))
          .to.be.revertedWithCustomError(f.consent, "GrantWouldBeEmpty")
          .withArgs(f.grantId);
      }
      expect(await allows(f)).to.equal(true);
    });

    it("refuses to end a grant in the past", async function () {
      const f = await loadFixture(grantedFixture);
      const at = (await time.latest()) + 100;
      await time.setNextBlockTimestamp(at);
      await expect(sendNarrow(f, narrowingOf(f, f.grantId, { notAfter: at - 1 })))
        .to.be.revertedWithCustomError(f.consent, "WindowEnded")
        .withArgs(at - 1, at);
    });

    it("refuses to narrow a grant whose window has ended", async function () {
      const f = await loadFixture(grantedFixture);
      await time.increaseTo(Number(f.g.notAfter) + 1);
      await expect(sendNarrow(f, narrowingOf(f, f.grantId, { removeFields: [RESULT] })))
        .to.be.revertedWithCustomError(f.consent, "WindowEnded")
        .withArgs(f.g.notAfter, Number(f.g.notAfter) + 2);
    });

    it("refuses an unknown grant and a revoked grant", async function () {
      const f = await loadFixture(grantedFixture);
      const unknown = ethers.id("no such grant");
      await expect(sendNarrow(f, narrowingOf(f, unknown, { removeFields: [RESULT] })))
        .to.be.revertedWithCustomError(f.consent, "GrantNotFound")
        .withArgs(unknown);
      await sendRevoke(f, f.grantId);
      const revokedAt = (await f.consent.getGrant(f.grantId)).revokedAt;
      await expect(sendNarrow(f, narrowingOf(f, f.grantId, { removeFields: [RESULT] })))
        .to.be.revertedWithCustomError(f.consent, "GrantRevokedAlready")
        .withArgs(f.grantId, revokedAt);
    });

    it("refuses a narrowing signed by the grantee, by a stranger, or replayed", async function () {
      const f = await loadFixture(grantedFixture);
      for (const by of [f.doctor, f.stranger]) {
        await expect(sendNarrow(f, narrowingOf(f, f.grantId, { removeFields: [RESULT] }), by))
          .to.be.revertedWithCustomError(f.consent, "NotAuthorizedSigner")
          .withArgs(f.resident.address, by.address);
      }
      const n = narrowingOf(f, f.grantId, { removeFields: [RESULT] });
      const signature = await signConsent(f.resident, f.domain, "ConsentNarrowing", n);
      await f.consent.connect(f.relayer).narrow(n, f.resident.address, signature);
      await expect(f.consent.connect(f.relayer).narrow(n, f.resident.address, signature))
        .to.be.revertedWithCustomError(f.consent, "NonceAlreadyUsed")
        .withArgs(f.resident.address, n.nonce);
      const tampered = { ...narrowingOf(f, f.grantId, { removeFields: [RESULT] }) };
      const tamperedSignature = await signConsent(f.resident, f.domain, "ConsentNarrowing", tampered);
      await expect(
        f.consent
          .connect(f.relayer)
          .narrow({ ...tampered, removeFields: [], removeRecordIds: [REC2] }, f.resident.address, tamperedSignature),
      )
        .to.be.revertedWithCustomError(f.consent, "InvalidSignature")
        .withArgs(f.resident.address);
    });
  });

  describe("revoke", function () {
    it("ends access right away and drops the grant from the live list", async function () {
      const f = await loadFixture(grantedFixture);
      const grantee = asGrantee(f.doctor.address);
      const at = (await time.latest()) + 10;
      await time.setNextBlockTimestamp(at);
      await expect(sendRevoke(f, f.grantId))
        .to.emit(f.consent, "GrantRevoked")
        .withArgs(f.grantId, f.resident.address, f.resident.address);
      expect(await check(f)).to.deep.equal([false, ZERO]);
      expect(await allows(f, { recordId: ZERO, category: LAB })).to.equal(false);
      expect(await f.consent.liveGrants(f.resident.address, grantee)).to.deep.equal([]);
      const stored = await f.consent.getGrant(f.grantId);
      expect(stored.revoked).to.equal(true);
      expect(stored.revokedAt).to.equal(BigInt(at));
    });

    it("keeps the other live grants, wherever the revoked one sits in the list", async function () {
      const f = await loadFixture(grantedFixture);
      const grantee = asGrantee(f.doctor.address);
      const second = grantOf(f, { categories: [IMAGING] });
      const third = grantOf(f, { categories: [OUTPATIENT] });
      await sendGrant(f, second);
      await sendGrant(f, third);
      const secondId = digestOf(f, "ConsentGrant", second);
      const thirdId = digestOf(f, "ConsentGrant", third);
      await sendRevoke(f, secondId, f.guardian);
      expect(await f.consent.liveGrants(f.resident.address, grantee)).to.deep.equal([f.grantId, thirdId]);
      expect(await allows(f, { recordId: ZERO, category: IMAGING })).to.equal(false);
      expect(await allows(f, { recordId: ZERO, category: OUTPATIENT })).to.equal(true);
      await sendRevoke(f, f.grantId);
      expect(await f.consent.liveGrants(f.resident.address, grantee)).to.deep.equal([thirdId]);
    });

    it("refuses a second revocation and an unknown grant", async function () {
      const f = await loadFixture(grantedFixture);
      await sendRevoke(f, f.grantId);
      const revokedAt = (await f.consent.getGrant(f.grantId)).revokedAt;
      await expect(sendRevoke(f, f.grantId))
        .to.be.revertedWithCustomError(f.consent, "GrantRevokedAlready")
        .withArgs(f.grantId, revokedAt);
      const unknown = ethers.id("no such grant");
      await expect(sendRevoke(f, unknown)).to.be.revertedWithCustomError(f.consent, "GrantNotFound").withArgs(unknown);
    });

    it("revokes a grant whose window has ended", async function () {
      const f = await loadFixture(grantedFixture);
      await time.increaseTo(Number(f.g.notAfter) + 1);
      await sendRevoke(f, f.grantId);
      expect((await f.consent.getGrant(f.grantId)).revoked).to.equal(true);
    });

    it("refuses a revocation by the grantee, by a stranger, with a bad signature, or replayed", async function () {
      const f = await loadFixture(grantedFixture);
      for (const by of [f.doctor, f.stranger]) {
        await expect(sendRevoke(f, f.grantId, by))
          .to.be.revertedWithCustomError(f.consent, "NotAuthorizedSigner")
          .withArgs(f.resident.address, by.address);
      }
      await expect(sendRevoke(f, f.grantId, f.stranger, f.resident.address))
        .to.be.revertedWithCustomError(f.consent, "InvalidSignature")
        .withArgs(f.resident.address);
      expect(await allows(f)).to.equal(true);

      // Re-using a revocation's nonce for a later one is a replay.
      const other = grantOf(f, { categories: [IMAGING] });
      await sendGrant(f, other);
      const r = revocationOf(f, digestOf(f, "ConsentGrant", other));
      await f.consent
        .connect(f.relayer)
        .revoke(r, f.resident.address, await signConsent(f.resident, f.domain, "ConsentRevocation", r));
      const again = { grantId: f.grantId, nonce: r.nonce, deadline: r.deadline };
      await expect(
        f.consent
          .connect(f.relayer)
          .revoke(again, f.resident.address, await signConsent(f.resident, f.domain, "ConsentRevocation", again)),
      )
        .to.be.revertedWithCustomError(f.consent, "NonceAlreadyUsed")
        .withArgs(f.resident.address, r.nonce);
    });

    it("refuses an expired revocation signature", async function () {
      const f = await loadFixture(grantedFixture);
      const at = (await time.latest()) + 100;
      const r = { grantId: f.grantId, nonce: nextNonce(), deadline: at - 1 };
      const signature = await signConsent(f.resident, f.domain, "ConsentRevocation", r);
      await time.setNextBlockTimestamp(at);
      await expect(f.consent.connect(f.relayer).revoke(r, f.resident.address, signature))
        .to.be.revertedWithCustomError(f.consent, "SignatureExpired")
        .withArgs(at - 1, at);
    });
  });

  describe("reshare", function () {
    it("lets the doctor grantee pass on part of the grant, starting now and never re-sharable", async function () {
      const f = await loadFixture(grantedFixture);
      const s = reshareOf(f, f.grantId);
      const childId = digestOf(f, "Reshare", s);
      const signature = await signConsent(f.doctor, f.domain, "Reshare", s);
      expect(await f.consent.connect(f.relayer).reshare.staticCall(s, f.doctor.address, signature)).to.equal(childId);
      const at = (await time.latest()) + 10;
      await time.setNextBlockTimestamp(at);
      await expect(f.consent.connect(f.relayer).reshare(s, f.doctor.address, signature))
        .to.emit(f.consent, "GrantCreated")
        .withArgs(
          childId,
          f.resident.address,
          s.grantee,
          [f.resident.address, s.grantee, Kind.doctor, s.purposes, at, s.notAfter, false, f.grantId],
          [s.categories, s.recordIds, s.fields],
          f.doctor.address,
        );
      const child = await f.consent.getGrant(childId);
      expect(child.parentId).to.equal(f.grantId);
      expect(child.resident).to.equal(f.resident.address);
      expect(child.mayReshare).to.equal(false);
      expect(child.notBefore).to.equal(BigInt(at));
      const doctor2 = asGrantee(f.doctor2.address);
      expect(await f.consent.liveGrants(f.resident.address, doctor2)).to.deep.equal([childId]);
      expect(await check(f, { grantee: doctor2, recordId: ZERO, category: LAB, at: at })).to.deep.equal([
        true,
        childId,
      ]);
      // Only what was passed on: not the result field, not referral, not before the re-share.
      expect(await allows(f, { grantee: doctor2, recordId: ZERO, category: LAB, field: RESULT, at })).to.equal(false);
      expect(
        await allows(f, { grantee: doctor2, recordId: ZERO, category: LAB, purpose: Purpose.referral, at }),
      ).to.equal(false);
      expect(await allows(f, { grantee: doctor2, recordId: ZERO, category: LAB, at: at - 1 })).to.equal(false);
      expect(await f.consent.isNonceUsed(f.doctor.address, s.nonce)).to.equal(true);
      // The child cannot be passed on again.
      await expect(sendReshare(f, reshareOf(f, childId, { grantee: asGrantee(f.stranger.address) }), f.doctor2))
        .to.be.revertedWithCustomError(f.consent, "ReshareNotAllowed")
        .withArgs(childId);
    });

    it("lets any account of the institution grantee re-share", async function () {
      const f = await loadFixture(deployFixture);
      const g = grantOf(f, { grantee: asGrantee(f.hospitalA.address), granteeKind: Kind.institution });
      await sendGrant(f, g);
      const parentId = digestOf(f, "ConsentGrant", g);
      for (const by of [f.gatewayA, f.hospitalA]) {
        const s = reshareOf(f, parentId, { recordIds: [REC1] });
        await expect(sendReshare(f, s, by))
          .to.emit(f.consent, "GrantCreated")
          .withArgs(
            digestOf(f, "Reshare", s),
            f.resident.address,
            s.grantee,
            (terms: unknown[]) => terms[7] === parentId,
            [s.categories, s.recordIds, s.fields],
            by.address,
          );
      }
      expect(await f.consent.liveGrants(f.resident.address, asGrantee(f.doctor2.address))).to.have.length(2);
      // Another institution's account does not act for hospital A.
      await expect(sendReshare(f, reshareOf(f, parentId), f.hospitalB))
        .to.be.revertedWithCustomError(f.consent, "NotGrantee")
        .withArgs(parentId, f.hospitalB.address);
    });

    it("lets a suspended institution read nothing under a doctor-kind grant to one of its accounts", async function () {
      const f = await loadFixture(deployFixture);
      // Hospital A's own address and its gateway account, granted as if they were doctors.
      for (const account of [f.hospitalA.address, f.gatewayA.address]) {
        await sendGrant(f, grantOf(f, { grantee: asGrantee(account), granteeKind: Kind.doctor }));
      }
      expect(await allows(f, { grantee: asGrantee(f.hospitalA.address) })).to.equal(true);
      expect(await allows(f, { grantee: asGrantee(f.gatewayA.address) })).to.equal(true);
      await suspend(f, f.hospitalA.address);
      expect(await allows(f, { grantee: asGrantee(f.hospitalA.address) })).to.equal(false);
      expect(await allows(f, { grantee: asGrantee(f.gatewayA.address) })).to.equal(false);
      // A doctor's account on no allowlist is unaffected: its institution vouched for it off chain.
      await sendGrant(f, grantOf(f));
      expect(await allows(f)).to.equal(true);
    });

    it("refuses a project grant whose id is address-shaped, so an account cannot pose as a project", async function () {
      const f = await loadFixture(deployFixture);
      const g = grantOf(f, { grantee: asGrantee(f.hospitalA.address), granteeKind: Kind.project });
      await expect(sendGrant(f, g))
        .to.be.revertedWithCustomError(f.consent, "InvalidGrantee")
        .withArgs(asGrantee(f.hospitalA.address), Kind.project);
    });

    it("lets a re-sharing grantee take at most half of another grantee's list", async function () {
      const f = await loadFixture(deployFixture);
      const doctor2 = asGrantee(f.doctor2.address);
      const parent = grantOf(f, { mayReshare: true });
      await sendGrant(f, parent);
      const parentId = digestOf(f, "ConsentGrant", parent);
      const max = Number(await f.consent.MAX_RESHARES_PER_GRANTEE());
      for (let i = 0; i < max; i++) await sendReshare(f, reshareOf(f, parentId));
      await expect(sendReshare(f, reshareOf(f, parentId)))
        .to.be.revertedWithCustomError(f.consent, "TooManyReshares")
        .withArgs(f.resident.address, doctor2, max);
      // The resident's own grants to doctor 2 still fit.
      for (let i = max; i < MAX_GRANTS_PER_GRANTEE; i++) await sendGrant(f, grantOf(f, { grantee: doctor2 }));
      expect(await f.consent.liveGrants(f.resident.address, doctor2)).to.have.length(MAX_GRANTS_PER_GRANTEE);
    });

    it("drops grants re-shared from a grant whose window has ended when room is needed", async function () {
      const f = await loadFixture(deployFixture);
      const doctor2 = asGrantee(f.doctor2.address);
      const parent = grantOf(f, { mayReshare: true, notAfter: f.now + DAY });
      await sendGrant(f, parent);
      const parentId = digestOf(f, "ConsentGrant", parent);
      const child = reshareOf(f, parentId, { notAfter: f.now + DAY });
      await sendReshare(f, child);
      await time.increaseTo(f.now + DAY + 1);
      await sendGrant(f, grantOf(f, { grantee: doctor2, notAfter: f.now + 30 * DAY }));
      await sendReshare(f, reshareOf(f, (await sendAndId(f, grantOf(f, { mayReshare: true, notAfter: f.now + 30 * DAY }))), { notAfter: f.now + 30 * DAY }));
      expect(await f.consent.liveGrants(f.resident.address, doctor2)).to.not.include(digestOf(f, "Reshare", child));
    });

    it("refuses a re-share by a suspended institution grantee, and lets it read nothing meanwhile", async function () {
      const f = await loadFixture(deployFixture);
      const hospitalA = asGrantee(f.hospitalA.address);
      const g = grantOf(f, { grantee: hospitalA, granteeKind: Kind.institution });
      await sendGrant(f, g);
      const parentId = digestOf(f, "ConsentGrant", g);
      expect(await allows(f, { grantee: hospitalA })).to.equal(true);
      await suspend(f, f.hospitalA.address);
      expect(await allows(f, { grantee: hospitalA })).to.equal(false);
      await expect(sendReshare(f, reshareOf(f, parentId, { recordIds: [REC1] }), f.gatewayA))
        .to.be.revertedWithCustomError(f.consent, "NotGrantee")
        .withArgs(parentId, f.gatewayA.address);
    });

    it("refuses to re-share a grant that does not allow it", async function () {
      const f = await loadFixture(deployFixture);
      const g = grantOf(f, { mayReshare: false });
      await sendGrant(f, g);
      const parentId = digestOf(f, "ConsentGrant", g);
      await expect(sendReshare(f, reshareOf(f, parentId)))
        .to.be.revertedWithCustomError(f.consent, "ReshareNotAllowed")
        .withArgs(parentId);
    });

    it("refuses a re-share signed by anyone but the grantee, and a project grant's re-share by anyone", async function () {
      const f = await loadFixture(grantedFixture);
      for (const by of [f.doctor2, f.resident, f.stranger]) {
        await expect(sendReshare(f, reshareOf(f, f.grantId), by))
          .to.be.revertedWithCustomError(f.consent, "NotGrantee")
          .withArgs(f.grantId, by.address);
      }
      const project = grantOf(f, { grantee: PROJECT, granteeKind: Kind.project });
      await sendGrant(f, project);
      const projectId = digestOf(f, "ConsentGrant", project);
      await expect(sendReshare(f, reshareOf(f, projectId)))
        .to.be.revertedWithCustomError(f.consent, "NotGrantee")
        .withArgs(projectId, f.doctor.address);
    });

    it("refuses a signature that is not the named grantee's, and a replayed re-share", async function () {
      const f = await loadFixture(grantedFixture);
      await expect(sendReshare(f, reshareOf(f, f.grantId), f.stranger, f.doctor.address))
        .to.be.revertedWithCustomError(f.consent, "InvalidSignature")
        .withArgs(f.doctor.address);
      const s = reshareOf(f, f.grantId);
      const signature = await signConsent(f.doctor, f.domain, "Reshare", s);
      await f.consent.connect(f.relayer).reshare(s, f.doctor.address, signature);
      await expect(f.consent.connect(f.relayer).reshare(s, f.doctor.address, signature))
        .to.be.revertedWithCustomError(f.consent, "NonceAlreadyUsed")
        .withArgs(f.doctor.address, s.nonce);
    });

    it("refuses to re-share outside the parent's window", async function () {
      const f = await loadFixture(deployFixture);
      const notBefore = f.now + DAY;
      const notAfter = f.now + 2 * DAY;
      const g = grantOf(f, { notBefore, notAfter });
      await sendGrant(f, g);
      const parentId = digestOf(f, "ConsentGrant", g);
      const early = (await time.latest()) + 5;
      await time.setNextBlockTimestamp(early);
      await expect(sendReshare(f, reshareOf(f, parentId, { notAfter })))
        .to.be.revertedWithCustomError(f.consent, "GrantNotInWindow")
        .withArgs(parentId, notBefore, notAfter, early);
      await time.setNextBlockTimestamp(notAfter + 1);
      await expect(sendReshare(f, reshareOf(f, parentId, { notAfter })))
        .to.be.revertedWithCustomError(f.consent, "GrantNotInWindow")
        .withArgs(parentId, notBefore, notAfter, notAfter + 1);
    });

    it("refuses to pass on records, categories, fields, purposes or time beyond the parent", async function () {
      const f = await loadFixture(grantedFixture);
      const cases: [Partial<Reshare>, string][] = [
        [{ categories: [IMAGING] }, IMAGING],
        [{ categories: [ALL] }, ALL],
        [{ recordIds: [REC3] }, REC3],
        [{ categories: [], recordIds: [REC1, REC3] }, REC3],
        [{ fields: [ADDRESS_FIELD] }, ADDRESS_FIELD],
        [{ fields: [ALL] }, ALL],
        [{ purposes: mask(Purpose.research) }, ZERO],
        [{ purposes: mask(Purpose.treatment, Purpose.insurance) }, ZERO],
        [{ notAfter: Number(f.g.notAfter) + 1 }, ZERO],
      ];
      for (const [over, item] of cases) {
        await expect(sendReshare(f, reshareOf(f, f.grantId, over)))
          .to.be.revertedWithCustomError(f.consent, "ReshareExceedsGrant")
          .withArgs(f.grantId, item);
      }
      // Up to the parent's own limits is fine.
      await sendReshare(
        f,
        reshareOf(f, f.grantId, {
          recordIds: [REC1, REC2],
          fields: [DIAGNOSIS, RESULT],
          purposes: f.g.purposes,
          notAfter: f.g.notAfter,
        }),
      );
    });

    it("lets a parent with ALL pass on any category or field", async function () {
      const f = await loadFixture(deployFixture);
      const g = grantOf(f, { categories: [ALL], recordIds: [], fields: [ALL] });
      await sendGrant(f, g);
      const parentId = digestOf(f, "ConsentGrant", g);
      await sendReshare(f, reshareOf(f, parentId, { categories: [IMAGING], fields: [ADDRESS_FIELD] }));
      expect(
        await allows(f, {
          grantee: asGrantee(f.doctor2.address),
          recordId: ZERO,
          category: IMAGING,
          field: ADDRESS_FIELD,
        }),
      ).to.equal(true);
      // A record id is only passed on when the parent names it.
      await expect(sendReshare(f, reshareOf(f, parentId, { recordIds: [REC1] })))
        .to.be.revertedWithCustomError(f.consent, "ReshareExceedsGrant")
        .withArgs(parentId, REC1);
    });

    it("refuses a re-share that has already ended, and checks the new grant like any grant", async function () {
      const f = await loadFixture(grantedFixture);
      const at = (await time.latest()) + 10;
      await time.setNextBlockTimestamp(at);
      await expect(sendReshare(f, reshareOf(f, f.grantId, { notAfter: at })))
        .to.be.revertedWithCustomError(f.consent, "InvalidWindow")
        .withArgs(at, at);
      await expect(sendReshare(f, reshareOf(f, f.grantId, { grantee: ZERO })))
        .to.be.revertedWithCustomError(f.consent, "InvalidGrantee")
        .withArgs(ZERO, Kind.doctor);
      await expect(sendReshare(f, reshareOf(f, f.grantId, { fields: [] }))).to.be.revertedWithCustomError(
        f.consent,
        "EmptyFieldScope",
      );
      await expect(sendReshare(f, reshareOf(f, f.grantId, { categories: [] }))).to.be.revertedWithCustomError(
        f.consent,
        "EmptyScope",
      );
      await expect(sendReshare(f, reshareOf(f, f.grantId, { purposes: 0 })))
        .to.be.revertedWithCustomError(f.consent, "InvalidPurpose")
        .withArgs(0);
    });

    it("refuses to re-share an unknown or revoked grant", async function () {
      const f = await loadFixture(grantedFixture);
      const unknown = ethers.id("no such grant");
      await expect(sendReshare(f, reshareOf(f, unknown)))
        .to.be.revertedWithCustomError(f.consent, "GrantNotFound")
        .withArgs(unknown);
      await sendRevoke(f, f.grantId);
      const revokedAt = (await f.consent.getGrant(f.grantId)).revokedAt;
      await expect(sendReshare(f, reshareOf(f, f.grantId)))
        .to.be.revertedWithCustomError(f.consent, "GrantRevokedAlready")
        .withArgs(f.grantId, revokedAt);
    });

    describe("a re-shared grant never outlives or outgrows its parent", function () {
      async function resharedFixture() {
        const f = await grantedFixture();
        const s = reshareOf(f, f.grantId, { recordIds: [REC1], fields: [DIAGNOSIS, RESULT], purposes: 3 });
        await sendReshare(f, s);
        return { ...f, s, childId: digestOf(f, "Reshare", s) };
      }
      const doctor2Reads = (f: Fixture, q: Query = {}) =>
        allows(f, { grantee: asGrantee(f.doctor2.address), at: f.now + 2 * DAY, ...q });

      it("ends when the parent is revoked", async function () {
        const f = await loadFixture(resharedFixture);
        expect(await doctor2Reads(f)).to.equal(true);
        await sendRevoke(f, f.grantId);
        expect(await doctor2Reads(f)).to.equal(false);
        expect(await doctor2Reads(f, { recordId: ZERO, category: LAB })).to.equal(false);
        // The child itself is still on record, and may still be revoked by the resident.
        await sendRevoke(f, f.childId);
      });

      it("shrinks when the parent is narrowed: record, category, field, purpose, time", async function () {
        const f = await loadFixture(resharedFixture);
        await sendNarrow(f, narrowingOf(f, f.grantId, { removeRecordIds: [REC1] }));
        expect(await doctor2Reads(f, { recordId: REC1, category: ZERO })).to.equal(false);
        expect(await doctor2Reads(f, { recordId: ZERO, category: LAB })).to.equal(true);
        await sendNarrow(f, narrowingOf(f, f.grantId, { removeCategories: [LAB] }));
        expect(await doctor2Reads(f, { recordId: ZERO, category: LAB })).to.equal(false);

        const g = await loadFixture(resharedFixture);
        await sendNarrow(g, narrowingOf(g, g.grantId, { removeFields: [RESULT] }));
        expect(await doctor2Reads(g, { field: RESULT })).to.equal(false);
        expect(await doctor2Reads(g, { field: DIAGNOSIS })).to.equal(true);
        await sendNarrow(g, narrowingOf(g, g.grantId, { removePurposes: mask(Purpose.treatment) }));
        expect(await doctor2Reads(g, { purpose: Purpose.treatment })).to.equal(false);
        expect(await doctor2Reads(g, { purpose: Purpose.referral })).to.equal(true);
        const end = g.now + 3 * DAY;
        await sendNarrow(g, narrowingOf(g, g.grantId, { notAfter: end }));
        expect(await doctor2Reads(g, { purpose: Purpose.referral, at: end })).to.equal(true);
        expect(await doctor2Reads(g, { purpose: Purpose.referral, at: end + 1 })).to.equal(false);
      });
    });
  });

  describe("requestAccess", function () {
    it("files requests only for the institution itself, its own accounts, unlisted doctors or projects", async function () {
      const f = await loadFixture(deployFixture);
      const c = f.consent.connect(f.hospitalA);
      // Another institution, or an account of another institution, cannot be named as the grantee.
      for (const [grantee, granteeKind] of [
        [asGrantee(f.hospitalB.address), Kind.institution],
        [asGrantee(f.hospitalB.address), Kind.doctor],
      ] as const) {
        await expect(c.requestAccess(requestOf(f, { grantee, granteeKind })))
          .to.be.revertedWithCustomError(f.consent, "NotOwnGrantee")
          .withArgs(grantee, granteeKind, f.hospitalA.address);
      }
      await c.requestAccess(requestOf(f, { grantee: asGrantee(f.hospitalA.address), granteeKind: Kind.institution }));
      await c.requestAccess(requestOf(f, { grantee: asGrantee(f.gatewayA.address), granteeKind: Kind.doctor }));
      await c.requestAccess(requestOf(f));
      await c.requestAccess(requestOf(f, { grantee: PROJECT, granteeKind: Kind.project }));
      expect(await f.consent.requestCount()).to.equal(4n);
    });

    it("files a request for a DATA_CONSUMER institution and stores its content hash", async function () {
      const f = await loadFixture(deployFixture);
      const r = requestOf(f);
      const expectedId = ethers.keccak256(
        ethers.AbiCoder.defaultAbiCoder().encode(
          ["uint256", "address", "uint256"],
          [f.chainId, await f.consent.getAddress(), 1],
        ),
      );
      await expect(f.consent.connect(f.hospitalA).requestAccess(r))
        .to.emit(f.consent, "AccessRequested")
        .withArgs(
          expectedId,
          f.resident.address,
          r.grantee,
          f.hospitalA.address,
          r.granteeKind,
          [r.categories, r.recordIds, r.fields],
          r.purposes,
          r.validFor,
          r.answerBy,
          r.reasonHash,
        );
      expect(await f.consent.requestCount()).to.equal(1n);
      const stored = await f.consent.getRequest(expectedId);
      expect(stored.resident).to.equal(f.resident.address);
      expect(stored.institution).to.equal(f.hospitalA.address);
      expect(stored.answerBy).to.equal(BigInt(r.answerBy));
      expect(stored.status).to.equal(BigInt(RequestStatus.pending));
      expect(stored.contentHash).to.equal(await f.consent.requestContentHash(r));
      expect(stored.grantId).to.equal(ZERO);
    });

    it("attributes a request filed by the institution's gateway to the institution, under a new id", async function () {
      const f = await loadFixture(deployFixture);
      const first = await fileRequest(f, requestOf(f));
      const second = await fileRequest(f, requestOf(f), f.gatewayA);
      expect(second).to.not.equal(first);
      expect((await f.consent.getRequest(second)).institution).to.equal(f.hospitalA.address);
      expect(await f.consent.requestCount()).to.equal(2n);
    });

    it("refuses accounts without DATA_CONSUMER", async function () {
      const f = await loadFixture(deployFixture);
      for (const by of [f.authority, f.stranger, f.resident]) {
        await expect(f.consent.connect(by).requestAccess(requestOf(f)))
          .to.be.revertedWithCustomError(f.consent, "MissingRole")
          .withArgs(by.address, DATA_CONSUMER);
      }
      expect(await f.consent.requestCount()).to.equal(0n);
    });

    it("refuses a suspended institution and its accounts", async function () {
      const f = await loadFixture(deployFixture);
      await suspend(f, f.hospitalA.address);
      for (const by of [f.hospitalA, f.gatewayA]) {
        await expect(f.consent.connect(by).requestAccess(requestOf(f)))
          .to.be.revertedWithCustomError(f.consent, "MissingRole")
          .withArgs(by.address, DATA_CONSUMER);
      }
      await fileRequest(f, requestOf(f), f.hospitalB);
    });

    it("checks the requested grant like a grant: resident, grantee, scope, purposes", async function () {
      const f = await loadFixture(deployFixture);
      const c = f.consent.connect(f.hospitalA);
      await expect(c.requestAccess(requestOf(f, { resident: ethers.ZeroAddress })))
        .to.be.revertedWithCustomError(f.consent, "InvalidResident")
        .withArgs(ethers.ZeroAddress);
      await expect(c.requestAccess(requestOf(f, { granteeKind: 3 })))
        .to.be.revertedWithCustomError(f.consent, "InvalidGrantee")
        .withArgs(asGrantee(f.doctor.address), 3);
      await expect(c.requestAccess(requestOf(f, { categories: [], recordIds: [] }))).to.be.revertedWithCustomError(
        f.consent,
        "EmptyScope",
      );
      await expect(c.requestAccess(requestOf(f, { fields: [] }))).to.be.revertedWithCustomError(
        f.consent,
        "EmptyFieldScope",
      );
      await expect(c.requestAccess(requestOf(f, { recordIds: [ALL] })))
        .to.be.revertedWithCustomError(f.consent, "InvalidScopeItem")
        .withArgs(ALL);
      await expect(c.requestAccess(requestOf(f, { purposes: 0x40 })))
        .to.be.revertedWithCustomError(f.consent, "InvalidPurpose")
        .withArgs(0x40);
    });

    it("refuses a zero validity and an answer-by time not within the next 30 days", async function () {
      const f = await loadFixture(deployFixture);
      const at = (await time.latest()) + 100;
      for (const [validFor, answerBy] of [
        [0, at + DAY],
        [DAY, at],
        [DAY, at - 1],
        [DAY, at + MAX_REQUEST_TTL + 1],
      ]) {
        await time.setNextBlockTimestamp(at);
        await expect(f.consent.connect(f.hospitalA).requestAccess(requestOf(f, { validFor, answerBy })))
          .to.be.revertedWithCustomError(f.consent, "InvalidRequestValidity")
          .withArgs(validFor, answerBy);
      }
      await time.setNextBlockTimestamp(at);
      await f.consent.connect(f.hospitalA).requestAccess(requestOf(f, { answerBy: at + MAX_REQUEST_TTL }));
      expect(await f.consent.requestCount()).to.equal(1n);
    });
  });

  describe("answerRequest", function () {
    it("refuses an answer whose signed request hash is not the request's content", async function () {
      const f = await loadFixture(requestedFixture);
      const a = answerOf(f, f.requestId, { requestHash: requestHashOf(requestOf(f, { fields: [RESULT] })) });
      await expect(sendAnswer(f, f.request, a))
        .to.be.revertedWithCustomError(f.consent, "RequestMismatch")
        .withArgs(f.requestId);
      expect((await f.consent.getRequest(f.requestId)).status).to.equal(BigInt(RequestStatus.pending));
    });

    it("approves remotely: creates the requested grant under the answer's digest", async function () {
      const f = await loadFixture(requestedFixture);
      const a = answerOf(f, f.requestId);
      const grantId = digestOf(f, "RequestAnswer", a);
      const r = f.request;
      await expect(sendAnswer(f, r, a))
        .to.emit(f.consent, "AccessRequestAnswered")
        .withArgs(f.requestId, f.resident.address, true, Mode.remote, grantId, f.resident.address)
        .and.to.emit(f.consent, "GrantCreated")
        .withArgs(
          grantId,
          f.resident.address,
          r.grantee,
          [f.resident.address, r.grantee, r.granteeKind, r.purposes, a.notBefore, a.notAfter, false, ZERO],
          [r.categories, r.recordIds, r.fields],
          f.resident.address,
        );
      const stored = await f.consent.getRequest(f.requestId);
      expect(stored.status).to.equal(BigInt(RequestStatus.approved));
      expect(stored.grantId).to.equal(grantId);
      expect(await check(f, { recordId: REC3 })).to.deep.equal([true, grantId]);
      expect(await check(f, { recordId: ZERO, category: IMAGING })).to.deep.equal([true, grantId]);
      expect(await allows(f, { recordId: REC3, field: RESULT })).to.equal(false);
      expect((await f.consent.getGrant(grantId)).mayReshare).to.equal(false);
    });

    it("approves on site, signed by a delegate, for exactly the validity asked", async function () {
      const f = await loadFixture(requestedFixture);
      const a = answerOf(f, f.requestId, {
        mode: Mode.onSite,
        notBefore: f.now + DAY,
        notAfter: f.now + DAY + Number(f.request.validFor),
      });
      const grantId = digestOf(f, "RequestAnswer", a);
      await expect(sendAnswer(f, f.request, a, f.guardian))
        .to.emit(f.consent, "AccessRequestAnswered")
        .withArgs(f.requestId, f.resident.address, true, Mode.onSite, grantId, f.guardian.address);
      expect(await allows(f, { recordId: REC3, at: f.now + DAY })).to.equal(true);
      expect(await allows(f, { recordId: REC3, at: f.now + DAY - 1 })).to.equal(false);
    });

    it("records a rejection without creating a grant", async function () {
      const f = await loadFixture(requestedFixture);
      const a = answerOf(f, f.requestId, { approve: false, mode: Mode.onSite });
      await expect(sendAnswer(f, f.request, a))
        .to.emit(f.consent, "AccessRequestAnswered")
        .withArgs(f.requestId, f.resident.address, false, Mode.onSite, ZERO, f.resident.address)
        .and.not.to.emit(f.consent, "GrantCreated");
      const stored = await f.consent.getRequest(f.requestId);
      expect(stored.status).to.equal(BigInt(RequestStatus.rejected));
      expect(stored.grantId).to.equal(ZERO);
      expect(await f.consent.liveGrants(f.resident.address, f.request.grantee)).to.deep.equal([]);
      expect(await f.consent.isNonceUsed(f.resident.address, a.nonce)).to.equal(true);
    });

    it("refuses an unknown request", async function () {
      const f = await loadFixture(requestedFixture);
      const unknown = ethers.id("no such request");
      await expect(sendAnswer(f, f.request, answerOf(f, unknown)))
        .to.be.revertedWithCustomError(f.consent, "RequestNotFound")
        .withArgs(unknown);
    });

    it("refuses a second answer, after an approval or a rejection", async function () {
      const f = await loadFixture(requestedFixture);
      await sendAnswer(f, f.request, answerOf(f, f.requestId));
      await expect(sendAnswer(f, f.request, answerOf(f, f.requestId, { approve: false })))
        .to.be.revertedWithCustomError(f.consent, "RequestNotPending")
        .withArgs(f.requestId, RequestStatus.approved);

      const other = await fileRequest(f, f.request);
      await sendAnswer(f, f.request, answerOf(f, other, { approve: false }));
      await expect(sendAnswer(f, f.request, answerOf(f, other)))
        .to.be.revertedWithCustomError(f.consent, "RequestNotPending")
        .withArgs(other, RequestStatus.rejected);
    });

    it("accepts an answer at the answer-by time and refuses one after", async function () {
      const f = await loadFixture(requestedFixture);
      const answerBy = Number(f.request.answerBy);
      await time.setNextBlockTimestamp(answerBy + 1);
      await expect(
        sendAnswer(f, f.request, answerOf(f, f.requestId, { notBefore: answerBy, notAfter: answerBy + DAY })),
      )
        .to.be.revertedWithCustomError(f.consent, "RequestExpired")
        .withArgs(f.requestId, answerBy);

      const g = await loadFixture(requestedFixture);
      await time.setNextBlockTimestamp(answerBy);
      await sendAnswer(g, g.request, answerOf(g, g.requestId, { notBefore: answerBy, notAfter: answerBy + DAY }));
    });

    it("refuses request content that differs from what was filed", async function () {
      const f = await loadFixture(requestedFixture);
      for (const over of [
        { fields: [DIAGNOSIS, RESULT] },
        { purposes: ALL_PURPOSES },
        { validFor: 365 * DAY },
        { grantee: asGrantee(f.doctor2.address) },
        { reasonHash: ZERO },
      ]) {
        await expect(sendAnswer(f, { ...f.request, ...over }, answerOf(f, f.requestId)))
          .to.be.revertedWithCustomError(f.consent, "RequestMismatch")
          .withArgs(f.requestId);
      }
    });

    it("refuses an unknown answer mode", async function () {
      const f = await loadFixture(requestedFixture);
      await expect(sendAnswer(f, f.request, answerOf(f, f.requestId, { mode: 2 })))
        .to.be.revertedWithCustomError(f.consent, "InvalidMode")
        .withArgs(2);
    });

    it("refuses an approval window that is empty, inverted or longer than the validity asked", async function () {
      const f = await loadFixture(requestedFixture);
      const validFor = Number(f.request.validFor);
      for (const [notBefore, notAfter] of [
        [f.now + DAY, f.now + DAY],
        [f.now + DAY, f.now],
        [f.now, f.now + validFor + 1],
      ]) {
        const a = answerOf(f, f.requestId, { notBefore, notAfter });
        await expect(sendAnswer(f, f.request, a))
          .to.be.revertedWithCustomError(f.consent, "InvalidWindow")
          .withArgs(notBefore, notAfter);
        expect(await f.consent.isNonceUsed(f.resident.address, a.nonce)).to.equal(false);
      }
      expect((await f.consent.getRequest(f.requestId)).status).to.equal(BigInt(RequestStatus.pending));
    });

    it("refuses an approval whose window has already ended", async function () {
      const f = await loadFixture(requestedFixture);
      const at = (await time.latest()) + 10;
      await time.setNextBlockTimestamp(at);
      await expect(sendAnswer(f, f.request, answerOf(f, f.requestId, { notBefore: at - DAY, notAfter: at })))
        .to.be.revertedWithCustomError(f.consent, "WindowEnded")
        .withArgs(at, at);
    });

    it("refuses an answer signed by the doctor, a stranger, or with a bad or replayed signature", async function () {
      const f = await loadFixture(requestedFixture);
      for (const by of [f.doctor, f.stranger]) {
        await expect(sendAnswer(f, f.request, answerOf(f, f.requestId), by))
          .to.be.revertedWithCustomError(f.consent, "NotAuthorizedSigner")
          .withArgs(f.resident.address, by.address);
      }
      await expect(sendAnswer(f, f.request, answerOf(f, f.requestId), f.stranger, f.resident.address))
        .to.be.revertedWithCustomError(f.consent, "InvalidSignature")
        .withArgs(f.resident.address);
      // Every field of the answer is signed: an approval cannot be turned into a rejection or moved to another request.
      const a = answerOf(f, f.requestId, { approve: false });
      const signature = await signConsent(f.resident, f.domain, "RequestAnswer", a);
      const next = await fileRequest(f, f.request);
      for (const over of [{ approve: true }, { mode: Mode.onSite }, { requestId: next }]) {
        await expect(
          f.consent.connect(f.relayer).answerRequest(f.request, { ...a, ...over }, f.resident.address, signature),
        )
          .to.be.revertedWithCustomError(f.consent, "InvalidSignature")
          .withArgs(f.resident.address);
      }
      await f.consent.connect(f.relayer).answerRequest(f.request, a, f.resident.address, signature);
      // The same signature relayed for the next request: its nonce is spent.
      await expect(
        f.consent.connect(f.relayer).answerRequest(f.request, { ...a, requestId: next }, f.resident.address, signature),
      )
        .to.be.revertedWithCustomError(f.consent, "NonceAlreadyUsed")
        .withArgs(f.resident.address, a.nonce);
      expect((await f.consent.getRequest(next)).status).to.equal(BigInt(RequestStatus.pending));
    });
  });

  describe("delegation", function () {
    it("sets a delegate, who may then manage the resident's consent", async function () {
      const f = await loadFixture(deployFixture);
      const d = delegationOf(f, { relation: Relation.family });
      const delegationId = digestOf(f, "Delegation", d);
      await expect(sendDelegate(f, d))
        .to.emit(f.consent, "DelegateSet")
        .withArgs(f.resident.address, f.guardian.address, delegationId, Relation.family, d.notAfter);
      expect(await f.consent.delegation(f.resident.address, f.guardian.address)).to.deep.equal([
        BigInt(Relation.family),
        BigInt(d.notAfter),
        true,
        delegationId,
      ]);
      expect(await f.consent.isNonceUsed(f.resident.address, d.nonce)).to.equal(true);
      await sendGrant(f, grantOf(f), f.guardian);
    });

    it("accepts every relation and replaces an earlier delegation to the same person", async function () {
      const f = await loadFixture(delegatedFixture);
      const d = delegationOf(f, { relation: Relation.agent, notAfter: f.now + 5 * DAY });
      await sendDelegate(f, d);
      expect(await f.consent.delegation(f.resident.address, f.guardian.address)).to.deep.equal([
        BigInt(Relation.agent),
        BigInt(d.notAfter),
        true,
        digestOf(f, "Delegation", d),
      ]);
    });

    it("reports a delegation as inactive after it ends", async function () {
      const f = await loadFixture(delegatedFixture);
      const [, notAfter] = await f.consent.delegation(f.resident.address, f.guardian.address);
      await time.increaseTo(notAfter + 1n);
      expect((await f.consent.delegation(f.resident.address, f.guardian.address))[2]).to.equal(false);
    });

    it("refuses the zero resident, the zero delegate, the resident as own delegate, and an unknown relation", async function () {
      const f = await loadFixture(deployFixture);
      await expect(sendDelegate(f, delegationOf(f, { resident: ethers.ZeroAddress })))
        .to.be.revertedWithCustomError(f.consent, "InvalidResident")
        .withArgs(ethers.ZeroAddress);
      for (const delegate of [ethers.ZeroAddress, f.resident.address]) {
        await expect(sendDelegate(f, delegationOf(f, { delegate })))
          .to.be.revertedWithCustomError(f.consent, "InvalidDelegate")
          .withArgs(delegate);
      }
      await expect(sendDelegate(f, delegationOf(f, { relation: 3 })))
        .to.be.revertedWithCustomError(f.consent, "InvalidRelation")
        .withArgs(3);
    });

    it("refuses a delegation that has already ended", async function () {
      const f = await loadFixture(deployFixture);
      const at = (await time.latest()) + 10;
      await time.setNextBlockTimestamp(at);
      await expect(sendDelegate(f, delegationOf(f, { notAfter: at })))
        .to.be.revertedWithCustomError(f.consent, "WindowEnded")
        .withArgs(at, at);
    });

    it("refuses a delegation signed by a delegate: a delegate cannot delegate", async function () {
      const f = await loadFixture(delegatedFixture);
      const d = delegationOf(f, { delegate: f.stranger.address });
      await expect(sendDelegate(f, d, f.guardian))
        .to.be.revertedWithCustomError(f.consent, "InvalidSignature")
        .withArgs(f.resident.address);
      expect((await f.consent.delegation(f.resident.address, f.stranger.address))[2]).to.equal(false);
    });

    it("refuses a replayed delegation, also after it was revoked", async function () {
      const f = await loadFixture(deployFixture);
      const d = delegationOf(f);
      const signature = await signConsent(f.resident, f.domain, "Delegation", d);
      await f.consent.connect(f.relayer).setDelegate(d, signature);
      await sendRevokeDelegate(f, f.guardian.address);
      await expect(f.consent.connect(f.relayer).setDelegate(d, signature))
        .to.be.revertedWithCustomError(f.consent, "NonceAlreadyUsed")
        .withArgs(f.resident.address, d.nonce);
      expect((await f.consent.delegation(f.resident.address, f.guardian.address))[2]).to.equal(false);
    });

    it("refuses an expired delegation signature", async function () {
      const f = await loadFixture(deployFixture);
      const at = (await time.latest()) + 10;
      await time.setNextBlockTimestamp(at);
      await expect(sendDelegate(f, delegationOf(f, { deadline: at - 1 })))
        .to.be.revertedWithCustomError(f.consent, "SignatureExpired")
        .withArgs(at - 1, at);
    });

    it("revokes a delegate, who can no longer sign for the resident", async function () {
      const f = await loadFixture(delegatedFixture);
      const [, , , delegationId] = await f.consent.delegation(f.resident.address, f.guardian.address);
      await expect(sendRevokeDelegate(f, f.guardian.address))
        .to.emit(f.consent, "DelegateRevoked")
        .withArgs(f.resident.address, f.guardian.address, delegationId);
      expect(await f.consent.delegation(f.resident.address, f.guardian.address)).to.deep.equal([
        0n,
        0n,
        false,
        ethers.ZeroHash,
      ]);
      await expect(sendGrant(f, grantOf(f), f.guardian))
        .to.be.revertedWithCustomError(f.consent, "NotAuthorizedSigner")
        .withArgs(f.resident.address, f.guardian.address);
    });

    it("refuses to revoke a delegation that does not exist, has ended, or was revoked", async function () {
      const f = await loadFixture(delegatedFixture);
      await expect(sendRevokeDelegate(f, f.stranger.address))
        .to.be.revertedWithCustomError(f.consent, "DelegateNotFound")
        .withArgs(f.resident.address, f.stranger.address);
      await sendRevokeDelegate(f, f.guardian.address);
      await expect(sendRevokeDelegate(f, f.guardian.address))
        .to.be.revertedWithCustomError(f.consent, "DelegateNotFound")
        .withArgs(f.resident.address, f.guardian.address);

      const g = await loadFixture(delegatedFixture);
      const [, notAfter] = await g.consent.delegation(g.resident.address, g.guardian.address);
      await time.increaseTo(notAfter + 1n);
      await expect(sendRevokeDelegate(g, g.guardian.address))
        .to.be.revertedWithCustomError(g.consent, "DelegateNotFound")
        .withArgs(g.resident.address, g.guardian.address);
    });

    it("refuses a delegate revocation signed by the delegate or replayed", async function () {
      const f = await loadFixture(delegatedFixture);
      await expect(sendRevokeDelegate(f, f.guardian.address, f.guardian))
        .to.be.revertedWithCustomError(f.consent, "InvalidSignature")
        .withArgs(f.resident.address);
      const [, , , delegationId] = await f.consent.delegation(f.resident.address, f.guardian.address);
      const d = {
        resident: f.resident.address,
        delegate: f.guardian.address,
        delegationId,
        nonce: nextNonce(),
        deadline: f.now + 365 * DAY,
      };
      const signature = await signConsent(f.resident, f.domain, "DelegationRevocation", d);
      await f.consent.connect(f.relayer).revokeDelegate(d, signature);
      await expect(f.consent.connect(f.relayer).revokeDelegate(d, signature))
        .to.be.revertedWithCustomError(f.consent, "DelegateNotFound")
        .withArgs(f.resident.address, f.guardian.address);
    });

    it("never lets a revocation of an earlier delegation end a later one to the same person", async function () {
      const f = await loadFixture(delegatedFixture);
      const [, , , first] = await f.consent.delegation(f.resident.address, f.guardian.address);
      // Signed for the first delegation but not relayed before the delegation was renewed.
      const stale = {
        resident: f.resident.address,
        delegate: f.guardian.address,
        delegationId: first,
        nonce: nextNonce(),
        deadline: f.now + 365 * DAY,
      };
      const signature = await signConsent(f.resident, f.domain, "DelegationRevocation", stale);
      const renewal = delegationOf(f, { notAfter: f.now + 60 * DAY });
      await sendDelegate(f, renewal);
      await expect(f.consent.connect(f.relayer).revokeDelegate(stale, signature))
        .to.be.revertedWithCustomError(f.consent, "DelegateNotFound")
        .withArgs(f.resident.address, f.guardian.address);
      expect(await f.consent.delegation(f.resident.address, f.guardian.address)).to.deep.equal([
        BigInt(renewal.relation),
        BigInt(renewal.notAfter),
        true,
        digestOf(f, "Delegation", renewal),
      ]);
      expect(await f.consent.isNonceUsed(f.resident.address, stale.nonce)).to.equal(false);
    });

    it("keeps delegations per resident: a delegate of one resident cannot sign for another", async function () {
      const f = await loadFixture(delegatedFixture);
      await expect(sendGrant(f, grantOf(f, { resident: f.resident2.address }), f.guardian))
        .to.be.revertedWithCustomError(f.consent, "NotAuthorizedSigner")
        .withArgs(f.resident2.address, f.guardian.address);
    });
  });
});

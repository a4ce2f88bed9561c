import { expect } from "chai";
import {
  ALLIANCE_KINDS,
  codesOf,
  INSTITUTION_KINDS,
  MEMBER_STATUS,
  PROPOSAL_ACTIONS,
  PROPOSAL_STATES,
  ROLES,
} from "@health-chain/sdk";
import type { ContractTransactionResponse, Log } from "ethers";
import { network } from "hardhat";

const { ethers, networkHelpers } = await network.create();
const { time, loadFixture } = networkHelpers;

const DATA_PROVIDER = ROLES.dataProvider.id;
const DATA_CONSUMER = ROLES.dataConsumer.id;
const CERT_ISSUER = ROLES.certIssuer.id;
const AUDIT_RECORDER = ROLES.auditRecorder.id;

const THRESHOLD_BPS = 6667;
const HOUR = 3600;
const DAY = 24 * HOUR;
const VOTING_PERIOD = 7 * DAY;
const ZERO = ethers.ZeroAddress;
const abi = ethers.AbiCoder.defaultAbiCoder();

const Kind = codesOf(INSTITUTION_KINDS);
const Status = codesOf(MEMBER_STATUS);
const AllianceKind = codesOf(ALLIANCE_KINDS);
const Action = codesOf(PROPOSAL_ACTIONS);
const State = codesOf(PROPOSAL_STATES);

const MEDICAL_ALLIANCE = ethers.id("XH-MA-2024-001"); // 医联体, id = keccak256 of its registration number
const SPECIALIST_ALLIANCE = ethers.id("XH-SA-2024-007");
const RESEARCH_ALLIANCE = ethers.id("XH-RA-2025-002");
const DATA_INDEX = ethers.id("DataIndex");
const CONSENT_REGISTRY = ethers.id("ConsentRegistry");

/** A node's identity: its 64-byte public key (X ‖ Y) and the address derived from it. */
function nodeIdentity(seed: string) {
  const signingKey = new ethers.SigningKey(ethers.id(seed));
  const publicKey = "0x" + signingKey.publicKey.slice(4); // drop the 0x04 uncompressed-point prefix
  return { signingKey, publicKey, address: ethers.computeAddress(signingKey.publicKey) };
}

const VALIDATOR_NODE = nodeIdentity("operator validator node 1");
const OBSERVER_NODE = nodeIdentity("hospital observer node 1");
const SECOND_VALIDATOR = nodeIdentity("authority validator node 1");

function founder(institution: string, kind: number, name: string, roles: string[]) {
  return { institution, kind, name, roles };
}

async function deployConsortium() {
  const signers = await ethers.getSigners();
  const signer = (i: number) => {
    const s = signers[i];
    if (s === undefined) throw new Error(`the test network has no signer #${i}`);
    return s;
  };
  const authority = signer(0); // 区卫健委
  const hospital = signer(1); // district central hospital
  const chc = signer(2); // community health centre
  const eqa = signer(3); // 临检中心
  const operator = signer(4); // platform operator
  const institute = signer(5); // research institute, admitted by vote in the tests
  const auditor = signer(6); // audit firm, admitted by vote in the tests
  const gateway = signer(7); // the hospital's HIS gateway key, allowlisted by vote in the tests
  const relayer = signer(8); // another extra account
  const outsider = signer(9); // never allowlisted
  const founders = [
    founder(authority.address, Kind.healthAuthority, "Xuhui District Health Commission (徐汇区卫健委)", [
      DATA_CONSUMER,
      AUDIT_RECORDER,
    ]),
    founder(hospital.address, Kind.hospital, "Xuhui District Central Hospital", [DATA_PROVIDER, DATA_CONSUMER]),
    founder(chc.address, Kind.communityHealthCentre, "Tianping Community Health Centre", [DATA_PROVIDER]),
    founder(eqa.address, Kind.eqaCentre, "Municipal Clinical Laboratory Quality Centre (临检中心)", [CERT_ISSUER]),
    founder(operator.address, Kind.platformOperator, "Health Data Platform Operator", [AUDIT_RECORDER]),
  ];
  const registry = await ethers.deployContract("ConsortiumRegistry", [founders, THRESHOLD_BPS, VOTING_PERIOD]);
  const deployedAt = (await ethers.provider.getBlock("latest"))!.timestamp;
  return {
    registry,
    founders,
    deployedAt,
    authority,
    hospital,
    chc,
    eqa,
    operator,
    institute,
    auditor,
    gateway,
    relayer,
    outsider,
    governors: [authority, hospital, chc, eqa, operator],
  };
}

type Fixture = Awaited<ReturnType<typeof deployConsortium>>;
type Signer = Fixture["authority"];
type Registry = Fixture["registry"];

async function blockTime(tx: ContractTransactionResponse): Promise<number> {
  const receipt = await tx.wait();
  return (await ethers.provider.getBlock(receipt!.blockNumber))!.timestamp;
}

/** The registry's events of one name in a transaction, decoded. */
async function eventsOf(f: Fixture, tx: ContractTransactionResponse, name: string) {
  const receipt = await tx.wait();
  return receipt!.logs
    .map((log: Log) => f.registry.interface.parseLog(log))
    .filter((parsed) => parsed !== null && parsed.name === name)
    .map((parsed) => [...parsed!.args]);
}

/** Makes a proposal and returns its id. */
async function propose(
  f: Fixture,
  proposer: Signer,
  call: (r: Registry) => Promise<ContractTransactionResponse>,
): Promise<bigint> {
  await call(f.registry.connect(proposer));
  return f.registry.proposalCount();
}

/** The member whose status proposal `id` changes (it never votes on it), or undefined for other actions. */
async function statusTarget(f: Fixture, id: bigint): Promise<string | undefined> {
  const p = await f.registry.getProposal(id);
  if (p.action !== BigInt(Action.setMemberStatus)) return undefined;
  return abi.decode(["address", "uint8"], p.params)[0] as string;
}

/** Active founders that have not voted on `id` yet, in order, leaving out the member a status change is about. */
async function remainingVoters(f: Fixture, id: bigint): Promise<Signer[]> {
  const target = await statusTarget(f, id);
  const result: Signer[] = [];
  for (const g of f.governors) {
    if (g.address === target) continue;
    if ((await f.registry.isActiveMember(g.address)) && !(await f.registry.hasVoted(id, g.address))) result.push(g);
  }
  return result;
}

/** Makes a proposal and votes it through with the founders; returns the id and the executing transaction. */
async function enact(
  f: Fixture,
  proposer: Signer,
  call: (r: Registry) => Promise<ContractTransactionResponse>,
): Promise<{ id: bigint; tx: ContractTransactionResponse }> {
  let tx = await call(f.registry.connect(proposer));
  const id = await f.registry.proposalCount();
  for (const voter of await remainingVoters(f, id)) {
    if ((await f.registry.proposalState(id)) !== BigInt(State.pending)) break;
    tx = await f.registry.connect(voter).vote(id, true);
  }
  expect(await f.registry.proposalState(id)).to.equal(State.executed);
  return { id, tx };
}

/** Votes yes on `id` with founders until one more yes would pass it; returns the founder whose vote would. */
async function voteToBrink(f: Fixture, id: bigint): Promise<Signer> {
  const p = await f.registry.getProposal(id);
  let yes = p.yes;
  for (const voter of await remainingVoters(f, id)) {
    if (yes + 1n === p.required) return voter;
    await f.registry.connect(voter).vote(id, true);
    yes += 1n;
  }
  throw new Error(`proposal ${id} cannot be brought to one vote short of passing`);
}

/** Everything a reverted call must leave as it was. */
async function snapshot(f: Fixture) {
  const r = f.registry;
  return {
    proposalCount: await r.proposalCount(),
    activeMemberCount: await r.activeMemberCount(),
    thresholdBps: await r.thresholdBps(),
    votingPeriod: await r.votingPeriod(),
    members: [...(await r.members())],
    accounts: [...(await r.accounts())],
    nodes: [...(await r.nodes())],
    validators: [...(await r.validators())],
    alliances: [...(await r.alliances())],
    contractNames: [...(await r.contractNames())],
  };
}

/** The proposal's tally and the would-be voter's flag, to show a reverted vote left them alone. */
async function tally(f: Fixture, id: bigint, voter: string) {
  const p = await f.registry.getProposal(id);
  return { yes: p.yes, no: p.no, executed: p.executed, rejected: p.rejected, voted: await f.registry.hasVoted(id, voter) };
}

/**
 * Asserts that the passing vote on `id` reverts with `error(args)` because the state moved on,
 * changes nothing, and that the proposal then simply expires.
 */
async function expectPassingVoteReverts(f: Fixture, id: bigint, error: string, args: unknown[]) {
  const voter = await voteToBrink(f, id);
  const before = { views: await snapshot(f), tally: await tally(f, id, voter.address) };
  await expect(f.registry.connect(voter).vote(id, true))
    .to.be.revertedWithCustomError(f.registry, error)
    .withArgs(...args);
  expect({ views: await snapshot(f), tally: await tally(f, id, voter.address) }).to.deep.equal(before);
  expect(await f.registry.proposalState(id)).to.equal(State.pending);
  await time.increase(VOTING_PERIOD + 1);
  expect(await f.registry.proposalState(id)).to.equal(State.expired);
  await expect(f.registry.connect(voter).vote(id, true))
    .to.be.revertedWithCustomError(f.registry, "ProposalNotPending")
    .withArgs(id, State.expired);
}

/** The base consortium plus: the hospital's gateway account, two nodes and a 医联体 led by the hospital. */
async function deployWithNetwork() {
  const f = await deployConsortium();
  await enact(f, f.authority, (r) => r.proposeAddAccount(f.gateway.address, f.hospital.address));
  await enact(f, f.authority, (r) => r.proposeAddNode(VALIDATOR_NODE.publicKey, f.operator.address, true));
  await enact(f, f.authority, (r) => r.proposeAddNode(OBSERVER_NODE.publicKey, f.hospital.address, false));
  await enact(f, f.authority, (r) =>
    r.proposeCreateAlliance(MEDICAL_ALLIANCE, AllianceKind.medicalAlliance, "Xuhui Medical Alliance", f.hospital.address),
  );
  await enact(f, f.authority, (r) => r.proposeJoinAlliance(MEDICAL_ALLIANCE, f.chc.address));
  return f;
}

/** Three founders at 50%: 2 of 3 yes votes pass, and a single active member passes alone. */
async function deployTrio() {
  const [a, b, c] = await ethers.getSigners();
  const registry = await ethers.deployContract("ConsortiumRegistry", [
    [
      founder(a!.address, Kind.healthAuthority, "Authority", []),
      founder(b!.address, Kind.hospital, "Hospital", []),
      founder(c!.address, Kind.communityHealthCentre, "Health Centre", []),
    ],
    5000,
    VOTING_PERIOD,
  ]);
  return { registry, a: a!, b: b!, c: c! };
}

/** A consortium of one. */
async function deploySolo() {
  const [only] = await ethers.getSigners();
  const registry = await ethers.deployContract("ConsortiumRegistry", [
    [founder(only!.address, Kind.healthAuthority, "Authority", [DATA_CONSUMER])],
    THRESHOLD_BPS,
    VOTING_PERIOD,
  ]);
  return { registry, only: only! };
}

describe("ConsortiumRegistry", function () {
  describe("construction", function () {
    it("admits every founder active, with its kind, name, roles and primary account", async function () {
      const f = await loadFixture(deployConsortium);
      const { registry } = f;
      expect(await registry.members()).to.deep.equal(f.founders.map((m) => m.institution));
      expect(await registry.accounts()).to.deep.equal(f.founders.map((m) => m.institution));
      expect(await registry.activeMemberCount()).to.equal(5);
      for (const m of f.founders) {
        const [kind, status, joinedAt, name, roles] = await registry.memberInfo(m.institution);
        expect([kind, status, joinedAt, name, [...roles]]).to.deep.equal([
          BigInt(m.kind),
          BigInt(Status.active),
          BigInt(f.deployedAt),
          m.name,
          m.roles,
        ]);
        expect(await registry.isActiveMember(m.institution)).to.equal(true);
        expect(await registry.institutionOf(m.institution)).to.equal(m.institution);
        expect(await registry.isAllowedAccount(m.institution)).to.equal(true);
        for (const role of m.roles) {
          expect(await registry.hasRole(role, m.institution)).to.equal(true);
          expect(await registry.institutionWithRole(m.institution, role)).to.equal(m.institution);
        }
      }
      expect(await registry.hasRole(CERT_ISSUER, f.hospital.address)).to.equal(false);
      expect(await registry.institutionWithRole(f.hospital.address, CERT_ISSUER)).to.equal(ZERO);
    });

    it("sets the governance settings and starts with no proposals, nodes, alliances or contracts", async function () {
      const { registry } = await loadFixture(deployConsortium);
      expect(await registry.thresholdBps()).to.equal(THRESHOLD_BPS);
      expect(await registry.votingPeriod()).to.equal(VOTING_PERIOD);
      expect(await registry.proposalCount()).to.equal(0);
      expect(await registry.requiredVotes()).to.equal(4);
      expect(await registry.nodes()).to.deep.equal([]);
      expect(await registry.validators()).to.deep.equal([]);
      expect(await registry.alliances()).to.deep.equal([]);
      expect(await registry.contractNames()).to.deep.equal([]);
    });

    it("exposes its codes and bounds", async function () {
      const { registry } = await loadFixture(deployConsortium);
      expect(await registry.INSTITUTION_KIND_COUNT()).to.equal(7);
      expect(await registry.ALLIANCE_KIND_COUNT()).to.equal(5);
      expect(await registry.STATUS_NONE()).to.equal(Status.none);
      expect(await registry.STATUS_ACTIVE()).to.equal(Status.active);
      expect(await registry.STATUS_SUSPENDED()).to.equal(Status.suspended);
      expect(await registry.STATUS_EXITED()).to.equal(Status.exited);
      expect(await registry.MIN_VOTING_PERIOD()).to.equal(HOUR);
      expect(await registry.MAX_VOTING_PERIOD()).to.equal(90 * DAY);
      expect(await registry.MAX_ROLES()).to.equal(16);
    });

    it("emits the governance settings and each founder's admission", async function () {
      const f = await loadFixture(deployConsortium);
      const deployment = f.registry.deploymentTransaction()!;
      await expect(deployment).to.emit(f.registry, "GovernanceChanged").withArgs(THRESHOLD_BPS, VOTING_PERIOD);
      for (const m of f.founders) {
        await expect(deployment).to.emit(f.registry, "MemberAdded").withArgs(m.institution, m.kind, m.name, m.roles);
        await expect(deployment).to.emit(f.registry, "MemberRolesChanged").withArgs(m.institution, m.roles);
        await expect(deployment).to.emit(f.registry, "AccountAllowed").withArgs(m.institution, m.institution);
      }
    });

    describe("rejects bad settings and founders", function () {
      const a1 = ethers.getAddress("0x00000000000000000000000000000000000000a1");
      const one = (roles: string[] = [DATA_PROVIDER]) => [founder(a1, Kind.hospital, "Hospital", roles)];
      const cases: { title: string; args: () => unknown[]; error: string; errorArgs: unknown[] }[] = [
        { title: "no founders", args: () => [[], THRESHOLD_BPS, VOTING_PERIOD], error: "NoFoundingMembers", errorArgs: [] },
        { title: "a zero threshold", args: () => [one(), 0, VOTING_PERIOD], error: "InvalidThreshold", errorArgs: [0] },
        {
          title: "a threshold above 10000 bps",
          args: () => [one(), 10_001, VOTING_PERIOD],
          error: "InvalidThreshold",
          errorArgs: [10_001],
        },
        {
          title: "a voting period below one hour",
          args: () => [one(), THRESHOLD_BPS, HOUR - 1],
          error: "InvalidVotingPeriod",
          errorArgs: [HOUR - 1],
        },
        {
          title: "a voting period above 90 days",
          args: () => [one(), THRESHOLD_BPS, 90 * DAY + 1],
          error: "InvalidVotingPeriod",
          errorArgs: [90 * DAY + 1],
        },
        {
          title: "a zero-address founder",
          args: () => [[founder(ZERO, Kind.hospital, "Hospital", [])], THRESHOLD_BPS, VOTING_PERIOD],
          error: "InvalidInstitution",
          errorArgs: [ZERO],
        },
        {
          title: "an unknown institution kind",
          args: () => [[founder(a1, 7, "Hospital", [])], THRESHOLD_BPS, VOTING_PERIOD],
          error: "InvalidInstitutionKind",
          errorArgs: [7],
        },
        {
          title: "an empty name",
          args: () => [[founder(a1, Kind.hospital, "", [])], THRESHOLD_BPS, VOTING_PERIOD],
          error: "EmptyName",
          errorArgs: [],
        },
        {
          title: "a duplicate founder",
          args: () => [
            [founder(a1, Kind.hospital, "Hospital", []), founder(a1, Kind.auditor, "Auditor", [])],
            THRESHOLD_BPS,
            VOTING_PERIOD,
          ],
          error: "MemberAlreadyExists",
          errorArgs: [a1],
        },
        {
          title: "a zero role",
          args: () => [one([DATA_PROVIDER, ethers.ZeroHash]), THRESHOLD_BPS, VOTING_PERIOD],
          error: "InvalidRole",
          errorArgs: [ethers.ZeroHash],
        },
        {
          title: "a duplicate role",
          args: () => [one([DATA_PROVIDER, CERT_ISSUER, DATA_PROVIDER]), THRESHOLD_BPS, VOTING_PERIOD],
          error: "DuplicateRole",
          errorArgs: [DATA_PROVIDER],
        },
        {
          title: "more than 16 roles",
          args: () => [one(Array.from({ length: 17 }, (_, i) => ethers.id(`ROLE_${i}`))), THRESHOLD_BPS, VOTING_PERIOD],
          error: "TooManyRoles",
          errorArgs: [17, 16],
        },
      ];
      for (const c of cases) {
        it(`rejects ${c.title}`, async function () {
          const factory = await ethers.getContractFactory("ConsortiumRegistry");
          await expect(factory.deploy(...(c.args() as Parameters<typeof factory.deploy>)))
            .to.be.revertedWithCustomError(factory, c.error)
            .withArgs(...c.errorArgs);
        });
      }

      it("accepts the bounds: 1 and 10000 bps, one hour and 90 days, 16 roles", async function () {
        const roles = Array.from({ length: 16 }, (_, i) => ethers.id(`ROLE_${i}`));
        for (const [bps, period] of [
          [1, HOUR],
          [10_000, 90 * DAY],
        ] as const) {
          const registry = await ethers.deployContract("ConsortiumRegistry", [one(roles), bps, period]);
          expect(await registry.thresholdBps()).to.equal(bps);
          expect(await registry.votingPeriod()).to.equal(period);
          expect((await registry.memberInfo(a1)).roles).to.deep.equal(roles);
        }
      });
    });
  });

  describe("voting", function () {
    it("records the proposal with its deadline and required votes, and counts the proposer's yes", async function () {
      const f = await loadFixture(deployConsortium);
      const roles = [DATA_CONSUMER];
      const name = "Shanghai Institute of Public Health";
      const params = abi.encode(
        ["address", "uint8", "string", "bytes32[]"],
        [f.institute.address, Kind.researchInstitute, name, roles],
      );
      const tx = await f.registry
        .connect(f.authority)
        .proposeAddMember(f.institute.address, Kind.researchInstitute, name, roles);
      const at = await blockTime(tx);
      await expect(tx)
        .to.emit(f.registry, "ProposalCreated")
        .withArgs(1, f.authority.address, Action.addMember, params, at + VOTING_PERIOD, 4);
      await expect(tx).to.emit(f.registry, "VoteCast").withArgs(1, f.authority.address, true, 1, 0);
      await expect(tx).not.to.emit(f.registry, "ProposalExecuted");
      const p = await f.registry.getProposal(1);
      expect([p.action, p.proposer, p.createdAt, p.deadline, p.eligible, p.required, p.yes, p.no]).to.deep.equal([
        BigInt(Action.addMember),
        f.authority.address,
        BigInt(at),
        BigInt(at + VOTING_PERIOD),
        5n,
        4n,
        1n,
        0n,
      ]);
      expect([p.executed, p.rejected, p.params]).to.deep.equal([false, false, params]);
      expect(await f.registry.proposalCount()).to.equal(1);
      expect(await f.registry.proposalState(1)).to.equal(State.pending);
      expect(await f.registry.hasVoted(1, f.authority.address)).to.equal(true);
      expect(await f.registry.hasVoted(1, f.hospital.address)).to.equal(false);
      expect(await f.registry.isActiveMember(f.institute.address)).to.equal(false);
    });

    it("returns the new proposal's id from every propose call", async function () {
      const f = await loadFixture(deployConsortium);
      const r = f.registry.connect(f.hospital);
      expect(await r.proposeSetGovernance.staticCall(5000, DAY)).to.equal(1);
      await r.proposeSetGovernance(5000, DAY);
      expect(await r.proposeRegisterContract.staticCall(DATA_INDEX, await f.registry.getAddress())).to.equal(2);
    });

    it("executes the change on the vote that reaches the threshold, not before", async function () {
      const f = await loadFixture(deployConsortium);
      const id = await propose(f, f.authority, (r) => r.proposeSetGovernance(5000, DAY));
      await expect(f.registry.connect(f.hospital).vote(id, true))
        .to.emit(f.registry, "VoteCast")
        .withArgs(id, f.hospital.address, true, 2, 0);
      await expect(f.registry.connect(f.chc).vote(id, false))
        .to.emit(f.registry, "VoteCast")
        .withArgs(id, f.chc.address, false, 2, 1);
      const third = f.registry.connect(f.eqa).vote(id, true);
      await expect(third).not.to.emit(f.registry, "ProposalExecuted");
      expect(await f.registry.thresholdBps()).to.equal(THRESHOLD_BPS);
      const passing = await f.registry.connect(f.operator).vote(id, true);
      await expect(passing).to.emit(f.registry, "VoteCast").withArgs(id, f.operator.address, true, 4, 1);
      await expect(passing).to.emit(f.registry, "ProposalExecuted").withArgs(id, Action.setGovernance);
      await expect(passing).to.emit(f.registry, "GovernanceChanged").withArgs(5000, DAY);
      expect(await f.registry.proposalState(id)).to.equal(State.executed);
      expect((await f.registry.getProposal(id)).executed).to.equal(true);
      expect(await f.registry.thresholdBps()).to.equal(5000);
    });

    it("rejects a proposal once the no votes make passing impossible, and makes no change", async function () {
      const f = await loadFixture(deployConsortium);
      const id = await propose(f, f.authority, (r) => r.proposeSetGovernance(5000, DAY));
      // 5 eligible, 4 required: one no leaves 4 possible yes votes, a second no leaves 3.
      await expect(f.registry.connect(f.hospital).vote(id, false)).not.to.emit(f.registry, "ProposalRejected");
      expect(await f.registry.proposalState(id)).to.equal(State.pending);
      const second = await f.registry.connect(f.chc).vote(id, false);
      await expect(second).to.emit(f.registry, "VoteCast").withArgs(id, f.chc.address, false, 1, 2);
      await expect(second).to.emit(f.registry, "ProposalRejected").withArgs(id);
      expect(await f.registry.proposalState(id)).to.equal(State.rejected);
      expect((await f.registry.getProposal(id)).rejected).to.equal(true);
      expect(await f.registry.thresholdBps()).to.equal(THRESHOLD_BPS);
      await expect(f.registry.connect(f.eqa).vote(id, true))
        .to.be.revertedWithCustomError(f.registry, "ProposalNotPending")
        .withArgs(id, State.rejected);
    });

    it("rejects on the first no when every eligible member must agree", async function () {
      const f = await loadFixture(deployConsortium);
      await enact(f, f.authority, (r) => r.proposeSetGovernance(10_000, VOTING_PERIOD));
      expect(await f.registry.requiredVotes()).to.equal(5);
      const id = await propose(f, f.authority, (r) => r.proposeRegisterContract(DATA_INDEX, r.target));
      await expect(f.registry.connect(f.operator).vote(id, false)).to.emit(f.registry, "ProposalRejected").withArgs(id);
    });

    it("refuses votes on an executed proposal", async function () {
      const f = await loadFixture(deployConsortium);
      const { id } = await enact(f, f.authority, (r) => r.proposeSetGovernance(5000, DAY));
      await expect(f.registry.connect(f.operator).vote(id, true))
        .to.be.revertedWithCustomError(f.registry, "ProposalNotPending")
        .withArgs(id, State.executed);
    });

    it("stays open up to its deadline and expires one second after", async function () {
      const f = await loadFixture(deployConsortium);
      const id = await propose(f, f.authority, (r) => r.proposeSetGovernance(5000, DAY));
      const { deadline } = await f.registry.getProposal(id);
      await time.setNextBlockTimestamp(deadline);
      await f.registry.connect(f.hospital).vote(id, true);
      expect(await f.registry.proposalState(id)).to.equal(State.pending);
      await time.increaseTo(deadline + 1n);
      expect(await f.registry.proposalState(id)).to.equal(State.expired);
      const before = await tally(f, id, f.chc.address);
      await expect(f.registry.connect(f.chc).vote(id, true))
        .to.be.revertedWithCustomError(f.registry, "ProposalNotPending")
        .withArgs(id, State.expired);
      expect(await tally(f, id, f.chc.address)).to.deep.equal(before);
    });

    it("refuses votes on unknown proposals", async function () {
      const f = await loadFixture(deployConsortium);
      for (const id of [0n, 1n, 99n]) {
        await expect(f.registry.connect(f.hospital).vote(id, true))
          .to.be.revertedWithCustomError(f.registry, "ProposalNotFound")
          .withArgs(id);
        expect(await f.registry.proposalState(id)).to.equal(State.none);
      }
      // Unknown comes first: even a non-member is told the proposal does not exist.
      await expect(f.registry.connect(f.outsider).vote(7, true))
        .to.be.revertedWithCustomError(f.registry, "ProposalNotFound")
        .withArgs(7);
    });

    it("refuses a second vote from the proposer or any voter", async function () {
      const f = await loadFixture(deployConsortium);
      const id = await propose(f, f.authority, (r) => r.proposeSetGovernance(5000, DAY));
      await expect(f.registry.connect(f.authority).vote(id, false))
        .to.be.revertedWithCustomError(f.registry, "AlreadyVoted")
        .withArgs(id, f.authority.address);
      await f.registry.connect(f.hospital).vote(id, false);
      await expect(f.registry.connect(f.hospital).vote(id, true))
        .to.be.revertedWithCustomError(f.registry, "AlreadyVoted")
        .withArgs(id, f.hospital.address);
      const p = await f.registry.getProposal(id);
      expect([p.yes, p.no]).to.deep.equal([1n, 1n]);
    });

    it("refuses proposals and votes from non-members", async function () {
      const f = await loadFixture(deployConsortium);
      await expect(f.registry.connect(f.outsider).proposeSetGovernance(5000, DAY))
        .to.be.revertedWithCustomError(f.registry, "NotActiveMember")
        .withArgs(f.outsider.address);
      const id = await propose(f, f.authority, (r) => r.proposeSetGovernance(5000, DAY));
      await expect(f.registry.connect(f.outsider).vote(id, true))
        .to.be.revertedWithCustomError(f.registry, "NotActiveMember")
        .withArgs(f.outsider.address);
      expect(await f.registry.proposalCount()).to.equal(1);
    });

    it("refuses proposals and votes from a suspended member; once reactivated it votes on proposals made since", async function () {
      const f = await loadFixture(deployConsortium);
      const pending = await propose(f, f.authority, (r) => r.proposeSetGovernance(5000, DAY));
      await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.eqa.address, Status.suspended));
      await expect(f.registry.connect(f.eqa).proposeSetGovernance(5000, DAY))
        .to.be.revertedWithCustomError(f.registry, "NotActiveMember")
        .withArgs(f.eqa.address);
      await expect(f.registry.connect(f.eqa).vote(pending, true))
        .to.be.revertedWithCustomError(f.registry, "NotActiveMember")
        .withArgs(f.eqa.address);
      await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.eqa.address, Status.active));
      await expect(f.registry.connect(f.eqa).vote(pending, true))
        .to.be.revertedWithCustomError(f.registry, "NotEligibleToVote")
        .withArgs(pending, f.eqa.address);
      const fresh = await propose(f, f.authority, (r) => r.proposeSetGovernance(6000, DAY));
      await expect(f.registry.connect(f.eqa).vote(fresh, true))
        .to.emit(f.registry, "VoteCast")
        .withArgs(fresh, f.eqa.address, true, 2, 0);
    });

    it("refuses proposals and votes from an exited member", async function () {
      const f = await loadFixture(deployConsortium);
      const pending = await propose(f, f.authority, (r) => r.proposeSetGovernance(5000, DAY));
      await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.chc.address, Status.exited));
      await expect(f.registry.connect(f.chc).proposeSetGovernance(5000, DAY))
        .to.be.revertedWithCustomError(f.registry, "NotActiveMember")
        .withArgs(f.chc.address);
      await expect(f.registry.connect(f.chc).vote(pending, true))
        .to.be.revertedWithCustomError(f.registry, "NotActiveMember")
        .withArgs(f.chc.address);
    });

    it("lets a member vote only on proposals made after its admission", async function () {
      const f = await loadFixture(deployConsortium);
      const before = await propose(f, f.authority, (r) => r.proposeSetGovernance(5000, DAY));
      const admission = await propose(f, f.authority, (r) =>
        r.proposeAddMember(f.institute.address, Kind.researchInstitute, "Institute", []),
      );
      // Made while the admission was pending: still before the member joined.
      const during = await propose(f, f.hospital, (r) => r.proposeRegisterContract(DATA_INDEX, r.target));
      for (const g of [f.hospital, f.chc, f.eqa]) await f.registry.connect(g).vote(admission, true);
      expect(await f.registry.isActiveMember(f.institute.address)).to.equal(true);
      for (const id of [before, during]) {
        await expect(f.registry.connect(f.institute).vote(id, true))
          .to.be.revertedWithCustomError(f.registry, "NotEligibleToVote")
          .withArgs(id, f.institute.address);
      }
      const after = await propose(f, f.authority, (r) => r.proposeRegisterContract(CONSENT_REGISTRY, r.target));
      expect((await f.registry.getProposal(after)).eligible).to.equal(6);
      await expect(f.registry.connect(f.institute).vote(after, true))
        .to.emit(f.registry, "VoteCast")
        .withArgs(after, f.institute.address, true, 2, 0);
    });

    it("counts as voters only members active when the proposal was made, so a rejection is always final", async function () {
      const f = await loadFixture(deployConsortium);
      await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.eqa.address, Status.suspended));
      // Made while 4 members are active: eligible 4, required ceil(4 × 0.6667) = 3.
      const id = await propose(f, f.authority, (r) => r.proposeSetGovernance(5000, DAY));
      await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.eqa.address, Status.active));
      const p = await f.registry.getProposal(id);
      expect([p.eligible, p.required, p.yes]).to.deep.equal([4n, 3n, 1n]);
      // Reactivated after the proposal was made: not among its voters.
      await expect(f.registry.connect(f.eqa).vote(id, true))
        .to.be.revertedWithCustomError(f.registry, "NotEligibleToVote")
        .withArgs(id, f.eqa.address);
      await f.registry.connect(f.hospital).vote(id, false);
      await expect(f.registry.connect(f.chc).vote(id, false)).to.emit(f.registry, "ProposalRejected").withArgs(id);
      // Of the 4 counted members 2 said no: at most 2 yes votes remain possible, fewer than 3.
      expect(await f.registry.proposalState(id)).to.equal(State.rejected);
    });

    it("keeps a pending proposal's required votes and deadline when the governance settings change", async function () {
      const f = await loadFixture(deployConsortium);
      const pending = await propose(f, f.authority, (r) => r.proposeRegisterContract(DATA_INDEX, r.target));
      const before = await f.registry.getProposal(pending);
      await enact(f, f.hospital, (r) => r.proposeSetGovernance(1, HOUR));
      const after = await f.registry.getProposal(pending);
      expect([after.required, after.deadline, after.eligible]).to.deep.equal([
        before.required,
        before.deadline,
        before.eligible,
      ]);
      await time.increase(2 * HOUR);
      expect(await f.registry.proposalState(pending)).to.equal(State.pending);
      await expect(f.registry.connect(f.chc).vote(pending, true)).not.to.emit(f.registry, "ProposalExecuted");
    });

    it("rounds the required votes up, and never below one", async function () {
      const signers = await ethers.getSigners();
      const deployWith = async (n: number, bps: number) =>
        ethers.deployContract("ConsortiumRegistry", [
          signers.slice(0, n).map((s, i) => founder(s.address, Kind.hospital, `Hospital ${i}`, [])),
          bps,
          VOTING_PERIOD,
        ]);
      const expected: [number, number, number][] = [
        // [members, bps, required]
        [1, 6667, 1],
        [2, 6667, 2],
        [3, 6667, 3],
        [4, 6667, 3],
        [5, 6667, 4],
        [6, 6667, 5],
        [5, 1, 1],
        [5, 5000, 3],
        [4, 5000, 2],
        [5, 10_000, 5],
      ];
      for (const [n, bps, required] of expected) {
        expect(await (await deployWith(n, bps)).requiredVotes(), `${n} members at ${bps} bps`).to.equal(required);
      }
    });

    it("executes at once, in the proposing transaction, when one vote is enough", async function () {
      const f = await loadFixture(deployConsortium);
      await enact(f, f.authority, (r) => r.proposeSetGovernance(1, VOTING_PERIOD));
      expect(await f.registry.requiredVotes()).to.equal(1);
      const tx = await f.registry.connect(f.eqa).proposeRegisterContract(DATA_INDEX, f.registry.target);
      await expect(tx).to.emit(f.registry, "ProposalCreated");
      await expect(tx).to.emit(f.registry, "VoteCast").withArgs(2, f.eqa.address, true, 1, 0);
      await expect(tx).to.emit(f.registry, "ProposalExecuted").withArgs(2, Action.registerContract);
      await expect(tx).to.emit(f.registry, "ContractRegistered").withArgs(DATA_INDEX, f.registry.target, 1);
      expect(await f.registry.proposalState(2)).to.equal(State.executed);
    });

    it("reverts a passing vote whose change is no longer valid; the proposal then expires", async function () {
      const f = await loadFixture(deployConsortium);
      const add = (r: Registry) => r.proposeAddMember(f.institute.address, Kind.researchInstitute, "Institute", []);
      const second = await propose(f, f.hospital, add);
      await enact(f, f.authority, add);
      await expectPassingVoteReverts(f, second, "MemberAlreadyExists", [f.institute.address]);
    });
  });

  describe("proposeAddMember", function () {
    it("admits an active member with its roles and primary account", async function () {
      const f = await loadFixture(deployConsortium);
      const name = "Shanghai Institute of Public Health";
      const roles = [DATA_CONSUMER, AUDIT_RECORDER];
      const { id, tx } = await enact(f, f.authority, (r) =>
        r.proposeAddMember(f.institute.address, Kind.researchInstitute, name, roles),
      );
      await expect(tx).to.emit(f.registry, "ProposalExecuted").withArgs(id, Action.addMember);
      await expect(tx)
        .to.emit(f.registry, "MemberAdded")
        .withArgs(f.institute.address, Kind.researchInstitute, name, roles);
      await expect(tx).to.emit(f.registry, "MemberRolesChanged").withArgs(f.institute.address, roles);
      await expect(tx).to.emit(f.registry, "AccountAllowed").withArgs(f.institute.address, f.institute.address);
      const at = await blockTime(tx);
      const [kind, status, joinedAt, storedName, storedRoles] = await f.registry.memberInfo(f.institute.address);
      expect([kind, status, joinedAt, storedName, [...storedRoles]]).to.deep.equal([
        BigInt(Kind.researchInstitute),
        BigInt(Status.active),
        BigInt(at),
        name,
        roles,
      ]);
      expect(await f.registry.members()).to.deep.equal([...f.founders.map((m) => m.institution), f.institute.address]);
      expect(await f.registry.accounts()).to.include(f.institute.address);
      expect(await f.registry.isActiveMember(f.institute.address)).to.equal(true);
      expect(await f.registry.institutionOf(f.institute.address)).to.equal(f.institute.address);
      expect(await f.registry.isAllowedAccount(f.institute.address)).to.equal(true);
      expect(await f.registry.hasRole(DATA_CONSUMER, f.institute.address)).to.equal(true);
      expect(await f.registry.hasRole(AUDIT_RECORDER, f.institute.address)).to.equal(true);
      expect(await f.registry.hasRole(DATA_PROVIDER, f.institute.address)).to.equal(false);
      expect(await f.registry.institutionWithRole(f.institute.address, DATA_CONSUMER)).to.equal(f.institute.address);
      expect(await f.registry.institutionWithRole(f.institute.address, DATA_PROVIDER)).to.equal(ZERO);
      expect(await f.registry.activeMemberCount()).to.equal(6);
      expect(await f.registry.requiredVotes()).to.equal(5); // ceil(6 × 0.6667)
    });

    it("admits a member with no roles", async function () {
      const f = await loadFixture(deployConsortium);
      await enact(f, f.authority, (r) => r.proposeAddMember(f.auditor.address, Kind.auditor, "Audit Firm", []));
      expect((await f.registry.memberInfo(f.auditor.address)).roles).to.deep.equal([]);
      expect(await f.registry.isAllowedAccount(f.auditor.address)).to.equal(true);
    });

    describe("rejects at proposal time, changing nothing", function () {
      const tooMany = Array.from({ length: 17 }, (_, i) => ethers.id(`ROLE_${i}`));
      const cases: {
        title: string;
        call: (f: Fixture) => [string, number, string, string[]];
        error: string;
        args: (f: Fixture) => unknown[];
      }[] = [
        { title: "the zero address", call: () => [ZERO, Kind.hospital, "H", []], error: "InvalidInstitution", args: () => [ZERO] },
        {
          title: "an unknown kind",
          call: (f) => [f.institute.address, 7, "H", []],
          error: "InvalidInstitutionKind",
          args: () => [7],
        },
        { title: "an empty name", call: (f) => [f.institute.address, Kind.hospital, "", []], error: "EmptyName", args: () => [] },
        {
          title: "an existing member",
          call: (f) => [f.chc.address, Kind.communityHealthCentre, "Again", []],
          error: "MemberAlreadyExists",
          args: (f) => [f.chc.address],
        },
        {
          title: "a zero role",
          call: (f) => [f.institute.address, Kind.researchInstitute, "I", [ethers.ZeroHash]],
          error: "InvalidRole",
          args: () => [ethers.ZeroHash],
        },
        {
          title: "a duplicate role",
          call: (f) => [f.institute.address, Kind.researchInstitute, "I", [DATA_CONSUMER, DATA_CONSUMER]],
          error: "DuplicateRole",
          args: () => [DATA_CONSUMER],
        },
        {
          title: "more than 16 roles",
          call: (f) => [f.institute.address, Kind.researchInstitute, "I", tooMany],
          error: "TooManyRoles",
          args: () => [17, 16],
        },
      ];
      for (const c of cases) {
        it(`rejects ${c.title}`, async function () {
          const f = await loadFixture(deployConsortium);
          const before = await snapshot(f);
          await expect(f.registry.connect(f.authority).proposeAddMember(...c.call(f)))
            .to.be.revertedWithCustomError(f.registry, c.error)
            .withArgs(...c.args(f));
          expect(await snapshot(f)).to.deep.equal(before);
        });
      }

      it("rejects an address that already acts for another institution", async function () {
        const f = await loadFixture(deployWithNetwork);
        await expect(f.registry.connect(f.authority).proposeAddMember(f.gateway.address, Kind.hospital, "Gateway", []))
          .to.be.revertedWithCustomError(f.registry, "AccountAlreadyAllowed")
          .withArgs(f.gateway.address, f.hospital.address);
      });

      it("rejects re-admitting an exited member", async function () {
        const f = await loadFixture(deployConsortium);
        await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.chc.address, Status.exited));
        await expect(f.registry.connect(f.authority).proposeAddMember(f.chc.address, Kind.communityHealthCentre, "C", []))
          .to.be.revertedWithCustomError(f.registry, "MemberAlreadyExists")
          .withArgs(f.chc.address);
      });
    });

    it("rejects at the passing vote an address allowlisted for another institution since", async function () {
      const f = await loadFixture(deployConsortium);
      const id = await propose(f, f.hospital, (r) => r.proposeAddMember(f.relayer.address, Kind.auditor, "Auditor", []));
      await enact(f, f.authority, (r) => r.proposeAddAccount(f.relayer.address, f.eqa.address));
      await expectPassingVoteReverts(f, id, "AccountAlreadyAllowed", [f.relayer.address, f.eqa.address]);
    });
  });

  describe("proposeSetMemberStatus", function () {
    it("suspends a member: it, its accounts and its nodes lose their rights but keep their records", async function () {
      const f = await loadFixture(deployWithNetwork);
      const { tx } = await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.hospital.address, Status.suspended));
      await expect(tx)
        .to.emit(f.registry, "MemberStatusChanged")
        .withArgs(f.hospital.address, Status.active, Status.suspended);
      await expect(tx).not.to.emit(f.registry, "AllianceLeft");
      expect((await f.registry.memberInfo(f.hospital.address)).status).to.equal(Status.suspended);
      expect(await f.registry.isActiveMember(f.hospital.address)).to.equal(false);
      expect(await f.registry.activeMemberCount()).to.equal(4);
      expect(await f.registry.requiredVotes()).to.equal(3); // ceil(4 × 0.6667)
      for (const account of [f.hospital.address, f.gateway.address]) {
        expect(await f.registry.isAllowedAccount(account)).to.equal(false);
        expect(await f.registry.hasRole(DATA_PROVIDER, account)).to.equal(false);
        expect(await f.registry.institutionWithRole(account, DATA_PROVIDER)).to.equal(ZERO);
        expect(await f.registry.institutionOf(account)).to.equal(f.hospital.address);
        expect(await f.registry.accounts()).to.include(account);
      }
      expect((await f.registry.memberInfo(f.hospital.address)).roles).to.deep.equal([DATA_PROVIDER, DATA_CONSUMER]);
      expect(await f.registry.members()).to.include(f.hospital.address);
      expect(await f.registry.isNodeAllowed(OBSERVER_NODE.address)).to.equal(false);
      expect(await f.registry.nodes()).to.include(OBSERVER_NODE.address);
      expect(await f.registry.isInAlliance(MEDICAL_ALLIANCE, f.hospital.address)).to.equal(true);
    });

    it("reactivates a suspended member with its accounts, roles and nodes", async function () {
      const f = await loadFixture(deployWithNetwork);
      await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.hospital.address, Status.suspended));
      const { tx } = await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.hospital.address, Status.active));
      await expect(tx)
        .to.emit(f.registry, "MemberStatusChanged")
        .withArgs(f.hospital.address, Status.suspended, Status.active);
      expect(await f.registry.activeMemberCount()).to.equal(5);
      expect(await f.registry.isActiveMember(f.hospital.address)).to.equal(true);
      expect(await f.registry.hasRole(DATA_PROVIDER, f.gateway.address)).to.equal(true);
      expect(await f.registry.institutionWithRole(f.gateway.address, DATA_PROVIDER)).to.equal(f.hospital.address);
      expect(await f.registry.isAllowedAccount(f.gateway.address)).to.equal(true);
      expect(await f.registry.isNodeAllowed(OBSERVER_NODE.address)).to.equal(true);
    });

    it("exits a member for good and takes it out of every alliance it belongs to", async function () {
      const f = await loadFixture(deployWithNetwork);
      await enact(f, f.authority, (r) =>
        r.proposeCreateAlliance(SPECIALIST_ALLIANCE, AllianceKind.specialist, "Diabetes Alliance", f.authority.address),
      );
      await enact(f, f.authority, (r) => r.proposeJoinAlliance(SPECIALIST_ALLIANCE, f.chc.address));
      await enact(f, f.authority, (r) =>
        r.proposeCreateAlliance(RESEARCH_ALLIANCE, AllianceKind.research, "Cohort Study", f.eqa.address),
      );
      const { tx } = await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.chc.address, Status.exited));
      await expect(tx).to.emit(f.registry, "MemberStatusChanged").withArgs(f.chc.address, Status.active, Status.exited);
      expect(await eventsOf(f, tx, "AllianceLeft")).to.deep.equal([
        [MEDICAL_ALLIANCE, f.chc.address],
        [SPECIALIST_ALLIANCE, f.chc.address],
      ]);
      expect(await f.registry.isInAlliance(MEDICAL_ALLIANCE, f.chc.address)).to.equal(false);
      expect(await f.registry.isInAlliance(SPECIALIST_ALLIANCE, f.chc.address)).to.equal(false);
      expect((await f.registry.allianceInfo(MEDICAL_ALLIANCE)).memberList).to.deep.equal([f.hospital.address]);
      expect((await f.registry.allianceInfo(SPECIALIST_ALLIANCE)).memberList).to.deep.equal([f.authority.address]);
      expect((await f.registry.allianceInfo(RESEARCH_ALLIANCE)).memberList).to.deep.equal([f.eqa.address]);
      expect(await f.registry.alliancesOf(f.chc.address)).to.deep.equal([]);
      expect(await f.registry.alliancesOf(f.authority.address)).to.deep.equal([SPECIALIST_ALLIANCE]);
      expect((await f.registry.memberInfo(f.chc.address)).status).to.equal(Status.exited);
      expect(await f.registry.activeMemberCount()).to.equal(4);
      expect(await f.registry.members()).to.include(f.chc.address);
      expect(await f.registry.isAllowedAccount(f.chc.address)).to.equal(false);
      expect(await f.registry.hasRole(DATA_PROVIDER, f.chc.address)).to.equal(false);
      for (const status of [Status.active, Status.suspended, Status.exited, Status.none]) {
        await expect(f.registry.connect(f.authority).proposeSetMemberStatus(f.chc.address, status))
          .to.be.revertedWithCustomError(f.registry, "InvalidStatusTransition")
          .withArgs(f.chc.address, Status.exited, status);
      }
    });

    it("takes an exiting lead out of the alliances it leads, which live on without a lead", async function () {
      const f = await loadFixture(deployWithNetwork);
      const { tx } = await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.hospital.address, Status.exited));
      await expect(tx).to.emit(f.registry, "AllianceLeft").withArgs(MEDICAL_ALLIANCE, f.hospital.address);
      await expect(tx).to.emit(f.registry, "AllianceLeadCleared").withArgs(MEDICAL_ALLIANCE, f.hospital.address);
      expect((await f.registry.allianceInfo(MEDICAL_ALLIANCE)).lead).to.equal(ethers.ZeroAddress);
      expect(await f.registry.isInAlliance(MEDICAL_ALLIANCE, f.hospital.address)).to.equal(false);
      expect((await f.registry.allianceInfo(MEDICAL_ALLIANCE)).memberList).to.deep.equal([f.chc.address]);
      expect(await f.registry.alliances()).to.deep.equal([MEDICAL_ALLIANCE]);
    });

    it("exits a suspended member without changing the active count", async function () {
      const f = await loadFixture(deployConsortium);
      await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.eqa.address, Status.suspended));
      const { tx } = await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.eqa.address, Status.exited));
      await expect(tx)
        .to.emit(f.registry, "MemberStatusChanged")
        .withArgs(f.eqa.address, Status.suspended, Status.exited);
      expect(await f.registry.activeMemberCount()).to.equal(4);
    });

    it("rejects an unknown member", async function () {
      const f = await loadFixture(deployConsortium);
      await expect(f.registry.connect(f.authority).proposeSetMemberStatus(f.outsider.address, Status.suspended))
        .to.be.revertedWithCustomError(f.registry, "MemberNotFound")
        .withArgs(f.outsider.address);
    });

    it("rejects transitions other than Active↔Suspended and →Exited", async function () {
      const f = await loadFixture(deployConsortium);
      const r = f.registry.connect(f.authority);
      for (const status of [Status.none, Status.active, 4, 255]) {
        await expect(r.proposeSetMemberStatus(f.chc.address, status))
          .to.be.revertedWithCustomError(f.registry, "InvalidStatusTransition")
          .withArgs(f.chc.address, Status.active, status);
      }
      await enact(f, f.authority, (x) => x.proposeSetMemberStatus(f.chc.address, Status.suspended));
      for (const status of [Status.none, Status.suspended, 4]) {
        await expect(r.proposeSetMemberStatus(f.chc.address, status))
          .to.be.revertedWithCustomError(f.registry, "InvalidStatusTransition")
          .withArgs(f.chc.address, Status.suspended, status);
      }
    });

    it("rejects suspending or exiting the last active member", async function () {
      const { registry, only } = await loadFixture(deploySolo);
      for (const status of [Status.suspended, Status.exited]) {
        await expect(registry.connect(only).proposeSetMemberStatus(only.address, status))
          .to.be.revertedWithCustomError(registry, "LastActiveMember")
          .withArgs(only.address);
      }
      expect(await registry.proposalCount()).to.equal(0);
    });

    it("rejects at the passing vote a transition that is no longer valid", async function () {
      const f = await loadFixture(deployConsortium);
      const second = await propose(f, f.hospital, (r) => r.proposeSetMemberStatus(f.chc.address, Status.suspended));
      await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.chc.address, Status.suspended));
      await expectPassingVoteReverts(f, second, "InvalidStatusTransition", [
        f.chc.address,
        Status.suspended,
        Status.suspended,
      ]);
    });

    it("leaves a pending suspension of whoever became the last active member without voters: it expires", async function () {
      const { registry, a, b, c } = await loadFixture(deployTrio);
      await registry.connect(a).proposeSetGovernance(10_000, VOTING_PERIOD); // 1: 2 of 3 at 50 %
      await registry.connect(b).vote(1, true);
      // 2: c is not among its voters, so a and b must both agree (10000 bps of the 2 others).
      await registry.connect(a).proposeSetMemberStatus(c.address, Status.suspended);
      expect([(await registry.getProposal(2)).eligible, (await registry.getProposal(2)).required]).to.deep.equal([2n, 2n]);
      await registry.connect(c).proposeSetMemberStatus(a.address, Status.suspended); // 3
      await registry.connect(b).vote(3, true); // a suspended; b and c remain
      await registry.connect(c).proposeSetMemberStatus(b.address, Status.suspended); // 4: c alone decides
      expect(await registry.activeMemberCount()).to.equal(1);
      // Proposal 2 can no longer pass: its other voters are suspended, and c never votes on its own status.
      await expect(registry.connect(c).vote(2, true))
        .to.be.revertedWithCustomError(registry, "NotEligibleToVote")
        .withArgs(2, c.address);
      await expect(registry.connect(b).vote(2, true))
        .to.be.revertedWithCustomError(registry, "NotActiveMember")
        .withArgs(b.address);
      await time.increase(VOTING_PERIOD + 1);
      expect(await registry.proposalState(2)).to.equal(State.expired);
      expect(await registry.isActiveMember(c.address)).to.equal(true);
      // The last active member still governs alone: it can bring the others back.
      await expect(registry.connect(c).proposeSetMemberStatus(a.address, Status.active))
        .to.emit(registry, "MemberStatusChanged")
        .withArgs(a.address, Status.suspended, Status.active);
    });

    describe("the member a status change is about does not vote on it", function () {
      it("counts the voters and required votes over the other active members", async function () {
        const f = await loadFixture(deployConsortium);
        // 5 active at 6667 bps: 4 votes for other proposals, ceil(4 × 0.6667) = 3 about an active member.
        expect(await f.registry.requiredVotes()).to.equal(4);
        expect(await f.registry.requiredStatusVotes(f.eqa.address)).to.equal(3);
        expect(await f.registry.requiredStatusVotes(f.outsider.address)).to.equal(4);
        const tx = await f.registry.connect(f.authority).proposeSetMemberStatus(f.eqa.address, Status.suspended);
        const params = abi.encode(["address", "uint8"], [f.eqa.address, Status.suspended]);
        await expect(tx)
          .to.emit(f.registry, "ProposalCreated")
          .withArgs(1, f.authority.address, Action.setMemberStatus, params, (await blockTime(tx)) + VOTING_PERIOD, 3);
        const p = await f.registry.getProposal(1);
        expect([p.eligible, p.required, p.yes]).to.deep.equal([4n, 3n, 1n]);
        await f.registry.connect(f.hospital).vote(1, true);
        await expect(f.registry.connect(f.chc).vote(1, true))
          .to.emit(f.registry, "MemberStatusChanged")
          .withArgs(f.eqa.address, Status.active, Status.suspended);
        // A suspended member is not among the active members anyway: the same as requiredVotes().
        expect(await f.registry.requiredVotes()).to.equal(3);
        expect(await f.registry.requiredStatusVotes(f.eqa.address)).to.equal(3);
        expect(await f.registry.requiredStatusVotes(f.hospital.address)).to.equal(3); // ceil(3 × 0.6667)
        const reactivation = await propose(f, f.authority, (r) => r.proposeSetMemberStatus(f.eqa.address, Status.active));
        const q = await f.registry.getProposal(reactivation);
        expect([q.eligible, q.required]).to.deep.equal([4n, 3n]);
      });

      it("reports no required votes about the only active member, whose status cannot change", async function () {
        const { registry, only } = await loadFixture(deploySolo);
        expect(await registry.requiredStatusVotes(only.address)).to.equal(0);
        expect(await registry.requiredVotes()).to.equal(1);
      });

      it("refuses the target's vote, so that at 10000 bps a member voting no on everything can still be suspended", async function () {
        const f = await loadFixture(deployConsortium);
        await enact(f, f.authority, (r) => r.proposeSetGovernance(10_000, VOTING_PERIOD));
        // The hostile member blocks any ordinary proposal on its own...
        const blocked = await propose(f, f.authority, (r) => r.proposeRegisterContract(DATA_INDEX, r.target));
        await expect(f.registry.connect(f.chc).vote(blocked, false)).to.emit(f.registry, "ProposalRejected").withArgs(blocked);
        // ...but not its suspension: the 4 others decide unanimously without it.
        const id = await propose(f, f.authority, (r) => r.proposeSetMemberStatus(f.chc.address, Status.suspended));
        const p = await f.registry.getProposal(id);
        expect([p.eligible, p.required]).to.deep.equal([4n, 4n]);
        const before = await tally(f, id, f.chc.address);
        for (const support of [false, true]) {
          await expect(f.registry.connect(f.chc).vote(id, support))
            .to.be.revertedWithCustomError(f.registry, "NotEligibleToVote")
            .withArgs(id, f.chc.address);
        }
        expect(await tally(f, id, f.chc.address)).to.deep.equal(before);
        for (const voter of [f.hospital, f.eqa]) await f.registry.connect(voter).vote(id, true);
        await expect(f.registry.connect(f.operator).vote(id, true))
          .to.emit(f.registry, "MemberStatusChanged")
          .withArgs(f.chc.address, Status.active, Status.suspended);
        // From now on the 4 active members decide alone.
        const { id: next } = await enact(f, f.authority, (r) => r.proposeRegisterContract(DATA_INDEX, r.target));
        expect((await f.registry.getProposal(next)).required).to.equal(4);
      });

      it("lets a member propose its own exit, which the others decide without its vote", async function () {
        const f = await loadFixture(deployWithNetwork);
        const tx = await f.registry.connect(f.chc).proposeSetMemberStatus(f.chc.address, Status.exited);
        const id = await f.registry.proposalCount();
        await expect(tx).to.emit(f.registry, "ProposalCreated");
        await expect(tx).not.to.emit(f.registry, "VoteCast");
        const p = await f.registry.getProposal(id);
        expect([p.proposer, p.eligible, p.required, p.yes, p.no]).to.deep.equal([f.chc.address, 4n, 3n, 0n, 0n]);
        expect(await f.registry.hasVoted(id, f.chc.address)).to.equal(false);
        await expect(f.registry.connect(f.chc).vote(id, true))
          .to.be.revertedWithCustomError(f.registry, "NotEligibleToVote")
          .withArgs(id, f.chc.address);
        await f.registry.connect(f.authority).vote(id, true);
        await f.registry.connect(f.hospital).vote(id, true);
        await expect(f.registry.connect(f.eqa).vote(id, true))
          .to.emit(f.registry, "MemberStatusChanged")
          .withArgs(f.chc.address, Status.active, Status.exited);
        expect(await f.registry.isInAlliance(MEDICAL_ALLIANCE, f.chc.address)).to.equal(false);
      });

      it("lets the others turn down a member's own exit", async function () {
        const f = await loadFixture(deployConsortium);
        const id = await propose(f, f.chc, (r) => r.proposeSetMemberStatus(f.chc.address, Status.exited));
        // 4 eligible, 3 required: the second no makes passing impossible.
        await f.registry.connect(f.authority).vote(id, false);
        await expect(f.registry.connect(f.hospital).vote(id, false)).to.emit(f.registry, "ProposalRejected").withArgs(id);
        expect(await f.registry.isActiveMember(f.chc.address)).to.equal(true);
      });

      it("refuses a member's proposal of its own suspension or reactivation", async function () {
        const f = await loadFixture(deployConsortium);
        const before = await snapshot(f);
        await expect(f.registry.connect(f.chc).proposeSetMemberStatus(f.chc.address, Status.suspended))
          .to.be.revertedWithCustomError(f.registry, "OwnStatusChange")
          .withArgs(f.chc.address, Status.suspended);
        expect(await snapshot(f)).to.deep.equal(before);
        await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.chc.address, Status.suspended));
        await expect(f.registry.connect(f.chc).proposeSetMemberStatus(f.chc.address, Status.active))
          .to.be.revertedWithCustomError(f.registry, "OwnStatusChange")
          .withArgs(f.chc.address, Status.active);
        // A suspended member cannot propose at all, not even its own exit.
        await expect(f.registry.connect(f.chc).proposeSetMemberStatus(f.chc.address, Status.exited))
          .to.be.revertedWithCustomError(f.registry, "NotActiveMember")
          .withArgs(f.chc.address);
      });
    });
  });

  describe("proposeSetMemberRoles", function () {
    it("replaces a member's roles for it and its accounts", async function () {
      const f = await loadFixture(deployWithNetwork);
      const roles = [AUDIT_RECORDER, DATA_CONSUMER];
      const { id, tx } = await enact(f, f.authority, (r) => r.proposeSetMemberRoles(f.hospital.address, roles));
      await expect(tx).to.emit(f.registry, "ProposalExecuted").withArgs(id, Action.setMemberRoles);
      await expect(tx).to.emit(f.registry, "MemberRolesChanged").withArgs(f.hospital.address, roles);
      expect((await f.registry.memberInfo(f.hospital.address)).roles).to.deep.equal(roles);
      for (const account of [f.hospital.address, f.gateway.address]) {
        expect(await f.registry.hasRole(DATA_PROVIDER, account)).to.equal(false);
        expect(await f.registry.hasRole(AUDIT_RECORDER, account)).to.equal(true);
        expect(await f.registry.institutionWithRole(account, AUDIT_RECORDER)).to.equal(f.hospital.address);
      }
    });

    it("can take every role away", async function () {
      const f = await loadFixture(deployConsortium);
      await enact(f, f.authority, (r) => r.proposeSetMemberRoles(f.hospital.address, []));
      expect((await f.registry.memberInfo(f.hospital.address)).roles).to.deep.equal([]);
      expect(await f.registry.hasRole(DATA_PROVIDER, f.hospital.address)).to.equal(false);
      expect(await f.registry.isAllowedAccount(f.hospital.address)).to.equal(true);
    });

    it("changes a suspended member's roles, which apply once it is reactivated", async function () {
      const f = await loadFixture(deployConsortium);
      await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.eqa.address, Status.suspended));
      await enact(f, f.authority, (r) => r.proposeSetMemberRoles(f.eqa.address, [CERT_ISSUER, DATA_PROVIDER]));
      expect(await f.registry.hasRole(DATA_PROVIDER, f.eqa.address)).to.equal(false);
      await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.eqa.address, Status.active));
      expect(await f.registry.hasRole(DATA_PROVIDER, f.eqa.address)).to.equal(true);
    });

    it("rejects unknown and exited members and bad role lists", async function () {
      const f = await loadFixture(deployConsortium);
      const r = f.registry.connect(f.authority);
      await expect(r.proposeSetMemberRoles(f.outsider.address, [DATA_PROVIDER]))
        .to.be.revertedWithCustomError(f.registry, "MemberNotFound")
        .withArgs(f.outsider.address);
      await expect(r.proposeSetMemberRoles(f.chc.address, [DATA_PROVIDER, ethers.ZeroHash]))
        .to.be.revertedWithCustomError(f.registry, "InvalidRole")
        .withArgs(ethers.ZeroHash);
      await expect(r.proposeSetMemberRoles(f.chc.address, [CERT_ISSUER, DATA_PROVIDER, CERT_ISSUER]))
        .to.be.revertedWithCustomError(f.registry, "DuplicateRole")
        .withArgs(CERT_ISSUER);
      await expect(r.proposeSetMemberRoles(f.chc.address, Array.from({ length: 17 }, (_, i) => ethers.id(`R${i}`))))
        .to.be.revertedWithCustomError(f.registry, "TooManyRoles")
        .withArgs(17, 16);
      await enact(f, f.authority, (x) => x.proposeSetMemberStatus(f.chc.address, Status.exited));
      await expect(r.proposeSetMemberRoles(f.chc.address, [DATA_PROVIDER]))
        .to.be.revertedWithCustomError(f.registry, "MemberNotFound")
        .withArgs(f.chc.address);
      expect((await f.registry.memberInfo(f.chc.address)).roles).to.deep.equal([DATA_PROVIDER]);
    });

    it("rejects at the passing vote a member that has exited since", async function () {
      const f = await loadFixture(deployConsortium);
      const id = await propose(f, f.hospital, (r) => r.proposeSetMemberRoles(f.chc.address, [DATA_CONSUMER]));
      await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.chc.address, Status.exited));
      await expectPassingVoteReverts(f, id, "MemberNotFound", [f.chc.address]);
    });
  });

  describe("proposeAddAccount", function () {
    it("allowlists an extra account that acts in its institution's roles", async function () {
      const f = await loadFixture(deployConsortium);
      const { id, tx } = await enact(f, f.authority, (r) => r.proposeAddAccount(f.gateway.address, f.hospital.address));
      await expect(tx).to.emit(f.registry, "ProposalExecuted").withArgs(id, Action.addAccount);
      await expect(tx).to.emit(f.registry, "AccountAllowed").withArgs(f.gateway.address, f.hospital.address);
      expect(await f.registry.accounts()).to.deep.equal([...f.founders.map((m) => m.institution), f.gateway.address]);
      expect(await f.registry.institutionOf(f.gateway.address)).to.equal(f.hospital.address);
      expect(await f.registry.isAllowedAccount(f.gateway.address)).to.equal(true);
      expect(await f.registry.hasRole(DATA_PROVIDER, f.gateway.address)).to.equal(true);
      expect(await f.registry.hasRole(CERT_ISSUER, f.gateway.address)).to.equal(false);
      expect(await f.registry.institutionWithRole(f.gateway.address, DATA_CONSUMER)).to.equal(f.hospital.address);
      // It is not a member itself.
      expect(await f.registry.isActiveMember(f.gateway.address)).to.equal(false);
      expect(await f.registry.members()).not.to.include(f.gateway.address);
      expect(await f.registry.activeMemberCount()).to.equal(5);
    });

    it("gives an extra account no say in governance", async function () {
      const f = await loadFixture(deployWithNetwork);
      await expect(f.registry.connect(f.gateway).proposeSetGovernance(5000, DAY))
        .to.be.revertedWithCustomError(f.registry, "NotActiveMember")
        .withArgs(f.gateway.address);
      const id = await propose(f, f.authority, (r) => r.proposeSetGovernance(5000, DAY));
      await expect(f.registry.connect(f.gateway).vote(id, true))
        .to.be.revertedWithCustomError(f.registry, "NotActiveMember")
        .withArgs(f.gateway.address);
    });

    it("allowlists an account for a suspended member, usable once the member is reactivated", async function () {
      const f = await loadFixture(deployConsortium);
      await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.eqa.address, Status.suspended));
      await enact(f, f.authority, (r) => r.proposeAddAccount(f.relayer.address, f.eqa.address));
      expect(await f.registry.institutionOf(f.relayer.address)).to.equal(f.eqa.address);
      expect(await f.registry.isAllowedAccount(f.relayer.address)).to.equal(false);
      expect(await f.registry.hasRole(CERT_ISSUER, f.relayer.address)).to.equal(false);
      await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.eqa.address, Status.active));
      expect(await f.registry.isAllowedAccount(f.relayer.address)).to.equal(true);
      expect(await f.registry.hasRole(CERT_ISSUER, f.relayer.address)).to.equal(true);
    });

    it("rejects the zero address, non-members, and accounts already allowlisted", async function () {
      const f = await loadFixture(deployWithNetwork);
      const r = f.registry.connect(f.authority);
      const before = await snapshot(f);
      await expect(r.proposeAddAccount(ZERO, f.hospital.address))
        .to.be.revertedWithCustomError(f.registry, "InvalidAccount")
        .withArgs(ZERO);
      await expect(r.proposeAddAccount(f.relayer.address, f.outsider.address))
        .to.be.revertedWithCustomError(f.registry, "MemberNotFound")
        .withArgs(f.outsider.address);
      await expect(r.proposeAddAccount(f.gateway.address, f.hospital.address))
        .to.be.revertedWithCustomError(f.registry, "AccountAlreadyAllowed")
        .withArgs(f.gateway.address, f.hospital.address);
      await expect(r.proposeAddAccount(f.gateway.address, f.chc.address))
        .to.be.revertedWithCustomError(f.registry, "AccountAlreadyAllowed")
        .withArgs(f.gateway.address, f.hospital.address);
      // A member's own address is its primary account already.
      await expect(r.proposeAddAccount(f.eqa.address, f.hospital.address))
        .to.be.revertedWithCustomError(f.registry, "AccountAlreadyAllowed")
        .withArgs(f.eqa.address, f.eqa.address);
      expect(await snapshot(f)).to.deep.equal(before);
    });

    it("rejects an exited member", async function () {
      const f = await loadFixture(deployConsortium);
      await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.chc.address, Status.exited));
      await expect(f.registry.connect(f.authority).proposeAddAccount(f.relayer.address, f.chc.address))
        .to.be.revertedWithCustomError(f.registry, "MemberNotFound")
        .withArgs(f.chc.address);
    });

    it("rejects at the passing vote an account allowlisted since", async function () {
      const f = await loadFixture(deployConsortium);
      const id = await propose(f, f.hospital, (r) => r.proposeAddAccount(f.relayer.address, f.chc.address));
      await enact(f, f.authority, (r) => r.proposeAddAccount(f.relayer.address, f.eqa.address));
      await expectPassingVoteReverts(f, id, "AccountAlreadyAllowed", [f.relayer.address, f.eqa.address]);
    });

    it("rejects at the passing vote an account admitted as a member since", async function () {
      const f = await loadFixture(deployConsortium);
      const id = await propose(f, f.hospital, (r) => r.proposeAddAccount(f.institute.address, f.chc.address));
      await enact(f, f.authority, (r) => r.proposeAddMember(f.institute.address, Kind.researchInstitute, "I", []));
      await expectPassingVoteReverts(f, id, "AccountAlreadyAllowed", [f.institute.address, f.institute.address]);
    });
  });

  describe("proposeRemoveAccount", function () {
    it("takes an extra account off the allowlist", async function () {
      const f = await loadFixture(deployWithNetwork);
      const { id, tx } = await enact(f, f.authority, (r) => r.proposeRemoveAccount(f.gateway.address));
      await expect(tx).to.emit(f.registry, "ProposalExecuted").withArgs(id, Action.removeAccount);
      await expect(tx).to.emit(f.registry, "AccountRemoved").withArgs(f.gateway.address, f.hospital.address);
      expect(await f.registry.accounts()).not.to.include(f.gateway.address);
      expect(await f.registry.institutionOf(f.gateway.address)).to.equal(ZERO);
      expect(await f.registry.isAllowedAccount(f.gateway.address)).to.equal(false);
      expect(await f.registry.hasRole(DATA_PROVIDER, f.gateway.address)).to.equal(false);
      expect(await f.registry.institutionWithRole(f.gateway.address, DATA_PROVIDER)).to.equal(ZERO);
      expect(await f.registry.isAllowedAccount(f.hospital.address)).to.equal(true);
    });

    it("lets a removed account be allowlisted again, for another institution", async function () {
      const f = await loadFixture(deployWithNetwork);
      await enact(f, f.authority, (r) => r.proposeRemoveAccount(f.gateway.address));
      await enact(f, f.authority, (r) => r.proposeAddAccount(f.gateway.address, f.chc.address));
      expect(await f.registry.institutionOf(f.gateway.address)).to.equal(f.chc.address);
    });

    it("rejects an account not on the allowlist and an institution's primary account", async function () {
      const f = await loadFixture(deployWithNetwork);
      const before = await snapshot(f);
      await expect(f.registry.connect(f.authority).proposeRemoveAccount(f.outsider.address))
        .to.be.revertedWithCustomError(f.registry, "AccountNotAllowed")
        .withArgs(f.outsider.address);
      await expect(f.registry.connect(f.authority).proposeRemoveAccount(f.hospital.address))
        .to.be.revertedWithCustomError(f.registry, "CannotRemovePrimaryAccount")
        .withArgs(f.hospital.address);
      expect(await snapshot(f)).to.deep.equal(before);
    });

    it("rejects at the passing vote an account removed since", async function () {
      const f = await loadFixture(deployWithNetwork);
      const id = await propose(f, f.hospital, (r) => r.proposeRemoveAccount(f.gateway.address));
      await enact(f, f.authority, (r) => r.proposeRemoveAccount(f.gateway.address));
      await expectPassingVoteReverts(f, id, "AccountNotAllowed", [f.gateway.address]);
    });
  });

  describe("proposeAddNode", function () {
    it("derives the node address as the last 20 bytes of keccak256 of the 64-byte key", function () {
      const derived = ethers.getAddress(ethers.dataSlice(ethers.keccak256(VALIDATOR_NODE.publicKey), 12));
      expect(ethers.dataLength(VALIDATOR_NODE.publicKey)).to.equal(64);
      expect(derived).to.equal(VALIDATOR_NODE.address);
      expect(derived).to.equal(ethers.computeAddress(VALIDATOR_NODE.signingKey.publicKey));
    });

    it("allowlists a validator node under its derived address", async function () {
      const f = await loadFixture(deployConsortium);
      const { id, tx } = await enact(f, f.authority, (r) =>
        r.proposeAddNode(VALIDATOR_NODE.publicKey, f.operator.address, true),
      );
      await expect(tx).to.emit(f.registry, "ProposalExecuted").withArgs(id, Action.addNode);
      await expect(tx)
        .to.emit(f.registry, "NodeAdded")
        .withArgs(VALIDATOR_NODE.address, f.operator.address, true, VALIDATOR_NODE.publicKey);
      const at = await blockTime(tx);
      expect([...(await f.registry.nodeInfo(VALIDATOR_NODE.address))]).to.deep.equal([
        f.operator.address,
        true,
        BigInt(at),
        VALIDATOR_NODE.publicKey,
      ]);
      expect(await f.registry.nodes()).to.deep.equal([VALIDATOR_NODE.address]);
      expect(await f.registry.validators()).to.deep.equal([VALIDATOR_NODE.address]);
      expect(await f.registry.isNodeAllowed(VALIDATOR_NODE.address)).to.equal(true);
    });

    it("allowlists an observer node that is not a validator", async function () {
      const f = await loadFixture(deployWithNetwork);
      expect(await f.registry.nodes()).to.deep.equal([VALIDATOR_NODE.address, OBSERVER_NODE.address]);
      expect((await f.registry.nodeInfo(OBSERVER_NODE.address)).validator).to.equal(false);
      expect(await f.registry.isNodeAllowed(OBSERVER_NODE.address)).to.equal(true);
      expect(await f.registry.validators()).to.deep.equal([VALIDATOR_NODE.address]);
    });

    it("counts as validators only the validator nodes of active operators", async function () {
      const f = await loadFixture(deployWithNetwork);
      expect(await f.registry.validatorCount()).to.equal(1);
      await enact(f, f.authority, (r) => r.proposeAddNode(SECOND_VALIDATOR.publicKey, f.authority.address, true));
      expect(await f.registry.validators()).to.deep.equal([VALIDATOR_NODE.address, SECOND_VALIDATOR.address]);
      expect(await f.registry.validatorCount()).to.equal(2);
      await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.operator.address, Status.suspended));
      expect(await f.registry.validators()).to.deep.equal([SECOND_VALIDATOR.address]);
      expect(await f.registry.validatorCount()).to.equal(1);
      expect(await f.registry.isNodeAllowed(VALIDATOR_NODE.address)).to.equal(false);
      expect(await f.registry.nodes()).to.deep.equal([
        VALIDATOR_NODE.address,
        OBSERVER_NODE.address,
        SECOND_VALIDATOR.address,
      ]);
      await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.operator.address, Status.active));
      expect(await f.registry.validators()).to.deep.equal([VALIDATOR_NODE.address, SECOND_VALIDATOR.address]);
      expect(await f.registry.validatorCount()).to.equal(2);
      await enact(f, f.hospital, (r) => r.proposeSetMemberStatus(f.authority.address, Status.exited));
      expect(await f.registry.validators()).to.deep.equal([VALIDATOR_NODE.address]);
      expect(await f.registry.validatorCount()).to.equal(1);
      expect(await f.registry.isNodeAllowed(SECOND_VALIDATOR.address)).to.equal(false);
    });

    it("allowlists a node for a suspended operator, allowed once the operator is reactivated", async function () {
      const f = await loadFixture(deployConsortium);
      await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.operator.address, Status.suspended));
      await enact(f, f.authority, (r) => r.proposeAddNode(VALIDATOR_NODE.publicKey, f.operator.address, true));
      expect(await f.registry.isNodeAllowed(VALIDATOR_NODE.address)).to.equal(false);
      expect(await f.registry.validators()).to.deep.equal([]);
      expect(await f.registry.validatorCount()).to.equal(0);
      await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.operator.address, Status.active));
      expect(await f.registry.isNodeAllowed(VALIDATOR_NODE.address)).to.equal(true);
      expect(await f.registry.validators()).to.deep.equal([VALIDATOR_NODE.address]);
      expect(await f.registry.validatorCount()).to.equal(1);
    });

    it("rejects keys that are not 64-byte secp256k1 points, non-member operators and known nodes", async function () {
      const f = await loadFixture(deployWithNetwork);
      const r = f.registry.connect(f.authority);
      const before = await snapshot(f);
      const key = SECOND_VALIDATOR.signingKey;
      const secp256k1P = "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f";
      const xy = ethers.dataSlice(key.publicKey, 1);
      const offCurve = [
        "0x" + "00".repeat(31) + "01" + "00".repeat(31) + "01", // (1, 1): 1 ≠ 1 + 7
        ethers.concat([ethers.dataSlice(xy, 0, 32), ethers.toBeHex(BigInt(ethers.dataSlice(xy, 32)) ^ 1n, 32)]), // y flipped
        "0x" + secp256k1P + ethers.dataSlice(xy, 32).slice(2), // x = p, outside the field
      ];
      for (const bad of [key.publicKey, key.compressedPublicKey, "0x", "0x" + "11".repeat(63), ...offCurve]) {
        await expect(r.proposeAddNode(bad, f.authority.address, true))
          .to.be.revertedWithCustomError(f.registry, "InvalidNodeKey")
          .withArgs(bad);
      }
      await expect(r.proposeAddNode(SECOND_VALIDATOR.publicKey, f.outsider.address, true))
        .to.be.revertedWithCustomError(f.registry, "MemberNotFound")
        .withArgs(f.outsider.address);
      await expect(r.proposeAddNode(VALIDATOR_NODE.publicKey, f.authority.address, false))
        .to.be.revertedWithCustomError(f.registry, "NodeAlreadyAllowed")
        .withArgs(VALIDATOR_NODE.address);
      expect(await snapshot(f)).to.deep.equal(before);
    });

    it("rejects at the passing vote a node allowlisted since", async function () {
      const f = await loadFixture(deployConsortium);
      const id = await propose(f, f.hospital, (r) => r.proposeAddNode(VALIDATOR_NODE.publicKey, f.hospital.address, false));
      await enact(f, f.authority, (r) => r.proposeAddNode(VALIDATOR_NODE.publicKey, f.operator.address, true));
      await expectPassingVoteReverts(f, id, "NodeAlreadyAllowed", [VALIDATOR_NODE.address]);
    });
  });

  describe("proposeRemoveNode", function () {
    it("takes a node off the allowlist and out of the validator set", async function () {
      const f = await loadFixture(deployWithNetwork);
      // Another validator first: the last one cannot be removed.
      await enact(f, f.authority, (r) => r.proposeAddNode(SECOND_VALIDATOR.publicKey, f.authority.address, true));
      const { id, tx } = await enact(f, f.authority, (r) => r.proposeRemoveNode(VALIDATOR_NODE.address));
      await expect(tx).to.emit(f.registry, "ProposalExecuted").withArgs(id, Action.removeNode);
      await expect(tx).to.emit(f.registry, "NodeRemoved").withArgs(VALIDATOR_NODE.address, f.operator.address, true);
      // The set moves its last element into the removed one's place.
      expect(await f.registry.nodes()).to.deep.equal([SECOND_VALIDATOR.address, OBSERVER_NODE.address]);
      expect(await f.registry.validators()).to.deep.equal([SECOND_VALIDATOR.address]);
      expect(await f.registry.validatorCount()).to.equal(1);
      expect(await f.registry.isNodeAllowed(VALIDATOR_NODE.address)).to.equal(false);
      expect([...(await f.registry.nodeInfo(VALIDATOR_NODE.address))]).to.deep.equal([ZERO, false, 0n, "0x"]);
    });

    it("removes an observer node and lets a removed node be allowlisted again", async function () {
      const f = await loadFixture(deployWithNetwork);
      const { tx } = await enact(f, f.authority, (r) => r.proposeRemoveNode(OBSERVER_NODE.address));
      await expect(tx).to.emit(f.registry, "NodeRemoved").withArgs(OBSERVER_NODE.address, f.hospital.address, false);
      await enact(f, f.authority, (r) => r.proposeAddNode(OBSERVER_NODE.publicKey, f.chc.address, true));
      expect((await f.registry.nodeInfo(OBSERVER_NODE.address)).institution).to.equal(f.chc.address);
      expect(await f.registry.validators()).to.deep.equal([VALIDATOR_NODE.address, OBSERVER_NODE.address]);
    });

    it("rejects an unknown node", async function () {
      const f = await loadFixture(deployWithNetwork);
      await expect(f.registry.connect(f.authority).proposeRemoveNode(SECOND_VALIDATOR.address))
        .to.be.revertedWithCustomError(f.registry, "NodeNotFound")
        .withArgs(SECOND_VALIDATOR.address);
    });

    it("rejects at the passing vote a node removed since", async function () {
      const f = await loadFixture(deployWithNetwork);
      await enact(f, f.authority, (r) => r.proposeAddNode(SECOND_VALIDATOR.publicKey, f.authority.address, true));
      const id = await propose(f, f.hospital, (r) => r.proposeRemoveNode(VALIDATOR_NODE.address));
      await enact(f, f.authority, (r) => r.proposeRemoveNode(VALIDATOR_NODE.address));
      await expectPassingVoteReverts(f, id, "NodeNotFound", [VALIDATOR_NODE.address]);
    });
  });

  describe("keeping at least one validator", function () {
    const THIRD_VALIDATOR = nodeIdentity("operator validator node 2");

    it("refuses to suspend or exit the only operator of validators, even on its own proposal", async function () {
      const f = await loadFixture(deployWithNetwork);
      const before = await snapshot(f);
      for (const status of [Status.suspended, Status.exited]) {
        await expect(f.registry.connect(f.authority).proposeSetMemberStatus(f.operator.address, status))
          .to.be.revertedWithCustomError(f.registry, "LastValidator")
          .withArgs(f.operator.address);
      }
      await expect(f.registry.connect(f.operator).proposeSetMemberStatus(f.operator.address, Status.exited))
        .to.be.revertedWithCustomError(f.registry, "LastValidator")
        .withArgs(f.operator.address);
      expect(await snapshot(f)).to.deep.equal(before);
      expect(await f.registry.validators()).to.deep.equal([VALIDATOR_NODE.address]);
    });

    it("refuses to remove the last validator node", async function () {
      const f = await loadFixture(deployWithNetwork);
      const before = await snapshot(f);
      await expect(f.registry.connect(f.authority).proposeRemoveNode(VALIDATOR_NODE.address))
        .to.be.revertedWithCustomError(f.registry, "LastValidator")
        .withArgs(VALIDATOR_NODE.address);
      expect(await snapshot(f)).to.deep.equal(before);
    });

    it("counts every validator node of one operator: it may lose one, not its membership", async function () {
      const f = await loadFixture(deployWithNetwork);
      await enact(f, f.authority, (r) => r.proposeAddNode(THIRD_VALIDATOR.publicKey, f.operator.address, true));
      expect(await f.registry.validatorCount()).to.equal(2);
      await expect(f.registry.connect(f.authority).proposeSetMemberStatus(f.operator.address, Status.suspended))
        .to.be.revertedWithCustomError(f.registry, "LastValidator")
        .withArgs(f.operator.address);
      await enact(f, f.authority, (r) => r.proposeRemoveNode(VALIDATOR_NODE.address));
      expect(await f.registry.validators()).to.deep.equal([THIRD_VALIDATOR.address]);
      await expect(f.registry.connect(f.authority).proposeRemoveNode(THIRD_VALIDATOR.address))
        .to.be.revertedWithCustomError(f.registry, "LastValidator")
        .withArgs(THIRD_VALIDATOR.address);
    });

    it("allows the change once another validator is active; nodes of inactive operators do not count", async function () {
      const f = await loadFixture(deployWithNetwork);
      await enact(f, f.authority, (r) => r.proposeAddNode(SECOND_VALIDATOR.publicKey, f.authority.address, true));
      await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.operator.address, Status.suspended));
      expect(await f.registry.validators()).to.deep.equal([SECOND_VALIDATOR.address]);
      // The authority's node is the last validator now; the suspended operator's is no validator.
      await expect(f.registry.connect(f.hospital).proposeSetMemberStatus(f.authority.address, Status.suspended))
        .to.be.revertedWithCustomError(f.registry, "LastValidator")
        .withArgs(f.authority.address);
      await expect(f.registry.connect(f.hospital).proposeRemoveNode(SECOND_VALIDATOR.address))
        .to.be.revertedWithCustomError(f.registry, "LastValidator")
        .withArgs(SECOND_VALIDATOR.address);
      const { tx } = await enact(f, f.authority, (r) => r.proposeRemoveNode(VALIDATOR_NODE.address));
      await expect(tx).to.emit(f.registry, "NodeRemoved").withArgs(VALIDATOR_NODE.address, f.operator.address, true);
      expect(await f.registry.validatorCount()).to.equal(1);
      await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.operator.address, Status.exited));
      expect(await f.registry.validators()).to.deep.equal([SECOND_VALIDATOR.address]);
    });

    it("rejects at the passing vote suspending an operator whose nodes have become the last validators", async function () {
      const f = await loadFixture(deployWithNetwork);
      await enact(f, f.authority, (r) => r.proposeAddNode(SECOND_VALIDATOR.publicKey, f.authority.address, true));
      const id = await propose(f, f.hospital, (r) => r.proposeSetMemberStatus(f.operator.address, Status.suspended));
      await enact(f, f.authority, (r) => r.proposeRemoveNode(SECOND_VALIDATOR.address));
      await expectPassingVoteReverts(f, id, "LastValidator", [f.operator.address]);
      expect(await f.registry.validators()).to.deep.equal([VALIDATOR_NODE.address]);
    });

    it("rejects at the passing vote removing what has become the last validator", async function () {
      const f = await loadFixture(deployWithNetwork);
      await enact(f, f.authority, (r) => r.proposeAddNode(SECOND_VALIDATOR.publicKey, f.authority.address, true));
      const id = await propose(f, f.hospital, (r) => r.proposeRemoveNode(VALIDATOR_NODE.address));
      await enact(f, f.hospital, (r) => r.proposeSetMemberStatus(f.authority.address, Status.exited));
      await expectPassingVoteReverts(f, id, "LastValidator", [VALIDATOR_NODE.address]);
      expect(await f.registry.validators()).to.deep.equal([VALIDATOR_NODE.address]);
    });

    it("changes nothing on a chain without validators", async function () {
      const f = await loadFixture(deployConsortium);
      await enact(f, f.authority, (r) => r.proposeAddNode(OBSERVER_NODE.publicKey, f.hospital.address, false));
      await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.hospital.address, Status.suspended));
      await enact(f, f.authority, (r) => r.proposeRemoveNode(OBSERVER_NODE.address));
      // A validator node of a suspended operator is no validator: the count stays 0 and nothing is refused.
      await enact(f, f.authority, (r) => r.proposeAddNode(VALIDATOR_NODE.publicKey, f.hospital.address, true));
      expect(await f.registry.validatorCount()).to.equal(0);
      await enact(f, f.authority, (r) => r.proposeRemoveNode(VALIDATOR_NODE.address));
      await enact(f, f.authority, (r) => r.proposeAddNode(VALIDATOR_NODE.publicKey, f.hospital.address, true));
      await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.hospital.address, Status.exited));
      await enact(f, f.authority, (r) => r.proposeSetMemberStatus(f.operator.address, Status.exited));
      expect(await f.registry.validators()).to.deep.equal([]);
      expect(await f.registry.validatorCount()).to.equal(0);
    });
  });

  describe("proposeCreateAlliance", function () {
    it("creates an alliance with its lead as first member", async function () {
      const f = await loadFixture(deployConsortium);
      const name = "Xuhui Medical Alliance (徐汇医联体)";
      const { id, tx } = await enact(f, f.authority, (r) =>
        r.proposeCreateAlliance(MEDICAL_ALLIANCE, AllianceKind.medicalAlliance, name, f.hospital.address),
      );
      await expect(tx).to.emit(f.registry, "ProposalExecuted").withArgs(id, Action.createAlliance);
      await expect(tx)
        .to.emit(f.registry, "AllianceCreated")
        .withArgs(MEDICAL_ALLIANCE, AllianceKind.medicalAlliance, f.hospital.address, name);
      await expect(tx).to.emit(f.registry, "AllianceJoined").withArgs(MEDICAL_ALLIANCE, f.hospital.address);
      const at = await blockTime(tx);
      const [kind, lead, createdAt, storedName, memberList] = await f.registry.allianceInfo(MEDICAL_ALLIANCE);
      expect([kind, lead, createdAt, storedName, [...memberList]]).to.deep.equal([
        BigInt(AllianceKind.medicalAlliance),
        f.hospital.address,
        BigInt(at),
        name,
        [f.hospital.address],
      ]);
      expect(await f.registry.alliances()).to.deep.equal([MEDICAL_ALLIANCE]);
      expect(await f.registry.isInAlliance(MEDICAL_ALLIANCE, f.hospital.address)).to.equal(true);
      expect(await f.registry.isInAlliance(MEDICAL_ALLIANCE, f.chc.address)).to.equal(false);
    });

    it("rejects a zero id, an unknown kind, an empty name, a known id and a non-member lead", async function () {
      const f = await loadFixture(deployWithNetwork);
      const r = f.registry.connect(f.authority);
      const before = await snapshot(f);
      await expect(
        r.proposeCreateAlliance(ethers.ZeroHash, AllianceKind.other, "A", f.hospital.address),
      ).to.be.revertedWithCustomError(f.registry, "InvalidAllianceId");
      await expect(r.proposeCreateAlliance(SPECIALIST_ALLIANCE, 5, "A", f.hospital.address))
        .to.be.revertedWithCustomError(f.registry, "InvalidAllianceKind")
        .withArgs(5);
      await expect(
        r.proposeCreateAlliance(SPECIALIST_ALLIANCE, AllianceKind.specialist, "", f.hospital.address),
      ).to.be.revertedWithCustomError(f.registry, "EmptyName");
      await expect(r.proposeCreateAlliance(MEDICAL_ALLIANCE, AllianceKind.medicalAlliance, "Again", f.chc.address))
        .to.be.revertedWithCustomError(f.registry, "AllianceAlreadyExists")
        .withArgs(MEDICAL_ALLIANCE);
      await expect(r.proposeCreateAlliance(SPECIALIST_ALLIANCE, AllianceKind.specialist, "A", f.outsider.address))
        .to.be.revertedWithCustomError(f.registry, "MemberNotFound")
        .withArgs(f.outsider.address);
      expect(await snapshot(f)).to.deep.equal(before);
    });

    it("rejects at the passing vote an alliance created since", async function () {
      const f = await loadFixture(deployConsortium);
      const create = (lead: string) => (r: Registry) =>
        r.proposeCreateAlliance(MEDICAL_ALLIANCE, AllianceKind.medicalCommunity, "Community", lead);
      const id = await propose(f, f.hospital, create(f.chc.address));
      await enact(f, f.authority, create(f.hospital.address));
      await expectPassingVoteReverts(f, id, "AllianceAlreadyExists", [MEDICAL_ALLIANCE]);
    });
  });

  describe("proposeJoinAlliance", function () {
    it("adds a member to an alliance", async function () {
      const f = await loadFixture(deployWithNetwork);
      const { id, tx } = await enact(f, f.authority, (r) => r.proposeJoinAlliance(MEDICAL_ALLIANCE, f.eqa.address));
      await expect(tx).to.emit(f.registry, "ProposalExecuted").withArgs(id, Action.joinAlliance);
      await expect(tx).to.emit(f.registry, "AllianceJoined").withArgs(MEDICAL_ALLIANCE, f.eqa.address);
      expect(await f.registry.isInAlliance(MEDICAL_ALLIANCE, f.eqa.address)).to.equal(true);
      expect((await f.registry.allianceInfo(MEDICAL_ALLIANCE)).memberList).to.deep.equal([
        f.hospital.address,
        f.chc.address,
        f.eqa.address,
      ]);
    });

    it("rejects an unknown alliance, a non-member and a member already in it", async function () {
      const f = await loadFixture(deployWithNetwork);
      const r = f.registry.connect(f.authority);
      await expect(r.proposeJoinAlliance(SPECIALIST_ALLIANCE, f.eqa.address))
        .to.be.revertedWithCustomError(f.registry, "AllianceNotFound")
        .withArgs(SPECIALIST_ALLIANCE);
      await expect(r.proposeJoinAlliance(MEDICAL_ALLIANCE, f.outsider.address))
        .to.be.revertedWithCustomError(f.registry, "MemberNotFound")
        .withArgs(f.outsider.address);
      for (const inside of [f.hospital.address, f.chc.address]) {
        await expect(r.proposeJoinAlliance(MEDICAL_ALLIANCE, inside))
          .to.be.revertedWithCustomError(f.registry, "AlreadyInAlliance")
          .withArgs(MEDICAL_ALLIANCE, inside);
      }
    });

    it("rejects at the passing vote a member that joined since", async function () {
      const f = await loadFixture(deployWithNetwork);
      const id = await propose(f, f.hospital, (r) => r.proposeJoinAlliance(MEDICAL_ALLIANCE, f.eqa.address));
      await enact(f, f.authority, (r) => r.proposeJoinAlliance(MEDICAL_ALLIANCE, f.eqa.address));
      await expectPassingVoteReverts(f, id, "AlreadyInAlliance", [MEDICAL_ALLIANCE, f.eqa.address]);
    });
  });

  describe("proposeLeaveAlliance", function () {
    it("takes a member out of an alliance", async function () {
      const f = await loadFixture(deployWithNetwork);
      const { id, tx } = await enact(f, f.authority, (r) => r.proposeLeaveAlliance(MEDICAL_ALLIANCE, f.chc.address));
      await expect(tx).to.emit(f.registry, "ProposalExecuted").withArgs(id, Action.leaveAlliance);
      await expect(tx).to.emit(f.registry, "AllianceLeft").withArgs(MEDICAL_ALLIANCE, f.chc.address);
      expect(await f.registry.isInAlliance(MEDICAL_ALLIANCE, f.chc.address)).to.equal(false);
      expect((await f.registry.allianceInfo(MEDICAL_ALLIANCE)).memberList).to.deep.equal([f.hospital.address]);
      expect(await f.registry.isActiveMember(f.chc.address)).to.equal(true);
    });

    it("rejects an unknown alliance, an institution not in it, and its lead", async function () {
      const f = await loadFixture(deployWithNetwork);
      const r = f.registry.connect(f.authority);
      await expect(r.proposeLeaveAlliance(SPECIALIST_ALLIANCE, f.chc.address))
        .to.be.revertedWithCustomError(f.registry, "AllianceNotFound")
        .withArgs(SPECIALIST_ALLIANCE);
      await expect(r.proposeLeaveAlliance(MEDICAL_ALLIANCE, f.eqa.address))
        .to.be.revertedWithCustomError(f.registry, "NotInAlliance")
        .withArgs(MEDICAL_ALLIANCE, f.eqa.address);
      await expect(r.proposeLeaveAlliance(MEDICAL_ALLIANCE, f.hospital.address))
        .to.be.revertedWithCustomError(f.registry, "LeadCannotLeave")
        .withArgs(MEDICAL_ALLIANCE, f.hospital.address);
      expect(await f.registry.isInAlliance(MEDICAL_ALLIANCE, f.hospital.address)).to.equal(true);
    });

    it("rejects at the passing vote a member that left since", async function () {
      const f = await loadFixture(deployWithNetwork);
      const id = await propose(f, f.hospital, (r) => r.proposeLeaveAlliance(MEDICAL_ALLIANCE, f.chc.address));
      await enact(f, f.authority, (r) => r.proposeLeaveAlliance(MEDICAL_ALLIANCE, f.chc.address));
      await expectPassingVoteReverts(f, id, "NotInAlliance", [MEDICAL_ALLIANCE, f.chc.address]);
    });
  });

  describe("proposeSetGovernance", function () {
    it("changes the threshold and voting period used by later proposals", async function () {
      const f = await loadFixture(deployConsortium);
      const { id, tx } = await enact(f, f.authority, (r) => r.proposeSetGovernance(5000, DAY));
      await expect(tx).to.emit(f.registry, "ProposalExecuted").withArgs(id, Action.setGovernance);
      await expect(tx).to.emit(f.registry, "GovernanceChanged").withArgs(5000, DAY);
      expect(await f.registry.thresholdBps()).to.equal(5000);
      expect(await f.registry.votingPeriod()).to.equal(DAY);
      expect(await f.registry.requiredVotes()).to.equal(3); // ceil(5 × 0.5)
      const next = await f.registry.connect(f.hospital).proposeRegisterContract(DATA_INDEX, f.registry.target);
      const at = await blockTime(next);
      await expect(next)
        .to.emit(f.registry, "ProposalCreated")
        .withArgs(
          id + 1n,
          f.hospital.address,
          Action.registerContract,
          abi.encode(["bytes32", "address"], [DATA_INDEX, f.registry.target]),
          at + DAY,
          3,
        );
    });

    it("rejects a threshold outside 1..10000 bps and a period outside one hour..90 days", async function () {
      const f = await loadFixture(deployConsortium);
      const r = f.registry.connect(f.authority);
      for (const bps of [0, 10_001, 65_535]) {
        await expect(r.proposeSetGovernance(bps, DAY))
          .to.be.revertedWithCustomError(f.registry, "InvalidThreshold")
          .withArgs(bps);
      }
      for (const period of [0, HOUR - 1, 90 * DAY + 1]) {
        await expect(r.proposeSetGovernance(5000, period))
          .to.be.revertedWithCustomError(f.registry, "InvalidVotingPeriod")
          .withArgs(period);
      }
      expect(await f.registry.proposalCount()).to.equal(0);
    });
  });

  describe("proposeRegisterContract", function () {
    it("registers versions 1, 2, … of a contract and keeps every version", async function () {
      const f = await loadFixture(deployConsortium);
      const v1 = await f.registry.getAddress();
      const v2 = await (await ethers.deployContract("ConsortiumRegistry", [f.founders, THRESHOLD_BPS, VOTING_PERIOD])).getAddress();
      const first = await enact(f, f.authority, (r) => r.proposeRegisterContract(DATA_INDEX, v1));
      await expect(first.tx).to.emit(f.registry, "ProposalExecuted").withArgs(first.id, Action.registerContract);
      await expect(first.tx).to.emit(f.registry, "ContractRegistered").withArgs(DATA_INDEX, v1, 1);
      expect([...(await f.registry.contractAddress(DATA_INDEX))]).to.deep.equal([v1, 1n]);
      const second = await enact(f, f.authority, (r) => r.proposeRegisterContract(DATA_INDEX, v2));
      await expect(second.tx).to.emit(f.registry, "ContractRegistered").withArgs(DATA_INDEX, v2, 2);
      expect([...(await f.registry.contractAddress(DATA_INDEX))]).to.deep.equal([v2, 2n]);
      const versions = (await f.registry.contractVersions(DATA_INDEX)).map((v) => [...v]);
      expect(versions).to.deep.equal([
        [v1, 1n, BigInt(await blockTime(first.tx))],
        [v2, 2n, BigInt(await blockTime(second.tx))],
      ]);
      expect(await f.registry.contractNames()).to.deep.equal([DATA_INDEX]);
      await enact(f, f.authority, (r) => r.proposeRegisterContract(CONSENT_REGISTRY, v2));
      expect(await f.registry.contractNames()).to.deep.equal([DATA_INDEX, CONSENT_REGISTRY]);
      expect([...(await f.registry.contractAddress(CONSENT_REGISTRY))]).to.deep.equal([v2, 1n]);
    });

    it("reports no deployment for an unregistered name", async function () {
      const { registry } = await loadFixture(deployConsortium);
      expect([...(await registry.contractAddress(DATA_INDEX))]).to.deep.equal([ZERO, 0n]);
      expect(await registry.contractVersions(DATA_INDEX)).to.deep.equal([]);
    });

    it("rejects a zero name and an address without code", async function () {
      const f = await loadFixture(deployConsortium);
      const r = f.registry.connect(f.authority);
      await expect(r.proposeRegisterContract(ethers.ZeroHash, f.registry.target)).to.be.revertedWithCustomError(
        f.registry,
        "InvalidContractName",
      );
      await expect(r.proposeRegisterContract(DATA_INDEX, f.outsider.address))
        .to.be.revertedWithCustomError(f.registry, "NotAContract")
        .withArgs(f.outsider.address);
      expect(await f.registry.proposalCount()).to.equal(0);
    });

    it("rejects at the passing vote a deployment whose code is gone", async function () {
      const f = await loadFixture(deployConsortium);
      const doomed = await ethers.deployContract("ConsortiumRegistry", [f.founders, THRESHOLD_BPS, VOTING_PERIOD]);
      const id = await propose(f, f.authority, (r) => r.proposeRegisterContract(DATA_INDEX, doomed.target));
      await networkHelpers.setCode(await doomed.getAddress(), "0x"); // as by SELFDESTRUCT, which Shanghai still honours
      await expectPassingVoteReverts(f, id, "NotAContract", [doomed.target]);
    });
  });

  describe("IConsortiumRegistry views", function () {
    it("know nothing of an address that was never allowlisted", async function () {
      const f = await loadFixture(deployConsortium);
      const who = f.outsider.address;
      expect(await f.registry.institutionOf(who)).to.equal(ZERO);
      expect(await f.registry.isActiveMember(who)).to.equal(false);
      expect(await f.registry.isAllowedAccount(who)).to.equal(false);
      expect(await f.registry.hasRole(DATA_PROVIDER, who)).to.equal(false);
      expect(await f.registry.institutionWithRole(who, DATA_PROVIDER)).to.equal(ZERO);
      expect([...(await f.registry.memberInfo(who))]).to.deep.equal([0n, 0n, 0n, "", []]);
      expect(await f.registry.hasRole(ethers.ZeroHash, ZERO)).to.equal(false);
    });

    it("report an empty alliance and proposal for unknown ids", async function () {
      const f = await loadFixture(deployConsortium);
      expect([...(await f.registry.allianceInfo(MEDICAL_ALLIANCE))]).to.deep.equal([0n, ZERO, 0n, "", []]);
      expect(await f.registry.isInAlliance(MEDICAL_ALLIANCE, f.hospital.address)).to.equal(false);
      const p = await f.registry.getProposal(42);
      expect([p.proposer, p.createdAt, p.yes, p.params]).to.deep.equal([ZERO, 0n, 0n, "0x"]);
      expect(await f.registry.hasVoted(42, f.hospital.address)).to.equal(false);
    });
  });
});

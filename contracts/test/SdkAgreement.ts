// The sdk and the contracts agree: Merkle proofs (the TypeScript verifier against
// MerkleBatch.verify through AuditTrail and DataIndex, on thousands of random trees), EIP-712 type
// hashes and digests, code constants, and the typed viem client over Hardhat's in-process chain.
import { readFileSync } from "node:fs";
import { expect } from "chai";
import type { ContractTransactionResponse } from "ethers";
import { network } from "hardhat";
import {
  ACCESS_OUTCOMES,
  ALLIANCE_KINDS,
  ALL_PURPOSES_MASK,
  BATCH_KINDS,
  CERTIFICATE_STATUS,
  CHANGE_REASONS,
  CONSENT_DOMAIN_NAME,
  CONSENT_DOMAIN_VERSION,
  CONSENT_PRIMARY_TYPES,
  CONSENT_SCOPE_ALL,
  CONTRACT_NAMES,
  DOCUMENT_TYPES,
  GRANTEE_KINDS,
  INSTITUTION_KINDS,
  LIMITS,
  MEMBER_STATUS,
  PROPOSAL_ACTIONS,
  PROPOSAL_STATES,
  PURPOSES,
  RELATIONS,
  REQUEST_MODES,
  REQUEST_STATUS,
  REVOCATION_REASONS,
  ROLES,
  WORKFLOW_DECISIONS,
  WORKFLOW_STATUS,
  WORKFLOW_STEPS,
  buildBatch,
  changeItem,
  consentDigest,
  consentDomain,
  consentTypeHash,
  consentTypedData,
  createHealthChainClient,
  entryItem,
  grantIdOf,
  isPlatformError,
  parseDeployments,
  purposeMask,
  toPlatformError,
  verifyMerkleProof,
  type CodeTable,
  type ConsentMessage,
  type ConsentPrimaryType,
  type Deployments,
  type IndexEntry,
  type MerkleBatch,
  type RecordChange,
} from "@health-chain/sdk";
import {
  createPublicClient,
  createWalletClient,
  custom,
  getAddress,
  keccak256,
  stringToBytes,
  type Address,
  type Hex,
} from "viem";
import { hardhat } from "viem/chains";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";

// A zero request hash is a legal value of the type (the contract refuses it when relayed).
const ZERO_HASH_FOR_REJECTION = `0x${"00".repeat(32)}` as const;

const connection = await network.create();
const { ethers, networkHelpers, provider } = connection;
const { time, loadFixture } = networkHelpers;

const THRESHOLD_BPS = 5000;
const VOTING_PERIOD = 3600;
const DAY = 24 * 3600;

type Signer = Awaited<ReturnType<typeof ethers.getSigners>>[number];

async function deployFixture() {
  const [platform, hospital, authority, relayer, doctor] = (await ethers.getSigners()) as [
    Signer,
    Signer,
    Signer,
    Signer,
    Signer,
  ];
  const founders = [
    {
      institution: platform.address,
      kind: INSTITUTION_KINDS.platformOperator.code,
      name: "Regional Health Data Platform",
      roles: [ROLES.auditRecorder.id],
    },
    {
      institution: hospital.address,
      kind: INSTITUTION_KINDS.hospital.code,
      name: "District Central Hospital",
      roles: [ROLES.dataProvider.id],
    },
    {
      institution: authority.address,
      kind: INSTITUTION_KINDS.healthAuthority.code,
      name: "District Health Commission",
      roles: [ROLES.dataConsumer.id, ROLES.sharingApprover.id],
    },
  ];
  const registry = await ethers.deployContract("ConsortiumRegistry", [founders, THRESHOLD_BPS, VOTING_PERIOD]);
  const at = await registry.getAddress();
  const consent = await ethers.deployContract("ConsentRegistry", [at]);
  const dataIndex = await ethers.deployContract("DataIndex", [at]);
  const certificates = await ethers.deployContract("CertificateRegistry", [at]);
  const audit = await ethers.deployContract("AuditTrail", [at]);
  const contracts = {
    ConsortiumRegistry: registry,
    ConsentRegistry: consent,
    DataIndex: dataIndex,
    CertificateRegistry: certificates,
    AuditTrail: audit,
  };
  const { chainId } = await ethers.provider.getNetwork();
  return {
    registry,
    consent,
    dataIndex,
    certificates,
    audit,
    contracts,
    chainId,
    founders,
    platform,
    hospital,
    authority,
    relayer,
    doctor,
  };
}

type Fixture = Awaited<ReturnType<typeof deployFixture>>;

/** The deployments file of the fixture, as deploy.ts would write it, checked by the sdk. */
async function deploymentsOf(f: Fixture): Promise<Deployments> {
  const entries = await Promise.all(
    CONTRACT_NAMES.map(async (name) => {
      const tx = f.contracts[name].deploymentTransaction()!;
      const receipt = (await tx.wait())!;
      return [
        name,
        { address: await f.contracts[name].getAddress(), blockNumber: receipt.blockNumber, txHash: tx.hash },
      ] as const;
    }),
  );
  const first = (await ethers.provider.getBlock(entries[0]![1].blockNumber))!;
  return parseDeployments({
    chainId: Number(f.chainId),
    network: connection.networkName,
    deployedAt: new Date(first.timestamp * 1000).toISOString(),
    deployer: f.platform.address,
    contracts: Object.fromEntries(entries),
  });
}

/** A small seeded generator (mulberry32): a failing tree can be rebuilt from the printed seed. */
function randomSource(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const below = (n: number) => Math.floor(next() * n);
  const bytes32 = (): Hex =>
    `0x${Array.from({ length: 8 }, () =>
      below(2 ** 32)
        .toString(16)
        .padStart(8, "0"),
    ).join("")}`;
  return { below, bytes32 };
}

const flip = (hex: Hex): Hex => `${hex.slice(0, -1)}${hex.endsWith("0") ? "1" : "0"}` as Hex;

describe("SDK and contracts agree", function () {
  describe("Merkle batches", function () {
    it("the TypeScript and Solidity verifiers agree on 2,000 random trees: a valid proof and six tamperings each", async function () {
      this.timeout(180_000);
      const f = await loadFixture(deployFixture);
      const seed = Number(process.env.SDK_AGREEMENT_SEED ?? Math.floor(Math.random() * 2 ** 32));
      const random = randomSource(seed);
      const started = performance.now();
      const TREES = 2_000;
      const now = await time.latest();

      const trees: { items: Hex[]; batch: MerkleBatch; sent: Promise<ContractTransactionResponse> }[] = [];
      // Not awaited one by one, so the nonces are assigned here: a node that pools transactions
      // (a chain-node) would otherwise see concurrent sends pick the same pending nonce.
      const firstNonce = await f.platform.getNonce("pending");
      for (let t = 0; t < TREES; t++) {
        const items = Array.from({ length: 1 + random.below(300) }, random.bytes32);
        const batch = buildBatch(items);
        trees.push({
          items,
          batch,
          sent: f.audit.connect(f.platform).recordAccessBatch(batch.root, items.length, now - 3600, now, { nonce: firstNonce + t }),
        });
      }
      // Accepted is not yet mined on a node that pools transactions: one sender's transactions are
      // mined in nonce order, so the last one's receipt means all were (the count checks it).
      const sent = await Promise.all(trees.map((t) => t.sent));
      await sent.at(-1)!.wait();
      expect(await f.audit.accessBatchCount()).to.equal(BigInt(TREES));
      // Sent concurrently, so looked up by root rather than assumed to be numbered in order.
      const batchIds = await Promise.all(trees.map((t) => f.audit.accessBatchIdOf(f.platform.address, t.batch.root)));
      const anchored = performance.now();

      type Case = { name: string; item: Hex; index: number; proof: Hex[]; valid: boolean };
      const checks: { tree: number; c: Case }[] = [];
      trees.forEach(({ items, batch }, t) => {
        const n = items.length;
        const index = random.below(n);
        const item = items[index]!;
        const proof = batch.proof(index);
        const cases: Case[] = [{ name: "valid", item, index, proof, valid: true }];
        cases.push({ name: "flipped item", item: flip(item), index, proof, valid: false });
        if (proof.length > 0) {
          const k = random.below(proof.length);
          cases.push({
            name: "flipped sibling",
            item,
            index,
            proof: proof.map((p, j) => (j === k ? flip(p) : p)),
            valid: false,
          });
          cases.push({
            name: "truncated proof",
            item,
            index,
            proof: proof.slice(0, random.below(proof.length)),
            valid: false,
          });
        }
        if (n > 1)
          cases.push({ name: "other index", item, index: (index + 1 + random.below(n - 1)) % n, proof, valid: false });
        cases.push({ name: "index out of range", item, index: n + random.below(3), proof, valid: false });
        cases.push({ name: "extra sibling", item, index, proof: [...proof, random.bytes32()], valid: false });
        for (const c of cases) checks.push({ tree: t, c });
      });

      const onChain = await Promise.all(
        checks.map(({ tree, c }) =>
          f.audit.verifyAccessLine(batchIds[tree]!, f.platform.address, c.item, c.index, c.proof),
        ),
      );
      const tally: Record<string, number> = {};
      checks.forEach(({ tree, c }, k) => {
        const n = trees[tree]!.items.length;
        const offChain = verifyMerkleProof(trees[tree]!.batch.root, n, c.item, c.index, c.proof);
        const where = `seed ${seed}, tree ${tree} (${n} leaves), ${c.name} at index ${c.index}`;
        expect(offChain, where).to.equal(onChain[k]);
        expect(offChain, where).to.equal(c.valid);
        tally[c.name] = (tally[c.name] ?? 0) + 1;
      });
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `      ${TREES} trees (seed ${seed}): ${((anchored - started) / 1000).toFixed(1)} s anchoring, ` +
          `${checks.length} proofs compared in ${seconds.toFixed(1)} s total — ${JSON.stringify(tally)}`,
      );
    });

    it("the one documented difference: a proof longer than 32 is false on chain and INVALID_PROOF off chain", async function () {
      const f = await loadFixture(deployFixture);
      const items = Array.from({ length: 3 }, (_, i) => keccak256(stringToBytes(`line ${i}`)));
      const batch = buildBatch(items);
      const now = await time.latest();
      await f.audit.connect(f.platform).recordAccessBatch(batch.root, 3, now - 60, now);
      const long = Array<Hex>(33).fill(batch.root);
      expect(await f.audit.verifyAccessLine(1, f.platform.address, items[0]!, 0, long)).to.equal(false);
      expect(() => verifyMerkleProof(batch.root, 3, items[0]!, 0, long))
        .to.throw()
        .that.satisfies((e: unknown) => isPlatformError(e, "INVALID_PROOF"));
    });

    it("a DataIndex records batch and changes batch: sdk items and proofs pass verifyEntry and verifyChange", async function () {
      const f = await loadFixture(deployFixture);
      const random = randomSource(7);
      const now = BigInt(await time.latest());
      const entries: IndexEntry[] = Array.from({ length: 77 }, (_, i) => ({
        recordId: random.bytes32(),
        residentRef: random.bytes32(),
        institution: f.hospital.address as Address,
        category: keccak256(stringToBytes(i % 2 === 0 ? "category:LAB_REPORT" : "category:IMAGING")),
        contentHash: random.bytes32(),
        schemaVersion: 1 + (i % 3),
        pointerHash: random.bytes32(),
        sourceTime: now - BigInt(i * 60),
      }));
      const items = entries.map(entryItem);
      for (const k of [0, 38, 76]) expect(items[k]).to.equal(await f.dataIndex.entryItem(entries[k]!));
      const batch = buildBatch(items);
      await f.dataIndex.connect(f.hospital).anchorBatch(BATCH_KINDS.records.code, batch.root, entries.length);
      const batchId = await f.dataIndex.batchCount();
      const results = await Promise.all(entries.map((e, i) => f.dataIndex.verifyEntry(batchId, e, i, batch.proof(i))));
      expect(results.every(Boolean)).to.equal(true);
      entries.forEach((e, i) =>
        expect(verifyMerkleProof(batch.root, entries.length, entryItem(e), i, batch.proof(i))).to.equal(true),
      );
      const altered = { ...entries[5]!, contentHash: random.bytes32() };
      expect(await f.dataIndex.verifyEntry(batchId, altered, 5, batch.proof(5))).to.equal(false);
      expect(verifyMerkleProof(batch.root, entries.length, entryItem(altered), 5, batch.proof(5))).to.equal(false);

      // Change 3 is an identity merge: a new resident reference, content and pointer kept.
      const changes: RecordChange[] = entries.slice(0, 10).map((e, i) => ({
        recordId: e.recordId,
        institution: e.institution,
        previousContentHash: e.contentHash,
        newContentHash: i === 3 ? e.contentHash : random.bytes32(),
        newPointerHash: i === 3 ? e.pointerHash : random.bytes32(),
        newResidentRef: i === 3 ? random.bytes32() : `0x${"00".repeat(32)}`,
        reason: i === 3 ? CHANGE_REASONS.identityMerge.code : CHANGE_REASONS.correction.code,
        changedAt: now,
      }));
      const changeBatch = buildBatch(changes.map(changeItem));
      expect(changeItem(changes[3]!)).to.equal(await f.dataIndex.changeItem(changes[3]!));
      await f.dataIndex.connect(f.hospital).anchorBatch(BATCH_KINDS.changes.code, changeBatch.root, changes.length);
      const changeBatchId = await f.dataIndex.batchCount();
      for (const [i, c] of changes.entries()) {
        expect(await f.dataIndex.verifyChange(changeBatchId, c, i, changeBatch.proof(i))).to.equal(true);
      }
    });
  });

  describe("EIP-712 consent messages", function () {
    const h = (label: string): Hex => keccak256(stringToBytes(label));
    const DIGEST_VIEW = {
      ConsentGrant: "grantDigest",
      ConsentNarrowing: "narrowingDigest",
      ConsentRevocation: "revocationDigest",
      RequestAnswer: "answerDigest",
      Delegation: "delegationDigest",
      DelegationRevocation: "delegationRevocationDigest",
      Reshare: "reshareDigest",
    } as const satisfies Record<ConsentPrimaryType, string>;

    function samples(resident: Address, delegate: Address): { [T in ConsentPrimaryType]: ConsentMessage<T>[] } {
      const grant: ConsentMessage<"ConsentGrant"> = {
        resident,
        grantee: `0x${"00".repeat(12)}${delegate.slice(2)}`,
        granteeKind: GRANTEE_KINDS.doctor.code,
        categories: [h("category:LAB_REPORT")],
        recordIds: [h("record:1"), h("record:2")],
        fields: [h("field:diagnosis")],
        purposes: purposeMask("treatment", "referral"),
        notBefore: 1_760_000_000n,
        notAfter: 1_762_592_000n,
        mayReshare: true,
        nonce: 2n ** 255n + 1n,
        deadline: 1_760_003_600n,
      };
      return {
        ConsentGrant: [
          grant,
          {
            ...grant,
            categories: [CONSENT_SCOPE_ALL],
            recordIds: [],
            fields: [CONSENT_SCOPE_ALL],
            purposes: ALL_PURPOSES_MASK,
            mayReshare: false,
          },
          {
            ...grant,
            granteeKind: GRANTEE_KINDS.project.code,
            grantee: h("project:cohort"),
            categories: [],
            nonce: 0n,
          },
        ],
        ConsentNarrowing: [
          {
            grantId: h("g"),
            removeCategories: [],
            removeRecordIds: [h("record:1")],
            removeFields: [],
            removePurposes: 2,
            notAfter: 0n,
            nonce: 1n,
            deadline: 9n,
          },
          {
            grantId: h("g"),
            removeCategories: [h("c1"), h("c2")],
            removeRecordIds: [],
            removeFields: [h("f")],
            removePurposes: 0,
            notAfter: 1_761_000_000n,
            nonce: 2n,
            deadline: 9n,
          },
        ],
        ConsentRevocation: [{ grantId: h("g"), nonce: 3n, deadline: 2n ** 64n - 1n }],
        RequestAnswer: [
          {
            requestId: h("r"),
            requestHash: h("request content"),
            approve: true,
            mode: REQUEST_MODES.onSite.code,
            notBefore: 1n,
            notAfter: 2n,
            nonce: 4n,
            deadline: 9n,
          },
          {
            requestId: h("r"),
            requestHash: ZERO_HASH_FOR_REJECTION,
            approve: false,
            mode: REQUEST_MODES.remote.code,
            notBefore: 0n,
            notAfter: 0n,
            nonce: 5n,
            deadline: 9n,
          },
        ],
        Delegation: [
          { resident, delegate, relation: RELATIONS.family.code, notAfter: 1_790_000_000n, nonce: 6n, deadline: 9n },
        ],
        DelegationRevocation: [{ resident, delegate, delegationId: h("d"), nonce: 7n, deadline: 9n }],
        Reshare: [
          {
            parentId: h("g"),
            grantee: h("project:p"),
            granteeKind: GRANTEE_KINDS.project.code,
            categories: [],
            recordIds: [h("record:1")],
            fields: [h("field:diagnosis")],
            purposes: 1,
            notAfter: 1_761_000_000n,
            nonce: 8n,
            deadline: 9n,
          },
        ],
      };
    }

    for (const type of CONSENT_PRIMARY_TYPES) {
      it(`${type}: the type hash and the digests equal the contract's`, async function () {
        const f = await loadFixture(deployFixture);
        const constant = `${type.replace(/(?<=[a-z])(?=[A-Z])/g, "_").toUpperCase()}_TYPEHASH`;
        expect(await f.consent.getFunction(constant)()).to.equal(consentTypeHash(type));
        const domain = consentDomain(f.chainId, (await f.consent.getAddress()) as Address);
        for (const message of samples(f.hospital.address as Address, f.doctor.address as Address)[type]) {
          const onChain = await f.consent.getFunction(DIGEST_VIEW[type])(message);
          expect(consentDigest(type, message as never, domain)).to.equal(onChain);
        }
      });
    }

    it("the domain is the one the contract publishes (EIP-5267)", async function () {
      const f = await loadFixture(deployFixture);
      const published = await f.consent.eip712Domain();
      const domain = consentDomain(f.chainId, (await f.consent.getAddress()) as Address);
      expect([published.name, published.version, published.chainId, published.verifyingContract]).to.deep.equal([
        CONSENT_DOMAIN_NAME,
        CONSENT_DOMAIN_VERSION,
        BigInt(domain.chainId),
        domain.verifyingContract,
      ]);
    });
  });

  describe("codes", function () {
    const source = (name: string) => readFileSync(new URL(`../src/${name}`, import.meta.url), "utf8");
    const lowerFirst = (s: string) => `${s[0]!.toLowerCase()}${s.slice(1)}`;

    /** The members of `enum <name> { … }` in a contract's source, comments stripped. */
    function enumMembers(file: string, name: string): string[] {
      const body = new RegExp(`enum ${name} \\{([^}]*)\\}`).exec(source(file))?.[1];
      if (body === undefined) throw new Error(`no enum ${name} in ${file}`);
      return body
        .replace(/\/\/[^\n]*/g, "")
        .split(",")
        .map((m) => m.trim())
        .filter(Boolean);
    }

    /** The table as [name, code] in code order. */
    const entries = (table: CodeTable) => Object.entries(table).map(([name, { code }]) => [name, code]);

    const ENUMS: [string, string, CodeTable][] = [
      ["ConsortiumRegistry.sol", "Action", PROPOSAL_ACTIONS],
      ["ConsortiumRegistry.sol", "ProposalState", PROPOSAL_STATES],
      ["DataIndex.sol", "BatchKind", BATCH_KINDS],
      ["DataIndex.sol", "ChangeReason", CHANGE_REASONS],
      ["CertificateRegistry.sol", "DocumentType", DOCUMENT_TYPES],
      ["CertificateRegistry.sol", "RevocationReason", REVOCATION_REASONS],
      ["CertificateRegistry.sol", "Status", CERTIFICATE_STATUS],
      ["AuditTrail.sol", "AccessOutcome", ACCESS_OUTCOMES],
      ["AuditTrail.sol", "WorkflowStep", WORKFLOW_STEPS],
      ["AuditTrail.sol", "Decision", WORKFLOW_DECISIONS],
      ["AuditTrail.sol", "WorkflowStatus", WORKFLOW_STATUS],
    ];
    for (const [file, name, table] of ENUMS) {
      it(`${name} (${file}): the sdk's codes are the enum's members in order`, function () {
        expect(entries(table)).to.deep.equal(enumMembers(file, name).map((m, code) => [lowerFirst(m), code]));
      });
    }

    it("purposes and their masks are Purposes.sol's", function () {
      const purposes = source("common/Purposes.sol");
      const declared = [...purposes.matchAll(/uint8 internal constant (\w+) = (\d+); \/\/ (.+)/g)].map((m) => [
        m[1],
        Number(m[2]),
        m[3],
      ]);
      expect(
        Object.entries(PURPOSES).map(([n, p]) => [n.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase(), p.code, p.zh]),
      ).to.deep.equal(declared);
      for (const p of Object.values(PURPOSES)) expect(p.mask).to.equal(1 << p.code);
      expect(ALL_PURPOSES_MASK).to.equal((1 << Object.keys(PURPOSES).length) - 1);
      expect(purposes).to.include(`uint8 internal constant COUNT = ${Object.keys(PURPOSES).length};`);
    });

    it("role ids are keccak256 of Roles.sol's names, and the registry grants them", async function () {
      const declared = [
        ...source("common/Roles.sol").matchAll(/bytes32 internal constant (\w+) = keccak256\("(\w+)"\)/g),
      ];
      expect(declared.map((m) => [m[1], m[2]])).to.deep.equal(Object.values(ROLES).map((r) => [r.name, r.name]));
      for (const r of Object.values(ROLES)) expect(r.id).to.equal(ethers.id(r.name));
      const f = await loadFixture(deployFixture);
      expect(await f.registry.hasRole(ROLES.auditRecorder.id, f.platform.address)).to.equal(true);
      expect(await f.registry.hasRole(ROLES.dataProvider.id, f.hospital.address)).to.equal(true);
      expect(await f.registry.hasRole(ROLES.dataProvider.id, f.platform.address)).to.equal(false);
      expect(await f.registry.hasRole(ROLES.sharingApprover.id, f.authority.address)).to.equal(true);
      expect(await f.registry.hasRole(ROLES.sharingApprover.id, f.platform.address)).to.equal(false);
    });

    it("the public constants of the deployed contracts equal the sdk's codes and limits", async function () {
      const f = await loadFixture(deployFixture);
      const read = async (contract: { getFunction(name: string): () => Promise<unknown> }, name: string) => {
        const value = await contract.getFunction(name)();
        return typeof value === "bigint" ? Number(value) : value;
      };
      const expected: [typeof f.registry | typeof f.consent | typeof f.dataIndex | typeof f.audit, string, unknown][] =
        [
          [f.registry, "INSTITUTION_KIND_COUNT", Object.keys(INSTITUTION_KINDS).length],
          [f.registry, "ALLIANCE_KIND_COUNT", Object.keys(ALLIANCE_KINDS).length],
          [f.registry, "STATUS_NONE", MEMBER_STATUS.none.code],
          [f.registry, "STATUS_ACTIVE", MEMBER_STATUS.active.code],
          [f.registry, "STATUS_SUSPENDED", MEMBER_STATUS.suspended.code],
          [f.registry, "STATUS_EXITED", MEMBER_STATUS.exited.code],
          [f.registry, "MAX_ROLES", LIMITS.maxRoles],
          [f.registry, "MIN_VOTING_PERIOD", LIMITS.minVotingPeriod],
          [f.registry, "MAX_VOTING_PERIOD", LIMITS.maxVotingPeriod],
          [f.consent, "GRANTEE_INSTITUTION", GRANTEE_KINDS.institution.code],
          [f.consent, "GRANTEE_DOCTOR", GRANTEE_KINDS.doctor.code],
          [f.consent, "GRANTEE_PROJECT", GRANTEE_KINDS.project.code],
          [f.consent, "MODE_REMOTE", REQUEST_MODES.remote.code],
          [f.consent, "MODE_ON_SITE", REQUEST_MODES.onSite.code],
          [f.consent, "RELATION_GUARDIAN", RELATIONS.guardian.code],
          [f.consent, "RELATION_FAMILY", RELATIONS.family.code],
          [f.consent, "RELATION_AGENT", RELATIONS.agent.code],
          [f.consent, "REQUEST_NONE", REQUEST_STATUS.none.code],
          [f.consent, "REQUEST_PENDING", REQUEST_STATUS.pending.code],
          [f.consent, "REQUEST_APPROVED", REQUEST_STATUS.approved.code],
          [f.consent, "REQUEST_REJECTED", REQUEST_STATUS.rejected.code],
          [f.consent, "ALL", CONSENT_SCOPE_ALL],
          [f.consent, "MAX_SCOPE_ITEMS", LIMITS.maxScopeItems],
          [f.consent, "MAX_GRANTS_PER_GRANTEE", LIMITS.maxGrantsPerGrantee],
          [f.consent, "MAX_REQUEST_TTL", LIMITS.maxRequestTtl],
          [f.dataIndex, "MAX_CLOCK_SKEW", LIMITS.maxClockSkew],
          [f.audit, "MAX_CLOCK_SKEW", LIMITS.maxClockSkew],
          [f.audit, "MAX_FIELDS", LIMITS.maxEvidenceFields],
          [f.audit, "MAX_APPROVAL_LEVELS", LIMITS.maxApprovalLevels],
        ];
      for (const [contract, name, value] of expected) expect(await read(contract, name), name).to.equal(value);
    });

    it("institution and alliance kinds are the lists in ConsortiumRegistry's NatSpec, in order", function () {
      /** "0 hospital, 1 …" from the NatSpec above `constant`, as [code, English name] pairs. */
      const listed = (constant: string) => {
        const text = source("ConsortiumRegistry.sol");
        const doc = text.slice(
          text.lastIndexOf("@notice", text.indexOf(`constant ${constant}`)),
          text.indexOf(`constant ${constant}`),
        );
        const flat = doc.replace(/\s*\/\/\/\s*/g, " ").replace(/\([^)]*\)/g, "");
        return [...flat.matchAll(/(\d+) ([^,.]+?)\s*[,.]/g)].map((m) => [Number(m[1]), m[2]!.trim()]);
      };
      const ours = (table: CodeTable) => Object.values(table).map((k) => [k.code, k.en.toLowerCase()]);
      expect(ours(INSTITUTION_KINDS)).to.deep.equal(
        listed("INSTITUTION_KIND_COUNT").map(([c, n]) => [c, String(n).toLowerCase()]),
      );
      expect(ours(ALLIANCE_KINDS)).to.deep.equal(
        listed("ALLIANCE_KIND_COUNT").map(([c, n]) => [c, String(n).toLowerCase()]),
      );
    });
  });

  describe("the sdk client over Hardhat's provider (viem)", function () {
    async function clientFixture() {
      const f = await deployFixture();
      const deployments = await deploymentsOf(f);
      // The chain of whatever network the suite runs on (Hardhat's, or a chain-node).
      const chain = { ...hardhat, id: Number(await provider.request({ method: "eth_chainId" })) };
      const publicClient = createPublicClient({ chain, transport: custom(provider) });
      const walletClient = createWalletClient({
        account: f.relayer.address as Address,
        chain,
        transport: custom(provider),
      });
      const client = await createHealthChainClient({ publicClient, walletClient, deployments });
      return { ...f, deployments, publicClient, walletClient, client };
    }

    it("reads the registry through the typed contract instances", async function () {
      const f = await loadFixture(clientFixture);
      expect(f.client.chainId).to.equal(Number(await provider.request({ method: "eth_chainId" })));
      expect(await f.client.consortiumRegistry.read.members()).to.deep.equal(
        f.founders.map((m) => getAddress(m.institution)),
      );
      const [kind, status] = await f.client.consortiumRegistry.read.memberInfo([f.hospital.address as Address]);
      expect([kind, status]).to.deep.equal([INSTITUTION_KINDS.hospital.code, MEMBER_STATUS.active.code]);
      expect(await f.client.consentRegistry.read.CONSENT_GRANT_TYPEHASH()).to.equal(consentTypeHash("ConsentGrant"));
      expect(f.client.consentDomain.verifyingContract).to.equal(await f.consent.getAddress());
    });

    it("a resident signs a grant with the sdk's EIP-712 helper; viem relays it; checkAccess allows the read", async function () {
      const f = await loadFixture(clientFixture);
      const resident = privateKeyToAccount(generatePrivateKey());
      const now = BigInt(await time.latest());
      const recordId = keccak256(stringToBytes("record:hospital:0001"));
      const field = keccak256(stringToBytes("field:diagnosis"));
      const grant: ConsentMessage<"ConsentGrant"> = {
        resident: resident.address,
        grantee: `0x${"00".repeat(12)}${f.doctor.address.slice(2)}`,
        granteeKind: GRANTEE_KINDS.doctor.code,
        categories: [],
        recordIds: [recordId],
        fields: [field],
        purposes: purposeMask("treatment"),
        notBefore: now,
        notAfter: now + BigInt(30 * DAY),
        mayReshare: false,
        nonce: 1n,
        deadline: now + 3600n,
      };
      const signature = await resident.signTypedData(consentTypedData("ConsentGrant", grant, f.client.consentDomain));
      const grantId = grantIdOf("ConsentGrant", grant, f.client.consentDomain);

      const { result } = await f.client.consentRegistry.simulate.grant([grant, resident.address, signature]);
      expect(result).to.equal(grantId);
      const hash = await f.client.consentRegistry.write.grant([grant, resident.address, signature]);
      const receipt = await f.publicClient.waitForTransactionReceipt({ hash });
      expect(receipt.status).to.equal("success");
      const [created] = await f.client.consentRegistry.getEvents.GrantCreated(
        { grantId },
        { fromBlock: receipt.blockNumber },
      );
      expect(created?.args.resident).to.equal(resident.address);

      const doctor = grant.grantee;
      const [allowed, by] = await f.client.consentRegistry.read.checkAccess([
        resident.address,
        doctor,
        recordId,
        `0x${"00".repeat(32)}`,
        field,
        PURPOSES.treatment.code,
        now + 60n,
      ]);
      expect([allowed, by]).to.deep.equal([true, grantId]);
      const [forResearch] = await f.client.consentRegistry.read.checkAccess([
        resident.address,
        doctor,
        recordId,
        `0x${"00".repeat(32)}`,
        field,
        PURPOSES.research.code,
        now + 60n,
      ]);
      expect(forResearch).to.equal(false);

      // Relayed again: the contract refuses, and the sdk names its custom error.
      const again = await f.client.consentRegistry.simulate
        .grant([grant, resident.address, signature])
        .catch(toPlatformError);
      expect(isPlatformError(again, "CONTRACT_REVERTED")).to.equal(true);
      expect(isPlatformError(again) && again.details).to.deep.include({
        functionName: "grant",
        errorName: "NonceAlreadyUsed",
        args: [resident.address, "1"],
      });
    });

    it("refuses deployments of another chain", async function () {
      const f = await loadFixture(clientFixture);
      const elsewhere = { ...f.deployments, chainId: 1 };
      const error = await createHealthChainClient({ publicClient: f.publicClient, deployments: elsewhere }).catch(
        (e: unknown) => e,
      );
      expect(isPlatformError(error, "DEPLOYMENT_NOT_FOUND")).to.equal(true);
    });
  });
});

// Measures the gas of the suite's main operations and writes docs/GAS.md.
//
//   npm run gas        (hardhat run deploy/scripts/gas-table.ts, on Hardhat's in-process network)
//
// Gas on the consortium chain is free (zero price) but metered: these figures bound how many
// operations fit in a block and are what the node's throughput benchmarks are measured against.
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import type { ContractTransactionResponse } from "ethers";
import { network } from "hardhat";
import { buildTree, merkleProof } from "../../contracts/test/helpers/merkle.ts";
import { consentDomain, ConsentTypes } from "../../contracts/test/helpers/consent.ts";

const { ethers } = await network.create();
const [authority, hospital, eqa, operator, resident, doctor, newcomer] = await ethers.getSigners();
const id = (label: string) => ethers.id(label);
const DATA_PROVIDER = id("DATA_PROVIDER");
const DATA_CONSUMER = id("DATA_CONSUMER");
const CERT_ISSUER = id("CERT_ISSUER");
const AUDIT_RECORDER = id("AUDIT_RECORDER");
const abi = ethers.AbiCoder.defaultAbiCoder();

const registry = await ethers.deployContract("ConsortiumRegistry", [
  [
    { institution: authority!.address, kind: 0, name: "区卫生健康委员会", roles: [AUDIT_RECORDER] },
    { institution: hospital!.address, kind: 1, name: "区人民医院", roles: [DATA_PROVIDER, DATA_CONSUMER] },
    { institution: eqa!.address, kind: 3, name: "市临床检验中心", roles: [CERT_ISSUER] },
    { institution: operator!.address, kind: 6, name: "平台运营方", roles: [AUDIT_RECORDER] },
  ],
  6667,
  7 * 24 * 3600,
]);
const consent = await ethers.deployContract("ConsentRegistry", [registry]);
const dataIndex = await ethers.deployContract("DataIndex", [registry]);
const certificates = await ethers.deployContract("CertificateRegistry", [registry]);
const audit = await ethers.deployContract("AuditTrail", [registry]);

interface Row {
  contract: string;
  operation: string;
  gas: bigint;
  note: string;
}
const rows: Row[] = [];

async function sent(contract: string, operation: string, tx: Promise<ContractTransactionResponse>, note = "") {
  const receipt = await (await tx).wait();
  rows.push({ contract, operation, gas: receipt!.gasUsed, note });
}

async function viewed(contract: string, operation: string, estimate: Promise<bigint>, note = "") {
  rows.push({ contract, operation, gas: (await estimate) - 21_000n, note: note || "view, execution gas of eth_call" });
}

const now = async () => BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
const deadline = async () => (await now()) + 3600n;

// ConsortiumRegistry: one proposal, passed by the second of four members' votes (threshold 3 of 4).
await sent(
  "ConsortiumRegistry",
  "proposeAddMember (proposer's vote counted)",
  registry.connect(authority).proposeAddMember(newcomer!.address, 2, "社区卫生服务中心", [DATA_PROVIDER]),
);
await sent("ConsortiumRegistry", "vote (not yet passing)", registry.connect(hospital).vote(1n, true));
await sent("ConsortiumRegistry", "vote (passing: admits the member)", registry.connect(eqa).vote(1n, true));

// DataIndex.
const anchorTime = Number(await now()) - 86_400;
const entry = (n: number) => ({
  recordId: id(`record-${n}`),
  residentRef: id(`salted-resident-${n % 97}`),
  institution: hospital!.address,
  category: id("category:lab-report"),
  contentHash: id(`sm3-content-${n}`),
  schemaVersion: 1,
  pointerHash: id(`cid-${n}`),
  sourceTime: anchorTime,
});
const ENTRY = "tuple(bytes32,bytes32,address,bytes32,bytes32,uint32,bytes32,uint64)";
const first = entry(0);
await sent("DataIndex", "anchorRecord (one entry)", dataIndex.connect(hospital).anchorRecord(first));
await sent(
  "DataIndex",
  "recordChange (one record)",
  dataIndex.connect(hospital).recordChange({
    recordId: first.recordId,
    institution: hospital!.address,
    previousContentHash: first.contentHash,
    newContentHash: id("sm3-content-0-corrected"),
    newPointerHash: id("cid-0-corrected"),
    newResidentRef: ethers.ZeroHash,
    reason: 0,
    changedAt: Number(await now()),
  }),
);
const batch = Array.from({ length: 256 }, (_, n) => entry(n + 1));
const items = batch.map((e) => ethers.keccak256(abi.encode([ENTRY], [Object.values(e)])));
const tree = buildTree(items);
await sent("DataIndex", "anchorBatch (root of 256 entries)", dataIndex.connect(hospital).anchorBatch(0, tree.root, 256));
await viewed(
  "DataIndex",
  "verifyEntry (proof in a batch of 256)",
  dataIndex.verifyEntry.estimateGas(1n, batch[100]!, 100n, merkleProof(tree, 100)),
);

// ConsentRegistry.
const domain = await consentDomain(consent);
const doctorGrantee = ethers.zeroPadValue(doctor!.address, 32);
const fields = [id("field:lab.result.value"), id("field:lab.result.unit"), id("field:lab.result.reference-range")];
const grant = {
  resident: resident!.address,
  grantee: doctorGrantee,
  granteeKind: 1,
  categories: [id("category:lab-report")],
  recordIds: [first.recordId],
  fields,
  purposes: 1, // treatment
  notBefore: await now(),
  notAfter: (await now()) + 86_400n,
  mayReshare: false,
  nonce: 1n,
  deadline: await deadline(),
};
const grantSignature = await resident!.signTypedData(domain, { ConsentGrant: ConsentTypes.ConsentGrant }, grant);
const grantId = await consent.grantDigest(grant);
await sent(
  "ConsentRegistry",
  "grant (1 category, 1 record, 3 fields, relayed)",
  consent.connect(operator).grant(grant, resident!.address, grantSignature),
);
await viewed(
  "ConsentRegistry",
  "checkAccess (one live grant)",
  consent.checkAccess.estimateGas(resident!.address, doctorGrantee, first.recordId, grant.categories[0]!, fields[0]!, 0, await now()),
);
const narrowing = {
  grantId,
  removeCategories: [],
  removeRecordIds: [],
  removeFields: [fields[2]!],
  removePurposes: 0,
  notAfter: 0n,
  nonce: 2n,
  deadline: await deadline(),
};
await sent(
  "ConsentRegistry",
  "narrow (remove one field)",
  consent
    .connect(operator)
    .narrow(
      narrowing,
      resident!.address,
      await resident!.signTypedData(domain, { ConsentNarrowing: ConsentTypes.ConsentNarrowing }, narrowing),
    ),
);
const revocation = { grantId, nonce: 3n, deadline: await deadline() };
await sent(
  "ConsentRegistry",
  "revoke",
  consent
    .connect(operator)
    .revoke(
      revocation,
      resident!.address,
      await resident!.signTypedData(domain, { ConsentRevocation: ConsentTypes.ConsentRevocation }, revocation),
    ),
);
const request = {
  resident: resident!.address,
  grantee: doctorGrantee,
  granteeKind: 1,
  categories: [id("category:discharge-summary")],
  recordIds: [],
  fields: [id("field:diagnosis")],
  purposes: 2, // referral
  validFor: 86_400n,
  answerBy: (await now()) + 86_400n,
  reasonHash: id("referral note"),
};
const requestTx = await consent.connect(hospital).requestAccess(request);
const requestReceipt = await requestTx.wait();
rows.push({ contract: "ConsentRegistry", operation: "requestAccess (doctor's request)", gas: requestReceipt!.gasUsed, note: "" });
const requestId = consent.interface.parseLog(requestReceipt!.logs[0]!)!.args.requestId as string;
const answer = {
  requestId,
  requestHash: await consent.requestContentHash(request),
  approve: true,
  mode: 1,
  notBefore: await now(),
  notAfter: (await now()) + 3600n,
  nonce: 4n,
  deadline: await deadline(),
};
await sent(
  "ConsentRegistry",
  "answerRequest (approve on site: creates the grant)",
  consent
    .connect(operator)
    .answerRequest(
      request,
      answer,
      resident!.address,
      await resident!.signTypedData(domain, { RequestAnswer: ConsentTypes.RequestAnswer }, answer),
    ),
);

// CertificateRegistry.
// The longest DER form of an SM2 signature: SEQUENCE { INTEGER r, INTEGER s }, both 33 bytes.
const derInteger = () => "022100" + ethers.hexlify(ethers.randomBytes(32)).slice(2);
const sm2Signature = "0x3046" + derInteger() + derInteger();
await sent(
  "CertificateRegistry",
  "issue (72-byte SM2 signature kept)",
  certificates.connect(eqa).issue(id("EQA-2026-001"), 0, ethers.zeroPadValue(hospital!.address, 32), id("report.pdf"), 0, (await now()) + 365n * 86_400n, sm2Signature),
);
await viewed("CertificateRegistry", "verify", certificates.verify.estimateGas(id("EQA-2026-001"), id("report.pdf")));
await sent("CertificateRegistry", "revoke", certificates.connect(eqa).revoke(id("EQA-2026-001"), 1));

// AuditTrail.
await sent(
  "AuditTrail",
  "recordAccess (one read, 2 fields)",
  audit.connect(operator).recordAccess({
    accessor: doctorGrantee,
    residentRef: first.residentRef,
    recordId: first.recordId,
    fields: fields.slice(0, 2),
    purpose: 0,
    grantId,
    accessedAt: await now(),
    outcome: 0,
  }),
);
const lines = Array.from({ length: 256 }, (_, n) => id(`sm3-of-log-line-${n}`));
const logTree = buildTree(lines);
await sent(
  "AuditTrail",
  "recordAccessBatch (root of 256 log lines)",
  audit.connect(operator).recordAccessBatch(logTree.root, 256, (await now()) - 600n, await now()),
);
await viewed(
  "AuditTrail",
  "verifyAccessLine (proof in a batch of 256)",
  audit.verifyAccessLine.estimateGas(1n, operator!.address, lines[7]!, 7n, merkleProof(logTree, 7)),
);

const table = [
  "| contract | operation | gas | note |",
  "| --- | --- | ---: | --- |",
  ...rows.map((r) => `| ${r.contract} | ${r.operation} | ${r.gas.toLocaleString("en-US")} | ${r.note} |`),
].join("\n");
const doc = `# Gas of the main operations

Generated by \`npm run gas\` (deploy/scripts/gas-table.ts); do not edit by hand.

Solidity 0.8.28 (solc-js), optimizer on (200 runs), EVM target Shanghai, measured on Hardhat's
in-process network (EDR). Transactions show \`gasUsed\` from the receipt (21,000 intrinsic gas and
calldata included); views show the execution gas of an \`eth_call\` (estimate minus 21,000).
On the consortium chain gas is free (zero price) but metered, so these figures bound how many
operations fit in a block.

${table}

Anchoring in batches is what makes the platform scale: one \`anchorBatch\` costs the same for 256 or
100,000 entries, while single anchoring stores the entry's state on chain.
`;
writeFileSync(new URL("../../docs/GAS.md", import.meta.url), doc);
console.log(table);
console.log(`\n(${cpus().length} cores, ${cpus()[0]?.model ?? "unknown CPU"}; written to docs/GAS.md)`);

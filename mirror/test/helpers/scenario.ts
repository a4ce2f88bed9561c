// Drives every event of the five contracts on a test chain, from the development accounts, the
// way the platform would (governance votes, EIP-712 consent messages signed by residents, record
// anchoring, certificates, access evidence, the sharing workflow). Returns what it created, for
// the tests to look up through the mirror.
import { createWalletClient, http, keccak256, pad, stringToHex, toHex, type Abi, type Address, type Hex } from "viem";
import type { HDAccount } from "viem/accounts";
import {
  auditTrailAbi,
  certificateRegistryAbi,
  consentDomain,
  consentRegistryAbi,
  consentTypedData,
  consortiumRegistryAbi,
  dataIndexAbi,
  grantIdOf,
  PROPOSAL_STATES,
  ROLES,
  type ConsentMessage,
  type ConsentPrimaryType,
} from "../../../sdk/src/index.ts";
import { DEV, devAccount, type TestChain } from "../../../test/helpers/chain.ts";

export const ACCOUNTS = {
  resident: 6,
  resident2: 7,
  delegate: 8,
  doctor: 9,
  newMember: 10,
  extraAccount: 11,
  node: 12,
} as const;

const b32 = (label: string): Hex => keccak256(stringToHex(label));

export interface ScenarioResult {
  residentRef: Hex;
  mergedRef: Hex;
  recordId: Hex;
  hospital: Address;
  resident: Address;
  grantId: Hex;
  reshareId: Hex;
  answerGrantId: Hex;
  requestId: Hex;
  certId: Hex;
  workflowId: Hex;
  batchId: bigint;
  accessBatchId: bigint;
  allianceId: Hex;
  newMember: Address;
  node: Address;
}

export interface Driver {
  chain: TestChain;
  send(from: number, contract: keyof TestChain["deployments"]["contracts"], abi: Abi, functionName: string, args: readonly unknown[]): Promise<{ blockNumber: bigint; txHash: Hex }>;
  read<T>(contract: keyof TestChain["deployments"]["contracts"], abi: Abi, functionName: string, args?: readonly unknown[]): Promise<T>;
  now(): Promise<bigint>;
}

export function driver(chain: TestChain): Driver {
  const wallets = new Map<number, ReturnType<typeof createWalletClient>>();
  const chainDef = { id: chain.chainId, name: "dev", nativeCurrency: { name: "ETH", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [chain.rpcUrl] } } };
  const wallet = (i: number) => {
    let w = wallets.get(i);
    if (!w) {
      w = createWalletClient({ account: devAccount(i), chain: chainDef, transport: http(chain.rpcUrl, { retryCount: 0 }) });
      wallets.set(i, w);
    }
    return w;
  };
  return {
    chain,
    async send(from, contract, abi, functionName, args) {
      const address = chain.deployments.contracts[contract].address;
      const account = devAccount(from);
      const { request } = await chain.publicClient.simulateContract({ address, abi, functionName, args, account });
      const txHash = await wallet(from).writeContract(request as never);
      const receipt = await chain.publicClient.waitForTransactionReceipt({ hash: txHash, pollingInterval: 10 });
      if (receipt.status !== "success") throw new Error(`${contract}.${functionName} reverted (${txHash})`);
      return { blockNumber: receipt.blockNumber, txHash };
    },
    async read<T>(contract: keyof TestChain["deployments"]["contracts"], abi: Abi, functionName: string, args: readonly unknown[] = []) {
      return (await chain.publicClient.readContract({ address: chain.deployments.contracts[contract].address, abi, functionName, args })) as T;
    },
    async now() {
      return (await chain.publicClient.getBlock()).timestamp;
    },
  };
}

async function sign<T extends ConsentPrimaryType>(d: Driver, account: HDAccount, primaryType: T, message: ConsentMessage<T>): Promise<Hex> {
  const domain = consentDomain(d.chain.chainId, d.chain.deployments.contracts.ConsentRegistry.address);
  return account.signTypedData(consentTypedData(primaryType, message, domain) as never);
}

/** Proposes as `proposer` and votes yes with the other founders while the proposal is pending. */
export async function enact(d: Driver, proposer: number, functionName: string, args: readonly unknown[], support = true): Promise<bigint> {
  const abi = consortiumRegistryAbi as Abi;
  await d.send(proposer, "ConsortiumRegistry", abi, functionName, args);
  const id = await d.read<bigint>("ConsortiumRegistry", abi, "proposalCount");
  for (const voter of [DEV.healthAuthority, DEV.hospital, DEV.eqaCentre, DEV.platform]) {
    if (voter === proposer && support) continue;
    const state = await d.read<number>("ConsortiumRegistry", abi, "proposalState", [id]);
    if (Number(state) !== PROPOSAL_STATES.pending.code) break;
    try {
      await d.send(voter, "ConsortiumRegistry", abi, "vote", [id, support]);
    } catch {
      // Already voted (the proposer) or the member concerned: the others decide.
    }
  }
  return id;
}

/** Emits every event of the suite at least once (EIP712DomainChanged excepted: never emitted). */
export async function runScenario(d: Driver): Promise<ScenarioResult> {
  const c = d.chain.deployments.contracts;
  const hospital = devAccount(DEV.hospital).address;
  const resident = devAccount(ACCOUNTS.resident);
  const resident2 = devAccount(ACCOUNTS.resident2);
  const delegate = devAccount(ACCOUNTS.delegate);
  const doctor = devAccount(ACCOUNTS.doctor);
  const nodeAccount = devAccount(ACCOUNTS.node);
  const newMember = devAccount(ACCOUNTS.newMember).address;

  // ---- ConsortiumRegistry: governance
  await enact(d, DEV.healthAuthority, "proposeAddMember", [newMember, 4, "Research institute", [ROLES.dataConsumer.id]]);
  await enact(d, DEV.healthAuthority, "proposeAddAccount", [devAccount(ACCOUNTS.extraAccount).address, hospital]);
  await enact(d, DEV.healthAuthority, "proposeRemoveAccount", [devAccount(ACCOUNTS.extraAccount).address]);
  const allianceId = b32("alliance-1");
  await enact(d, DEV.healthAuthority, "proposeCreateAlliance", [allianceId, 0, "District medical alliance", newMember]);
  await enact(d, DEV.healthAuthority, "proposeJoinAlliance", [allianceId, devAccount(DEV.eqaCentre).address]);
  await enact(d, DEV.healthAuthority, "proposeLeaveAlliance", [allianceId, devAccount(DEV.eqaCentre).address]);
  const publicKey = `0x${nodeAccount.publicKey.slice(4)}` as Hex;
  await enact(d, DEV.healthAuthority, "proposeAddNode", [publicKey, hospital, false]);
  const node = `0x${keccak256(publicKey).slice(-40)}` as Address;
  await enact(d, DEV.healthAuthority, "proposeRemoveNode", [node]);
  await enact(d, DEV.healthAuthority, "proposeSetMemberRoles", [newMember, [ROLES.dataConsumer.id, ROLES.dataProvider.id]]);
  // The lead exiting clears the alliance's lead (AllianceLeadCleared) and leaves it.
  await enact(d, DEV.healthAuthority, "proposeSetMemberStatus", [newMember, 3]);
  await enact(d, DEV.healthAuthority, "proposeSetGovernance", [6667, 7n * 24n * 3600n]);
  await enact(d, DEV.healthAuthority, "proposeRegisterContract", [stringToHex("DataIndex", { size: 32 }), c.DataIndex.address]);
  await enact(d, DEV.healthAuthority, "proposeSetGovernance", [5000, 3600n], false);

  // ---- DataIndex
  const dataIndex = dataIndexAbi as Abi;
  const now = await d.now();
  const recordId = b32("record-1");
  const residentRef = b32("resident-ref-1");
  const mergedRef = b32("resident-ref-merged");
  const content1 = b32("content-1");
  const pointer1 = b32("pointer-1");
  await d.send(DEV.hospital, "DataIndex", dataIndex, "anchorRecord", [
    { recordId, residentRef, institution: hospital, category: b32("lab"), contentHash: content1, schemaVersion: 1, pointerHash: pointer1, sourceTime: now - 60n },
  ]);
  const content2 = b32("content-2");
  const pointer2 = b32("pointer-2");
  await d.send(DEV.hospital, "DataIndex", dataIndex, "recordChange", [
    { recordId, institution: hospital, previousContentHash: content1, newContentHash: content2, newPointerHash: pointer2, newResidentRef: pad("0x00", { size: 32 }), reason: 0, changedAt: now },
  ]);
  await d.send(DEV.hospital, "DataIndex", dataIndex, "recordChange", [
    { recordId, institution: hospital, previousContentHash: content2, newContentHash: content2, newPointerHash: pointer2, newResidentRef: mergedRef, reason: 3, changedAt: now },
  ]);
  const root = b32("batch-root-1");
  await d.send(DEV.hospital, "DataIndex", dataIndex, "anchorBatch", [0, root, 4]);
  const batchId = await d.read<bigint>("DataIndex", dataIndex, "batchIdOf", [hospital, root]);

  // ---- ConsentRegistry
  const consent = consentRegistryAbi as Abi;
  const deadline = now + 3600n;
  const year = now + 365n * 24n * 3600n;
  const delegation = { resident: resident.address, delegate: delegate.address, relation: 0, notAfter: year, nonce: 1n, deadline };
  await d.send(DEV.hospital, "ConsentRegistry", consent, "setDelegate", [delegation, await sign(d, resident, "Delegation", delegation)]);
  const delegationInfo = await d.read<readonly [number, bigint, boolean, Hex]>("ConsentRegistry", consent, "delegation", [resident.address, delegate.address]);
  const delegationId = delegationInfo[3];
  const domain = consentDomain(d.chain.chainId, c.ConsentRegistry.address);
  const revocationMsg = { resident: resident.address, delegate: delegate.address, delegationId, nonce: 2n, deadline };
  await d.send(DEV.hospital, "ConsentRegistry", consent, "revokeDelegate", [revocationMsg, await sign(d, resident, "DelegationRevocation", revocationMsg)]);

  const f1 = b32("field-1");
  const f2 = b32("field-2");
  const grantMsg = {
    resident: resident.address,
    grantee: pad(hospital.toLowerCase() as Hex, { size: 32 }),
    granteeKind: 0,
    categories: [b32("lab")],
    recordIds: [],
    fields: [f1, f2],
    purposes: 3,
    notBefore: now - 10n,
    notAfter: year,
    mayReshare: true,
    nonce: 3n,
    deadline,
  };
  await d.send(DEV.hospital, "ConsentRegistry", consent, "grant", [grantMsg, resident.address, await sign(d, resident, "ConsentGrant", grantMsg)]);
  const grantId = grantIdOf("ConsentGrant", grantMsg, domain);
  const reshareMsg = {
    parentId: grantId,
    grantee: pad(doctor.address.toLowerCase() as Hex, { size: 32 }),
    granteeKind: 1,
    categories: [b32("lab")],
    recordIds: [],
    fields: [f1],
    purposes: 1,
    notAfter: now + 30n * 24n * 3600n,
    nonce: 4n,
    deadline,
  };
  const hospitalAccount = devAccount(DEV.hospital);
  await d.send(DEV.hospital, "ConsentRegistry", consent, "reshare", [reshareMsg, hospital, await sign(d, hospitalAccount, "Reshare", reshareMsg)]);
  const reshareId = grantIdOf("Reshare", reshareMsg, domain);
  const narrowMsg = { grantId, removeCategories: [], removeRecordIds: [], removeFields: [f2], removePurposes: 2, notAfter: 0n, nonce: 5n, deadline };
  await d.send(DEV.hospital, "ConsentRegistry", consent, "narrow", [narrowMsg, resident.address, await sign(d, resident, "ConsentNarrowing", narrowMsg)]);
  const revokeMsg = { grantId: reshareId, nonce: 6n, deadline };
  await d.send(DEV.hospital, "ConsentRegistry", consent, "revoke", [revokeMsg, resident.address, await sign(d, resident, "ConsentRevocation", revokeMsg)]);

  const request = {
    resident: resident2.address,
    grantee: pad(hospital.toLowerCase() as Hex, { size: 32 }),
    granteeKind: 0,
    categories: [b32("lab")],
    recordIds: [],
    fields: [f1],
    purposes: 1,
    validFor: 7n * 24n * 3600n,
    answerBy: now + 24n * 3600n,
    reasonHash: b32("reason"),
  };
  await d.send(DEV.hospital, "ConsentRegistry", consent, "requestAccess", [request]);
  const requestCount = await d.read<bigint>("ConsentRegistry", consent, "requestCount");
  const requestId = keccak256(
    `0x${[toHex(d.chain.chainId, { size: 32 }), pad(c.ConsentRegistry.address.toLowerCase() as Hex, { size: 32 }), toHex(requestCount, { size: 32 })].map((h) => h.slice(2)).join("")}`,
  );
  const requestHash = await d.read<Hex>("ConsentRegistry", consent, "requestContentHash", [request]);
  const answer = { requestId, requestHash, approve: true, mode: 1, notBefore: now, notAfter: now + 24n * 3600n, nonce: 7n, deadline };
  await d.send(DEV.hospital, "ConsentRegistry", consent, "answerRequest", [request, answer, resident2.address, await sign(d, resident2, "RequestAnswer", answer)]);
  const answerGrantId = grantIdOf("RequestAnswer", answer, domain);

  // ---- CertificateRegistry
  const certs = certificateRegistryAbi as Abi;
  const certId = b32("cert-1");
  await d.send(DEV.eqaCentre, "CertificateRegistry", certs, "issue", [certId, 0, b32("lab-subject"), b32("document"), now - 10n, year, `0x${"ab".repeat(64)}`]);
  await d.send(DEV.eqaCentre, "CertificateRegistry", certs, "revoke", [certId, 1]);

  // ---- AuditTrail
  const audit = auditTrailAbi as Abi;
  const t = await d.now();
  await d.send(DEV.platform, "AuditTrail", audit, "recordAccess", [
    { accessor: pad(doctor.address.toLowerCase() as Hex, { size: 32 }), residentRef: mergedRef, recordId, fields: [f1], purpose: 0, grantId, accessedAt: t, outcome: 0 },
  ]);
  await d.send(DEV.platform, "AuditTrail", audit, "recordAccessBatch", [b32("access-root"), 10, t - 60n, t]);
  const accessBatchId = 1n;
  const workflowId = b32("workflow-1");
  await d.send(DEV.platform, "AuditTrail", audit, "applyForSharing", [workflowId, b32("applicant"), b32("application"), 1]);
  await d.send(DEV.healthAuthority, "AuditTrail", audit, "recordApproval", [workflowId, 1, b32("approver"), true, b32("opinion")]);

  return {
    residentRef,
    mergedRef,
    recordId,
    hospital,
    resident: resident.address,
    grantId,
    reshareId,
    answerGrantId,
    requestId,
    certId,
    workflowId,
    batchId,
    accessBatchId,
    allianceId,
    newMember,
    node,
  };
}

// The contract suite of the consortium: the registry with its founding members, then the four
// contracts that take membership and roles from it. Nothing else is registered on chain here;
// every later change (members, roles, contract versions) goes through a member vote.
//
// Parameters (module id "HealthChain"), all optional:
//   founders       [{ institution, kind, name, roles }]: the founding members (default: DEV_FOUNDERS)
//   thresholdBps   share of member votes that passes a proposal, in basis points (default 6667)
//   votingPeriod   seconds a proposal stays open (default 7 days)
import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { id } from "ethers";

/** `ConsortiumRegistry` institution kinds, in the order of the Solidity enum. */
export const InstitutionKind = {
  HealthAuthority: 0,
  Hospital: 1,
  CommunityHealthCentre: 2,
  EqaCentre: 3,
  ResearchInstitute: 4,
  Auditor: 5,
  PlatformOperator: 6,
} as const;

/** Role ids as in contracts/src/common/Roles.sol. */
export const Role = {
  DATA_PROVIDER: id("DATA_PROVIDER"),
  DATA_CONSUMER: id("DATA_CONSUMER"),
  CERT_ISSUER: id("CERT_ISSUER"),
  AUDIT_RECORDER: id("AUDIT_RECORDER"),
  SHARING_APPROVER: id("SHARING_APPROVER"),
} as const;

/** A `ConsortiumRegistry.FoundingMember` as the constructor takes it. */
// A type alias, not an interface: Ignition parameters need its implicit index signature.
export type FoundingMember = {
  institution: string;
  kind: number;
  name: string;
  roles: string[];
};

// The first accounts of the development mnemonic ("test … junk") that `hardhat node` funds.
// Their private keys are public: deploy/scripts/deploy.ts refuses them outside a development chain.
// Written out rather than taken with m.getAccount(i), because Ignition checks a parameter's
// account default even when the parameter is given, which fails on a one-key network.
// The health authority supervises (public-health reads, workflow approvals); the hospital
// provides and reads records; the EQA centre issues proficiency-testing certificates; the
// platform operator runs the gateway that records access evidence and the research service whose
// export packages it anchors as certificates.
export const DEV_FOUNDERS: FoundingMember[] = [
  {
    institution: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
    kind: InstitutionKind.HealthAuthority,
    name: "区卫生健康委员会 District Health Commission",
    roles: [Role.DATA_CONSUMER, Role.AUDIT_RECORDER, Role.SHARING_APPROVER],
  },
  {
    institution: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    kind: InstitutionKind.Hospital,
    name: "区人民医院 District People's Hospital",
    roles: [Role.DATA_PROVIDER, Role.DATA_CONSUMER],
  },
  {
    institution: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    kind: InstitutionKind.EqaCentre,
    name: "区临床检验中心 District Clinical Laboratory Centre",
    roles: [Role.CERT_ISSUER],
  },
  {
    institution: "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    kind: InstitutionKind.PlatformOperator,
    name: "区域卫生信息平台 Regional Health Information Platform",
    roles: [Role.AUDIT_RECORDER, Role.CERT_ISSUER],
  },
];

export const DEFAULT_THRESHOLD_BPS = 6667;
export const DEFAULT_VOTING_PERIOD = 7 * 24 * 60 * 60;

export default buildModule("HealthChain", (m) => {
  const founders = m.getParameter("founders", DEV_FOUNDERS);
  const thresholdBps = m.getParameter("thresholdBps", DEFAULT_THRESHOLD_BPS);
  const votingPeriod = m.getParameter("votingPeriod", DEFAULT_VOTING_PERIOD);

  const ConsortiumRegistry = m.contract("ConsortiumRegistry", [founders, thresholdBps, votingPeriod]);
  const ConsentRegistry = m.contract("ConsentRegistry", [ConsortiumRegistry]);
  const DataIndex = m.contract("DataIndex", [ConsortiumRegistry]);
  const CertificateRegistry = m.contract("CertificateRegistry", [ConsortiumRegistry]);
  const AuditTrail = m.contract("AuditTrail", [ConsortiumRegistry]);

  return { ConsortiumRegistry, ConsentRegistry, DataIndex, CertificateRegistry, AuditTrail };
});

// The codes the contracts take and return as uint8 (and the role ids), with the Chinese and English
// labels a person reads. Codes never change meaning: contracts/test/SdkAgreement.ts checks every
// table against the deployed contracts' public constants or, where the contracts keep a code
// internal (Solidity enums, `Purposes`, `Roles`), against the Solidity source.
import { keccak256, stringToBytes, type Hex } from "viem";

/** One code with its labels. */
export interface CodeLabel {
  readonly code: number;
  readonly zh: string;
  readonly en: string;
}

/** A table of codes keyed by a name. */
export type CodeTable = Readonly<Record<string, CodeLabel>>;

// ---------------------------------------------------------------- ConsortiumRegistry

/** Kinds of member institution (`ConsortiumRegistry`, `kind`). */
export const INSTITUTION_KINDS = {
  healthAuthority: { code: 0, zh: "卫生健康委员会", en: "District health authority" },
  hospital: { code: 1, zh: "医院", en: "Hospital" },
  communityHealthCentre: { code: 2, zh: "社区卫生服务中心", en: "Community health centre" },
  eqaCentre: { code: 3, zh: "临床检验中心", en: "EQA centre" },
  researchInstitute: { code: 4, zh: "科研机构", en: "Research institute" },
  auditor: { code: 5, zh: "审计机构", en: "Auditor" },
  platformOperator: { code: 6, zh: "平台运营方", en: "Platform operator" },
} as const satisfies CodeTable;

/** Member status (`ConsortiumRegistry.STATUS_*`): admitted active; active and suspended alternate; exited is final. */
export const MEMBER_STATUS = {
  none: { code: 0, zh: "非成员", en: "Not a member" },
  active: { code: 1, zh: "正常", en: "Active" },
  suspended: { code: 2, zh: "已暂停", en: "Suspended" },
  exited: { code: 3, zh: "已退出", en: "Exited" },
} as const satisfies CodeTable;

/** Kinds of alliance (`ConsortiumRegistry`, alliance `kind`). */
export const ALLIANCE_KINDS = {
  medicalAlliance: { code: 0, zh: "医联体", en: "Medical alliance" },
  medicalCommunity: { code: 1, zh: "医共体", en: "County/district medical community" },
  specialist: { code: 2, zh: "专科联盟", en: "Specialist alliance" },
  research: { code: 3, zh: "科研联盟", en: "Research alliance" },
  other: { code: 4, zh: "其他", en: "Other" },
} as const satisfies CodeTable;

/** What a proposal changes (`ConsortiumRegistry.Action`). */
export const PROPOSAL_ACTIONS = {
  addMember: { code: 0, zh: "接纳成员", en: "Admit member" },
  setMemberStatus: { code: 1, zh: "变更成员状态", en: "Change member status" },
  setMemberRoles: { code: 2, zh: "变更成员角色", en: "Change member roles" },
  addAccount: { code: 3, zh: "添加账户", en: "Add account" },
  removeAccount: { code: 4, zh: "移除账户", en: "Remove account" },
  addNode: { code: 5, zh: "添加节点", en: "Add node" },
  removeNode: { code: 6, zh: "移除节点", en: "Remove node" },
  createAlliance: { code: 7, zh: "创建联盟", en: "Create alliance" },
  joinAlliance: { code: 8, zh: "加入联盟", en: "Join alliance" },
  leaveAlliance: { code: 9, zh: "退出联盟", en: "Leave alliance" },
  setGovernance: { code: 10, zh: "变更治理参数", en: "Change governance" },
  registerContract: { code: 11, zh: "登记合约版本", en: "Register contract version" },
} as const satisfies CodeTable;

/** Where a proposal stands (`ConsortiumRegistry.ProposalState`). */
export const PROPOSAL_STATES = {
  none: { code: 0, zh: "不存在", en: "None" },
  pending: { code: 1, zh: "投票中", en: "Pending" },
  executed: { code: 2, zh: "已通过并执行", en: "Executed" },
  rejected: { code: 3, zh: "已否决", en: "Rejected" },
  expired: { code: 4, zh: "已过期", en: "Expired" },
} as const satisfies CodeTable;

/** A role: its id (keccak256 of its name, as in contracts/src/common/Roles.sol) and labels. */
export interface RoleLabel {
  readonly id: Hex;
  readonly name: string;
  readonly zh: string;
  readonly en: string;
}

function role(name: string, zh: string, en: string): RoleLabel {
  return { id: keccak256(stringToBytes(name)), name, zh, en };
}

/** Business roles of member institutions (`Roles`). */
export const ROLES = {
  dataProvider: role("DATA_PROVIDER", "数据提供方", "Data provider"),
  dataConsumer: role("DATA_CONSUMER", "数据使用方", "Data consumer"),
  certIssuer: role("CERT_ISSUER", "证书签发方", "Certificate issuer"),
  auditRecorder: role("AUDIT_RECORDER", "审计记录方", "Audit recorder"),
  sharingApprover: role("SHARING_APPROVER", "数据共享审批", "Sharing approver"),
} as const;

// ---------------------------------------------------------------- purposes (Purposes)

/** Purposes of use, shared by consents and access evidence; a set of purposes is a bit mask. */
export const PURPOSES = {
  treatment: { code: 0, mask: 1 << 0, zh: "诊疗", en: "Treatment" },
  referral: { code: 1, mask: 1 << 1, zh: "转诊", en: "Referral" },
  research: { code: 2, mask: 1 << 2, zh: "科研", en: "Research" },
  insurance: { code: 3, mask: 1 << 3, zh: "医保/商保", en: "Insurance" },
  publicHealth: { code: 4, mask: 1 << 4, zh: "公共卫生", en: "Public health" },
  other: { code: 5, mask: 1 << 5, zh: "其他", en: "Other" },
} as const satisfies Readonly<Record<string, CodeLabel & { readonly mask: number }>>;

/** The name of a purpose. */
export type PurposeName = keyof typeof PURPOSES;

/** The mask of every defined purpose (`Purposes.ALL_MASK`). */
export const ALL_PURPOSES_MASK = 0x3f;

/** The mask of a set of purposes, e.g. `purposeMask("treatment", "referral")` = 3. */
export function purposeMask(...purposes: readonly PurposeName[]): number {
  return purposes.reduce((mask, p) => mask | PURPOSES[p].mask, 0);
}

/** The purposes in a mask, in code order (bits outside the defined purposes are ignored). */
export function purposesOfMask(mask: number): PurposeName[] {
  return (Object.keys(PURPOSES) as PurposeName[]).filter((p) => (mask & PURPOSES[p].mask) !== 0);
}

// ---------------------------------------------------------------- ConsentRegistry

/** Who a grant is for (`ConsentRegistry.GRANTEE_*`). */
export const GRANTEE_KINDS = {
  institution: { code: 0, zh: "机构", en: "Institution" },
  doctor: { code: 1, zh: "医生", en: "Doctor" },
  project: { code: 2, zh: "科研项目", en: "Research project" },
} as const satisfies CodeTable;

/** How a resident answered an access request (`ConsentRegistry.MODE_*`). */
export const REQUEST_MODES = {
  remote: { code: 0, zh: "远程授权", en: "Remote" },
  onSite: { code: 1, zh: "现场授权", en: "On site" },
} as const satisfies CodeTable;

/** Where an access request stands (`ConsentRegistry.REQUEST_*`). */
export const REQUEST_STATUS = {
  none: { code: 0, zh: "不存在", en: "None" },
  pending: { code: 1, zh: "待答复", en: "Pending" },
  approved: { code: 2, zh: "已同意", en: "Approved" },
  rejected: { code: 3, zh: "已拒绝", en: "Rejected" },
} as const satisfies CodeTable;

/** A delegate's relation to the resident (`ConsentRegistry.RELATION_*`). */
export const RELATIONS = {
  guardian: { code: 0, zh: "监护人", en: "Guardian" },
  family: { code: 1, zh: "家属", en: "Family member" },
  agent: { code: 2, zh: "授权代理人", en: "Authorised agent" },
} as const satisfies CodeTable;

/** The wildcard scope item (`ConsentRegistry.ALL`): every category, or every field. */
export const CONSENT_SCOPE_ALL: Hex = `0x${"ff".repeat(32)}`;

// ---------------------------------------------------------------- DataIndex

/** Why a record changed (`DataIndex.ChangeReason`). */
export const CHANGE_REASONS = {
  correction: { code: 0, zh: "更正", en: "Correction" },
  amendment: { code: 1, zh: "补充", en: "Amendment" },
  lateResult: { code: 2, zh: "迟发结果", en: "Late result" },
  identityMerge: { code: 3, zh: "主索引合并", en: "Identity merge" },
  void: { code: 4, zh: "作废", en: "Void" },
  other: { code: 5, zh: "其他", en: "Other" },
} as const satisfies CodeTable;

/** What the items of a batch are (`DataIndex.BatchKind`). */
export const BATCH_KINDS = {
  records: { code: 0, zh: "数据资源批次", en: "Records" },
  changes: { code: 1, zh: "变更记录批次", en: "Changes" },
} as const satisfies CodeTable;

// ---------------------------------------------------------------- CertificateRegistry

/** What an anchored document is (`CertificateRegistry.DocumentType`). */
export const DOCUMENT_TYPES = {
  eqaCertificate: { code: 0, zh: "室间质评合格证书", en: "EQA certificate" },
  proficiencyTestingReport: { code: 1, zh: "能力验证报告", en: "Proficiency-testing report" },
  dischargeSummary: { code: 2, zh: "出院小结", en: "Discharge summary" },
  exportPackage: { code: 3, zh: "科研导出数据包", en: "Research export package" },
  other: { code: 4, zh: "其他", en: "Other" },
} as const satisfies CodeTable;

/** Why a certificate was revoked (`CertificateRegistry.RevocationReason`). */
export const REVOCATION_REASONS = {
  unspecified: { code: 0, zh: "未说明", en: "Unspecified" },
  superseded: { code: 1, zh: "被新证书取代", en: "Superseded" },
  issuedInError: { code: 2, zh: "误签发", en: "Issued in error" },
  keyCompromise: { code: 3, zh: "签名密钥泄露", en: "Key compromise" },
  withdrawn: { code: 4, zh: "撤回", en: "Withdrawn" },
} as const satisfies CodeTable;

/** The answer of `CertificateRegistry.verify` (`CertificateRegistry.Status`). */
export const CERTIFICATE_STATUS = {
  unknown: { code: 0, zh: "未找到该证书", en: "Unknown" },
  valid: { code: 1, zh: "有效", en: "Valid" },
  revoked: { code: 2, zh: "已撤销", en: "Revoked" },
  expired: { code: 3, zh: "已过期", en: "Expired" },
  hashMismatch: { code: 4, zh: "文件与存证不符", en: "Hash mismatch" },
  notYetValid: { code: 5, zh: "尚未生效", en: "Not yet valid" },
} as const satisfies CodeTable;

// ---------------------------------------------------------------- AuditTrail

/** The result of an access attempt (`AuditTrail.AccessOutcome`). */
export const ACCESS_OUTCOMES = {
  granted: { code: 0, zh: "已访问", en: "Granted" },
  refused: { code: 1, zh: "已拒绝", en: "Refused" },
} as const satisfies CodeTable;

/** Steps of the data-sharing workflow (`AuditTrail.WorkflowStep`). */
export const WORKFLOW_STEPS = {
  application: { code: 0, zh: "申请", en: "Application" },
  approval: { code: 1, zh: "审批", en: "Approval" },
  complianceCheck: { code: 2, zh: "合规检查", en: "Compliance check" },
  download: { code: 3, zh: "下载", en: "Download" },
} as const satisfies CodeTable;

/** Decisions of workflow steps (`AuditTrail.Decision`). */
export const WORKFLOW_DECISIONS = {
  none: { code: 0, zh: "无", en: "None" },
  approved: { code: 1, zh: "同意", en: "Approved" },
  rejected: { code: 2, zh: "驳回", en: "Rejected" },
} as const satisfies CodeTable;

/** Where a data-sharing workflow stands (`AuditTrail.WorkflowStatus`). */
export const WORKFLOW_STATUS = {
  none: { code: 0, zh: "不存在", en: "None" },
  approving: { code: 1, zh: "审批中", en: "Approving" },
  approved: { code: 2, zh: "审批通过，待合规检查", en: "Approved" },
  cleared: { code: 3, zh: "合规检查通过", en: "Cleared" },
  rejected: { code: 4, zh: "审批驳回", en: "Rejected" },
  nonCompliant: { code: 5, zh: "合规检查未通过", en: "Non-compliant" },
} as const satisfies CodeTable;

// ---------------------------------------------------------------- limits

/** Bounds the contracts enforce, for validating input before it costs a transaction. */
export const LIMITS = {
  /** Most items in one consent scope list (`ConsentRegistry.MAX_SCOPE_ITEMS`). */
  maxScopeItems: 32,
  /** Most live grants between one resident and one grantee (`ConsentRegistry.MAX_GRANTS_PER_GRANTEE`). */
  maxGrantsPerGrantee: 16,
  /** Most fields `checkAccessFields` answers in one call (`ConsentRegistry.MAX_FIELDS_PER_CHECK`). */
  maxFieldsPerCheck: 64,
  /** Longest an access request stays answerable, in seconds (`ConsentRegistry.MAX_REQUEST_TTL`). */
  maxRequestTtl: 30 * 24 * 3600,
  /** How far ahead of block time a source time may be, in seconds (`DataIndex`/`AuditTrail.MAX_CLOCK_SKEW`). */
  maxClockSkew: 15 * 60,
  /** Most fields in one piece of access evidence (`AuditTrail.MAX_FIELDS`). */
  maxEvidenceFields: 64,
  /** Most approval levels of a workflow (`AuditTrail.MAX_APPROVAL_LEVELS`). */
  maxApprovalLevels: 8,
  /** Most roles granted in one change (`ConsortiumRegistry.MAX_ROLES`). */
  maxRoles: 16,
  /** Shortest voting period, in seconds (`ConsortiumRegistry.MIN_VOTING_PERIOD`). */
  minVotingPeriod: 3600,
  /** Longest voting period, in seconds (`ConsortiumRegistry.MAX_VOTING_PERIOD`). */
  maxVotingPeriod: 90 * 24 * 3600,
} as const;

// ---------------------------------------------------------------- lookups

/** The codes of a table by name, e.g. `codesOf(PURPOSES).research` = 2. */
export function codesOf<T extends CodeTable>(table: T): { readonly [K in keyof T]: T[K]["code"] } {
  return Object.fromEntries(Object.entries(table).map(([name, entry]) => [name, entry.code])) as {
    readonly [K in keyof T]: T[K]["code"];
  };
}

/** The entry of a code and its name, e.g. `byCode(CERTIFICATE_STATUS, 2)?.zh` = "已撤销"; undefined when unknown. */
export function byCode<T extends CodeTable>(
  table: T,
  code: number | bigint,
): (T[keyof T] & { readonly name: keyof T }) | undefined {
  for (const [name, entry] of Object.entries(table)) {
    if (entry.code === Number(code)) return { ...(entry as T[keyof T]), name: name as keyof T };
  }
  return undefined;
}

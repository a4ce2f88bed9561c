// The research export's inputs, ports and result. The gateway holds the chain client, the residents'
// wallet links and the encrypted originals; this folder is the pure pipeline it drives.
import type { DeidPolicy, DeidPolicyVersion, DeidSecrets } from "@health-chain/his";
import type { Address, Hex } from "viem";
import type { Bilingual } from "../privacy/index.ts";

/** One standard record of a cohort member, decrypted by the gateway. */
export interface ExportSourceRecord {
  /** Institution code (e.g. PD-SH-05). */
  readonly institution: string;
  /** On-chain record id. */
  readonly recordId: Hex;
  /** Salted resident reference: the cohort key. */
  readonly residentRef: Hex;
  /** The resident's wallet: consent is asked by wallet. */
  readonly resident: Address;
  /** On-chain category id. */
  readonly category: Hex;
  /** Standard model: patient, diagnosis, lab-result, … */
  readonly model: string;
  readonly sourceKey: string;
  /** Standard content. */
  readonly content: Readonly<Record<string, unknown>>;
  /** Member → consent field id. */
  readonly fields: Readonly<Record<string, Hex>>;
}

/** One record's question to the consent registry. */
export interface ConsentCheckItem {
  readonly resident: Address;
  readonly recordId: Hex;
  readonly category: Hex;
  readonly fields: readonly Hex[];
}

/** Per field, in the order asked: allowed or not, and the grant that allows it (0x00… when none). */
export interface ConsentCheckAnswer {
  readonly allowed: readonly boolean[];
  readonly grantIds: readonly Hex[];
}

/**
 * Residents' research consent as the chain says at a given time; the gateway implements it with
 * ConsentRegistry.checkAccessFields (grantee kind project, id projectId, purpose research).
 */
export interface ConsentPort {
  check(projectId: Hex, items: readonly ConsentCheckItem[], at: Date): Promise<readonly ConsentCheckAnswer[]>;
}

export type KFailureAction = "refuse" | "generalise";

export interface BuildExportOptions {
  readonly exportId: string;
  readonly project: { readonly id: Hex; readonly title: string };
  /** The residentRefs of the screening run's cohort. */
  readonly cohort: readonly Hex[];
  readonly records: Iterable<ExportSourceRecord> | AsyncIterable<ExportSourceRecord>;
  readonly consent: ConsentPort;
  /** A published version of the his de-identification policy. */
  readonly policy: DeidPolicyVersion;
  readonly secrets: DeidSecrets;
  /** Default 5. */
  readonly k?: number;
  /** Default "refuse". */
  readonly onKFailure?: KFailureAction;
  /** Default 4. */
  readonly maxGeneralisationSteps?: number;
  /** Publishes a coarser policy as a new version before it is applied; required to "generalise". */
  readonly coarsen?: (policy: DeidPolicy) => Promise<DeidPolicyVersion>;
  /** YYYY-MM-DD ages are computed at. */
  readonly referenceDate: string;
  /** When consent is checked and the package is dated. */
  readonly at: Date;
}

/** Name, version and hash of the policy applied. */
export interface PolicyRef {
  readonly name: string;
  readonly version: number;
  readonly hash: string;
}

export interface ExportConsentReport {
  /** Calls to the consent port (at most 200 records each). */
  readonly batches: number;
  readonly residentsInCohort: number;
  /** Cohort members the caller passed no record for. */
  readonly residentsWithoutRecords: number;
  /** Residents with records, none of which any field was allowed for. */
  readonly residentsExcluded: number;
  readonly residentsIncluded: number;
  readonly recordsConsidered: number;
  readonly recordsIncluded: number;
  /** Records with no allowed field. */
  readonly recordsLeftOut: number;
  /** Members removed before de-identification because their field was not allowed, by "model.member". */
  readonly fieldsWithheld: Readonly<Record<string, number>>;
  /** Members removed because the record names no consent field for them, by "model.member". */
  readonly membersWithoutField: Readonly<Record<string, number>>;
}

export interface ExportDeidMemberSummary {
  readonly action: string;
  readonly by: "rule" | "default";
  done: number;
  null: number;
  unusable: number;
}

export interface ExportDeidReport {
  readonly policy: PolicyRef;
  readonly referenceDate: string;
  /** Per member location ("patient.idNumber", "record.institution", "personRef"). */
  readonly summary: Readonly<Record<string, ExportDeidMemberSummary>>;
  /** Values that became null because their action could not handle them. */
  readonly unusableCount: number;
}

/** A quasi-identifier of the policy and where its value lands. */
export interface ExportQuasiIdentifier {
  /** "patient.ageBand", "record.institution": the column of the k-anonymity check. */
  readonly name: string;
  /** The rule: "patient.birthDate", "recordFields.institution" (what coarsenDeidPolicy takes). */
  readonly rule: string;
  readonly in: "content" | "record";
}

/** Residents sharing the same quasi-identifier values: sizes and values only, never who. */
export interface ExportClass {
  readonly values: Readonly<Record<string, unknown>>;
  readonly size: number;
}

export interface ExportKCheck {
  readonly policy: PolicyRef;
  readonly satisfied: boolean;
  readonly residents: number;
  readonly classCount: number;
  readonly minClassSize: number | null;
  /** Distinct values per quasi-identifier (null counts as one). */
  readonly distinctValues: Readonly<Record<string, number>>;
  /** Residents whose value is unknown (null), per quasi-identifier. */
  readonly nullResidents: Readonly<Record<string, number>>;
  readonly classesBelowK: readonly ExportClass[];
}

export interface ExportGeneralisationStep {
  readonly step: number;
  /** The rule made one step coarser, and why it was chosen. */
  readonly coarsened: string;
  readonly distinctValuesBefore: number;
  readonly check: ExportKCheck;
}

/** A coarser policy to publish (unpublished here), and the rule it changes. */
export interface ExportPolicySuggestion {
  readonly coarsen: string;
  readonly policy: DeidPolicy;
}

export interface ExportKReport {
  readonly k: number;
  readonly onKFailure: KFailureAction;
  readonly quasiIdentifiers: readonly ExportQuasiIdentifier[];
  readonly note: Bilingual;
  readonly initial: ExportKCheck;
  readonly steps: readonly ExportGeneralisationStep[];
  readonly final: ExportKCheck;
  /** On refusal: the next coarser policy, or null when no quasi-identifier can be coarsened. */
  readonly suggestion: ExportPolicySuggestion | null;
}

export interface ExportPackageReport {
  readonly residents: number;
  readonly records: number;
  readonly recordsByModel: Readonly<Record<string, number>>;
  readonly bytes: number;
  readonly packageHash: Hex;
}

/** What the export did, for the project's reviewers and the audit: counts and classes, no person. */
export interface ExportReport {
  readonly exportId: string;
  readonly projectId: Hex;
  readonly createdAt: string;
  readonly consent: ExportConsentReport;
  /** Of the policy finally applied; null when nothing was de-identified. */
  readonly deid: ExportDeidReport | null;
  readonly kAnonymity: ExportKReport | null;
  readonly package: ExportPackageReport | null;
}

/** A resident in a package and the grants it was built on (what a revocation is matched against). */
export interface ExportMember {
  readonly residentRef: Hex;
  readonly resident: Address;
  /** Sorted, unique, lower-case. */
  readonly grantIds: readonly Hex[];
}

/** One record read into a package: the fields taken and the grants that allowed them (lower case, sorted). */
export interface ExportAccess {
  readonly recordId: Hex;
  readonly residentRef: Hex;
  readonly resident: Address;
  readonly fields: readonly Hex[];
  readonly grantIds: readonly Hex[];
}

export type ExportRefusalReason = "k-anonymity" | "empty-after-consent";

export type ExportResult =
  | {
      readonly status: "built";
      readonly exportId: string;
      /** Canonical JSON of the package (UTF-8): what is sealed and hashed. */
      readonly bytes: Uint8Array;
      /** SM3 of `bytes`, 0x hex: what is anchored on chain. */
      readonly packageHash: Hex;
      readonly policy: PolicyRef;
      readonly members: readonly ExportMember[];
      /** Every record read into the package, for the access evidence the gateway records. */
      readonly accessed: readonly ExportAccess[];
      readonly report: ExportReport;
    }
  | {
      readonly status: "refused";
      readonly exportId: string;
      readonly reason: ExportRefusalReason;
      readonly message: Bilingual;
      readonly report: ExportReport;
    };

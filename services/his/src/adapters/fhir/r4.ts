// The subset of the FHIR R4 model this adapter reads and writes, as TypeScript types.
//
// Why not @medplum/fhirtypes: its declaration files re-export each other with extensionless relative
// paths (`export * from './Patient'`) inside a `"type": "module"` package, which TypeScript's nodenext
// resolution (this repository's setting) cannot follow, so every type it exports resolves to nothing.
// These declarations follow the R4 specification (names, cardinalities, value sets of codes); the
// resources themselves are checked at run time against the official StructureDefinitions (validate.ts).

export interface Coding {
  system?: string;
  version?: string;
  code?: string;
  display?: string;
}
export interface CodeableConcept {
  coding?: Coding[];
  text?: string;
}
export interface Period {
  start?: string;
  end?: string;
}
export interface Quantity {
  value?: number;
  comparator?: "<" | "<=" | ">=" | ">";
  unit?: string;
  system?: string;
  code?: string;
}
export interface Identifier {
  use?: "usual" | "official" | "temp" | "secondary" | "old";
  type?: CodeableConcept;
  system?: string;
  value?: string;
  period?: Period;
  assigner?: Reference;
}
export interface Reference {
  reference?: string;
  type?: string;
  identifier?: Identifier;
  display?: string;
}
export interface Extension {
  url: string;
  valueBoolean?: boolean;
  valueString?: string;
  valueCode?: string;
}
export interface Meta {
  versionId?: string;
  lastUpdated?: string;
  source?: string;
  profile?: string[];
  tag?: Coding[];
}
export interface HumanName {
  use?: "usual" | "official" | "temp" | "nickname" | "anonymous" | "old" | "maiden";
  text?: string;
  family?: string;
  given?: string[];
}
export interface ContactPoint {
  system?: "phone" | "fax" | "email" | "pager" | "url" | "sms" | "other";
  value?: string;
  use?: "home" | "work" | "temp" | "old" | "mobile";
}
export interface Address {
  use?: "home" | "work" | "temp" | "old" | "billing";
  text?: string;
  line?: string[];
  city?: string;
  district?: string;
  state?: string;
  postalCode?: string;
  country?: string;
}
export interface Attachment {
  contentType?: string;
  language?: string;
  data?: string;
  url?: string;
  size?: number;
  title?: string;
  creation?: string;
}
export interface Duration {
  value?: number;
  unit?: string;
  system?: string;
  code?: string;
}

interface DomainResource {
  id?: string;
  meta?: Meta;
  extension?: Extension[];
}

export interface Patient extends DomainResource {
  resourceType: "Patient";
  identifier?: Identifier[];
  active?: boolean;
  name?: HumanName[];
  telecom?: ContactPoint[];
  gender?: "male" | "female" | "other" | "unknown";
  birthDate?: string;
  address?: Address[];
  managingOrganization?: Reference;
}

export interface Encounter extends DomainResource {
  resourceType: "Encounter";
  identifier?: Identifier[];
  status: "planned" | "arrived" | "triaged" | "in-progress" | "onleave" | "finished" | "cancelled" | "entered-in-error" | "unknown";
  class: Coding;
  type?: CodeableConcept[];
  serviceType?: CodeableConcept;
  subject?: Reference;
  period?: Period;
  serviceProvider?: Reference;
}

export interface Condition extends DomainResource {
  resourceType: "Condition";
  identifier?: Identifier[];
  clinicalStatus?: CodeableConcept;
  verificationStatus?: CodeableConcept;
  category?: CodeableConcept[];
  code?: CodeableConcept;
  subject: Reference;
  encounter?: Reference;
  onsetDateTime?: string;
  recordedDate?: string;
}

export interface ObservationReferenceRange {
  low?: Quantity;
  high?: Quantity;
  text?: string;
}

export interface Observation extends DomainResource {
  resourceType: "Observation";
  identifier?: Identifier[];
  status: "registered" | "preliminary" | "final" | "amended" | "corrected" | "cancelled" | "entered-in-error" | "unknown";
  category?: CodeableConcept[];
  code: CodeableConcept;
  subject?: Reference;
  encounter?: Reference;
  effectiveDateTime?: string;
  effectivePeriod?: Period;
  issued?: string;
  valueQuantity?: Quantity;
  valueString?: string;
  valueCodeableConcept?: CodeableConcept;
  interpretation?: CodeableConcept[];
  referenceRange?: ObservationReferenceRange[];
}

export interface DiagnosticReport extends DomainResource {
  resourceType: "DiagnosticReport";
  identifier?: Identifier[];
  status: "registered" | "partial" | "preliminary" | "final" | "amended" | "corrected" | "appended" | "cancelled" | "entered-in-error" | "unknown";
  category?: CodeableConcept[];
  code: CodeableConcept;
  subject?: Reference;
  encounter?: Reference;
  effectiveDateTime?: string;
  effectivePeriod?: Period;
  issued?: string;
  result?: Reference[];
}

export interface Dosage {
  text?: string;
  timing?: { code?: CodeableConcept; repeat?: { boundsDuration?: Duration } };
  route?: CodeableConcept;
  doseAndRate?: { doseQuantity?: Quantity }[];
}

export interface MedicationRequest extends DomainResource {
  resourceType: "MedicationRequest";
  identifier?: Identifier[];
  status: "active" | "on-hold" | "cancelled" | "completed" | "entered-in-error" | "stopped" | "draft" | "unknown";
  intent: "proposal" | "plan" | "order" | "original-order" | "reflex-order" | "filler-order" | "instance-order" | "option";
  medicationCodeableConcept?: CodeableConcept;
  medicationReference?: Reference;
  subject: Reference;
  encounter?: Reference;
  authoredOn?: string;
  reasonCode?: CodeableConcept[];
  dosageInstruction?: Dosage[];
  dispenseRequest?: { expectedSupplyDuration?: Duration };
}

export interface DocumentReference extends DomainResource {
  resourceType: "DocumentReference";
  masterIdentifier?: Identifier;
  identifier?: Identifier[];
  status: "current" | "superseded" | "entered-in-error";
  docStatus?: "preliminary" | "final" | "amended" | "entered-in-error";
  type?: CodeableConcept;
  category?: CodeableConcept[];
  subject?: Reference;
  date?: string;
  custodian?: Reference;
  description?: string;
  content: { attachment: Attachment; format?: Coding }[];
  context?: { encounter?: Reference[]; period?: Period };
}

/** A resource of a type the adapter does not read: only what every resource has. */
export interface OtherResource extends DomainResource {
  resourceType: string;
}

export type CollectedResource = Patient | Encounter | Condition | Observation | DiagnosticReport | MedicationRequest | DocumentReference;
export type Resource = CollectedResource;

export interface BundleEntry {
  fullUrl?: string;
  resource?: Resource | OtherResource;
  search?: { mode?: "match" | "include" | "outcome"; score?: number };
  request?: { method: "GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "PATCH"; url: string };
}

export interface Bundle {
  resourceType: "Bundle";
  id?: string;
  meta?: Meta;
  type: "document" | "message" | "transaction" | "transaction-response" | "batch" | "batch-response" | "history" | "searchset" | "collection";
  timestamp?: string;
  total?: number;
  link?: { relation: string; url: string }[];
  entry?: BundleEntry[];
}

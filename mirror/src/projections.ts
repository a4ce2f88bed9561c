// Typed projection rows of an event (schema.prisma, "Projections"): which table, which columns.
// Pure: the indexer writes the rows in the same transaction as the event itself.
import type { CanonicalValue, MirrorEvent } from "./events.ts";

export type ProjectionTable =
  | "recordEvent"
  | "batchAnchor"
  | "grantEvent"
  | "delegationEvent"
  | "requestEvent"
  | "accessEvidence"
  | "accessBatch"
  | "workflowStep"
  | "certificateEvent";

export const PROJECTION_TABLES: readonly ProjectionTable[] = [
  "recordEvent",
  "batchAnchor",
  "grantEvent",
  "delegationEvent",
  "requestEvent",
  "accessEvidence",
  "accessBatch",
  "workflowStep",
  "certificateEvent",
];

export interface ProjectionRow {
  table: ProjectionTable;
  data: Record<string, string | number | boolean | Date | null>;
}

const ZERO32 = `0x${"0".repeat(64)}`;

function str(value: CanonicalValue | undefined): string {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  throw new TypeError(`expected a string, got ${JSON.stringify(value)}`);
}
function num(value: CanonicalValue | undefined): number {
  if (typeof value === "number") return value;
  if (typeof value === "string" && /^\d+$/.test(value)) return Number(value);
  throw new TypeError(`expected a number, got ${JSON.stringify(value)}`);
}
function bool(value: CanonicalValue | undefined): boolean {
  if (typeof value === "boolean") return value;
  throw new TypeError(`expected a boolean, got ${JSON.stringify(value)}`);
}
function obj(value: CanonicalValue | undefined): { [key: string]: CanonicalValue } {
  if (value && typeof value === "object" && !Array.isArray(value)) return value;
  throw new TypeError(`expected an object, got ${JSON.stringify(value)}`);
}

/** The projection row of an event, or undefined for events kept only as ChainEvent. */
export function projectionOf(event: MirrorEvent): ProjectionRow | undefined {
  const a = event.args;
  const base = { blockNumber: event.blockNumber, logIndex: event.logIndex, txHash: event.txHash, timestamp: new Date(event.timestamp * 1000) };
  switch (`${event.contract}.${event.eventName}`) {
    case "DataIndex.RecordAnchored":
      return {
        table: "recordEvent",
        data: {
          ...base,
          kind: "anchored",
          institution: str(a.institution),
          recordId: str(a.recordId),
          residentRef: str(a.residentRef),
          category: str(a.category),
          contentHash: str(a.contentHash),
          pointerHash: str(a.pointerHash),
          schemaVersion: num(a.schemaVersion),
          sourceTime: str(a.sourceTime),
        },
      };
    case "DataIndex.RecordChanged":
      return {
        table: "recordEvent",
        data: {
          ...base,
          kind: "changed",
          institution: str(a.institution),
          recordId: str(a.recordId),
          residentRef: str(a.newResidentRef) === ZERO32 ? null : str(a.newResidentRef),
          contentHash: str(a.newContentHash),
          pointerHash: str(a.newPointerHash),
          previousContentHash: str(a.previousContentHash),
          reason: num(a.reason),
          changedAt: str(a.changedAt),
          version: num(a.version),
        },
      };
    case "DataIndex.BatchAnchored":
      return {
        table: "batchAnchor",
        data: { ...base, batchId: str(a.batchId), institution: str(a.institution), kind: num(a.kind), root: str(a.root), leafCount: num(a.leafCount) },
      };
    case "ConsentRegistry.GrantCreated": {
      const terms = obj(a.terms);
      return {
        table: "grantEvent",
        data: {
          ...base,
          kind: "created",
          grantId: str(a.grantId),
          resident: str(a.resident),
          grantee: str(a.grantee),
          granteeKind: num(terms.granteeKind),
          parentId: str(terms.parentId) === ZERO32 ? null : str(terms.parentId),
          mayReshare: bool(terms.mayReshare),
          purposes: num(terms.purposes),
          notBefore: str(terms.notBefore),
          notAfter: str(terms.notAfter),
          scope: JSON.stringify(obj(a.scope)),
          signer: str(a.signer),
        },
      };
    }
    case "ConsentRegistry.GrantNarrowed":
      return {
        table: "grantEvent",
        data: {
          ...base,
          kind: "narrowed",
          grantId: str(a.grantId),
          resident: str(a.resident),
          purposes: num(a.purposes),
          notAfter: str(a.notAfter),
          scope: JSON.stringify(obj(a.removed)),
          signer: str(a.signer),
        },
      };
    case "ConsentRegistry.GrantRevoked":
      return { table: "grantEvent", data: { ...base, kind: "revoked", grantId: str(a.grantId), resident: str(a.resident), signer: str(a.signer) } };
    case "ConsentRegistry.DelegateSet":
      return {
        table: "delegationEvent",
        data: {
          ...base,
          kind: "set",
          resident: str(a.resident),
          delegate: str(a.delegate),
          delegationId: str(a.delegationId),
          relation: num(a.relation),
          notAfter: str(a.notAfter),
        },
      };
    case "ConsentRegistry.DelegateRevoked":
      return {
        table: "delegationEvent",
        data: { ...base, kind: "revoked", resident: str(a.resident), delegate: str(a.delegate), delegationId: str(a.delegationId) },
      };
    case "ConsentRegistry.AccessRequested":
      return {
        table: "requestEvent",
        data: {
          ...base,
          kind: "filed",
          requestId: str(a.requestId),
          resident: str(a.resident),
          grantee: str(a.grantee),
          institution: str(a.institution),
          granteeKind: num(a.granteeKind),
          scope: JSON.stringify(obj(a.scope)),
          purposes: num(a.purposes),
          validFor: str(a.validFor),
          answerBy: str(a.answerBy),
          reasonHash: str(a.reasonHash),
        },
      };
    case "ConsentRegistry.AccessRequestAnswered":
      return {
        table: "requestEvent",
        data: {
          ...base,
          kind: "answered",
          requestId: str(a.requestId),
          resident: str(a.resident),
          approved: bool(a.approved),
          mode: num(a.mode),
          grantId: str(a.grantId) === ZERO32 ? null : str(a.grantId),
          signer: str(a.signer),
        },
      };
    case "AuditTrail.AccessRecorded":
      return {
        table: "accessEvidence",
        data: {
          ...base,
          evidenceId: str(a.evidenceId),
          accessor: str(a.accessor),
          residentRef: str(a.residentRef),
          recordId: str(a.recordId),
          fields: JSON.stringify(a.fields ?? []),
          purpose: num(a.purpose),
          grantId: str(a.grantId),
          accessedAt: str(a.accessedAt),
          outcome: num(a.outcome),
          recorder: str(a.recorder),
        },
      };
    case "AuditTrail.AccessBatchRecorded":
      return {
        table: "accessBatch",
        data: {
          ...base,
          batchId: str(a.batchId),
          recorder: str(a.recorder),
          root: str(a.root),
          lineCount: num(a.lineCount),
          fromTime: str(a.fromTime),
          toTime: str(a.toTime),
        },
      };
    case "AuditTrail.WorkflowStepRecorded":
      return {
        table: "workflowStep",
        data: {
          ...base,
          workflowId: str(a.workflowId),
          step: num(a.step),
          decision: num(a.decision),
          actor: str(a.actor),
          documentHash: str(a.documentHash),
          level: num(a.level),
          institution: str(a.institution),
          stepTime: str(a.timestamp),
        },
      };
    case "CertificateRegistry.CertificateIssued":
      return {
        table: "certificateEvent",
        data: {
          ...base,
          kind: "issued",
          certId: str(a.certId),
          issuer: str(a.issuer),
          subject: str(a.subject),
          documentType: num(a.documentType),
          documentHash: str(a.documentHash),
          issuedAt: str(a.issuedAt),
          validFrom: str(a.validFrom),
          validUntil: str(a.validUntil),
          issuerSignature: str(a.issuerSignature),
        },
      };
    case "CertificateRegistry.CertificateRevoked":
      return {
        table: "certificateEvent",
        data: { ...base, kind: "revoked", certId: str(a.certId), issuer: str(a.issuer), reason: num(a.reason), revokedAt: str(a.revokedAt) },
      };
    default:
      return undefined;
  }
}

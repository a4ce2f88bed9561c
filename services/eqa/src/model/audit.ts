// The append-only audit trail: one row per change, written with the transaction client of the
// change itself so that the record exists exactly when the change does.
import type { EqaTx } from "../db.ts";

export type AuditAction =
  | "plan.create"
  | "round.create"
  | "round.status"
  | "lab.register"
  | "lab.enrol"
  | "results.save"
  | "results.submit"
  | "results.reset"
  | "unlock.request"
  | "unlock.approve"
  | "unlock.reject"
  | "nonParticipation.register"
  | "round.evaluate"
  | "scheme.override"
  | "documents.issue";

export interface AuditRecord {
  at: Date;
  actor: string;
  action: AuditAction;
  roundCode?: string;
  labCode?: string;
  details: Record<string, unknown>;
}

/** Plain SQL (both providers): it is on the intake's hot path, where Prisma's query compiler
 * would cost more than the insert itself. */
export async function writeAudit(tx: EqaTx, record: AuditRecord): Promise<void> {
  // Plain SQL: a submission writes one audit row in its transaction, and Prisma's query compiler
  // costs more than the insert itself (measured: 1.1 ms against 0.7 ms on SQLite).
  await tx.$executeRaw`INSERT INTO "AuditEvent" ("at", "actor", "action", "roundCode", "labCode", "detailsJson")
    VALUES (${record.at}, ${record.actor}, ${record.action}, ${record.roundCode ?? null}, ${record.labCode ?? null}, ${JSON.stringify(record.details)})`;
}

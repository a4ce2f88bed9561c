// Keeps collected records with the right resident after the master patient index moves identities
// (a merge, an unmerge, an identity moved by a reviewer): each record's person is looked up again
// from its institution and patient number. A record not yet anchored simply takes its new person
// and residentRef; an anchored record gets an identity-merge change record (变更记录: content
// unchanged, the surviving residentRef), anchored like any other change.
import type { Hex } from "viem";
import type { HisDb } from "../db.ts";

/** The EMPI event kinds that move identities between persons. */
const MOVES = ["merge", "unmerge", "relink"];

export interface IdentityReconciler {
  /** Applies the moves recorded since the last call; returns how many records changed person. */
  reconcile(): Promise<{ moved: number; changes: number }>;
}

export function createIdentityReconciler(options: {
  db: HisDb;
  personOf: (institution: string, patientId: string) => Promise<string | null>;
  residentRefOf: (personId: string) => Hex;
}): IdentityReconciler {
  const { db } = options;
  // From the first event at each start: applying a move again is a no-op (the record already has
  // its current person), so nothing a stopped process left undone is missed.
  let seen = 0;
  return {
    async reconcile() {
      const events = await db.empiEvent.findMany({ where: { id: { gt: seen }, kind: { in: MOVES } }, orderBy: { id: "asc" }, select: { id: true, personId: true, otherPersonId: true, createdAt: true } });
      if (events.length === 0) return { moved: 0, changes: 0 };
      // When each person's identities last moved: the change records' time.
      const movedAt = new Map<string, Date>();
      for (const e of events) for (const p of [e.personId, e.otherPersonId]) if (p !== null) movedAt.set(p, e.createdAt);
      const persons = [...movedAt.keys()];
      const records = [];
      for (let i = 0; i < persons.length; i += 400) {
        records.push(...(await db.collectedRecord.findMany({ where: { personId: { in: persons.slice(i, i + 400) } } })));
      }
      let moved = 0;
      let changes = 0;
      let blocked = false;
      for (const record of records) {
        const current = await options.personOf(record.institution, record.patientId);
        if (current === null || current === record.personId) continue;
        if (record.anchorState === "pending" && record.anchorBatchId !== null) {
          blocked = true; // being anchored right now: settled on a later pass
          continue;
        }
        const residentRef = options.residentRefOf(current);
        await db.$transaction(async (tx) => {
          if (record.anchorState === "anchored") {
            const version = record.version + 1;
            await tx.recordChange.create({
              data: {
                recordId: record.recordId,
                version,
                previousContentHash: record.contentHash,
                newContentHash: record.contentHash,
                reason: "identity-merge",
                newResidentRef: residentRef,
                contentJson: record.contentJson,
                changedAt: movedAt.get(record.personId) ?? new Date(),
              },
            });
            await tx.collectedRecord.update({ where: { recordId: record.recordId }, data: { personId: current, residentRef, version } });
            changes++;
          } else {
            await tx.collectedRecord.update({ where: { recordId: record.recordId }, data: { personId: current, residentRef } });
          }
        });
        moved++;
      }
      if (!blocked) seen = events.at(-1)!.id;
      return { moved, changes };
    },
  };
}

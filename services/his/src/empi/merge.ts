// Merge, unmerge and moving one identity. A merge moves the merged person's identities onto the
// survivor and records exactly which ones in its event; an unmerge moves those same identities back
// — unless a person has moved one since (a relink) or it is no longer with the survivor's line —
// so identities linked to the survivor after the merge stay where they are. History is only added to.
import { platformError } from "@health-chain/sdk";
import type { HisTx } from "../db.ts";
import { identityKey } from "./identity.ts";
import { mergeChain, mergedInto, requireActivePerson, requirePerson } from "./persons.ts";

/** One identity that changed person. */
export interface IdentityMove {
  readonly identityId: number;
  readonly institution: string;
  readonly patientId: string;
  readonly fromPersonId: string;
  readonly toPersonId: string;
}

interface Changes {
  /** The EmpiEvent written. */
  readonly eventId: number;
  readonly moved: readonly IdentityMove[];
  /**
   * Persons (as collected records hold them) whose records' residentRef may change: the pipeline
   * re-derives their records' residentRef from their current person and writes change records
   * (reason identity-merge).
   */
  readonly changedPersonIds: readonly string[];
}

export interface MergeResult extends Changes {
  readonly survivorId: string;
  readonly mergedId: string;
  /** Open review items this merge settled. */
  readonly settledReviewIds: readonly number[];
}

export interface UnmergeResult extends Changes {
  /** The person restored. */
  readonly personId: string;
  /** The person it had been merged into. */
  readonly survivorId: string;
  /** Identities the merge had moved that stay where they are (moved by a person since). */
  readonly keptIdentityIds: readonly number[];
}

export interface MoveResult extends Changes {
  readonly identityId: number;
  readonly fromPersonId: string;
  readonly toPersonId: string;
}

/** Keys of the identities a change moved (the cache forgets them). */
export const movedKeys = (changes: Changes) => changes.moved.map((m) => identityKey(m.institution, m.patientId));

export function requireText(value: unknown, field: string, fieldZh: string): string {
  if (typeof value !== "string" || value.trim() === "" || value.length > 500) {
    throw platformError("INVALID_INPUT", {
      message: `${field} must be a non-empty string of at most 500 characters.`,
      messageZh: `${fieldZh}不能为空且不超过 500 个字符。`,
      details: { field, value: typeof value === "string" ? value.slice(0, 100) : value },
    });
  }
  return value.trim();
}

const unique = <T>(items: readonly T[]) => [...new Set(items)];

/** Merges `mergedId` into `survivorId` inside `tx`. */
export async function mergePersons(tx: HisTx, survivorId: string, mergedId: string, actor: string, reason: string, now: Date): Promise<MergeResult> {
  if (survivorId === mergedId) {
    throw platformError("INVALID_INPUT", {
      message: `A person cannot be merged into itself (${survivorId}).`,
      messageZh: `不能将居民与其自身合并（${survivorId}）。`,
      details: { survivorId, mergedId },
    });
  }
  await requireActivePerson(tx, survivorId);
  await requireActivePerson(tx, mergedId);
  const identities = await tx.empiIdentity.findMany({ where: { personId: mergedId }, select: { id: true, institution: true, patientId: true }, orderBy: { id: "asc" } });
  const ids = identities.map((i) => i.id);
  if (ids.length > 0) await tx.empiIdentity.updateMany({ where: { id: { in: ids } }, data: { personId: survivorId } });
  await tx.empiPerson.update({ where: { id: mergedId }, data: { status: "merged", mergedInto: survivorId } });
  // Review items asking whether these two are one person are answered by the merge.
  const survivorIdentityIds = (await tx.empiIdentity.findMany({ where: { personId: survivorId }, select: { id: true } })).map((i) => i.id);
  const settled = await tx.empiReview.findMany({
    where: {
      status: "open",
      OR: [
        { identityId: { in: ids }, candidatePersonId: survivorId },
        { identityId: { in: survivorIdentityIds.filter((id) => !ids.includes(id)) }, candidatePersonId: mergedId },
      ],
    },
    select: { id: true },
  });
  const settledReviewIds = settled.map((r) => r.id);
  if (settledReviewIds.length > 0) {
    await tx.empiReview.updateMany({ where: { id: { in: settledReviewIds } }, data: { status: "merged", decidedBy: actor, decidedAt: now } });
  }
  const event = await tx.empiEvent.create({
    data: {
      kind: "merge", personId: survivorId, otherPersonId: mergedId, actor, reason,
      detailsJson: JSON.stringify({ movedIdentityIds: ids, settledReviewIds }),
    },
    select: { id: true },
  });
  const moved = identities.map((i) => ({ identityId: i.id, institution: i.institution, patientId: i.patientId, fromPersonId: mergedId, toPersonId: survivorId }));
  return {
    survivorId, mergedId, eventId: event.id, moved, settledReviewIds,
    changedPersonIds: [mergedId, ...(await mergedInto(tx, mergedId))],
  };
}

/** Undoes the latest merge of `mergedId` inside `tx`. */
export async function unmergePerson(tx: HisTx, mergedId: string, actor: string, reason: string): Promise<UnmergeResult> {
  const person = await requirePerson(tx, mergedId);
  if (person.status !== "merged") {
    throw platformError("CONFLICT", {
      message: `Person ${mergedId} is not merged into anyone; there is nothing to unmerge.`,
      messageZh: `居民 ${mergedId} 未被合并，无需拆分。`,
      details: { personId: mergedId, status: person.status },
    });
  }
  const mergeEvent = await tx.empiEvent.findFirst({ where: { kind: "merge", otherPersonId: mergedId }, orderBy: { id: "desc" } });
  if (mergeEvent === null || mergeEvent.personId !== person.mergedInto) {
    throw platformError("INTERNAL", {
      message: `The history holds no merge of ${mergedId} into ${person.mergedInto}.`,
      messageZh: `历史记录中没有 ${mergedId} 合并至 ${person.mergedInto} 的事件。`,
      details: { personId: mergedId, mergedInto: person.mergedInto },
    });
  }
  const survivorId = mergeEvent.personId;
  const movedIds: number[] = (JSON.parse(mergeEvent.detailsJson ?? "{}") as { movedIdentityIds?: number[] }).movedIdentityIds ?? [];
  // Where the merge's identities may be now and still count as "with the survivor": its line of merges.
  const line = new Set(await mergeChain(tx, survivorId));
  const relinked = new Set(
    (await tx.empiEvent.findMany({ where: { kind: "relink", identityId: { in: movedIds }, id: { gt: mergeEvent.id } }, select: { identityId: true } }))
      .map((e) => e.identityId),
  );
  const current = await tx.empiIdentity.findMany({ where: { id: { in: movedIds } }, select: { id: true, institution: true, patientId: true, personId: true }, orderBy: { id: "asc" } });
  const restore = current.filter((i) => line.has(i.personId) && !relinked.has(i.id));
  const keptIdentityIds = movedIds.filter((id) => !restore.some((i) => i.id === id));
  const restoreIds = restore.map((i) => i.id);
  if (restoreIds.length > 0) await tx.empiIdentity.updateMany({ where: { id: { in: restoreIds } }, data: { personId: mergedId } });
  await tx.empiPerson.update({ where: { id: mergedId }, data: { status: "active", mergedInto: null } });
  const event = await tx.empiEvent.create({
    data: {
      kind: "unmerge", personId: mergedId, otherPersonId: survivorId, actor, reason,
      detailsJson: JSON.stringify({ mergeEventId: mergeEvent.id, restoredIdentityIds: restoreIds, keptIdentityIds }),
    },
    select: { id: true },
  });
  const moved = restore.map((i) => ({ identityId: i.id, institution: i.institution, patientId: i.patientId, fromPersonId: i.personId, toPersonId: mergedId }));
  return {
    personId: mergedId, survivorId, eventId: event.id, moved, keptIdentityIds,
    // Records collected while merged carry the holder's id: the holders are affected too.
    changedPersonIds: unique([mergedId, ...(await mergedInto(tx, mergedId)), ...restore.map((i) => i.personId)]),
  };
}

/** Moves one identity to another person (or to a new one, `toPersonId` null) inside `tx`. */
export async function moveIdentityTo(
  tx: HisTx, identityId: number, toPersonId: string | null, actor: string, reason: string, newPersonId: () => string,
): Promise<MoveResult> {
  if (!Number.isInteger(identityId)) {
    throw platformError("INVALID_INPUT", { message: "identityId must be an integer.", messageZh: "身份记录编号应为整数。", details: { identityId } });
  }
  const identity = await tx.empiIdentity.findUnique({ where: { id: identityId }, select: { id: true, institution: true, patientId: true, personId: true } });
  if (identity === null) {
    throw platformError("NOT_FOUND", { message: `No identity ${identityId} in the master patient index.`, messageZh: `居民主索引中没有身份记录 ${identityId}。`, details: { identityId } });
  }
  let target: string;
  if (toPersonId === null) {
    target = newPersonId();
    await tx.empiPerson.create({ data: { id: target } });
  } else {
    await requireActivePerson(tx, toPersonId);
    target = toPersonId;
  }
  if (target === identity.personId) {
    throw platformError("CONFLICT", {
      message: `Identity ${identityId} is already linked to person ${target}.`,
      messageZh: `身份记录 ${identityId} 已关联到居民 ${target}。`,
      details: { identityId, personId: target },
    });
  }
  await tx.empiIdentity.update({ where: { id: identityId }, data: { personId: target, linkMethod: "manual" } });
  const event = await tx.empiEvent.create({
    data: {
      kind: "relink", personId: target, otherPersonId: identity.personId, identityId, actor, reason,
      detailsJson: JSON.stringify({ institution: identity.institution, patientId: identity.patientId, ...(toPersonId === null ? { newPerson: true } : {}) }),
    },
    select: { id: true },
  });
  return {
    identityId, fromPersonId: identity.personId, toPersonId: target, eventId: event.id,
    moved: [{ identityId, institution: identity.institution, patientId: identity.patientId, fromPersonId: identity.personId, toPersonId: target }],
    changedPersonIds: [identity.personId, target],
  };
}

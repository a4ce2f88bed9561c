// The three-level view of a resident (患者—就诊—文档): the person with the institutions' identities
// (its own and those of persons merged into it), its encounters, and under each encounter the
// records that name it by `encounterKey`; and the person's history.
import { platformError } from "@health-chain/sdk";
import type { HisTx } from "../db.ts";
import { mergeChain, mergedInto } from "./persons.ts";
import type { EmpiRegistration } from "./registration.ts";

export interface EmpiHistoryEvent {
  readonly id: number;
  /** "create" | "link" | "update" | "merge" | "unmerge" | "relink" | "review" */
  readonly kind: string;
  readonly personId: string;
  readonly otherPersonId: string | null;
  readonly identityId: number | null;
  readonly actor: string;
  readonly reason: string | null;
  readonly details: Record<string, unknown>;
  readonly createdAt: Date;
}

/** An identity as the view shows it: the registration as stored, and how it was linked. */
export interface PersonIdentityView extends EmpiRegistration {
  readonly identityId: number;
  readonly linkMethod: string;
  readonly linkScore: number | null;
  /** The merged person it came with, when it did not come to this person directly. */
  readonly viaPersonId: string | null;
}

export interface RecordView {
  readonly recordId: string;
  readonly institution: string;
  readonly model: string;
  readonly sourceKey: string;
  readonly category: string;
  readonly version: number;
  readonly sourceTime: Date;
  readonly anchorState: string;
  /** The person id the record was collected under (this person or one merged into it). */
  readonly personId: string;
  /** The standard-model content (contentJson parsed; the text itself if it is not JSON). */
  readonly content: unknown;
}

export interface EncounterView extends RecordView {
  /** Diagnoses, results, prescriptions, reports … of this encounter, by source time. */
  readonly documents: readonly RecordView[];
}

export interface PersonView {
  /** The current person (the one asked for, or the one it was merged into). */
  readonly personId: string;
  /** The id asked for. */
  readonly requestedId: string;
  /** Persons merged into it, directly or not. */
  readonly mergedPersonIds: readonly string[];
  readonly identities: readonly PersonIdentityView[];
  readonly encounters: readonly EncounterView[];
  /** Records that name no encounter of the person (registrations, or an encounter not received yet). */
  readonly unattached: readonly RecordView[];
}

function notFound(personId: string): never {
  throw platformError("NOT_FOUND", { message: `No person ${personId} in the master patient index.`, messageZh: `居民主索引中没有居民 ${personId}。`, details: { personId } });
}

const parseJson = (text: string | null): unknown => {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};

/** Events of the person and of every person merged into it, in order. */
export async function personHistory(tx: HisTx, personId: string): Promise<EmpiHistoryEvent[]> {
  const chain = await mergeChain(tx, personId);
  if (chain.length === 0) notFound(personId);
  const persons = [personId, ...(await mergedInto(tx, personId))];
  const rows = await tx.empiEvent.findMany({
    where: { OR: [{ personId: { in: persons } }, { otherPersonId: { in: persons } }] },
    orderBy: { id: "asc" },
  });
  return rows.map((row) => ({
    id: row.id, kind: row.kind, personId: row.personId, otherPersonId: row.otherPersonId, identityId: row.identityId,
    actor: row.actor, reason: row.reason, details: (parseJson(row.detailsJson) ?? {}) as Record<string, unknown>, createdAt: row.createdAt,
  }));
}

/** The view of a person (following merges to the current one). */
export async function personViewOf(tx: HisTx, requestedId: string): Promise<PersonView> {
  const chain = await mergeChain(tx, requestedId);
  const personId = chain.at(-1) ?? notFound(requestedId);
  const mergedPersonIds = await mergedInto(tx, personId);

  const identities = await tx.empiIdentity.findMany({ where: { personId }, orderBy: { id: "asc" } });
  // Which merged person each identity came with: the merge events name the identities they moved.
  const via = new Map<number, string>();
  if (mergedPersonIds.length > 0) {
    const merges = await tx.empiEvent.findMany({ where: { kind: "merge", otherPersonId: { in: mergedPersonIds } }, orderBy: { id: "asc" } });
    for (const merge of merges) {
      const moved = (parseJson(merge.detailsJson) as { movedIdentityIds?: number[] } | null)?.movedIdentityIds ?? [];
      for (const id of moved) if (!via.has(id)) via.set(id, merge.otherPersonId!);
    }
  }

  const rows = await tx.collectedRecord.findMany({
    where: { personId: { in: [personId, ...mergedPersonIds] } },
    select: {
      recordId: true, institution: true, model: true, sourceKey: true, category: true, version: true, sourceTime: true, anchorState: true,
      personId: true, contentJson: true,
    },
    orderBy: [{ sourceTime: "asc" }, { recordId: "asc" }],
  });
  const records: RecordView[] = rows.map(({ contentJson, ...row }) => ({ ...row, content: parseJson(contentJson) }));
  const encounters = new Map<string, { record: RecordView; documents: RecordView[] }>();
  const at = (institution: string, key: string) => `${institution}\u0000${key}`;
  for (const record of records) if (record.model === "encounter") encounters.set(at(record.institution, record.sourceKey), { record, documents: [] });
  const unattached: RecordView[] = [];
  for (const record of records) {
    if (record.model === "encounter") continue;
    const key = (record.content as { encounterKey?: unknown } | null)?.encounterKey;
    const encounter = typeof key === "string" ? encounters.get(at(record.institution, key)) : undefined;
    if (encounter) encounter.documents.push(record);
    else unattached.push(record);
  }

  return {
    personId,
    requestedId,
    mergedPersonIds,
    identities: identities.map((i) => ({
      identityId: i.id, institution: i.institution, patientId: i.patientId, name: i.name, sex: i.sex, birthDate: i.birthDate,
      idNumber: i.idNumber, phone: i.phone, address: i.address, linkMethod: i.linkMethod, linkScore: i.linkScore,
      viaPersonId: via.get(i.id) ?? null,
    })),
    encounters: [...encounters.values()].map(({ record, documents }) => ({ ...record, documents })),
    unattached,
  };
}

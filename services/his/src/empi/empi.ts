// The master patient index (居民主索引) as one object over the service's database: linking
// registrations, finding a patient's person, merging and unmerging, the review queue, history and
// the three-level view. Every operation runs in one transaction — the caller's (`tx`) where it
// accepts one, else its own. Several processes may hold an Empi on one database (the collection
// service, the gateway's admin screens): `refresh` keeps each one's person cache true to the others' moves.
import type { HisDb, HisTx } from "../db.ts";
import { createMoveWatch, createPersonCache, IDENTITY_MOVING_EVENTS } from "./cache.ts";
import { identityKey } from "./identity.ts";
import { linkBatch, type LinkResult } from "./link.ts";
import { mergePersons, moveIdentityTo, movedKeys, requireText, unmergePerson, type MergeResult, type MoveResult, type UnmergeResult } from "./merge.ts";
import { resolveEmpiOptions, todayInChina, type EmpiOptions, type ResolvedEmpiOptions } from "./options.ts";
import { currentPerson } from "./persons.ts";
import { normalizeRegistrations, type EmpiRegistration } from "./registration.ts";
import { decideReviewItem, listOpenReviews, type EmpiReviewItem, type OpenReviewsQuery, type ReviewDecision, type ReviewDecisionResult } from "./review.ts";
import { personHistory, personViewOf, type EmpiHistoryEvent, type PersonView } from "./view.ts";

export interface PatientKey {
  readonly institution: string;
  readonly patientId: string;
}

export interface Empi {
  readonly options: ResolvedEmpiOptions;
  /** Links one registration; idempotent per (institution, patientId). */
  link(registration: EmpiRegistration, actor: string, tx?: HisTx): Promise<LinkResult>;
  /** Links registrations in order (a page of up to a few thousand); one INVALID_INPUT for the whole batch if any is bad. */
  linkMany(registrations: readonly EmpiRegistration[], actor: string, tx?: HisTx): Promise<LinkResult[]>;
  /** The current person of an institution's patient, or null if never registered (cached outside transactions). */
  personOf(institution: string, patientId: string, tx?: HisTx): Promise<string | null>;
  /** `personOf` for many patients with one query per page. */
  personsOf(keys: readonly PatientKey[], tx?: HisTx): Promise<(string | null)[]>;
  /** The current person of a person id (following merges), or null if unknown. */
  currentPersonOf(personId: string, tx?: HisTx): Promise<string | null>;
  merge(survivorId: string, mergedId: string, actor: string, reason: string): Promise<MergeResult>;
  unmerge(mergedId: string, actor: string, reason: string): Promise<UnmergeResult>;
  /** Moves one identity to another person, or to a new one (`toPersonId` null). */
  moveIdentity(identityId: number, toPersonId: string | null, actor: string, reason: string): Promise<MoveResult>;
  openReviews(query?: OpenReviewsQuery): Promise<EmpiReviewItem[]>;
  decideReview(reviewId: number, decision: ReviewDecision, actor: string): Promise<ReviewDecisionResult>;
  /** The events of a person and of the persons merged into it, oldest first. */
  history(personId: string): Promise<EmpiHistoryEvent[]>;
  personView(personId: string): Promise<PersonView>;
  /**
   * Forgets the cached persons when another process (or another Empi object) merged, unmerged or
   * moved identities since the last call: the latest event id, then the events written since (a range
   * of the primary key). Call it before
   * relying on `personOf` after a pause (the service calls it at each scheduler poll and before each run).
   */
  refresh(): Promise<void>;
  /**
   * The shape the collection pipeline takes (collection/ports.ts ResidentLinker): person ids only,
   * in the pipeline's transaction.
   */
  residentLinker(): {
    linkMany(tx: HisTx, registrations: readonly EmpiRegistration[], actor: string): Promise<readonly string[]>;
    personsOf(tx: HisTx, keys: readonly PatientKey[]): Promise<readonly (string | null)[]>;
  };
}

const PATIENT_CHUNK = 5000;

export function createEmpi(db: HisDb, input: EmpiOptions = {}): Empi {
  const options = resolveEmpiOptions(input);
  const cache = createPersonCache(options.cacheSize);
  // Prisma's own field: the two generated clients differ only there (the raw bulk inserts need it).
  const postgres = (db as unknown as { _activeProvider?: string })._activeProvider === "postgresql";
  // A PostgreSQL sequence hands out ids before commit: a writer's transaction may commit a lower id
  // up to its timeout later. SQLite's writers take turns, so its ids become visible in order.
  const watch = createMoveWatch(postgres ? options.transactionTimeoutMs : 0);
  let refreshing: Promise<void> | null = null;
  const inTransaction = <T>(fn: (tx: HisTx) => Promise<T>): Promise<T> =>
    db.$transaction(fn, { timeout: options.transactionTimeoutMs, maxWait: options.transactionTimeoutMs });

  async function linkMany(registrations: readonly EmpiRegistration[], actor: string, tx?: HisTx): Promise<LinkResult[]> {
    const by = requireText(actor, "actor", "操作人");
    const normalized = normalizeRegistrations(registrations, todayInChina(options.now()));
    if (normalized.length === 0) return [];
    if (tx !== undefined) {
      const outcome = await linkBatch(tx, normalized, registrations, by, options, postgres);
      cache.invalidateUncommitted(outcome.movedKeys);
      return outcome.results;
    }
    const outcome = await inTransaction((own) => linkBatch(own, normalized, registrations, by, options, postgres));
    cache.invalidate(outcome.movedKeys);
    return outcome.results;
  }

  async function personsOf(keys: readonly PatientKey[], tx?: HisTx): Promise<(string | null)[]> {
    const client = tx ?? db;
    const out: (string | null)[] = keys.map(() => null);
    const misses: number[] = [];
    keys.forEach((key, i) => {
      const cached = tx === undefined ? cache.get(identityKey(key.institution, key.patientId)) : undefined;
      if (cached !== undefined) out[i] = cached;
      else misses.push(i);
    });
    const since = cache.generation();
    const found = new Map<string, string>();
    const patientIds = [...new Set(misses.map((i) => keys[i]!.patientId))];
    for (let i = 0; i < patientIds.length; i += PATIENT_CHUNK) {
      const rows = await client.empiIdentity.findMany({ where: { patientId: { in: patientIds.slice(i, i + PATIENT_CHUNK) } }, select: { institution: true, patientId: true, personId: true } });
      for (const row of rows) found.set(identityKey(row.institution, row.patientId), row.personId);
    }
    for (const i of misses) {
      const key = identityKey(keys[i]!.institution, keys[i]!.patientId);
      const personId = found.get(key) ?? null;
      out[i] = personId;
      if (personId !== null && tx === undefined) cache.store(key, personId, since);
    }
    return out;
  }

  /**
   * Runs a change in its own transaction, forgets the moved keys once it is committed, and notes its
   * event as this instance's own so that `refresh` does not clear the cache for it.
   */
  async function change<T extends { eventId: number; moved: readonly { institution: string; patientId: string }[] }>(fn: (tx: HisTx) => Promise<T>): Promise<T> {
    const result = await inTransaction(fn);
    cache.invalidate(movedKeys(result as never));
    watch.own(result.eventId);
    return result;
  }

  async function checkForeignMoves(): Promise<void> {
    const foreign = await watch.check(async (after) => {
      // Not aggregate(_max): Prisma wraps it in a subquery that reads every row.
      const latest = (await db.empiEvent.findFirst({ orderBy: { id: "desc" }, select: { id: true } }))?.id ?? 0;
      if (after === null || latest <= after) return { latest, moving: [] };
      // A range of the primary key: the events written since the horizon, not the whole history.
      const rows = await db.empiEvent.findMany({ where: { id: { gt: after, lte: latest }, kind: { in: [...IDENTITY_MOVING_EVENTS] } }, select: { id: true } });
      return { latest, moving: rows.map((row) => row.id) };
    });
    if (foreign) cache.clear();
  }

  const empi: Empi = {
    options,
    async link(registration, actor, tx) {
      return (await linkMany([registration], actor, tx))[0]!;
    },
    linkMany,
    async personOf(institution, patientId, tx) {
      return (await personsOf([{ institution, patientId }], tx))[0]!;
    },
    personsOf,
    currentPersonOf: async (personId, tx) => currentPerson(tx ?? db, requireText(personId, "personId", "居民编号")),
    async merge(survivorId, mergedId, actor, reason) {
      const by = requireText(actor, "actor", "操作人");
      const why = requireText(reason, "reason", "原因");
      requireText(survivorId, "survivorId", "保留居民编号");
      requireText(mergedId, "mergedId", "被合并居民编号");
      return change((tx) => mergePersons(tx, survivorId, mergedId, by, why, options.now()));
    },
    async unmerge(mergedId, actor, reason) {
      const by = requireText(actor, "actor", "操作人");
      const why = requireText(reason, "reason", "原因");
      requireText(mergedId, "mergedId", "被合并居民编号");
      return change((tx) => unmergePerson(tx, mergedId, by, why));
    },
    async moveIdentity(identityId, toPersonId, actor, reason) {
      const by = requireText(actor, "actor", "操作人");
      const why = requireText(reason, "reason", "原因");
      if (toPersonId !== null) requireText(toPersonId, "toPersonId", "目标居民编号");
      return change((tx) => moveIdentityTo(tx, identityId, toPersonId, by, why, options.newPersonId));
    },
    openReviews: async (query) => listOpenReviews(db, query),
    async decideReview(reviewId, decision, actor) {
      const by = requireText(actor, "actor", "操作人");
      const result = await inTransaction((tx) => decideReviewItem(tx, reviewId, decision, by, options.now()));
      if (result.merge) {
        cache.invalidate(movedKeys(result.merge));
        watch.own(result.merge.eventId);
      }
      return result;
    },
    history: async (personId) => personHistory(db, requireText(personId, "personId", "居民编号")),
    personView: async (personId) => personViewOf(db, requireText(personId, "personId", "居民编号")),
    refresh() {
      // One check at a time: concurrent callers share it (the watch's state is not reentrant).
      refreshing ??= checkForeignMoves().finally(() => {
        refreshing = null;
      });
      return refreshing;
    },
    residentLinker: () => ({
      linkMany: async (tx, registrations, actor) => (await linkMany(registrations, actor, tx)).map((r) => r.personId),
      personsOf: (tx, keys) => personsOf(keys, tx),
    }),
  };
  return empi;
}

// Linking a page of registrations: a handful of queries per page (the identities already known by
// (institution, patientId); one per blocking key — ID number, birth date + sex, phone; the other
// identities of the candidate persons), then every registration decided in memory in order (so
// registrations of one page see each other), then the writes in bulk. Never a scan of the index.
import type { HisTx } from "../db.ts";
import { decideMatch, type MatchDecision, type PersonComparison } from "./decide.ts";
import {
  changedFields, demographicsOf, IDENTITY_SELECT, identityKey, identityOfRegistration, identityOfRow, type LinkMethod, type MatchIdentity,
} from "./identity.ts";
import { insertRows } from "./insert.ts";
import type { ResolvedEmpiOptions } from "./options.ts";
import { birthKeyOf, type EmpiRegistration, type NormalizedRegistration } from "./registration.ts";

/** What linking one registration did. */
export interface LinkResult {
  readonly institution: string;
  readonly patientId: string;
  readonly personId: string;
  /** How the identity is linked ("new": to a person created for it). */
  readonly method: LinkMethod;
  /** The match weight against the chosen (or best) candidate person; null when there was none. */
  readonly score: number | null;
  /** The review item opened for it (the best candidate's), if any. */
  readonly reviewId?: number;
  /** A re-sent registration that now contradicted its person was moved: the person it left. */
  readonly relinkedFrom?: string;
}

interface EventDraft {
  readonly kind: string;
  readonly personId: string;
  readonly otherPersonId?: string;
  readonly identity: MatchIdentity;
  readonly reason?: string;
  readonly details: Record<string, unknown>;
}

interface ReviewDraft {
  readonly identity: MatchIdentity;
  readonly comparison: PersonComparison;
}

/** Values per IN (…) list: well under SQLite's and PostgreSQL's bound-parameter limits. */
const IN_CHUNK = 5000;

async function findInChunks<T>(values: readonly string[], find: (chunk: string[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < values.length; i += IN_CHUNK) out.push(...(await find(values.slice(i, i + IN_CHUNK))));
  return out;
}

/** The identities of a page held in memory, indexed as the database is. */
function createWorkingSet() {
  const byKey = new Map<string, MatchIdentity>();
  const byPerson = new Map<string, MatchIdentity[]>();
  const blocks = { id: new Map<string, Set<MatchIdentity>>(), birth: new Map<string, Set<MatchIdentity>>(), phone: new Map<string, Set<MatchIdentity>>() };
  const index = (map: Map<string, Set<MatchIdentity>>, key: string | null, identity: MatchIdentity, add: boolean) => {
    if (key === null) return;
    let set = map.get(key);
    if (add) {
      if (!set) map.set(key, (set = new Set()));
      set.add(identity);
    } else {
      set?.delete(identity);
    }
  };
  const indexAll = (identity: MatchIdentity, add: boolean) => {
    index(blocks.id, identity.idKey, identity, add);
    index(blocks.birth, identity.birthKey, identity, add);
    index(blocks.phone, identity.phoneKey, identity, add);
    if (add) {
      let list = byPerson.get(identity.personId);
      if (!list) byPerson.set(identity.personId, (list = []));
      list.push(identity);
    } else {
      const list = byPerson.get(identity.personId) ?? [];
      list.splice(list.indexOf(identity), 1);
    }
  };
  return {
    byKey,
    byPerson,
    blocks,
    /** Unordered pairs of persons a review item already asks (or answered "keep apart") about. */
    askedPairs: new Set<string>(),
    add(identity: MatchIdentity) {
      if (byKey.has(identityKey(identity.institution, identity.patientId))) return;
      byKey.set(identityKey(identity.institution, identity.patientId), identity);
      indexAll(identity, true);
    },
    /** Applies a change to an identity's keys or person, keeping the indexes right. */
    change(identity: MatchIdentity, apply: () => void) {
      indexAll(identity, false);
      apply();
      indexAll(identity, true);
    },
  };
}

type WorkingSet = ReturnType<typeof createWorkingSet>;

/** The birth-date blocks of a registration: its own sex, and identities whose sex is unknown (or every sex, when its own is). */
function birthKeysOf(registration: NormalizedRegistration): string[] {
  const sexes = registration.sex === "unknown" ? (["male", "female", "unknown"] as const) : ([registration.sex, "unknown"] as const);
  return sexes.map((sex) => birthKeyOf(registration.birthDate, sex));
}

async function loadWorkingSet(tx: HisTx, registrations: readonly NormalizedRegistration[]): Promise<WorkingSet> {
  const set = createWorkingSet();
  const unique = (values: (string | null)[]) => [...new Set(values.filter((v): v is string => v !== null))];
  const patientIds = unique(registrations.map((r) => r.patientId));
  const keys = new Set(registrations.map((r) => identityKey(r.institution, r.patientId)));
  const where = (column: "patientId" | "idKey" | "birthKey" | "phoneKey") => (chunk: string[]) =>
    tx.empiIdentity.findMany({ where: { [column]: { in: chunk } }, select: IDENTITY_SELECT });
  const known = (await findInChunks(patientIds, where("patientId"))).filter((row) => keys.has(identityKey(row.institution, row.patientId)));
  const blocked = [
    ...(await findInChunks(unique(registrations.map((r) => r.idKey)), where("idKey"))),
    ...(await findInChunks(unique(registrations.flatMap(birthKeysOf)), where("birthKey"))),
    ...(await findInChunks(unique(registrations.map((r) => r.phoneKey)), where("phoneKey"))),
  ];
  const rows = new Map<number, (typeof known)[number]>();
  for (const row of [...known, ...blocked]) rows.set(row.id, row);
  // Every identity of every candidate person: a person is compared as a whole.
  const persons = unique([...rows.values()].map((row) => row.personId));
  for (const row of await findInChunks(persons, (chunk) => tx.empiIdentity.findMany({ where: { personId: { in: chunk } }, select: IDENTITY_SELECT }))) {
    rows.set(row.id, row);
  }
  for (const row of [...rows.values()].sort((a, b) => a.id - b.id)) set.add(identityOfRow(row));
  // Pairs of candidate persons already put to a reviewer (waiting, or kept apart): not asked again.
  const personOfIdentity = new Map([...rows.values()].map((row) => [row.id, row.personId]));
  const asked = await findInChunks(persons, (chunk) =>
    tx.empiReview.findMany({ where: { candidatePersonId: { in: chunk }, status: { in: ["open", "kept-apart"] } }, select: { identityId: true, candidatePersonId: true } }));
  for (const review of asked) {
    const personId = personOfIdentity.get(review.identityId);
    if (personId !== undefined) set.askedPairs.add(pairKey(personId, review.candidatePersonId));
  }
  return set;
}

const pairKey = (a: string, b: string) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);

/** The candidate persons of a registration, from the working set's blocks, without `exclude`. */
function candidatesOf(set: WorkingSet, registration: NormalizedRegistration, phoneIsShared: boolean, exclude: string | null): Map<string, MatchIdentity[]> {
  const persons = new Set<string>();
  const collect = (identities: Set<MatchIdentity> | undefined) => {
    for (const identity of identities ?? []) persons.add(identity.personId);
  };
  if (registration.idKey !== null) collect(set.blocks.id.get(registration.idKey));
  for (const key of birthKeysOf(registration)) collect(set.blocks.birth.get(key));
  if (registration.phoneKey !== null && !phoneIsShared) collect(set.blocks.phone.get(registration.phoneKey));
  if (exclude !== null) persons.delete(exclude);
  const candidates = new Map<string, MatchIdentity[]>();
  for (const personId of persons) candidates.set(personId, set.byPerson.get(personId) ?? []);
  return candidates;
}

function isPhoneShared(set: WorkingSet, registration: NormalizedRegistration, options: ResolvedEmpiOptions, exclude: MatchIdentity | null): boolean {
  if (registration.phoneKey === null) return false;
  const persons = new Set<string>();
  for (const identity of set.blocks.phone.get(registration.phoneKey) ?? []) if (identity !== exclude) persons.add(identity.personId);
  return persons.size > options.maxPersonsPerPhone;
}

const comparisonJson = (comparison: PersonComparison) => ({ score: comparison.score, fields: comparison.fields, flags: comparison.flags });

export interface LinkBatchOutcome {
  readonly results: LinkResult[];
  /** (institution, patientId) keys whose person changed (re-sent registrations moved to another person). */
  readonly movedKeys: string[];
}

/** Links normalised registrations (in order) inside `tx`. `raw` are the registrations as given (for names as sent). */
export async function linkBatch(
  tx: HisTx, registrations: readonly NormalizedRegistration[], raw: readonly EmpiRegistration[], actor: string, options: ResolvedEmpiOptions,
  postgres: boolean,
): Promise<LinkBatchOutcome> {
  const set = await loadWorkingSet(tx, registrations);
  const context = (phoneIsShared: boolean) => ({
    weights: options.weights, thresholds: options.thresholds, maxReviews: options.maxReviewsPerRegistration, phoneIsShared,
  });
  const newPersons: string[] = [];
  const created: MatchIdentity[] = [];
  const updated = new Set<MatchIdentity>();
  const events: EventDraft[] = [];
  const reviews: ReviewDraft[] = [];
  const movedKeys: string[] = [];
  const outcomes: { identity: MatchIdentity; method: LinkMethod; score: number | null; review: ReviewDraft | null; relinkedFrom: string | null }[] = [];

  const openReviews = (identity: MatchIdentity, comparisons: readonly PersonComparison[]): ReviewDraft | null => {
    const drafts = comparisons
      .filter((c) => c.personId !== identity.personId && !set.askedPairs.has(pairKey(identity.personId, c.personId)))
      .map((comparison) => ({ identity, comparison }));
    for (const draft of drafts) set.askedPairs.add(pairKey(identity.personId, draft.comparison.personId));
    reviews.push(...drafts);
    return drafts[0] ?? null;
  };

  /** Places an identity by a decision: onto the decided person, or a new one. */
  const place = (decision: MatchDecision): { personId: string; method: LinkMethod; score: number | null } => {
    if (decision.kind === "link") return { personId: decision.personId, method: decision.method, score: decision.comparison.score };
    const personId = options.newPersonId();
    newPersons.push(personId);
    return { personId, method: "new", score: decision.best?.score ?? null };
  };

  registrations.forEach((registration, i) => {
    const rawName = raw[i]!.name;
    const key = identityKey(registration.institution, registration.patientId);
    const existing = set.byKey.get(key);

    if (existing === undefined) {
      const phoneIsShared = isPhoneShared(set, registration, options, null);
      const decision = decideMatch(registration, candidatesOf(set, registration, phoneIsShared, null), context(phoneIsShared));
      const placed = place(decision);
      const identity = identityOfRegistration(registration, rawName, placed.personId, placed.method, placed.score);
      set.add(identity);
      created.push(identity);
      const review = openReviews(identity, decision.reviews);
      events.push({
        kind: placed.method === "new" ? "create" : "link",
        personId: placed.personId,
        identity,
        details: { method: placed.method, score: placed.score, ...(decision.reviews.length > 0 ? { reviewCandidates: decision.reviews.map((c) => c.personId) } : {}) },
      });
      outcomes.push({ identity, ...placed, review, relinkedFrom: null });
      return;
    }

    // A re-sent registration of a known identity.
    const next = demographicsOf(registration, rawName);
    const changed = changedFields(existing, next);
    if (changed.length === 0) {
      outcomes.push({ identity: existing, method: existing.linkMethod, score: existing.linkScore, review: null, relinkedFrom: null });
      return;
    }
    const previous = Object.fromEntries(changed.map((field) => [field, existing[field]]));
    set.change(existing, () => Object.assign(existing, next));
    if (existing.id !== null) updated.add(existing);
    events.push({ kind: "update", personId: existing.personId, identity: existing, details: { changed, previous } });

    const phoneIsShared = isPhoneShared(set, registration, options, existing);
    const others = (set.byPerson.get(existing.personId) ?? []).filter((identity) => identity !== existing);
    const elsewhere = () => decideMatch(registration, candidatesOf(set, registration, phoneIsShared, existing.personId), context(phoneIsShared));
    if (others.length === 0) {
      // Its person is only this registration: nothing to contradict. A match elsewhere means two
      // persons are one, which merging (records change residentRef) leaves to a person.
      const decision = elsewhere();
      const review = openReviews(existing, decision.kind === "link" ? [decision.comparison, ...decision.reviews] : decision.reviews);
      outcomes.push({ identity: existing, method: existing.linkMethod, score: existing.linkScore, review, relinkedFrom: null });
      return;
    }
    const own = decideMatch(registration, new Map([[existing.personId, others]]), context(phoneIsShared));
    const ownComparison = own.kind === "link" ? own.comparison : own.best!;
    const contradicts = ownComparison.fields.idNumber.level === "disagree" || ownComparison.score < options.thresholds.review
      || (own.kind === "new" && own.reviews.some((c) => c.flags.includes("id-contradiction")));
    if (!contradicts) {
      outcomes.push({ identity: existing, method: existing.linkMethod, score: existing.linkScore, review: null, relinkedFrom: null });
      return;
    }
    // It no longer fits its person: matched afresh against everyone else.
    const from = existing.personId;
    const decision = elsewhere();
    const placed = place(decision);
    set.change(existing, () => Object.assign(existing, { personId: placed.personId, linkMethod: placed.method, linkScore: placed.score }));
    if (existing.id !== null) updated.add(existing);
    movedKeys.push(key);
    const review = openReviews(existing, decision.reviews);
    events.push({
      kind: "relink",
      personId: placed.personId,
      otherPersonId: from,
      identity: existing,
      reason: "re-sent registration contradicts its person",
      details: { method: placed.method, score: placed.score, contradiction: comparisonJson(ownComparison), ...(placed.method === "new" ? { newPerson: true } : {}) },
    });
    outcomes.push({ identity: existing, ...placed, review, relinkedFrom: from });
  });

  // Writes, in bulk.
  const now = options.now();
  await insertRows(tx, postgres, "EmpiPerson", newPersons.map((id) => ({ id, status: "active", createdAt: now, updatedAt: now })));
  const inserted = await insertRows<{ id: number; institution: string; patientId: string }>(tx, postgres, "EmpiIdentity", created.map((identity) => ({
    institution: identity.institution, patientId: identity.patientId, personId: identity.personId, name: identity.name, sex: identity.sex,
    birthDate: identity.birthDate, idNumber: identity.idNumber, phone: identity.phone, address: identity.address, idKey: identity.idKey,
    birthKey: identity.birthKey, phoneKey: identity.phoneKey, linkMethod: identity.linkMethod, linkScore: identity.linkScore, createdAt: now, updatedAt: now,
  })), ["id", "institution", "patientId"]);
  const idOf = new Map(inserted.map((row) => [identityKey(row.institution, row.patientId), Number(row.id)]));
  for (const identity of created) identity.id = idOf.get(identityKey(identity.institution, identity.patientId))!;
  for (const identity of updated) {
    await tx.empiIdentity.update({
      where: { id: identity.id! },
      data: {
        personId: identity.personId, name: identity.name, sex: identity.sex, birthDate: identity.birthDate, idNumber: identity.idNumber,
        phone: identity.phone, address: identity.address, idKey: identity.idKey, birthKey: identity.birthKey, phoneKey: identity.phoneKey,
        linkMethod: identity.linkMethod, linkScore: identity.linkScore,
      },
    });
  }
  const reviewIds = new Map<ReviewDraft, number>();
  if (reviews.length > 0) {
    // Few (the grey zone): Prisma's createManyAndReturn is fine here.
    const rows = await tx.empiReview.createManyAndReturn({
      data: reviews.map((r) => ({
        identityId: r.identity.id!, candidatePersonId: r.comparison.personId, score: r.comparison.score, comparisonJson: JSON.stringify(comparisonJson(r.comparison)),
      })),
      select: { id: true, identityId: true, candidatePersonId: true },
    });
    const byPair = new Map(rows.map((row) => [`${row.identityId}\u0000${row.candidatePersonId}`, row.id]));
    for (const r of reviews) reviewIds.set(r, byPair.get(`${r.identity.id}\u0000${r.comparison.personId}`)!);
  }
  await insertRows(tx, postgres, "EmpiEvent", events.map((e) => ({
    kind: e.kind, personId: e.personId, otherPersonId: e.otherPersonId ?? null, identityId: e.identity.id!, actor, reason: e.reason ?? null,
    detailsJson: JSON.stringify({ institution: e.identity.institution, patientId: e.identity.patientId, ...e.details }), createdAt: now,
  })));

  const results = outcomes.map(({ identity, method, score, review, relinkedFrom }): LinkResult => ({
    institution: identity.institution,
    patientId: identity.patientId,
    personId: identity.personId,
    method,
    score,
    ...(review !== null ? { reviewId: reviewIds.get(review)! } : {}),
    ...(relinkedFrom !== null ? { relinkedFrom } : {}),
  }));
  return { results, movedKeys };
}

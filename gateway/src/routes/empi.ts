// /v1/empi: the master patient index of the collection service (居民主索引) for the admin screens —
// the review queue of possible duplicates with the field-by-field comparison, merge, unmerge and
// moving one identity, a resident's three-level view (identities → encounters → documents) and
// history. The gateway acts on the service's own database through the service's EMPI code
// (createEmpi), so a merge here is exactly a merge made by the service; the service's in-memory
// person cache follows at its next refresh() (empi.ts). Personal details are shown in full to admins
// and masked for everyone else (auditors): 张*, 310115********1234, 138****5678, the address to its district.
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { GatewayDeps, GatewayEnv } from "../context.ts";
import { audited, recordAudit } from "../audit-log.ts";
import { errorResponses } from "../errors.ts";
import { principalOf } from "../middleware/auth.ts";
import { hasRole, requirePermission } from "../middleware/rbac.ts";
import { hisOf } from "./collection.ts";
import { BEARER, createRouter } from "../router.ts";
import type { HisDb } from "../../../services/his/src/db.ts";
import { truncateAddress } from "../../../services/his/src/deid/address.ts";
import { maskText } from "../../../services/his/src/deid/mask.ts";
import { createEmpi, type Empi, type EmpiHistoryEvent, type EmpiReviewItem, type MergeResult, type PersonView, type RecordView } from "../../../services/his/src/empi/index.ts";

// ---------------------------------------------------------------- masking

/** Which personal detail a value is, by the consent field the standard model gives its member. */
type Personal = "name" | "idNumber" | "phone" | "address";
const PERSONAL_FIELDS: Readonly<Record<string, Personal>> = {
  "identity.name": "name",
  "identity.id-number": "idNumber",
  "contact.phone": "phone",
  "home-address": "address",
};
/** For a record whose field map cannot be read: the patient model's member names. */
const PERSONAL_MEMBERS: Readonly<Record<string, Personal>> = { name: "name", idNumber: "idNumber", phone: "phone", address: "address" };

/**
 * A personal detail as someone who may not see it in full sees it — the share-with-doctor policy's
 * masks (services/his/config/deid): the surname, the ID number's region and last four, the phone's
 * first three and last four, the address down to its district (fully hidden when unrecognised).
 */
export function maskPersonal(kind: Personal, value: string): string {
  switch (kind) {
    case "name":
      return maskText(value, 1, 0, "*");
    case "idNumber":
      return maskText(value, 6, 4, "*");
    case "phone":
      return maskText(value, 3, 4, "*");
    case "address":
      return truncateAddress(value, "district") ?? maskText(value, 0, 0, "*");
  }
}

const maskedOrNull = (kind: Personal, value: string | null) => (value === null ? null : maskPersonal(kind, value));

function maskContent(content: unknown, fields: Readonly<Record<string, Personal>>): unknown {
  if (typeof content !== "object" || content === null || Array.isArray(content)) return content;
  const out: Record<string, unknown> = { ...(content as Record<string, unknown>) };
  for (const [member, kind] of Object.entries(fields)) if (typeof out[member] === "string") out[member] = maskPersonal(kind, out[member]);
  return out;
}

function personalMembersOf(fieldsJson: string | undefined): Readonly<Record<string, Personal>> {
  if (fieldsJson === undefined) return PERSONAL_MEMBERS;
  try {
    const fields = JSON.parse(fieldsJson) as Record<string, unknown>;
    const out: Record<string, Personal> = {};
    for (const [member, field] of Object.entries(fields)) if (typeof field === "string" && PERSONAL_FIELDS[field]) out[member] = PERSONAL_FIELDS[field];
    return out;
  } catch {
    return PERSONAL_MEMBERS;
  }
}

// ---------------------------------------------------------------- schemas

const PersonId = z.string().trim().min(1).max(200);
const PersonIdParam = z.object({ personId: PersonId.openapi({ param: { name: "personId", in: "path" }, example: "8d0c6a58-5c6e-4bb1-9f0f-2f5b8f0c1a2e" }) });
const RowId = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const ReviewIdParam = z.object({ id: RowId.openapi({ param: { name: "id", in: "path" }, example: 1 }) });
const IdentityIdParam = z.object({ identityId: RowId.openapi({ param: { name: "identityId", in: "path" }, example: 1 }) });
const Reason = z.string().max(500).openapi({ description: "Why (kept in the EMPI's history and the audit log)", example: "同一居民在两家机构分别建档" });

const IdentitySchema = z
  .object({
    identityId: z.number().int(),
    institution: z.string(),
    patientId: z.string(),
    personId: z.string(),
    name: z.string(),
    sex: z.string(),
    birthDate: z.string(),
    idNumber: z.string().nullable(),
    phone: z.string().nullable(),
    address: z.string().nullable(),
    linkMethod: z.string().openapi({ description: "deterministic | probabilistic | new | manual" }),
    linkScore: z.number().nullable(),
  })
  .openapi("EmpiIdentity");

const FieldComparisonSchema = z.object({ level: z.string().openapi({ description: "exact | close | disagree | missing" }), weight: z.number() });
const ReviewSchema = z
  .object({
    id: z.number().int(),
    status: z.string().openapi({ description: "open | merged | kept-apart" }),
    score: z.number().openapi({ description: "Match weight (log2 likelihood ratio)" }),
    comparison: z.object({
      score: z.number(),
      fields: z.record(z.string(), FieldComparisonSchema).openapi({ description: "idNumber, name, birthDate, sex, phone" }),
      flags: z.array(z.string()).openapi({ description: "id-contradiction | id-disagree | shared-phone | same-id-number" }),
    }),
    identity: IdentitySchema.openapi({ description: "The registration in question" }),
    candidate: z.object({
      personId: z.string().openapi({ description: "The person it may be (current, following merges)" }),
      identities: z.array(IdentitySchema),
      identityCount: z.number().int().openapi({ description: "All the candidate's identities (at most 20 are listed)" }),
    }),
    createdAt: z.string(),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
  })
  .openapi("EmpiReview");

const MergeSchema = z
  .object({
    eventId: z.number().int(),
    survivorId: z.string(),
    mergedId: z.string(),
    movedIdentityIds: z.array(z.number().int()),
    settledReviewIds: z.array(z.number().int()),
    changedPersonIds: z.array(z.string()).openapi({ description: "Persons whose records' residentRef the collection service re-derives" }),
  })
  .openapi("EmpiMerge");

const RecordSchema = z
  .object({
    recordId: z.string(),
    institution: z.string(),
    model: z.string(),
    sourceKey: z.string(),
    category: z.string(),
    version: z.number().int(),
    sourceTime: z.string(),
    anchorState: z.string(),
    personId: z.string().openapi({ description: "The person the record was collected under (this one or one merged into it)" }),
    residentRef: z.string().nullable().openapi({ description: "The pseudonymous resident reference the record is anchored with" }),
    content: z.unknown().openapi({ description: "The standard-model content (personal members masked unless admin)" }),
  })
  .openapi("EmpiRecord");
const EncounterSchema = RecordSchema.extend({ documents: z.array(RecordSchema) }).openapi("EmpiEncounter");

const PersonSchema = z
  .object({
    personId: z.string(),
    requestedId: z.string(),
    mergedPersonIds: z.array(z.string()),
    residentRefs: z.array(z.string()).openapi({ description: "The residentRefs its records carry (more than one until records collected under merged persons are re-derived)" }),
    masked: z.boolean().openapi({ description: "Whether personal details are masked (every role but admin)" }),
    identities: z.array(IdentitySchema.extend({ viaPersonId: z.string().nullable() })),
    encounters: z.array(EncounterSchema),
    unattached: z.array(RecordSchema).openapi({ description: "Records naming no encounter of the person" }),
  })
  .openapi("EmpiPerson");

const HistoryEventSchema = z
  .object({
    id: z.number().int(),
    kind: z.string().openapi({ description: "create | link | update | merge | unmerge | relink | review" }),
    personId: z.string(),
    otherPersonId: z.string().nullable(),
    identityId: z.number().int().nullable(),
    actor: z.string(),
    reason: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    createdAt: z.string(),
  })
  .openapi("EmpiEvent");

// ---------------------------------------------------------------- views

type IdentityRow = Awaited<ReturnType<HisDb["empiIdentity"]["findUniqueOrThrow"]>>;
type IdentityView = z.infer<typeof IdentitySchema>;

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

function identityView(row: Omit<IdentityRow, "createdAt" | "updatedAt" | "idKey" | "birthKey" | "phoneKey">, full: boolean): IdentityView {
  return {
    identityId: row.id,
    institution: row.institution,
    patientId: row.patientId,
    personId: row.personId,
    name: full ? row.name : maskPersonal("name", row.name),
    sex: row.sex,
    birthDate: row.birthDate,
    idNumber: full ? row.idNumber : maskedOrNull("idNumber", row.idNumber),
    phone: full ? row.phone : maskedOrNull("phone", row.phone),
    address: full ? row.address : maskedOrNull("address", row.address),
    linkMethod: row.linkMethod,
    linkScore: row.linkScore,
  };
}

const IDENTITY_COLUMNS = {
  id: true, institution: true, patientId: true, personId: true, name: true, sex: true, birthDate: true, idNumber: true, phone: true, address: true,
  linkMethod: true, linkScore: true,
} as const;

/** Identities of a candidate person listed with a review: enough to decide, bounded for a person with many. */
const CANDIDATE_IDENTITIES = 20;

function mergeView(merge: MergeResult): z.infer<typeof MergeSchema> {
  return {
    eventId: merge.eventId,
    survivorId: merge.survivorId,
    mergedId: merge.mergedId,
    movedIdentityIds: merge.moved.map((m) => m.identityId),
    settledReviewIds: [...merge.settledReviewIds],
    changedPersonIds: [...merge.changedPersonIds],
  };
}

/** A history event; an update's previous personal details masked unless `full`. */
function historyView(event: EmpiHistoryEvent, full: boolean): z.infer<typeof HistoryEventSchema> {
  let details = event.details;
  const previous = details.previous;
  if (!full && typeof previous === "object" && previous !== null) {
    details = { ...details, previous: maskContent(previous, PERSONAL_MEMBERS) };
  }
  return {
    id: event.id,
    kind: event.kind,
    personId: event.personId,
    otherPersonId: event.otherPersonId,
    identityId: event.identityId,
    actor: event.actor,
    reason: event.reason,
    details,
    createdAt: event.createdAt.toISOString(),
  };
}

// ---------------------------------------------------------------- routes

const tags = ["empi"];

/** The collection service's database, or the same typed refusal as /v1/collection when none is configured. */
/** The body of a validated request, for the audit row of a refused one. */
function bodyField(c: Context<GatewayEnv>, field: string): string | undefined {
  const body = (c.req as unknown as { valid(target: "json"): Record<string, unknown> | undefined }).valid("json");
  const value = body?.[field];
  return typeof value === "string" ? value : undefined;
}

export function empiRoutes(deps: GatewayDeps) {
  let empi: Empi | undefined;
  /**
   * The service's EMPI over its database. Without a person cache: the gateway links nobody and reads
   * persons only through the view, so it has no cache to keep true.
   */
  const empiOf = (): { db: HisDb; empi: Empi } => {
    const db = hisOf(deps);
    empi ??= createEmpi(db, { cacheSize: 0, now: () => deps.clock.now() });
    return { db, empi };
  };
  const actor = (c: Context<GatewayEnv>) => principalOf(c).subject;
  /** Admins see personal details in full; every other role allowed to read sees them masked. */
  const seesInFull = (c: Context<GatewayEnv>) => hasRole(principalOf(c), "admin");

  async function reviewViews(db: HisDb, items: readonly EmpiReviewItem[], full: boolean): Promise<z.infer<typeof ReviewSchema>[]> {
    if (items.length === 0) return [];
    const candidates = [...new Set(items.map((i) => i.candidatePersonId))];
    const [own, theirs, counts] = await Promise.all([
      db.empiIdentity.findMany({ where: { id: { in: [...new Set(items.map((i) => i.identityId))] } }, select: IDENTITY_COLUMNS }),
      Promise.all(candidates.map((personId) => db.empiIdentity.findMany({ where: { personId }, select: IDENTITY_COLUMNS, orderBy: { id: "asc" }, take: CANDIDATE_IDENTITIES }))),
      db.empiIdentity.groupBy({ by: ["personId"], where: { personId: { in: candidates } }, _count: { _all: true } }),
    ]);
    const identities = new Map(own.map((row) => [row.id, row]));
    const ofCandidate = new Map(candidates.map((personId, i) => [personId, theirs[i]!]));
    const countOf = new Map(counts.map((row) => [row.personId, row._count._all]));
    return items.map((item) => ({
      id: item.id,
      status: item.status,
      score: item.score,
      comparison: { score: item.comparison.score, fields: { ...item.comparison.fields }, flags: [...item.comparison.flags] },
      identity: identityView(identities.get(item.identityId)!, full),
      candidate: {
        personId: item.candidatePersonId,
        identities: (ofCandidate.get(item.candidatePersonId) ?? []).map((row) => identityView(row, full)),
        identityCount: countOf.get(item.candidatePersonId) ?? 0,
      },
      createdAt: item.createdAt.toISOString(),
      decidedBy: item.decidedBy,
      decidedAt: iso(item.decidedAt),
    }));
  }

  async function personView(db: HisDb, view: PersonView, full: boolean): Promise<z.infer<typeof PersonSchema>> {
    const all = [...view.encounters.flatMap((e) => [e, ...e.documents]), ...view.unattached];
    // The view leaves out each record's residentRef and field map: read them beside it.
    const extra = new Map<string, { residentRef: string; fieldsJson: string }>();
    const ids = all.map((r) => r.recordId);
    for (let i = 0; i < ids.length; i += 5000) {
      const rows = await db.collectedRecord.findMany({ where: { recordId: { in: ids.slice(i, i + 5000) } }, select: { recordId: true, residentRef: true, fieldsJson: true } });
      for (const row of rows) extra.set(row.recordId, row);
    }
    const record = (r: RecordView): z.infer<typeof RecordSchema> => {
      const more = extra.get(r.recordId);
      return {
        recordId: r.recordId,
        institution: r.institution,
        model: r.model,
        sourceKey: r.sourceKey,
        category: r.category,
        version: r.version,
        sourceTime: r.sourceTime.toISOString(),
        anchorState: r.anchorState,
        personId: r.personId,
        residentRef: more?.residentRef ?? null,
        content: full ? r.content : maskContent(r.content, personalMembersOf(more?.fieldsJson)),
      };
    };
    return {
      personId: view.personId,
      requestedId: view.requestedId,
      mergedPersonIds: [...view.mergedPersonIds],
      residentRefs: [...new Set(all.map((r) => extra.get(r.recordId)?.residentRef).filter((ref): ref is string => ref !== undefined))],
      masked: !full,
      identities: view.identities.map((i) => ({
        ...identityView({ ...i, id: i.identityId, personId: view.personId }, full),
        viaPersonId: i.viaPersonId,
      })),
      encounters: view.encounters.map((e) => ({ ...record(e), documents: e.documents.map(record) })),
      unattached: view.unattached.map(record),
    };
  }

  const listReviewsRoute = createRoute({
    method: "get",
    path: "/reviews",
    tags,
    summary: "Open review pairs with the field-by-field comparison, oldest first (the read is audited) / 待人工确认的疑似重复",
    security: BEARER,
    middleware: [requirePermission("empi:read")] as const,
    request: {
      query: z.object({
        limit: z.coerce.number().int().min(1).max(200).default(50),
        cursor: z.string().regex(/^\d{1,15}$/, "not a cursor").optional().openapi({ description: "nextCursor of the previous page" }),
      }),
    },
    responses: {
      200: { description: "A page of open reviews", content: { "application/json": { schema: z.object({ items: z.array(ReviewSchema), nextCursor: z.string().optional() }).openapi("EmpiReviewPage") } } },
      ...errorResponses(400, 401, 403, 404),
    },
  });

  const decideRoute = createRoute({
    method: "post",
    path: "/reviews/{id}/decide",
    tags,
    summary: "Merge the pair or keep it apart / 确认合并或保持分离",
    description: "merge: the identity's person is merged into the candidate (the person there first survives). 409 when the review was already decided.",
    security: BEARER,
    middleware: [requirePermission("empi:manage"), audited(deps, "empi.reviews.decide", (c) => c.req.param("id"))] as const,
    request: {
      params: ReviewIdParam,
      body: { required: true, content: { "application/json": { schema: z.object({ decision: z.enum(["merge", "keep-apart"]) }).strict().openapi("EmpiReviewDecision") } } },
    },
    responses: {
      200: {
        description: "Decided",
        content: {
          "application/json": {
            schema: z
              .object({
                review: ReviewSchema,
                decision: z.string(),
                alsoDecided: z.array(z.number().int()).openapi({ description: "Other open reviews of the identity about the same person, settled with it" }),
                merge: MergeSchema.nullable(),
                changedPersonIds: z.array(z.string()),
              })
              .openapi("EmpiReviewDecided"),
          },
        },
      },
      ...errorResponses(400, 401, 403, 404, 409),
    },
  });

  const mergeRoute = createRoute({
    method: "post",
    path: "/merge",
    tags,
    summary: "Merge one person into another / 合并居民",
    security: BEARER,
    middleware: [requirePermission("empi:manage"), audited(deps, "empi.merge", (c) => bodyField(c, "mergedId"))] as const,
    request: {
      body: {
        required: true,
        content: { "application/json": { schema: z.object({ survivorId: PersonId, mergedId: PersonId, reason: Reason }).strict().openapi("EmpiMergeRequest") } },
      },
    },
    responses: { 200: { description: "Merged", content: { "application/json": { schema: MergeSchema } } }, ...errorResponses(400, 401, 403, 404, 409) },
  });

  const unmergeRoute = createRoute({
    method: "post",
    path: "/unmerge",
    tags,
    summary: "Undo the latest merge of a person / 拆分合并",
    description: "The identities the merge moved go back, unless one was moved since; identities linked to the survivor after the merge stay.",
    security: BEARER,
    middleware: [requirePermission("empi:manage"), audited(deps, "empi.unmerge", (c) => bodyField(c, "mergedId"))] as const,
    request: {
      body: { required: true, content: { "application/json": { schema: z.object({ mergedId: PersonId, reason: Reason }).strict().openapi("EmpiUnmergeRequest") } } },
    },
    responses: {
      200: {
        description: "Unmerged",
        content: {
          "application/json": {
            schema: z
              .object({
                eventId: z.number().int(),
                personId: z.string().openapi({ description: "The person restored" }),
                survivorId: z.string(),
                restoredIdentityIds: z.array(z.number().int()),
                keptIdentityIds: z.array(z.number().int()).openapi({ description: "Moved by a person since the merge: they stay" }),
                changedPersonIds: z.array(z.string()),
              })
              .openapi("EmpiUnmerge"),
          },
        },
      },
      ...errorResponses(400, 401, 403, 404, 409),
    },
  });

  const moveRoute = createRoute({
    method: "post",
    path: "/identities/{identityId}/move",
    tags,
    summary: "Move one identity to another person, or to a new one / 调整身份归属",
    security: BEARER,
    middleware: [requirePermission("empi:manage"), audited(deps, "empi.identities.move", (c) => c.req.param("identityId"))] as const,
    request: {
      params: IdentityIdParam,
      body: {
        required: true,
        content: {
          "application/json": {
            schema: z
              .object({ toPersonId: PersonId.nullable().openapi({ description: "The person to move it to; null: a new person" }), reason: Reason })
              .strict()
              .openapi("EmpiMoveRequest"),
          },
        },
      },
    },
    responses: {
      200: {
        description: "Moved",
        content: {
          "application/json": {
            schema: z
              .object({ eventId: z.number().int(), identityId: z.number().int(), fromPersonId: z.string(), toPersonId: z.string(), changedPersonIds: z.array(z.string()) })
              .openapi("EmpiMove"),
          },
        },
      },
      ...errorResponses(400, 401, 403, 404, 409),
    },
  });

  const personRoute = createRoute({
    method: "get",
    path: "/persons/{personId}",
    tags,
    summary: "A resident: identities → encounters → documents (the read is audited) / 居民视图",
    description: "A merged person's id answers the person it was merged into. Personal details are masked for every role but admin.",
    security: BEARER,
    middleware: [requirePermission("empi:read")] as const,
    request: { params: PersonIdParam },
    responses: { 200: { description: "The person", content: { "application/json": { schema: PersonSchema } } }, ...errorResponses(400, 401, 403, 404) },
  });

  const historyRoute = createRoute({
    method: "get",
    path: "/persons/{personId}/history",
    tags,
    summary: "Every link, merge, unmerge and move of a person and those merged into it, oldest first (the read is audited) / 居民索引变更历史",
    security: BEARER,
    middleware: [requirePermission("empi:read")] as const,
    request: { params: PersonIdParam },
    responses: {
      200: {
        description: "The history",
        content: { "application/json": { schema: z.object({ personId: z.string(), masked: z.boolean(), events: z.array(HistoryEventSchema) }).openapi("EmpiHistory") } },
      },
      ...errorResponses(400, 401, 403, 404),
    },
  });

  return createRouter()
    .openapi(listReviewsRoute, async (c) => {
      const { db, empi: index } = empiOf();
      const { limit, cursor } = c.req.valid("query");
      const rows = await index.openReviews({ limit: limit + 1, ...(cursor ? { after: Number(cursor) } : {}) });
      const page = rows.slice(0, limit);
      const items = await reviewViews(db, page, seesInFull(c));
      // The pairs show personal details: who looked at which is worth a line.
      if (page.length > 0) await recordAudit(deps.db, c, { purpose: "review", details: { reviewIds: page.map((r) => r.id) } }, "empi.reviews.read");
      const last = page[page.length - 1];
      return c.json({ items, ...(rows.length > limit && last ? { nextCursor: String(last.id) } : {}) }, 200);
    })
    .openapi(decideRoute, async (c) => {
      const { db, empi: index } = empiOf();
      const { id } = c.req.valid("param");
      const { decision } = c.req.valid("json");
      const result = await index.decideReview(id, decision, actor(c));
      const [review] = await reviewViews(db, [result.review], seesInFull(c));
      const changedPersonIds = result.merge ? [...result.merge.changedPersonIds] : [];
      await recordAudit(deps.db, c, {
        target: String(id),
        purpose: decision,
        details: { alsoDecided: result.alsoDecided, ...(result.merge ? { survivorId: result.merge.survivorId, mergedId: result.merge.mergedId, eventId: result.merge.eventId } : {}) },
      });
      return c.json({ review: review!, decision: result.decision, alsoDecided: [...result.alsoDecided], merge: result.merge ? mergeView(result.merge) : null, changedPersonIds }, 200);
    })
    .openapi(mergeRoute, async (c) => {
      const { empi: index } = empiOf();
      const { survivorId, mergedId, reason } = c.req.valid("json");
      const merge = await index.merge(survivorId, mergedId, actor(c), reason);
      await recordAudit(deps.db, c, {
        target: mergedId,
        purpose: reason.trim(),
        details: { survivorId, eventId: merge.eventId, movedIdentityIds: merge.moved.map((m) => m.identityId), changedPersonIds: merge.changedPersonIds },
      });
      return c.json(mergeView(merge), 200);
    })
    .openapi(unmergeRoute, async (c) => {
      const { empi: index } = empiOf();
      const { mergedId, reason } = c.req.valid("json");
      const result = await index.unmerge(mergedId, actor(c), reason);
      const restoredIdentityIds = result.moved.map((m) => m.identityId);
      await recordAudit(deps.db, c, {
        target: mergedId,
        purpose: reason.trim(),
        details: { survivorId: result.survivorId, eventId: result.eventId, restoredIdentityIds, keptIdentityIds: result.keptIdentityIds, changedPersonIds: result.changedPersonIds },
      });
      return c.json(
        {
          eventId: result.eventId,
          personId: result.personId,
          survivorId: result.survivorId,
          restoredIdentityIds,
          keptIdentityIds: [...result.keptIdentityIds],
          changedPersonIds: [...result.changedPersonIds],
        },
        200,
      );
    })
    .openapi(moveRoute, async (c) => {
      const { empi: index } = empiOf();
      const { identityId } = c.req.valid("param");
      const { toPersonId, reason } = c.req.valid("json");
      const result = await index.moveIdentity(identityId, toPersonId, actor(c), reason);
      await recordAudit(deps.db, c, {
        target: String(identityId),
        purpose: reason.trim(),
        details: { fromPersonId: result.fromPersonId, toPersonId: result.toPersonId, newPerson: toPersonId === null, eventId: result.eventId },
      });
      return c.json(
        { eventId: result.eventId, identityId: result.identityId, fromPersonId: result.fromPersonId, toPersonId: result.toPersonId, changedPersonIds: [...result.changedPersonIds] },
        200,
      );
    })
    .openapi(personRoute, async (c) => {
      const { db, empi: index } = empiOf();
      const { personId } = c.req.valid("param");
      const full = seesInFull(c);
      const view = await personView(db, await index.personView(personId), full);
      await recordAudit(deps.db, c, { target: view.personId, purpose: "inspect", details: { requestedId: personId, masked: !full } }, "empi.persons.read");
      return c.json(view, 200);
    })
    .openapi(historyRoute, async (c) => {
      const { empi: index } = empiOf();
      const { personId } = c.req.valid("param");
      const full = seesInFull(c);
      const events = await index.history(personId);
      await recordAudit(deps.db, c, { target: personId, purpose: "inspect", details: { events: events.length, masked: !full } }, "empi.persons.history");
      return c.json({ personId, masked: !full, events: events.map((e) => historyView(e, full)) }, 200);
    });
}

// /v1/code-mapping: the dictionary code mapping's review queue of the collection service (对码审核)
// for the admin screens — local lab codes the mapper could not place with confidence, with their
// candidates from the standard dictionary, the reviewers' decisions (an append-only, versioned log
// per local code) and deciding one. A decision is written by the service's own decideCodeReview, which
// also marks the quarantined items waiting for that local code for replay; the running service loads
// the decision into its mapper and replays them at its next scheduler poll.
import { createRoute, z } from "@hono/zod-openapi";
import { platformError } from "@health-chain/sdk";
import type { GatewayDeps } from "../context.ts";
import { audited, recordAudit } from "../audit-log.ts";
import { errorResponses } from "../errors.ts";
import { principalOf } from "../middleware/auth.ts";
import { requirePermission } from "../middleware/rbac.ts";
import { hisOf } from "./collection.ts";
import { BEARER, createRouter } from "../router.ts";
import type { HisDb } from "../../../services/his/src/db.ts";
import { decideCodeReview } from "../../../services/his/src/collection/code-reviews.ts";
import { standardLabDictionary, type MappingCandidate, type MappingDecision, type StandardEntry } from "../../../services/his/src/mapping/index.ts";

// ---------------------------------------------------------------- schemas

const RowId = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const ReviewIdParam = z.object({ id: RowId.openapi({ param: { name: "id", in: "path" }, example: 1 }) });
const Cursor = z.string().regex(/^\d{1,15}$/, "not a cursor").optional().openapi({ description: "nextCursor of the previous page" });
const Limit = z.coerce.number().int().min(1).max(500).default(50);
const Institution = z.string().trim().min(1).max(100);
const LocalCode = z.string().trim().min(1).max(200);

const CandidateSchema = z
  .object({
    code: z.string(),
    nameZh: z.string(),
    nameEn: z.string().nullable().openapi({ description: "From the standard dictionary; null when the code is no longer in it" }),
    canonicalUnit: z.string().nullable(),
    allowedUnits: z.array(z.string()),
    score: z.number().openapi({ description: "The mapper's score in [0, 1] (name similarity × unit compatibility)" }),
    inDictionary: z.boolean().openapi({ description: "Whether the code is in the gateway's standard dictionary (a decision needs one that is)" }),
  })
  .openapi("CodeMappingCandidate");

const DecisionSchema = z
  .object({
    id: z.number().int(),
    dictionary: z.string().openapi({ description: "The standard dictionary's version" }),
    institution: z.string(),
    localCode: z.string(),
    version: z.number().int().openapi({ description: "1 for the first decision on the local code, then 2, 3 …" }),
    code: z.string().nullable().openapi({ description: "The standard code; null: no standard code fits" }),
    standardName: z.string().nullable(),
    action: z.string().nullable().openapi({ description: "accept-candidate | accept-code | reject" }),
    decidedBy: z.string(),
    note: z.string(),
    proposedCode: z.string().nullable(),
    proposedScore: z.number().nullable(),
    createdAt: z.string(),
  })
  .openapi("CodeMappingDecision");

const ReviewSchema = z
  .object({
    id: z.number().int(),
    dictionary: z.string(),
    institution: z.string(),
    localCode: z.string(),
    localName: z.string(),
    localUnit: z.string(),
    status: z.string().openapi({ description: "open | decided" }),
    proposalStatus: z.string().nullable().openapi({ description: "review (candidates too close or too weak to accept) | unmapped (none good enough), as the mapper judged when it was queued" }),
    candidates: z.array(CandidateSchema),
    waitingItems: z.number().int().openapi({ description: "Open quarantined items waiting for this local code" }),
    lastDecision: DecisionSchema.nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("CodeMappingReview");

// ---------------------------------------------------------------- views

type DecisionRow = Awaited<ReturnType<HisDb["codeMappingDecision"]["findUniqueOrThrow"]>>;
type ReviewRow = Awaited<ReturnType<HisDb["codeMappingReview"]["findUniqueOrThrow"]>>;

function parsedObject(json: string | null): Record<string, unknown> {
  if (json === null) return {};
  try {
    const value = JSON.parse(json) as unknown;
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {}; // written by another version of the service: shown by its columns only
  }
}

const str = (value: unknown): string | null => (typeof value === "string" ? value : null);
const num = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) ? value : null);
const keyOf = (institution: string, localCode: string) => `${institution}\u0000${localCode}`;

/** Open quarantined items per (institution, local code) — the same match decideCodeReview marks for replay. */
async function waitingCounts(db: HisDb): Promise<Map<string, number>> {
  const rows = await db.quarantineItem.findMany({ where: { status: "open", stage: "code" }, select: { detailsJson: true, itemJson: true } });
  const counts = new Map<string, number>();
  for (const row of rows) {
    const institution = str(parsedObject(row.itemJson).institutionCode);
    const problems = parsedObject(row.detailsJson).problems;
    if (institution === null || !Array.isArray(problems)) continue;
    const codes = new Set<string>();
    for (const p of problems as { details?: { localCode?: unknown } }[]) {
      const code = str(p?.details?.localCode);
      if (code !== null) codes.add(code);
    }
    for (const code of codes) counts.set(keyOf(institution, code), (counts.get(keyOf(institution, code)) ?? 0) + 1);
  }
  return counts;
}

// ---------------------------------------------------------------- routes

const tags = ["code-mapping"];

/** The collection service's database, or the same typed refusal as /v1/collection when none is configured. */
export function codeMappingRoutes(deps: GatewayDeps) {
  // The dictionary the service maps to (service.ts): its codes validate a decision, its names and units
  // complete the candidates a proposal stored.
  const dictionary = standardLabDictionary();
  const entries = new Map<string, StandardEntry>(dictionary.entries.map((e) => [e.code, e]));

  function decisionView(row: DecisionRow): z.infer<typeof DecisionSchema> {
    const d = parsedObject(row.decisionJson) as Partial<Record<keyof MappingDecision, unknown>>;
    const entry = row.standardCode === null ? undefined : entries.get(row.standardCode);
    return {
      id: row.id,
      dictionary: row.dictionary,
      institution: row.institution,
      localCode: row.localCode,
      version: row.version,
      code: row.standardCode,
      standardName: entry ? entry.nameZh : null,
      action: str(d.action),
      decidedBy: row.decidedBy,
      note: str(d.note) ?? "",
      proposedCode: str(d.proposedCode),
      proposedScore: num(d.proposedScore),
      createdAt: row.createdAt.toISOString(),
    };
  }

  function reviewView(row: ReviewRow, waiting: number, last: DecisionRow | undefined): z.infer<typeof ReviewSchema> {
    const proposal = parsedObject(row.proposalJson);
    const candidates = (Array.isArray(proposal.candidates) ? (proposal.candidates as Partial<MappingCandidate>[]) : [])
      .filter((c) => typeof c?.code === "string")
      .map((c) => {
        const entry = entries.get(c.code!);
        return {
          code: c.code!,
          nameZh: str(c.nameZh) ?? entry?.nameZh ?? "",
          nameEn: entry?.nameEn ?? null,
          canonicalUnit: entry?.canonicalUnit ?? null,
          allowedUnits: entry ? [...entry.allowedUnits] : [],
          score: num(c.score) ?? 0,
          inDictionary: entry !== undefined,
        };
      });
    return {
      id: row.id,
      dictionary: row.dictionary,
      institution: row.institution,
      localCode: row.localCode,
      localName: row.localName,
      localUnit: row.localUnit,
      status: row.status,
      proposalStatus: str(proposal.status),
      candidates,
      waitingItems: waiting,
      lastDecision: last ? decisionView(last) : null,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    };
  }

  /** The latest decision of each review's local code. */
  async function lastDecisions(db: HisDb, rows: readonly ReviewRow[]): Promise<Map<string, DecisionRow>> {
    if (rows.length === 0) return new Map();
    const decisions = await db.codeMappingDecision.findMany({
      where: { OR: rows.map((r) => ({ dictionary: r.dictionary, institution: r.institution, localCode: r.localCode })) },
      orderBy: { version: "desc" },
    });
    const out = new Map<string, DecisionRow>();
    for (const d of decisions) {
      const key = `${d.dictionary}\u0000${keyOf(d.institution, d.localCode)}`;
      if (!out.has(key)) out.set(key, d);
    }
    return out;
  }
  const lastOf = (decisions: Map<string, DecisionRow>, r: ReviewRow) => decisions.get(`${r.dictionary}\u0000${keyOf(r.institution, r.localCode)}`);

  const listReviewsRoute = createRoute({
    method: "get",
    path: "/reviews",
    tags,
    summary: "Local codes waiting for a reviewer, with candidates, newest first / 对码审核队列",
    security: BEARER,
    middleware: [requirePermission("code-mapping:read")] as const,
    request: {
      query: z.object({
        status: z.enum(["open", "decided"]).default("open"),
        institution: Institution.optional(),
        limit: Limit,
        cursor: Cursor,
      }),
    },
    responses: {
      200: { description: "A page of reviews", content: { "application/json": { schema: z.object({ items: z.array(ReviewSchema), nextCursor: z.string().optional() }).openapi("CodeMappingReviewPage") } } },
      ...errorResponses(400, 401, 403, 404),
    },
  });

  const decideRoute = createRoute({
    method: "post",
    path: "/reviews/{id}/decide",
    tags,
    summary: "Decide a local code's standard code, or that none fits / 对码确认",
    description:
      "The reviewer is the signed-in member of staff. A code not in the standard dictionary → 400. With a code, the open quarantined items waiting for the local code are marked for replay; with null they stay quarantined.",
    security: BEARER,
    middleware: [requirePermission("code-mapping:decide"), audited(deps, "code-mapping.reviews.decide", (c) => c.req.param("id"))] as const,
    request: {
      params: ReviewIdParam,
      body: {
        required: true,
        content: {
          "application/json": {
            schema: z
              .object({
                code: z.string().trim().min(1).max(64).nullable().openapi({ description: "The standard (LOINC) code; null: no standard code fits", example: "14771-0" }),
                note: z.string().max(2000).optional(),
              })
              .strict()
              .openapi("CodeMappingDecisionRequest"),
          },
        },
      },
    },
    responses: {
      200: {
        description: "Decided",
        content: {
          "application/json": {
            schema: z
              .object({
                reviewId: z.number().int(),
                institution: z.string(),
                localCode: z.string(),
                dictionary: z.string(),
                version: z.number().int().openapi({ description: "The decision's version for the local code" }),
                code: z.string().nullable(),
                standardName: z.string().nullable(),
                replayRequested: z.number().int().openapi({ description: "Quarantined items marked for replay" }),
              })
              .openapi("CodeMappingDecided"),
          },
        },
      },
      ...errorResponses(400, 401, 403, 404, 409),
    },
  });

  const decisionsRoute = createRoute({
    method: "get",
    path: "/decisions",
    tags,
    summary: "Decisions, newest first / 对码结果历史",
    security: BEARER,
    middleware: [requirePermission("code-mapping:read")] as const,
    request: { query: z.object({ institution: Institution.optional(), localCode: LocalCode.optional(), limit: Limit, cursor: Cursor }) },
    responses: {
      200: { description: "A page of decisions", content: { "application/json": { schema: z.object({ items: z.array(DecisionSchema), nextCursor: z.string().optional() }).openapi("CodeMappingDecisionPage") } } },
      ...errorResponses(400, 401, 403, 404),
    },
  });

  return createRouter()
    .openapi(listReviewsRoute, async (c) => {
      const db = hisOf(deps);
      const q = c.req.valid("query");
      const rows = await db.codeMappingReview.findMany({
        where: { status: q.status, ...(q.institution ? { institution: q.institution } : {}), ...(q.cursor ? { id: { lt: Number(q.cursor) } } : {}) },
        orderBy: { id: "desc" },
        take: q.limit + 1,
      });
      const page = rows.slice(0, q.limit);
      const [waiting, decisions] = await Promise.all([waitingCounts(db), lastDecisions(db, page)]);
      const last = page[page.length - 1];
      return c.json(
        {
          items: page.map((r) => reviewView(r, r.status === "open" ? (waiting.get(keyOf(r.institution, r.localCode)) ?? 0) : 0, lastOf(decisions, r))),
          ...(rows.length > q.limit && last ? { nextCursor: String(last.id) } : {}),
        },
        200,
      );
    })
    .openapi(decideRoute, async (c) => {
      const db = hisOf(deps);
      const { id } = c.req.valid("param");
      const { code, note } = c.req.valid("json");
      const review = await db.codeMappingReview.findUnique({ where: { id } });
      if (!review) throw platformError("NOT_FOUND", { message: `No code review ${id}.`, messageZh: `没有对码条目 ${id}。`, details: { reviewId: id } });
      if (review.status !== "open") {
        const previous = (await lastDecisions(db, [review])).values().next().value;
        throw platformError("CONFLICT", {
          message: `Code review ${id} was already decided${previous ? ` (version ${previous.version}, by ${previous.decidedBy})` : ""}.`,
          messageZh: `对码条目 ${id} 已处理${previous ? `（第 ${previous.version} 版，复核人 ${previous.decidedBy}）` : ""}。`,
          details: { reviewId: id, status: review.status, ...(previous ? { version: previous.version, decidedBy: previous.decidedBy } : {}) },
        });
      }
      const principal = principalOf(c);
      const reviewer = principal.staffId ?? principal.subject;
      const decided = await decideCodeReview(db, id, { code, reviewer, ...(note !== undefined ? { note } : {}) }, (candidate) => entries.has(candidate));
      const answer = {
        reviewId: id,
        institution: review.institution,
        localCode: review.localCode,
        dictionary: review.dictionary,
        version: decided.version,
        code,
        standardName: code === null ? null : (entries.get(code)?.nameZh ?? null),
        replayRequested: decided.replayRequested,
      };
      await recordAudit(deps.db, c, {
        target: String(id),
        purpose: code === null ? "reject" : `map to ${code}`,
        details: { institution: review.institution, localCode: review.localCode, version: decided.version, replayRequested: decided.replayRequested },
      });
      return c.json(answer, 200);
    })
    .openapi(decisionsRoute, async (c) => {
      const db = hisOf(deps);
      const q = c.req.valid("query");
      const rows = await db.codeMappingDecision.findMany({
        where: {
          ...(q.institution ? { institution: q.institution } : {}),
          ...(q.localCode ? { localCode: q.localCode } : {}),
          ...(q.cursor ? { id: { lt: Number(q.cursor) } } : {}),
        },
        orderBy: { id: "desc" },
        take: q.limit + 1,
      });
      const page = rows.slice(0, q.limit);
      const last = page[page.length - 1];
      return c.json({ items: page.map(decisionView), ...(rows.length > q.limit && last ? { nextCursor: String(last.id) } : {}) }, 200);
    });
}

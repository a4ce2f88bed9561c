// The screening requests' store on the service's database: the same RequestStore the workflow
// uses in memory, so submit/review/run do not change. A request is one row holding the document
// as JSON (with its status, sponsor and project as columns for lists); the history is appended,
// never updated.
import type { AnalyticsDb, AnalyticsTx } from "../db.ts";
import type { RequestStore } from "../requests/store.ts";
import type { HistoryEntry, ScreeningRequest } from "../requests/types.ts";

/** What a stored request also records beside the document: its sponsor's institution and project. */
export interface RequestContext {
  readonly institution: string;
  readonly projectId?: string | null;
}

/**
 * A RequestStore on Prisma. `contextOf` gives a new request's institution (the sponsor's, for
 * usage statistics and ownership checks) and project; it is asked only when the request is new, and
 * they are kept when it is replaced.
 */
export function prismaRequestStore(db: AnalyticsDb | AnalyticsTx, contextOf: (request: ScreeningRequest) => RequestContext): RequestStore {
  return {
    get: async (id) => {
      const row = await db.screeningRequest.findUnique({ where: { id } });
      return row === null ? undefined : (JSON.parse(row.json) as ScreeningRequest);
    },
    put: async (request) => {
      const columns = { sponsor: request.sponsor, status: request.status, json: JSON.stringify(request), submittedAt: new Date(request.submittedAt) };
      const updated = await db.screeningRequest.updateMany({ where: { id: request.id }, data: columns });
      if (updated.count > 0) return;
      const context = contextOf(request);
      await db.screeningRequest.create({ data: { id: request.id, institution: context.institution, projectId: context.projectId ?? null, ...columns } });
    },
    list: async (filter = {}) => {
      const rows = await db.screeningRequest.findMany({
        where: filter.sponsor === undefined ? {} : { sponsor: filter.sponsor },
        orderBy: [{ submittedAt: "asc" }, { id: "asc" }],
      });
      return rows.map((row) => JSON.parse(row.json) as ScreeningRequest);
    },
    append: async (entry) => {
      await db.requestHistory.create({ data: { requestId: entry.requestId, kind: entry.kind, actor: entry.actor, at: new Date(entry.at), json: JSON.stringify(entry) } });
    },
    history: async (filter = {}) => {
      const rows = await db.requestHistory.findMany({
        where: filter.requestId === undefined ? {} : { requestId: filter.requestId },
        orderBy: { seq: "asc" },
      });
      return rows.map((row) => JSON.parse(row.json) as HistoryEntry);
    },
  };
}

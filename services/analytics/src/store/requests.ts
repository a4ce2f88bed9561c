// The screening requests' store on the service's database: the same RequestStore the workflow
// uses in memory, so submit/review/run do not change. A request is one row holding the document
// as JSON (with its status, sponsor and project as columns for lists); the history is appended,
// never updated. A save is one transaction: the request (created, or replaced only while its stored
// document is still the one the caller read: a conditional update) and its history line.
import type { AnalyticsDb, AnalyticsTx } from "../db.ts";
import { changedConcurrently, type RequestStore } from "../requests/store.ts";
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
export function prismaRequestStore(db: AnalyticsDb, contextOf: (request: ScreeningRequest) => RequestContext): RequestStore {
  const historyRow = (entry: HistoryEntry) => ({ requestId: entry.requestId, kind: entry.kind, actor: entry.actor, at: new Date(entry.at), json: JSON.stringify(entry) });
  const columns = (request: ScreeningRequest) => ({ sponsor: request.sponsor, status: request.status, json: JSON.stringify(request), submittedAt: new Date(request.submittedAt) });
  return {
    get: async (id) => {
      const row = await db.screeningRequest.findUnique({ where: { id } });
      return row === null ? undefined : (JSON.parse(row.json) as ScreeningRequest);
    },
    save: async (request, entry, options = {}) => {
      await db.$transaction(async (tx: AnalyticsTx) => {
        if (options.replacing === undefined) {
          if ((await tx.screeningRequest.count({ where: { id: request.id } })) > 0) throw changedConcurrently(request.id);
          const context = contextOf(request);
          await tx.screeningRequest.create({ data: { id: request.id, institution: context.institution, projectId: context.projectId ?? null, ...columns(request) } });
        } else {
          // The stored document is the JSON of what the caller read, byte for byte, or someone changed it.
          const updated = await tx.screeningRequest.updateMany({ where: { id: request.id, json: JSON.stringify(options.replacing) }, data: columns(request) });
          if (updated.count === 0) throw changedConcurrently(request.id);
        }
        await tx.requestHistory.create({ data: historyRow(entry) });
      });
    },
    list: async (filter = {}) => {
      const rows = await db.screeningRequest.findMany({
        where: filter.sponsor === undefined ? {} : { sponsor: filter.sponsor },
        orderBy: [{ submittedAt: "asc" }, { id: "asc" }],
      });
      return rows.map((row) => JSON.parse(row.json) as ScreeningRequest);
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

// The seam where the service's database plugs in. Requests are kept by id (get/put/list) and every
// change is also appended to a history that is never rewritten. The interface is asynchronous so a
// Prisma (SQLite/PostgreSQL) implementation, as services/eqa keeps its own, can replace the
// in-memory one without touching callers.
import type { HistoryEntry, ScreeningRequest } from "./types.ts";

export interface RequestStore {
  get(id: string): Promise<ScreeningRequest | undefined>;
  /** Inserts or replaces the request with this id. */
  put(request: ScreeningRequest): Promise<void>;
  /** Requests in submission order, optionally of one sponsor. */
  list(filter?: { readonly sponsor?: string }): Promise<ScreeningRequest[]>;
  /** Appends to the history; entries are never changed or removed. */
  append(entry: HistoryEntry): Promise<void>;
  /** History in order of appending, optionally of one request. */
  history(filter?: { readonly requestId?: string }): Promise<HistoryEntry[]>;
}

/**
 * A store in process memory (tests, single-node trials). Values are deep-copied in and out, so a
 * caller changing an object it got cannot change what is stored — as with a database.
 */
export function memoryRequestStore(): RequestStore {
  const requests = new Map<string, ScreeningRequest>();
  const entries: HistoryEntry[] = [];
  return {
    get: async (id) => {
      const found = requests.get(id);
      return found === undefined ? undefined : structuredClone(found);
    },
    put: async (request) => {
      requests.set(request.id, structuredClone(request));
    },
    list: async (filter = {}) =>
      [...requests.values()].filter((r) => filter.sponsor === undefined || r.sponsor === filter.sponsor).map((r) => structuredClone(r)),
    append: async (entry) => {
      entries.push(structuredClone(entry));
    },
    history: async (filter = {}) =>
      entries.filter((e) => filter.requestId === undefined || e.requestId === filter.requestId).map((e) => structuredClone(e)),
  };
}

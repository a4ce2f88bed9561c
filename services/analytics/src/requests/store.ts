// The seam where the service's database plugs in. Requests are kept by id; every change is saved
// together with its line of the history, which is never rewritten. A change replaces the request
// only if it is still exactly as the caller read it (compare and swap): two reviewers deciding at
// the same moment, or two runs appending at once, cannot overwrite each other — the loser gets
// CONFLICT (details.reason "changed-concurrently") and nothing of it is stored. The interface is
// asynchronous so a Prisma (SQLite/PostgreSQL) implementation can replace the in-memory one.
import { requestError } from "./refuse.ts";
import type { HistoryEntry, ScreeningRequest } from "./types.ts";

export interface SaveOptions {
  /** The request as read before the change; absent for a new request (CONFLICT if the id exists). */
  readonly replacing?: ScreeningRequest;
}

export interface RequestStore {
  get(id: string): Promise<ScreeningRequest | undefined>;
  /** Stores the request and appends the history entry, together: both or neither. */
  save(request: ScreeningRequest, entry: HistoryEntry, options?: SaveOptions): Promise<void>;
  /** Requests in submission order, optionally of one sponsor. */
  list(filter?: { readonly sponsor?: string }): Promise<ScreeningRequest[]>;
  /** History in order of appending, optionally of one request. */
  history(filter?: { readonly requestId?: string }): Promise<HistoryEntry[]>;
}

/** The refusal of a save whose request changed (or appeared) since it was read. */
export function changedConcurrently(id: string): Error {
  return requestError(
    "CONFLICT",
    { requestId: id, reason: "changed-concurrently" },
    `The request ${id} was changed by someone else meanwhile; nothing was saved.`,
    `检索需求 ${id} 已被他人同时修改，本次未保存任何内容。`,
  );
}

/** Whether a stored request is still the one a caller read (the stored document is the reference). */
export function sameRequest(a: ScreeningRequest, b: ScreeningRequest): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
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
    save: async (request, entry, options = {}) => {
      const stored = requests.get(request.id);
      const fresh = options.replacing === undefined ? stored === undefined : stored !== undefined && sameRequest(stored, options.replacing);
      if (!fresh) throw changedConcurrently(request.id);
      requests.set(request.id, structuredClone(request));
      entries.push(structuredClone(entry));
    },
    list: async (filter = {}) =>
      [...requests.values()].filter((r) => filter.sponsor === undefined || r.sponsor === filter.sponsor).map((r) => structuredClone(r)),
    history: async (filter = {}) =>
      entries.filter((e) => filter.requestId === undefined || e.requestId === filter.requestId).map((e) => structuredClone(e)),
  };
}

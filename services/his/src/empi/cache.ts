// The (institution, patientId) → person cache behind `personOf`, and how it stays true when another
// process (the gateway's admin screens, another collector) moves identities in the same database.
// Only committed answers are cached: reads inside a caller's transaction bypass it, a read that raced
// with a change is not stored (the generation moved on), and an identity moved in a caller's
// transaction — whose commit the EMPI cannot see — is never cached again by this instance (it is
// rare: a re-sent registration that contradicts its person). lru-cache (isaacs) is the maintained
// LRU of the Node ecosystem.
import { LRUCache } from "lru-cache";

export interface PersonCache {
  /** The cached person, or undefined. */
  get(key: string): string | undefined;
  /** The generation to pass back to `store` after reading the database. */
  generation(): number;
  /** Stores a committed answer read while the generation was `since`, if nothing changed meanwhile. */
  store(key: string, personId: string, since: number): void;
  /** Forgets keys whose person changed (committed or about to be). */
  invalidate(keys: Iterable<string>): void;
  /** Forgets keys changed in a transaction the EMPI does not own: they are read from the database from now on. */
  invalidateUncommitted(keys: Iterable<string>): void;
  /** Forgets everything (another process moved identities this instance cannot name). */
  clear(): void;
}

/** At most this many keys are remembered as changed in foreign transactions; beyond, the cache is cleared and the set restarts. */
const MAX_VOLATILE = 100_000;

export function createPersonCache(size: number): PersonCache {
  const cache = size > 0 ? new LRUCache<string, string>({ max: size }) : null;
  const volatile = new Set<string>();
  let generation = 0;
  const invalidate = (keys: Iterable<string>) => {
    generation++;
    if (cache === null) return;
    for (const key of keys) cache.delete(key);
  };
  return {
    get: (key) => cache?.get(key),
    generation: () => generation,
    store(key, personId, since) {
      if (cache !== null && since === generation && !volatile.has(key)) cache.set(key, personId);
    },
    invalidate,
    invalidateUncommitted(keys) {
      const list = [...keys];
      invalidate(list);
      if (cache === null) return;
      if (volatile.size + list.length > MAX_VOLATILE) {
        cache.clear();
        volatile.clear();
      }
      for (const key of list) volatile.add(key);
    },
    clear() {
      generation++;
      cache?.clear();
    },
  };
}

/** EmpiEvent kinds that move identities between persons (a review's merge writes a "merge" event). */
export const IDENTITY_MOVING_EVENTS = ["merge", "unmerge", "relink"] as const;

/** What the watch reads from the database: the latest event id, and the moving events in (after, latest]. */
export type MoveScan = (after: number | null) => Promise<{ latest: number; moving: readonly number[] }>;

export interface MoveWatch {
  /** Notes an identity-moving event this instance wrote itself (its cache already reflects it). */
  own(eventId: number): void;
  /**
   * Whether identities were moved by others since the last check (true at the first check: what was
   * cached before is of unknown age).
   */
  check(scan: MoveScan): Promise<boolean>;
}

/**
 * Watches EmpiEvent ids for moves written by others. Ids are compared to what was already accounted
 * for, not merely to the latest id seen: on PostgreSQL a sequence hands out ids before commit, so a
 * merge can become visible after a higher id was seen. The ids at or below the horizon are settled;
 * the horizon trails the latest id by `lagMs` (a writer's transaction timeout; 0 on SQLite, whose
 * writers commit in id order), and moving events above it are remembered so none is counted twice.
 */
export function createMoveWatch(lagMs: number, now: () => number = Date.now): MoveWatch {
  let horizon: number | null = null;
  const known = new Set<number>();
  /** Latest ids seen and when: the horizon moves to one once it is `lagMs` old. */
  const marks: { at: number; latest: number }[] = [];
  return {
    own(eventId) {
      if (horizon === null || eventId > horizon) known.add(eventId);
    },
    async check(scan) {
      const first = horizon === null;
      const { latest, moving } = await scan(horizon);
      let foreign = first;
      for (const id of moving) {
        if (!known.has(id)) foreign = true;
        known.add(id);
      }
      const at = now();
      marks.push({ at, latest });
      // The first check settles everything up to the latest id and clears the cache. Looking back
      // for moves still uncommitted below that id (PostgreSQL) would mean scanning the whole history
      // once: such a move, committed within a transaction timeout of the first check, goes unseen.
      let settled = horizon ?? latest;
      while (marks.length > 0 && marks[0]!.at <= at - lagMs) settled = Math.max(settled, marks.shift()!.latest);
      horizon = settled;
      for (const id of known) if (id <= horizon) known.delete(id);
      return foreign;
    },
  };
}

// The (institution, patientId) → person cache behind `personOf`. Only committed answers are cached:
// reads inside a caller's transaction bypass it, a read that raced with a change is not stored
// (the generation moved on), and an identity moved in a caller's transaction — whose commit the
// EMPI cannot see — is never cached again by this instance (it is rare: a re-sent registration that
// contradicts its person). lru-cache (isaacs) is the maintained LRU of the Node ecosystem.
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
  };
}

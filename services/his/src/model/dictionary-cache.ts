// Dictionary lookups cached per code mapper and (institution, local code, unit, local name): a
// district has a few hundred distinct local lab codes and a day has tens of thousands of results,
// so each distinct code is scored once. A cached answer is recomputed when a reviewer has decided
// on that local code since (the decision log's current sequence for the key changed).
import type { CodeMapper, LocalEntry, MappingProposal } from "../mapping/index.ts";

interface Cached {
  readonly proposal: MappingProposal;
  /** The sequence of the decision in force when it was computed; 0 for none. */
  readonly decisionSequence: number;
}

/** Bound on distinct keys per mapper: a source sending ever new codes cannot grow memory without limit. */
const MAX_ENTRIES = 100_000;

const caches = new WeakMap<CodeMapper, Map<string, Cached>>();

/** `mapper.propose(local)`, from the cache when neither the entry nor a decision on it changed. */
export function proposeCached(mapper: CodeMapper, local: LocalEntry): MappingProposal {
  let cache = caches.get(mapper);
  if (cache === undefined) {
    cache = new Map();
    caches.set(mapper, cache);
  }
  const key = `${local.institution}\u0000${local.localCode}\u0000${local.localUnit ?? ""}\u0000${local.localName}`;
  const decisionSequence = mapper.decisions?.current(local.institution, local.localCode)?.sequence ?? 0;
  const hit = cache.get(key);
  if (hit !== undefined && hit.decisionSequence === decisionSequence) return hit.proposal;
  const proposal = mapper.propose(local);
  if (cache.size >= MAX_ENTRIES) cache.clear();
  cache.set(key, { proposal, decisionSequence });
  return proposal;
}

// Pairwise linkage quality against ground truth: precision = correctly linked pairs / linked pairs,
// recall = correctly linked pairs / truly matching pairs, counted over every pair of registrations
// (from cluster sizes, so it costs O(n) and not O(n²)).

export interface LinkageQuality {
  readonly registrations: number;
  /** Pairs the index put on one person. */
  readonly linkedPairs: number;
  /** Pairs that are truly one person. */
  readonly truePairs: number;
  /** Pairs in both. */
  readonly correctPairs: number;
  readonly precision: number;
  readonly recall: number;
  /** Persons made by the index, and the true number. */
  readonly persons: number;
  readonly truePersons: number;
}

const pairs = (n: number) => (n * (n - 1)) / 2;

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

/** Quality of a linkage given, per registration, the person it was linked to and the true person. */
export function pairwiseQuality(links: readonly { readonly personId: string; readonly truePersonId: string }[]): LinkageQuality {
  const linked = countBy(links, (l) => l.personId);
  const truth = countBy(links, (l) => l.truePersonId);
  const both = countBy(links, (l) => `${l.personId}\u0000${l.truePersonId}`);
  const sum = (counts: Map<string, number>) => [...counts.values()].reduce((total, n) => total + pairs(n), 0);
  const linkedPairs = sum(linked);
  const truePairs = sum(truth);
  const correctPairs = sum(both);
  return {
    registrations: links.length,
    linkedPairs,
    truePairs,
    correctPairs,
    precision: linkedPairs === 0 ? 1 : correctPairs / linkedPairs,
    recall: truePairs === 0 ? 1 : correctPairs / truePairs,
    persons: linked.size,
    truePersons: truth.size,
  };
}

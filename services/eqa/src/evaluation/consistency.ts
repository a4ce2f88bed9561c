import type { ConsistencyCounts, ConsistencyRecord } from "./types.ts";

/**
 * The data-consistency check (数据一致性核对): labs and results submitted, stored and reported (appearing
 * in the evaluation) must agree. Green when all three counts agree for labs and for results; red with
 * the differing counts otherwise, so the centre investigates before publishing.
 */
export function consistencyCheck(counts: { submitted: ConsistencyCounts; stored: ConsistencyCounts; reported: ConsistencyCounts }): ConsistencyRecord {
  const { submitted, stored, reported } = counts;
  const differences: ConsistencyRecord["differences"] = [];
  for (const what of ["labs", "results"] as const) {
    if (submitted[what] !== stored[what] || stored[what] !== reported[what]) {
      differences.push({ what, submitted: submitted[what], stored: stored[what], reported: reported[what] });
    }
  }
  return { status: differences.length === 0 ? "green" : "red", submitted: { ...submitted }, stored: { ...stored }, reported: { ...reported }, differences };
}

// Student's t quantiles come from jStat rather than a hand-written series: it is maintained, MIT
// licensed, and agrees with published Grubbs tables (see test/statistics-grubbs.test.ts).
import jstatModule from "jstat";

const { jStat } = jstatModule;

/** Upper quantile t such that P(T > t) = p for Student's t with `dof` degrees of freedom. */
export function studentTUpper(p: number, dof: number): number {
  return jStat.studentt.inv(1 - p, dof);
}

/** Two-sided p value P(|T| ≥ |t|) for Student's t with `dof` (may be fractional, as for Welch) degrees of freedom. */
export function studentTTwoSidedP(t: number, dof: number): number {
  // The lower tail at −|t| avoids the cancellation of 1 − cdf(|t|) for large |t|.
  return Math.min(1, 2 * jStat.studentt.cdf(-Math.abs(t), dof));
}

// Student's t quantiles come from jStat rather than a hand-written series: it is maintained, MIT
// licensed, and agrees with published Grubbs tables (see test/statistics-grubbs.test.ts).
import jstatModule from "jstat";

const { jStat } = jstatModule;

/** Upper quantile t such that P(T > t) = p for Student's t with `dof` degrees of freedom. */
export function studentTUpper(p: number, dof: number): number {
  return jStat.studentt.inv(1 - p, dof);
}

import type { AnalyteRun } from "./analyte-run.ts";
import { scoreKey } from "./analyte-run.ts";
import { schemeAllowedRange } from "./fitness.ts";
import { judged, notEvaluated } from "./messages.ts";
import { ALL_GROUP } from "./peer-group.ts";
import type { Score } from "./types.ts";

const BOUNDARY_TOLERANCE = 1e-9;

/**
 * Trueness verification (正确度验证): the mean of the lab's days × replicates against the expected
 * (reference) value, pass when |mean − x_ref| ≤ the allowed half-width; bias % = (mean − x_ref) / x_ref × 100.
 * The mean is recomputed from the raw replicates so a stored mean cannot disagree with them.
 *
 * scheme.log10 (viral loads): the evaluated value is the mean of the log10 of the replicates (the log10
 * of their geometric mean), against log10(x_ref), with the allowed limit in log10 units. Not the log10 of
 * the arithmetic mean: on the log scale, where such measurements are evaluated, replicate errors are
 * roughly symmetric, and the raw arithmetic mean is dominated by its largest replicate. No bias % is
 * given on that scale (a percentage of a logarithm means nothing). A replicate ≤ 0 has no logarithm.
 */
export function evaluateTrueness(run: AnalyteRun): Score[] {
  const scores: Score[] = [];
  const log10 = run.scheme.log10 === true;
  for (const sampleCode of run.samples) {
    const expected = run.expected(sampleCode);
    for (const result of run.results.get(sampleCode) ?? []) {
      if (result.value.type !== "trueness") continue;
      const flat = result.value.replicates.flat();
      const key = scoreKey(result, "trueness");
      if (log10 && (flat.length === 0 ? !(result.value.mean > 0) : flat.some((v) => !(v > 0)))) {
        scores.push({ ...key, value: null, group: ALL_GROUP, ...notEvaluated("nonPositiveForLog") });
        continue;
      }
      const scale = log10 ? Math.log10 : (v: number) => v;
      const mean = flat.length > 0 ? flat.reduce((sum, v) => sum + scale(v), 0) / flat.length : scale(result.value.mean);
      const base = { ...key, value: mean, group: ALL_GROUP };
      if (expected?.type !== "trueness" && expected?.type !== "quantitative") {
        scores.push({ ...base, ...notEvaluated("noExpected") });
        continue;
      }
      if (log10 && !(expected.value > 0)) {
        scores.push({ ...base, ...notEvaluated("nonPositiveForLog") });
        continue;
      }
      const reference = scale(expected.value);
      const range = schemeAllowedRange(run.scheme.allowed ?? {}, reference);
      if ("code" in range) {
        scores.push({ ...base, assignedValue: reference, ...notEvaluated("zeroAllowedError") });
        continue;
      }
      const half = range.halfWidth;
      const difference = mean - reference;
      const within = Math.abs(difference) <= half + BOUNDARY_TOLERANCE * Math.max(Math.abs(mean), Math.abs(reference), half);
      const score: Score = {
        ...base,
        // TEa > 0 here (the library refuses 0), so the ratio always exists.
        score: difference / half,
        assignedValue: reference,
        allowed: { low: reference - half, high: reference + half, halfWidth: half },
        ...judged(within ? "pass" : "fail"),
      };
      if (!log10 && reference !== 0) score.biasPercent = (difference / reference) * 100;
      scores.push(score);
    }
  }
  return scores;
}

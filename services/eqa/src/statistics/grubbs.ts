import { platformError } from "@health-chain/sdk";
import { mean, standardDeviation } from "./descriptive.ts";
import { studentTUpper } from "./distributions.ts";
import { assertSignificance } from "./significance.ts";
import { assertFiniteValues } from "./validate.ts";

export interface GrubbsStep {
  /** The value farthest from the mean. */
  readonly value: number;
  /** Its index in the original input. */
  readonly index: number;
  readonly n: number;
  readonly g: number;
  readonly gCritical: number;
  readonly significant: boolean;
  readonly reason: { readonly en: string; readonly zh: string };
}

export interface GrubbsResult {
  /** Values judged outliers, in removal order (at most one for the single test). */
  readonly removed: readonly GrubbsStep[];
  /** The input without the removed values, in input order. */
  readonly kept: readonly number[];
  /** Every test performed, the last one being the non-significant one that stopped the procedure. */
  readonly steps: readonly GrubbsStep[];
}

/**
 * Two-sided Grubbs critical value (Grubbs 1969, Technometrics 11:1–21; ISO 5725-2:1994 7.3.4):
 *   G_crit = ((n − 1) / √n) × sqrt(t² / (n − 2 + t²)),   t = t_{α/(2n), n−2}
 * the upper α/(2n) quantile of Student's t with n − 2 degrees of freedom.
 */
export function grubbsCritical(n: number, alpha = 0.05): number {
  assertSignificance(alpha);
  if (!Number.isInteger(n) || n < 3) {
    throw platformError("INVALID_INPUT", {
      message: "The Grubbs test needs a whole number of at least 3 values.",
      messageZh: "Grubbs 检验至少需要 3 个数值。",
      details: { field: "n", value: String(n) },
    });
  }
  const t = studentTUpper(alpha / (2 * n), n - 2);
  return ((n - 1) / Math.sqrt(n)) * Math.sqrt((t * t) / (n - 2 + t * t));
}

function testOnce(values: readonly number[], indices: readonly number[], alpha: number): GrubbsStep {
  const n = values.length;
  const centre = mean(values);
  const s = standardDeviation(values);
  // The suspect is the value farthest from the mean; on a tie the first in input order.
  let suspect = 0;
  for (let i = 1; i < n; i++) {
    if (Math.abs((values[i] as number) - centre) > Math.abs((values[suspect] as number) - centre)) suspect = i;
  }
  const value = values[suspect] as number;
  // s = 0 means every value is equal: nothing stands out.
  const g = s === 0 ? 0 : Math.abs(value - centre) / s;
  const gCritical = grubbsCritical(n, alpha);
  const significant = g > gCritical;
  const figures = `G = ${g.toFixed(3)}, G_crit(n = ${n}, α = ${alpha}) = ${gCritical.toFixed(3)}`;
  return {
    value,
    index: indices[suspect] as number,
    n,
    g,
    gCritical,
    significant,
    reason: significant
      ? { en: `Grubbs outlier: ${figures}, G > G_crit.`, zh: `Grubbs 检验离群值：${figures}，G > G_crit。` }
      : { en: `Not an outlier: ${figures}, G ≤ G_crit.`, zh: `非离群值：${figures}，G ≤ G_crit。` },
  };
}

function run(values: readonly number[], alpha: number, iterate: boolean): GrubbsResult {
  assertFiniteValues(values, 3, "values");
  assertSignificance(alpha);
  let current = [...values];
  let indices = values.map((_, i) => i);
  const steps: GrubbsStep[] = [];
  const removed: GrubbsStep[] = [];
  for (;;) {
    const step = testOnce(current, indices, alpha);
    steps.push(step);
    if (!step.significant) break;
    removed.push(step);
    const position = indices.indexOf(step.index);
    current = current.filter((_, i) => i !== position);
    indices = indices.filter((_, i) => i !== position);
    if (!iterate || current.length < 3) break;
  }
  const removedIndices = new Set(removed.map((step) => step.index));
  return { removed, kept: values.filter((_, i) => !removedIndices.has(i)), steps };
}

/**
 * Single two-sided Grubbs test: G = max|xᵢ − x̄| / s (s the sample standard deviation, n − 1);
 * the value is an outlier when G > G_crit(n, α). Needs n ≥ 3.
 */
export function grubbsTest(values: readonly number[], alpha = 0.05): GrubbsResult {
  return run(values, alpha, false);
}

/**
 * Iterated Grubbs: apply the single test, remove the outlier, and repeat on the rest while the test
 * is significant and at least 3 values remain. Each removal is reported with its G and G_crit.
 */
export function grubbsIterated(values: readonly number[], alpha = 0.05): GrubbsResult {
  return run(values, alpha, true);
}

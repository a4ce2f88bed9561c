import { defaultDixonStatistic, dixonTest } from "./dixon.ts";
import type { DixonOptions, DixonResult } from "./dixon.ts";
import { DIXON_TABLES } from "./dixon-tables.ts";
import type { DixonAlpha } from "./dixon-types.ts";
import { assertFiniteValues } from "./validate.ts";

export interface DixonStep extends DixonResult {
  /** Index of the suspect in the original input. */
  readonly index: number;
}

export interface DixonIteratedResult {
  /** Significant steps, in removal order, each with its ratio, critical value and reason (en/zh). */
  readonly removed: readonly DixonStep[];
  /** The input without the removed values, in input order. */
  readonly kept: readonly number[];
  /** Every test performed; the last is the non-significant one that stopped the procedure, unless it stopped for size. */
  readonly steps: readonly DixonStep[];
  /** Why the procedure stopped. */
  readonly stoppedBecause: { readonly en: string; readonly zh: string };
}

/**
 * Iterated Dixon test: test, remove the outlier, and test the rest again while the test is significant
 * and the remaining n is still tabulated for the ratio. With the default options the ratio is chosen
 * afresh for each n (r22 → r21 → r11 → r10 as values are removed); a forced `statistic` is kept.
 * Like iterated Grubbs, repeated single-outlier tests can be masked by a second outlier on the same
 * side; the larger-subrange ratios chosen for larger n are Dixon's answer to that.
 */
export function dixonIterated(values: readonly number[], options?: DixonAlpha | DixonOptions): DixonIteratedResult {
  assertFiniteValues(values, 3, "values");
  const forced = typeof options === "object" ? options.statistic : undefined;
  let current = [...values];
  let indices = values.map((_, i) => i);
  const steps: DixonStep[] = [];
  const removed: DixonStep[] = [];
  for (;;) {
    const result = dixonTest(current, options);
    const position = current.indexOf(result.suspect);
    const step: DixonStep = { ...result, index: indices[position] as number };
    steps.push(step);
    if (!result.significant) {
      return { removed, kept: keep(values, removed), steps, stoppedBecause: { en: "The last test was not significant.", zh: "最后一次检验不显著。" } };
    }
    removed.push(step);
    current = current.filter((_, i) => i !== position);
    indices = indices.filter((_, i) => i !== position);
    const statistic = forced ?? (current.length >= 3 ? defaultDixonStatistic(current.length) : "r10");
    if (current.length < DIXON_TABLES[statistic].firstN || new Set(current).size < 2) {
      return {
        removed,
        kept: keep(values, removed),
        steps,
        stoppedBecause: {
          en: `${current.length} values remain, too few (or all equal) for Dixon's ${statistic}.`,
          zh: `剩余 ${current.length} 个数值，数量不足或全部相同，无法继续进行 Dixon ${statistic} 检验。`,
        },
      };
    }
  }
}

function keep(values: readonly number[], removed: readonly DixonStep[]): number[] {
  const gone = new Set(removed.map((step) => step.index));
  return values.filter((_, i) => !gone.has(i));
}

import { platformError } from "@health-chain/sdk";
import { sortedCopy } from "./descriptive.ts";
import { DIXON_TABLES } from "./dixon-tables.ts";
import type { DixonAlpha, DixonStatistic } from "./dixon-types.ts";
import { assertFiniteValues } from "./validate.ts";

export interface DixonOptions {
  readonly alpha?: DixonAlpha;
  /** Force one ratio; by default it is chosen by n (see `defaultDixonStatistic`). */
  readonly statistic?: DixonStatistic;
}

export interface DixonResult {
  /** The ratio used and the size and level it was judged at. */
  readonly statistic: DixonStatistic;
  readonly n: number;
  readonly alpha: DixonAlpha;
  /** The more extreme candidate (lowest or highest value) and its ratio. */
  readonly suspect: number;
  readonly side: "low" | "high";
  /** The ratio of the suspect (named q for compatibility with the r10 "Q test"). */
  readonly q: number;
  readonly qCritical: number;
  readonly significant: boolean;
  /** The suspect when significant; the test removes at most one value. */
  readonly removed: readonly number[];
  readonly kept: readonly number[];
  readonly reason: { readonly en: string; readonly zh: string };
}

const ALPHAS: readonly DixonAlpha[] = [0.1, 0.05, 0.01];
const STATISTICS: readonly DixonStatistic[] = ["r10", "r11", "r21", "r22"];

/**
 * The classical choice of ratio by sample size (Dixon 1950/1951; the ranges used by ISO 5725-2-era
 * practice and Rorabacher 1991): r10 for n = 3..7, r11 for 8..10, r21 for 11..13, r22 for 14..30.
 * The larger-subrange ratios skip the next-most-extreme value so that a second outlier on the same
 * side (more likely as n grows) does not mask the first.
 */
export function defaultDixonStatistic(n: number): DixonStatistic {
  if (!Number.isInteger(n) || n < 3 || n > 30) {
    throw platformError("INVALID_INPUT", {
      message: `Dixon's test is tabulated for 3 to 30 values, got ${String(n)}; use Grubbs for larger sets.`,
      messageZh: `Dixon 检验仅适用于 3 至 30 个数值，实际 ${String(n)} 个；数据更多时请使用 Grubbs 检验。`,
      details: { field: "n", value: String(n) },
    });
  }
  if (n <= 7) return "r10";
  if (n <= 10) return "r11";
  if (n <= 13) return "r21";
  return "r22";
}

function assertAlpha(alpha: unknown): asserts alpha is DixonAlpha {
  if (!ALPHAS.includes(alpha as DixonAlpha)) {
    throw platformError("INVALID_INPUT", {
      message: "Dixon's critical values are tabulated for alpha 0.10, 0.05 or 0.01 only.",
      messageZh: "Dixon 检验的临界值仅有 alpha 为 0.10、0.05 或 0.01 的表值。",
      details: { field: "alpha", value: String(alpha) },
    });
  }
}

function assertStatistic(statistic: unknown): asserts statistic is DixonStatistic {
  if (!STATISTICS.includes(statistic as DixonStatistic)) {
    throw platformError("INVALID_INPUT", {
      message: "The Dixon statistic must be r10, r11, r21 or r22.",
      messageZh: "Dixon 统计量必须是 r10、r11、r21 或 r22。",
      details: { field: "statistic", value: String(statistic) },
    });
  }
}

/**
 * Two-sided critical value of a Dixon ratio (Rorabacher 1991) for n values at α ∈ {0.10, 0.05, 0.01}.
 * `statistic` defaults to the classical choice for n (`defaultDixonStatistic`).
 */
export function dixonCritical(n: number, alpha: DixonAlpha = 0.05, statistic?: DixonStatistic): number {
  assertAlpha(alpha);
  const chosen = statistic ?? defaultDixonStatistic(n);
  assertStatistic(chosen);
  const table = DIXON_TABLES[chosen];
  const value = Number.isInteger(n) ? table.values[alpha][n - table.firstN] : undefined;
  if (value === undefined) {
    const lastN = table.firstN + table.values[alpha].length - 1;
    throw platformError("INVALID_INPUT", {
      message: `Dixon's ${chosen} is tabulated for ${table.firstN} to ${lastN} values, got ${String(n)}.`,
      messageZh: `Dixon ${chosen} 统计量仅适用于 ${table.firstN} 至 ${lastN} 个数值，实际 ${String(n)} 个。`,
      details: { field: "n", value: String(n), statistic: chosen },
    });
  }
  return value;
}

/** a / b where the subrange b ≥ a ≥ 0; 0/0 (the tested gap and its subrange both empty) counts as 0. */
function ratio(gap: number, subrange: number): number {
  return subrange === 0 ? 0 : gap / subrange;
}

function ratios(sorted: readonly number[], statistic: DixonStatistic): { low: number; high: number } {
  const x = (i: number): number => sorted[i - 1] as number; // 1-based order statistics
  const n = sorted.length;
  switch (statistic) {
    case "r10":
      return { low: ratio(x(2) - x(1), x(n) - x(1)), high: ratio(x(n) - x(n - 1), x(n) - x(1)) };
    case "r11":
      return { low: ratio(x(2) - x(1), x(n - 1) - x(1)), high: ratio(x(n) - x(n - 1), x(n) - x(2)) };
    case "r21":
      return { low: ratio(x(3) - x(1), x(n - 1) - x(1)), high: ratio(x(n) - x(n - 2), x(n) - x(2)) };
    case "r22":
      return { low: ratio(x(3) - x(1), x(n - 2) - x(1)), high: ratio(x(n) - x(n - 2), x(n) - x(3)) };
  }
}

function normaliseOptions(options: DixonAlpha | DixonOptions | undefined): { alpha: DixonAlpha; statistic?: DixonStatistic } {
  if (typeof options === "number") return { alpha: options };
  const alpha = options?.alpha ?? 0.05;
  return options?.statistic === undefined ? { alpha } : { alpha, statistic: options.statistic };
}

/**
 * Dixon's outlier test (Dixon 1950, 1951; critical values Rorabacher 1991) for 3 ≤ n ≤ 30: the ratio
 * (by default chosen by n, see `defaultDixonStatistic`) is computed for the lowest and the highest
 * value; the larger is compared with the two-sided critical value and its value is removed when
 * ratio > critical. On equal ratios the low side is tested. The second argument may be α alone (the
 * original signature) or `{ alpha, statistic }`.
 * Zero range (all values equal) is refused: there is nothing to test.
 */
export function dixonTest(values: readonly number[], options?: DixonAlpha | DixonOptions): DixonResult {
  assertFiniteValues(values, 3, "values");
  const { alpha, statistic: forced } = normaliseOptions(options);
  assertAlpha(alpha);
  const n = values.length;
  const statistic = forced ?? defaultDixonStatistic(n);
  const qCritical = dixonCritical(n, alpha, statistic);
  const sorted = sortedCopy(values);
  const first = sorted[0] as number;
  const last = sorted[n - 1] as number;
  if (last - first === 0) {
    throw platformError("INVALID_INPUT", {
      message: "Dixon's test cannot be computed: all values are equal (range 0).",
      messageZh: "无法计算 Dixon 检验：所有数值相同（极差为 0）。",
      details: { reason: "zero-range", n },
    });
  }
  const { low, high } = ratios(sorted, statistic);
  const side = high > low ? "high" : "low";
  const suspect = side === "high" ? last : first;
  const q = Math.max(low, high);
  const significant = q > qCritical;
  const position = values.indexOf(suspect);
  const figures = `${statistic} = ${q.toFixed(3)}, critical(n = ${n}, α = ${alpha}) = ${qCritical.toFixed(3)}`;
  return {
    statistic,
    n,
    alpha,
    suspect,
    side,
    q,
    qCritical,
    significant,
    removed: significant ? [suspect] : [],
    kept: significant ? values.filter((_, i) => i !== position) : [...values],
    reason: significant
      ? { en: `Dixon outlier ${suspect}: ${figures}, ratio > critical.`, zh: `Dixon 检验离群值 ${suspect}：${figures}，统计量 > 临界值。` }
      : { en: `No Dixon outlier: ${figures}, ratio ≤ critical.`, zh: `Dixon 检验无离群值：${figures}，统计量 ≤ 临界值。` },
  };
}

// Counts per institution as researchers see them (issue 8): small cells suppressed, with
// complementary suppression when a total is published, and the shown counts exact, rounded or
// perturbed by the policy. Decisions are taken on the true counts; only shown values are transformed.
import type { Bilingual } from "./invalid.ts";
import { invalidPrivacyInput } from "./invalid.ts";
import {
  assertCount,
  isSmallCount,
  publishedValue,
  shownCell,
  suppressedCell,
  suppressionNote,
  type ProtectedCell,
} from "./cell.ts";
import type { PerturbationContext } from "./perturbation.ts";
import { smallCellPolicy, type SmallCellPolicy } from "./policy.ts";

/** One true count, e.g. the patients meeting the criteria at one institution. */
export interface CountCell {
  readonly key: string;
  readonly count: number;
}

export interface ProtectCountsOptions {
  readonly policy?: Partial<SmallCellPolicy>;
  /** Whether the total of the cells is published with them (default true). */
  readonly showTotal?: boolean;
  /** Required in `perturb` mode. */
  readonly perturbation?: PerturbationContext;
}

export interface ProtectedCounts {
  readonly cells: readonly { readonly key: string; readonly cell: ProtectedCell }[];
  /** The protected total, or null when it is not published. */
  readonly total: ProtectedCell | null;
  readonly policy: SmallCellPolicy;
  readonly note: Bilingual;
}

/** Validates cells: an array of {key, count} with unique non-empty keys. */
export function validateCountCells(cells: unknown, what: string): asserts cells is readonly CountCell[] {
  if (!Array.isArray(cells)) {
    throw invalidPrivacyInput({ what }, `The ${what} must be an array of {key, count}.`, `${what} 必须是 {key, count} 数组。`);
  }
  const seen = new Set<string>();
  cells.forEach((cell: unknown, index) => {
    const key = (cell as CountCell | null)?.key;
    if (typeof key !== "string" || key.length === 0) {
      throw invalidPrivacyInput({ what, index }, `Entry ${index} of the ${what} needs a non-empty string key.`, `${what} 第 ${index} 项需要非空字符串 key。`);
    }
    if (seen.has(key)) {
      throw invalidPrivacyInput({ what, index, key }, `The key "${key}" appears twice in the ${what}.`, `${what} 中 key "${key}" 重复。`);
    }
    seen.add(key);
    assertCount((cell as CountCell).count, { what, index, key });
  });
}

/**
 * The indices to suppress: the small cells, then, when the total is published, complementary cells.
 * The total minus the shown cells gives the sum of the suppressed ones, so while exactly one cell is
 * suppressed (its value would be exact), or the suppressed cells sum to less than the threshold (the
 * group would be a small cell itself), the smallest remaining non-zero cell is suppressed too (ties:
 * the earlier cell). A zero is never chosen: it adds nothing to the hidden sum.
 */
export function cellsToSuppress(counts: readonly number[], policy: SmallCellPolicy, totalShown: boolean): Set<number> {
  const hidden = new Set<number>();
  counts.forEach((count, index) => {
    if (isSmallCount(count, policy)) hidden.add(index);
  });
  const total = counts.reduce((sum, count) => sum + count, 0);
  if (!totalShown || hidden.size === 0 || isSmallCount(total, policy)) return hidden;
  const hiddenSum = () => [...hidden].reduce((sum, index) => sum + counts[index]!, 0);
  while (hidden.size === 1 || hiddenSum() < policy.threshold) {
    let next = -1;
    counts.forEach((count, index) => {
      if (!hidden.has(index) && count > 0 && (next < 0 || count < counts[next]!)) next = index;
    });
    if (next < 0) break; // nothing left to hide behind: all non-zero cells are hidden already
    hidden.add(next);
  }
  return hidden;
}

/** The counts of a table as they may be published, with the policy's small-cell protection. */
export function protectCounts(cells: readonly CountCell[], options: ProtectCountsOptions = {}): ProtectedCounts {
  const policy = smallCellPolicy(options.policy);
  validateCountCells(cells, "counts");
  const showTotal = options.showTotal ?? true;
  const counts = cells.map((cell) => cell.count);
  const hidden = cellsToSuppress(counts, policy, showTotal);
  const protect = (count: number, suppressed: boolean, cellId: string): ProtectedCell =>
    suppressed ? suppressedCell(policy.threshold) : shownCell(publishedValue(count, policy, cellId, options.perturbation));
  const total = counts.reduce((sum, count) => sum + count, 0);
  return {
    cells: cells.map((cell, index) => ({ key: cell.key, cell: protect(cell.count, hidden.has(index), `cell:${cell.key}`) })),
    // The total is protected on its own (rounded or perturbed independently), so tables need not add up.
    total: showTotal ? protect(total, isSmallCount(total, policy), "total") : null,
    policy,
    note: suppressionNote(policy),
  };
}

import { sortedCopy } from "./descriptive.ts";
import { assertFiniteValues } from "./validate.ts";

/**
 * Median (ISO 13528:2015 Annex C.2.1): the middle of the sorted values, or the mean of the two
 * middle values when n is even.
 */
export function median(values: readonly number[]): number {
  assertFiniteValues(values, 1, "values");
  const sorted = sortedCopy(values);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

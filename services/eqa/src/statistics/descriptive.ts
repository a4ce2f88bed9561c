import { assertFiniteValues } from "./validate.ts";

/** Values sorted ascending, leaving the input untouched. */
export function sortedCopy(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** Arithmetic mean Σx / n. */
export function mean(values: readonly number[]): number {
  assertFiniteValues(values, 1, "values");
  let sum = 0;
  for (const value of values) sum += value;
  return sum / values.length;
}

/** Sample standard deviation s = sqrt(Σ(x − x̄)² / (n − 1)); needs n ≥ 2. */
export function standardDeviation(values: readonly number[]): number {
  assertFiniteValues(values, 2, "values");
  const centre = mean(values);
  let squares = 0;
  for (const value of values) squares += (value - centre) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

import { median } from "./median.ts";

/** Factor making MAD a consistent estimator of σ for normal data (1 / Φ⁻¹(0.75) ≈ 1.4826). */
export const MADE_FACTOR = 1.483;

/** Median absolute deviation MAD = med|xᵢ − med(x)| (ISO 13528:2015 Annex C.2.2). */
export function mad(values: readonly number[]): number {
  const centre = median(values);
  return median(values.map((value) => Math.abs(value - centre)));
}

/** Scaled median absolute deviation MADe = 1.483 × MAD (ISO 13528:2015 Annex C.2.2). */
export function madE(values: readonly number[]): number {
  return MADE_FACTOR * mad(values);
}

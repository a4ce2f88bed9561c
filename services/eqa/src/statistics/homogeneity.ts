import { platformError } from "@health-chain/sdk";
import { assertFiniteNumber, assertFiniteValues } from "./validate.ts";

export interface HomogeneityResult {
  /** g, the number of samples (units) tested. */
  readonly samples: number;
  /** m, the replicates per sample. */
  readonly replicates: number;
  readonly grandMean: number;
  /** s_x: standard deviation of the sample means. */
  readonly sx: number;
  /** s_w: within-sample (repeatability) standard deviation. */
  readonly sw: number;
  /** s_s: between-sample standard deviation. */
  readonly ss: number;
  /** One-way ANOVA mean squares and F = MS_between / MS_within (F is Infinity when MS_within is 0). */
  readonly msBetween: number;
  readonly msWithin: number;
  readonly f: number;
  /** The criterion 0.3 σ_pt. */
  readonly limit: number;
  /** s_s ≤ 0.3 σ_pt. */
  readonly homogeneous: boolean;
}

/**
 * Homogeneity check of g samples measured m times each (ISO 13528:2015 Annex B.3; ISO/IEC 17043:2010
 * Annex B), by one-way analysis of variance:
 *   x̄_t = mean of sample t,  x̿ = mean of the x̄_t
 *   s_x = sqrt(Σ(x̄_t − x̿)² / (g − 1))
 *   s_w = sqrt(Σ s_t² / g)   (s_t the standard deviation within sample t; pooled, equal m)
 *   s_s = sqrt(max(0, s_x² − s_w² / m))
 *   MS_between = m s_x², MS_within = s_w², F = MS_between / MS_within
 * The samples are adequately homogeneous when s_s ≤ 0.3 σ_pt (ISO 13528:2015 B.2.2).
 * Needs g ≥ 2 samples, each with the same number m ≥ 2 of finite replicates.
 */
export function homogeneity(samples: readonly (readonly number[])[], sigmaPt: number): HomogeneityResult {
  if (!Array.isArray(samples) || samples.length < 2) {
    throw platformError("INVALID_INPUT", {
      message: "The homogeneity check needs at least 2 samples.",
      messageZh: "均匀性检验至少需要 2 个样品。",
      details: { field: "samples", count: Array.isArray(samples) ? samples.length : 0 },
    });
  }
  assertFiniteNumber(sigmaPt, "sigmaPt", true);
  samples.forEach((replicates, t) => assertFiniteValues(replicates, 2, `samples[${t}]`));
  const m = (samples[0] as readonly number[]).length;
  if (samples.some((replicates) => replicates.length !== m)) {
    throw platformError("INVALID_INPUT", {
      message: `Every sample needs the same number of replicates (${m}).`,
      messageZh: `每个样品的重复测定次数必须相同（${m} 次）。`,
      details: { field: "samples", replicates: samples.map((replicates) => replicates.length) },
    });
  }
  const g = samples.length;
  const means = samples.map((replicates) => replicates.reduce((sum: number, value: number) => sum + value, 0) / m);
  const grandMean = means.reduce((sum: number, value: number) => sum + value, 0) / g;
  const sxSquared = means.reduce((sum: number, value: number) => sum + (value - grandMean) ** 2, 0) / (g - 1);
  const within = samples.map((replicates, t) => {
    const centre = means[t] as number;
    return replicates.reduce((sum: number, value: number) => sum + (value - centre) ** 2, 0) / (m - 1);
  });
  const swSquared = within.reduce((sum: number, value: number) => sum + value, 0) / g;
  const ss = Math.sqrt(Math.max(0, sxSquared - swSquared / m));
  const msBetween = m * sxSquared;
  const limit = 0.3 * sigmaPt;
  return {
    samples: g,
    replicates: m,
    grandMean,
    sx: Math.sqrt(sxSquared),
    sw: Math.sqrt(swSquared),
    ss,
    msBetween,
    msWithin: swSquared,
    f: swSquared === 0 ? (msBetween === 0 ? 0 : Number.POSITIVE_INFINITY) : msBetween / swSquared,
    limit,
    homogeneous: ss <= limit,
  };
}

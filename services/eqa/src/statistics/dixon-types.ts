/** Significance levels for which Dixon's critical values are tabulated. */
export type DixonAlpha = 0.1 | 0.05 | 0.01;

/**
 * Dixon's subrange ratios (Dixon 1950, 1951), for a low suspect x₍₁₎ / a high suspect x₍ₙ₎:
 *   r10 = (x₂ − x₁)/(xₙ − x₁)          (xₙ − xₙ₋₁)/(xₙ − x₁)
 *   r11 = (x₂ − x₁)/(xₙ₋₁ − x₁)        (xₙ − xₙ₋₁)/(xₙ − x₂)
 *   r21 = (x₃ − x₁)/(xₙ₋₁ − x₁)        (xₙ − xₙ₋₂)/(xₙ − x₂)
 *   r22 = (x₃ − x₁)/(xₙ₋₂ − x₁)        (xₙ − xₙ₋₂)/(xₙ − x₃)
 */
export type DixonStatistic = "r10" | "r11" | "r21" | "r22";

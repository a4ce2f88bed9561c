import { platformError } from "@health-chain/sdk";

/** Refuses a significance level outside (0, 0.5]. */
export function assertSignificance(alpha: number): void {
  if (typeof alpha !== "number" || !Number.isFinite(alpha) || alpha <= 0 || alpha > 0.5) {
    throw platformError("INVALID_INPUT", {
      message: "The significance level alpha must be a number in (0, 0.5].",
      messageZh: "显著性水平 alpha 必须在 (0, 0.5] 区间内。",
      details: { field: "alpha", value: String(alpha) },
    });
  }
}

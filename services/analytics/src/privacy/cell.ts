// One count as a researcher sees it: a number, or suppressed. Shared by tables and funnels.
import type { Bilingual } from "./invalid.ts";
import { invalidPrivacyInput } from "./invalid.ts";
import { perturbationNoise, type PerturbationContext } from "./perturbation.ts";
import type { SmallCellPolicy } from "./policy.ts";

/** A shown count. */
export interface ShownCell {
  readonly value: number;
  readonly label: Bilingual;
}

/**
 * A hidden count. Small cells and the cells hidden to protect them look the same on purpose: saying
 * which is which would tell the reader that the complementary cell is at least the threshold.
 */
export interface SuppressedCell {
  readonly suppressed: true;
  /** The policy threshold: the cell is below it, or is hidden so that such a cell cannot be derived. */
  readonly below: number;
  readonly label: Bilingual;
}

export type ProtectedCell = ShownCell | SuppressedCell;

/** Whether a protected cell is suppressed. */
export function isSuppressedCell(cell: ProtectedCell): cell is SuppressedCell {
  return "suppressed" in cell;
}

export function shownCell(value: number): ShownCell {
  return { value, label: { en: String(value), zh: String(value) } };
}

export function suppressedCell(threshold: number): SuppressedCell {
  return { suppressed: true, below: threshold, label: { en: `<${threshold} (suppressed)`, zh: `<${threshold}（已隐藏）` } };
}

/** Whether a true count is a small cell under the policy. */
export function isSmallCount(count: number, policy: SmallCellPolicy): boolean {
  return count < policy.threshold && (count > 0 || policy.protectZero);
}

/** Refuses anything but a non-negative safe integer count. */
export function assertCount(count: unknown, where: Readonly<Record<string, unknown>>): asserts count is number {
  if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 0) {
    throw invalidPrivacyInput(
      { ...where, value: typeof count === "number" ? count : typeof count },
      "A count must be a non-negative integer.",
      "计数必须是非负整数。",
    );
  }
}

/**
 * The published value of a count that is not suppressed (so 0 or at least the threshold):
 * - suppress: the count itself;
 * - round: the nearest multiple of the base, halves up; a non-zero count never rounds to 0 (that
 *   would state "nobody" when there are patients), so at least one base;
 * - perturb: count + noise, never below the threshold (a shown value under it would look like an
 *   unsuppressed small cell) and so never negative. True zeros are not perturbed: noise on a zero
 *   would invent patients (as in the ABS cell key method).
 */
export function publishedValue(
  count: number,
  policy: SmallCellPolicy,
  cellId: string,
  perturbation: PerturbationContext | undefined,
): number {
  if (count === 0) return 0;
  switch (policy.mode) {
    case "suppress":
      return count;
    case "round":
      return Math.max(policy.roundingBase, Math.round(count / policy.roundingBase) * policy.roundingBase);
    case "perturb": {
      if (perturbation === undefined) {
        throw invalidPrivacyInput(
          { what: "perturbation" },
          "The perturb mode needs a perturbation context (secret key and query fingerprint).",
          "扰动模式需要扰动上下文（密钥和查询指纹）。",
        );
      }
      return Math.max(policy.threshold, count + perturbationNoise(perturbation, cellId, policy.maxNoise));
    }
  }
}

/** The note that goes with every protected result, for the reader. */
export function suppressionNote(policy: SmallCellPolicy): Bilingual {
  const t = policy.threshold;
  const how: Record<SmallCellPolicy["mode"], Bilingual> = {
    suppress: { en: "Shown counts are exact.", zh: "显示的计数为精确值。" },
    round: {
      en: `Shown counts are rounded to the nearest multiple of ${policy.roundingBase}; totals are rounded on their own.`,
      zh: `显示的计数已取整到最接近的 ${policy.roundingBase} 的倍数；合计单独取整。`,
    },
    perturb: {
      en: `Shown counts carry a fixed noise of at most ±${policy.maxNoise}; the same query always gets the same values.`,
      zh: `显示的计数带有不超过 ±${policy.maxNoise} 的固定扰动；同一查询始终得到相同结果。`,
    },
  };
  return {
    en: `Cells with fewer than ${t} patients${policy.protectZero ? " (including none)" : ""} are suppressed, as are cells from which such a cell could be derived. ${how[policy.mode].en}`,
    zh: `少于 ${t} 名患者${policy.protectZero ? "（含 0 名）" : ""}的单元格已隐藏，可据以推算出此类单元格的其他单元格也已隐藏。${how[policy.mode].zh}`,
  };
}

// A screening funnel (how each criterion narrows the cohort) as researchers see it. Besides the
// small steps, a step is hidden when the patients it removes since the last shown step are a small
// group (1..threshold−1): the difference of two shown steps would otherwise single them out.
import type { Bilingual } from "./invalid.ts";
import { invalidPrivacyInput } from "./invalid.ts";
import {
  isSmallCount,
  publishedValue,
  shownCell,
  suppressedCell,
  suppressionNote,
  type ProtectedCell,
} from "./cell.ts";
import type { PerturbationContext } from "./perturbation.ts";
import { smallCellPolicy, type SmallCellPolicy } from "./policy.ts";
import { validateCountCells, type CountCell } from "./suppression.ts";

export interface ProtectFunnelOptions {
  readonly policy?: Partial<SmallCellPolicy>;
  /** Required in `perturb` mode. */
  readonly perturbation?: PerturbationContext;
}

export interface ProtectedFunnel {
  readonly steps: readonly { readonly key: string; readonly cell: ProtectedCell }[];
  readonly policy: SmallCellPolicy;
  readonly note: Bilingual;
}

/** Which steps of a non-increasing funnel to hide (indices), decided on the true counts. */
export function funnelStepsToSuppress(counts: readonly number[], policy: SmallCellPolicy): Set<number> {
  const hidden = new Set<number>();
  let lastShown: number | null = null;
  counts.forEach((count, index) => {
    // The removed group is compared with the last SHOWN step: that is the difference a reader can take.
    const removed = lastShown === null ? null : lastShown - count;
    if (isSmallCount(count, policy) || (removed !== null && isSmallCount(removed, policy))) {
      hidden.add(index);
    } else {
      lastShown = count;
    }
  });
  return hidden;
}

/** The steps of a funnel (first step: the whole population; each next one narrower) as they may be published. */
export function protectFunnel(steps: readonly CountCell[], options: ProtectFunnelOptions = {}): ProtectedFunnel {
  const policy = smallCellPolicy(options.policy);
  validateCountCells(steps, "funnel steps");
  steps.forEach((step, index) => {
    if (index > 0 && step.count > steps[index - 1]!.count) {
      throw invalidPrivacyInput(
        { what: "funnel steps", index, key: step.key },
        `Funnel step "${step.key}" has more patients than the step before it: each criterion can only narrow the cohort.`,
        `漏斗步骤 "${step.key}" 的患者数多于上一步：每个条件只能缩小队列。`,
      );
    }
  });
  const hidden = funnelStepsToSuppress(
    steps.map((step) => step.count),
    policy,
  );
  let previous = Number.POSITIVE_INFINITY;
  const protectedSteps = steps.map((step, index) => {
    if (hidden.has(index)) return { key: step.key, cell: suppressedCell(policy.threshold) as ProtectedCell };
    // Rounding or noise must not make a later step look larger than an earlier one.
    const value = Math.min(previous, publishedValue(step.count, policy, `step:${step.key}`, options.perturbation));
    previous = value;
    return { key: step.key, cell: shownCell(value) as ProtectedCell };
  });
  return { steps: protectedSteps, policy, note: suppressionNote(policy) };
}

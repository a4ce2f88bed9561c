// An institution's funnel ends with the same cohort its cell in the count table gives, so the two
// must be published as ONE number: otherwise the funnel's last step could reveal a cell the table
// hid by complementary suppression, and in perturb mode two noisy copies of one count could be
// averaged. The table's cell wins; the funnel is then re-checked so no shown earlier step differs
// from the cohort by a small group (the funnel rule of privacy/funnel.ts applied to the new last step).
import { isSmallCount, shownCell, suppressedCell, type ProtectedCell } from "../privacy/cell.ts";
import { isSuppressedCell, type ProtectedFunnel } from "../privacy/index.ts";

/** The funnel with its last step replaced by the table's cell; `trueSteps` are the step counts (never published). */
export function alignFunnelWithCell(funnel: ProtectedFunnel, trueSteps: readonly number[], cell: ProtectedCell): ProtectedFunnel {
  const policy = funnel.policy;
  const steps = funnel.steps.map((step) => ({ key: step.key, cell: step.cell }));
  const last = steps.length - 1;
  if (isSuppressedCell(cell)) {
    steps[last] = { key: steps[last]!.key, cell: suppressedCell(policy.threshold) };
    return { ...funnel, steps };
  }
  // Walking back from the cohort, hide shown steps whose true difference to it is a small group; the
  // first one that is not small ends the walk (earlier steps are larger, so their difference is too).
  const cohort = trueSteps[last]!;
  for (let i = last - 1; i >= 0; i--) {
    if (isSuppressedCell(steps[i]!.cell)) continue;
    if (!isSmallCount(trueSteps[i]! - cohort, policy)) break;
    steps[i] = { key: steps[i]!.key, cell: suppressedCell(policy.threshold) };
  }
  // After hiding (so a clamp cannot echo a hidden value), the cohort is shown at most as the last
  // shown step before it: rounding or noise must not make the funnel widen.
  let previous = Number.POSITIVE_INFINITY;
  for (let i = 0; i < last; i++) {
    const step = steps[i]!.cell;
    if (!isSuppressedCell(step)) previous = step.value;
  }
  steps[last] = { key: steps[last]!.key, cell: shownCell(Math.min(previous, cell.value)) };
  return { ...funnel, steps };
}

// Generalisation of numbers: rounding to a step, and bands (equal width, or between given bounds).

// Rounding to 0.1 gives 0.30000000000000004; 12 significant digits remove the binary noise and keep
// every digit a measurement has.
const tidy = (value: number): number => Number.parseFloat(value.toPrecision(12));

/** `value` rounded to the nearest multiple of `step` (halves away from zero). */
export function roundToStep(value: number, step: number): number {
  const multiple = Math.sign(value) * Math.round(Math.abs(value) / step);
  return tidy(multiple * step) + 0; // + 0 turns -0 into 0
}

/** The band "[lo,hi)" of width `width` that holds `value` (bands start at 0). */
export function widthBand(value: number, width: number): string {
  const lo = tidy(Math.floor(value / width) * width) + 0;
  return `[${lo},${tidy(lo + width)})`;
}

/**
 * The band of `value` between ascending `bounds`: "<b0", "[b0,b1)", …, ">=bn"; or `labels[i]` for
 * band i when labels are given (bounds.length + 1 of them).
 */
export function boundsBand(value: number, bounds: readonly number[], labels?: readonly string[]): string {
  let band = 0;
  while (band < bounds.length && value >= bounds[band]!) band++;
  if (labels !== undefined) return labels[band]!;
  if (band === 0) return `<${bounds[0]}`;
  if (band === bounds.length) return `>=${bounds[band - 1]}`;
  return `[${bounds[band - 1]},${bounds[band]})`;
}

// The bins of a result histogram. With an assigned value and σpt the axis is the z scale: bins of
// 0.5 σpt from x_pt − 4 σpt to x_pt + 4 σpt (16 bins), so the ±2 σpt and ±3 σpt limits fall on bin
// edges and every plan's histogram reads the same way; values beyond ±4 σpt are counted apart.
// Without them, Sturges' rule (k = ⌈log2 n⌉ + 1 equal bins over the range of the values).

export interface Bins {
  /** k + 1 increasing edges. */
  readonly edges: number[];
  readonly counts: number[];
  /** Values below the first edge / above the last one (only on the σpt scale). */
  readonly below: number;
  readonly above: number;
}

const HALF_SIGMA_BINS = 16;

export function histogramBins(values: readonly number[], assignedValue: number | null, sigma: number | null): Bins {
  let edges: number[];
  if (assignedValue !== null && sigma !== null && sigma > 0) {
    edges = Array.from({ length: HALF_SIGMA_BINS + 1 }, (_, i) => assignedValue + (i - HALF_SIGMA_BINS / 2) * 0.5 * sigma);
  } else {
    let min = Infinity;
    let max = -Infinity;
    for (const value of values) {
      if (value < min) min = value;
      if (value > max) max = value;
    }
    if (values.length === 0) {
      min = (assignedValue ?? 0) - 1;
      max = (assignedValue ?? 0) + 1;
    } else if (min === max) {
      const half = min === 0 ? 0.5 : Math.abs(min) * 0.05;
      min -= half;
      max += half;
    }
    const k = Math.min(40, Math.ceil(Math.log2(Math.max(values.length, 1))) + 1);
    edges = Array.from({ length: k + 1 }, (_, i) => min + ((max - min) * i) / k);
  }
  const k = edges.length - 1;
  const first = edges[0] ?? 0;
  const last = edges[k] ?? 0;
  const width = (last - first) / k;
  const counts = new Array<number>(k).fill(0);
  let below = 0;
  let above = 0;
  for (const value of values) {
    if (value < first) below += 1;
    else if (value > last) above += 1;
    // The last bin is closed on the right so the maximum is counted.
    else counts[Math.min(k - 1, Math.floor((value - first) / width))]! += 1;
  }
  return { edges, counts, below, above };
}

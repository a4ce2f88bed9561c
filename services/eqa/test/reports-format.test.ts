// Number and date printing, and the histogram bins.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatDate, formatNumber, histogramBins } from "../src/reports/index.ts";

describe("formatNumber (GB/T 8170-2008 rounding)", () => {
  it("follows the standard's examples for an exact five: keep an even last digit", () => {
    // GB/T 8170-2008 3.3.3 examples, rounding interval 0.1: 1.050 → 1.0, 0.35 → 0.4; 3.3.4: −0.0365 → −0.036 (0.001).
    assert.equal(formatNumber(1.05, 1), "1.0");
    assert.equal(formatNumber(0.35, 1), "0.4");
    assert.equal(formatNumber(-0.0365, 3), "-0.036");
  });

  it("rounds the decimal value, not its binary approximation", () => {
    // 2.675 is stored as 2.67499999999999982236431605997495353221893310546875; as a decimal it is an exact five after 7 (odd) → 2.68.
    assert.equal(formatNumber(2.675, 2), "2.68");
    assert.equal(formatNumber(2.665, 2), "2.66");
    assert.equal(formatNumber(12.1498, 1), "12.1");
    assert.equal(formatNumber(10.502, 0), "11");
  });

  it("pads to the analyte's decimals and never prints a negative zero", () => {
    assert.equal(formatNumber(5, 2), "5.00");
    assert.equal(formatNumber(-0.004, 2), "0.00");
    assert.equal(formatNumber(-1.2351, 2), "-1.24");
  });
});

describe("formatDate", () => {
  it("prints the calendar date in China Standard Time (UTC+8) whatever the machine's zone", () => {
    assert.equal(formatDate("2025-06-30T20:00:00Z"), "2025-07-01");
    assert.equal(formatDate("2025-06-30T23:30:00+08:00"), "2025-06-30");
    assert.equal(formatDate("2025-06-30"), "2025-06-30");
  });
});

describe("histogramBins", () => {
  it("uses 16 bins of 0.5 σpt over x_pt ± 4 σpt and counts values beyond apart", () => {
    // x_pt = 10, σpt = 1: edges 6, 6.5, …, 14. 10 and 10.2 fall in [10, 10.5) = bin 8; 13.99 and 14 in the last bin [13.5, 14].
    const bins = histogramBins([10, 10.2, 13.99, 14, 5, 15, 6], 10, 1);
    assert.equal(bins.edges.length, 17);
    assert.equal(bins.edges[0], 6);
    assert.equal(bins.edges[16], 14);
    assert.equal(bins.counts[8], 2);
    assert.equal(bins.counts[15], 2);
    assert.equal(bins.counts[0], 1);
    assert.equal(bins.below, 1);
    assert.equal(bins.above, 1);
    assert.equal(bins.counts.reduce((a, b) => a + b, 0), 5);
  });

  it("falls back to Sturges' rule over the range without σpt", () => {
    // n = 8: k = ⌈log2 8⌉ + 1 = 4 bins over [1, 9], width 2.
    const bins = histogramBins([1, 2, 3, 4, 5, 6, 7, 9], null, null);
    assert.deepEqual(bins.edges, [1, 3, 5, 7, 9]);
    assert.deepEqual(bins.counts, [2, 2, 2, 2]);
  });
});

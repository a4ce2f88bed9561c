import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { describe, it } from "node:test";
import {
  isSuppressedCell,
  perturbationNoise,
  protectCounts,
  protectFunnel,
  type CountCell,
  type ProtectedCell,
} from "../src/privacy/index.ts";
import { assertInvalidInput } from "./helpers.ts";
import { mulberry32 as mulberry32Rng } from "../src/synthetic/random.ts";

/** The cells as plain values for comparison: a number, or "S" for suppressed. */
function shown(cells: readonly { readonly key: string; readonly cell: ProtectedCell }[]): Record<string, number | "S"> {
  return Object.fromEntries(cells.map(({ key, cell }) => [key, isSuppressedCell(cell) ? "S" : cell.value]));
}
function value(cell: ProtectedCell | null): number | "S" | null {
  return cell === null ? null : isSuppressedCell(cell) ? "S" : cell.value;
}
const table = (counts: Record<string, number>): CountCell[] => Object.entries(counts).map(([key, count]) => ({ key, count }));

const KEY = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

/** The noise recomputed with OpenSSL's HMAC-SM3, independently of the sdk. */
function independentNoise(fingerprint: string, cell: string, maxNoise: number): number {
  const mac = createHmac("sm3", Buffer.from(KEY, "hex"))
    .update(JSON.stringify(["health-chain/analytics/perturb/v1", fingerprint, cell]))
    .digest();
  return (mac.readUInt32BE(0) % (2 * maxNoise + 1)) - maxNoise;
}

/** The seeded PRNG of the synthetic district (mulberry32): a failure is reproducible from its seed. */
const mulberry32 = (seed: number): (() => number) => mulberry32Rng(seed).next;

describe("small cells: suppress mode", () => {
  it("hides 1..4, keeps 0, and hides the next smallest non-zero cell so the small one cannot be recovered from the total", () => {
    // A=12 B=3 C=0 D=7, total 22. B is small (1 ≤ 3 < 5). Alone, B = 22 − 12 − 0 − 7 would be exact,
    // so the smallest other non-zero cell is hidden too: D = 7 (C = 0 adds nothing, is skipped).
    const result = protectCounts(table({ A: 12, B: 3, C: 0, D: 7 }));
    assert.deepEqual(shown(result.cells), { A: 12, B: "S", C: 0, D: "S" });
    assert.equal(value(result.total), 22);
    const b = result.cells[1]!.cell;
    assert.ok(isSuppressedCell(b) && b.below === 5 && /[\u4e00-\u9fff]/.test(b.label.zh));
  });

  it("needs no complementary cell when no total is published", () => {
    const result = protectCounts(table({ A: 12, B: 3, C: 0, D: 7 }), { showTotal: false });
    assert.deepEqual(shown(result.cells), { A: 12, B: "S", C: 0, D: 7 });
    assert.equal(result.total, null);
  });

  it("needs no complementary cell when the hidden cells already sum to at least the threshold", () => {
    // B + C = 3 + 4 = 7 ≥ 5: the reader learns B + C = 7, each in 1..4, so B ∈ {3, 4}: not exact.
    assert.deepEqual(shown(protectCounts(table({ A: 20, B: 3, C: 4 })).cells), { A: 20, B: "S", C: "S" });
  });

  it("adds a complementary cell when two hidden cells sum to less than the threshold", () => {
    // B + C = 1 + 2 = 3 < 5 would itself be a small group: hide D = 9 (smallest non-zero, before A = 20).
    assert.deepEqual(shown(protectCounts(table({ A: 20, B: 1, C: 2, D: 9 })).cells), { A: 20, B: "S", C: "S", D: "S" });
  });

  it("protects zeros when asked, and then hides enough for the zero not to be derived either", () => {
    // B=3 and C=0 are hidden; their sum 3 < 5 is derivable, so D=7 is hidden too.
    const result = protectCounts(table({ A: 12, B: 3, C: 0, D: 7 }), { policy: { protectZero: true } });
    assert.deepEqual(shown(result.cells), { A: 12, B: "S", C: "S", D: "S" });
  });

  it("suppresses a small total and every non-zero cell under it", () => {
    const result = protectCounts(table({ A: 1, B: 2, C: 0 }));
    assert.deepEqual(shown(result.cells), { A: "S", B: "S", C: 0 });
    assert.equal(value(result.total), "S");
  });

  it("uses the configured threshold", () => {
    // threshold 10: 7 is small, complement = 12 (smallest non-zero other).
    const result = protectCounts(table({ A: 7, B: 12, C: 30 }), { policy: { threshold: 10 } });
    assert.deepEqual(shown(result.cells), { A: "S", B: "S", C: 30 });
    assert.equal(value(result.total), 49);
  });
});

describe("small cells: round mode", () => {
  it("rounds shown counts to the nearest multiple of 5 and the total on its own", () => {
    // 12/5 = 2.4 → 10; 13/5 = 2.6 → 15; 3 small; 7 complementary (smallest non-zero); 8/5 = 1.6 → 10;
    // total 12+13+3+7+8 = 43, 43/5 = 8.6 → 45.
    const result = protectCounts(table({ A: 12, B: 13, C: 3, D: 7, E: 8 }), { policy: { mode: "round" } });
    assert.deepEqual(shown(result.cells), { A: 10, B: 15, C: "S", D: "S", E: 10 });
    assert.equal(value(result.total), 45);
  });

  it("never rounds a non-zero shown count to 0", () => {
    // threshold 3, base 10: 4/10 = 0.4 would round to 0; it is shown as 10. 25/10 = 2.5 → 30 (halves up).
    const result = protectCounts(table({ A: 4, B: 25 }), { policy: { mode: "round", threshold: 3, roundingBase: 10 }, showTotal: false });
    assert.deepEqual(shown(result.cells), { A: 10, B: 30 });
  });
});

describe("small cells: perturb mode", () => {
  const perturbation = { key: KEY, queryFingerprint: "0xq1" };

  it("adds the noise HMAC-SM3 of the fingerprint and cell gives, recomputed independently", () => {
    const result = protectCounts(table({ A: 100, B: 40 }), { policy: { mode: "perturb" }, perturbation });
    assert.equal(value(result.cells[0]!.cell), 100 + independentNoise("0xq1", "cell:A", 2));
    assert.equal(value(result.cells[1]!.cell), 40 + independentNoise("0xq1", "cell:B", 2));
    assert.equal(value(result.total), 140 + independentNoise("0xq1", "total", 2));
  });

  it("returns the same values when the same query is asked again, so noise cannot be averaged away", () => {
    const cells = table({ A: 100, B: 40, C: 3, D: 0, E: 57 });
    const first = protectCounts(cells, { policy: { mode: "perturb" }, perturbation });
    const again = protectCounts(cells, { policy: { mode: "perturb" }, perturbation: { ...perturbation } });
    assert.deepEqual(again, first);
  });

  it("gives other noise to another query", () => {
    const cells = Array.from({ length: 40 }, (_, i) => ({ key: `inst-${i}`, count: 100 }));
    const one = shown(protectCounts(cells, { policy: { mode: "perturb" }, perturbation }).cells);
    const other = shown(protectCounts(cells, { policy: { mode: "perturb" }, perturbation: { key: KEY, queryFingerprint: "0xq2" } }).cells);
    assert.notDeepEqual(one, other);
  });

  it("keeps noise within ±maxNoise, never below the threshold, zeros at 0 and small cells suppressed", () => {
    const random = mulberry32(8);
    const seenNoise = new Set<number>();
    for (let round = 0; round < 50; round++) {
      const cells = Array.from({ length: 25 }, (_, i) => ({ key: `inst-${i}`, count: Math.floor(random() * 30) }));
      const result = protectCounts(cells, { policy: { mode: "perturb", maxNoise: 3 }, perturbation: { key: KEY, queryFingerprint: `q${round}` }, showTotal: false });
      result.cells.forEach(({ cell }, i) => {
        const count = cells[i]!.count;
        if (count >= 1 && count < 5) return assert.ok(isSuppressedCell(cell));
        assert.ok(!isSuppressedCell(cell));
        if (count === 0) return assert.equal(cell.value, 0);
        assert.ok(cell.value >= 5 && Math.abs(cell.value - count) <= 3, `${count} → ${cell.value}`);
        if (count >= 8) seenNoise.add(cell.value - count); // away from the clamp, the noise is visible as is
      });
    }
    // All 7 noise values occur: the noise is not stuck at one value.
    assert.deepEqual([...seenNoise].sort((a, b) => a - b), [-3, -2, -1, 0, 1, 2, 3]);
  });

  it("computes the noise of one cell as documented", () => {
    assert.equal(perturbationNoise(perturbation, "cell:A", 5), independentNoise("0xq1", "cell:A", 5));
  });
});

describe("funnels", () => {
  it("hides small steps and steps whose removed group since the last shown step is small", () => {
    // 1000 shown; 400 removes 600: shown; 398 removes 2 from 400: hidden; 120 removes 280 from the
    // last shown (400): shown; 3 is small: hidden; 0 removes 120 from 120: shown.
    const result = protectFunnel(table({ all: 1000, diabetes: 400, hba1c: 398, age: 120, metformin: 3, none: 0 }));
    assert.deepEqual(shown(result.steps), { all: 1000, diabetes: 400, hba1c: "S", age: 120, metformin: "S", none: 0 });
  });

  it("compares with the last shown step, not the hidden one", () => {
    // 50 shown; 47 removes 3: hidden; 44 removes 6 from 50: shown; 40 removes 4 from 44: hidden.
    assert.deepEqual(shown(protectFunnel(table({ a: 50, b: 47, c: 44, d: 40 })).steps), { a: 50, b: "S", c: 44, d: "S" });
  });

  it("never shows a later step larger than an earlier one after perturbation", () => {
    const random = mulberry32(11);
    for (let round = 0; round < 100; round++) {
      let count = 200 + Math.floor(random() * 50);
      const steps = Array.from({ length: 6 }, (_, i) => {
        count = Math.max(0, count - Math.floor(random() * 40));
        return { key: `s${i}`, count };
      });
      const result = protectFunnel(steps, { policy: { mode: "perturb" }, perturbation: { key: KEY, queryFingerprint: `f${round}` } });
      const values = result.steps.map(({ cell }) => cell).filter((cell) => !isSuppressedCell(cell)).map((cell) => (cell as { value: number }).value);
      values.forEach((v, i) => assert.ok(i === 0 || v <= values[i - 1]!, `step values ${values.join(",")}`));
    }
  });

  it("refuses a funnel that grows", () => {
    assertInvalidInput(() => protectFunnel(table({ a: 10, b: 12 })));
  });
});

describe("bad input", () => {
  it("refuses negative, fractional or missing counts, duplicate keys and bad policies", () => {
    assertInvalidInput(() => protectCounts(table({ A: -1 })));
    assertInvalidInput(() => protectCounts(table({ A: 2.5 })));
    assertInvalidInput(() => protectCounts([{ key: "A" } as unknown as CountCell]));
    assertInvalidInput(() => protectCounts([{ key: "A", count: 5 }, { key: "A", count: 6 }]));
    assertInvalidInput(() => protectCounts(table({ A: 5 }), { policy: { threshold: 1 } }));
    assertInvalidInput(() => protectCounts(table({ A: 5 }), { policy: { mode: "blur" as "round" } }));
    assertInvalidInput(() => protectCounts(table({ A: 50 }), { policy: { mode: "perturb" } }));
    assertInvalidInput(() => protectCounts(table({ A: 50 }), { policy: { mode: "perturb" }, perturbation: { key: KEY, queryFingerprint: "" } }));
  });
});

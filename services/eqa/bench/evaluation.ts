// Benchmark of the round evaluation at the size: 2,000 labs × 50 analytes × 2 samples
// (200,000 quantitative results), Algorithm A, iterated Grubbs, peer groups by instrument (minSize 5),
// all summaries. Target: ≤ 10 s. Run: node services/eqa/bench/evaluation.ts [labs] [analytes]
import os from "node:os";
import { evaluateRound } from "../src/evaluation/index.ts";
import type { RoundInput } from "../src/evaluation/index.ts";
import type { AnalyteDefinition } from "../src/types.ts";

/** mulberry32: a small seeded PRNG so every run evaluates the same round. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(random: () => number): number {
  // Box–Muller.
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export function generateRound(labCount: number, analyteCount: number, seed = 20240607): RoundInput {
  const random = prng(seed);
  const instruments = Array.from({ length: 10 }, (_, i) => ({ code: `INS${i}`, bias: (random() - 0.5) * 0.04 }));
  const analytes: AnalyteDefinition[] = Array.from({ length: analyteCount }, (_, i) => ({
    code: `A${String(i).padStart(2, "0")}`,
    name: `项目${i}`,
    nameEn: `Analyte ${i}`,
    unit: "mmol/L",
    decimals: 2,
    resultType: "quantitative",
    scheme: {
      assignedValue: "algorithmA",
      sigma: "robustS",
      outliers: { test: "grubbsIterated", alpha: 0.05 },
      score: "z",
      peerGroups: { by: ["instrument"], minSize: 5 },
    },
  }));
  const targets = analytes.map(() => 2 + random() * 100);
  const samples = [{ code: "S1" }, { code: "S2" }];
  const labs = Array.from({ length: labCount }, (_, i) => ({
    code: `L${String(i).padStart(5, "0")}`,
    level: ["三级甲等", "三级乙等", "二级甲等", "一级"][i % 4] as string,
    region: `区${i % 16}`,
    submitted: true,
  }));
  const results: RoundInput["results"] = [];
  for (const lab of labs) {
    const instrument = instruments[Math.floor(random() * instruments.length)] as (typeof instruments)[number];
    analytes.forEach((analyte, a) => {
      samples.forEach((sample, s) => {
        const target = (targets[a] as number) * (s === 0 ? 1 : 1.5);
        let value = target * (1 + instrument.bias) + normal(random) * target * 0.03;
        if (random() < 0.02) value += (random() < 0.5 ? -1 : 1) * target * (0.2 + random() * 0.3); // 2% gross errors
        const rounded = Math.round(value * 100) / 100;
        results.push({
          labCode: lab.code,
          sampleCode: sample.code,
          analyteCode: analyte.code,
          value: { type: "quantitative", value: rounded, text: rounded.toFixed(2) },
          method: { instrument: instrument.code },
        });
      });
    });
  }
  return {
    round: { code: "2024-1", passThreshold: 0.8 },
    analytes,
    schemes: Object.fromEntries(analytes.map((a) => [a.code, a.scheme])),
    samples,
    labs,
    results,
    nonParticipating: [],
  };
}

const labCount = Number(process.argv[2] ?? 2000);
const analyteCount = Number(process.argv[3] ?? 50);
const round = generateRound(labCount, analyteCount);
global.gc?.();
const heapBefore = process.memoryUsage().heapUsed;
const started = performance.now();
const evaluation = evaluateRound(round);
const elapsed = performance.now() - started;
const memory = process.memoryUsage();
const removed = evaluation.cells.reduce((sum, cell) => sum + cell.screening.removed.length, 0);
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}`);
console.log(`round: ${labCount} labs × ${analyteCount} analytes × 2 samples = ${round.results.length} quantitative results; algorithm A, iterated Grubbs α = 0.05, peer groups by instrument (10, minSize 5)`);
console.log(`evaluateRound: ${(elapsed / 1000).toFixed(2)} s (target ≤ 10 s)`);
console.log(`output: ${evaluation.cells.length} cells, ${evaluation.scores.length} scores, ${evaluation.labAnalytes.length} lab-analytes, ${removed} outliers removed, consistency ${evaluation.consistency.status}`);
console.log(`memory: heap used ${(memory.heapUsed / 2 ** 20).toFixed(0)} MiB (+${((memory.heapUsed - heapBefore) / 2 ** 20).toFixed(0)} MiB during evaluation), rss ${(memory.rss / 2 ** 20).toFixed(0)} MiB`);

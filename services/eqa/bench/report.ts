// Benchmark: one lab's report (50 analytes × 2 samples, histograms of 2,000 values each) and one
// certificate, rendered N times in one process (the font is read once and cached). Prints
// p50/p95/max in ms and the PDF sizes. Usage: node bench/report.ts [N=20]
import { cpus } from "node:os";
import { renderCertificate, renderLabReport } from "../src/reports/index.ts";
import { certificate, labReport } from "../test/reports-fixtures.ts";

const runs = Number(process.argv[2] ?? 20);
const report = labReport({ analytes: 50, samples: 2, values: 2000, specialRows: true });
const cert = certificate("general", 50);

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
}

async function measure(name: string, render: () => Promise<Uint8Array>): Promise<void> {
  const times: number[] = [];
  let size = 0;
  let first = 0;
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    size = (await render()).byteLength;
    const ms = performance.now() - start;
    if (i === 0) first = ms;
    times.push(ms);
  }
  times.sort((a, b) => a - b);
  console.log(
    `${name}: n=${runs} first=${first.toFixed(0)} ms p50=${percentile(times, 0.5).toFixed(0)} ms p95=${percentile(times, 0.95).toFixed(0)} ms max=${times.at(-1)!.toFixed(0)} ms size=${(size / 1024).toFixed(1)} KiB`,
  );
}

console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}; report: 50 analytes × 2 samples, 2,000 values per histogram`);
await measure("lab report", () => renderLabReport(report));
await measure("certificate (50 analytes)", () => renderCertificate(cert));

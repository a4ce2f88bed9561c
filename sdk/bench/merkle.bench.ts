// Merkle batch throughput: the root and every inclusion proof of a 100,000-element batch (the
// target is under 1 s on one core), and proofs verified per second.
//
//   node sdk/bench/merkle.bench.ts
import { randomBytes } from "node:crypto";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { buildBatch, verifyMerkleProof } from "../src/merkle.ts";

const LEAVES = 100_000;
const RUNS = 5;
const VERIFY_SAMPLE = 20_000;

/** What the benchmark measured, and on what. */
export interface MerkleBenchFigures {
  readonly leaves: number;
  /** Best of `runs`: building the tree and its root, in ms. */
  readonly rootMs: number;
  /** Best of `runs`: the root plus the proof of every element, in ms. */
  readonly rootAndAllProofsMs: number;
  /** Median of `runs`, same measure. */
  readonly rootAndAllProofsMedianMs: number;
  readonly verifyPerSecond: number;
  readonly runs: number;
  readonly machine: { readonly cpu: string; readonly cores: number; readonly node: string };
}

export function run(): MerkleBenchFigures {
  const items = Array.from({ length: LEAVES }, () => randomBytes(32));
  buildBatch(items.slice(0, 5_000)).proof(0); // warm the JIT

  const rootTimes: number[] = [];
  const totalTimes: number[] = [];
  let proofs: `0x${string}`[][] = [];
  let root = "";
  for (let r = 0; r < RUNS; r++) {
    const start = performance.now();
    const batch = buildBatch(items);
    rootTimes.push(performance.now() - start);
    proofs = new Array(LEAVES);
    for (let i = 0; i < LEAVES; i++) proofs[i] = batch.proof(i);
    totalTimes.push(performance.now() - start);
    root = batch.root;
  }

  const start = performance.now();
  let valid = 0;
  for (let k = 0; k < VERIFY_SAMPLE; k++) {
    const i = (k * 7_919) % LEAVES;
    if (verifyMerkleProof(root, LEAVES, items[i]!, i, proofs[i]!)) valid++;
  }
  const verifySeconds = (performance.now() - start) / 1000;
  if (valid !== VERIFY_SAMPLE) throw new Error(`only ${valid} of ${VERIFY_SAMPLE} proofs verified`);

  const sorted = [...totalTimes].sort((a, b) => a - b);
  return {
    leaves: LEAVES,
    rootMs: round(Math.min(...rootTimes)),
    rootAndAllProofsMs: round(sorted[0]!),
    rootAndAllProofsMedianMs: round(sorted[Math.floor(RUNS / 2)]!),
    verifyPerSecond: Math.round(VERIFY_SAMPLE / verifySeconds),
    runs: RUNS,
    machine: { cpu: cpus()[0]?.model.trim() ?? "unknown", cores: cpus().length, node: process.version },
  };
}

const round = (ms: number) => Math.round(ms * 10) / 10;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const f = run();
  console.log(`merkle: ${f.machine.cpu}, ${f.machine.cores} cores, Node ${f.machine.node}, one thread`);
  console.log(`  root of ${f.leaves.toLocaleString("en")} leaves            ${f.rootMs} ms (best of ${f.runs})`);
  console.log(
    `  root + all ${f.leaves.toLocaleString("en")} proofs       ${f.rootAndAllProofsMs} ms best, ${f.rootAndAllProofsMedianMs} ms median (target < 1000 ms)`,
  );
  console.log(`  verify                            ${f.verifyPerSecond.toLocaleString("en")} proofs/s (depth 17)`);
}

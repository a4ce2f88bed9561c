// Runs the sdk's benchmarks one after another on one core and prints each of the targets
// next to the figure measured, with the machine they ran on. `npm run bench` at the root.
// Figures, not a timed test: a busy machine lowers them; run it on a quiet one.
import { cpus } from "node:os";
import { run as runHash } from "./hash.bench.ts";
import { run as runMerkle } from "./merkle.bench.ts";
import { run as runSm2 } from "./sm2.bench.ts";

interface Target {
  readonly what: string;
  readonly measured: number;
  readonly unit: string;
  readonly atLeast?: number;
  readonly below?: number;
}

const hash = runHash();
const sm2 = runSm2();
const merkle = runMerkle();

const targets: Target[] = [
  { what: "SM3 of 1 KB inputs, one core", measured: hash.sm3PerSecond1KiB.native, unit: "/s", atLeast: 100_000 },
  { what: "SM3 fingerprint of a ~1 KB record (canonical form + SM3)", measured: hash.fingerprintPerSecond, unit: "/s", atLeast: 100_000 },
  { what: "SM2 verify, repeated key (precomputed)", measured: sm2.verifyPrecomputedPerSecond, unit: "/s", atLeast: 1_000 },
  { what: "SM2 verify, fresh keys", measured: sm2.verifyFreshKeyPerSecond, unit: "/s", atLeast: 250 },
  { what: "Merkle root + all proofs, 100,000 leaves", measured: merkle.rootAndAllProofsMs, unit: " ms", below: 1_000 },
];

const cpu = cpus()[0]?.model ?? "unknown CPU";
console.log(`\nsdk benchmarks — ${cpu}, ${cpus().length} cores, Node ${process.version}, one thread\n`);
let unmet = 0;
for (const t of targets) {
  const met = t.atLeast !== undefined ? t.measured >= t.atLeast : t.measured < t.below!;
  if (!met) unmet += 1;
  const goal = t.atLeast !== undefined ? `>= ${t.atLeast.toLocaleString("en-US")}${t.unit}` : `< ${t.below!.toLocaleString("en-US")}${t.unit}`;
  const figure = `${Math.round(t.measured).toLocaleString("en-US")}${t.unit}`;
  console.log(`  ${met ? "met    " : "NOT MET"}  ${t.what.padEnd(58)} ${figure.padStart(14)}   target ${goal}`);
}
console.log(`\n  also: SM2 sign ${Math.round(sm2.signPerSecond).toLocaleString("en-US")}/s (signer), SM4 envelope seal 64 KiB ${hash.envelopeMBps.seal64KiB.toFixed(1)} MB/s, open ${hash.envelopeMBps.open64KiB.toFixed(1)} MB/s, Merkle verify ${Math.round(merkle.verifyPerSecond).toLocaleString("en-US")}/s`);
console.log(unmet === 0 ? "\nevery target met\n" : `\n${unmet} target(s) not met on this run\n`);

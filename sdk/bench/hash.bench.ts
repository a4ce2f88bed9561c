// Throughput of SM3, record fingerprints and SM4 envelopes, on one core.
// `node sdk/bench/hash.bench.ts` prints the figures and the machine; `run()` returns them.
import { cpus } from "node:os";
import { randomBytes } from "node:crypto";
import { canonicalize, fingerprint } from "../src/fingerprint.ts";
import { sm3, sm3Implementations, SM3_IMPLEMENTATION } from "../src/sm3.ts";
import { createKeyRing, openEnvelope, sealEnvelope, SM4_IMPLEMENTATION } from "../src/sm4.ts";
import { LAB_REPORT } from "../test/fixtures/lab-report.ts";

/** What the benchmark measured, and where. */
export interface HashBenchFigures {
  readonly machine: { readonly cpu: string; readonly cores: number; readonly node: string; readonly openssl: string };
  readonly implementation: { readonly sm3: string; readonly sm4: string };
  /** SM3 digests of 1 KiB inputs per second: the sdk's (native) and the pure JS path (browsers). */
  readonly sm3PerSecond1KiB: { readonly native: number; readonly pure: number };
  /** Canonical bytes of the lab report benchmarked below. */
  readonly recordBytes: number;
  readonly canonicalizePerSecond: number;
  readonly fingerprintPerSecond: number;
  /** Envelope throughput in MB/s (10^6 bytes of plaintext per second). */
  readonly envelopeMBps: {
    readonly seal1KiB: number;
    readonly open1KiB: number;
    readonly seal64KiB: number;
    readonly open64KiB: number;
  };
}

/** Operations per second of `op`, timed in batches for about `ms` milliseconds after a warm-up. */
function perSecond(op: () => unknown, ms = 700): number {
  const warmUntil = performance.now() + ms / 4;
  while (performance.now() < warmUntil) op();
  let count = 0;
  let batch = 1;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < batch; i++) op();
    count += batch;
    batch = Math.min(batch * 2, 4096);
    elapsed = performance.now() - start;
  }
  return (count * 1000) / elapsed;
}

const round = (n: number, digits = 0) => Number(n.toFixed(digits));

export function run(): HashBenchFigures {
  const kib = randomBytes(1024);
  const native = sm3Implementations.native;
  const sm3Native = native ? perSecond(() => sm3(kib)) : 0;
  const sm3Pure = perSecond(() => sm3Implementations.pure.digest(kib), 400);

  const ring = createKeyRing([{ keyId: "bench-2025q1", key: randomBytes(32) }], "bench-2025q1");
  const aad = new TextEncoder().encode(LAB_REPORT.recordId);
  const envelope = (size: number) => {
    const data = randomBytes(size);
    const sealed = sealEnvelope(ring, data, { aad });
    const mb = size / 1e6;
    return {
      seal: round(perSecond(() => sealEnvelope(ring, data, { aad })) * mb, 1),
      open: round(perSecond(() => openEnvelope(ring, sealed, { aad })) * mb, 1),
    };
  };
  const small = envelope(1024);
  const large = envelope(65_536);

  return {
    machine: {
      cpu: cpus()[0]?.model ?? "unknown",
      cores: cpus().length,
      node: process.version,
      openssl: process.versions.openssl ?? "none",
    },
    implementation: { sm3: SM3_IMPLEMENTATION, sm4: SM4_IMPLEMENTATION },
    sm3PerSecond1KiB: { native: round(sm3Native), pure: round(sm3Pure) },
    recordBytes: new TextEncoder().encode(canonicalize(LAB_REPORT)).length,
    canonicalizePerSecond: round(perSecond(() => canonicalize(LAB_REPORT))),
    fingerprintPerSecond: round(perSecond(() => fingerprint(LAB_REPORT))),
    envelopeMBps: { seal1KiB: small.seal, open1KiB: small.open, seal64KiB: large.seal, open64KiB: large.open },
  };
}

if (process.argv[1] === import.meta.filename) {
  const f = run();
  const n = (x: number) => x.toLocaleString("en-US");
  console.log(`machine: ${f.machine.cpu}, ${f.machine.cores} cores, Node ${f.machine.node}, OpenSSL ${f.machine.openssl}; one core used`);
  console.log(`implementations: SM3 ${f.implementation.sm3}, SM4 ${f.implementation.sm4}`);
  console.log(`SM3, 1 KiB inputs:        ${n(f.sm3PerSecond1KiB.native)}/s (pure JS, as in browsers: ${n(f.sm3PerSecond1KiB.pure)}/s)`);
  console.log(`canonicalize, ${f.recordBytes}-byte lab report: ${n(f.canonicalizePerSecond)}/s`);
  console.log(`fingerprint, same record:  ${n(f.fingerprintPerSecond)}/s`);
  console.log(`envelope 1 KiB:  seal ${f.envelopeMBps.seal1KiB} MB/s, open ${f.envelopeMBps.open1KiB} MB/s`);
  console.log(`envelope 64 KiB: seal ${f.envelopeMBps.seal64KiB} MB/s, open ${f.envelopeMBps.open64KiB} MB/s`);
}

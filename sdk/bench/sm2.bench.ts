// SM2 throughput on one core (the JS main thread, no workers): sign, verify with fresh keys, verify
// with a precomputed repeated key, encrypt and decrypt. Run `node sdk/bench/sm2.bench.ts`, or import
// `run()` from a bench runner to get the figures.
import { cpus, platform, arch } from "node:os";
import { utf8 } from "../src/bytes.ts";
import {
  createSm2Signer,
  createSm2Verifier,
  decryptSm2,
  encryptSm2,
  generateSm2KeyPair,
  signSm2,
  verifySm2,
} from "../src/sm2.ts";

/** The machine a figure was measured on. */
export interface BenchMachine {
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  readonly platform: string;
}

/** SM2 operations per second, single-threaded, each measured over at least `secondsEach`. */
export interface Sm2BenchFigures {
  readonly machine: BenchMachine;
  readonly secondsEach: number;
  readonly messageBytes: number;
  readonly plaintextBytes: number;
  /** `createSm2Signer(key).sign` (public key and Z computed once). */
  readonly signPerSecond: number;
  /** `signSm2` (derives the public key and Z on every call). */
  readonly signOneShotPerSecond: number;
  /** `verifySm2`, a different key each call (validation, Z, no precomputed tables). */
  readonly verifyFreshKeyPerSecond: number;
  /** `createSm2Verifier(key).verify`, one repeated key (default window 4). */
  readonly verifyPrecomputedPerSecond: number;
  /** `encryptSm2`, C1C3C2. */
  readonly encryptPerSecond: number;
  /** `decryptSm2`, C1C3C2. */
  readonly decryptPerSecond: number;
}

function opsPerSecond(operation: (i: number) => unknown, milliseconds: number): number {
  for (let i = 0; i < 20; i++) operation(i); // warm-up: JIT and lazy tables
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < milliseconds) {
    operation(count++);
    elapsed = performance.now() - start;
  }
  return Math.round((count * 1000) / elapsed);
}

/** Measures SM2 throughput; `secondsEach` (default 2) is the minimum time spent on each operation. */
export function run(options: { readonly secondsEach?: number } = {}): Sm2BenchFigures {
  const secondsEach = options.secondsEach ?? 2;
  const ms = secondsEach * 1000;
  const message = utf8(`{"record":"outpatient-2024-000042","sm3":"${"ab".repeat(32)}"}`);
  const plaintext = new Uint8Array(32).fill(0x5a); // e.g. an SM4 key and IV being wrapped

  const pair = generateSm2KeyPair();
  const signer = createSm2Signer(pair.privateKey);
  const verifier = createSm2Verifier(pair.publicKey);
  const signature = signer.sign(message);

  const fresh = Array.from({ length: 64 }, () => {
    const keys = generateSm2KeyPair();
    return { publicKey: keys.publicKey, signature: signSm2(message, keys.privateKey) };
  });
  const ciphertext = encryptSm2(plaintext, pair.publicKey);

  const must = (ok: boolean): void => {
    if (!ok) throw new Error("SM2 bench: a signature failed to verify");
  };

  return {
    machine: {
      cpu: cpus()[0]?.model ?? "unknown",
      cores: cpus().length,
      node: process.version,
      platform: `${platform()} ${arch()}`,
    },
    secondsEach,
    messageBytes: message.length,
    plaintextBytes: plaintext.length,
    signPerSecond: opsPerSecond(() => signer.sign(message), ms),
    signOneShotPerSecond: opsPerSecond(() => signSm2(message, pair.privateKey), ms),
    verifyFreshKeyPerSecond: opsPerSecond((i) => {
      const item = fresh[i % fresh.length]!;
      must(verifySm2(message, item.signature, item.publicKey));
    }, ms),
    verifyPrecomputedPerSecond: opsPerSecond(() => must(verifier.verify(message, signature)), ms),
    encryptPerSecond: opsPerSecond(() => encryptSm2(plaintext, pair.publicKey), ms),
    decryptPerSecond: opsPerSecond(() => decryptSm2(ciphertext, pair.privateKey), ms),
  };
}

if (import.meta.main) {
  const f = run();
  console.log(`SM2 bench — ${f.machine.cpu} × ${f.machine.cores} cores, Node ${f.machine.node}, ${f.machine.platform}`);
  console.log(
    `single thread, ≥${f.secondsEach} s per figure; message ${f.messageBytes} B, plaintext ${f.plaintextBytes} B`,
  );
  const rows: [string, number][] = [
    ["sign (createSm2Signer)", f.signPerSecond],
    ["sign (signSm2, one-shot)", f.signOneShotPerSecond],
    ["verify, fresh key each call", f.verifyFreshKeyPerSecond],
    ["verify, precomputed repeated key", f.verifyPrecomputedPerSecond],
    ["encrypt (C1C3C2)", f.encryptPerSecond],
    ["decrypt (C1C3C2)", f.decryptPerSecond],
  ];
  for (const [name, value] of rows) console.log(`  ${name.padEnd(34)} ${String(value).padStart(7)} /s`);
}

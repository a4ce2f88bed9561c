// De-identification speed: records per second of compiled example policies over 50,000 synthetic
// records (generated beforehand, not timed), for patient records alone and for the mixed stream of all
// kinds, and of a patient policy that also SM4-encrypts the ID number.
import os from "node:os";
import { randomBytes } from "node:crypto";
import { SM3_IMPLEMENTATION, SM4_IMPLEMENTATION } from "@health-chain/sdk";
import { fingerprint } from "@health-chain/sdk";
import { type DeidPolicy, type DeidRecordInput, compileDeidPolicy, createDeidSecrets, exampleDeidPolicy } from "../src/deid/index.ts";
import { syntheticRecords } from "../src/index.ts";

const TARGET = 50_000;
const options = { seed: 20240101, residents: 100_000, eventsPerResident: 4 };

const asInput = (record: ReturnType<typeof syntheticRecords> extends Generator<infer R> ? R : never): DeidRecordInput => ({
  model: record.kind,
  content: record.payload as unknown as Record<string, unknown>,
  personId: record.truth.personId,
  institution: record.institutionCode,
  sourceKey: record.sourceKey,
  recordId: record.recordId,
});

const patients: DeidRecordInput[] = [];
const mixed: DeidRecordInput[] = [];
for (const record of syntheticRecords(options)) {
  if (mixed.length < TARGET) mixed.push(asInput(record));
  if (record.kind === "patient") patients.push(asInput(record));
  if (patients.length === TARGET && mixed.length === TARGET) break;
}

const secrets = createDeidSecrets({
  secrets: { "research-link": randomBytes(32), "research-date-shift": randomBytes(32) },
  keys: [{ keyId: "share-2025", key: randomBytes(32) }],
});

const encrypting: DeidPolicy = {
  ...exampleDeidPolicy("share-with-doctor"),
  name: "share-with-doctor-encrypted",
  rules: { patient: { ...exampleDeidPolicy("share-with-doctor").rules.patient, idNumber: { action: "encrypt", keyId: "share-2025" } } },
};

const RUNS = 3;

function measure(label: string, policy: DeidPolicy, records: readonly DeidRecordInput[]): void {
  const warm = compileDeidPolicy(policy, { secrets, referenceDate: "2025-01-01" });
  for (let i = 0; i < 2_000; i++) warm(records[i]!);
  const rates: number[] = [];
  let members = 0;
  for (let run = 0; run < RUNS; run++) {
    // A fresh compile each run: its per-value caches start empty, as in a real export.
    const transform = compileDeidPolicy(policy, { secrets, referenceDate: "2025-01-01" });
    const started = process.hrtime.bigint();
    members = 0;
    for (const record of records) members += transform(record).applied.length;
    rates.push(records.length / (Number(process.hrtime.bigint() - started) / 1e9));
  }
  const median = Math.round(rates.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!);
  console.log(`${label.padEnd(62)} ${median.toLocaleString("en-US").padStart(9)} records/s (median of ${RUNS}; ${(members / records.length).toFixed(1)} members each)`);
}

console.log(`de-identification bench: ${TARGET} synthetic records per run (seed ${options.seed})`);
measure("research-export, patient records (hash, age band, address, ref)", exampleDeidPolicy("research-export"), patients);
measure("share-with-doctor, patient records (masks, address)", exampleDeidPolicy("share-with-doctor"), patients);
measure("regional-report, patient records", exampleDeidPolicy("regional-report"), patients);
measure("research-export, mixed stream (dates shifted per person)", exampleDeidPolicy("research-export"), mixed);
measure("share-with-doctor + SM4-encrypted ID number, patient records", encrypting, patients);
// The package hash deidentify({ package: true }) records: SM3 over the canonical JSON of the output.
{
  const transform = compileDeidPolicy(exampleDeidPolicy("research-export"), { secrets, referenceDate: "2025-01-01" });
  const output = mixed.map((record) => transform(record).record);
  const started = process.hrtime.bigint();
  const hash = fingerprint(output);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`${"package hash (sdk fingerprint) of the 50,000 research-export records".padEnd(62)} ${seconds.toFixed(3).padStart(9)} s (${hash.slice(0, 12)}…)`);
}
console.log(`  node ${process.version}, SM3 ${SM3_IMPLEMENTATION}, SM4 ${SM4_IMPLEMENTATION}, ${os.cpus()[0]?.model ?? "unknown cpu"} ×${os.cpus().length}`);

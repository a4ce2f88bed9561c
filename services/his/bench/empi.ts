// EMPI linking speed: registrations linked per second for 20,000 synthetic patient registrations on
// SQLite, in pages of 1,000 (as the collection pipeline sends them), and the linkage quality
// against the generator's ground truth.  node bench/empi.ts [registrations]
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { migrateHisDatabase, openHisDatabase } from "../src/db.ts";
import { createEmpi, pairwiseQuality, registrationOfRecord } from "../src/empi/index.ts";
import { syntheticRecords } from "../src/synthetic/index.ts";
import type { PatientRecord } from "../src/synthetic/records.ts";

const TARGET = Number(process.argv[2] ?? 20_000);
const PAGE = 1000;
const options = { seed: 20240101, residents: 1_000_000 };

const records: PatientRecord[] = [];
for (const record of syntheticRecords(options)) {
  if (record.kind !== "patient") continue;
  records.push(record);
  if (records.length === TARGET) break;
}

const dir = await mkdtemp(join(os.tmpdir(), "empi-bench-"));
const url = `file:${join(dir, "his.db")}`;
await migrateHisDatabase(url);
const database = openHisDatabase(url);
try {
  const empi = createEmpi(database.prisma);
  const pageTimes: number[] = [];
  const started = performance.now();
  for (let i = 0; i < records.length; i += PAGE) {
    const t = performance.now();
    await empi.linkMany(records.slice(i, i + PAGE).map(registrationOfRecord), "bench");
    pageTimes.push(performance.now() - t);
  }
  const seconds = (performance.now() - started) / 1000;

  const persons = await empi.personsOf(records.map((r) => ({ institution: r.institutionCode, patientId: r.patientId })));
  const quality = pairwiseQuality(records.map((r, i) => ({ personId: persons[i]!, truePersonId: r.truth.personId })));
  const reviews = await database.prisma.empiReview.count({ where: { status: "open" } });
  const methods = await database.prisma.empiIdentity.groupBy({ by: ["linkMethod"], _count: true });
  const sorted = [...pageTimes].sort((a, b) => a - b);

  console.log(`EMPI linking: ${records.length} registrations in ${seconds.toFixed(2)} s, pages of ${PAGE}`);
  console.log(`  ${Math.round(records.length / seconds).toLocaleString("en-US")} registrations/s (target ≥ 2,000/s); page median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms, slowest ${sorted.at(-1)!.toFixed(0)} ms`);
  console.log(`  pairwise precision ${quality.precision.toFixed(4)}, recall ${quality.recall.toFixed(4)} (${quality.correctPairs}/${quality.truePairs} true pairs linked, ${quality.linkedPairs} linked); ${quality.persons} persons for ${quality.truePersons} residents`);
  console.log(`  ${methods.map((m) => `${m.linkMethod} ${m._count}`).join(", ")}; ${reviews} open review items`);
  console.log(`  SQLite (WAL) in ${os.tmpdir()}, seed ${options.seed}, default thresholds and dirt rates; node ${process.version}, ${os.cpus()[0]?.model ?? "unknown cpu"} ×${os.cpus().length}, load ${os.loadavg()[0]!.toFixed(2)}`);
} finally {
  await database.close();
  await rm(dir, { recursive: true, force: true });
}

// Generation speed of the synthetic district dataset: records per second for 50,000 records.
import os from "node:os";
import { syntheticRecords } from "../src/index.ts";

const TARGET = 50_000;
const options = { seed: 20240101, residents: 100_000, eventsPerResident: 4 };

// One warm-up pass so the figure measures the generator, not the JIT.
for (const _ of syntheticRecords({ ...options, residents: 200 })) void _;

const started = process.hrtime.bigint();
let records = 0;
let bytes = 0;
for (const record of syntheticRecords(options)) {
  bytes += JSON.stringify(record).length;
  if (++records === TARGET) break;
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;

console.log(`synthetic generator: ${records} records (each serialised to JSON: ${(bytes / 1e6).toFixed(1)} M characters) in ${seconds.toFixed(2)} s`);
console.log(`  ${Math.round(records / seconds).toLocaleString("en-US")} records/s`);
console.log(`  seed ${options.seed}, eventsPerResident ${options.eventsPerResident}, default dirt rates; node ${process.version}, ${os.cpus()[0]?.model ?? "unknown cpu"} ×${os.cpus().length}`);

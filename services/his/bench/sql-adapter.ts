// The SQL intermediate-table adapter on SQLite: rows/s writing 50,000 synthetic records into the
// intermediate tables, and rows/s reading them back incrementally (pages of 1,000 and 5,000).
// Target: reading ≥ 20,000 rows/s, a tenth of the pipeline's ≥ 2,000 records/s budget.
import { mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { createSqlAdapter, writeIntermediateTables } from "../src/adapters/sql/index.ts";
import { syntheticRecords } from "../src/index.ts";

const TARGET = 50_000;
const options = { seed: 20240101, residents: 100_000, eventsPerResident: 4 };

const records = [];
for (const record of syntheticRecords(options)) {
  records.push(record);
  if (records.length === TARGET) break;
}

const dir = mkdtempSync(join(os.tmpdir(), "his-sql-bench-"));
try {
  const file = join(dir, "platform.db");
  const url = `file:${file}`;

  let started = performance.now();
  const written = await writeIntermediateTables(url, records);
  const writeSeconds = (performance.now() - started) / 1000;
  console.log(`write: ${written.written} records in ${writeSeconds.toFixed(2)} s = ${Math.round(written.written / writeSeconds).toLocaleString("en-US")} rows/s (batches of 5,000; file ${(statSync(file).size / 1e6).toFixed(1)} MB)`);

  for (const limit of [1_000, 5_000]) {
    const adapter = await createSqlAdapter({ url });
    started = performance.now();
    let cursor: string | null = null;
    let items = 0;
    let rejected = 0;
    let pages = 0;
    for (;;) {
      const page = await adapter.pull(cursor, limit);
      items += page.items.length;
      rejected += page.rejected.length;
      pages++;
      cursor = page.cursor;
      if (page.done) break;
    }
    const readSeconds = (performance.now() - started) / 1000;
    await adapter.close();
    console.log(`read:  ${items} items + ${rejected} rejected in ${pages} pages of ${limit} in ${readSeconds.toFixed(2)} s = ${Math.round((items + rejected) / readSeconds).toLocaleString("en-US")} rows/s`);
  }
  console.log(`  SQLite (libsql), WAL; seed ${options.seed}, eventsPerResident ${options.eventsPerResident}, default dirt rates; node ${process.version}, ${os.cpus()[0]?.model ?? "unknown cpu"} ×${os.cpus().length}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

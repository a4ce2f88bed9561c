// The SQLite client under Prisma (src/db/sqlite.ts): its transactions reuse one connection that
// has the platform's settings, and what they commit (or roll back) is what the client then reads.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Client } from "@libsql/client";
import { createSqliteClient, enableWal } from "../src/db/index.ts";

describe("the SQLite client's transactions", () => {
  let dir: string;
  let client: Client;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "mirror-sqlite-client-"));
    const url = `file:${join(dir, "db.sqlite")}`;
    await enableWal(url);
    client = createSqliteClient({ url });
    await client.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
  });
  after(async () => {
    client?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("reuse one connection from one transaction to the next (no reopening, no schema parse)", async () => {
    // A TEMP table lives in one connection only: seen again, it is the same connection.
    const first = await client.transaction("deferred");
    await first.execute("CREATE TEMP TABLE marker (x INTEGER)");
    await first.commit();
    for (let i = 0; i < 3; i++) {
      const next = await client.transaction("write");
      const found = await next.execute("SELECT count(*) AS n FROM temp.sqlite_master WHERE name = 'marker'");
      assert.equal(Number(found.rows[0]?.n), 1, `transaction ${i + 2} runs on the first one's connection`);
      await next.rollback();
    }
    const closed = await client.transaction("write");
    closed.close(); // ended by close() rather than commit/rollback: still reused
    const again = await client.transaction("write");
    assert.equal(Number((await again.execute("SELECT count(*) AS n FROM temp.sqlite_master WHERE name = 'marker'")).rows[0]?.n), 1);
    await again.commit();
  });

  it("have busy_timeout 5000 and foreign keys on", async () => {
    const tx = await client.transaction("deferred");
    assert.equal(Number((await tx.execute("PRAGMA busy_timeout")).rows[0]?.[0]), 5000);
    assert.equal(Number((await tx.execute("PRAGMA foreign_keys")).rows[0]?.[0]), 1);
    await tx.commit();
  });

  it("commit what the client then reads, and roll back what it never sees", async () => {
    const kept = await client.transaction("write");
    await kept.execute({ sql: "INSERT INTO t (id, v) VALUES (?, ?)", args: [1, "kept"] });
    await kept.commit();
    const dropped = await client.transaction("write");
    await dropped.execute({ sql: "INSERT INTO t (id, v) VALUES (?, ?)", args: [2, "dropped"] });
    await dropped.rollback();
    const rows = await client.execute("SELECT id, v FROM t ORDER BY id");
    assert.deepEqual(rows.rows.map((r) => [Number(r.id), r.v]), [[1, "kept"]]);
    assert.equal(kept.closed, true);
    await assert.rejects(kept.execute("SELECT 1"), /closed/i);
  });

  it("keep a finished transaction's handle away from the next one (a late close, rollback or statement)", async () => {
    await client.execute("DELETE FROM t");
    const first = await client.transaction("write");
    await first.execute({ sql: "INSERT INTO t (id, v) VALUES (?, ?)", args: [10, "first"] });
    await first.commit();
    const second = await client.transaction("write"); // on the same connection
    await second.execute({ sql: "INSERT INTO t (id, v) VALUES (?, ?)", args: [11, "second"] });
    first.close(); // late: must not roll back the second
    await first.rollback();
    await assert.rejects(first.execute("SELECT 1"), /closed/i);
    assert.equal(first.closed, true);
    assert.equal(second.closed, false);
    await second.execute({ sql: "INSERT INTO t (id, v) VALUES (?, ?)", args: [13, "second again"] });
    await second.commit();
    const third = await client.transaction("write"); // the same connection once more
    await third.execute({ sql: "INSERT INTO t (id, v) VALUES (?, ?)", args: [12, "third"] });
    first.close();
    second.close();
    await second.rollback();
    assert.equal(third.closed, false);
    await third.commit();
    const rows = await client.execute("SELECT id FROM t ORDER BY id");
    assert.deepEqual(rows.rows.map((r) => Number(r.id)), [10, 11, 12, 13]);
  });
});

// The prepared-SQL reader: its pieces, and on PostgreSQL what a pool of prepared statements meets
// (the mirror suite compares its rows with Prisma's on both providers).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { startPostgres, type TestPostgres } from "../../test/helpers/postgres.ts";
import { asBool, asBoolOrNull, asDate, asDateOrNull, numberedPlaceholders, openSqlReader, placeholders, type SqlReader } from "../src/db/index.ts";

describe("SQL reader helpers", () => {
  it("numbers placeholders for PostgreSQL in order", () => {
    assert.equal(numberedPlaceholders(`SELECT * FROM "T" WHERE "a" = ? AND "b" IN (?, ?) LIMIT ?`), `SELECT * FROM "T" WHERE "a" = $1 AND "b" IN ($2, $3) LIMIT $4`);
    assert.equal(placeholders(3), "?, ?, ?");
    assert.throws(() => placeholders(0), /at least one value/);
  });

  it("reads DateTime columns as SQLite and PostgreSQL hold them, always as UTC", () => {
    const at = "2026-11-23T02:21:25.000Z";
    assert.equal(asDate("2026-11-23T02:21:25.000+00:00").toISOString(), at); // Prisma's text on SQLite
    assert.equal(asDate("2026-11-23 02:21:25").toISOString(), at); // CURRENT_TIMESTAMP: UTC, unmarked
    assert.equal(asDate(Date.parse(at)).toISOString(), at);
    const date = new Date(at);
    assert.equal(asDate(date), date);
    assert.equal(asDateOrNull(null), null);
    assert.throws(() => asDate(true), TypeError);
  });

  it("refuses an in-memory SQLite database, which its own connection could not see", () => {
    assert.throws(() => openSqlReader("file::memory:"), { code: "INVALID_INPUT" });
  });

  it("reads SQLite's 0/1 and PostgreSQL's booleans alike", () => {
    assert.deepEqual([1, 0, true, false].map(asBool), [true, false, true, false]);
    assert.equal(asBoolOrNull(null), null);
  });
});

describe("SQL reader on PostgreSQL", () => {
  let postgres: TestPostgres;
  let url: string;
  let reader: SqlReader;
  let admin: pg.Client;

  before(async () => {
    postgres = await startPostgres();
    url = await postgres.createDatabase("reader_test");
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE TABLE "T" ("id" INTEGER PRIMARY KEY, "at" TIMESTAMP(3) NOT NULL)`);
    await admin.query(`INSERT INTO "T" VALUES (1, '2026-11-23 02:21:25.5')`);
    reader = openSqlReader(url, { poolSize: 2 });
  });
  after(async () => {
    await reader?.close();
    await admin?.end();
    await postgres?.stop();
  });

  it("reads a timestamp as the UTC instant Prisma wrote, whatever the process's time zone", async () => {
    const zone = process.env.TZ;
    process.env.TZ = "Asia/Shanghai";
    try {
      const [row] = await reader.all<{ at: Date }>(`SELECT "at" FROM "T" WHERE "id" = ?`, [1]);
      assert.equal(row?.at.toISOString(), "2026-11-23T02:21:25.500Z");
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it("keeps answering after a migration changes the columns of a prepared SELECT *", async () => {
    const sql = `SELECT * FROM "T" ORDER BY "id"`;
    assert.deepEqual(Object.keys((await reader.all(sql))[0] ?? {}), ["id", "at"]);
    await admin.query(`ALTER TABLE "T" ADD COLUMN "note" TEXT`);
    for (let i = 0; i < 3; i++) assert.deepEqual(Object.keys((await reader.all(sql))[0] ?? {}), ["id", "at", "note"]);
  });
});

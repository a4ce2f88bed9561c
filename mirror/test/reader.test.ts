// The prepared-SQL reader's pieces that do not need a database (the suite runs it on both).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { asBool, asBoolOrNull, asDate, asDateOrNull, numberedPlaceholders, placeholders } from "../src/db/index.ts";

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

  it("reads SQLite's 0/1 and PostgreSQL's booleans alike", () => {
    assert.deepEqual([1, 0, true, false].map(asBool), [true, false, true, false]);
    assert.equal(asBoolOrNull(null), null);
  });
});

// The migration runner shared with the gateway: each file once, in order, in a transaction; a
// changed file refused; SQLite connections with WAL, busy_timeout and foreign keys.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startPostgres, type TestPostgres } from "../../test/helpers/postgres.ts";
import { createSqliteClient, migrateDatabase, openDatabase, readMigrations } from "../src/db/index.ts";
import { MIRROR_MIGRATIONS_DIR } from "../src/database.ts";
import { PrismaClient as PostgresClient } from "../src/generated/postgresql/client.ts";
import { PrismaClient as SqliteClient } from "../src/generated/sqlite/client.ts";

function migrationsDir(root: string, files: Record<string, string>): string {
  for (const provider of ["sqlite", "postgresql"]) {
    mkdirSync(join(root, provider), { recursive: true });
    for (const [name, sql] of Object.entries(files)) writeFileSync(join(root, provider, name), sql);
  }
  return root;
}

const execFileAsync = promisify(execFile);
const RUNNER = new URL("../src/db/index.ts", import.meta.url).href;

async function migrateInChild(url: string, root: string): Promise<string[]> {
  const script = `const { migrateDatabase } = await import(${JSON.stringify(RUNNER)}); console.log(JSON.stringify(await migrateDatabase(process.argv[1], process.argv[2])));`;
  const { stdout } = await execFileAsync(process.execPath, ["--input-type=module", "-e", script, url, root]);
  return JSON.parse(stdout) as string[];
}

describe("database plumbing", () => {
  let dir: string;
  let pg: TestPostgres;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "mirror-db-test-"));
    pg = await startPostgres();
  });
  after(async () => {
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const provider of ["sqlite", "postgresql"] as const) {
    it(`applies each migration once, in order, and refuses a changed one (${provider})`, async () => {
      const root = migrationsDir(join(dir, `m-${provider}`), {
        "0001_a.sql": `CREATE TABLE "A" ("id" INTEGER NOT NULL PRIMARY KEY);`,
        "0002_b.sql": `CREATE TABLE "B" ("id" INTEGER NOT NULL PRIMARY KEY);\nINSERT INTO "B" ("id") VALUES (1);`,
      });
      const url = provider === "sqlite" ? `file:${join(dir, "nested", "dir", "a.db")}` : await pg.createDatabase("runner_test");
      assert.deepEqual(await migrateDatabase(url, root), ["0001_a", "0002_b"]);
      assert.deepEqual(await migrateDatabase(url, root), []);
      // Concurrent starts (separate processes: the SQLite driver blocks its thread while it waits
      // for the lock) apply nothing twice.
      writeFileSync(join(root, provider, "0003_c.sql"), `INSERT INTO "B" ("id") VALUES (3);`);
      const runs = await Promise.all([migrateInChild(url, root), migrateInChild(url, root)]);
      assert.deepEqual(runs.flat(), ["0003_c"]);
      // A failing migration leaves nothing behind.
      writeFileSync(join(root, provider, "0004_bad.sql"), `INSERT INTO "B" ("id") VALUES (4);\nINSERT INTO "Nope" VALUES (1);`);
      await assert.rejects(migrateDatabase(url, root));
      rmSync(join(root, provider, "0004_bad.sql"));
      writeFileSync(join(root, provider, "0002_b.sql"), `CREATE TABLE "B" ("id" INTEGER NOT NULL PRIMARY KEY, "x" TEXT);`);
      await assert.rejects(migrateDatabase(url, root), { code: "CONFLICT" });
    });
  }

  it("reads the committed migrations of both providers, same names", () => {
    const sqlite = readMigrations(MIRROR_MIGRATIONS_DIR, "sqlite").map((m) => m.name);
    assert.ok(sqlite.length >= 1);
    assert.deepEqual(readMigrations(MIRROR_MIGRATIONS_DIR, "postgresql").map((m) => m.name), sqlite);
  });

  it("opens SQLite with WAL, busy_timeout 5000 and foreign keys on every connection", async () => {
    const url = `file:${join(dir, "pragmas.db")}`;
    await migrateDatabase(url, MIRROR_MIGRATIONS_DIR);
    const db = openDatabase({ url, clients: { sqlite: SqliteClient, postgresql: PostgresClient } });
    try {
      assert.equal(db.provider, "sqlite");
      // A transaction makes @libsql/client open a new connection afterwards: settings must follow.
      await db.prisma.$transaction(async (tx) => tx.block.count());
      const [timeout] = await db.prisma.$queryRawUnsafe<{ timeout: number }[]>("PRAGMA busy_timeout");
      const [fk] = await db.prisma.$queryRawUnsafe<{ foreign_keys: number }[]>("PRAGMA foreign_keys");
      const [mode] = await db.prisma.$queryRawUnsafe<{ journal_mode: string }[]>("PRAGMA journal_mode");
      assert.equal(Number(timeout?.timeout), 5000);
      assert.equal(Number(fk?.foreign_keys), 1);
      assert.equal(mode?.journal_mode, "wal");
    } finally {
      await db.close();
    }
    const client = createSqliteClient({ url });
    assert.equal((await client.execute("PRAGMA busy_timeout")).rows[0]?.[0], 5000);
    client.close();
  });
});

// The SQL migration runner shared by the mirror and the gateway. Migrations are the files
// `<migrationsDir>/<provider>/NNNN_<name>.sql` written by `scripts/prisma.ts migration`; each
// one is applied once, in name order, in its own transaction together with its row in
// `_migrations` (name, SHA-256 of the file, time). A file changed after it was applied is refused:
// write a new migration instead. Concurrent starts are serialised (SQLite: the write
// transaction; PostgreSQL: an advisory lock), so two processes never apply the same file twice.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { platformError } from "../../../sdk/src/index.ts";
import { createSqliteClient, enableWal } from "./sqlite.ts";
import { providerOf, redactUrl, type DatabaseProvider } from "./url.ts";

/** One migration file. */
export interface Migration {
  name: string;
  checksum: string;
  sql: string;
}

const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_migrations" ("name" TEXT NOT NULL PRIMARY KEY, "checksum" TEXT NOT NULL, "appliedAt" TEXT NOT NULL)`;
/** Arbitrary constant naming the migration lock among PostgreSQL advisory locks. */
const PG_LOCK_KEY = 4_242_001;

/** The migrations of one provider, in the order they apply. */
export function readMigrations(migrationsDir: string, provider: DatabaseProvider): Migration[] {
  const dir = join(migrationsDir, provider);
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f));
  } catch (cause) {
    throw platformError("INVALID_INPUT", {
      message: `No migrations directory at ${dir}.`,
      messageZh: `迁移目录 ${dir} 不存在。`,
      details: { dir },
      cause,
    });
  }
  return files.sort().map((file) => {
    const sql = readFileSync(join(dir, file), "utf8");
    return { name: file.slice(0, -".sql".length), checksum: createHash("sha256").update(sql).digest("hex"), sql };
  });
}

/** The SQLite file of a `file:` URL (relative paths against the working directory). */
export function sqliteFilePath(url: string): string {
  const rest = url.slice("file:".length).split("?")[0] ?? "";
  return rest.startsWith("//") ? fileURLToPath(url.split("?")[0] ?? url) : rest;
}

function changedError(name: string): Error {
  return platformError("CONFLICT", {
    message: `Migration ${name} was changed after it was applied to this database; write a new migration instead.`,
    messageZh: `迁移 ${name} 在应用到该数据库之后被修改；请新建一个迁移。`,
    details: { migration: name },
  });
}

/**
 * Applies the migrations of `migrationsDir` not yet applied to the database at `url` and returns
 * their names. Creates a SQLite file (and its directory) when missing and switches it to WAL.
 */
export async function migrateDatabase(url: string, migrationsDir: string): Promise<string[]> {
  const provider = providerOf(url);
  const migrations = readMigrations(migrationsDir, provider);
  return provider === "sqlite" ? migrateSqlite(url, migrations) : migratePostgres(url, migrations);
}

// The local SQLite driver blocks its thread while it waits for a lock: two runs on one file in one
// process would wait on each other. They are chained per file instead.
const sqliteRuns = new Map<string, Promise<unknown>>();

function migrateSqlite(url: string, migrations: Migration[]): Promise<string[]> {
  const key = sqliteFilePath(url);
  const run = (sqliteRuns.get(key) ?? Promise.resolve()).catch(() => undefined).then(() => migrateSqliteNow(url, migrations));
  sqliteRuns.set(key, run);
  return run.finally(() => {
    if (sqliteRuns.get(key) === run) sqliteRuns.delete(key);
  });
}

async function migrateSqliteNow(url: string, migrations: Migration[]): Promise<string[]> {
  const file = sqliteFilePath(url);
  if (file !== ":memory:" && file !== "") mkdirSync(dirname(file), { recursive: true });
  await enableWal(url);
  const client = createSqliteClient({ url });
  const applied: string[] = [];
  try {
    await client.execute(MIGRATIONS_TABLE);
    for (const migration of migrations) {
      const tx = await client.transaction("write");
      try {
        const found = await tx.execute({ sql: `SELECT "checksum" FROM "_migrations" WHERE "name" = ?`, args: [migration.name] });
        const row = found.rows[0];
        if (row) {
          if (row.checksum !== migration.checksum) throw changedError(migration.name);
          await tx.rollback();
          continue;
        }
        await tx.executeMultiple(migration.sql);
        await tx.execute({
          sql: `INSERT INTO "_migrations" ("name", "checksum", "appliedAt") VALUES (?, ?, ?)`,
          args: [migration.name, migration.checksum, new Date().toISOString()],
        });
        await tx.commit();
        applied.push(migration.name);
      } finally {
        tx.close();
      }
    }
  } finally {
    client.close();
  }
  return applied;
}

async function migratePostgres(url: string, migrations: Migration[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (cause) {
    throw platformError("INVALID_INPUT", {
      message: `Cannot connect to PostgreSQL at ${redactUrl(url)}: ${(cause as Error).message}`,
      messageZh: `无法连接 PostgreSQL（${redactUrl(url)}）：${(cause as Error).message}`,
      details: { url: redactUrl(url) },
      cause,
    });
  }
  const applied: string[] = [];
  try {
    await client.query("SELECT pg_advisory_lock($1)", [PG_LOCK_KEY]);
    await client.query(MIGRATIONS_TABLE);
    const rows = await client.query<{ name: string; checksum: string }>(`SELECT "name", "checksum" FROM "_migrations"`);
    const done = new Map(rows.rows.map((r) => [r.name, r.checksum]));
    for (const migration of migrations) {
      const checksum = done.get(migration.name);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) throw changedError(migration.name);
        continue;
      }
      await client.query("BEGIN");
      try {
        await client.query(migration.sql);
        await client.query(`INSERT INTO "_migrations" ("name", "checksum", "appliedAt") VALUES ($1, $2, $3)`, [
          migration.name,
          migration.checksum,
          new Date().toISOString(),
        ]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      }
      applied.push(migration.name);
    }
  } finally {
    await client.end();
  }
  return applied;
}

// The collection service's database through Prisma (SQLite by a `file:` URL, PostgreSQL by a
// `postgres(ql)://` URL), with the mirror's plumbing: one migration runner, one opener, and the
// turn-taking of SQLite writes within a process.
import { resolve } from "node:path";
import { migrateDatabase, openDatabase, type Database } from "../../../mirror/src/db/index.ts";
import { PrismaClient as SqliteClient, type Prisma } from "./generated/sqlite/client.ts";
import { PrismaClient as PostgresClient } from "./generated/postgresql/client.ts";

/** The service's Prisma client (the PostgreSQL client has the same API). */
export type HisDb = SqliteClient;

/** A transaction client, as `db.$transaction(async (tx) => …)` passes it. */
export type HisTx = Prisma.TransactionClient;

export type HisDatabase = Database<HisDb>;

/** The service's SQL migrations (`<dir>/{sqlite,postgresql}/NNNN_<name>.sql`). */
export const HIS_MIGRATIONS_DIR = resolve(import.meta.dirname, "..", "prisma", "migrations");

/** Applies the service's pending migrations to the database of `url`. */
export function migrateHisDatabase(url: string): Promise<string[]> {
  return migrateDatabase(url, HIS_MIGRATIONS_DIR);
}

/** Opens the service's database (migrate it first). */
export function openHisDatabase(url: string, options: { poolSize?: number } = {}): HisDatabase {
  return openDatabase<HisDb>({
    url,
    clients: { sqlite: SqliteClient, postgresql: PostgresClient },
    ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
    serialiseWrites: true,
  });
}

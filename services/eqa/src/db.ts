// The EQA service's database through Prisma (SQLite by a `file:` URL, PostgreSQL by a
// `postgres(ql)://` URL), with the mirror's plumbing: one migration runner, one opener, and the
// turn-taking of SQLite writes within a process.
import { resolve } from "node:path";
import { migrateDatabase, openDatabase, type Database } from "../../../mirror/src/db/index.ts";
import { PrismaClient as SqliteClient, type Prisma } from "./generated/sqlite/client.ts";
import { PrismaClient as PostgresClient } from "./generated/postgresql/client.ts";

/** The service's Prisma client (the PostgreSQL client has the same API). */
export type EqaDb = SqliteClient;

/** A transaction client, as `db.$transaction(async (tx) => …)` passes it. */
export type EqaTx = Prisma.TransactionClient;

export type EqaDatabase = Database<EqaDb>;

/** The service's SQL migrations (`<dir>/{sqlite,postgresql}/NNNN_<name>.sql`). */
export const EQA_MIGRATIONS_DIR = resolve(import.meta.dirname, "..", "prisma", "migrations");

/** Applies the service's pending migrations to the database of `url`. */
export function migrateEqaDatabase(url: string): Promise<string[]> {
  return migrateDatabase(url, EQA_MIGRATIONS_DIR);
}

const providers = new WeakMap<object, "sqlite" | "postgresql">();

/**
 * The provider of a client opened by openEqaDatabase (null for any other client): the few hot
 * statements written per provider (e.g. a lab's result set inserted from one JSON parameter) ask.
 */
export function eqaProviderOf(db: object): "sqlite" | "postgresql" | null {
  return providers.get(db) ?? null;
}

/** Opens the service's database (migrate it first). */
export function openEqaDatabase(url: string, options: { poolSize?: number } = {}): EqaDatabase {
  const database = openDatabase<EqaDb>({
    url,
    clients: { sqlite: SqliteClient, postgresql: PostgresClient },
    ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
    serialiseWrites: true,
  });
  providers.set(database.prisma, database.provider);
  return database;
}

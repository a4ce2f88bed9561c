// The gateway's own database through Prisma: SQLite by a `file:` URL, PostgreSQL by a
// `postgres(ql)://` URL, with the mirror's plumbing (one migration runner for both packages).
import { resolve } from "node:path";
import { migrateDatabase, openDatabase, type Database } from "../../mirror/src/db/index.ts";
import { PrismaClient as SqliteClient, type Prisma } from "./generated/sqlite/client.ts";
import { PrismaClient as PostgresClient } from "./generated/postgresql/client.ts";

/** The gateway's Prisma client (the PostgreSQL client has the same API). */
export type GatewayDb = SqliteClient;

/** A transaction client, as `db.$transaction(async (tx) => …)` passes it. */
export type GatewayTx = Prisma.TransactionClient;

/** The gateway's SQL migrations (`<dir>/{sqlite,postgresql}/NNNN_<name>.sql`). */
export const GATEWAY_MIGRATIONS_DIR = resolve(import.meta.dirname, "..", "prisma", "migrations");

/** Applies the gateway's pending migrations to the database of `url`. */
export function migrateGatewayDatabase(url: string): Promise<string[]> {
  return migrateDatabase(url, GATEWAY_MIGRATIONS_DIR);
}

/** Opens the gateway database (migrate it first). */
export function openGatewayDatabase(url: string, options: { poolSize?: number } = {}): Database<GatewayDb> {
  return openDatabase<GatewayDb>({
    url,
    clients: { sqlite: SqliteClient, postgresql: PostgresClient },
    ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
    serialiseWrites: true,
  });
}

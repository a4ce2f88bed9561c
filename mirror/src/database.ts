// The mirror's own database: its generated clients and migrations over the shared plumbing.
import { resolve } from "node:path";
import { migrateDatabase, openDatabase, type Database } from "./db/index.ts";
import { PrismaClient as PostgresClient } from "./generated/postgresql/client.ts";
import { PrismaClient as SqliteClient } from "./generated/sqlite/client.ts";

export type { Prisma } from "./generated/sqlite/client.ts";
/** The mirror's Prisma client (the PostgreSQL one has the same API). */
export type MirrorPrisma = SqliteClient;
export type MirrorDatabase = Database<MirrorPrisma>;

/** `mirror/prisma/migrations`. */
export const MIRROR_MIGRATIONS_DIR = resolve(import.meta.dirname, "..", "prisma", "migrations");

/** Applies the mirror's pending migrations to the database of `url`; returns their names. */
export function migrateMirrorDatabase(url: string): Promise<string[]> {
  return migrateDatabase(url, MIRROR_MIGRATIONS_DIR);
}

/** Opens the mirror's database (migrated first unless `migrate: false`). */
export async function openMirrorDatabase(url: string, options: { migrate?: boolean } = {}): Promise<MirrorDatabase> {
  if (options.migrate !== false) await migrateMirrorDatabase(url);
  return openDatabase<MirrorPrisma>({ url, clients: { sqlite: SqliteClient, postgresql: PostgresClient } });
}

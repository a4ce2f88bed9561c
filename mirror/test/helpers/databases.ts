// Fresh mirror databases for the suites: a temp SQLite file, or a new database on a throwaway
// PostgreSQL cluster (test/helpers/postgres.ts; fails, never skips, without PostgreSQL).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startPostgres, type TestPostgres } from "../../../test/helpers/postgres.ts";
import type { DatabaseProvider } from "../../src/db/index.ts";
import { openMirrorDatabase, type MirrorDatabase, type MirrorPrisma } from "../../src/database.ts";
import { PROJECTION_TABLES } from "../../src/projections.ts";

export interface DatabaseFactory {
  provider: DatabaseProvider;
  /** A new, migrated, empty mirror database and its URL. */
  create(): Promise<MirrorDatabase & { url: string }>;
  close(): Promise<void>;
}

export async function databaseFactory(provider: DatabaseProvider): Promise<DatabaseFactory> {
  const opened: MirrorDatabase[] = [];
  let n = 0;
  if (provider === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "mirror-test-"));
    return {
      provider,
      async create() {
        const url = `file:${join(dir, `m${++n}.db`)}`;
        const db = await openMirrorDatabase(url);
        opened.push(db);
        return { ...db, url };
      },
      async close() {
        for (const db of opened) await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const pg: TestPostgres = await startPostgres();
  return {
    provider,
    async create() {
      const url = await pg.createDatabase(`mirror_${process.pid}_${++n}`);
      const db = await openMirrorDatabase(url);
      opened.push(db);
      return { ...db, url };
    },
    async close() {
      for (const db of opened) await db.close();
      await pg.stop();
    },
  };
}

/** Every row the mirror holds, ordered, as one comparable value (checkpoint times left out). */
export async function snapshotOf(prisma: MirrorPrisma): Promise<Record<string, unknown[]>> {
  const order = [{ blockNumber: "asc" as const }, { logIndex: "asc" as const }];
  const out: Record<string, unknown[]> = {
    chainEvent: await prisma.chainEvent.findMany({ orderBy: order }),
    block: await prisma.block.findMany({ orderBy: { number: "asc" } }),
    checkpoint: (await prisma.checkpoint.findMany({ orderBy: { contract: "asc" } })).map((c) => ({ ...c, updatedAt: null })),
  };
  const tables = prisma as unknown as Record<string, { findMany(args: unknown): Promise<unknown[]> }>;
  for (const table of PROJECTION_TABLES) out[table] = await (tables[table] as { findMany(args: unknown): Promise<unknown[]> }).findMany({ orderBy: order });
  return out;
}

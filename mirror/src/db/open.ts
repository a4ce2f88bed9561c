// Opens a Prisma client on the database a URL names, with the right driver adapter. Each package
// (mirror, gateway) passes its two generated clients (`src/generated/{sqlite,postgresql}`); they
// come from the same schema, so the caller uses one type for both.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { openSqlReader, type SqlReader } from "./reader.ts";
import { SqliteAdapter } from "./sqlite.ts";
import { providerOf, type DatabaseProvider } from "./url.ts";

/** What a generated PrismaClient class looks like to the opener. */
export type PrismaClientClass<C> = new (options: { adapter: SqliteAdapter | PrismaPg }) => C;

export interface OpenDatabaseOptions<C> {
  /** `file:<path>` (SQLite) or `postgres://…` / `postgresql://…` (PostgreSQL). */
  url: string;
  /** The package's generated clients, one per provider. */
  clients: { sqlite: PrismaClientClass<C>; postgresql: PrismaClientClass<unknown> };
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
}

export interface Database<C> {
  prisma: C;
  /** Prepared SELECTs for hot read paths (reader.ts); on PostgreSQL over Prisma's own pool. */
  sql: SqlReader;
  provider: DatabaseProvider;
  close(): Promise<void>;
}

/** Opens the database of `url`; migrate it first with `migrateDatabase`. */
export function openDatabase<C extends { $disconnect(): Promise<void> }>(options: OpenDatabaseOptions<C>): Database<C> {
  const provider = providerOf(options.url);
  if (provider === "sqlite") {
    const prisma = new options.clients.sqlite({ adapter: new SqliteAdapter({ url: options.url }) });
    const sql = openSqlReader(options.url);
    return {
      prisma,
      sql,
      provider,
      async close() {
        await sql.close();
        await prisma.$disconnect();
      },
    };
  }
  // One pool for Prisma and the reader (Prisma's adapter leaves a pool it was given open).
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
  // Same schema, same API: the PostgreSQL client is used through the SQLite client's type.
  const prisma = new options.clients.postgresql({ adapter: new PrismaPg(pool) }) as C;
  const sql = openSqlReader(options.url, { pool });
  return {
    prisma,
    sql,
    provider,
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

// Opens a Prisma client on the database a URL names, with the right driver adapter. Each package
// (mirror, gateway) passes its two generated clients (`src/generated/{sqlite,postgresql}`); they
// come from the same schema, so the caller uses one type for both.
import { PrismaPg } from "@prisma/adapter-pg";
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
  provider: DatabaseProvider;
  close(): Promise<void>;
}

/** Opens the database of `url`; migrate it first with `migrateDatabase`. */
export function openDatabase<C extends { $disconnect(): Promise<void> }>(options: OpenDatabaseOptions<C>): Database<C> {
  const provider = providerOf(options.url);
  const prisma =
    provider === "sqlite"
      ? new options.clients.sqlite({ adapter: new SqliteAdapter({ url: options.url }) })
      : // Same schema, same API: the PostgreSQL client is used through the SQLite client's type.
        (new options.clients.postgresql({
          adapter: new PrismaPg({ connectionString: options.url, max: options.poolSize ?? 10 }),
        }) as C);
  return { prisma, provider, close: () => prisma.$disconnect() };
}

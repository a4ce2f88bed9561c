// Opens a Prisma client on the database a URL names, with the right driver adapter. Each package
// (mirror, gateway) passes its two generated clients (`src/generated/{sqlite,postgresql}`); they
// come from the same schema, so the caller uses one type for both.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { openSqlReader, type SqlReader } from "./reader.ts";
import { serialiseSqliteWrites } from "./serialise.ts";
import { SqliteAdapter } from "./sqlite.ts";
import { providerOf, type DatabaseProvider } from "./url.ts";

/** Limits of interactive transactions (`$transaction(async (tx) => …)`), in ms. */
export interface TransactionLimits {
  /** Longest wait for a connection before the transaction fails. */
  maxWait: number;
  /** Longest run of the transaction once started. */
  timeout: number;
}

/**
 * Prisma's defaults (2 s to get a connection, 5 s to run) turn a burst — 300 laboratories
 * submitting at once, a nightly batch beside the daytime load — into errors for requests that
 * were only queued behind a full pool. Waiting is the right answer there: the HTTP server's own
 * request timeout (120 s) bounds it, and a caller that gives up earlier just retries.
 */
export const DEFAULT_TRANSACTION_LIMITS: TransactionLimits = { maxWait: 30_000, timeout: 30_000 };

/** What a generated PrismaClient class looks like to the opener. */
export type PrismaClientClass<C> = new (options: { adapter: SqliteAdapter | PrismaPg; transactionOptions?: TransactionLimits }) => C;

export interface OpenDatabaseOptions<C> {
  /** `file:<path>` (SQLite) or `postgres://…` / `postgresql://…` (PostgreSQL). */
  url: string;
  /** The package's generated clients, one per provider. */
  clients: { sqlite: PrismaClientClass<C>; postgresql: PrismaClientClass<unknown> };
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
  /** Interactive transaction limits (default DEFAULT_TRANSACTION_LIMITS). */
  transactionLimits?: TransactionLimits;
  /**
   * SQLite only: the process's writes to this file take turns (serialiseSqliteWrites), as every
   * package whose requests write concurrently needs (gateway, services); the mirror's single
   * indexer does not.
   */
  serialiseWrites?: boolean;
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
  const transactionOptions = options.transactionLimits ?? DEFAULT_TRANSACTION_LIMITS;
  if (provider === "sqlite") {
    const client = new options.clients.sqlite({ adapter: new SqliteAdapter({ url: options.url }), transactionOptions });
    const prisma = options.serialiseWrites ? serialiseSqliteWrites(client as C & object, options.url) : client;
    const sql = openSqlReader(options.url);
    return {
      prisma,
      sql,
      provider,
      async close() {
        await sql.close();
        // The client itself: a write-serialising proxy cannot reach the client's private fields.
        await client.$disconnect();
      },
    };
  }
  // One pool for Prisma and the reader (Prisma's adapter leaves a pool it was given open).
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
  // Same schema, same API: the PostgreSQL client is used through the SQLite client's type.
  const prisma = new options.clients.postgresql({ adapter: new PrismaPg(pool), transactionOptions }) as C;
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

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

const WRITES = new Set([
  "create",
  "createMany",
  "createManyAndReturn",
  "update",
  "updateMany",
  "updateManyAndReturn",
  "upsert",
  "delete",
  "deleteMany",
]);

/** A FIFO async mutex. */
function createMutex() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(task: () => PromiseLike<T>): Promise<T> => {
    const run = tail.then(task, task);
    tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  };
}

const writeTurns = new Map<string, ReturnType<typeof createMutex>>();

/**
 * SQLite in one process: the local libsql driver is synchronous, so a write that meets SQLite's
 * lock waits (busy_timeout) on the event loop itself — and a transaction of the same process
 * holding the lock can never commit: both time out after 5 s. So within a process, writes and
 * interactive transactions on a SQLite file take turns (SQLite has one writer anyway); reads pass
 * straight through and never wait (WAL). Processes sharing a file are unaffected: each only waits
 * for the others. Inside `$transaction(async (tx) => …)` use `tx` only (it holds the turn).
 * The array form of `$transaction` is not supported here (its items would already have run).
 */
function serialiseSqliteWrites(base: GatewayDb, url: string): GatewayDb {
  const key = url.split("?")[0] ?? url;
  let turn = writeTurns.get(key);
  if (!turn) writeTurns.set(key, (turn = createMutex()));
  const exclusive = turn;
  const delegates = new Map<PropertyKey, unknown>();
  const wrapDelegate = (delegate: object) =>
    new Proxy(delegate, {
      get(target, op, receiver) {
        const value = Reflect.get(target, op, receiver) as unknown;
        if (typeof value !== "function" || !WRITES.has(String(op))) return value;
        return (...args: unknown[]) => exclusive(() => (value as (...a: unknown[]) => PromiseLike<unknown>).apply(target, args));
      },
    });
  return new Proxy(base, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (property === "$transaction" || property === "$executeRaw" || property === "$executeRawUnsafe") {
        return (...args: unknown[]) => exclusive(() => (value as (...a: unknown[]) => PromiseLike<unknown>).apply(target, args));
      }
      if (typeof property === "string" && !property.startsWith("$") && typeof value === "object" && value !== null) {
        let wrapped = delegates.get(property);
        if (!wrapped) delegates.set(property, (wrapped = wrapDelegate(value)));
        return wrapped;
      }
      return value;
    },
  });
}

/** Opens the gateway database (migrate it first). */
export function openGatewayDatabase(url: string, options: { poolSize?: number } = {}): Database<GatewayDb> {
  const database = openDatabase<GatewayDb>({
    url,
    clients: { sqlite: SqliteClient, postgresql: PostgresClient },
    ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
  });
  if (database.provider !== "sqlite") return database;
  return { ...database, prisma: serialiseSqliteWrites(database.prisma, url) };
}

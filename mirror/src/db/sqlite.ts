// SQLite through @libsql/client, with the connection settings the platform relies on.
//
// @libsql/client opens a NEW connection after every transaction (the old one stays with the
// transaction), and per-connection settings (busy_timeout, foreign_keys) would be lost on it. The
// wrapper below applies them to each connection before its first use. journal_mode=WAL is stored
// in the database file, so setting it once is enough.
import { createClient, type Client, type Config, type TransactionMode } from "@libsql/client";
import { PrismaLibSQL } from "@prisma/adapter-libsql";

const CONNECTION_PRAGMAS = ["PRAGMA busy_timeout = 5000", "PRAGMA foreign_keys = ON"];

/** A libsql client whose every connection has busy_timeout 5000 ms and foreign keys on. */
export function createSqliteClient(config: Config): Client {
  const inner = createClient(config);
  let fresh = true;
  const prime = async () => {
    if (!fresh) return;
    fresh = false;
    for (const pragma of CONNECTION_PRAGMAS) await inner.execute(pragma);
  };
  const wrapped: Client = {
    get closed() {
      return inner.closed;
    },
    get protocol() {
      return inner.protocol;
    },
    execute: async (stmt) => {
      await prime();
      return inner.execute(stmt);
    },
    batch: async (...args) => {
      await prime();
      return inner.batch(...args);
    },
    transaction: async (mode?: TransactionMode) => {
      await prime();
      const tx = await inner.transaction(mode);
      fresh = true;
      return tx;
    },
    executeMultiple: async (sql) => {
      await prime();
      return inner.executeMultiple(sql);
    },
    sync: () => inner.sync(),
    close: () => inner.close(),
  };
  return wrapped;
}

/** The Prisma driver adapter for SQLite, over {@link createSqliteClient}. */
export class SqliteAdapter extends PrismaLibSQL {
  override createClient(config: Config): Client {
    return createSqliteClient(config);
  }
}

/** Switches the database file to write-ahead logging (persistent; once per file). */
export async function enableWal(url: string): Promise<void> {
  const client = createSqliteClient({ url });
  try {
    await client.execute("PRAGMA journal_mode = WAL");
  } finally {
    client.close();
  }
}

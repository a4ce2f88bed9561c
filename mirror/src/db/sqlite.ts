// SQLite through @libsql/client, with the connection settings the platform relies on.
//
// @libsql/client gives each transaction the client's current connection and opens a NEW one for
// whatever comes next: every transaction then pays for opening the file, the per-connection
// settings and SQLite parsing the schema again on the first statement — measured as most of the
// gateway's database CPU on its group-committed reads. Prisma's adapter runs one transaction at a
// time per client (its lock is held from BEGIN to COMMIT), so the wrapper below keeps ONE
// connection for transactions and reuses it from one to the next (a second one is opened only if
// that one is somehow still inside a transaction). Every connection gets busy_timeout 5000 ms and
// foreign keys on before its first use. journal_mode=WAL is stored in the database file, so
// setting it once is enough.
import Libsql from "libsql";
import { createClient, type Client, type Config, type InArgs, type InStatement, type IntMode, type Transaction, type TransactionMode } from "@libsql/client";
import { LibsqlError, Sqlite3Transaction } from "@libsql/client/sqlite3";
import { PrismaLibSQL } from "@prisma/adapter-libsql";
import { sqliteFilePath } from "./migrate.ts";

const CONNECTION_PRAGMAS = ["PRAGMA busy_timeout = 5000", "PRAGMA foreign_keys = ON"];

const BEGIN: Record<TransactionMode, string> = { write: "BEGIN IMMEDIATE", read: "BEGIN TRANSACTION READONLY", deferred: "BEGIN DEFERRED" };

/** A libsql client whose every connection has busy_timeout 5000 ms and foreign keys on, and whose transactions reuse one connection. */
export function createSqliteClient(config: Config): Client {
  const inner = createClient(config);
  const intMode: IntMode = config.intMode ?? "number";
  // In-memory databases are one per connection: their transactions must stay on the client's own.
  const inMemory = config.url.includes(":memory:");
  let fresh = true;
  const prime = async () => {
    if (!fresh) return;
    fresh = false;
    for (const pragma of CONNECTION_PRAGMAS) await inner.execute(pragma);
  };
  let idle: InstanceType<typeof Libsql> | undefined;
  const open: InstanceType<typeof Libsql>[] = [];
  const transactionConnection = () => {
    const reused = idle;
    idle = undefined;
    if (reused !== undefined && !reused.inTransaction) return reused;
    const db = new Libsql(sqliteFilePath(config.url));
    for (const pragma of CONNECTION_PRAGMAS) db.pragma(pragma.slice("PRAGMA ".length));
    open.push(db);
    return db;
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
    transaction: async (mode: TransactionMode = "write"): Promise<Transaction> => {
      if (inMemory) {
        await prime();
        const tx = await inner.transaction(mode);
        fresh = true;
        return tx;
      }
      const db = transactionConnection();
      db.exec(BEGIN[mode]);
      const tx = new Sqlite3Transaction(db, intMode);
      // This handle's own end: once it is over, the connection may carry the next transaction, so
      // the handle must never act on it again (a late close() would roll that one back).
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        if (!db.inTransaction && db.open) idle ??= db; // back to the pool, once
      };
      const live = () => {
        if (ended) throw new LibsqlError("The transaction is closed", "TRANSACTION_CLOSED");
      };
      // A failed statement may end the transaction (SQLite rolls back on some errors): notice it.
      const settle = <T>(run: () => Promise<T>): Promise<T> =>
        run().finally(() => {
          if (!db.inTransaction) end();
        });
      return {
        execute: (async (stmt: InStatement, args?: InArgs) => {
          live();
          return settle(() => (typeof stmt === "string" ? tx.execute(stmt, args) : tx.execute(stmt)));
        }) as Transaction["execute"],
        batch: async (stmts) => {
          live();
          return settle(() => tx.batch(stmts));
        },
        executeMultiple: async (sql) => {
          live();
          return settle(() => tx.executeMultiple(sql));
        },
        commit: async () => {
          live();
          return tx.commit().finally(end);
        },
        rollback: async () => {
          if (ended) return;
          await tx.rollback().finally(end);
        },
        close: () => {
          if (ended) return;
          tx.close();
          end();
        },
        get closed() {
          return ended || tx.closed;
        },
      };
    },
    executeMultiple: async (sql) => {
      await prime();
      return inner.executeMultiple(sql);
    },
    sync: () => inner.sync(),
    close: () => {
      for (const db of open.splice(0)) if (db.open) db.close();
      idle = undefined;
      inner.close();
    },
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

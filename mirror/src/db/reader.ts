// Prepared SQL for the hot read paths (the gateway's index, provenance and read queries), beside
// Prisma, which keeps the schema, the migrations and every write.
//
// Why: Prisma 6's query compiler (WebAssembly) and client pipeline cost 0.3–0.5 ms of CPU per query
// on this machine, more than the query itself; a statement prepared once and run by the driver
// costs ~10 µs on SQLite (libsql, measured on the gateway benchmark's mirror). A provenance trace
// asks about ten questions, so that difference is most of the gateway's CPU.
//
// SQL is written once, for both providers: quoted identifiers, `?` placeholders (numbered `$n` for
// PostgreSQL here), and only what both dialects share. Values come back as the driver gives them;
// the row readers below (`asDate`, `asBool`) make SQLite's text and integers look like
// PostgreSQL's (and Prisma's) Date and boolean.
//
// SQLite: one `libsql` connection (the synchronous driver under @libsql/client) per reader, used
// only for SELECTs; WAL lets it read while the writers of other connections and processes commit. PostgreSQL:
// a node-postgres pool (shared with Prisma's adapter when the caller passes one); statements are
// named, so each connection prepares them once.
import Libsql from "libsql";
import pg from "pg";
import { platformError } from "../../../sdk/src/index.ts";
import { sqliteFilePath } from "./migrate.ts";
import { providerOf, type DatabaseProvider } from "./url.ts";

export type SqlValue = string | number | boolean | null;

/** Runs prepared SELECTs; rows as plain objects keyed by column name. */
export interface SqlReader {
  readonly provider: DatabaseProvider;
  all<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  close(): Promise<void>;
}

/** `?` placeholders as `$1, $2, …` (SQL here never has `?` inside string literals). */
export function numberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** `?, ?, …` for an IN list of `count` values (at least one: `IN ()` is not SQL). */
export function placeholders(count: number): string {
  if (!Number.isInteger(count) || count < 1) throw new Error(`an IN list needs at least one value (got ${count})`);
  return Array.from({ length: count }, () => "?").join(", ");
}

/** A DateTime column as a Date: PostgreSQL gives a Date, SQLite Prisma's ISO text (or CURRENT_TIMESTAMP's UTC text). */
export function asDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === "number") return new Date(value);
  if (typeof value === "string") {
    // SQLite's CURRENT_TIMESTAMP: "YYYY-MM-DD HH:MM:SS", UTC without saying so.
    return new Date(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$/.test(value) ? `${value.replace(" ", "T")}Z` : value);
  }
  throw new TypeError(`not a DateTime column value: ${String(value)}`);
}

export function asDateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : asDate(value);
}

/** A Boolean column: SQLite stores 0/1. */
export function asBool(value: unknown): boolean {
  return value === true || value === 1 || value === 1n || value === "1" || value === "true";
}

export function asBoolOrNull(value: unknown): boolean | null {
  return value === null || value === undefined ? null : asBool(value);
}

/** Prepared statements kept per reader (distinct SQL texts; IN lists of different lengths count apart). */
const MAX_STATEMENTS = 2_000;

function sqliteReader(url: string): SqlReader {
  if (sqliteFilePath(url) === ":memory:") {
    // Each connection to ":memory:" is a database of its own: the reader would read an empty one.
    throw platformError("INVALID_INPUT", {
      message: "An in-memory SQLite database cannot be shared by the platform's connections; use a file: URL with a path.",
      messageZh: "内存 SQLite 数据库无法在平台的多个连接间共享；请使用带文件路径的 file: 地址。",
      details: { what: "database url", url },
    });
  }
  // Opened at the first query (the file may not be migrated yet when the reader is made). Not
  // read-only: a read-only connection cannot set up WAL's shared memory when it is the first one.
  let db: InstanceType<typeof Libsql> | undefined;
  const connection = () => {
    if (db === undefined) {
      db = new Libsql(sqliteFilePath(url));
      db.pragma("busy_timeout = 5000");
    }
    return db;
  };
  const statements = new Map<string, Libsql.Statement<SqlValue[]>>();
  const prepared = (sql: string) => {
    let statement = statements.get(sql);
    if (statement === undefined) {
      if (statements.size >= MAX_STATEMENTS) statements.clear();
      statement = connection().prepare<SqlValue[]>(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
  return {
    provider: "sqlite",
    all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
      try {
        // libsql binds booleans as integers already; nothing else to convert on the way in.
        return Promise.resolve(prepared(sql).all(...(params as SqlValue[])) as T[]);
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
    close() {
      statements.clear();
      db?.close();
      db = undefined;
      return Promise.resolve();
    },
  };
}

/** PostgreSQL `timestamp` (without time zone): the OID whose text the reader reads as UTC. */
const TIMESTAMP_OID = 1114;

/**
 * Prisma keeps a DateTime in a `timestamp(3)` column as UTC and reads it back as UTC (its adapter's
 * own parsers); node-postgres's default parser would read that text in the process's time zone, so
 * in Beijing (UTC+8) every date would come back 8 hours early. Same parsers as Prisma's, per query.
 */
const READER_TYPES = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === TIMESTAMP_OID && format !== "binary") return (text: string) => new Date(`${text.replace(" ", "T")}Z`);
    return pg.types.getTypeParser(oid, format ?? "text");
  },
} as unknown as pg.CustomTypesConfig;

/** A plan prepared before a migration changed the table's columns: retried once under a new name. */
function isStalePlan(error: unknown): boolean {
  return (error as { code?: string }).code === "0A000" && /cached plan must not change result type/.test((error as Error).message);
}

function postgresReader(url: string, options: { pool?: pg.Pool; poolSize?: number }): SqlReader {
  const owned = options.pool === undefined;
  const pool = options.pool ?? new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
  const names = new Map<string, { name: string; text: string }>();
  // Names must be unique per text for the life of each connection: a counter never repeats, and a
  // plan a migration made stale gets a new name (every connection prepares it again).
  let counter = 0;
  const statementOf = (sql: string) => {
    let statement = names.get(sql);
    if (statement === undefined) {
      statement = { name: `hc_read_${++counter}`, text: numberedPlaceholders(sql) };
      if (names.size < MAX_STATEMENTS) names.set(sql, statement);
      else return { name: undefined, text: statement.text }; // unnamed: parsed each time, never clashes
    }
    return statement;
  };
  const run = async (sql: string, params: readonly SqlValue[]) => {
    const { name, text } = statementOf(sql);
    return pool.query({ ...(name === undefined ? {} : { name }), text, values: [...params], types: READER_TYPES });
  };
  return {
    provider: "postgresql",
    async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
      try {
        return (await run(sql, params)).rows as T[];
      } catch (error) {
        if (!isStalePlan(error)) throw error;
        names.delete(sql);
        return (await run(sql, params)).rows as T[];
      }
    },
    async close() {
      if (owned) await pool.end();
    },
  };
}

/** A reader on the database of `url` (`file:` SQLite, `postgres(ql)://` PostgreSQL). */
export function openSqlReader(url: string, options: { pool?: pg.Pool; poolSize?: number } = {}): SqlReader {
  return providerOf(url) === "sqlite" ? sqliteReader(url) : postgresReader(url, options);
}

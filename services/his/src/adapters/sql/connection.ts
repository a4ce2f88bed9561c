// Connections to the intermediate database: a `file:` URL is a SQLite file (libsql, the synchronous
// driver the mirror reads with), a `postgres(ql)://` URL a PostgreSQL server (node-postgres). Both
// drivers are already the platform's; no ORM here, because the tables are the platform's, not ours,
// and their names come from configuration.
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Libsql from "libsql";
import pg from "pg";
import { platformError } from "@health-chain/sdk";
import { providerOf, redactUrl, sqliteFilePath } from "../../../../../mirror/src/db/index.ts";
import type { SqlDialect } from "./schema.ts";

export type SqliteDatabase = InstanceType<typeof Libsql>;

/** The dialect of a database URL (INVALID_INPUT for anything but `file:` and `postgres(ql)://`). */
export function dialectOf(url: string): SqlDialect {
  if (typeof url !== "string") {
    throw platformError("INVALID_INPUT", {
      message: "The intermediate database URL must be a string (file:… or postgres://…).",
      messageZh: "中间库地址必须是字符串（file:… 或 postgres://…）。",
      details: { what: "database url" },
    });
  }
  return providerOf(url);
}

/**
 * Opens a SQLite intermediate database. `create`: make the file (and its directory) when missing,
 * in WAL mode so that the adapter reads while a writer appends; otherwise a missing file is an
 * error (opening would silently create an empty database).
 */
export function openSqlite(url: string, options: { readonly create: boolean }): SqliteDatabase {
  const path = sqliteFilePath(url);
  if (path === "" || path === ":memory:") {
    throw platformError("INVALID_INPUT", {
      message: "An in-memory SQLite database cannot be shared between the writer and the adapter; use a file: URL with a path.",
      messageZh: "内存 SQLite 数据库无法在写入方与采集适配器之间共享；请使用带文件路径的 file: 地址。",
      details: { what: "database url", url: redactUrl(url) },
    });
  }
  if (options.create) mkdirSync(dirname(path), { recursive: true });
  else if (!existsSync(path)) {
    throw platformError("INVALID_INPUT", {
      message: `There is no intermediate database at ${path}.`,
      messageZh: `中间库文件不存在：${path}。`,
      details: { what: "database url", url: redactUrl(url), path },
    });
  }
  const db = new Libsql(path);
  db.pragma("busy_timeout = 5000");
  if (options.create) {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
  }
  return db;
}

const RAW_TEXT = (text: string) => text;
/** date, timestamp, timestamptz: their text as the server writes it, read by `./values.ts` (no JS Date in the process's time zone). */
const TEXT_OIDS = new Set([1082, 1114, 1184]);

const TYPES = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (TEXT_OIDS.has(oid) && format !== "binary") return RAW_TEXT;
    return pg.types.getTypeParser(oid, format ?? "text");
  },
} as unknown as pg.CustomTypesConfig;

/** Connects to a PostgreSQL intermediate database; dates and times arrive as text, BIGINT and NUMERIC as text. */
export async function connectPostgres(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, types: TYPES, application_name: "health-chain-his-sql" });
  await client.connect();
  return client;
}

export { redactUrl };

/** `name` as a quoted identifier (both dialects). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `table` or `schema.table`, quoted. */
export function quoteTable(schema: string | null, table: string): string {
  return schema === null ? quoteIdentifier(table) : `${quoteIdentifier(schema)}.${quoteIdentifier(table)}`;
}

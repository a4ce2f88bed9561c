// The pull adapter of the regional platform's intermediate tables (中间库): reads every table of the
// column map incrementally by the change sequence they share, in sequence order across tables.
//
// A page is read in one snapshot with two questions: which (table, sequence) pairs come next, at
// most `limit` of them (one UNION ALL … ORDER BY … LIMIT that both databases plan as a merge of the
// tables' primary-key indexes), then the rows of each table that has any, between the cursor and
// the page's last sequence. The first answer is the order in which the rows are handed out (a
// k-way merge for free). When the page is full, the tables holding its last sequence are asked for
// too: rows sharing it are all taken, so that a tie never straddles a page boundary. The cursor is
// the page's last sequence: reading again from a stored cursor never skips and never repeats a row.
import { platformError } from "@health-chain/sdk";
import type pg from "pg";
import type { PullAdapter, PullPage, RejectedItem, SourceItem } from "../types.ts";
import { DEFAULT_SQL_COLUMN_MAP, type ResolvedTableMap, type SqlColumnMap, resolveColumnMap } from "./column-map.ts";
import { type SqliteDatabase, connectPostgres, dialectOf, openSqlite, quoteIdentifier, quoteTable, redactUrl } from "./connection.ts";
import { type RowResult, type SqlRow, createRowReader } from "./rows.ts";
import type { SqlDialect } from "./schema.ts";
import { offsetMinutes } from "./values.ts";

export interface SqlAdapterOptions {
  /** `file:/path/to/platform.db` (SQLite) or `postgres://user:password@host:5432/db` (PostgreSQL). */
  readonly url: string;
  /** The tables of the column map to read (default: all of them). */
  readonly tables?: readonly string[];
  /** How the platform's tables and columns read (default: `DEFAULT_SQL_COLUMN_MAP`, the schema of `./schema.ts`). */
  readonly columnMap?: SqlColumnMap;
  /** The offset of timestamps written without one (default `+08:00`, China Standard Time). */
  readonly utcOffset?: string;
}

/** The most items a page may ask for. */
export const MAX_SQL_PAGE = 50_000;

const OPTION_KEYS = new Set(["url", "tables", "columnMap", "utcOffset"]);

/** A table of the map as found in the database. */
interface BoundTable {
  readonly map: ResolvedTableMap;
  readonly quoted: string;
  readonly sequence: string;
  readonly read: (row: SqlRow) => RowResult;
}

/** The reads of one page on one database (a snapshot each). */
interface PageSource {
  /** The (table index, sequence) pairs after `after`, at most `limit`, in sequence order; and the rows of the tables that have any, up to the last pair. */
  page(after: string, limit: number): Promise<{ order: readonly { t: number; s: string | number }[]; rows: ReadonlyMap<number, readonly SqlRow[]> }>;
  close(): Promise<void>;
}

/** The lower bound "from the beginning": below any sequence a table can hold in a JS-safe integer. */
const BEFORE_ALL = String(Number.MIN_SAFE_INTEGER);

function invalid(message: string, messageZh: string, details: Record<string, unknown>): Error {
  return platformError("INVALID_INPUT", { message, messageZh, details });
}

// ---- binding the map to the database's tables and columns ----

interface DatabaseCatalog {
  /** The database's spelling of a table, or a problem. */
  findTable(name: string): Promise<{ schema: string | null; table: string } | string>;
  columnsOf(schema: string | null, table: string): Promise<readonly string[]>;
}

function sqliteCatalog(db: SqliteDatabase): DatabaseCatalog {
  return {
    async findTable(name) {
      if (name.includes(".")) return "a table name without a schema (SQLite)";
      const rows = db.prepare(`SELECT name FROM sqlite_schema WHERE type IN ('table', 'view')`).all() as { name: string }[];
      const found = pick(name, rows.map((row) => row.name));
      return found === undefined ? "a table of the database" : { schema: null, table: found };
    },
    async columnsOf(_schema, table) {
      return (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]).map((row) => row.name);
    },
  };
}

function postgresCatalog(client: pg.Client): DatabaseCatalog {
  return {
    async findTable(name) {
      const [schema, table] = name.includes(".") ? (name.split(".") as [string, string]) : [null, name];
      const { rows } = await client.query<{ table_schema: string; table_name: string }>(
        `SELECT table_schema, table_name FROM information_schema.tables WHERE lower(table_schema) = lower(COALESCE($1, current_schema()))`,
        [schema],
      );
      const schemas = [...new Set(rows.map((row) => row.table_schema))];
      const actualSchema = schema === null ? null : pick(schema, schemas);
      if (schema !== null && actualSchema === undefined) return "a table of an existing schema";
      const found = pick(table, rows.filter((row) => actualSchema == null || row.table_schema === actualSchema).map((row) => row.table_name));
      if (found === undefined) return "a table of the database";
      return { schema: actualSchema ?? null, table: found };
    },
    async columnsOf(schema, table) {
      const { rows } = await client.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = COALESCE($1, current_schema()) AND table_name = $2 ORDER BY ordinal_position`,
        [schema, table],
      );
      return rows.map((row) => row.column_name);
    },
  };
}

/**
 * The database's spelling of `name` among `names`: the same, or the only one equal ignoring case
 * (PostgreSQL folds unquoted names to lower case, Oracle-bred platforms write them in upper case).
 */
function pick(name: string, names: readonly string[]): string | undefined {
  if (names.includes(name)) return name;
  const folded = names.filter((candidate) => candidate.toLowerCase() === name.toLowerCase());
  return folded.length === 1 ? folded[0] : undefined;
}

async function bindTables(catalog: DatabaseCatalog, maps: readonly ResolvedTableMap[], utcOffset: string, url: string): Promise<BoundTable[]> {
  const problems: { table: string; column?: string; problem: string }[] = [];
  const bound: BoundTable[] = [];
  for (const map of maps) {
    const found = await catalog.findTable(map.table);
    if (typeof found === "string") {
      problems.push({ table: map.table, problem: found });
      continue;
    }
    const columns = await catalog.columnsOf(found.schema, found.table);
    const configured = [map.sequence, map.changedAt, map.institutionCode, map.sourceKey, map.patientId, ...(map.status === null ? [] : [map.status.column]), ...map.fields.map((f) => f.column)];
    const actual = new Map<string, string>();
    for (const column of new Set(configured)) {
      const spelled = pick(column, columns);
      if (spelled === undefined) problems.push({ table: map.table, column, problem: "a column of the table" });
      else actual.set(column, spelled);
    }
    if (problems.length > 0) continue;
    bound.push({
      map,
      quoted: quoteTable(found.schema, found.table),
      sequence: quoteIdentifier(actual.get(map.sequence)!),
      read: createRowReader(map, (column) => actual.get(column)!, utcOffset),
    });
  }
  if (problems.length > 0) {
    const list = problems.map((p) => (p.column === undefined ? `table ${p.table}` : `column ${p.table}.${p.column}`));
    throw invalid(
      `The intermediate database does not have what the column map names: ${list.slice(0, 5).join(", ")}${list.length > 5 ? ` (and ${list.length - 5} more)` : ""}.`,
      `中间库中不存在列映射配置所指的表或列：${list.slice(0, 5).join("、")}${list.length > 5 ? ` 等 ${list.length} 处` : ""}。`,
      { what: "sql column map", url: redactUrl(url), problems },
    );
  }
  return bound;
}

// ---- reading pages ----

/**
 * The next (table, sequence) pairs. SQLite plans the compound SELECT as a merge of the tables'
 * rowid ranges. PostgreSQL sorts a UNION ALL whose arms filter (it reads every row after the
 * cursor), but merges arms that are each ordered and limited: a Merge Append of primary-key index
 * scans reading at most `limit` rows per table.
 */
function orderSql(tables: readonly BoundTable[], dialect: SqlDialect): string {
  if (dialect === "sqlite") {
    const arms = tables.map((table, i) => `SELECT ${i} AS t, ${table.sequence} AS s FROM ${table.quoted} WHERE ${table.sequence} > ?`);
    return `${arms.join(" UNION ALL ")} ORDER BY s LIMIT ?`;
  }
  const arms = tables.map((table, i) => `(SELECT ${i} AS t, ${table.sequence} AS s FROM ${table.quoted} WHERE ${table.sequence} > $1 ORDER BY ${table.sequence} LIMIT $2)`);
  return `SELECT t, s FROM (${arms.join(" UNION ALL ")}) AS pairs ORDER BY s LIMIT $2`;
}

/** The tables that hold a row at one sequence. */
function tieSql(tables: readonly BoundTable[], dialect: SqlDialect): string {
  return tables.map((table, i) => `SELECT ${i} AS t FROM ${table.quoted} WHERE ${table.sequence} = ${dialect === "postgresql" ? "$1" : "?"}`).join(" UNION ALL ");
}

/** The tables to read rows from: those of the pairs, and on a full page those holding its last sequence. */
function tablesOfPage(pairs: readonly { t: number }[], limit: number, ties: () => readonly { t: number }[]): Set<number> {
  const tables = new Set(pairs.map((pair) => pair.t));
  if (pairs.length === limit) for (const { t } of ties()) tables.add(t);
  return tables;
}

function rangeSql(table: BoundTable, dialect: SqlDialect): string {
  const [lower, upper] = dialect === "postgresql" ? ["$1", "$2"] : ["?", "?"];
  return `SELECT * FROM ${table.quoted} WHERE ${table.sequence} > ${lower} AND ${table.sequence} <= ${upper} ORDER BY ${table.sequence}`;
}

function sqliteSource(db: SqliteDatabase, tables: readonly BoundTable[]): PageSource {
  const order = db.prepare(orderSql(tables, "sqlite"));
  const tie = db.prepare(tieSql(tables, "sqlite"));
  const ranges = tables.map((table) => db.prepare(rangeSql(table, "sqlite")));
  // One deferred read transaction: both questions see the same snapshot while a writer appends (WAL).
  const read = db.transaction((after: number, limit: number) => {
    const pairs = order.all(...tables.map(() => after), limit) as { t: number; s: number }[];
    const rows = new Map<number, SqlRow[]>();
    if (pairs.length === 0) return { order: pairs, rows };
    const upper = pairs[pairs.length - 1]!.s;
    const present = tablesOfPage(pairs, limit, () => tie.all(...tables.map(() => upper)) as { t: number }[]);
    for (const t of present) rows.set(t, ranges[t]!.all(after, upper) as SqlRow[]);
    return { order: pairs, rows };
  });
  return {
    page: async (after, limit) => read(Number(after), limit),
    close: async () => {
      db.close();
    },
  };
}

let statementCounter = 0;

/**
 * Pages from PostgreSQL on one connection. A connection the server or the network drops is replaced
 * at the next page (its error is that page's error, never an unhandled event that ends the process).
 */
function postgresSource(url: string, first: pg.Client, tables: readonly BoundTable[]): PageSource {
  // Named statements: each is parsed and planned once per connection.
  const prefix = `hc_sql_${++statementCounter}`;
  const order = { name: `${prefix}_order`, text: orderSql(tables, "postgresql") };
  const tie = { name: `${prefix}_tie`, text: tieSql(tables, "postgresql") };
  const ranges = tables.map((table, i) => ({ name: `${prefix}_range_${i}`, text: rangeSql(table, "postgresql") }));
  let client: pg.Client | undefined;
  const watch = (connection: pg.Client) => {
    client = connection;
    connection.on("error", () => {
      if (client === connection) client = undefined;
      connection.end().catch(() => undefined);
    });
    return connection;
  };
  watch(first);
  const connection = async () => client ?? watch(await connectPostgres(url));
  return {
    async page(after, limit) {
      const db = await connection();
      try {
        await db.query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
        const pairs = (await db.query<{ t: number; s: string }>({ ...order, values: [after, limit] })).rows;
        const rows = new Map<number, SqlRow[]>();
        if (pairs.length > 0) {
          const upper = pairs[pairs.length - 1]!.s;
          const ties = pairs.length === limit ? (await db.query<{ t: number }>({ ...tie, values: [upper] })).rows : [];
          for (const t of tablesOfPage(pairs, limit, () => ties)) rows.set(t, (await db.query({ ...ranges[t]!, values: [after, upper] })).rows as SqlRow[]);
        }
        await db.query("COMMIT");
        return { order: pairs, rows };
      } catch (error) {
        await db.query("ROLLBACK").catch(() => undefined);
        // A failed page gives up its connection (the server may have dropped it before its "error"
        // event arrived): the next page reads on a fresh one.
        if (client === db) client = undefined;
        db.end().catch(() => undefined);
        throw error;
      }
    },
    async close() {
      const open = client;
      client = undefined;
      await open?.end();
    },
  };
}

function checkPullArguments(cursor: unknown, limit: unknown): string {
  if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_SQL_PAGE) {
    throw invalid(`The page size must be an integer from 1 to ${MAX_SQL_PAGE}, got ${JSON.stringify(limit)}.`, `每页条数必须是 1 到 ${MAX_SQL_PAGE} 之间的整数。`, { limit: String(limit) });
  }
  if (cursor === null) return BEFORE_ALL;
  if (typeof cursor !== "string" || !/^-?\d{1,16}$/.test(cursor) || !Number.isSafeInteger(Number(cursor))) {
    throw invalid(
      `The cursor ${JSON.stringify(cursor)} is not a change sequence this adapter returned.`,
      "游标不是本适配器返回的同步序号。",
      { cursor: typeof cursor === "string" ? cursor : String(cursor) },
    );
  }
  return cursor;
}

function checkOptions(options: unknown): { url: string; dialect: SqlDialect; utcOffset: string; maps: ResolvedTableMap[] } {
  if (typeof options !== "object" || options === null) {
    throw invalid("The SQL adapter needs its options ({ url, … }).", "SQL 采集适配器缺少参数（{ url, … }）。", {});
  }
  const input = options as SqlAdapterOptions;
  const unknown = Object.keys(input).filter((key) => !OPTION_KEYS.has(key));
  if (unknown.length > 0) {
    throw invalid(`Unknown SQL adapter options: ${unknown.join(", ")}.`, `未知的 SQL 采集适配器参数：${unknown.join("、")}。`, { unknown });
  }
  const dialect = dialectOf(input.url);
  const utcOffset = input.utcOffset ?? "+08:00";
  if (typeof utcOffset !== "string" || offsetMinutes(utcOffset) === undefined) {
    throw invalid(`utcOffset must be an offset ±HH:MM, got ${JSON.stringify(utcOffset)}.`, "utcOffset 必须是 ±HH:MM 形式的时区偏移。", { utcOffset: String(utcOffset) });
  }
  return { url: input.url, dialect, utcOffset, maps: resolveColumnMap(input.columnMap ?? DEFAULT_SQL_COLUMN_MAP, input.tables) };
}

/**
 * Creates the pull adapter of an intermediate database. Checks the column map against the
 * interchange vocabulary and against the database's tables and columns, and refuses (INVALID_INPUT,
 * naming every problem) what does not fit: nothing is read from a misconfigured source.
 */
export async function createSqlAdapter(options: SqlAdapterOptions): Promise<PullAdapter> {
  const { url, dialect, utcOffset, maps } = checkOptions(options);
  let source: PageSource;
  let tables: BoundTable[];
  if (dialect === "sqlite") {
    const db = openSqlite(url, { create: false });
    try {
      tables = await bindTables(sqliteCatalog(db), maps, utcOffset, url);
      source = sqliteSource(db, tables);
    } catch (error) {
      db.close();
      throw error;
    }
  } else {
    const client = await connectPostgres(url);
    try {
      tables = await bindTables(postgresCatalog(client), maps, utcOffset, url);
      source = postgresSource(url, client, tables);
    } catch (error) {
      await client.end();
      throw error;
    }
  }

  let closed = false;
  // One page at a time: a page is a transaction on the adapter's one connection.
  let queue: Promise<unknown> = Promise.resolve();

  const readPage = async (cursor: string | null, limit: number): Promise<PullPage> => {
    if (closed) {
      throw platformError("CONFLICT", { message: "The SQL adapter is closed.", messageZh: "SQL 采集适配器已关闭。", details: { what: "sql adapter" } });
    }
    const after = checkPullArguments(cursor, limit);
    const { order, rows } = await source.page(after, limit);
    const items: SourceItem[] = [];
    const rejected: RejectedItem[] = [];
    const next = new Map<number, number>();
    const take = (t: number, row: SqlRow) => {
      const result = tables[t]!.read(row);
      if (result.item !== undefined) items.push(result.item);
      else rejected.push(result.rejected);
    };
    for (const { t } of order) {
      const index = next.get(t) ?? 0;
      const row = rows.get(t)?.[index];
      if (row !== undefined) take(t, row);
      next.set(t, index + 1);
    }
    // Rows that share the page's last sequence with the last pair (a tie across tables) come last.
    for (const [t, list] of rows) for (let i = next.get(t) ?? 0; i < list.length; i++) take(t, list[i]!);
    return {
      items,
      rejected,
      cursor: order.length === 0 ? cursor : String(order[order.length - 1]!.s),
      done: order.length < limit,
    };
  };

  return {
    format: "sql",
    pull(cursor, limit) {
      const page = queue.then(() => readPage(cursor, limit));
      queue = page.catch(() => undefined);
      return page;
    },
    async close() {
      if (closed) return;
      closed = true;
      await queue;
      await source.close();
    },
  };
}

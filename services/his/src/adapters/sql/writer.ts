// The synthetic source database: synthetic records written into the intermediate tables the way the
// regional platform's ETL fills them (one row per transmission, the global change sequence handed
// out in write order, local China Standard Time, coded values), for tests and the benchmark. A later
// day's increment appended to the same database continues the sequence. `truth` is not written.
import { isPlatformError, platformError } from "@health-chain/sdk";
import type Libsql from "libsql";
import type pg from "pg";
import type { RecordKind, SyntheticRecord } from "../../synthetic/records.ts";
import { type SqliteDatabase, connectPostgres, dialectOf, openSqlite } from "./connection.ts";
import { memberShape } from "./members.ts";
import {
  CORRECTION_CODES, INTERMEDIATE_TABLE_OF_KIND, type IntermediateTable, type PayloadColumn, SEQUENCE_TABLE,
  intermediateSchemaDdl, tableColumns,
} from "./schema.ts";
import { codeOf, offsetMinutes, writeDate, writeDatetime } from "./values.ts";

export interface WriteIntermediateOptions {
  /** Records per transaction (default 5,000): each batch takes its block of the sequence and commits at once. */
  readonly batchSize?: number;
  /** The offset of the platform's local timestamps (default `+08:00`, China Standard Time). */
  readonly utcOffset?: string;
}

export interface WriteIntermediateResult {
  readonly written: number;
  /** The change sequence of the first and the last row written (null when nothing was). */
  readonly firstSequence: string | null;
  readonly lastSequence: string | null;
}

type Cell = string | number | null;

/** One record as the values of its table's columns after the sequence. */
interface EncodedRow {
  readonly table: IntermediateTable;
  readonly cells: readonly Cell[];
}

const DEFAULT_BATCH_SIZE = 5_000;
const MAX_BATCH_SIZE = 100_000;

function invalid(message: string, messageZh: string, details: Record<string, unknown>): Error {
  return platformError("INVALID_INPUT", { message, messageZh, details });
}

function encodeCell(column: PayloadColumn, value: unknown, utcOffset: string, kind: RecordKind): Cell {
  if (value === null || value === undefined) return null;
  const shape = memberShape(kind, column.member);
  switch (shape) {
    case "text":
    case "number":
    case "integer":
      if (typeof value === "string" || typeof value === "number") return value;
      break;
    case "date":
      if (typeof value === "string") return writeDate(value);
      break;
    case "datetime":
      if (typeof value === "string") return writeDatetime(value, utcOffset) ?? failed(column, value);
      break;
    case "flag":
      if (typeof value === "boolean") return value ? "1" : "0";
      break;
    case "code":
      if (typeof value === "string") return codeOf(column.codes!, value) ?? failed(column, value);
      break;
    case "list":
      if (Array.isArray(value) && value.every((item) => typeof item === "string" && !item.includes(column.separator!))) return value.join(column.separator!);
      break;
  }
  return failed(column, value);
}

function failed(column: PayloadColumn, value: unknown): never {
  throw invalid(
    `The ${column.member} value ${JSON.stringify(value)} cannot be written to column ${column.column}.`,
    `${column.member} 的值 ${JSON.stringify(value)} 无法写入列 ${column.column}。`,
    { member: column.member, column: column.column, value: JSON.parse(JSON.stringify(value ?? null)) as unknown },
  );
}

/** The cells of `record` in its table's column order, without the sequence (first column). */
function encodeRecord(record: SyntheticRecord, utcOffset: string): EncodedRow {
  const table = INTERMEDIATE_TABLE_OF_KIND.get(record.kind);
  if (table === undefined) {
    throw invalid(`Unknown record kind ${JSON.stringify(record.kind)}.`, `未知的记录类型 ${JSON.stringify(record.kind)}。`, { recordId: record.recordId, kind: record.kind });
  }
  const changedAt = writeDatetime(record.changedAt, utcOffset);
  if (changedAt === undefined) {
    throw invalid(
      `Record ${record.recordId}: changedAt ${JSON.stringify(record.changedAt)} is not ISO 8601 with an offset.`,
      `记录 ${record.recordId} 的 changedAt 不是带时区偏移的 ISO 8601 时间。`,
      { recordId: record.recordId, changedAt: record.changedAt },
    );
  }
  const payload = record.payload as unknown as Readonly<Record<string, unknown>>;
  const cells: Cell[] = [record.recordId, record.institutionCode];
  if (table.sourceKey !== null) cells.push(record.sourceKey);
  cells.push(record.patientId);
  for (const column of table.payload) cells.push(encodeCell(column, payload[column.member], utcOffset, record.kind));
  cells.push(codeOf(CORRECTION_CODES, record.status) ?? null, record.corrects, changedAt);
  return { table, cells };
}

function checkOptions(options: WriteIntermediateOptions): { batchSize: number; utcOffset: string } {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const utcOffset = options.utcOffset ?? "+08:00";
  const problems: { key: string; problem: string; value: unknown }[] = [];
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) problems.push({ key: "batchSize", problem: `an integer in [1, ${MAX_BATCH_SIZE}]`, value: batchSize });
  if (typeof utcOffset !== "string" || offsetMinutes(utcOffset) === undefined) problems.push({ key: "utcOffset", problem: "an offset ±HH:MM", value: utcOffset });
  if (problems.length > 0) {
    throw invalid(
      `Invalid options for writing intermediate tables: ${problems.map((p) => `${p.key} must be ${p.problem}`).join("; ")}.`,
      `写入中间库的参数无效：${problems.map((p) => p.key).join("、")}。`,
      { problems },
    );
  }
  return { batchSize, utcOffset };
}

const insertSql = (table: IntermediateTable) => `INSERT INTO ${table.name} (${tableColumns(table).map((c) => c.column).join(", ")}) VALUES `;
const allocateSql = `UPDATE ${SEQUENCE_TABLE.name} SET ${SEQUENCE_TABLE.value} = ${SEQUENCE_TABLE.value} + ? WHERE ${SEQUENCE_TABLE.key} = ? RETURNING ${SEQUENCE_TABLE.value} AS last`;

/** A batch writer of one database: takes a block of the sequence and inserts the rows, in one transaction. */
interface BatchWriter {
  write(rows: readonly EncodedRow[]): Promise<number>;
  close(): Promise<void>;
}

function sqliteWriter(db: SqliteDatabase): BatchWriter {
  for (const statement of intermediateSchemaDdl("sqlite")) db.exec(statement);
  const allocate = db.prepare(allocateSql);
  const inserts = new Map<IntermediateTable, Libsql.Statement<Cell[]>>();
  const insertOf = (table: IntermediateTable) => {
    let statement = inserts.get(table);
    if (statement === undefined) {
      statement = db.prepare<Cell[]>(`${insertSql(table)}(${tableColumns(table).map(() => "?").join(", ")})`);
      inserts.set(table, statement);
    }
    return statement;
  };
  // IMMEDIATE: the write lock is taken before the sequence is read, so concurrent writers queue.
  const writeBatch = db.transaction((rows: readonly EncodedRow[]) => {
    const { last } = allocate.get(rows.length, SEQUENCE_TABLE.sequence) as { last: number };
    let sequence = last - rows.length + 1;
    for (const row of rows) insertOf(row.table).run(sequence++, ...row.cells);
    return last;
  });
  return {
    write: async (rows) => writeBatch.immediate(rows),
    close: async () => {
      db.close();
    },
  };
}

/** node-postgres sends at most 65,535 parameters per statement. */
const MAX_PARAMETERS = 65_535;

async function postgresWriter(client: pg.Client): Promise<BatchWriter> {
  await client.query(intermediateSchemaDdl("postgresql").join(";\n"));
  const numbered = (sql: string) => {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  };
  return {
    async write(rows) {
      await client.query("BEGIN");
      try {
        // The row lock on the sequence is held until COMMIT: a second writer waits, so sequences
        // become visible in the order they were handed out and a reader never skips one.
        const result = await client.query<{ last: string }>(numbered(allocateSql), [rows.length, SEQUENCE_TABLE.sequence]);
        const last = Number(result.rows[0]!.last);
        let sequence = last - rows.length + 1;
        const byTable = new Map<IntermediateTable, Cell[][]>();
        for (const row of rows) {
          let list = byTable.get(row.table);
          if (list === undefined) byTable.set(row.table, (list = []));
          list.push([sequence++, ...row.cells]);
        }
        for (const [table, tableRows] of byTable) {
          const width = tableColumns(table).length;
          const perStatement = Math.floor(MAX_PARAMETERS / width);
          for (let start = 0; start < tableRows.length; start += perStatement) {
            const chunk = tableRows.slice(start, start + perStatement);
            let n = 0;
            const tuples = chunk.map(() => `(${Array.from({ length: width }, () => `$${++n}`).join(", ")})`).join(", ");
            await client.query(insertSql(table) + tuples, chunk.flat());
          }
        }
        await client.query("COMMIT");
        return last;
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      }
    },
    close: () => client.end(),
  };
}

/** Opens the database of `url` and creates the schema when missing. */
async function openWriter(url: string): Promise<BatchWriter> {
  if (dialectOf(url) === "sqlite") {
    const db = openSqlite(url, { create: true });
    try {
      return sqliteWriter(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }
  const client = await connectPostgres(url);
  try {
    return await postgresWriter(client);
  } catch (error) {
    await client.end();
    throw error;
  }
}

/** Creates the intermediate tables and the sequence when missing (see `intermediateSchemaDdl`). */
export async function createIntermediateSchema(url: string): Promise<void> {
  await (await openWriter(url)).close();
}

/**
 * Writes `records` into the intermediate tables of `url` in order, creating them when missing; each
 * row gets the next value of the global change sequence. Batches commit one by one: when a record
 * cannot be written (INVALID_INPUT), the batches before it stay written and its batch is not
 * (the error's details say how many were written).
 */
export async function writeIntermediateTables(
  url: string, records: Iterable<SyntheticRecord>, options: WriteIntermediateOptions = {},
): Promise<WriteIntermediateResult> {
  const { batchSize, utcOffset } = checkOptions(options);
  const writer = await openWriter(url);
  let written = 0;
  let firstSequence: number | null = null;
  let lastSequence: number | null = null;
  let batch: EncodedRow[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const last = await writer.write(batch);
    firstSequence ??= last - batch.length + 1;
    lastSequence = last;
    written += batch.length;
    batch = [];
  };
  try {
    for (const record of records) {
      try {
        batch.push(encodeRecord(record, utcOffset));
      } catch (error) {
        if (!isPlatformError(error)) throw error;
        throw platformError(error.code, { message: error.message, messageZh: error.messageZh, details: { ...error.details, recordId: record.recordId, written }, cause: error });
      }
      if (batch.length >= batchSize) await flush();
    }
    await flush();
  } finally {
    await writer.close();
  }
  return { written, firstSequence: firstSequence === null ? null : String(firstSequence), lastSequence: lastSequence === null ? null : String(lastSequence) };
}

// The node's storage: one SQLite database (node:sqlite, WAL). Everything a block changes — header,
// transactions, receipts, logs, state — is written in one SQLite transaction, fsynced at commit
// (synchronous=FULL), so a kill -9 or power loss at any moment leaves either the whole block or
// none of it. State is kept flat and versioned by block number (one row per account or slot per
// block that changed it), which makes reads at any past block an index seek and reverting to a
// past block (development snapshots) a range delete.
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blocks (
  number INTEGER PRIMARY KEY,
  hash BLOB NOT NULL UNIQUE,
  header BLOB NOT NULL,
  tx_count INTEGER NOT NULL,
  size INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS txs (
  hash BLOB PRIMARY KEY,
  block INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  sender BLOB NOT NULL,
  raw BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS txs_by_position ON txs (block, idx);
CREATE TABLE IF NOT EXISTS receipts (
  block INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  status INTEGER NOT NULL,
  gas_used INTEGER NOT NULL,
  cumulative_gas INTEGER NOT NULL,
  contract BLOB,
  first_log INTEGER NOT NULL,
  log_count INTEGER NOT NULL,
  PRIMARY KEY (block, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS logs (
  block INTEGER NOT NULL,
  log_index INTEGER NOT NULL,
  tx_idx INTEGER NOT NULL,
  address BLOB NOT NULL,
  topic0 BLOB, topic1 BLOB, topic2 BLOB, topic3 BLOB,
  data BLOB NOT NULL,
  PRIMARY KEY (block, log_index)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS logs_by_address ON logs (address, block);
CREATE INDEX IF NOT EXISTS logs_by_topic0 ON logs (topic0, block) WHERE topic0 IS NOT NULL;
CREATE INDEX IF NOT EXISTS logs_by_topic1 ON logs (topic1, block) WHERE topic1 IS NOT NULL;
CREATE INDEX IF NOT EXISTS logs_by_topic2 ON logs (topic2, block) WHERE topic2 IS NOT NULL;
CREATE INDEX IF NOT EXISTS logs_by_topic3 ON logs (topic3, block) WHERE topic3 IS NOT NULL;
CREATE TABLE IF NOT EXISTS accounts (
  address BLOB NOT NULL,
  block INTEGER NOT NULL,
  nonce INTEGER NOT NULL,
  balance BLOB NOT NULL,
  code_hash BLOB NOT NULL,
  storage_epoch INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  PRIMARY KEY (address, block)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS storage (
  address BLOB NOT NULL,
  slot BLOB NOT NULL,
  block INTEGER NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY (address, slot, block)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS code (hash BLOB PRIMARY KEY, code BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pool (hash BLOB PRIMARY KEY, raw BLOB NOT NULL, seq INTEGER NOT NULL) WITHOUT ROWID;
`;

/** An account as stored: absent fields of a never-touched account read as zero. */
export interface StoredAccount {
  nonce: bigint;
  balance: bigint;
  codeHash: Uint8Array;
  /** Storage slots written before this block number are void (the account was destroyed/re-created). */
  storageEpoch: number;
  deleted: boolean;
}

export interface StoredBlock {
  number: number;
  hash: Uint8Array;
  header: Uint8Array;
  txCount: number;
  size: number;
}

export interface StoredTx {
  hash: Uint8Array;
  block: number;
  idx: number;
  sender: Uint8Array;
  raw: Uint8Array;
}

export interface StoredReceipt {
  block: number;
  idx: number;
  status: number;
  gasUsed: number;
  cumulativeGas: number;
  contract: Uint8Array | null;
  firstLog: number;
  logCount: number;
}

export interface StoredLog {
  block: number;
  logIndex: number;
  txIdx: number;
  address: Uint8Array;
  topics: Uint8Array[];
  data: Uint8Array;
}

/** Everything one block writes. */
export interface BlockWrite {
  block: StoredBlock;
  txs: StoredTx[];
  receipts: StoredReceipt[];
  logs: StoredLog[];
  accounts: Array<{ address: Uint8Array; account: StoredAccount }>;
  storage: Array<{ address: Uint8Array; slot: Uint8Array; value: Uint8Array }>;
  code: Array<{ hash: Uint8Array; code: Uint8Array }>;
}

export interface LogQuery {
  from: number;
  to: number;
  addresses: Uint8Array[] | null;
  topics: (Uint8Array[] | null)[];
  limit: number;
}

type Row = Record<string, unknown>;
const u8 = (value: unknown): Uint8Array => value as Uint8Array;

export class ChainDb {
  readonly db: DatabaseSync;
  /** A second connection for the pool journal, with its own (cheaper) durability setting. */
  readonly #journal: DatabaseSync | undefined;
  readonly #s: Record<string, StatementSync>;

  constructor(path: string, options: { readOnly?: boolean } = {}) {
    if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
    this.db = new DatabaseSync(path, { readOnly: options.readOnly ?? false });
    this.db.exec("PRAGMA busy_timeout = 5000");
    if (!options.readOnly) {
      this.db.exec("PRAGMA journal_mode = WAL");
      // FULL: the WAL is fsynced at every commit, so a committed block survives power loss too.
      this.db.exec("PRAGMA synchronous = FULL");
      this.db.exec(SCHEMA);
    }
    this.db.exec("PRAGMA cache_size = -65536");
    if (!options.readOnly && path !== ":memory:") {
      this.#journal = new DatabaseSync(path);
      this.#journal.exec("PRAGMA busy_timeout = 5000");
      // NORMAL: not fsynced per insert; the write is in the OS as soon as it returns, which is what
      // survives a killed process. A power loss may drop journaled (never receipted) transactions.
      this.#journal.exec("PRAGMA synchronous = NORMAL");
    }
    const p = (sql: string) => this.db.prepare(sql);
    const journal = this.#journal ?? this.db;
    this.#s = {
      getMeta: p("SELECT value FROM meta WHERE key = ?"),
      head: p("SELECT number, hash, header, tx_count, size FROM blocks ORDER BY number DESC LIMIT 1"),
      blockByNumber: p("SELECT number, hash, header, tx_count, size FROM blocks WHERE number = ?"),
      blockByHash: p("SELECT number, hash, header, tx_count, size FROM blocks WHERE hash = ?"),
      txByHash: p("SELECT hash, block, idx, sender, raw FROM txs WHERE hash = ?"),
      txsOfBlock: p("SELECT hash, block, idx, sender, raw FROM txs WHERE block = ? ORDER BY idx"),
      txByPosition: p("SELECT hash, block, idx, sender, raw FROM txs WHERE block = ? AND idx = ?"),
      receipt: p("SELECT block, idx, status, gas_used, cumulative_gas, contract, first_log, log_count FROM receipts WHERE block = ? AND idx = ?"),
      receiptsOfBlock: p("SELECT block, idx, status, gas_used, cumulative_gas, contract, first_log, log_count FROM receipts WHERE block = ? ORDER BY idx"),
      logsRange: p("SELECT block, log_index, tx_idx, address, topic0, topic1, topic2, topic3, data FROM logs WHERE block = ? AND log_index >= ? AND log_index < ? ORDER BY log_index"),
      logsOfBlock: p("SELECT block, log_index, tx_idx, address, topic0, topic1, topic2, topic3, data FROM logs WHERE block = ? ORDER BY log_index"),
      account: p("SELECT nonce, balance, code_hash, storage_epoch, deleted FROM accounts WHERE address = ? AND block <= ? ORDER BY block DESC LIMIT 1"),
      storage: p("SELECT block, value FROM storage WHERE address = ? AND slot = ? AND block <= ? ORDER BY block DESC LIMIT 1"),
      code: p("SELECT code FROM code WHERE hash = ?"),
      insertBlock: p("INSERT INTO blocks (number, hash, header, tx_count, size) VALUES (?, ?, ?, ?, ?)"),
      insertTx: p("INSERT INTO txs (hash, block, idx, sender, raw) VALUES (?, ?, ?, ?, ?)"),
      insertReceipt: p("INSERT INTO receipts (block, idx, status, gas_used, cumulative_gas, contract, first_log, log_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
      insertLog: p("INSERT INTO logs (block, log_index, tx_idx, address, topic0, topic1, topic2, topic3, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
      insertAccount: p("INSERT OR REPLACE INTO accounts (address, block, nonce, balance, code_hash, storage_epoch, deleted) VALUES (?, ?, ?, ?, ?, ?, ?)"),
      insertStorage: p("INSERT OR REPLACE INTO storage (address, slot, block, value) VALUES (?, ?, ?, ?)"),
      insertCode: p("INSERT OR IGNORE INTO code (hash, code) VALUES (?, ?)"),
      setMeta: p("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"),
      poolInsert: journal.prepare("INSERT OR IGNORE INTO pool (hash, raw, seq) VALUES (?, ?, ?)"),
      poolForget: journal.prepare("DELETE FROM pool WHERE hash = ?"),
      poolDelete: p("DELETE FROM pool WHERE hash = ?"),
      poolAll: p("SELECT hash, raw FROM pool ORDER BY seq"),
    };
    if (!options.readOnly) {
      const version = this.getMeta("schema_version");
      if (version === undefined) this.setMeta("schema_version", String(SCHEMA_VERSION));
      else if (Number(version) !== SCHEMA_VERSION) throw new Error(`database schema ${version} is not the supported ${SCHEMA_VERSION}`);
    }
  }

  close(): void {
    if (this.#journal?.isOpen) this.#journal.close();
    if (this.db.isOpen) this.db.close();
  }

  getMeta(key: string): string | undefined {
    const row = this.#s.getMeta!.get(key) as Row | undefined;
    return row === undefined ? undefined : (row.value as string);
  }

  setMeta(key: string, value: string): void {
    this.#s.setMeta!.run(key, value);
  }

  head(): StoredBlock | undefined {
    return toBlock(this.#s.head!.get() as Row | undefined);
  }

  blockByNumber(number: number): StoredBlock | undefined {
    return toBlock(this.#s.blockByNumber!.get(number) as Row | undefined);
  }

  blockByHash(hash: Uint8Array): StoredBlock | undefined {
    return toBlock(this.#s.blockByHash!.get(hash) as Row | undefined);
  }

  txByHash(hash: Uint8Array): StoredTx | undefined {
    return toTx(this.#s.txByHash!.get(hash) as Row | undefined);
  }

  txByPosition(block: number, idx: number): StoredTx | undefined {
    return toTx(this.#s.txByPosition!.get(block, idx) as Row | undefined);
  }

  txsOfBlock(block: number): StoredTx[] {
    return (this.#s.txsOfBlock!.all(block) as Row[]).map((row) => toTx(row)!);
  }

  receipt(block: number, idx: number): StoredReceipt | undefined {
    return toReceipt(this.#s.receipt!.get(block, idx) as Row | undefined);
  }

  receiptsOfBlock(block: number): StoredReceipt[] {
    return (this.#s.receiptsOfBlock!.all(block) as Row[]).map((row) => toReceipt(row)!);
  }

  logsOfReceipt(receipt: StoredReceipt): StoredLog[] {
    if (receipt.logCount === 0) return [];
    return (this.#s.logsRange!.all(receipt.block, receipt.firstLog, receipt.firstLog + receipt.logCount) as Row[]).map(toLog);
  }

  logsOfBlock(block: number): StoredLog[] {
    return (this.#s.logsOfBlock!.all(block) as Row[]).map(toLog);
  }

  /** Logs in [from, to] matching the address and topic filter, in chain order, at most `limit` + 1 rows. */
  queryLogs(query: LogQuery): StoredLog[] {
    const where = ["block >= ?", "block <= ?"];
    const args: Array<number | Uint8Array> = [query.from, query.to];
    if (query.addresses !== null) {
      if (query.addresses.length === 0) return [];
      where.push(`address IN (${query.addresses.map(() => "?").join(",")})`);
      args.push(...query.addresses);
    }
    // As geth: a filter with k topic positions matches only logs with at least k topics, even when
    // the trailing positions are wildcards.
    if (query.topics.length > 0) where.push(`topic${query.topics.length - 1} IS NOT NULL`);
    query.topics.forEach((alternatives, position) => {
      if (alternatives === null) return;
      if (alternatives.length === 0) return;
      where.push(`topic${position} IN (${alternatives.map(() => "?").join(",")})`);
      args.push(...alternatives);
    });
    const sql = `SELECT block, log_index, tx_idx, address, topic0, topic1, topic2, topic3, data FROM logs WHERE ${where.join(" AND ")} ORDER BY block, log_index LIMIT ${query.limit + 1}`;
    let statement = this.#logQueries.get(sql);
    if (statement === undefined) {
      // The shapes are few (how many addresses and topic alternatives): keep their plans.
      if (this.#logQueries.size >= 256) this.#logQueries.clear();
      statement = this.db.prepare(sql);
      this.#logQueries.set(sql, statement);
    }
    return (statement.all(...args) as Row[]).map(toLog);
  }

  readonly #logQueries = new Map<string, StatementSync>();

  /** The account as of block `at` (inclusive), or undefined if it never existed by then. */
  account(address: Uint8Array, at: number): StoredAccount | undefined {
    const row = this.#s.account!.get(address, at) as Row | undefined;
    if (row === undefined) return undefined;
    return {
      nonce: BigInt(row.nonce as number),
      balance: bytesToBig(u8(row.balance)),
      codeHash: u8(row.code_hash),
      storageEpoch: row.storage_epoch as number,
      deleted: (row.deleted as number) === 1,
    };
  }

  /** A storage slot as of block `at`; `epoch` voids slots written before the account's re-creation. */
  storage(address: Uint8Array, slot: Uint8Array, at: number, epoch: number): Uint8Array {
    const row = this.#s.storage!.get(address, slot, at) as Row | undefined;
    if (row === undefined || (row.block as number) < epoch) return new Uint8Array(0);
    return u8(row.value);
  }

  code(hash: Uint8Array): Uint8Array | undefined {
    const row = this.#s.code!.get(hash) as Row | undefined;
    return row === undefined ? undefined : u8(row.code);
  }

  /** Writes a whole block atomically; the commit is durable when this returns. */
  writeBlock(write: BlockWrite): void {
    const s = this.#s;
    const number = write.block.number;
    this.db.exec("BEGIN IMMEDIATE");
    try {
      s.insertBlock!.run(number, write.block.hash, write.block.header, write.block.txCount, write.block.size);
      for (const tx of write.txs) {
        s.insertTx!.run(tx.hash, number, tx.idx, tx.sender, tx.raw);
        s.poolDelete!.run(tx.hash);
      }
      for (const r of write.receipts) s.insertReceipt!.run(number, r.idx, r.status, r.gasUsed, r.cumulativeGas, r.contract, r.firstLog, r.logCount);
      for (const log of write.logs) {
        const t = log.topics;
        s.insertLog!.run(number, log.logIndex, log.txIdx, log.address, t[0] ?? null, t[1] ?? null, t[2] ?? null, t[3] ?? null, log.data);
      }
      for (const { address, account } of write.accounts) {
        s.insertAccount!.run(address, number, account.nonce, bigToBytes(account.balance), account.codeHash, account.storageEpoch, account.deleted ? 1 : 0);
      }
      for (const { address, slot, value } of write.storage) s.insertStorage!.run(address, slot, number, value);
      for (const { hash, code } of write.code) s.insertCode!.run(hash, code);
      this.db.exec("COMMIT");
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    }
  }

  /** Deletes every block above `number` with its transactions, receipts, logs and state versions. */
  truncateAbove(number: number): void {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      for (const table of ["blocks WHERE number", "txs WHERE block", "receipts WHERE block", "logs WHERE block", "accounts WHERE block", "storage WHERE block"]) {
        this.db.prepare(`DELETE FROM ${table} > ?`).run(number);
      }
      this.db.exec("COMMIT");
    } catch (error) {
      this.db.exec("ROLLBACK");
      throw error;
    }
  }

  // The pool journal: transactions accepted but not yet in a block, so that a restart (or kill -9)
  // does not lose what a client was told was accepted.
  // Inserts are grouped: everything accepted in one turn of the event loop is written in one
  // SQLite transaction, and each caller's promise settles once that transaction is written.
  #journalQueue: Array<{ hash: Uint8Array; raw: Uint8Array; seq: number }> = [];
  #journalFlush: Promise<void> | undefined;

  journalTx(hash: Uint8Array, raw: Uint8Array, seq: number): Promise<void> {
    this.#journalQueue.push({ hash, raw, seq });
    this.#journalFlush ??= new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        const batch = this.#journalQueue;
        this.#journalQueue = [];
        this.#journalFlush = undefined;
        const connection = this.#journal ?? this.db;
        try {
          connection.exec("BEGIN IMMEDIATE");
          for (const entry of batch) this.#s.poolInsert!.run(entry.hash, entry.raw, entry.seq);
          connection.exec("COMMIT");
          resolve();
        } catch (error) {
          if (connection.isTransaction) connection.exec("ROLLBACK");
          reject(error as Error);
        }
      });
    });
    return this.#journalFlush;
  }

  forgetTx(hash: Uint8Array): void {
    this.#s.poolForget!.run(hash);
  }

  journaledTxs(): Array<{ hash: Uint8Array; raw: Uint8Array }> {
    return (this.#s.poolAll!.all() as Row[]).map((row) => ({ hash: u8(row.hash), raw: u8(row.raw) }));
  }
}

function bytesToBig(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString("hex")}`);
}

function bigToBytes(value: bigint): Uint8Array {
  if (value === 0n) return new Uint8Array(0);
  const hex = value.toString(16);
  return Uint8Array.from(Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex"));
}

function toBlock(row: Row | undefined): StoredBlock | undefined {
  if (row === undefined) return undefined;
  return { number: row.number as number, hash: u8(row.hash), header: u8(row.header), txCount: row.tx_count as number, size: row.size as number };
}

function toTx(row: Row | undefined): StoredTx | undefined {
  if (row === undefined) return undefined;
  return { hash: u8(row.hash), block: row.block as number, idx: row.idx as number, sender: u8(row.sender), raw: u8(row.raw) };
}

function toReceipt(row: Row | undefined): StoredReceipt | undefined {
  if (row === undefined) return undefined;
  return {
    block: row.block as number,
    idx: row.idx as number,
    status: row.status as number,
    gasUsed: row.gas_used as number,
    cumulativeGas: row.cumulative_gas as number,
    contract: row.contract === null ? null : u8(row.contract),
    firstLog: row.first_log as number,
    logCount: row.log_count as number,
  };
}

function toLog(row: Row): StoredLog {
  const topics: Uint8Array[] = [];
  for (const key of ["topic0", "topic1", "topic2", "topic3"]) {
    if (row[key] === null) break;
    topics.push(u8(row[key]));
  }
  return { block: row.block as number, logIndex: row.log_index as number, txIdx: row.tx_idx as number, address: u8(row.address), topics, data: u8(row.data) };
}

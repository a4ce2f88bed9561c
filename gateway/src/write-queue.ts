// Group commit of small write units (a consent-checked read's access-log line, notification, audit
// row and idempotent answer). Each unit is a function of a transaction client, or a list of rows to
// insert (`enqueueInserts`, with an optional function run after them); the queue runs every unit
// waiting at the moment of a flush in ONE transaction, so concurrent reads share one BEGIN … COMMIT
// (on SQLite: one turn of the process-wide write lock and one fsync) instead of one each.
//
// Rows to insert are written with ONE `createMany` per table for all the consecutive insert units of
// a flush (in the order of the units, so auto-increment ids keep that order), instead of one
// `create` per row: Prisma costs ~0.3-0.5 ms of CPU per query (its query compiler), whatever the
// number of rows. The rows stored are the same.
//
// No timer: the first unit of an idle queue is flushed on the next turn of the event loop (so
// units enqueued in the same tick go together); while a flush runs, new units wait and go in the
// next flush, which starts as soon as the running one ends. Light load adds no latency; under load
// the batches grow with the commit time.
//
// Durability is unchanged: `enqueue` resolves only after the transaction holding the unit has
// committed. If a grouped transaction fails (nothing of it is left: it rolled back), each of its
// units is run again alone in its own transaction, so a failure fails exactly the unit that causes
// it (with its own error, as if it had been written alone) and the others still commit.
import type { GatewayDb, GatewayTx } from "./db.ts";

/** A unit of writes: everything it does goes through `tx`; it may run twice (after a group rollback). */
export type WriteUnit<T> = (tx: GatewayTx) => Promise<T>;

/** The tables `enqueueInserts` writes to (the Prisma delegates' names). */
export type InsertModel = "accessLogLine" | "notification" | "auditLog";

type CreateManyData<M extends InsertModel> = NonNullable<Parameters<GatewayTx[M]["createMany"]>[0]>["data"];
/** A row of table `M`, as its `create({ data })` takes it (relations by scalar ids). */
export type InsertRow<M extends InsertModel> = CreateManyData<M> extends readonly (infer R)[] | infer R ? Exclude<R, readonly unknown[]> : never;

/** One row to insert. */
export type Insert = { readonly [M in InsertModel]: { readonly model: M; readonly data: InsertRow<M> } }[InsertModel];

const INSERT_MODELS: ReadonlySet<string> = new Set<InsertModel>(["accessLogLine", "notification", "auditLog"]);

export interface WriteQueueOptions {
  /** Most units in one transaction. Default 128. */
  readonly maxBatch?: number;
  /** Interactive transaction timeout (ms). Default 30 s. */
  readonly timeoutMs?: number;
  /** Longest wait for the transaction to start (ms). Default 30 s. */
  readonly maxWaitMs?: number;
}

export interface WriteQueue {
  /** Runs `unit` in a shared transaction; resolves with its result once that transaction committed. */
  enqueue<T>(unit: WriteUnit<T>): Promise<T>;
  /**
   * Inserts `rows` in a shared transaction (one `createMany` per table for the consecutive insert
   * units of a flush), then runs `then` (if any) in the same transaction, after the rows of those
   * units; resolves once that transaction committed. A failing unit fails alone, as with `enqueue`.
   */
  enqueueInserts(rows: readonly Insert[], then?: WriteUnit<void>): Promise<void>;
  /** Resolves when every unit enqueued so far has been committed or failed. */
  drain(): Promise<void>;
}

interface Pending {
  /** Rows inserted before `unit` runs (together with those of the neighbouring insert units). */
  readonly inserts: readonly Insert[] | undefined;
  readonly unit: WriteUnit<unknown> | undefined;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export function createWriteQueue(db: GatewayDb, options: WriteQueueOptions = {}): WriteQueue {
  const maxBatch = options.maxBatch ?? 128;
  const txOptions = { timeout: options.timeoutMs ?? 30_000, maxWait: options.maxWaitMs ?? 30_000 };
  let waiting: Pending[] = [];
  let flushing: Promise<void> | undefined;
  let scheduled = false;
  const idle: (() => void)[] = [];

  /** Runs the units of `batch` in order through `tx`; consecutive insert units share their createMany. */
  async function runUnits(tx: GatewayTx, batch: readonly Pending[]): Promise<unknown[]> {
    const out: unknown[] = [];
    for (let i = 0; i < batch.length; ) {
      if (batch[i]!.inserts === undefined) {
        out.push(await batch[i]!.unit!(tx));
        i++;
        continue;
      }
      let end = i;
      while (end < batch.length && batch[end]!.inserts !== undefined) end++;
      const segment = batch.slice(i, end);
      await insertAll(tx, segment.flatMap((p) => p.inserts!));
      for (const p of segment) out.push(p.unit === undefined ? undefined : await p.unit(tx));
      i = end;
    }
    return out;
  }

  async function runAlone(p: Pending): Promise<void> {
    try {
      const [result] = await db.$transaction((tx) => runUnits(tx, [p]), txOptions);
      p.resolve(result);
    } catch (error) {
      p.reject(error);
    }
  }

  async function flush(batch: Pending[]): Promise<void> {
    if (batch.length === 1) return runAlone(batch[0]!);
    let results: unknown[];
    try {
      results = await db.$transaction((tx) => runUnits(tx, batch), txOptions);
    } catch {
      // The group rolled back as a whole: run each unit alone, so only the failing ones fail.
      for (const p of batch) await runAlone(p);
      return;
    }
    batch.forEach((p, i) => p.resolve(results[i]));
  }

  function schedule(): void {
    if (scheduled || flushing !== undefined) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      pump();
    });
  }

  function pump(): void {
    if (flushing !== undefined) return;
    if (waiting.length === 0) {
      for (const done of idle.splice(0)) done();
      return;
    }
    const batch = waiting.slice(0, maxBatch);
    waiting = waiting.slice(batch.length);
    flushing = flush(batch).finally(() => {
      flushing = undefined;
      pump();
    });
  }

  return {
    enqueue<T>(unit: WriteUnit<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        waiting.push({ inserts: undefined, unit: unit as WriteUnit<unknown>, resolve: resolve as (v: unknown) => void, reject });
        schedule();
      });
    },
    enqueueInserts(rows: readonly Insert[], then?: WriteUnit<void>): Promise<void> {
      for (const row of rows) {
        if (!INSERT_MODELS.has(row.model)) throw new TypeError(`enqueueInserts: unknown table ${String(row.model)}`);
      }
      return new Promise<void>((resolve, reject) => {
        waiting.push({ inserts: [...rows], unit: then as WriteUnit<unknown> | undefined, resolve: resolve as (v: unknown) => void, reject });
        schedule();
      });
    },
    drain(): Promise<void> {
      if (waiting.length === 0 && flushing === undefined && !scheduled) return Promise.resolve();
      return new Promise((resolve) => idle.push(resolve));
    },
  };
}

/** One `createMany` per table, tables in the order of their first row, rows in their order. */
async function insertAll(tx: GatewayTx, rows: readonly Insert[]): Promise<void> {
  const byModel = new Map<InsertModel, unknown[]>();
  for (const row of rows) {
    let list = byModel.get(row.model);
    if (list === undefined) byModel.set(row.model, (list = []));
    list.push(row.data);
  }
  for (const [model, data] of byModel) {
    await (tx[model] as unknown as { createMany(args: { data: unknown[] }): Promise<unknown> }).createMany({ data });
  }
}

/**
 * A stand-in transaction client that records the rows `create` would insert into the insert tables
 * (for helpers that write through a transaction client, e.g. `notify`, `recordAudit`) and inserts
 * nothing: pass the recorded rows to `enqueueInserts`. `create` answers with the data itself (no
 * generated id: it is only known once the row is inserted); any other use throws.
 */
export function recordingTx(into: Insert[]): GatewayTx {
  const delegates = new Map<string, object>();
  return new Proxy({} as GatewayTx, {
    get(_target, property) {
      if (typeof property === "symbol" || property === "then") return undefined;
      if (!INSERT_MODELS.has(property)) {
        throw new TypeError(`recordingTx: only create() on ${[...INSERT_MODELS].join(", ")} is recorded, not ${String(property)}`);
      }
      let delegate = delegates.get(property);
      if (delegate === undefined) {
        delegate = {
          create: (args: { data: Record<string, unknown> }) => {
            into.push({ model: property, data: args.data } as Insert);
            return Promise.resolve({ ...args.data });
          },
        };
        delegates.set(property, delegate);
      }
      return delegate;
    },
  });
}

const queues = new WeakMap<object, WriteQueue>();

/** The write queue of a database client (one per client, made on first use). */
export function writeQueueOf(db: GatewayDb): WriteQueue {
  let queue = queues.get(db);
  if (queue === undefined) queues.set(db, (queue = createWriteQueue(db)));
  return queue;
}

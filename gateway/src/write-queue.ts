// Group commit of small write units (a consent-checked read's access-log line, notification, audit
// row and idempotent answer). Each unit is a function of a transaction client; the queue runs every
// unit waiting at the moment of a flush in ONE transaction, so concurrent reads share one BEGIN …
// COMMIT (on SQLite: one turn of the process-wide write lock and one fsync) instead of one each.
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
  /** Resolves when every unit enqueued so far has been committed or failed. */
  drain(): Promise<void>;
}

interface Pending {
  readonly unit: WriteUnit<unknown>;
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

  async function runAlone(p: Pending): Promise<void> {
    try {
      p.resolve(await db.$transaction((tx) => p.unit(tx), txOptions));
    } catch (error) {
      p.reject(error);
    }
  }

  async function flush(batch: Pending[]): Promise<void> {
    if (batch.length === 1) return runAlone(batch[0]!);
    let results: unknown[];
    try {
      results = await db.$transaction(async (tx) => {
        const out: unknown[] = [];
        for (const p of batch) out.push(await p.unit(tx));
        return out;
      }, txOptions);
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
        waiting.push({ unit, resolve: resolve as (v: unknown) => void, reject });
        schedule();
      });
    },
    drain(): Promise<void> {
      if (waiting.length === 0 && flushing === undefined && !scheduled) return Promise.resolve();
      return new Promise((resolve) => idle.push(resolve));
    },
  };
}

const queues = new WeakMap<object, WriteQueue>();

/** The write queue of a database client (one per client, made on first use). */
export function writeQueueOf(db: GatewayDb): WriteQueue {
  let queue = queues.get(db);
  if (queue === undefined) queues.set(db, (queue = createWriteQueue(db)));
  return queue;
}

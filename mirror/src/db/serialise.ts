// SQLite writes of one process take turns (see serialiseSqliteWrites); shared by every package
// with a Prisma database on SQLite (mirror, gateway, services).
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
export function serialiseSqliteWrites<C extends object>(base: C, url: string): C {
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

